"""MESH-06: in every zone namespace an admission policy that fails closed requires the injected proxy and refuses
Istio's opt-outs (sidecar.istio.io/inject false, traffic.sidecar.istio.io/* beyond the platform's own,
proxy.istio.io/config); and no workload the stack declares in a zone opts out, however it does it: the injection
label or annotation, a status annotation that makes the injector think it already ran, another revision, an
interception mode that captures nothing, the host network (the injector skips such pods)."""

from collections.abc import Iterator, Mapping
from typing import Any

from framework.kube import labels, zone_namespaces
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import truthy
from framework.workloads import WORKLOAD_TYPES, mapping, namespace, pod_template, workloads

from ..k8s.admission_guards import bound_to, guards, why_not

TERMS = ("istio-proxy", "istio.io/")
REVISION = "istio.io/rev"


def opt_outs(meta: Mapping[str, Any], spec: Mapping[str, Any] | None = None, revision: Any = None) -> list[str]:
    """The ways a pod (its metadata and spec) leaves the mesh; `revision`: its namespace's istio.io/rev label."""
    found = []
    for field in ("labels", "annotations"):
        for key, value in mapping(meta.get(field)).items():
            if key == "sidecar.istio.io/inject" and truthy(value) is not True:
                found.append(f"{key}={value}")
            elif key == REVISION and value != revision:
                found.append(f"{key}={value} (the namespace's revision is {revision or 'the default'})")
            elif field == "annotations" and (
                key.startswith("traffic.sidecar.istio.io/")
                or key in ("proxy.istio.io/config", "sidecar.istio.io/status")
            ):
                found.append(key)
            elif field == "annotations" and key == "sidecar.istio.io/interceptionMode" and value != "REDIRECT":
                found.append(f"{key}={value}")
    if spec is not None and truthy(spec.get("hostNetwork")) is True:
        found.append("hostNetwork (the injector skips host-network pods)")
    return found


@stack_rule("zone-pods-stay-in-the-mesh", "MESH-06", "Zone pods cannot opt out of the mesh", subjects=WORKLOAD_TYPES)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    policies = guards(stack, TERMS)
    zones = zone_namespaces(stack)
    for ns in sorted(zones.values(), key=lambda n: n.name):
        if not bound_to(stack, policies, ns.name):
            yield Finding(
                ns.resource.urn,
                f"namespace {ns.name} (zone {ns.zone}): no admission policy requires the "
                "injected proxy and refuses Istio's opt-out annotations and labels" + why_not(stack, TERMS, ns.name),
            )
    for w in workloads(stack):
        where = namespace(w, stack)
        if not isinstance(where, str) or where not in zones:
            continue
        meta, spec = pod_template(w)
        found = opt_outs(meta, spec, labels(zones[where].resource).get(REVISION))
        if found:
            yield Finding(
                w.urn,
                f"{w.label()} opts its pods out of the mesh ({', '.join(found)}); remove it "
                "(the platform's pod template sets the only exclusions a zone admits)",
            )
