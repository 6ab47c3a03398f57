"""IAM-05: every IRSA role (one that trusts a Kubernetes cluster's OIDC issuer) belongs to a ServiceAccount the
stack creates (annotated with it), to an EKS add-on of the stack, or to a Helm release whose values carry the role's
ARN (both create and annotate their own ServiceAccount); when the trust is known,
it names that ServiceAccount. Roles for other identity providers (GitHub Actions' OIDC, SAML) are not workload
roles."""

from collections.abc import Iterator

from framework import types as t
from framework.documents import statements, web_identity_trusts
from framework.kube import name_of, namespace_of
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN

ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"


def web_identity_subjects(role: Resource) -> list[str] | None:
    """The ServiceAccount subjects an IRSA role admits ('(any)' when it admits ones it does not name); [] for
    other roles; None when the trust is unknown."""
    found = statements(role.get("assumeRolePolicy"))
    if found is UNKNOWN:
        return None
    subjects: list[str] = []
    for trust in web_identity_trusts(found if isinstance(found, list) else []):
        if trust.kubernetes or trust.issuer == "*":
            subjects += list(trust.subjects) + (["(any)"] if trust.stray_subject or not trust.subjects else [])
    return subjects


@stack_rule(
    "iam-workload-roles-have-service-accounts",
    "IAM-05",
    "Every workload role belongs to a ServiceAccount the stack creates",
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    oidc = {p.urn for p in stack.of_type(*t.OIDC_PROVIDER)}
    for role in stack.of_type(*t.ROLE):
        subjects = web_identity_subjects(role)
        unknown_web = subjects is None and oidc & set(role.property_dependencies.get("assumeRolePolicy", []))
        if not subjects and not unknown_web:
            continue
        if stack.users(role.urn, *t.EKS_ADDON, prop="serviceAccountRoleArn"):
            continue  # an EKS add-on's role: the add-on creates and annotates its own ServiceAccount
        if stack.users(role.urn, *t.HELM_RELEASE, prop="values"):
            continue  # a chart's (falcosidekick's config.aws.rolearn): the chart creates and annotates its own
        accounts = stack.users(role.urn, *t.SERVICE_ACCOUNT, prop="metadata")
        if not accounts:
            yield Finding(
                role.urn,
                f"{role.label()} trusts a web identity but no ServiceAccount of this stack names it "
                f"({ROLE_ANNOTATION})",
            )
            continue
        if subjects:
            names = {f"system:serviceaccount:{namespace_of(sa)}:{name_of(sa)}" for sa in accounts}
            stray = [s for s in subjects if s not in names]
            if stray:
                yield Finding(
                    role.urn,
                    f"{role.label()} trusts {', '.join(stray)}, not the ServiceAccount that carries it "
                    f"({', '.join(sorted(names))})",
                )
