"""K8S-11: a ValidatingAdmissionPolicy that fails closed refuses UID/GID 1337 on pod creation and on debug
containers, bound with Deny and no opt-out to every zone namespace."""

from collections.abc import Iterator

from framework.kube import zone_namespaces
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule

from .admission_guards import bound_to, covers, guards, why_not

MESH_UID = "1337"
TERMS = (MESH_UID, "runAsUser", "runAsGroup")


@stack_rule("mesh-identity-reserved", "K8S-11", "Workloads cannot take the mesh proxy's identity")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    policies = [p for p in guards(stack, TERMS) if covers(p, "pods/ephemeralcontainers", "UPDATE")]
    for ns in sorted(zone_namespaces(stack).values(), key=lambda n: n.name):
        if not bound_to(stack, policies, ns.name):
            yield Finding(
                ns.resource.urn,
                f"namespace {ns.name} (zone {ns.zone}): no admission policy refuses UID/GID {MESH_UID} on pods and "
                "debug containers, so a pod can leave the mesh by running as the proxy"
                + why_not(stack, TERMS, ns.name),
            )
