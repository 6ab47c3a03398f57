"""NET-01: nothing gives the VPC a path to or from the internet: no internet, NAT or egress-only gateway, no
default route, except to a target the pack config names as the way to the company's inspection VPC (a transit
gateway by default: the inspection VPC behind it is where egress is controlled, outside this stack)."""

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.values import MISSING, as_list

DEFAULTS = ("0.0.0.0/0", "::/0")
TARGETS = (
    "gatewayId",
    "natGatewayId",
    "egressOnlyGatewayId",
    "transitGatewayId",
    "vpcEndpointId",
    "networkInterfaceId",
    "vpcPeeringConnectionId",
    "carrierGatewayId",
    "localGatewayId",
    "coreNetworkArn",
)


@resource_rule(
    "vpc-no-internet-path",
    "NET-01",
    "No path to or from the internet",
    (*t.INTERNET_GATEWAYS, *t.ROUTE, *t.ROUTE_TABLE),
    config={
        "defaultRouteTargets": {
            "type": "array",
            "items": {"type": "string", "enum": list(TARGETS)},
            "default": ["transitGatewayId"],
            "description": "Route targets a default route may use: the way to the company's inspection VPC (a "
            "transit gateway by default). Said here, reviewed with the config.",
        }
    },
)
def check(r: Resource, config: Config) -> Iterator[Finding]:
    if r.type in t.INTERNET_GATEWAYS:
        yield Finding(
            r.urn, f"{r.label()} gives the VPC a path to the internet; reach AWS through VPC endpoints instead"
        )
        return
    allowed = set(config.get("defaultRouteTargets") or [])
    routes = [r.props] if r.type in t.ROUTE else [x for x in as_list(r.get("routes")) if isinstance(x, Mapping)]
    for route in routes:
        targets = [k for k in TARGETS if route.get(k) not in (MISSING, None, "")]
        if targets and set(targets) <= allowed:
            continue
        for key in ("destinationCidrBlock", "destinationIpv6CidrBlock", "cidrBlock", "ipv6CidrBlock"):
            if route.get(key) in DEFAULTS:
                via = f" through {', '.join(targets)}" if targets else ""
                yield Finding(
                    r.urn,
                    f"{r.label()} routes {route.get(key)}{via} (a default route); route only named networks, or "
                    "name the inspection target in defaultRouteTargets",
                )
