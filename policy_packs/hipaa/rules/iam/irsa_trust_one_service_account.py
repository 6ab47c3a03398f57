"""IAM-01: a role that trusts a Kubernetes cluster's OIDC issuer (IRSA) admits exactly one ServiceAccount, with
audience sts.

Decided by evaluating the trust policy with web-identity probes (framework.documents.web_identity_trusts): a
token for a ServiceAccount it does not name, and one for the named ServiceAccount with another audience, must
both be refused; `sts:AssumeRoleWith*`, NotAction, upper-case keys and a wildcard principal count for what they
admit. Roles trusting other OIDC issuers (GitHub Actions, a SaaS) or SAML are not IRSA roles.

A created cluster's issuer is unknown until the cluster exists, so in a first preview the trust document of a
workload role is unknown: reported as unverifiable, and decided during the update, when it is known."""

from collections.abc import Iterator

from framework.documents import SA_PREFIX, STRAY_SUBJECT, problem, statements, web_identity_trusts
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import ROLE
from framework.values import UNKNOWN


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
        yield Finding(r.urn, f"{r.label()}: the trust policy is refused by AWS ({problem(r.get('assumeRolePolicy'))})")
    if not isinstance(found, list):
        return
    for trust in web_identity_trusts(found):
        if trust.issuer == "*":
            yield Finding(r.urn, f"{r.label()}: any web identity provider's tokens may assume it; name the cluster's")
            continue
        if not trust.kubernetes:
            continue  # not a cluster's issuer: not an IRSA role
        sids = ", ".join(s.label for s in trust.statements)
        subjects = list(trust.subjects)
        if trust.stray_subject:
            yield Finding(
                r.urn,
                f"{r.label()}: statement {sids} admits ServiceAccounts it does not name (a token for "
                f"{STRAY_SUBJECT} gets in); name one with StringEquals on {trust.issuer}:sub",
            )
        if len(subjects) != 1 or not subjects[0].startswith(SA_PREFIX) or any(ch in subjects[0] for ch in "*?"):
            yield Finding(
                r.urn,
                f"{r.label()}: statement {sids} pins the subject to {subjects or 'nothing'}; name exactly one "
                "system:serviceaccount:<namespace>:<name>",
            )
        if trust.stray_audience:
            yield Finding(
                r.urn, f"{r.label()}: statement {sids} admits tokens of any audience; pin {trust.issuer}:aud to "
                "sts.amazonaws.com"
            )  # fmt: skip
