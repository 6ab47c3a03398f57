"""MESH-02 (stack): every zone namespace denies by default: an allow-nothing AuthorizationPolicy (or a deny-all)
for the whole namespace, its own or one in Istio's root namespace (which applies to every namespace)."""

from collections.abc import Iterator, Mapping
from typing import Any

from framework import types as t
from framework.kube import MESH_ROOT_CONFIG, dry_run, in_namespace, zone_namespaces
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING, UNKNOWN, as_list


def denies_by_default(spec: Any) -> bool:
    """A policy for every workload of its namespace (no selector, targetRef or targetRefs) that leaves only what
    other ALLOW policies name: ALLOW with no rules (it matches nothing, so every request without another ALLOW
    match is refused), or DENY with an empty rule (it matches every request)."""
    if spec in (MISSING, None):
        return True
    if not isinstance(spec, Mapping) or _undecided(spec):
        return False
    if any(spec.get(k) for k in ("selector", "targetRef", "targetRefs")):
        return False
    action, rules = spec.get("action") or "ALLOW", as_list(spec.get("rules"))
    if action == "ALLOW":
        return not rules
    return action == "DENY" and not spec.get("provider") and any(r == {} for r in rules)


def _undecided(spec: Any) -> bool:
    """Whether what decides `denies_by_default` is not known yet (in a first preview)."""
    if spec is UNKNOWN:
        return True
    if not isinstance(spec, Mapping):
        return False
    fields = ("selector", "targetRef", "targetRefs", "action", "provider", "rules")
    return any(spec.get(k) is UNKNOWN for k in fields) or any(r is UNKNOWN for r in as_list(spec.get("rules")))


@stack_rule(
    "authorization-allows-nothing-by-default",
    "MESH-02",
    "Every zone namespace allows nothing it does not name",
    config=MESH_ROOT_CONFIG,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    root = str(config.get("meshRootNamespace") or "istio-system")
    mesh_wide = in_namespace(stack, t.AUTHORIZATION_POLICY, root)
    for ns in zone_namespaces(stack).values():
        policies: list[Resource] = [*in_namespace(stack, t.AUTHORIZATION_POLICY, ns.name), *mesh_wide]
        if any(denies_by_default(p.get("spec")) and not dry_run(p) for p in policies):
            continue
        unknown = [p.label() for p in policies if _undecided(p.get("spec"))]
        # a dry-run policy only logs what it would refuse (istio.io/dry-run): it denies nothing
        dry = [p.label() for p in policies if dry_run(p) and denies_by_default(p.get("spec"))]
        yield Finding(
            ns.resource.urn,
            f"namespace {ns.name} (zone {ns.zone}) has no allow-nothing AuthorizationPolicy (spec: {{}}) of its own "
            f"or in the mesh root namespace {root}"
            + (f"; not known yet: {', '.join(unknown)}" if unknown else "")
            + (f"; in dry-run (istio.io/dry-run), which enforces nothing: {', '.join(dry)}" if dry else ""),
            bool(unknown),
        )
