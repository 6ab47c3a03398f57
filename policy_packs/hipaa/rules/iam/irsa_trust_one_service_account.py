"""IAM-01: a role that trusts an OIDC provider trusts exactly one ServiceAccount, with audience sts.

A created cluster's issuer is unknown until the cluster exists, so in a first preview the trust document of a
workload role is unknown: reported as unverifiable, and decided during the update, when it is known."""

from collections.abc import Iterator

from framework.documents import statements
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import ROLE
from framework.values import UNKNOWN, as_list

WEB_IDENTITY = "sts:assumerolewithwebidentity"
SA_PREFIX = "system:serviceaccount:"


@resource_rule(
    "iam-irsa-trust-one-service-account",
    "IAM-01",
    "Workload roles trust exactly one ServiceAccount, with audience sts",
    ROLE,
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    found = statements(r.get("assumeRolePolicy"))
    if found is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: its trust policy is not known yet (a new cluster's OIDC issuer)", True)
        return
    if found is None:
        yield Finding(r.urn, f"{r.label()}: the trust policy is not a valid JSON policy document (AWS would refuse it)")
    if not isinstance(found, list):
        return
    for s in found:
        if s.effect != "Allow" or not s.principals("Federated") or WEB_IDENTITY not in {a.lower() for a in s.actions()}:
            continue
        sid = s.sid or "(no Sid)"
        equals = {k: as_list(v) for k, v in s.conditions().get("StringEquals", {}).items()}
        subs = [v for k, v in equals.items() if k.endswith(":sub")]
        auds = [v for k, v in equals.items() if k.endswith(":aud")]
        wild = [k for op, block in s.conditions().items() if "Like" in op for k in block if k.endswith(":sub")]
        if wild:
            yield Finding(
                r.urn,
                f"{r.label()}: statement {sid} matches the subject with {', '.join(wild)} wildcards; name one "
                "ServiceAccount with StringEquals",
            )
        if len(subs) != 1 or len(subs[0]) != 1 or not str(subs[0][0]).startswith(SA_PREFIX) or "*" in str(subs[0][0]):
            shown = subs[0] if subs else "nothing"
            yield Finding(
                r.urn,
                f"{r.label()}: statement {sid} pins the subject to {shown}; name exactly one "
                "system:serviceaccount:<namespace>:<name>",
            )
        if auds != [["sts.amazonaws.com"]]:
            yield Finding(r.urn, f"{r.label()}: statement {sid} does not pin the audience to sts.amazonaws.com")
