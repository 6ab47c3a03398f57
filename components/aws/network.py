"""Network: a private-only VPC (or an existing one) with VPC endpoints and KMS-encrypted flow logs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from ..args import arg, args_type, check, fail, schema_type
from ..config import CreatedNetwork, ExistingNetwork, Logging, PlatformConfig
from ..config.network import TransitGateway
from .endpoint_policies import endpoint_policy
from .iam_policy import service_trust
from .logs import encrypted_log_group
from .network_layout import endpoint_block, regional_dns_name, select_zones, zone_plans
from .signals import FLOW_LOG_FORMAT_SHAPE

# Interface endpoints (private DNS on) that nodes and pods need with no internet path: image pulls,
# IRSA/Pod Identity credentials, logs, the VPC CNI's ENI/IP management and the EKS API.
INTERFACE_SERVICES = ("ecr.api", "ecr.dkr", "sts", "logs", "ec2", "eks", "eks-auth")
FLOW_LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams")
FLOW_LOGS_SERVICE = "vpc-flow-logs.amazonaws.com"
INTERNAL_ELB_TAG = "kubernetes.io/role/internal-elb"
HTTPS = 443


def service_name(region: str, service: str) -> str:
    return f"com.amazonaws.{region}.{service}"


def flow_log_trust_policy(account_id: str, partition: str, region: str) -> str:
    """Only the VPC Flow Logs service, and only on behalf of this account's flow logs (no confused deputy)."""
    return service_trust(
        FLOW_LOGS_SERVICE,
        source_account=account_id,
        source_arn_like=f"arn:{partition}:ec2:{region}:{account_id}:vpc-flow-log/*",
    )


