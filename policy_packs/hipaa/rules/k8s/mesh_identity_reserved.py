"""K8S-11: a ValidatingAdmissionPolicy (failurePolicy Fail) refuses UID/GID 1337 on pod creation and on debug
containers, bound with Deny to every zone namespace."""

from collections.abc import Iterator

from framework import types as t
from framework.kube import zone_namespaces
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule

from .zones_pinned_to_their_nodes import bindings_for, expressions, policy_covers_pods, selects_zone

MESH_UID = "1337"


@stack_rule("mesh-identity-reserved", "K8S-11", "Workloads cannot take the mesh proxy's identity")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    guards = [
        p for p in stack.of_type(*t.VAP)
        if p.get("spec.failurePolicy") == "Fail" and policy_covers_pods(p)
        and policy_covers_pods(p, "UPDATE", "pods/ephemeralcontainers")
        and all(term in expressions(p) for term in (MESH_UID, "runAsUser", "runAsGroup"))
    ]  # fmt: skip
    for ns in sorted(zone_namespaces(stack).values(), key=lambda n: n.name):
        if not any(selects_zone(b, ns.zone) for p in guards for b in bindings_for(stack, p.get("metadata.name"))):
            yield Finding(
                ns.resource.urn,
                f"namespace {ns.name} (zone {ns.zone}): no admission policy refuses UID/GID {MESH_UID}, so a pod can "
                "leave the mesh by running as the proxy",
            )
