"""K8S-03: no NetworkPolicy lets pods reach public addresses."""

import ipaddress
from collections.abc import Iterator, Mapping

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import NETWORK_POLICY
from framework.values import UNKNOWN, as_list


def _public(cidr: str) -> bool:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return True  # not a network: refuse rather than guess
    return not (net.is_private and net.prefixlen > 0)


@resource_rule(
    "network-policies-no-internet-egress", "K8S-03", "No NetworkPolicy lets pods reach the internet", NETWORK_POLICY
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    egress = r.get("spec.egress")
    if egress is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: its egress rules are not known yet", True)
        return
    for i, rule in enumerate(as_list(egress)):
        if isinstance(rule, Mapping) and rule.get("to") is not UNKNOWN and not as_list(rule.get("to")):
            # an egress rule without peers matches every destination: the internet too
            yield Finding(r.urn, f"{r.label()}: egress rule {i} names no peer (`to`), so it allows every destination")
            continue
        for peer in as_list(rule.get("to")) if isinstance(rule, Mapping) else []:
            block = peer.get("ipBlock") if isinstance(peer, Mapping) else None
            cidr = block.get("cidr") if isinstance(block, Mapping) else None
            if cidr is UNKNOWN:
                yield Finding(r.urn, f"{r.label()}: an egress ipBlock is not known yet", True)
            elif isinstance(cidr, str) and _public(cidr):
                yield Finding(
                    r.urn,
                    f"{r.label()} allows egress to {cidr}, a public range; go through the egress proxy or a private "
                    "mirror",
                )
