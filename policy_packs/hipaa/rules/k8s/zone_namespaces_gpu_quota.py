"""K8S-08: every zone namespace limits the GPUs its pods may request: ResourceQuotas of that namespace (a quota of
another namespace does not count) whose `requests.nvidia.com/gpu` together cover every GPU pod. A quota with scopes
or a scopeSelector counts only for the pods its scopes match, as the quota admission plugin matches them: a GPU pod
is never BestEffort, may or may not set activeDeadlineSeconds (Terminating), name any priority class (or none) and
use cross-namespace affinity or not; some quota must match each such pod."""

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from framework import types as t
from framework.kube import in_namespace, zone_namespaces
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import as_list, strings

GPU_KEY = "requests.nvidia.com/gpu"
OTHER_CLASS = "<another priority class>"


def _scope_matches(scope: str, op: str, values: list[str], pod: dict[str, Any]) -> bool:
    if scope == "PriorityClass":
        cls = pod["class"]  # "" for a pod with none: the quota evaluator reads the class as a label of that value
        return {"In": cls in values, "NotIn": cls not in values, "Exists": cls != "", "DoesNotExist": False}.get(
            op, False
        )
    flag = {
        "Terminating": pod["terminating"],
        "NotTerminating": not pod["terminating"],
        "BestEffort": False,
        "NotBestEffort": True,
        "CrossNamespacePodAffinity": pod["cross"],
    }.get(scope)
    # These scopes take only Exists (API validation); the evaluator reads the scope name alone.
    return bool(flag)


def _selectors(quota: Resource) -> list[tuple[str, str, list[str]]]:
    out: list[tuple[str, str, list[str]]] = [(s, "Exists", []) for s in strings(quota.get("spec.scopes"))]
    for e in as_list(quota.get("spec.scopeSelector.matchExpressions")):
        if isinstance(e, Mapping):
            out.append((str(e.get("scopeName")), str(e.get("operator")), strings(e.get("values"))))
    return out


def matches(quota: Resource, pod: dict[str, Any]) -> bool:
    return all(_scope_matches(s, op, values, pod) for s, op, values in _selectors(quota))


def uncovered(quotas: list[Resource]) -> list[dict[str, Any]]:
    """The kinds of GPU pod no quota on GPUs matches."""
    classes = {"", OTHER_CLASS} | {v for q in quotas for s, _, vs in _selectors(q) if s == "PriorityClass" for v in vs}
    pods = [
        {"terminating": term, "class": cls, "cross": cross}
        for term, cls, cross in itertools.product((False, True), sorted(classes), (False, True))
    ]
    return [p for p in pods if not any(matches(q, p) for q in quotas)]


def _describe(pod: dict[str, Any]) -> str:
    parts = ["with activeDeadlineSeconds" if pod["terminating"] else "without activeDeadlineSeconds"]
    parts.append(f"priority class {pod['class']!r}" if pod["class"] else "no priority class")
    if pod["cross"]:
        parts.append("cross-namespace affinity")
    return ", ".join(parts)


@stack_rule("zone-namespaces-gpu-quota", "K8S-08", "Every zone namespace has a GPU quota")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for ns in zone_namespaces(stack).values():
        quotas = [
            q
            for q in in_namespace(stack, t.RESOURCE_QUOTA, ns.name)
            if isinstance(q.get("spec.hard"), Mapping) and GPU_KEY in q.get("spec.hard")
        ]
        if not quotas:
            yield Finding(ns.resource.urn, f"namespace {ns.name} (zone {ns.zone}) has no ResourceQuota on {GPU_KEY}")
            continue
        missed = uncovered(quotas)
        if missed:
            yield Finding(
                ns.resource.urn,
                f"namespace {ns.name} (zone {ns.zone}): the scopes of its {GPU_KEY} quotas match no GPU pod "
                f"{_describe(missed[0])}{f' (nor {len(missed) - 1} other kinds)' if len(missed) > 1 else ''}: such "
                "pods are not limited; drop the scopes or add a quota for the rest",
            )
