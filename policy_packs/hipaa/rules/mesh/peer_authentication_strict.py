"""MESH-01: every PeerAuthentication leaves mutual TLS STRICT, as Istio resolves it (peer_modes: an unset mode
inherits from the parent policy); a port's unset mode from its policy's; port settings apply only to a policy with a
selector (Istio ignores them otherwise)."""

from collections.abc import Iterator, Mapping

from framework.kube import MESH_ROOT_CONFIG
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.types import PEER_AUTHENTICATION
from framework.values import UNKNOWN

from .peer_modes import UNSET, Resolver, scoped


@stack_rule(
    "peer-authentication-strict",
    "MESH-01",
    "PeerAuthentications require mutual TLS",
    config=MESH_ROOT_CONFIG,
    subjects=PEER_AUTHENTICATION,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    resolver = Resolver(stack, str(config.get("meshRootNamespace") or "istio-system"))
    for pa in stack.of_type(*PEER_AUTHENTICATION):
        mode = resolver.mode(pa)
        ports = pa.get("spec.portLevelMtls")
        if mode is UNKNOWN or ports is UNKNOWN:
            yield Finding(pa.urn, f"{pa.label()}: its mTLS mode is not known yet", True)
            continue
        if mode != "STRICT":
            inherited = "" if pa.get("spec.mtls.mode") not in UNSET else " (inherited)"
            yield Finding(pa.urn, f"{pa.label()}: mtls.mode is {mode}{inherited}; set STRICT")
        if not scoped(pa) or not isinstance(ports, Mapping):
            continue
        for port, setting in ports.items():
            port_mode = setting.get("mode") if isinstance(setting, Mapping) else "malformed"
            if port_mode is UNKNOWN:
                yield Finding(pa.urn, f"{pa.label()}: port {port}'s mode is not known yet", True)
            elif (mode if port_mode in UNSET else port_mode) != "STRICT":
                yield Finding(pa.urn, f"{pa.label()}: port {port} is not STRICT")
