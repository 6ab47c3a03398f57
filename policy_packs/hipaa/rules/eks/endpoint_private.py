"""EKS-03: the API endpoint is private, or public only to named networks (never 0.0.0.0/0, nor a range so wide
that a few of them add up to it: 0.0.0.0/1 + 128.0.0.0/1)."""

import ipaddress
from collections.abc import Iterator

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import EKS_CLUSTER
from framework.values import MISSING, UNKNOWN, as_list

MIN_PREFIX = 16  # the widest public CIDR a named network may be


@resource_rule(
    "eks-endpoint-private", "EKS-03", "The API endpoint is private, or public only to named networks", EKS_CLUSTER
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    private, public = r.get("vpcConfig.endpointPrivateAccess"), r.get("vpcConfig.endpointPublicAccess")
    cidrs = r.get("vpcConfig.publicAccessCidrs")
    if UNKNOWN in (private, public, cidrs):
        yield Finding(r.urn, f"{r.label()}: its endpoint access is not known yet", True)
        return
    if private is not True:
        yield Finding(
            r.urn,
            f"{r.label()}: endpointPrivateAccess is {'not set' if private is MISSING else private!r}; set it true",
        )
    if public is False:
        return
    # EKS turns the public endpoint on, open to 0.0.0.0/0, unless told otherwise.
    listed = [str(c) for c in as_list(cidrs)]
    if public is MISSING or not listed:
        yield Finding(
            r.urn,
            f"{r.label()}: the public endpoint is on for 0.0.0.0/0; set endpoint_public_access False or list your "
            "networks",
        )
    for cidr in listed:
        try:
            wide = ipaddress.ip_network(cidr, strict=False).prefixlen < MIN_PREFIX
        except ValueError:
            yield Finding(r.urn, f"{r.label()}: publicAccessCidrs includes {cidr!r}, which is not a CIDR")
            continue
        if wide:
            yield Finding(
                r.urn,
                f"{r.label()}: publicAccessCidrs includes {cidr}, wider than /{MIN_PREFIX}; list your admin networks "
                "instead",
            )
