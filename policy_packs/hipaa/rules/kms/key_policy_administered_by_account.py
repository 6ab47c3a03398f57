"""KMS-02: a key is administered only from its own account, and nobody both administers and uses it.

Decided by evaluating the key policy (every way to make a key: Key, ExternalKey, ReplicaKey, ReplicaExternalKey,
and a separate KeyPolicy), not by reading how it is written: `kms:Put*` is kms:PutKeyPolicy, `kms:*` to a role
is administration and use at once. Administration is KMS's permissions-management actions (the IAM catalog's
access level: PutKeyPolicy, CreateGrant, RevokeGrant) and the actions that destroy or disable a key; creating
grants only for AWS resources (kms:GrantIsForAWSResource true) is use. The account root (IAM of the account)
may do anything; a role of the account may administer without using (AWS's default key-administrator
statement); nobody outside the account administers, and no service does; a statement for '*' is judged by who
it lets in (framework.documents.open_to_outsiders)."""

from collections.abc import Iterator

from framework import evaluator as ev
from framework.documents import Statement, is_root, open_to_outsiders, problem, statements
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import KMS_KEY_POLICY, KMS_KEYS
from framework.values import UNKNOWN

ADMIN = frozenset(
    a
    for a in ev.expand_actions("kms:*")
    if "Permissions management" in ev.access_level(a) and a != "kms:retiregrant"
) | ev.actions_matching(
    "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DisableKeyRotation", "kms:DeleteImportedKeyMaterial",
    "kms:ImportKeyMaterial", "kms:UpdatePrimaryRegion",
)  # fmt: skip
USE = ev.actions_matching(
    "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Sign", "kms:Verify",
    "kms:GenerateMac", "kms:VerifyMac", "kms:DeriveSharedSecret", "kms:Decapsulate",
)  # fmt: skip
KEY = "arn:aws:kms:us-east-1:000000000000:key/enclave-probe"
ANY_ROLE = "enclave-any-principal"


def _delegates(s: Statement) -> bool:
    """A statement for account roots only: it hands the key to IAM of those accounts, granting nobody by itself."""
    named = s.principals("AWS")
    return bool(named) and all(is_root(p) for p in named) and not s.principals("Service")


def _can(found: list[Statement], principal: dict, actions: frozenset[str]) -> list[str]:
    """The actions of `actions` the key policy itself grants the principal (a grant only for AWS resources is not
    one; for a role, statements that only delegate to IAM do not count: its IAM policies are judged apart)."""
    arn = principal.get("principal_arn", "")
    considered = [s.parsed for s in found if is_root(arn) or not _delegates(s)]
    out = []
    for action in sorted(actions):
        request = ev.Request(action, KEY, context={"kms:GrantIsForAWSResource": "false"}, chosen=True, **principal)
        if ev.can_allow(considered, request):
            out.append(ev.service_actions("kms")[action])
    return out


def _who(principal: str) -> str:
    return f"any principal of account {ev.account_of(principal)}" if principal.endswith(ANY_ROLE) else principal


def _shown(actions: list[str]) -> str:
    return ", ".join(actions[:3]) + (f" and {len(actions) - 3} more" if len(actions) > 3 else "")


@resource_rule(
    "kms-key-policy-administered-by-account",
    "KMS-02",
    "Only the account administers a KMS key; other principals may only use it",
    (*KMS_KEYS, *KMS_KEY_POLICY),
    config={
        "trustedAccounts": {
            "type": "array",
            "items": {"type": "string", "pattern": "^[0-9]{12}$"},
            "default": [],
            "description": "Accounts whose principals may administer keys (empty: the account whose root the key "
            "policy names, when it names exactly one).",
        }
    },
)
def check(r: Resource, config: Config) -> Iterator[Finding]:
    found = statements(r.get("policy"))
    if found is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: the key policy is not known yet", True)
        return
    if found is None:
        yield Finding(r.urn, f"{r.label()}: the key policy is refused by AWS ({problem(r.get('policy'))})")
        return
    if not isinstance(found, list):
        return  # no policy given: KMS applies its default policy (the account root only)
    roots = {ev.account_of(p) for s in found if s.effect == "Allow" for p in s.principals("AWS") if is_root(p)}
    named = {a for s in found if s.effect == "Allow" for p in s.principals("AWS") if (a := ev.account_of(p))}
    # the key's account: the config's, else the one whose root the policy names, else the one it names at all
    home = set(config.get("trustedAccounts") or []) or {a for a in roots if a} or (named if len(named) == 1 else set())
    if len(home) > 1 and not config.get("trustedAccounts"):
        yield Finding(
            r.urn, f"{r.label()}: the roots of {', '.join(sorted(home))} administer the key; name the one account "
            "that owns it in trustedAccounts"
        )  # fmt: skip
    for s in found:
        who = [w for w in open_to_outsiders(s) if not w.endswith("acting for other accounts")]  # KMS-03's
        if who:
            what = "administer" if s.action_set() & ADMIN else "use"
            yield Finding(r.urn, f"{r.label()}: statement {s.label} lets {'; '.join(who)} {what} the key")
    principals = {p for s in found if s.effect == "Allow" for p in s.principals("AWS") if p != "*"}
    # any principal of the account, for statements that grant by a condition rather than by name
    principals |= {f"arn:aws:iam::{a}:role/{ANY_ROLE}" for a in home}
    for principal in sorted(principals):
        account = ev.account_of(principal)
        if is_root(principal) and account in home:
            continue
        admin = _can(found, {"principal_arn": principal if not is_root(principal) else
                             f"arn:aws:iam::{account}:root"}, ADMIN)  # fmt: skip
        if not admin:
            continue
        if account not in home:
            yield Finding(r.urn, f"{r.label()}: {principal}, outside the key's account, may {_shown(admin)}")
        elif not is_root(principal) and (use := _can(found, {"principal_arn": principal}, USE)):
            yield Finding(
                r.urn,
                f"{r.label()}: {_who(principal)} may both administer the key ({_shown(admin)}) and use it "
                f"({_shown(use)}); give key administrators and key users separate statements",
            )
    for service in sorted({p for s in found if s.effect == "Allow" for p in s.principals("Service")}):
        admin = _can(found, {"principal_service": service}, ADMIN)
        if admin:
            yield Finding(r.urn, f"{r.label()}: the service {service} may {_shown(admin)}; services only use keys")
