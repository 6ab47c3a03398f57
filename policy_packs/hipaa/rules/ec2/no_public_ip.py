"""NODE-03: no node interface and no subnet hands out a public IP address."""

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.values import UNKNOWN, as_list, truthy


@resource_rule(
    "no-public-ip",
    "NODE-03",
    "Nodes and subnets hand out no public IP addresses",
    (*t.LAUNCH_TEMPLATE, *t.SUBNET, *t.INSTANCE),
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    if r.type in t.SUBNET:
        value = r.get("mapPublicIpOnLaunch")
        if value is UNKNOWN:
            yield Finding(r.urn, f"{r.label()}: mapPublicIpOnLaunch is not known yet", True)
        elif truthy(value) is True:
            yield Finding(r.urn, f"{r.label()} assigns public IPs on launch; set map_public_ip_on_launch False")
        return
    if r.type in t.INSTANCE and truthy(r.get("associatePublicIpAddress")) is True:
        yield Finding(r.urn, f"{r.label()} gets a public IP; set associate_public_ip_address False")
    interfaces = r.get("networkInterfaces")
    if interfaces is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: its network interfaces are not known yet", True)
        return
    for i, iface in enumerate(as_list(interfaces)):
        if isinstance(iface, Mapping) and truthy(iface.get("associatePublicIpAddress")) is True:
            yield Finding(
                r.urn, f"{r.label()}: interface {i} gets a public IP; set associate_public_ip_address 'false'"
            )
