"""K8S-10: every zone has its placement admission: a ValidatingAdmissionPolicy (failurePolicy Fail) on pod
creation that checks tolerations and spec.nodeName (and, where the zone has pools, the zone's node
selector), bound with Deny to the zone's namespaces. What the CEL means is tested with the components."""

from collections.abc import Iterator, Mapping
from typing import Any

from framework import types as t
from framework.kube import ZONE_LABEL, zone_namespaces
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import as_list

REQUIRED_TERMS = ("tolerations", "nodeName")


def policy_covers_pods(policy: Resource, operation: str = "CREATE", resource: str = "pods") -> bool:
    rules = as_list(policy.get("spec.matchConstraints.resourceRules"))
    return any(
        isinstance(r, Mapping) and operation in as_list(r.get("operations")) and resource in as_list(r.get("resources"))
        for r in rules
    )


def expressions(policy: Resource) -> str:
    return " ".join(
        str(v.get("expression", "")) for v in as_list(policy.get("spec.validations")) if isinstance(v, Mapping)
    )


def bindings_for(stack: Stack, policy_name: Any) -> list[Resource]:
    return [
        b for b in stack.of_type(*t.VAP_BINDING)
        if b.get("spec.policyName") == policy_name and "Deny" in as_list(b.get("spec.validationActions"))
    ]  # fmt: skip


def selects_zone(binding: Resource, zone: str) -> bool:
    selector = binding.get("spec.matchResources.namespaceSelector")
    if not isinstance(selector, Mapping):
        return False
    labels = selector.get("matchLabels")
    if isinstance(labels, Mapping) and labels.get(ZONE_LABEL) == zone:
        return True
    return any(
        isinstance(e, Mapping) and e.get("key") == ZONE_LABEL and e.get("operator") == "Exists"
        for e in as_list(selector.get("matchExpressions"))
    )


@stack_rule("zones-pinned-to-their-nodes", "K8S-10", "Zones stay on their own nodes")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    placement = [
        p for p in stack.of_type(*t.VAP)
        if p.get("spec.failurePolicy") == "Fail" and policy_covers_pods(p)
        and all(term in expressions(p) for term in REQUIRED_TERMS)
    ]  # fmt: skip
    for ns in sorted(zone_namespaces(stack).values(), key=lambda n: n.name):
        bound = [b for p in placement for b in bindings_for(stack, p.get("metadata.name")) if selects_zone(b, ns.zone)]
        if not bound:
            yield Finding(
                ns.resource.urn,
                f"namespace {ns.name} (zone {ns.zone}) has no placement admission policy bound to it: its pods may "
                "land on any zone's nodes",
            )
