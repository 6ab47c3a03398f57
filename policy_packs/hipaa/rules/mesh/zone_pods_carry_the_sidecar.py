"""MESH-05: zone namespaces inject the sidecar, and istiod injects it through the CNI agent (no NET_ADMIN
init container, which Pod Security would refuse)."""

from collections.abc import Iterator

from framework.kube import ZONE_LABEL, labels, zone_namespaces
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN

from .helm import releases, value_at, values


@stack_rule("zone-pods-carry-the-sidecar", "MESH-05", "Zone pods carry the sidecar, installed without NET_ADMIN")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for ns in zone_namespaces(stack).values():
        found = labels(ns.resource)
        if found.get("istio-injection") != "enabled" and not found.get("istio.io/rev"):
            yield Finding(
                ns.resource.urn,
                f"namespace {ns.name} ({ZONE_LABEL}={ns.zone}) does not inject the sidecar; label it "
                "istio-injection=enabled",
            )
    for istiod in releases(stack, "istiod"):
        data = values(istiod)
        if data is UNKNOWN:
            yield Finding(istiod.urn, f"{istiod.label()}: its values are not known yet", True)
        elif value_at(data, "pilot.cni.enabled", "cni.enabled") is not True:
            yield Finding(
                istiod.urn,
                f"{istiod.label()}: pilot.cni.enabled is not true; sidecars would need a NET_ADMIN init container",
            )
