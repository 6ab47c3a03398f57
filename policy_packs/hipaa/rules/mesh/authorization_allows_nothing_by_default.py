"""MESH-02 (stack): every zone namespace has an allow-nothing AuthorizationPolicy (empty spec)."""

from collections.abc import Iterator

from framework import types as t
from framework.kube import in_namespace, zone_namespaces
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING


@stack_rule(
    "authorization-allows-nothing-by-default", "MESH-02", "Every zone namespace allows nothing it does not name"
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for ns in zone_namespaces(stack).values():
        policies = in_namespace(stack, t.AUTHORIZATION_POLICY, ns.name)
        if not any(p.get("spec") in (MISSING, None, {}) for p in policies):
            yield Finding(
                ns.resource.urn,
                f"namespace {ns.name} (zone {ns.zone}) has no allow-nothing AuthorizationPolicy (spec: {{}})",
            )
