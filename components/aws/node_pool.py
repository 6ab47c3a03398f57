"""GpuNodePool: an EKS managed GPU node group per zone pool, with a hardened launch template and optional EFA."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from ..args import arg, args_type, check, fail, schema_type
from ..config import NodePool
from ..instance_types import gpu_accelerator
from ..scheduling import ACCELERATOR_LABEL, EFA_LABEL, GPU_TAINT, POOL_LABEL, SYSTEM_TAINT, ZONE_LABEL
from .efa import PRIMARY, Interface, interface_layout
from .iam_policy import service_trust
from .identity import ROLE_NAME

AMI_TYPE = "AL2023_x86_64_NVIDIA"
SYSTEM_AMI_TYPE = "AL2023_x86_64_STANDARD"  # the platform's system pool (gpu=False): no GPU driver
ROOT_DEVICE = "/dev/xvda"  # root device name of the EKS AL2023 AMIs
UNKNOWN_ACCELERATOR = "unknown"
MIXED_ACCELERATORS = "mixed"
# The node role holds only what the kubelet needs to join and pull images. AmazonEKS_CNI_Policy is left
# out on purpose: the VPC CNI gets it through its own IRSA role (GpuCluster), so pods that reach the
# node role cannot manage ENIs and IPs of the VPC.
NODE_POLICIES = {"worker-node": "AmazonEKSWorkerNodePolicy", "ecr-pull": "AmazonEC2ContainerRegistryPullOnly"}


def accelerator_label(instance_types: Sequence[str]) -> str:
    """The accelerator every node of the pool has: "unknown" if a type is not in the catalog, "mixed" if
    the catalog types differ (a selector on the label must never land on another accelerator)."""
    found = [gpu_accelerator(t) for t in instance_types]
    if any(accelerator is None for accelerator in found):
        return UNKNOWN_ACCELERATOR
    names = set(found)
    return str(names.pop()) if len(names) == 1 else MIXED_ACCELERATORS


def _pool_default(field: str) -> Any:
    return NodePool.model_fields[field].default


@args_type
class GpuNodePoolArgs:
    """An EKS managed node group dedicated to one zone: hardened launch template (IMDSv2, one hop, encrypted
    gp3 root, no public IPs), the zone's taint and labels, optional EFA and placement."""

    pool_name: str = arg("Logical name of the pool: label `enclave.dev/pool`, tag `enclave:pool`.")
    zone: str = arg(
        "The zone whose workloads (and only those) run on the pool: label `enclave.dev/zone`, tag `enclave:zone`."
    )
    instance_types: Sequence[str] = arg(
        "EC2 instance types, e.g. `p5.48xlarge` (1-10; exactly one for EFA pools: it fixes the interface layout)."
    )
    cluster_name: pulumi.Input[str] = arg("Name of the EKS cluster (`GpuCluster.name`, or a StackReference output).")
    node_security_group_id: pulumi.Input[str] = arg(
        "The zone's node security group (`NodeSecurityGroups.groups[zone].id`): it replaces the cluster security "
        "group on the nodes' primary interfaces."
    )
    vpc_id: pulumi.Input[str] = arg("The VPC (`Network.vpc_id`): EFA pools get a security group in it.")
    subnet_ids: Sequence[pulumi.Input[str]] = arg(
        "Private node subnets (`Network.private_subnet_ids`) the pool spreads over without `availability_zone`."
    )
    subnet_by_az: Mapping[str, pulumi.Input[str]] = arg(
        "AZ name -> node subnet in it (`Network.subnet_by_az`): a pool with `availability_zone` runs in that one."
    )
    kms_key_arn: pulumi.Input[str] = arg(
        "ARN of the key that encrypts the root volumes (`KmsKey.arn` of the zone, made with `ebs_autoscaling`: its "
        "policy must let EC2 Auto Scaling use it)."
    )
    gpu: bool = arg(
        "A GPU pool (default): NVIDIA AMI, the GPU taint, the accelerator label. False is a system pool: standard "
        "AMI and the CriticalAddonsOnly taint.",
        default=True,
    )
    capacity_type: Literal["ON_DEMAND", "SPOT", "CAPACITY_BLOCK"] = arg(
        "ON_DEMAND (default), SPOT, or CAPACITY_BLOCK (needs `capacity_reservation_id`).",
        default=_pool_default("capacity_type"),
    )
    min_size: int = arg("Fewest nodes (0-1000, default 0).", default=_pool_default("min_size"))
    desired_size: int = arg(
        "Nodes to start with (min_size-max_size, default 1).", default=_pool_default("desired_size")
    )
    max_size: int = arg("Most nodes (1-1000, default 1).", default=_pool_default("max_size"))
    disk_size_gib: int = arg(
        "Size of the encrypted gp3 root volume in GiB (20-16384, default 200).", default=_pool_default("disk_size_gib")
    )
    efa: bool = arg(
        "Attach EFA interfaces (GPU training pools; needs one instance type and `availability_zone`). Default off.",
        default=_pool_default("efa"),
    )
    placement_group: bool = arg(
        "EFA pools only: a cluster placement group (default on); turn off for capacity reservations and blocks.",
        default=_pool_default("placement_group"),
    )
    availability_zone: str | None = arg(
        "Run the pool in this one AZ, e.g. `us-east-1a` (required with EFA: its traffic stays in one subnet). "
        "Default none: every subnet of `subnet_ids`.",
        default=_pool_default("availability_zone"),
    )
    capacity_reservation_id: pulumi.Input[str] | None = arg(
        "A Capacity Block's or On-Demand Capacity Reservation's `cr-` id the nodes launch into (e.g. from an "
        "`aws.ec2.CapacityReservation`). Default none.",
        default=_pool_default("capacity_reservation_id"),
    )
    tags: Mapping[str, str] | None = arg(
        "Tags on the pool's AWS resources, beside `enclave:zone`/`enclave:pool`.", default=None
    )
    instance_tags: Mapping[str, str] | None = arg(
        "Tags for instances, volumes and interfaces, which EC2 Auto Scaling launches without the provider's "
        "default tags: pass those default tags. Default none.",
        default=None,
    )
    role_name: str | None = arg(
        "The node role's IAM name, e.g. `node_role_name('prod', 'infer-g6e')`: known before the role exists, so the "
        "zone's ECR repository policies can name it. Default None: Pulumi names it (logical name plus a random "
        "suffix).",
        default=None,
    )
    ready: Sequence[pulumi.Resource] = arg(
        "What nodes need before they launch (the VPC CNI add-on with its IRSA role, VPC endpoints and routes, the "
        "node security group's rules), or they join NotReady. Default none.",
        default=(),
    )

    def __post_init__(self) -> None:
        fix = "Use a value a node pool of the stack file accepts."
        for field, schema_field in SCHEMA_FIELDS.items():
            check(self, field, schema_type(NodePool, schema_field), fix)
        if not self.min_size <= self.desired_size <= self.max_size:
            fail(
                self,
                "desired_size",
                f"sizes must satisfy min_size <= desired_size <= max_size "
                f"(got {self.min_size} <= {self.desired_size} <= {self.max_size})",
            )
        if self.role_name is not None and not ROLE_NAME.fullmatch(self.role_name):
            fail(self, "role_name", "an IAM role name is 1-64 of A-Z a-z 0-9 + = , . @ _ -. Use node_role_name(...).")
        _check(self)


