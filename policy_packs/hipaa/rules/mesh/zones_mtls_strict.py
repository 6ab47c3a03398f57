"""MESH-01 (stack): every zone namespace has a namespace-wide STRICT PeerAuthentication, and so does the mesh
root (istio-system) when this stack installs istiod."""

from collections.abc import Iterator

from framework import types as t
from framework.kube import in_namespace, zone_namespaces
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING

from .helm import releases


def _strict_wide(stack: Stack, namespace: str) -> bool:
    return any(
        p.get("spec.mtls.mode") == "STRICT" and p.get("spec.selector") in (MISSING, None, {})
        for p in in_namespace(stack, t.PEER_AUTHENTICATION, namespace)
    )


@stack_rule("zones-mtls-strict", "MESH-01", "Mutual TLS is STRICT in every zone namespace and mesh-wide")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for ns in zone_namespaces(stack).values():
        if not _strict_wide(stack, ns.name):
            yield Finding(
                ns.resource.urn, f"namespace {ns.name} (zone {ns.zone}) has no namespace-wide STRICT PeerAuthentication"
            )
    for istiod in releases(stack, "istiod"):
        if not _strict_wide(stack, "istio-system"):
            yield Finding(istiod.urn, f"{istiod.label()}: the mesh has no STRICT PeerAuthentication in istio-system")
