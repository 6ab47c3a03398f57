"""An internal HTTPS endpoint in the default VPC, reachable from the VPC's own addresses only."""

import pulumi
import pulumi_aws as aws

vpc = aws.ec2.get_vpc(default=True)
subnets = aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [vpc.id]}])

group = aws.ec2.SecurityGroup(
    "api",
    vpc_id=vpc.id,
    description="HTTPS from inside the VPC",
    ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": [vpc.cidr_block]}],
    egress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": [vpc.cidr_block]}],
)

balancer = aws.lb.LoadBalancer(
    "api",
    internal=True,
    load_balancer_type="application",
    security_groups=[group.id],
    subnets=subnets.ids,
)

pulumi.export("url", pulumi.Output.concat("https://", balancer.dns_name))
