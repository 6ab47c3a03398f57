"""Subnet planning for a created VPC: node and VPC-endpoint subnet CIDRs per availability zone (no Pulumi)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from ..config.network import endpoint_block as config_endpoint_block

MIN_VPC_PREFIX = 16
MAX_VPC_PREFIX = 20
# A VPC splits into 8 node blocks (prefix + 3); the last one holds the endpoint /24, so at most 7 AZs fit,
# and the config caps them at 6 anyway.
NODE_PREFIX_STEP = 3
ENDPOINT_SUBNET_PREFIX = 27
MAX_AZS = 6


@dataclass(frozen=True)
class ZonePlan:
    """The subnets of one availability zone: a large node subnet and a small endpoint subnet."""

    availability_zone: str
    node_cidr: str
    endpoint_cidr: str


def _vpc_network(vpc_cidr: str) -> ipaddress.IPv4Network:
    net = ipaddress.ip_network(vpc_cidr, strict=True)
    if not isinstance(net, ipaddress.IPv4Network):
        raise ValueError(f"{vpc_cidr}: a VPC CIDR must be IPv4")
    if not MIN_VPC_PREFIX <= net.prefixlen <= MAX_VPC_PREFIX:
        raise ValueError(f"{vpc_cidr}: a created VPC must be /{MIN_VPC_PREFIX} to /{MAX_VPC_PREFIX}")
    return net


def _check_az_count(az_count: int) -> None:
    if not 1 <= az_count <= MAX_AZS:
        raise ValueError(f"az_count must be 1 to {MAX_AZS}, got {az_count}")


def endpoint_block(vpc_cidr: str) -> str:
    """The last /24 of the VPC: reserved for interface-endpoint ENIs (the CIDR pods may reach them on)."""
    return config_endpoint_block(str(_vpc_network(vpc_cidr)))


def node_subnet_cidrs(vpc_cidr: str, az_count: int) -> list[str]:
    """Block i of the VPC split into /(prefix+3) blocks, for AZ i."""
    net = _vpc_network(vpc_cidr)
    _check_az_count(az_count)
    blocks = list(net.subnets(prefixlen_diff=NODE_PREFIX_STEP))
    chosen = blocks[:az_count]
    reserved = ipaddress.ip_network(endpoint_block(vpc_cidr))
    # Never reached with az_count <= 6 (the endpoint /24 is inside the 8th block); a guard, not a branch.
    if any(block.overlaps(reserved) for block in chosen):
        raise ValueError(f"{vpc_cidr}: {az_count} node subnets would overlap the endpoint block {reserved}")
    return [str(block) for block in chosen]


def endpoint_subnet_cidrs(vpc_cidr: str, az_count: int) -> list[str]:
    """The endpoint /24 split into /27s, block i for AZ i."""
    _check_az_count(az_count)
    block = ipaddress.ip_network(endpoint_block(vpc_cidr))
    return [str(s) for s in list(block.subnets(new_prefix=ENDPOINT_SUBNET_PREFIX))[:az_count]]


def zone_plans(vpc_cidr: str, availability_zones: Sequence[str]) -> list[ZonePlan]:
    """One plan per AZ, in the given AZ order."""
    azs = list(availability_zones)
    if len(set(azs)) != len(azs):
        raise ValueError(f"availability zones must be distinct: {azs}")
    nodes = node_subnet_cidrs(vpc_cidr, len(azs))
    endpoints = endpoint_subnet_cidrs(vpc_cidr, len(azs))
    return [ZonePlan(az, node, endpoint) for az, node, endpoint in zip(azs, nodes, endpoints, strict=True)]


def select_zones(available: Sequence[str], az_count: int) -> list[str]:
    """The first `az_count` available AZs; fails when the region has fewer."""
    _check_az_count(az_count)
    if len(available) < az_count:
        raise ValueError(f"{az_count} availability zones requested, only {len(available)} available: {list(available)}")
    return list(available[:az_count])


def regional_dns_name(dns_name: str) -> str:
    """An interface endpoint's DNS entry without the leading wildcard label.

    S3 interface endpoints report `*.vpce-<id>.s3.<region>.vpce.amazonaws.com`; clients address buckets
    as `https://bucket.vpce-<id>.s3.<region>.vpce.amazonaws.com`, so the usable name is the part after `*.`.
    """
    return dns_name.removeprefix("*.")
