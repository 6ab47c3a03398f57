"""Admission policies found by what they judge (resources, operations, terms of their CEL) and the namespaces
their Deny bindings select, as the API server matches them (label selectors on the namespace's labels)."""

from collections.abc import Iterable, Mapping

from framework import types as t
from framework.kube import namespace_labels, selector_matches
from framework.model import Resource, Stack
from framework.values import MISSING, as_list

WORKLOAD_RESOURCES = ("deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs")


def covers(policy: Resource, resource: str, *operations: str) -> bool:
    rules = [r for r in as_list(policy.get("spec.matchConstraints.resourceRules")) if isinstance(r, Mapping)]
    return all(
        any(resource in as_list(r.get("resources")) and op in as_list(r.get("operations")) for r in rules)
        for op in operations
    )


def text(policy: Resource) -> str:
    parts = [policy.get("spec.variables"), policy.get("spec.validations")]
    return " ".join(str(p) for p in parts)


def guards(stack: Stack, terms: Iterable[str], resources: Iterable[str] = ("pods",)) -> list[Resource]:
    """ValidatingAdmissionPolicies that fail closed (Fail, the default), judge CREATE of every resource given and
    whose CEL mentions every term."""
    wanted = list(terms)
    return [
        p
        for p in stack.of_type(*t.VAP)
        if p.get("spec.failurePolicy") in ("Fail", None, MISSING)
        and all(covers(p, r, "CREATE") for r in resources)
        and all(term in text(p) for term in wanted)
    ]


def bound_to(stack: Stack, policies: Iterable[Resource], namespace: str) -> list[Resource]:
    """The policies of `policies` a Deny binding applies to pods of `namespace`."""
    labels = namespace_labels(stack, namespace)
    names = {str(p.get("metadata.name")): p for p in policies if isinstance(p.get("metadata.name"), str)}
    out = []
    for b in stack.of_type(*t.VAP_BINDING):
        policy_name = b.get("spec.policyName")
        if "Deny" not in as_list(b.get("spec.validationActions")) or not isinstance(policy_name, str):
            continue
        if policy_name not in names:
            continue
        selector = b.get("spec.matchResources.namespaceSelector")
        if selector is None or selector is MISSING:  # no selector: every namespace
            selector = {}
        if selector_matches(selector, labels):
            out.append(names[policy_name])
    return out
