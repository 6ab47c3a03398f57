"""K8S-13: every namespace the stack creates, and every workload it declares, is in a trust zone, an agent or a
system namespace (pack config); and an admission policy refuses pods in every other namespace, exempting no more
than the pack config lists."""

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.kube import (
    NAMESPACE_CLASS_CONFIG,
    NAMESPACE_NAME_LABEL,
    ZONE_LABEL,
    namespace_class,
    zone_namespaces,
)
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list
from framework.workloads import HELM, WORKLOAD_TYPES, helm_namespace, namespace, objects, workloads

from .admission_guards import binding_gaps, bindings_of, guards, why_not

WORKLOADS = WORKLOAD_TYPES
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
    subjects=t.NAMESPACE + WORKLOADS + HELM,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    zones = zone_namespaces(stack)
    outside = (
        f"outside every trust zone: label it a zone's ({ZONE_LABEL}) or list it in the pack config's "
        "systemNamespaces or agentNamespaces"
    )
    for obj in objects(stack):
        if obj.kind == "Namespace" and obj.group == "core":
            name = obj.name
            if isinstance(name, str) and namespace_class(name, zones, config) is None:
                yield Finding(obj.urn, f"{obj.label()}: namespace {name} is {outside}")
    for w in workloads(stack):
        where = namespace(w, stack)
        if where is UNKNOWN:
            yield Finding(w.urn, f"{w.label()}: its namespace is not known yet", True)
        elif namespace_class(str(where), zones, config) is None:
            yield Finding(w.urn, f"{w.label()} is in namespace {where}, {outside}")
    for release in stack.of_type(*HELM):
        where = helm_namespace(release)
        if where is UNKNOWN:
            yield Finding(release.urn, f"{release.label()}: the namespace it installs into is not known yet", True)
        elif namespace_class(str(where), zones, config) is None:
            made = " (and creates it)" if release.get("createNamespace") is True else ""
            yield Finding(release.urn, f"{release.label()} installs into namespace {where}{made}, {outside}")
    if not zones:
        return
    listed = set(config.get("agentNamespaces") or []) | set(config.get("systemNamespaces") or [])
    listed |= set(config.get("detectionNamespaces") or [])
    ok = False
    for p in [p for p in guards(stack, ()) if _refuses_all(p)]:
        for b in bindings_of(stack, p):
            if binding_gaps(stack, b, p, PROBE):
                continue
            extra = sorted(set(_exempted(b.get("spec.matchResources.namespaceSelector"))) - listed)
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
            "pods that tolerate any pool" + why_not(stack, (), PROBE, keep=_refuses_all),
        )
