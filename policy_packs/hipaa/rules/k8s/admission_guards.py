"""Admission policies found by what they judge (resources, operations, terms of their CEL) and the namespaces their
Deny bindings select, as the API server matches them; every way a policy or binding opts requests out of judgement
(failurePolicy Ignore, matchConditions, object selectors, excluded or named resources, cluster scope, a namespace
selector, validation actions without Deny) keeps it from counting, and is said in the finding."""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from framework import types as t
from framework.kube import namespace_labels, selector_matches
from framework.model import Resource, Stack
from framework.values import MISSING, as_list, strings

WORKLOAD_RESOURCES = ("deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs")
# The API group of each resource the guards judge.
GROUPS = {"pods": "", "pods/ephemeralcontainers": "", "jobs": "batch", "cronjobs": "batch"}
GROUPS.update({r: "apps" for r in ("deployments", "statefulsets", "daemonsets", "replicasets")})


def _rule_matches(rule: Mapping[str, Any], resource: str, operation: str) -> bool:
    groups, resources, operations = (strings(rule.get(k)) for k in ("apiGroups", "resources", "operations"))
    group = GROUPS.get(resource, "")
    return (
        ("*" in groups or group in groups or (not groups and group == ""))
        and ("*" in resources or resource in resources or ("*/*" in resources and "/" in resource))
        and ("*" in operations or operation in operations)
    )


def _matched(rules: Any, resource: str, operation: str) -> list[Mapping[str, Any]]:
    return [r for r in as_list(rules) if isinstance(r, Mapping) and _rule_matches(r, resource, operation)]


def covers(policy: Resource, resource: str, *operations: str) -> bool:
    """The policy's resourceRules match every operation on `resource` (whatever its other weaknesses)."""
    rules = policy.get("spec.matchConstraints.resourceRules")
    return all(_matched(rules, resource, op) for op in operations)


def text(policy: Resource) -> str:
    parts = [policy.get("spec.variables"), policy.get("spec.validations")]
    return " ".join(str(p) for p in parts)


def _selects_everything(selector: Any) -> bool:
    return selector in (None, MISSING) or (
        isinstance(selector, Mapping) and not selector.get("matchLabels") and not selector.get("matchExpressions")
    )


def _resource_gaps(match: Any, resources: Iterable[str], what: str) -> list[str]:
    """How a matchConstraints / matchResources leaves `resources` out: excluded, named objects only, cluster scope,
    an object selector."""
    if not isinstance(match, Mapping):
        return []
    out = []
    for resource in resources:
        for op in ("CREATE",):
            if _matched(match.get("excludeResourceRules"), resource, op):
                out.append(f"{what} excludes {resource}")
            rules = _matched(match.get("resourceRules"), resource, op)
            if as_list(match.get("resourceRules")) and not rules:
                out.append(f"{what} does not match {resource}")
            if rules and all(strings(r.get("resourceNames")) for r in rules):
                out.append(f"{what} judges only named {resource}")
            if rules and all(r.get("scope") == "Cluster" for r in rules):
                out.append(f"{what} judges {resource} at cluster scope only (namespaced objects skip it)")
    if not _selects_everything(match.get("objectSelector")):
        out.append(f"{what} has an objectSelector ({match.get('objectSelector')}): objects without its labels skip it")
    return out


def weaknesses(policy: Resource, resources: Iterable[str] = ("pods",)) -> list[str]:
    """How a ValidatingAdmissionPolicy lets requests through unjudged, whatever its bindings."""
    out = []
    failure = policy.get("spec.failurePolicy")
    if failure not in ("Fail", None, MISSING):
        out.append(f"failurePolicy {failure} (it admits what it cannot evaluate)")
    if as_list(policy.get("spec.matchConditions")):
        out.append("matchConditions let requests skip it")
    out += _resource_gaps(policy.get("spec.matchConstraints"), resources, "its matchConstraints")
    return out


def candidates(stack: Stack, terms: Iterable[str], resources: Iterable[str] = ("pods",)) -> list[Resource]:
    """ValidatingAdmissionPolicies whose rules match CREATE of every resource given and whose CEL mentions every
    term, whatever their weaknesses."""
    wanted, needed = list(terms), list(resources)
    return [
        p
        for p in stack.of_type(*t.VAP)
        if all(covers(p, r, "CREATE") for r in needed) and all(term in text(p) for term in wanted)
    ]


def guards(stack: Stack, terms: Iterable[str], resources: Iterable[str] = ("pods",)) -> list[Resource]:
    """The candidates that judge every such request they match (no weakness)."""
    needed = list(resources)
    return [p for p in candidates(stack, terms, needed) if not weaknesses(p, needed)]


def binding_gaps(stack: Stack, binding: Resource, policy: Resource, namespace: str,
                 resources: Iterable[str] = ("pods",)) -> list[str]:  # fmt: skip
    """How a binding leaves requests in `namespace` unjudged by `policy`."""
    out = []
    actions = strings(binding.get("spec.validationActions"))
    if "Deny" not in actions:
        out.append(f"{binding.label()} only {'/'.join(actions) or 'takes no action'} (no Deny)")
    labels = namespace_labels(stack, namespace)
    for what, selector in (
        (binding.label(), binding.get("spec.matchResources.namespaceSelector")),
        (policy.label(), policy.get("spec.matchConstraints.namespaceSelector")),
    ):
        if selector is not None and selector is not MISSING and not selector_matches(selector, labels):
            out.append(f"{what} selects namespaces {selector}, which {namespace} does not match")
    out += _resource_gaps(binding.get("spec.matchResources"), resources, binding.label())
    return out


def bindings_of(stack: Stack, policy: Resource) -> list[Resource]:
    name = policy.get("metadata.name")
    return [b for b in stack.of_type(*t.VAP_BINDING) if isinstance(name, str) and b.get("spec.policyName") == name]


def bound_to(stack: Stack, policies: Iterable[Resource], namespace: str,
             resources: Iterable[str] = ("pods",)) -> list[Resource]:  # fmt: skip
    """The policies of `policies` a binding applies, with Deny and no opt-out, to `resources` in `namespace`."""
    needed = list(resources)
    return [p for p in policies if any(not binding_gaps(stack, b, p, namespace, needed) for b in bindings_of(stack, p))]


def _binds_here(binding: Resource, labels: Mapping[str, Any]) -> bool:
    selector = binding.get("spec.matchResources.namespaceSelector")
    return selector is None or selector is MISSING or selector_matches(selector, labels)


def why_not(
    stack: Stack,
    terms: Iterable[str],
    namespace: str,
    resources: Iterable[str] = ("pods",),
    keep: Callable[[Resource], bool] = lambda _p: True,
) -> str:
    """For a finding: the policies (of those `keep` keeps) that judge this but let `namespace`'s requests through, and
    how ('' if none)."""
    needed = list(resources)
    reasons = []
    labels = namespace_labels(stack, namespace)
    for p in [p for p in candidates(stack, terms, needed) if keep(p)]:
        bindings = bindings_of(stack, p)
        # Bindings of other namespaces (another zone's policy) say nothing about this one.
        here = [b for b in bindings if _binds_here(b, labels)]
        if bindings and not here:
            continue
        found = weaknesses(p, needed) + [g for b in here for g in binding_gaps(stack, b, p, namespace, needed)]
        if not bindings:
            found.append("it has no binding")
        if found:
            reasons.append(f"{p.label()}: {'; '.join(found)}")
    return f" ({' | '.join(reasons)})" if reasons else ""
