"""MESH-01 (resource): a PeerAuthentication is STRICT, for every port too."""

from collections.abc import Iterator, Mapping

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import PEER_AUTHENTICATION
from framework.values import UNKNOWN


@resource_rule("peer-authentication-strict", "MESH-01", "PeerAuthentications require mutual TLS", PEER_AUTHENTICATION)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    mode, ports = r.get("spec.mtls.mode"), r.get("spec.portLevelMtls")
    if UNKNOWN in (mode, ports):
        yield Finding(r.urn, f"{r.label()}: its mTLS mode is not known yet", True)
        return
    if mode != "STRICT":
        yield Finding(r.urn, f"{r.label()}: mtls.mode is {mode or 'unset'}; set STRICT")
    for port, setting in (ports or {}).items() if isinstance(ports, Mapping) else []:
        if not isinstance(setting, Mapping) or setting.get("mode") != "STRICT":
            yield Finding(r.urn, f"{r.label()}: port {port} is not STRICT")
