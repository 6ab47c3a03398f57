"""MESH-06: in every zone namespace an admission policy that fails closed requires the injected proxy and refuses
Istio's opt-outs (sidecar.istio.io/inject false, traffic.sidecar.istio.io/* beyond the platform's own,
proxy.istio.io/config); and no workload the stack declares in a zone opts out."""

from collections.abc import Iterator, Mapping
from typing import Any

from framework.kube import in_namespace, zone_namespaces
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule

from ..k8s.admission_guards import bound_to, guards
from ..k8s.namespaces_inside_trust_zones import WORKLOADS
from ..k8s.zone_workloads_unprivileged import mapping

TERMS = ("istio-proxy", "istio.io/")


def _template_meta(props: Mapping[str, Any]) -> Mapping[str, Any]:
    if props.get("kind") == "Pod":
        return mapping(props.get("metadata"))
    spec = mapping(props.get("spec"))
    if "jobTemplate" in spec:
        spec = mapping(mapping(spec.get("jobTemplate")).get("spec"))
    return mapping(mapping(spec.get("template")).get("metadata"))


def opt_outs(meta: Mapping[str, Any]) -> list[str]:
    found = []
    for field in ("labels", "annotations"):
        for key, value in mapping(meta.get(field)).items():
            if key == "sidecar.istio.io/inject" and str(value).lower() == "false":
                found.append(f"{key}={value}")
            elif field == "annotations" and (
                key.startswith("traffic.sidecar.istio.io/") or key == "proxy.istio.io/config"
            ):
                found.append(key)
    return found


@stack_rule("zone-pods-stay-in-the-mesh", "MESH-06", "Zone pods cannot opt out of the mesh", subjects=WORKLOADS)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    policies = guards(stack, TERMS)
    for ns in sorted(zone_namespaces(stack).values(), key=lambda n: n.name):
        if not bound_to(stack, policies, ns.name):
            yield Finding(
                ns.resource.urn,
                f"namespace {ns.name} (zone {ns.zone}): no admission policy requires the "
                "injected proxy and refuses Istio's opt-out annotations and labels",
            )
        for w in in_namespace(stack, WORKLOADS, ns.name):
            found = opt_outs(_template_meta(w.props))
            if found:
                yield Finding(
                    w.urn,
                    f"{w.label()} opts its pods out of the mesh ({', '.join(found)}); remove it "
                    "(the platform's pod template sets the only exclusions a zone admits)",
                )
