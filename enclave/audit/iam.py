"""IAM roles: IRSA trust pinned to one ServiceAccount with aud (IAM-01), no wildcard actions or data resources
(IAM-02), short sessions (IAM-03), no administrator managed policies (IAM-07)."""

from __future__ import annotations

from typing import Any

from .context import Context
from .documents import MalformedPolicy, Statement, parse

SERVICE_ROLE_PATHS = ("/aws-service-role/", "/aws-reserved/")  # service-linked and Identity Center roles
DATA_PREFIXES = (
    "s3:getobject",
    "s3:putobject",
    "s3:deleteobject",
    "s3:listbucket",
    "kms:decrypt",
    "kms:encrypt",
    "kms:generatedatakey",
    "kms:reencrypt",
)
ADMIN_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
WILDCARD_ACTIONS = ("*", "*:*")


def read(ctx: Context) -> None:
    r = ctx.reader
    roles = r.paginate("IAM roles", "iam", "list_roles", "Roles")
    ctx.live.read.add("iam")

    def detail(role: dict[str, Any]) -> None:
        name = role["RoleName"]
        check = f"IAM role {name}"
        entry: dict[str, Any] = {
            "name": name,
            "arn": role["Arn"],
            "path": role.get("Path", "/"),
            "trust": role.get("AssumeRolePolicyDocument"),
            "max_session": role.get("MaxSessionDuration", 3600),
        }
        ctx.live.roles[name] = entry
        if entry["path"].startswith(SERVICE_ROLE_PATHS):
            return  # AWS manages service-linked roles
        inline: dict[str, Any] = {}
        for policy in r.paginate(check, "iam", "list_role_policies", "PolicyNames", RoleName=name):
            got = r.call(check, "iam", "get_role_policy", RoleName=name, PolicyName=policy) or {}
            inline[policy] = got.get("PolicyDocument")
        entry["inline"] = inline
        attached = r.paginate(check, "iam", "list_attached_role_policies", "AttachedPolicies", RoleName=name)
        entry["attached"] = sorted(p["PolicyArn"] for p in attached)
        managed: dict[str, Any] = {}
        for arn in entry["attached"]:
            if ":iam::aws:policy/" in arn:
                continue  # AWS-managed: judged by name (IAM-07)
            policy = (r.call(check, "iam", "get_policy", PolicyArn=arn) or {}).get("Policy", {})
            version = (
                r.call(
                    check, "iam", "get_policy_version", PolicyArn=arn, VersionId=policy.get("DefaultVersionId", "v1")
                )
                or {}
            )
            managed[arn] = version.get("PolicyVersion", {}).get("Document")
        entry["managed"] = managed
        if ctx.tags:
            tags = r.paginate(check, "iam", "list_role_tags", "Tags", RoleName=name)
            entry["tags"] = {t["Key"]: t["Value"] for t in tags}

    r.each(roles, detail, lambda role: f"IAM role {role['RoleName']}")
    ctx.result.count("iam roles", len(roles))
    ctx.progress(f"IAM: {len(roles)} roles")


def check(ctx: Context) -> None:
    limit = ctx.thresholds.max_session_seconds
    for name, role in sorted(ctx.live.roles.items()):
        if role["path"].startswith(SERVICE_ROLE_PATHS):
            continue
        if role["max_session"] > limit:
            ctx.finding("IAM-03", name, f"MaxSessionDuration is {role['max_session']} s; it must be at most {limit} s")
        _trust(ctx, name, role["trust"])
        docs = {
            **{f"inline policy {k}": v for k, v in role.get("inline", {}).items()},
            **{f"managed policy {k}": v for k, v in role.get("managed", {}).items()},
        }
        for where, doc in sorted(docs.items()):
            _permissions(ctx, name, where, doc)
        for arn in role.get("attached", []):
            policy_name = arn.rsplit("/", 1)[-1]
            if ":iam::aws:policy/" in arn and (policy_name in ADMIN_POLICIES or policy_name.endswith("FullAccess")):
                ctx.finding("IAM-07", name, f"has the administrator managed policy {arn} attached; detach it")


def _trust(ctx: Context, name: str, trust: Any) -> None:
    try:
        statements = parse(trust)
    except MalformedPolicy as exc:
        ctx.finding("IAM-01", name, f"the trust policy cannot be verified: {exc}")
        return
    for s in statements:
        if s.effect != "Allow" or not s.allows_action("sts:AssumeRoleWithWebIdentity"):
            continue
        federated = [p for p in s.principals.get("Federated", []) if ":oidc-provider/" in p]
        if not federated and not s.public:
            continue
        _irsa(ctx, name, s, federated)


def _irsa(ctx: Context, name: str, s: Statement, federated: list[str]) -> None:
    issuer = federated[0].split(":oidc-provider/", 1)[-1] if federated else ""
    if not issuer:
        ctx.finding("IAM-01", name, f"statement {s.label()} lets anyone assume the role with a web identity")
        return
    exact = s.conditions.get("StringEquals", {})
    sub, aud = exact.get(f"{issuer}:sub".lower(), []), exact.get(f"{issuer}:aud".lower(), [])
    loose = [op for op, block in s.conditions.items() if op != "StringEquals" and f"{issuer}:sub".lower() in block]
    if len(sub) != 1 or "*" in sub[0] or not sub[0].startswith("system:serviceaccount:") or loose:
        shown = ", ".join(sub) or (f"{loose[0]} {s.conditions[loose[0]][f'{issuer}:sub'.lower()]}" if loose else "none")
        ctx.finding(
            "IAM-01",
            name,
            f"trusts {issuer} with sub {shown}; it must be StringEquals one system:serviceaccount:<namespace>:<name>",
        )
    if aud != ["sts.amazonaws.com"]:
        ctx.finding(
            "IAM-01",
            name,
            f"trusts {issuer} with aud {', '.join(aud) or 'unchecked'}; it must be StringEquals sts.amazonaws.com",
        )


def _permissions(ctx: Context, name: str, where: str, doc: Any) -> None:
    try:
        statements = parse(doc)
    except MalformedPolicy as exc:
        ctx.finding("IAM-02", name, f"{where} cannot be verified: {exc}")
        return
    for s in statements:
        if s.effect != "Allow":
            continue
        wide = [a for a in s.actions if a in WILDCARD_ACTIONS or a.endswith(":*")]
        if s.not_actions:
            wide.append(f"NotAction {', '.join(s.not_actions)}")
        if wide:
            ctx.finding("IAM-02", name, f"{where} statement {s.label()} allows {', '.join(wide)}; name the actions")
        data = [a for a in s.actions if a.lower().startswith(DATA_PREFIXES)]
        for resource in s.resources if data else []:
            if resource == "*" or resource.endswith(":s3:::*"):
                ctx.finding(
                    "IAM-02",
                    name,
                    f"{where} statement {s.label()} allows {', '.join(data)} on {resource}; "
                    "name the bucket and prefix or key",
                )
            elif resource.endswith(":key/*") and not s.condition_values("kms:ResourceAliases"):
                ctx.finding(
                    "IAM-02",
                    name,
                    f"{where} statement {s.label()} allows {', '.join(data)} on every key "
                    "of the account; name the key or narrow by kms:ResourceAliases",
                )
