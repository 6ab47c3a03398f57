"""MESH-03 (stack): every zone namespace has a namespace-wide Sidecar with REGISTRY_ONLY outbound traffic, no
Sidecar anywhere allows any destination, and istiod's mesh config is REGISTRY_ONLY. Two selector-less Sidecars in one
namespace, or two selecting the same workloads, leave Istio's behaviour undefined (its docs; istioctl analyze
reports them): a finding of their own."""

import json
from collections.abc import Iterator

from framework import types as t
from framework.kube import in_namespace, zone_namespaces
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING, UNKNOWN

from .helm import releases, value_at, values


@stack_rule(
    "sidecars-registry-only", "MESH-03", "Outbound traffic goes only to registered destinations", subjects=t.SIDECAR
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for sidecar in stack.of_type(*t.SIDECAR):
        mode = sidecar.get("spec.outboundTrafficPolicy.mode")
        if mode is UNKNOWN:
            yield Finding(sidecar.urn, f"{sidecar.label()}: its outbound policy is not known yet", True)
        elif mode not in (MISSING, "REGISTRY_ONLY"):
            yield Finding(sidecar.urn, f"{sidecar.label()} sets outbound traffic {mode}; use REGISTRY_ONLY")
    for ns in zone_namespaces(stack).values():
        wide = [
            s
            for s in in_namespace(stack, t.SIDECAR, ns.name)
            if s.get("spec.workloadSelector") in (MISSING, None)
            and s.get("spec.outboundTrafficPolicy.mode") == "REGISTRY_ONLY"
        ]
        if not wide:
            yield Finding(
                ns.resource.urn, f"namespace {ns.name} (zone {ns.zone}) has no namespace-wide REGISTRY_ONLY Sidecar"
            )
    groups: dict[tuple[object, str], list[Resource]] = {}
    for s in stack.of_type(*t.SIDECAR):
        selector = s.get("spec.workloadSelector")
        key = (
            str(s.get("metadata.namespace")),
            json.dumps(None if selector in (MISSING, None) else selector, default=str),
        )
        groups.setdefault(key, []).append(s)
    for found in groups.values():
        for s in found if len(found) > 1 else []:
            others = ", ".join(o.label() for o in found if o is not s)
            yield Finding(
                s.urn,
                f"{s.label()} and {others} configure the same workloads: Istio's behaviour is undefined with more "
                "than one, so egress depends on which it picks. Keep one",
            )
    for istiod in releases(stack, "istiod"):
        data = values(istiod)
        if data is UNKNOWN:
            yield Finding(istiod.urn, f"{istiod.label()}: its values are not known yet", True)
        elif value_at(data, "meshConfig.outboundTrafficPolicy.mode") != "REGISTRY_ONLY":
            yield Finding(istiod.urn, f"{istiod.label()}: meshConfig.outboundTrafficPolicy.mode is not REGISTRY_ONLY")
