"""K8S-09: an enforcing admission policy admits zone pods' images from approved registries only.

A Kyverno policy rule that matches Pods, validates the image of containers, init and ephemeral containers
with failureAction Enforce, and whose pattern has no bare '*' alternative (which would admit anything)."""

from collections.abc import Iterator, Mapping
from typing import Any

from framework import types as t
from framework.kube import zone_namespaces
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import as_list, get, strings

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


def enforcing_rules(policy: Resource) -> Iterator[str]:
    spec = policy.get("spec")
    default = spec.get("validationFailureAction") if isinstance(spec, Mapping) else None
    for rule in as_list(spec.get("rules")) if isinstance(spec, Mapping) else []:
        validate = rule.get("validate") if isinstance(rule, Mapping) else None
        if not isinstance(validate, Mapping):
            continue
        action = validate.get("failureAction", default)
        patterns = _image_patterns(validate.get("pattern"))
        kinds = [k for m in as_list(get(rule, "match.any")) if isinstance(m, Mapping)
                 for k in strings(get(m, "resources.kinds"))]  # fmt: skip
        if str(action).lower() != "enforce" or "Pod" not in kinds or set(patterns) != set(CONTAINER_LISTS):
            continue
        if any(alt.strip() == "*" for p in patterns.values() for alt in p.split("|")):
            continue
        yield str(rule.get("name", "?"))


@stack_rule("approved-registries-enforced", "K8S-09", "Pods pull images from approved registries only")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    if any(list(enforcing_rules(p)) for p in stack.of_type(*t.KYVERNO_POLICIES)):
        return
    for ns in zone_namespaces(stack).values():
        yield Finding(
            ns.resource.urn,
            f"namespace {ns.name} (zone {ns.zone}): no enforcing Kyverno policy validates the images of its pods "
            "(containers, init and ephemeral containers) against approved registries",
        )
