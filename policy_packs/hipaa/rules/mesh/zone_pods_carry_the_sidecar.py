"""MESH-05: zone namespaces inject the sidecar, as Istio's injector decides it (namespace labels, the istiod chart's
injection policy and selectors), and istiod injects it through the CNI agent (no NET_ADMIN init container, which
Pod Security would refuse)."""

from collections.abc import Iterator, Mapping
from typing import Any

from framework.kube import ZONE_LABEL, labels, zone_namespaces
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list

from .helm import releases, value_at, values


def _injected(found: Mapping[str, Any], by_default: bool) -> bool:
    """Whether the injector's webhooks select a namespace with these labels: `istio-injection` takes precedence
    over `istio.io/rev` (Istio's documented rule: any value but `enabled` turns injection off); with
    sidecarInjectorWebhook.enableNamespacesByDefault a namespace with neither label is injected too."""
    if "istio-injection" in found:
        return found["istio-injection"] == "enabled"
    return bool(found.get("istio.io/rev")) or by_default


def _weakened(istiod: Resource, data: Any) -> Iterator[Finding]:
    """Chart values that leave pods of injected namespaces without the sidecar."""
    if value_at(data, "pilot.cni.enabled", "cni.enabled") is not True:
        yield Finding(
            istiod.urn,
            f"{istiod.label()}: pilot.cni.enabled is not true; sidecars would need a NET_ADMIN init container",
        )
    if value_at(data, "global.proxy.autoInject") not in (None, "enabled"):
        yield Finding(
            istiod.urn,
            f"{istiod.label()}: global.proxy.autoInject is not 'enabled'; pods of injected namespaces get the "
            "sidecar only when they ask for it. Remove the value",
        )
    if as_list(value_at(data, "sidecarInjectorWebhook.neverInjectSelector")):
        yield Finding(
            istiod.urn,
            f"{istiod.label()}: sidecarInjectorWebhook.neverInjectSelector lets pods carrying its labels skip the "
            "sidecar in every namespace. Remove it",
        )


@stack_rule("zone-pods-carry-the-sidecar", "MESH-05", "Zone pods carry the sidecar, installed without NET_ADMIN")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    installs = [(istiod, values(istiod)) for istiod in releases(stack, "istiod")]
    by_default = any(
        data is not UNKNOWN and value_at(data, "sidecarInjectorWebhook.enableNamespacesByDefault") is True
        for _, data in installs
    )
    for ns in zone_namespaces(stack).values():
        if not _injected(labels(ns.resource), by_default):
            yield Finding(
                ns.resource.urn,
                f"namespace {ns.name} ({ZONE_LABEL}={ns.zone}) does not inject the sidecar; label it "
                "istio-injection=enabled (or istio.io/rev with no istio-injection label)",
            )
    for istiod, data in installs:
        if data is UNKNOWN:
            yield Finding(istiod.urn, f"{istiod.label()}: its values are not known yet", True)
        else:
            yield from _weakened(istiod, data)
