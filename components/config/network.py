"""Network config: create a VPC with private subnets, or use existing VPC and subnet ids."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from .base import Cidr, Ipv4Cidr, PrivateRoute, StrictModel

# A created VPC reserves its last /24 for the interface-endpoint ENIs: the CIDR pods reach AWS on.
ENDPOINT_BLOCK_PREFIX = 24
# A created VPC splits into 8 node blocks, the last holding the endpoint /24: /16 to /20.
CREATED_VPC_PREFIXES = (16, 20)


def _check_created_cidr(value: str) -> str:
    net = ipaddress.ip_network(value)
    low, high = CREATED_VPC_PREFIXES
    if net.version != 4:
        raise ValueError(f"a created VPC is IPv4 (/{low} to /{high}); AWS gives IPv6 blocks to VPCs itself")
    if not low <= net.prefixlen <= high:
        raise ValueError(
            f"a created VPC is /{low} to /{high} (8 node subnets, the last /24 for endpoints), got /{net.prefixlen}"
        )
    if not net.is_private:
        raise ValueError("a created VPC uses a private (RFC 1918) range: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
    return value


def endpoint_block(vpc_cidr: str) -> str:
    """The last /24 of `vpc_cidr`: where a created VPC puts its interface endpoints."""
    return str(list(ipaddress.ip_network(vpc_cidr).subnets(new_prefix=ENDPOINT_BLOCK_PREFIX))[-1])


VpcId = Annotated[str, Field(pattern=r"^vpc-[0-9a-f]{8,17}$")]
SubnetId = Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]
RouteTableId = Annotated[str, Field(pattern=r"^rtb-[0-9a-f]{8,17}$")]


TransitGatewayId = Annotated[str, Field(pattern=r"^tgw-[0-9a-f]{8,17}$")]


class TransitGateway(StrictModel):
    """How the created VPC reaches the company network (mirrors, egress proxy, the deployer's runner): an
    attachment to an existing transit gateway plus routes for exactly these CIDRs. Never a default route."""

    id: TransitGatewayId
    routes: list[PrivateRoute] = Field(
        min_length=1, max_length=50, description="Private CIDRs routed to the gateway (never the VPC's own)."
    )


class CreatedNetwork(StrictModel):
    """A new VPC: private subnets only for nodes, plus VPC endpoints so GPU zones need no internet path."""

    mode: Literal["create"]
    cidr: Annotated[Cidr, AfterValidator(_check_created_cidr)] = Field(
        default="10.40.0.0/16", description="VPC CIDR (private IPv4 range, /16 to /20)."
    )
    az_count: int = Field(default=3, ge=2, le=6, description="Availability zones to spread private subnets over.")
    flow_logs: bool = Field(default=True, description="WEAKENING when false: VPC flow logs off.")
    transit_gateway: TransitGateway | None = Field(
        default=None, description="Attachment + routes to the company network; without it the VPC reaches AWS only."
    )


class ExistingNetwork(StrictModel):
    """An existing VPC. The subnets must be private; the route tables get the S3 gateway endpoint."""

    mode: Literal["existing"]
    vpc_id: VpcId
    private_subnet_ids: list[SubnetId] = Field(min_length=2, max_length=16)
    private_route_table_ids: list[RouteTableId] = Field(min_length=1, max_length=16)
    cidr: Ipv4Cidr = Field(description="The VPC's IPv4 CIDR, used for endpoint security groups.")
    create_endpoints: bool = Field(
        default=True,
        description="Create the S3/ECR/STS/Logs/EC2/EKS VPC endpoints, with the data-perimeter policies: through "
        "them (the S3 gateway endpoint serves every subnet of the listed route tables) only this account's "
        "principals reach this account's resources. Set false where other tenants of the VPC need more, and "
        "bring endpoints of your own.",
    )
    flow_logs: bool = Field(default=True, description="WEAKENING when false: VPC flow logs off.")


Network = Annotated[CreatedNetwork | ExistingNetwork, Field(discriminator="mode")]
