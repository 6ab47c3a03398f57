"""K8S-14: in every zone namespace an admission policy that fails closed refuses containers that could change
their UID after admission (to the mesh proxy's 1337): root, privilege escalation, SETUID/SETGID kept; and no
workload the stack declares in a zone runs a container that way."""

from collections.abc import Iterator, Mapping
from typing import Any

from framework.kube import in_namespace, zone_namespaces
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import as_list

from .admission_guards import WORKLOAD_RESOURCES, bound_to, guards
from .namespaces_inside_trust_zones import WORKLOADS

TERMS = ("runAsNonRoot", "allowPrivilegeEscalation", "SETUID")


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def pod_spec(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """The pod spec of a Pod, or of a workload's pod template (a CronJob's through its job template)."""
    spec = mapping(props.get("spec"))
    if props.get("kind") == "Pod" or "containers" in spec:
        return spec
    if "jobTemplate" in spec:
        spec = mapping(mapping(spec.get("jobTemplate")).get("spec"))
    return mapping(mapping(spec.get("template")).get("spec"))


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
    subjects=WORKLOADS,
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    policies = guards(stack, TERMS, ("pods", *WORKLOAD_RESOURCES))
    for ns in sorted(zone_namespaces(stack).values(), key=lambda n: n.name):
        if not bound_to(stack, policies, ns.name):
            yield Finding(
                ns.resource.urn,
                f"namespace {ns.name} (zone {ns.zone}): no admission policy refuses root, "
                "privilege escalation and SETUID/SETGID for pods and workloads: a container could switch "
                "to the mesh proxy's UID 1337 after admission",
            )
        for w in in_namespace(stack, WORKLOADS, ns.name):
            spec = pod_spec(w.props)
            for c in [*as_list(spec.get("initContainers")), *as_list(spec.get("containers"))]:
                if isinstance(c, Mapping) and not unprivileged(spec, c):
                    yield Finding(
                        w.urn,
                        f"{w.label()}: container {c.get('name')!r} may run as root, escalate or "
                        "keep SETUID/SETGID; set runAsNonRoot, allowPrivilegeEscalation false and "
                        "capabilities.drop [ALL]",
                    )
