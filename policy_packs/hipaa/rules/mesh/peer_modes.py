"""How Istio resolves a PeerAuthentication's mutual-TLS mode: an unset (or UNSET) mode inherits from the parent
policy (a workload's from its namespace's namespace-wide one, a namespace's from the mesh root's, the mesh root's from
Istio's default, PERMISSIVE)."""

from typing import Any

from framework.kube import in_namespace, namespace_of
from framework.model import Resource, Stack
from framework.types import PEER_AUTHENTICATION
from framework.values import MISSING, UNKNOWN

DEFAULT = "PERMISSIVE (Istio's default)"
UNSET = (None, MISSING, "", "UNSET")


def scoped(pa: Resource) -> bool:
    """Whether the policy selects workloads (else it is namespace-wide)."""
    selector = pa.get("spec.selector")
    return selector is UNKNOWN or bool(selector)


class Resolver:
    """Effective modes of a stack's PeerAuthentications; UNKNOWN where a value deciding it is not known yet."""

    def __init__(self, stack: Stack, root: str) -> None:
        self.stack, self.root = stack, root

    def parents(self, pa: Resource) -> list[Resource] | None:
        """The policies `pa` inherits from; None for Istio's default (PERMISSIVE)."""
        namespace = namespace_of(pa)
        if scoped(pa) and namespace is not None:
            wide = [p for p in in_namespace(self.stack, PEER_AUTHENTICATION, namespace) if not scoped(p)]
            if wide:
                return wide
        if namespace == self.root and not scoped(pa):
            return None
        root = [p for p in in_namespace(self.stack, PEER_AUTHENTICATION, self.root) if not scoped(p)]
        return root or None

    def mode(self, pa: Resource, seen: frozenset[str] = frozenset()) -> Any:
        """STRICT, another mode, or UNKNOWN; an inherited mode is the weakest of the parents' (duplicates of one
        target are MESH-01's other rule)."""
        own = pa.get("spec.mtls.mode")
        if own is UNKNOWN or (own in UNSET and pa.get("spec.selector") is UNKNOWN):
            return UNKNOWN
        if own not in UNSET:
            return own
        parents = self.parents(pa)
        if parents is None:
            return DEFAULT
        modes = [self.mode(p, seen | {pa.urn}) for p in parents if p.urn not in seen | {pa.urn}]
        weak = [m for m in modes if m is not UNKNOWN and m != "STRICT"]
        if weak or not modes:
            return weak[0] if weak else DEFAULT
        return UNKNOWN if UNKNOWN in modes else "STRICT"

    def namespace_mode(self, namespace: str) -> Any:
        """The mode a namespace's pods get when no workload policy selects them: its namespace-wide policies', else
        the mesh root's, else Istio's default."""
        wide = [p for p in in_namespace(self.stack, PEER_AUTHENTICATION, namespace) if not scoped(p)]
        if not wide and namespace != self.root:
            wide = [p for p in in_namespace(self.stack, PEER_AUTHENTICATION, self.root) if not scoped(p)]
        modes = [self.mode(p) for p in wide]
        weak = [m for m in modes if m is not UNKNOWN and m != "STRICT"]
        if weak or not modes:
            return weak[0] if weak else DEFAULT
        return UNKNOWN if UNKNOWN in modes else "STRICT"
