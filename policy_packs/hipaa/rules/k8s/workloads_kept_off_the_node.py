"""K8S-21: no workload in a zone or in an unclassified namespace reaches into its node: no privileged container, no
host network, PID or IPC namespace, no hostPath volume, no host port, no capability beyond NET_BIND_SERVICE, no
Windows host process. Judged on every workload kind however declared; a Helm release into such a namespace renders
objects the engine never shows, so it is judged strictly (a finding), and so is a chart or manifest container
whose objects are not visible."""

from collections.abc import Iterator, Mapping
from typing import Any

from framework.kube import NAMESPACE_CLASS_CONFIG, judged_workloads, namespace_class, zone_namespaces
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list, truthy
from framework.workloads import (
    CONTAINERS,
    RELEASES,
    WORKLOAD_TYPES,
    containers,
    helm_namespace,
    mapping,
    pod_template,
    unexpanded,
)

HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")
ALLOWED_CAPABILITIES = {"NET_BIND_SERVICE"}  # the only one the restricted Pod Security level lets a pod add


def _on(value: Any) -> bool:
    return value is UNKNOWN or truthy(value) is True


def pod_reaches_node(spec: Mapping[str, Any]) -> list[str]:
    """What of a pod spec reaches into its node, as phrases (a value not known yet counts: judged strictly)."""
    found = [
        f"{k} {'not known yet' if spec.get(k) is UNKNOWN else 'true'}" for k in HOST_NAMESPACES if _on(spec.get(k))
    ]
    for v in as_list(spec.get("volumes")):
        if isinstance(v, Mapping) and v.get("hostPath") is not None:
            found.append(f"hostPath volume {v.get('name')!r}")
    if _on(mapping(mapping(spec.get("securityContext")).get("windowsOptions")).get("hostProcess")):
        found.append("a Windows host process")
    for c in containers(spec):
        name, sc = c.get("name"), mapping(c.get("securityContext"))
        if _on(sc.get("privileged")):
            found.append(f"container {name!r} privileged")
        if _on(mapping(sc.get("windowsOptions")).get("hostProcess")):
            found.append(f"container {name!r} a Windows host process")
        added = as_list(mapping(sc.get("capabilities")).get("add"))
        extra = sorted({str(a).upper().removeprefix("CAP_") for a in added} - ALLOWED_CAPABILITIES)
        if extra:
            found.append(f"container {name!r} adds {', '.join(extra)}")
        ports = [p for p in as_list(c.get("ports")) if isinstance(p, Mapping) and p.get("hostPort") not in (None, 0)]
        if ports:
            found.append(f"container {name!r} binds host port {', '.join(str(p.get('hostPort')) for p in ports)}")
    return found


@stack_rule(
    "workloads-kept-off-the-node",
    "K8S-21",
    "Workloads never reach into their node",
    config=NAMESPACE_CLASS_CONFIG,
    subjects=WORKLOAD_TYPES + RELEASES + CONTAINERS,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    for obj, where in judged_workloads(stack, config):
        _, spec = pod_template(obj)
        found = pod_reaches_node(spec)
        if found:
            yield Finding(
                obj.urn,
                f"{obj.label()} in {where}: {'; '.join(found)}. Its pods would hold the node and every zone's pods "
                "on it: drop them (node agents belong in an agent namespace)",
            )
    zones = zone_namespaces(stack)
    for release in stack.of_type(*RELEASES):
        where = helm_namespace(release)
        if where is UNKNOWN or namespace_class(str(where), zones, config) in (None, "zone"):
            yield Finding(
                release.urn,
                f"{release.label()} installs chart {release.get('chart')!r} into namespace "
                f"{'not known yet' if where is UNKNOWN else where}: what it renders never reaches the pack, so its "
                "pods cannot be judged. Render it with kubernetes.helm.v4.Chart (whose objects are judged) or "
                "install it in a system namespace the pack config lists",
            )
    for container, opaque in unexpanded(stack):
        yield Finding(
            container.urn,
            f"{container.label()}: its objects are not visible ({', '.join(opaque)}), so the pods it declares cannot "
            "be judged; the engine shows them as children when the provider expands it",
            unverifiable=True,
        )
