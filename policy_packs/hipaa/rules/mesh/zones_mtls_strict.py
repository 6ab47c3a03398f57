"""MESH-01 (stack): the pods of every zone namespace get STRICT mutual TLS when no workload policy selects them (its
namespace-wide PeerAuthentication, or, with none, the mesh root's, resolved as Istio does: peer_modes), and the mesh
root is STRICT when this stack installs istiod. Istio uses one namespace-wide (or mesh-wide) policy per namespace,
the oldest, and of several workload policies selecting the same pods the oldest too: companions that disagree leave
the outcome to the order they were created in, so they are a finding of their own."""

import json
from collections.abc import Iterator
from typing import Any

from framework import types as t
from framework.kube import MESH_ROOT_CONFIG, zone_namespaces
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING, UNKNOWN

from .helm import releases
from .peer_modes import Resolver


def _selector(p: Resource) -> Any:
    selector = p.get("spec.selector")
    return None if selector in (MISSING, None, {}) else selector


def _effect(p: Resource) -> str:
    return json.dumps([p.get("spec.mtls"), p.get("spec.portLevelMtls")], sort_keys=True, default=str)


def disagreeing(stack: Stack) -> Iterator[tuple[Resource, list[Resource]]]:
    """(policy, the companions it disagrees with) for PeerAuthentications of one namespace and one target (the
    namespace, or the same workload selector)."""
    groups: dict[tuple[Any, str], list[Resource]] = {}
    for p in stack.of_type(*t.PEER_AUTHENTICATION):
        key = (str(p.get("metadata.namespace")), json.dumps(_selector(p), sort_keys=True, default=str))
        groups.setdefault(key, []).append(p)
    for found in groups.values():
        if len({_effect(p) for p in found}) > 1:
            for p in found:
                yield p, [o for o in found if o is not p]


@stack_rule(
    "zones-mtls-strict",
    "MESH-01",
    "Mutual TLS is STRICT in every zone namespace and mesh-wide",
    config=MESH_ROOT_CONFIG,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    root = str(config.get("meshRootNamespace") or "istio-system")
    resolver = Resolver(stack, root)
    for ns in zone_namespaces(stack).values():
        mode = resolver.namespace_mode(ns.name)
        if mode != "STRICT":
            yield Finding(
                ns.resource.urn,
                f"namespace {ns.name} (zone {ns.zone}) gets mutual TLS "
                + ("not known yet" if mode is UNKNOWN else f"{mode}")
                + f": give it a namespace-wide STRICT PeerAuthentication (or one in the mesh root {root})",
                mode is UNKNOWN,
            )
    for istiod in releases(stack, "istiod"):
        mode = resolver.namespace_mode(root)
        if mode != "STRICT":
            yield Finding(
                istiod.urn,
                f"{istiod.label()}: the mesh has no STRICT PeerAuthentication in its root namespace {root}",
                mode is UNKNOWN,
            )
    for p, others in disagreeing(stack):
        yield Finding(
            p.urn,
            f"{p.label()} and {', '.join(o.label() for o in others)} set mutual TLS for the same pods differently: "
            "Istio applies the oldest, so the mode depends on the order they were created in. Keep one",
        )
