"""K8S-02: every zone namespace has a default-deny NetworkPolicy (all pods, both directions, no rules)."""

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.kube import in_namespace, zone_namespaces
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import strings


def _default_deny(spec: object) -> bool:
    if not isinstance(spec, Mapping):
        return False
    selector = spec.get("podSelector")
    return (
        isinstance(selector, Mapping)
        and not any(selector.get(k) for k in ("matchLabels", "matchExpressions"))
        and {"Ingress", "Egress"} <= set(strings(spec.get("policyTypes")))
        and not spec.get("ingress")
        and not spec.get("egress")
    )


@stack_rule("zone-namespaces-deny-by-default", "K8S-02", "Every zone namespace denies by default")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for ns in zone_namespaces(stack).values():
        if not any(_default_deny(p.get("spec")) for p in in_namespace(stack, t.NETWORK_POLICY, ns.name)):
            yield Finding(ns.resource.urn, f"namespace {ns.name} (zone {ns.zone}) has no default-deny NetworkPolicy")