# GpuNodePoolArgs field -> NodePool field whose constraints it has.
SCHEMA_FIELDS = {
    "pool_name": "name",
    "zone": "zone",
    "instance_types": "instance_types",
    "capacity_type": "capacity_type",
    "min_size": "min_size",
    "desired_size": "desired_size",
    "max_size": "max_size",
    "disk_size_gib": "disk_size_gib",
    "efa": "efa",
    "placement_group": "placement_group",
    "availability_zone": "availability_zone",
    "capacity_reservation_id": "capacity_reservation_id",
}


class GpuNodePool(pulumi.ComponentResource):
    """The managed node group of one pool, dedicated to one zone (tainted and labelled for it)."""

    node_group: aws.eks.NodeGroup
    launch_template: aws.ec2.LaunchTemplate
    node_role: aws.iam.Role
    policy_attachments: list[aws.iam.RolePolicyAttachment]
    efa_security_group: aws.ec2.SecurityGroup | None
    efa_ingress: aws.vpc.SecurityGroupIngressRule | None
    efa_egress: aws.vpc.SecurityGroupEgressRule | None
    placement_group: aws.ec2.PlacementGroup | None
    interfaces: list[Interface]

    def __init__(self, name: str, args: GpuNodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("enclave:aws:GpuNodePool", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        zone, gpu = args.zone, args.gpu
        all_tags = {**(args.tags or {}), "enclave:zone": zone, "enclave:pool": args.pool_name}
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition

        self.node_role = aws.iam.Role(
            f"{name}-node-role",
            name=args.role_name,
            assume_role_policy=service_trust("ec2.amazonaws.com"),
            tags=all_tags,
            opts=child,
        )
        self.policy_attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-{short}-policy",
                role=self.node_role.name,
                policy_arn=pulumi.Output.concat("arn:", partition, ":iam::aws:policy/", policy),
                opts=child,
            )
            for short, policy in NODE_POLICIES.items()
        ]

        self.efa_security_group = self.efa_ingress = self.efa_egress = self.placement_group = None
        efa_rules: list[pulumi.Resource] = []
        if args.efa:
            efa_rules = self._efa_security_group(name, args.vpc_id, all_tags)
            if args.placement_group:
                # Cluster placement: all nodes of the pool on one low-latency network segment.
                self.placement_group = aws.ec2.PlacementGroup(
                    f"{name}-placement", strategy="cluster", tags=all_tags, opts=child
                )
            self.interfaces = interface_layout(args.instance_types[0])
        else:
            self.interfaces = [PRIMARY]

        market, reservation = _capacity_options(args)
        launched_tags = {**(args.instance_tags or {}), **all_tags}
        self.launch_template = aws.ec2.LaunchTemplate(
            f"{name}-launch-template",
            description=f"Nodes of pool {args.pool_name} (zone {zone})",
            # No image_id and no user_data: EKS picks the AMI from ami_type and writes the bootstrap.
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                # IMDSv2 with one hop: a token's response can't cross into a pod's network namespace,
                # so pods can't get the node role's credentials.
                "http_put_response_hop_limit": 1,
                "instance_metadata_tags": "disabled",
            },
            block_device_mappings=[
                {
                    "device_name": ROOT_DEVICE,
                    "ebs": {
                        "volume_type": "gp3",
                        "volume_size": args.disk_size_gib,
                        "encrypted": "true",
                        "kms_key_id": args.kms_key_arn,
                        "delete_on_termination": "true",
                    },
                }
            ],
            # Security groups live on the interfaces (EC2 refuses them at both levels). When the launch template
            # names security groups EKS doesn't add the cluster security group: the zone's node group replaces it
            # (NodeSecurityGroups), so nodes of other zones cannot reach these nodes.
            network_interfaces=self._network_interfaces(args.node_security_group_id),
            placement={"group_name": self.placement_group.name} if self.placement_group else None,
            instance_market_options=market,
            capacity_reservation_specification=reservation,
            tag_specifications=[
                {"resource_type": kind, "tags": launched_tags} for kind in ("instance", "volume", "network-interface")
            ],
            update_default_version=True,
            tags=all_tags,
            # Instances must not launch before their EFA group admits its own traffic.
            opts=pulumi.ResourceOptions(parent=self, depends_on=efa_rules),
        )

        labels = {ZONE_LABEL: zone, POOL_LABEL: args.pool_name}
        if gpu:
            # The NVIDIA device plugin runs only where this label exists.
            labels[ACCELERATOR_LABEL] = accelerator_label(args.instance_types)
        if args.efa:
            labels[EFA_LABEL] = "true"
        az = args.availability_zone
        # Only pods that tolerate the taint land on the pool: GPU workloads of the zone and GPU daemonsets on a
        # GPU pool; cluster add-ons and the platform zone on the system pool (admission keeps zone pods from
        # tolerating another pool's taint).
        taint = GPU_TAINT if gpu else SYSTEM_TAINT
        taints: list[aws.eks.NodeGroupTaintArgsDict] = [
            {"key": taint.key, "value": taint.value, "effect": "NO_SCHEDULE"}
        ]
        self.node_group = aws.eks.NodeGroup(
            f"{name}-node-group",
            cluster_name=args.cluster_name,
            node_role_arn=self.node_role.arn,
            # One AZ when the pool names one: EFA traffic can't leave a subnet, and capacity reservations
            # and blocks exist in a single AZ.
            subnet_ids=[args.subnet_by_az[az]] if az else list(args.subnet_ids),
            ami_type=AMI_TYPE if gpu else SYSTEM_AMI_TYPE,
            # EKS accepts ON_DEMAND, SPOT and CAPACITY_BLOCK (the SDK docstring lists only the first two).
            capacity_type=args.capacity_type,
            instance_types=list(args.instance_types),
            scaling_config={
                "min_size": args.min_size,
                "desired_size": args.desired_size,
                "max_size": args.max_size,
            },
            launch_template={"id": self.launch_template.id, "version": self.launch_template.latest_version.apply(str)},
            taints=taints,
            labels=labels,
            tags=all_tags,
            # Nodes need both policies to join the cluster; without them the create times out.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self.policy_attachments, *args.ready]),
        )
        self.register_outputs(
            {
                "node_group_arn": self.node_group.arn,
                "node_role_arn": self.node_role.arn,
                "launch_template_id": self.launch_template.id,
            }
        )

    def _efa_security_group(
        self, name: str, vpc_id: pulumi.Input[str], tags: Mapping[str, str]
    ) -> list[pulumi.Resource]:
        """A group that allows all traffic to and from itself, and nothing else; returns its two rules."""
        child = pulumi.ResourceOptions(parent=self)
        # No inline rules. AWS gives every new VPC security group an allow-all egress rule; the provider
        # deletes it on create (see the aws.ec2.SecurityGroup docs), so the two rules below are the only ones.
        self.efa_security_group = aws.ec2.SecurityGroup(
            f"{name}-efa",
            vpc_id=vpc_id,
            description=f"EFA traffic between the nodes of {name} only",
            tags={**tags, "Name": f"{name}-efa"},
            opts=child,
        )
        group_id = self.efa_security_group.id
        self.efa_ingress = aws.vpc.SecurityGroupIngressRule(
            f"{name}-efa-ingress-self",
            security_group_id=group_id,
            referenced_security_group_id=group_id,
            ip_protocol="-1",
            description="All traffic from EFA interfaces of the same pool",
            tags=dict(tags),
            opts=child,
        )
        # EFA requires an egress rule to the group itself: 0.0.0.0/0 egress does not cover it (EFA's
        # OS-bypass traffic is not IP, so CIDR rules never match it), and it would open everything else too.
        self.efa_egress = aws.vpc.SecurityGroupEgressRule(
            f"{name}-efa-egress-self",
            security_group_id=group_id,
            referenced_security_group_id=group_id,
            ip_protocol="-1",
            description="All traffic to EFA interfaces of the same pool",
            tags=dict(tags),
            opts=child,
        )
        return [self.efa_ingress, self.efa_egress]

    def _network_interfaces(
        self, node_security_group_id: pulumi.Input[str]
    ) -> list[aws.ec2.LaunchTemplateNetworkInterfaceArgsDict]:
        efa_group = self.efa_security_group.id if self.efa_security_group else None
        out: list[aws.ec2.LaunchTemplateNetworkInterfaceArgsDict] = []
        for iface in self.interfaces:
            if iface == PRIMARY:
                # The primary carries the node's IP traffic (kubelet, pods via the VPC CNI): the zone's node
                # group. On EFA pools it joins the EFA group too, so IP traffic between the pool's nodes (NCCL
                # bootstrap, socket fallback) is allowed by the pool's own group as well.
                groups = [node_security_group_id] + ([efa_group] if efa_group is not None else [])
            else:
                # EFA-only interfaces carry no IP traffic: only the self-referencing EFA group.
                assert efa_group is not None
                groups = [efa_group]
            out.append(
                {
                    "network_card_index": iface.network_card_index,
                    "device_index": iface.device_index,
                    "interface_type": iface.interface_type,
                    "security_groups": groups,
                    # Private nodes: no interface ever gets a public IPv4 address.
                    "associate_public_ip_address": "false",
                    "delete_on_termination": "true",
                }
            )
        return out