def flow_log_policy(log_group_arn: str) -> str:
    """Write access to the one flow-log group and its streams; never a '*' resource."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "WriteFlowLogs",
                    "Effect": "Allow",
                    "Action": list(FLOW_LOG_ACTIONS),
                    "Resource": [log_group_arn, f"{log_group_arn}:*"],
                },
                {
                    # DescribeLogGroups cannot be limited to one group: the account's groups in the region.
                    "Sid": "FindFlowLogGroup",
                    "Effect": "Allow",
                    "Action": ["logs:DescribeLogGroups"],
                    "Resource": log_group_arn.split(":log-group:")[0] + ":log-group:*",
                },
            ],
        },
        sort_keys=True,
    )


EKS_UNSUPPORTED_ZONE_IDS = ("use1-az3", "usw1-az2", "cac1-az3")


@args_type
class NetworkArgs:
    """A private-only VPC (or an existing one) with VPC endpoints and KMS-encrypted flow logs."""

    settings: CreatedNetwork | ExistingNetwork = arg(
        "The network block of the stack file, validated: `CreatedNetwork` (a new VPC: CIDR, AZ count, flow logs, "
        "transit gateway) or `ExistingNetwork` (VPC, subnets and route tables to attach to). Build it with "
        "`CreatedNetwork(...)`/`ExistingNetwork(...)` or `config_object`."
    )
    region: str = arg("AWS region of the VPC, e.g. `us-east-1` (endpoint service names).")
    flow_log_key_arn: pulumi.Input[str] = arg(
        "ARN of the key that encrypts the flow-log group (`KmsKey.arn` of the audit key; its policy must admit "
        "`logs.<region>.amazonaws.com`)."
    )
    log_retention_days: int = arg(
        "Days the flow-log group keeps records: a CloudWatch Logs retention period, default the stack file's (365).",
        default=Logging.model_fields["retention_days"].default,
    )
    tags: Mapping[str, str] | None = arg("Tags on every resource of the network, beside `Name`.", default=None)
    flow_log_format: str | None = arg(
        "The flow log's record format (`${field} ...`): `components.aws.signals.FLOW_LOG_FORMAT` adds the subnet, "
        "direction and packet addresses the security alarms read. Default none: AWS's default format.",
        default=None,
    )

    def __post_init__(self) -> None:
        if self.flow_log_format is not None and not re.fullmatch(FLOW_LOG_FORMAT_SHAPE, self.flow_log_format):
            fail(self, "flow_log_format", "give space-separated ${field} names, e.g. '${version} ${srcaddr}'.")
        if not isinstance(self.settings, CreatedNetwork | ExistingNetwork):
            fail(
                self,
                "settings",
                "pass a validated CreatedNetwork or ExistingNetwork (the stack file's `network` block).",
                what=type(self.settings).__name__,
            )
        check(self, "region", schema_type(PlatformConfig, "region"), "Pass an AWS region such as 'us-east-1'.")
        check(
            self,
            "log_retention_days",
            schema_type(Logging, "retention_days"),
            "Use a retention the stack file's logging.retention_days accepts.",
        )


class Network(pulumi.ComponentResource):
    """The VPC of one environment. Attributes other components use: `vpc_id`, `vpc_cidr`,
    `private_subnet_ids`, `subnet_by_az`, `endpoint_cidr`, `endpoint_security_group`, `endpoints`,
    `s3_interface_endpoint_dns`, `flow_log`, `flow_log_group`."""

    vpc: aws.ec2.Vpc | None
    default_security_group: aws.ec2.DefaultSecurityGroup | None
    node_subnets: list[aws.ec2.Subnet]
    endpoint_subnets: list[aws.ec2.Subnet]
    route_tables: list[aws.ec2.RouteTable]
    route_table_associations: list[aws.ec2.RouteTableAssociation]
    availability_zones: list[str]
    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    private_subnet_ids: list[pulumi.Output[str]]
    subnet_by_az: dict[str, pulumi.Output[str]]
    endpoint_subnet_ids: list[pulumi.Output[str]]
    endpoint_cidr: str
    endpoint_security_group: aws.ec2.SecurityGroup | None
    endpoint_ingress: aws.vpc.SecurityGroupIngressRule | None
    endpoints: dict[str, aws.ec2.VpcEndpoint]
    s3_interface_endpoint_dns: pulumi.Output[str] | None
    flow_log_group: aws.cloudwatch.LogGroup | None
    flow_log_role: aws.iam.Role | None
    flow_log_role_policy: aws.iam.RolePolicy | None
    flow_log: aws.ec2.FlowLog | None

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("enclave:aws:Network", name, None, opts)
        self._name = name
        config = args.settings
        self._region = args.region
        self._tags = dict(args.tags or {})
        self._flow_log_format = args.flow_log_format
        self.vpc = self.default_security_group = None
        self.node_subnets, self.endpoint_subnets = [], []
        self.route_tables, self.route_table_associations = [], []
        self.transit_gateway_attachment: aws.ec2transitgateway.VpcAttachment | None = None
        self.transit_routes: list[aws.ec2.Route] = []
        self.endpoint_security_group = self.endpoint_ingress = None
        self.endpoints = {}
        self.s3_interface_endpoint_dns = None
        self.flow_log_group = self.flow_log_role = self.flow_log_role_policy = self.flow_log = None
        self.vpc_cidr = config.cidr

        if isinstance(config, CreatedNetwork):
            gateway_route_tables = self._create_vpc(config)
            make_endpoints = True
        else:
            gateway_route_tables = self._attach_vpc(config)
            make_endpoints = config.create_endpoints
        if make_endpoints:
            self._create_endpoints(gateway_route_tables)
        if config.flow_logs:
            self._create_flow_log(args.flow_log_key_arn, args.log_retention_days)
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "private_subnet_ids": self.private_subnet_ids,
                "endpoint_cidr": self.endpoint_cidr,
            }
        )

    def _tags_named(self, resource_name: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {**self._tags, **(extra or {}), "Name": resource_name}

    def _child(self, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=list(depends_on) or None)

    def _create_vpc(self, config: CreatedNetwork) -> list[pulumi.Output[str]]:
        name = self._name
        # Only real AZs: Local/Wavelength Zones (opt-in) lack interface endpoints and most GPU instance types.
        standard_zones: list[aws.GetAvailabilityZonesFilterArgsDict] = [
            {"name": "opt-in-status", "values": ["opt-in-not-required"]}
        ]
        zones = aws.get_availability_zones(
            state="available",
            filters=standard_zones,
            # Zone IDs where EKS cannot place a control plane (EKS user guide, "VPC and subnet requirements");
            # which account-local name maps to them differs per account, so names alone can't avoid them.
            exclude_zone_ids=list(EKS_UNSUPPORTED_ZONE_IDS),
            opts=pulumi.InvokeOptions(parent=self),
        )
        self.availability_zones = select_zones(zones.names, config.az_count)
        plans = zone_plans(config.cidr, self.availability_zones)
        self.endpoint_cidr = endpoint_block(config.cidr)

        # DNS support and hostnames: interface endpoints' private DNS (ecr, sts, ...) needs both.
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=config.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=self._tags_named(f"{name}-vpc"),
            opts=self._child(),
        )
        vpc_id = self.vpc.id
        # Adopting the default security group with no rules strips AWS's allow-within-group and allow-all
        # egress rules: nothing may fall back to it by accident.
        self.default_security_group = aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc_id,
            tags=self._tags_named(f"{name}-default-sg"),
            opts=self._child(),
        )
        # No internet gateway, NAT gateway, public subnet or 0.0.0.0/0 route: GPU zones reach AWS only
        # through the VPC endpoints below. Each route table holds just the local route plus the S3
        # gateway endpoint's prefix-list route; `routes` is left unset so those endpoint-managed routes
        # are not fought over.
        for plan in plans:
            az = plan.availability_zone
            node = self._private_subnet(f"{name}-node-{az}", vpc_id, az, plan.node_cidr, {INTERNAL_ELB_TAG: "1"})
            endpoint = self._private_subnet(f"{name}-endpoints-{az}", vpc_id, az, plan.endpoint_cidr)
            table = aws.ec2.RouteTable(
                f"{name}-rt-{az}",
                vpc_id=vpc_id,
                tags=self._tags_named(f"{name}-rt-{az}"),
                opts=self._child(),
            )
            for kind, subnet in (("node", node), ("endpoints", endpoint)):
                self.route_table_associations.append(
                    aws.ec2.RouteTableAssociation(
                        f"{name}-rt-{az}-{kind}",
                        route_table_id=table.id,
                        subnet_id=subnet.id,
                        opts=self._child(),
                    )
                )
            self.node_subnets.append(node)
            self.endpoint_subnets.append(endpoint)
            self.route_tables.append(table)

        self.vpc_id = vpc_id
        self.private_subnet_ids = [s.id for s in self.node_subnets]
        self.subnet_by_az = dict(zip(self.availability_zones, self.private_subnet_ids, strict=True))
        self.endpoint_subnet_ids = [s.id for s in self.endpoint_subnets]
        if config.transit_gateway is not None:
            self._attach_transit_gateway(config.transit_gateway)
        return [t.id for t in self.route_tables]

    def _private_subnet(
        self,
        resource_name: str,
        vpc_id: pulumi.Input[str],
        az: str,
        cidr: str,
        extra_tags: Mapping[str, str] | None = None,
    ) -> aws.ec2.Subnet:
        return aws.ec2.Subnet(
            resource_name,
            vpc_id=vpc_id,
            cidr_block=cidr,
            availability_zone=az,
            map_public_ip_on_launch=False,
            tags=self._tags_named(resource_name, extra_tags),
            opts=self._child(),
        )

    def _attach_transit_gateway(self, tgw: TransitGateway) -> None:
        """Attach the VPC (through the endpoint subnets, one per AZ) and route exactly `tgw.routes` to it.
        The gateway's own route tables (association, propagation, the way back) belong to its owners."""
        name = self._name
        self.transit_gateway_attachment = aws.ec2transitgateway.VpcAttachment(
            f"{name}-tgw",
            transit_gateway_id=tgw.id,
            vpc_id=self.vpc_id,
            subnet_ids=self.endpoint_subnet_ids,
            dns_support="enable",
            tags=self._tags_named(f"{name}-tgw"),
            opts=self._child(),
        )
        for az, table in zip(self.availability_zones, self.route_tables, strict=True):
            for cidr in tgw.routes:
                self.transit_routes.append(
                    aws.ec2.Route(
                        f"{name}-rt-{az}-to-{cidr.replace('/', '-')}",
                        route_table_id=table.id,
                        destination_cidr_block=cidr,
                        transit_gateway_id=tgw.id,
                        # A route to a gateway the VPC is not attached to yet is refused.
                        opts=self._child(depends_on=[self.transit_gateway_attachment]),
                    )
                )

    def _attach_vpc(self, config: ExistingNetwork) -> list[pulumi.Output[str]]:
        self.vpc_id = pulumi.Output.from_input(config.vpc_id)
        # The cluster gets every given subnet (config order); per-AZ consumers get the first one in each AZ.
        self.private_subnet_ids = [pulumi.Output.from_input(s) for s in config.private_subnet_ids]
        self.subnet_by_az = {}
        for subnet_id in config.private_subnet_ids:
            found = aws.ec2.get_subnet(id=subnet_id, opts=pulumi.InvokeOptions(parent=self))
            if found.map_public_ip_on_launch:
                raise ValueError(
                    f"{subnet_id} assigns public IPs on launch; an existing network's subnets must be private"
                )
            self.subnet_by_az.setdefault(found.availability_zone, pulumi.Output.from_input(subnet_id))
        self.availability_zones = list(self.subnet_by_az)
        # Interface endpoints take at most one subnet per AZ.
        self.endpoint_subnet_ids = list(self.subnet_by_az.values())
        self.endpoint_cidr = config.cidr
        return [pulumi.Output.from_input(t) for t in config.private_route_table_ids]

    def _create_endpoints(self, gateway_route_tables: list[pulumi.Output[str]]) -> None:
        name, region = self._name, self._region
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition

        def policy(key: str) -> pulumi.Output[str | None]:
            return pulumi.Output.all(account, partition).apply(lambda a: endpoint_policy(key, a[0], region, a[1]))

        self.endpoint_security_group = aws.ec2.SecurityGroup(
            f"{name}-endpoints",
            vpc_id=self.vpc_id,
            description=f"VPC interface endpoints of {name}: HTTPS from the VPC only",
            tags=self._tags_named(f"{name}-endpoints"),
            opts=self._child(),
        )
        # No egress rule: security groups are stateful, so replies to allowed HTTPS requests leave anyway,
        # and endpoint ENIs never open connections themselves. The provider also strips AWS's default
        # allow-all egress rule from a new group, so this group permits nothing outbound.
        self.endpoint_ingress = aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-https",
            security_group_id=self.endpoint_security_group.id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            cidr_ipv4=self.vpc_cidr,
            description="HTTPS to VPC endpoints from inside the VPC",
            tags=self._tags_named(f"{name}-endpoints-https"),
            opts=self._child(),
        )
        # Node traffic to S3 (ECR image layers, checkpoints) goes through the free gateway endpoint.
        self.endpoints["s3"] = aws.ec2.VpcEndpoint(
            f"{name}-vpce-s3",
            vpc_id=self.vpc_id,
            service_name=service_name(region, "s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=gateway_route_tables,
            policy=policy("s3"),
            tags=self._tags_named(f"{name}-vpce-s3"),
            opts=self._child(),
        )
        for service in INTERFACE_SERVICES:
            key = service.replace(".", "-")
            self.endpoints[service] = self._interface_endpoint(
                f"{name}-vpce-{key}", service, private_dns=True, policy=policy(service)
            )
        # Private DNS off: s3.<region>.amazonaws.com keeps resolving to the gateway endpoint. Pods use this
        # endpoint's own DNS name instead, so NetworkPolicy can allow S3 as the endpoint subnets' CIDR.
        s3_interface = self._interface_endpoint(
            f"{name}-vpce-s3-interface", "s3", private_dns=False, policy=policy("s3-interface")
        )
        self.endpoints["s3-interface"] = s3_interface
        self.s3_interface_endpoint_dns = s3_interface.dns_entries.apply(_first_dns_name)

    def _interface_endpoint(
        self, resource_name: str, service: str, *, private_dns: bool, policy: pulumi.Input[str | None]
    ) -> aws.ec2.VpcEndpoint:
        assert self.endpoint_security_group is not None and self.endpoint_ingress is not None
        return aws.ec2.VpcEndpoint(
            resource_name,
            vpc_id=self.vpc_id,
            service_name=service_name(self._region, service),
            vpc_endpoint_type="Interface",
            private_dns_enabled=private_dns,
            # The data perimeter (endpoint_policies): this account's principals and resources only.
            policy=policy,
            subnet_ids=self.endpoint_subnet_ids,
            security_group_ids=[self.endpoint_security_group.id],
            tags=self._tags_named(resource_name),
            # Without the ingress rule the endpoint exists but refuses every client.
            opts=self._child(depends_on=[self.endpoint_ingress]),
        )

    def _create_flow_log(self, key_arn: pulumi.Input[str], retention_days: int) -> None:
        name, region = self._name, self._region
        self.flow_log_group = encrypted_log_group(
            f"{name}-flow-logs",
            log_group_name=f"/enclave/{name}/vpc-flow-logs",
            kms_key_arn=key_arn,
            retention_days=retention_days,
            parent=self,
            tags=self._tags_named(f"{name}-flow-logs"),
        )
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        self.flow_log_role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=pulumi.Output.all(account, partition).apply(
                lambda a: flow_log_trust_policy(a[0], a[1], region)
            ),
            max_session_duration=3600,
            tags=self._tags_named(f"{name}-flow-logs-role"),
            opts=self._child(),
        )
        # The group's ARN from its name: known in a first preview, unlike the provider's ARN output.
        group_arn = pulumi.Output.concat(
            "arn:", partition, ":logs:", region, ":", account, ":log-group:", self.flow_log_group.name
        )
        self.flow_log_role_policy = aws.iam.RolePolicy(
            f"{name}-flow-logs-write",
            role=self.flow_log_role.name,
            policy=group_arn.apply(flow_log_policy),
            opts=self._child(),
        )
        # The role must be able to write before the first delivery, or the flow log reports access errors.
        self.flow_log = aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=self.flow_log_group.arn,
            iam_role_arn=self.flow_log_role.arn,
            max_aggregation_interval=60,
            log_format=self._flow_log_format,
            tags=self._tags_named(f"{name}-flow-log"),
            opts=self._child(depends_on=[self.flow_log_role_policy]),
        )


_ZONAL_LABEL = re.compile(r"-[a-z]{2}(-gov)?-[a-z]+-\d[a-z]\.")


def _first_dns_name(entries: Sequence[aws.ec2.outputs.VpcEndpointDnsEntry]) -> str:
    """The regional name: the entry whose endpoint label carries no AZ suffix (`vpce-...-us-east-1a.` is
    zonal). The API does not promise an order."""
    names = [e.dns_name for e in entries if e.dns_name]
    regional = [n for n in names if not _ZONAL_LABEL.search(n)]
    if not regional:
        raise ValueError(f"the S3 interface endpoint reported no regional DNS entry: {names}")
    return regional_dns_name(regional[0])
