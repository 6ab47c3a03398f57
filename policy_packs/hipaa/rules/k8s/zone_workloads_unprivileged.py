"""K8S-14: in every zone namespace an admission policy that fails closed refuses containers that could change
their UID after admission (to the mesh proxy's 1337): root, privilege escalation, SETUID/SETGID kept; and no
workload the stack declares in a zone, or in a namespace outside every zone (judged strictly), runs a container
that way."""

from collections.abc import Iterator, Mapping
from typing import Any

from framework.kube import NAMESPACE_CLASS_CONFIG, judged_workloads, zone_namespaces
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import as_list
from framework.workloads import WORKLOAD_TYPES, containers, mapping, pod_template

from .admission_guards import WORKLOAD_RESOURCES, bound_to, guards, why_not

TERMS = ("runAsNonRoot", "allowPrivilegeEscalation", "SETUID")
RESOURCES = ("pods", *WORKLOAD_RESOURCES)


def unprivileged(spec: Mapping[str, Any], c: Mapping[str, Any]) -> bool:
    pod_sc, sc = mapping(spec.get("securityContext")), mapping(c.get("securityContext"))
    user = sc.get("runAsUser", pod_sc.get("runAsUser"))
    non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True and user != 0
    caps = mapping(sc.get("capabilities"))
    drop = {str(x).upper().removeprefix("CAP_") for x in as_list(caps.get("drop"))}
    add = {str(x).upper().removeprefix("CAP_") for x in as_list(caps.get("add"))}
    dropped = "ALL" in drop or {"SETUID", "SETGID"} <= drop
    return (
        non_root and sc.get("allowPrivilegeEscalation") is False and dropped and not add & {"ALL", "SETUID", "SETGID"}
    )


@stack_rule(
    "zone-workloads-unprivileged",
    "K8S-14",
    "Zone workloads run non-root, without escalation or SETUID/SETGID",
    config=NAMESPACE_CLASS_CONFIG,
    subjects=WORKLOAD_TYPES,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    policies = guards(stack, TERMS, RESOURCES)
    for ns in sorted(zone_namespaces(stack).values(), key=lambda n: n.name):
        if not bound_to(stack, policies, ns.name, RESOURCES):
            yield Finding(
                ns.resource.urn,
                f"namespace {ns.name} (zone {ns.zone}): no admission policy refuses root, "
                "privilege escalation and SETUID/SETGID for pods and workloads: a container could switch "
                "to the mesh proxy's UID 1337 after admission" + why_not(stack, TERMS, ns.name, RESOURCES),
            )
    for w, where in judged_workloads(stack, config):
        _, spec = pod_template(w)
        for c in containers(spec):
            if not unprivileged(spec, c):
                yield Finding(
                    w.urn,
                    f"{w.label()} in {where}: container {c.get('name')!r} may run as root, escalate or "
                    "keep SETUID/SETGID; set runAsNonRoot, allowPrivilegeEscalation false and "
                    "capabilities.drop [ALL]",
                )
