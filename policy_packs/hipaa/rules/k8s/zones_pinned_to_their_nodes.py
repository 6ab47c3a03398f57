"""K8S-10: every zone has its placement admission: a ValidatingAdmissionPolicy that fails closed on pod creation,
checks tolerations and spec.nodeName (and, where the zone has pools, the zone's node selector), bound with Deny and
no opt-out to each of the zone's namespaces. What the CEL means is tested with the components."""

from collections.abc import Iterator

from framework.kube import zone_namespaces
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule

from .admission_guards import bound_to, guards, why_not

REQUIRED_TERMS = ("tolerations", "nodeName")


@stack_rule("zones-pinned-to-their-nodes", "K8S-10", "Zones stay on their own nodes")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    placement = guards(stack, REQUIRED_TERMS)
    for ns in sorted(zone_namespaces(stack).values(), key=lambda n: n.name):
        if not bound_to(stack, placement, ns.name):
            yield Finding(
                ns.resource.urn,
                f"namespace {ns.name} (zone {ns.zone}) has no placement admission policy bound to it: its pods may "
                f"land on any zone's nodes{why_not(stack, REQUIRED_TERMS, ns.name)}",
            )
