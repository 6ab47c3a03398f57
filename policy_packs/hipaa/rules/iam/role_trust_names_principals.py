"""IAM-10: every role's trust policy names who may assume it: no '*' principal, no NotPrincipal in an Allow.

Any role, not only workload (IRSA) roles: a trust that admits `Principal: "*"` (or `{"AWS": "*"}`) lets any AWS
principal of any account ask for the role's credentials, and a condition narrows that only as far as the
condition goes; `NotPrincipal` in an Allow admits everyone it does not list. Deny statements grant nothing and
are left alone. A trust not known yet (a first preview) is unverifiable, never passed.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from framework.documents import Statement, statements
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import ROLE
from framework.values import MISSING, UNKNOWN, as_list


def _wildcards(principal: Any) -> list[str]:
    """Every principal value that admits more than one named principal ('*', or a pattern with '*')."""
    if principal == "*":
        return ["*"]
    if not isinstance(principal, Mapping):
        return []
    return [
        f"{kind}: {value}"
        for kind, values in principal.items()
        for value in as_list(values)
        if isinstance(value, str) and "*" in value
    ]


def _statement(r: Resource, s: Statement) -> Iterator[Finding]:
    sid = s.sid or "(no Sid)"
    if "NotPrincipal" in s.raw:
        yield Finding(
            r.urn,
            f"{r.label()}: trust statement {sid} allows with NotPrincipal, which admits every principal it does not "
            "list; name who may assume the role with Principal",
        )
        return
    principal = s.raw.get("Principal", MISSING)
    if principal is UNKNOWN or (isinstance(principal, Mapping) and UNKNOWN in principal.values()):
        yield Finding(r.urn, f"{r.label()}: trust statement {sid} names principals not known yet", True)
        return
    if principal is MISSING:
        yield Finding(r.urn, f"{r.label()}: trust statement {sid} names no Principal (AWS would refuse it)")
        return
    wild = _wildcards(principal)
    if wild:
        yield Finding(
            r.urn,
            f"{r.label()}: trust statement {sid} admits {', '.join(wild)}: any principal may ask to assume the role "
            "(conditions only narrow it); name the accounts, roles, services or OIDC provider in Principal",
        )


@resource_rule(
    "iam-role-trust-names-principals",
    "IAM-10",
    "Every role's trust names who may assume it",
    ROLE,
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    found = statements(r.get("assumeRolePolicy"))
    if found is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: its trust policy is not known yet", True)
        return
    if found is MISSING:
        yield Finding(r.urn, f"{r.label()}: it has no trust policy (assume_role_policy); AWS requires one")
        return
    if not isinstance(found, list):
        yield Finding(r.urn, f"{r.label()}: the trust policy is not a valid JSON policy document (AWS would refuse it)")
        return
    for s in found:
        if s.effect == "Allow":
            yield from _statement(r, s)
