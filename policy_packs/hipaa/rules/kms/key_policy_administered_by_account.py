"""KMS-02: only the account root (IAM of the account) administers a key; nobody gets kms:* on it."""

from collections.abc import Iterator

from framework.documents import statements
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import KMS_KEY, KMS_KEY_POLICY
from framework.values import UNKNOWN

ADMIN_ACTIONS = frozenset({"*", "kms:*", "kms:putkeypolicy", "kms:schedulekeydeletion", "kms:disablekey"})


def _is_root(principal: str) -> bool:
    return principal.endswith(":root") or (principal.isdigit() and len(principal) == 12)


@resource_rule(
    "kms-key-policy-administered-by-account",
    "KMS-02",
    "Only the account administers a KMS key; other principals may only use it",
    (*KMS_KEY, *KMS_KEY_POLICY),
    config={
        "trustedAccounts": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Accounts whose root may administer keys (empty: any single account root).",
        }
    },
)
def check(r: Resource, config: Config) -> Iterator[Finding]:
    found = statements(r.get("policy"))
    if found is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: the key policy is not known yet", True)
        return
    if found is None:
        yield Finding(r.urn, f"{r.label()}: the key policy is not a valid JSON policy document")
        return
    if not isinstance(found, list):
        return  # no policy given: KMS applies its default policy (the account root only)
    trusted = set(config.get("trustedAccounts") or [])
    for s in found:
        if s.effect != "Allow":
            continue
        sid = s.sid or "(no Sid)"
        if s.is_everyone() and not s.scoped_to_account():
            yield Finding(r.urn, f"{r.label()}: statement {sid} allows Principal '*' with no account condition")
            continue
        for principal in s.principals("AWS") + s.principals("Service"):
            account = principal.split(":")[4] if principal.count(":") >= 5 else principal
            if _is_root(principal) and (not trusted or account in trusted):
                continue
            admin = [a for a in s.actions() if a.lower() in ADMIN_ACTIONS]
            if admin:
                yield Finding(
                    r.urn,
                    f"{r.label()}: statement {sid} gives {', '.join(admin)} to {principal}; only the account "
                    "root may administer the key",
                )
            elif s.allows("kms:CreateGrant") and "true" not in [
                str(v).lower() for v in s.condition_values("kms:GrantIsForAWSResource")
            ]:
                yield Finding(
                    r.urn,
                    f"{r.label()}: statement {sid} lets {principal} create grants for anyone; add "
                    "kms:GrantIsForAWSResource = true",
                )
