"""Whether a Kyverno validate rule judges every pod request of a namespace, as Kyverno matches them: its match (any,
all, the legacy form) must select pods there with no narrowing a pod or requester can escape (names, pod labels or
annotations, users, roles, operations); nothing may take them out again (exclude blocks, preconditions, failure
action overrides to Audit, a policy failing open, webhook match conditions, a namespaced Policy elsewhere, a
PolicyException, Kyverno's own resource filters and webhook namespace selector)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any

from .kube import namespace_labels, selector_matches
from .model import Resource, Stack
from .types import k8s
from .values import as_list, strings
from .workloads import HELM, chart_name, mapping

POLICIES = (k8s("kyverno.io/v1", "ClusterPolicy"), k8s("kyverno.io/v1", "Policy"),
            k8s("kyverno.io/v2beta1", "ClusterPolicy"), k8s("kyverno.io/v2beta1", "Policy"))  # fmt: skip
EXCEPTIONS = tuple(k8s(f"kyverno.io/{v}", "PolicyException") for v in ("v2", "v2beta1", "v2alpha1"))
NARROWING = {
    "names": "named pods only",
    "name": "one named pod only",
    "selector": "pods with given labels only",
    "annotations": "pods with given annotations only",
}
REQUESTERS = ("subjects", "roles", "clusterRoles")


def _filters(block: Any) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """(any, all) resource filters of a match or exclude block; the legacy form (resources/subjects at the top) is
    one filter of `all`."""
    block = mapping(block)
    anys = [f for f in as_list(block.get("any")) if isinstance(f, Mapping)]
    alls = [f for f in as_list(block.get("all")) if isinstance(f, Mapping)]
    if any(k in block for k in ("resources", *REQUESTERS)):
        alls.append(block)
    return anys, alls


def _kinds_pod(resources: Mapping[str, Any]) -> bool:
    return any(k.split("/")[-1] in ("Pod", "*") or k == "*" for k in strings(resources.get("kinds")))


def _in_namespace(stack: Stack, resources: Mapping[str, Any], namespace: str) -> bool:
    names = strings(resources.get("namespaces"))
    if names and not any(fnmatch.fnmatchcase(namespace, p) for p in names):
        return False
    selector = resources.get("namespaceSelector")
    return selector is None or selector_matches(selector, namespace_labels(stack, namespace))


def touches(stack: Stack, f: Mapping[str, Any], namespace: str) -> bool:
    """A filter can match some pod request in `namespace`."""
    resources = mapping(f.get("resources"))
    if "resources" in f and not _kinds_pod(resources):
        return False
    ops = strings(resources.get("operations"))
    return (not ops or "CREATE" in ops) and _in_namespace(stack, resources, namespace)


def narrowing(f: Mapping[str, Any]) -> list[str]:
    """How a filter selects only some pod requests."""
    resources = mapping(f.get("resources"))
    out = [why for key, why in NARROWING.items() if resources.get(key)]
    out += [f"requests by given {k} only" for k in REQUESTERS if as_list(f.get(k))]
    ops = strings(resources.get("operations"))
    if ops and "CREATE" not in ops:
        out.append(f"operations {ops} only")
    return out


def match_gaps(stack: Stack, match: Any, namespace: str) -> list[str]:
    """How a rule's match leaves pod requests of `namespace` out ([] when it selects them all)."""
    anys, alls = _filters(match)
    if alls:
        if not all(touches(stack, f, namespace) for f in alls):
            return ["its match does not select pods in this namespace"]
        gaps = [g for f in alls for g in narrowing(f)]
        return [f"its match selects {'; '.join(gaps)}"] if gaps else []
    full = [f for f in anys if touches(stack, f, namespace) and "resources" in f and not narrowing(f)]
    if full:
        return []
    partial = [g for f in anys if touches(stack, f, namespace) for g in narrowing(f)]
    return [f"its match selects {'; '.join(partial)}"] if partial else ["its match does not select pods here"]


def exclude_gaps(stack: Stack, exclude: Any, namespace: str) -> list[str]:
    """Pod requests of `namespace` an exclude block takes out (any narrowing is one a pod or requester can use)."""
    anys, alls = _filters(exclude)
    if alls and all(touches(stack, f, namespace) for f in alls):
        return [f"an exclude block spares {'; '.join(g for f in alls for g in narrowing(f)) or 'every pod here'}"]
    hits = [f for f in anys if touches(stack, f, namespace)]
    return [f"an exclude block spares {'; '.join(narrowing(f)) or 'every pod here'}" for f in hits]


