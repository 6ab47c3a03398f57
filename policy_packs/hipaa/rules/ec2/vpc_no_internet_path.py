"""NET-01: nothing gives the VPC a path to or from the internet: no internet, NAT or egress-only gateway, no
default route."""

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.values import as_list

DEFAULTS = ("0.0.0.0/0", "::/0")


@resource_rule(
    "vpc-no-internet-path",
    "NET-01",
    "No path to or from the internet",
    (*t.INTERNET_GATEWAYS, *t.ROUTE, *t.ROUTE_TABLE),
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    if r.type in t.INTERNET_GATEWAYS:
        yield Finding(
            r.urn, f"{r.label()} gives the VPC a path to the internet; reach AWS through VPC endpoints instead"
        )
        return
    routes = [r.props] if r.type in t.ROUTE else [x for x in as_list(r.get("routes")) if isinstance(x, Mapping)]
    for route in routes:
        for key in ("destinationCidrBlock", "destinationIpv6CidrBlock", "cidrBlock", "ipv6CidrBlock"):
            if route.get(key) in DEFAULTS:
                yield Finding(
                    r.urn, f"{r.label()} routes {route.get(key)} (a default route); route only named networks"
                )