def _capacity_options(
    args: GpuNodePoolArgs,
) -> tuple[
    aws.ec2.LaunchTemplateInstanceMarketOptionsArgsDict | None,
    aws.ec2.LaunchTemplateCapacityReservationSpecificationArgsDict | None,
]:
    """Launch-template (instance_market_options, capacity_reservation_specification): a Capacity Block,
    a targeted On-Demand Capacity Reservation, or neither."""
    target: aws.ec2.LaunchTemplateCapacityReservationSpecificationArgsDict | None = None
    if args.capacity_reservation_id is not None:
        # No capacity_reservation_preference: with a target it must be omitted or "capacity-reservations-only".
        target = {"capacity_reservation_target": {"capacity_reservation_id": args.capacity_reservation_id}}
    if args.capacity_type == "CAPACITY_BLOCK":
        # EKS rejects a CAPACITY_BLOCK node group whose launch template lacks the market type or the target.
        return {"market_type": "capacity-block"}, target
    return None, target


def _check(args: GpuNodePoolArgs) -> None:
    """Refuse combinations AWS would reject at apply time, before anything is registered."""
    if args.efa and not args.gpu:
        fail(args, "efa", "EFA is for GPU pools only. Leave efa off on a system pool (gpu=False).")
    if args.efa:
        if len(args.instance_types) != 1:
            fail(args, "instance_types", "an EFA pool needs exactly one instance type (its interface layout)")
        if args.availability_zone is None:
            fail(args, "availability_zone", "an EFA pool needs availability_zone (EFA traffic stays in one subnet)")
    if args.availability_zone is not None and args.availability_zone not in args.subnet_by_az:
        fail(
            args,
            "availability_zone",
            f"no node subnet in {args.availability_zone}; subnets exist in {sorted(args.subnet_by_az)}",
        )
    if args.capacity_type == "CAPACITY_BLOCK" and args.capacity_reservation_id is None:
        fail(
            args,
            "capacity_reservation_id",
            "CAPACITY_BLOCK needs capacity_reservation_id (the Capacity Block's cr- id): EKS rejects a node group "
            "whose launch template does not target it",
        )
    if args.capacity_type == "SPOT" and args.capacity_reservation_id is not None:
        fail(args, "capacity_reservation_id", "a capacity reservation can't be used with SPOT capacity")
