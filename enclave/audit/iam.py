"""IAM: IRSA trust pinned to one ServiceAccount with aud (IAM-01), no wildcard actions or data resources
(IAM-02), short sessions (IAM-03), no IAM users or access keys (IAM-04), the cluster's OIDC provider serving
only sts.amazonaws.com (IAM-06), no administrator managed policies (IAM-07), every role's trust naming who may
assume it (IAM-10), node roles holding only the worker-node and ECR pull policies (NODE-06)."""

from __future__ import annotations

from typing import Any

from .context import Context
from .documents import MalformedPolicy, Statement, parse

SERVICE_ROLE_PATHS = ("/aws-service-role/", "/aws-reserved/")  # service-linked and Identity Center roles
ADMIN_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
# NODE-06: what the pack's node-role-least-privilege rule allows a node role (AWS-managed, by name)
NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonEC2ContainerRegistryReadOnly",
)
STS_AUDIENCE = ["sts.amazonaws.com"]
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


def read_users(ctx: Context) -> None:
    """IAM users with their active access keys, and whether the root user has access keys (IAM-04)."""
    r = ctx.reader
    users = r.paginate("IAM users (IAM-04)", "iam", "list_users", "Users")

    def detail(user: dict[str, Any]) -> None:
        name = user["UserName"]
        keys = r.paginate(f"IAM user {name} (IAM-04)", "iam", "list_access_keys", "AccessKeyMetadata", UserName=name)
        ctx.live.users[name] = {
            "arn": user["Arn"],
            "keys": sorted(k["AccessKeyId"] for k in keys if k.get("Status") == "Active"),
        }

    r.each(users, detail, lambda user: f"IAM user {user['UserName']} (IAM-04)")
    summary = r.call("IAM users (IAM-04)", "iam", "get_account_summary") or {}
    ctx.live.root_keys = int(summary.get("SummaryMap", {}).get("AccountAccessKeysPresent", 0))
    ctx.live.read.add("iam users")
    ctx.result.count("iam users", len(users))


def read_oidc(ctx: Context) -> None:
    """The account's OIDC providers: URL and audiences (IAM-06, matched to the clusters' issuers)."""
    r = ctx.reader
    check = "IAM OIDC providers (IAM-06)"
    listed = (r.call(check, "iam", "list_open_id_connect_providers") or {}).get("OpenIDConnectProviderList", [])
    for entry in listed:
        arn = entry["Arn"]
        got = r.call(check, "iam", "get_open_id_connect_provider", OpenIDConnectProviderArn=arn) or {}
        url = str(got.get("Url", "")).removeprefix("https://").rstrip("/")
        ctx.live.oidc_providers[arn] = {"url": url, "client_ids": list(got.get("ClientIDList", []))}
    ctx.live.read.add("oidc")


def check(ctx: Context) -> None:
    _users(ctx)
    _oidc(ctx)
    _node_roles(ctx)
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
        ctx.finding("IAM-10", name, f"the trust policy cannot be verified: {exc}")
        return
    _named(ctx, name, statements)
    for s in statements:
        if s.effect != "Allow" or not s.allows_action("sts:AssumeRoleWithWebIdentity"):
            continue
        federated = [p for p in s.principals.get("Federated", []) if ":oidc-provider/" in p]
        if not federated and not s.public:
            continue
        _irsa(ctx, name, s, federated)


def _named(ctx: Context, name: str, statements: list[Statement]) -> None:
    """IAM-10 (any role, as the pack's iam-role-trust-names-principals): an Allow names who may assume it,
    never '*' or a pattern, never NotPrincipal (everyone it does not list)."""
    for s in statements:
        if s.effect != "Allow":
            continue
        if s.not_principal:
            ctx.finding(
                "IAM-10", name, f"trust statement {s.label()} allows with NotPrincipal: every principal it does not "
                "list may assume the role; name who may with Principal",
            )  # fmt: skip
            continue
        wild = [f"{kind}: {value}" for kind, values in sorted(s.principals.items()) for value in values if "*" in value]
        if wild:
            ctx.finding(
                "IAM-10", name, f"trust statement {s.label()} admits {', '.join(wild)}: any principal may ask to "
                "assume the role (conditions only narrow it); name the accounts, roles, services or OIDC provider",
            )  # fmt: skip


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
        data = [a for a in s.actions if a.lower().startswith(ctx.catalog.data_prefixes)]
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


def _users(ctx: Context) -> None:
    if "iam users" not in ctx.live.read:
        return
    for name, user in sorted(ctx.live.users.items()):
        keys = f" with active access keys {', '.join(user['keys'])}" if user["keys"] else ""
        ctx.finding(
            "IAM-04", user["arn"], f"IAM user {name} exists{keys}; people use SSO roles and workloads IRSA, not users"
        )
    if ctx.live.root_keys:
        root = f"arn:{ctx.partition}:iam::{ctx.account}:root"
        ctx.finding("IAM-04", root, "the root user has an access key; delete it")


def _oidc(ctx: Context) -> None:
    """The provider serving each live cluster's issuer must list sts.amazonaws.com as its only audience."""
    if "oidc" not in ctx.live.read:
        return
    by_url = {p["url"]: (arn, p) for arn, p in ctx.live.oidc_providers.items()}
    for name, cluster in sorted(ctx.live.clusters.items()):
        issuer = str(cluster.get("identity", {}).get("oidc", {}).get("issuer", "")).removeprefix("https://")
        if not issuer or issuer.rstrip("/") not in by_url:
            continue  # no IRSA provider for this cluster: nothing serves another audience
        arn, provider = by_url[issuer.rstrip("/")]
        if provider["client_ids"] != STS_AUDIENCE:
            shown = ", ".join(provider["client_ids"]) or "none"
            ctx.finding(
                "IAM-06",
                arn,
                f"the OIDC provider of cluster {name} serves the audiences {shown}; it must serve only "
                "sts.amazonaws.com",
            )


def _node_roles(ctx: Context) -> None:
    """NODE-06: a node group's role carries AmazonEKSWorkerNodePolicy and the ECR pull policy, nothing else."""
    names = sorted({str(g["nodeRole"]).rsplit("/", 1)[-1] for g in ctx.live.nodegroups.values() if g.get("nodeRole")})
    for name in names:
        role = ctx.live.roles.get(name)
        if role is None or "attached" not in role or "inline" not in role:
            continue  # another account's role, or its read failed (already incomplete)
        extra = [
            arn
            for arn in role["attached"]
            if not (":iam::aws:policy/" in arn and arn.rsplit("/", 1)[-1] in NODE_POLICIES)
        ]
        if extra:
            ctx.finding(
                "NODE-06",
                name,
                f"node role has {', '.join(extra)} attached; node roles get "
                f"{', '.join(NODE_POLICIES[:2])} only (pods that reach the node inherit it)",
            )
        if role["inline"]:
            ctx.finding(
                "NODE-06",
                name,
                f"node role has inline policies {', '.join(sorted(role['inline']))}; pods that reach the node "
                "inherit them",
            )