def _overridden(stack: Stack, overrides: Any, namespace: str) -> bool:
    for o in as_list(overrides):
        if not isinstance(o, Mapping) or str(o.get("action", "")).lower() == "enforce":
            continue
        names = strings(o.get("namespaces"))
        selector = o.get("namespaceSelector")
        by_name = any(fnmatch.fnmatchcase(namespace, p) for p in names)
        by_labels = selector is not None and selector_matches(selector, namespace_labels(stack, namespace))
        if by_name or by_labels:
            return True
    return False


def rule_gaps(stack: Stack, policy: Resource, rule: Mapping[str, Any], namespace: str) -> list[str]:
    """Every way `rule` of `policy` leaves pod requests of `namespace` unjudged or only audited."""
    spec = mapping(policy.get("spec"))
    out = []
    if policy.type in POLICIES[1::2] and policy.get("metadata.namespace") != namespace:
        out.append("a namespaced Policy of another namespace")
    validate = mapping(rule.get("validate"))
    action = validate.get("failureAction", spec.get("validationFailureAction", "Audit"))
    if str(action).lower() != "enforce":
        out.append(f"failure action {action} (audit only)")
    if _overridden(stack, spec.get("validationFailureActionOverrides"), namespace) or _overridden(
        stack, validate.get("failureActionOverrides"), namespace
    ):
        out.append("a failure action override audits this namespace only")
    failure = mapping(spec.get("webhookConfiguration")).get("failurePolicy", spec.get("failurePolicy", "Fail"))
    if str(failure) != "Fail":
        out.append(f"failurePolicy {failure} (fails open)")
    if as_list(mapping(spec.get("webhookConfiguration")).get("matchConditions")):
        out.append("webhook matchConditions let requests skip it")
    if rule.get("preconditions") or rule.get("celPreconditions"):
        out.append("preconditions let requests skip it")
    out += match_gaps(stack, rule.get("match"), namespace)
    out += exclude_gaps(stack, rule.get("exclude"), namespace)
    return out


def exceptions_for(stack: Stack, policy: Resource, rule: str, namespace: str) -> Iterator[Resource]:
    """PolicyExceptions that except `rule` of `policy` for some pod request of `namespace`."""
    name = str(policy.get("metadata.name"))
    if policy.type in POLICIES[1::2]:
        name = f"{policy.get('metadata.namespace')}/{name}"
    for e in stack.of_type(*EXCEPTIONS):
        named = [
            x
            for x in as_list(e.get("spec.exceptions"))
            if isinstance(x, Mapping)
            and fnmatch.fnmatchcase(name, str(x.get("policyName")))
            and any(fnmatch.fnmatchcase(rule, p) for p in strings(x.get("ruleNames")))
        ]
        anys, alls = _filters(e.get("spec.match"))
        if named and (
            any(touches(stack, f, namespace) for f in anys)
            or (alls and all(touches(stack, f, namespace) for f in alls))
        ):
            yield e


def engine_gaps(stack: Stack, namespace: str) -> list[str]:
    """Kyverno's own configuration (chart values) that keeps pod requests of `namespace` from every policy: a
    resource filter `[Pod|*,<namespace>,*]`, or a webhook namespace selector it does not match."""
    out = []
    for release in stack.of_type(*HELM):
        if chart_name(release) != "kyverno" or not isinstance(release.get("values"), Mapping):
            continue
        config = mapping(mapping(release.get("values")).get("config"))
        for entry in strings(config.get("resourceFilters")):
            parts = [p.strip() for p in entry.strip("[]").split(",")]
            kind_ok = len(parts) >= 2 and parts[0].split("/")[-1] in ("Pod", "*")
            if kind_ok and fnmatch.fnmatchcase(namespace, parts[1]):
                out.append(f"{release.label()}: config.resourceFilters {entry} spares this namespace")
        for hook in as_list(config.get("webhooks")):
            selector = mapping(hook).get("namespaceSelector")
            if selector is not None and not selector_matches(selector, namespace_labels(stack, namespace)):
                out.append(f"{release.label()}: config.webhooks namespaceSelector {selector} spares this namespace")
    return out
