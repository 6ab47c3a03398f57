"""KMS-02 for grants: an aws.kms.Grant opens a key to its grantee whatever the key policy says (KMS honours a grant as
it honours the policy's Allow), so a grant is judged as a key-policy statement would be: it gives use of the key to a
principal of the key's own account only (not another account's, not an AWS service's, not a wildcard), and never
grant administration (CreateGrant lets the grantee hand the key on to anyone).

The key's account is the account of the key's ARN when keyId is one, else the accounts whose roots the stack's key
policies name (the accounts that administer its keys). A grantee computed from a role or user of the stack is of
the account; one computed from anything else is not known yet. Operations are compared without regard to case."""

from collections.abc import Iterator

from framework import evaluator as ev
from framework import types as t
from framework.documents import is_root, statements
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list

ADMINISTRATION = ("creategrant",)
PRINCIPALS = (*t.ROLE, "aws:iam/user:User")


def _home_accounts(stack: Stack, grant: Resource) -> set[str]:
    key = grant.get("keyId")
    if isinstance(key, str) and key.startswith("arn:"):
        account = key.split(":")[4] if key.count(":") >= 5 else ""
        return {account} if account else set()
    out: set[str] = set()
    for holder in (*stack.of_type(*t.KMS_KEYS), *stack.of_type(*t.KMS_KEY_POLICY)):
        found = statements(holder.get("policy"))
        for s in found if isinstance(found, list) else []:
            out |= {a for p in s.principals("AWS") if is_root(p) and (a := ev.account_of(p))}
    return out


def _grantee(stack: Stack, grant: Resource) -> Iterator[Finding]:
    grantee = grant.get("granteePrincipal")
    if grantee is UNKNOWN:
        if not stack.sources(grant, "granteePrincipal", *PRINCIPALS):
            yield Finding(grant.urn, f"{grant.label()}: its grantee is not known yet (not a role or user of the stack)",
                          True)  # fmt: skip
        return
    if not isinstance(grantee, str) or not grantee.startswith("arn:"):
        yield Finding(
            grant.urn,
            f"{grant.label()} gives key {grant.get('keyId')!r} to {grantee!r}, which is no principal of the key's "
            "account (a service or a wildcard); give it to a role of the account",
        )
        return
    home = _home_accounts(stack, grant)
    account = ev.account_of(grantee)
    if not home:
        yield Finding(
            grant.urn,
            f"{grant.label()}: the key's account is not known (keyId is no ARN and no key policy of the stack names "
            f"its account's root), so grantee {grantee} cannot be placed",
            True,
        )
    elif account not in home:
        yield Finding(
            grant.urn,
            f"{grant.label()} gives the key to {grantee}, of account {account}, outside the key's account "
            f"({', '.join(sorted(home))}); only the account's own principals may use its keys",
        )


@stack_rule(
    "kms-grants-stay-in-the-account",
    "KMS-02",
    "KMS grants give use of a key to its own account's principals only",
    subjects=t.KMS_GRANT,
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for grant in stack.of_type(*t.KMS_GRANT):
        operations = grant.get("operations")
        if operations is UNKNOWN or UNKNOWN in as_list(operations):
            yield Finding(grant.urn, f"{grant.label()}: its operations are not known yet", True)
        else:
            admin = sorted({str(o) for o in as_list(operations) if str(o).lower() in ADMINISTRATION})
            if admin:
                yield Finding(grant.urn, f"{grant.label()} lets its grantee {', '.join(admin)}: it could hand the key "
                              "to anyone; grant use operations only (Decrypt, GenerateDataKey...)")  # fmt: skip
        yield from _grantee(stack, grant)
