"""K8S-13: every namespace the stack creates, and every workload it declares, is in a trust zone, an agent or a
system namespace (pack config); and an admission policy refuses pods in every other namespace, exempting no more
than the pack config lists."""

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.kube import (
    NAMESPACE_CLASS_CONFIG,
    NAMESPACE_NAME_LABEL,
    ZONE_LABEL,
    name_of,
    namespace_class,
    namespace_of,
    selector_matches,
    zone_namespaces,
)
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import as_list

from .admission_guards import guards

WORKLOADS = tuple(
    t.k8s(api, kind)
    for api, kind in (
        ("v1", "Pod"),
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("apps/v1", "ReplicaSet"),
        ("batch/v1", "Job"),
        ("batch/v1", "CronJob"),
    )
)
PROBE = "enclave-probe-unclassified"


def _refuses_all(policy: Resource) -> bool:
    return any(
        isinstance(v, Mapping) and str(v.get("expression", "")).strip() == "false"
        for v in as_list(policy.get("spec.validations"))
    )


def _exempted(selector: object) -> list[str]:
    if not isinstance(selector, Mapping):
        return []
    return [
        str(v)
        for e in as_list(selector.get("matchExpressions"))
        if isinstance(e, Mapping) and e.get("key") == NAMESPACE_NAME_LABEL and e.get("operator") == "NotIn"
        for v in as_list(e.get("values"))
    ]


@stack_rule(
    "namespaces-inside-trust-zones",
    "K8S-13",
    "No namespace and no workload outside the trust zones",
    config=NAMESPACE_CLASS_CONFIG,
    subjects=t.NAMESPACE + WORKLOADS,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    zones = zone_namespaces(stack)
    for ns in stack.of_type(*t.NAMESPACE):
        name = name_of(ns)
        if isinstance(name, str) and namespace_class(name, zones, config) is None:
            yield Finding(
                ns.urn,
                f"namespace {name} is outside every trust zone: label it a zone's "
                f"({ZONE_LABEL}) or list it in the pack config's systemNamespaces or agentNamespaces",
            )
    for w in stack.of_type(*WORKLOADS):
        where = namespace_of(w) or "default"
        if namespace_class(where, zones, config) is None:
            yield Finding(w.urn, f"{w.label()} is in namespace {where}, outside every trust zone")
    if not zones:
        return
    listed = set(config.get("agentNamespaces") or []) | set(config.get("systemNamespaces") or [])
    listed |= set(config.get("detectionNamespaces") or [])
    ok = False
    for p in [p for p in guards(stack, ()) if _refuses_all(p)]:
        for b in stack.of_type(*t.VAP_BINDING):
            selector = b.get("spec.matchResources.namespaceSelector")
            if b.get("spec.policyName") != p.get("metadata.name") or "Deny" not in as_list(
                b.get("spec.validationActions")
            ):
                continue
            if not selector_matches(selector, {NAMESPACE_NAME_LABEL: PROBE}):
                continue
            extra = sorted(set(_exempted(selector)) - listed)
            if extra:
                yield Finding(
                    b.urn,
                    f"{b.label()} exempts {', '.join(extra)}, which the pack config lists as no "
                    "system or agent namespace: pods there escape every zone's admission",
                )
            else:
                ok = True
    if not ok:
        first = sorted(zones.values(), key=lambda n: n.name)[0]
        yield Finding(
            first.resource.urn,
            f"namespace {first.name} and every other zone's: no admission policy (failurePolicy Fail, Deny) refuses "
            "pods in namespaces "
            "outside the trust zones: a new unlabelled namespace admits privileged, root "
            "pods that tolerate any pool",
        )
