"""K8S-09: in every zone namespace an enforcing Kyverno rule judges the images of every pod: it selects the zone's
pods with nothing they can escape, validates containers, init and ephemeral containers with failureAction Enforce,
and its pattern has no bare '*' alternative (which admits anything). An exclude block, a PolicyException, a failure
action override, a precondition, a policy that fails open or Kyverno's own resource filters opt pods out of it."""

from collections.abc import Iterator, Mapping
from typing import Any

from framework.kube import zone_namespaces
from framework.kyverno import POLICIES, engine_gaps, exceptions_for, rule_gaps
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import as_list

CONTAINER_LISTS = ("containers", "=(initContainers)", "=(ephemeralContainers)")


def _image_patterns(pattern: Any) -> dict[str, str]:
    spec = pattern.get("spec") if isinstance(pattern, Mapping) else None
    out: dict[str, str] = {}
    for key in CONTAINER_LISTS:
        items = as_list(spec.get(key)) if isinstance(spec, Mapping) else []
        images = [str(c["image"]) for c in items if isinstance(c, Mapping) and isinstance(c.get("image"), str)]
        if images:
            out[key] = images[0]
    return out


def registry_rules(policy: Resource) -> Iterator[Mapping[str, Any]]:
    """Validate rules whose pattern judges the image of every container list, with no '*' alternative."""
    spec = policy.get("spec")
    for rule in as_list(spec.get("rules")) if isinstance(spec, Mapping) else []:
        validate = rule.get("validate") if isinstance(rule, Mapping) else None
        if not isinstance(validate, Mapping):
            continue
        patterns = _image_patterns(validate.get("pattern"))
        if set(patterns) != set(CONTAINER_LISTS):
            continue
        if any(alt.strip() == "*" for p in patterns.values() for alt in p.split("|")):
            continue
        yield rule


def gaps(stack: Stack, namespace: str) -> tuple[bool, list[str]]:
    """(whether some registry rule judges every pod request of `namespace`, how the others fall short)."""
    reasons = []
    for policy in stack.of_type(*POLICIES):
        for rule in registry_rules(policy):
            name = str(rule.get("name", "?"))
            found = rule_gaps(stack, policy, rule, namespace)
            found += [f"{e.label()} excepts it" for e in exceptions_for(stack, policy, name, namespace)]
            if not found:
                return True, []
            reasons.append(f"{policy.label()} rule {name}: {'; '.join(found)}")
    return False, reasons


@stack_rule("approved-registries-enforced", "K8S-09", "Pods pull images from approved registries only")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for ns in sorted(zone_namespaces(stack).values(), key=lambda n: n.name):
        judged, reasons = gaps(stack, ns.name)
        reasons = engine_gaps(stack, ns.name) + ([] if judged else reasons)
        if judged and not reasons:
            continue
        shown = f" ({' | '.join(reasons)})" if reasons else ""
        yield Finding(
            ns.resource.urn,
            f"namespace {ns.name} (zone {ns.zone}): no enforcing Kyverno rule validates the images of every pod "
            f"(containers, init and ephemeral containers) against approved registries{shown}",
        )
