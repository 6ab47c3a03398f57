"""GpuNodePool: the hardened launch template, EFA interfaces and their self-only security group, placement,
capacity settings, taint and labels, subnets, and the node role's exact permissions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.aws.efa import interface_layout
from components.aws.node_pool import SCHEMA_FIELDS, GpuNodePool, GpuNodePoolArgs
from components.config import NodePool
from components.scheduling import ACCELERATOR_LABEL, EFA_LABEL, GPU_TAINT, POOL_LABEL, ZONE_LABEL
from tests.components.harness import Captured, capture

KEY = "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-4333-8444-555555555555"
NODE_SG = "sg-0z0ne000000000001"  # the zone's node group (NodeSecurityGroups)
VPC_ID = "vpc-0a1b2c3d4e5f60718"
SUBNET_BY_AZ = {
    "us-east-1a": "subnet-0aaaaaaaaaaaaaaa1",
    "us-east-1b": "subnet-0bbbbbbbbbbbbbbb2",
    "us-east-1c": "subnet-0ccccccccccccccc3",
}
SUBNETS = list(SUBNET_BY_AZ.values())
RESERVATION = "cr-02168da1478b509e0"

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
PLACEMENT = "aws:ec2/placementGroup:PlacementGroup"


def efa_pool(instance_type: str = "p5.48xlarge", **fields: Any) -> NodePool:
    base: dict[str, Any] = {
        "name": "train-p5",
        "zone": "training",
        "instance_types": [instance_type],
        "efa": True,
        "availability_zone": "us-east-1a",
        "min_size": 0,
        "desired_size": 2,
        "max_size": 4,
        "disk_size_gib": 500,
    }
    return NodePool(**{**base, **fields})


def plain_pool(**fields: Any) -> NodePool:
    base: dict[str, Any] = {
        "name": "infer-g6",
        "zone": "inference",
        "instance_types": ["g6.12xlarge"],
        "min_size": 1,
        "desired_size": 1,
        "max_size": 3,
    }
    return NodePool(**{**base, **fields})


def pool_args(config: NodePool, **kw: Any) -> GpuNodePoolArgs:
    """A node pool of the stack file as the component's Args (what the platform's `_pool_args` does)."""
    fields: dict[str, Any] = {
        "pool_name": config.name,
        "zone": config.zone,
        **{f: getattr(config, f) for f in SCHEMA_FIELDS.values() if f not in ("name", "zone")},
        "cluster_name": "enclave-prod",
        "node_security_group_id": NODE_SG,
        "vpc_id": VPC_ID,
        "subnet_ids": SUBNETS,
        "subnet_by_az": SUBNET_BY_AZ,
        "kms_key_arn": KEY,
        "tags": {"team": "ml-platform"},
        **kw,
    }
    return GpuNodePoolArgs(**fields)


def build(config: NodePool, *, preview: bool = False, **kw: Any) -> Captured:
    return capture(lambda: GpuNodePool("pool", pool_args(config, **kw)), preview=preview)


def lt_inputs(c: Captured) -> dict[str, Any]:
    return dict(c.one(LAUNCH_TEMPLATE)["inputs"])


def efa_sg_id(c: Captured) -> str:
    """The EFA group's id, as the rules (which reference it by id) received it."""
    return str(c.one(INGRESS)["inputs"]["securityGroupId"])


# ----- launch template -------------------------------------------------------------------------------


@pytest.mark.parametrize("config", [efa_pool(), plain_pool()], ids=["efa", "plain"])
def test_metadata_options_are_exact(config: NodePool) -> None:
    c = build(config)
    lt = c.one(LAUNCH_TEMPLATE)
    assert lt["inputs"]["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
        "instanceMetadataTags": "disabled",
    }, lt["urn"]


def test_root_volume_is_encrypted_gp3_with_the_key() -> None:
    c = build(efa_pool())
    lt = c.one(LAUNCH_TEMPLATE)
    assert lt["inputs"]["blockDeviceMappings"] == [
        {
            "deviceName": "/dev/xvda",
            "ebs": {
                "volumeType": "gp3",
                "volumeSize": 500,
                "encrypted": "true",
                "kmsKeyId": KEY,
                "deleteOnTermination": "true",
            },
        }
    ], lt["urn"]


def test_eks_owns_the_ami_and_bootstrap() -> None:
    c = build(efa_pool())
    lt = c.one(LAUNCH_TEMPLATE)
    for absent in ("imageId", "userData", "iamInstanceProfile", "vpcSecurityGroupIds", "securityGroupNames"):
        assert absent not in lt["inputs"], (lt["urn"], absent)
    assert lt["inputs"]["updateDefaultVersion"] is True, lt["urn"]
    ng = c.one(NODE_GROUP)
    assert ng["inputs"]["amiType"] == "AL2023_x86_64_NVIDIA", ng["urn"]
    assert "diskSize" not in ng["inputs"], ng["urn"]  # the size lives in the launch template


def test_instances_volumes_and_interfaces_are_tagged() -> None:
    """EC2 Auto Scaling launches without the provider's default tags: they are written in explicitly."""
    c = build(plain_pool(), instance_tags={"data-classification": "phi", "team": "overridden"})
    lt = c.one(LAUNCH_TEMPLATE)
    specs = {s["resourceType"]: s["tags"] for s in lt["inputs"]["tagSpecifications"]}
    assert set(specs) == {"instance", "volume", "network-interface"}, lt["urn"]
    for tags in specs.values():
        assert tags["team"] == "ml-platform" and tags["enclave:zone"] == "inference", lt["urn"]
        assert tags["data-classification"] == "phi", lt["urn"]


def test_efa_launch_template_waits_for_the_self_rules_and_nodes_for_prerequisites() -> None:
    import pulumi_aws as aws

    def run() -> None:
        ready = aws.s3.Bucket("stand-in-for-the-vpc-cni-addon")
        GpuNodePool("pool", pool_args(efa_pool(), ready=[ready]))

    c = capture(run)
    lt = c.one(LAUNCH_TEMPLATE)
    assert {c.urn(INGRESS), c.urn(EGRESS)} <= set(lt["dependencies"]), lt["urn"]
    assert c.urn("aws:s3/bucket:Bucket") in c.one(NODE_GROUP)["dependencies"]


@pytest.mark.parametrize("config", [efa_pool(), efa_pool("p4d.24xlarge"), efa_pool("p6-b300.48xlarge"), plain_pool()])
def test_no_interface_gets_a_public_ip(config: NodePool) -> None:
    c = build(config)
    lt = c.one(LAUNCH_TEMPLATE)
    interfaces = lt["inputs"]["networkInterfaces"]
    assert interfaces, lt["urn"]
    for iface in interfaces:
        assert iface["associatePublicIpAddress"] == "false", (lt["urn"], iface)
        assert "subnetId" not in iface, (lt["urn"], iface)  # EKS refuses subnets in the launch template


@pytest.mark.parametrize("instance_type", ["p5.48xlarge", "p4d.24xlarge", "p5en.48xlarge", "p6-b300.48xlarge"])
def test_efa_interfaces_follow_the_layout(instance_type: str) -> None:
    c = build(efa_pool(instance_type))
    lt = c.one(LAUNCH_TEMPLATE)
    got = [(i["networkCardIndex"], i["deviceIndex"], i["interfaceType"]) for i in lt["inputs"]["networkInterfaces"]]
    want = [(i.network_card_index, i.device_index, i.interface_type) for i in interface_layout(instance_type)]
    assert got == want, lt["urn"]


def test_p5_launch_template_has_32_efa_only_interfaces() -> None:
    c = build(efa_pool("p5.48xlarge"))
    lt = c.one(LAUNCH_TEMPLATE)
    interfaces = lt["inputs"]["networkInterfaces"]
    assert len(interfaces) == 33, lt["urn"]
    assert sum(i["interfaceType"] == "efa-only" for i in interfaces) == 32, lt["urn"]
    assert (interfaces[0]["networkCardIndex"], interfaces[0]["deviceIndex"]) == (0, 0), lt["urn"]
    assert interfaces[0]["interfaceType"] == "interface", lt["urn"]


def test_security_groups_per_interface_on_an_efa_pool() -> None:
    c = build(efa_pool())
    lt = c.one(LAUNCH_TEMPLATE)
    efa_sg = efa_sg_id(c)
    assert efa_sg != NODE_SG
    primary, *efa_only = lt["inputs"]["networkInterfaces"]
    assert primary["securityGroups"] == [NODE_SG, efa_sg], lt["urn"]
    for iface in efa_only:
        assert iface["securityGroups"] == [efa_sg], (lt["urn"], iface)
    assert lt["propertyDependencies"]["networkInterfaces"] == [c.urn(SG)], lt["urn"]


def test_plain_pool_has_one_interface_with_the_zone_node_group() -> None:
    c = build(plain_pool())
    lt = c.one(LAUNCH_TEMPLATE)
    assert lt["inputs"]["networkInterfaces"] == [
        {
            "networkCardIndex": 0,
            "deviceIndex": 0,
            "interfaceType": "interface",
            "securityGroups": [NODE_SG],
            "associatePublicIpAddress": "false",
            "deleteOnTermination": "true",
        }
    ], lt["urn"]


# ----- EFA security group and placement ----------------------------------------------------------------


def test_efa_group_has_exactly_two_self_referencing_rules() -> None:
    c = build(efa_pool())
    sg = c.one(SG)
    sg_urn = sg["urn"]
    assert sg["inputs"]["vpcId"] == VPC_ID, sg_urn
    assert "ingress" not in sg["inputs"] and "egress" not in sg["inputs"], sg_urn  # no inline rules
    assert c.of_type(LEGACY_RULE) == []
    rules = c.of_type(INGRESS) + c.of_type(EGRESS)
    assert len(rules) == 2, [r["urn"] for r in rules]
    assert len(c.of_type(INGRESS)) == 1 and len(c.of_type(EGRESS)) == 1
    for rule in rules:
        inputs = rule["inputs"]
        assert inputs["ipProtocol"] == "-1", rule["urn"]
        assert inputs["referencedSecurityGroupId"] == inputs["securityGroupId"], rule["urn"]
        assert rule["propertyDependencies"]["referencedSecurityGroupId"] == [sg_urn], rule["urn"]
        assert rule["propertyDependencies"]["securityGroupId"] == [sg_urn], rule["urn"]
        for widening in ("cidrIpv4", "cidrIpv6", "prefixListId", "fromPort", "toPort"):
            assert widening not in inputs, (rule["urn"], widening)


def test_cluster_placement_group_is_used_by_the_launch_template() -> None:
    c = build(efa_pool())
    pg = c.one(PLACEMENT)
    assert pg["inputs"]["strategy"] == "cluster", pg["urn"]
    lt = c.one(LAUNCH_TEMPLATE)
    assert lt["inputs"]["placement"]["groupName"], lt["urn"]
    assert lt["propertyDependencies"]["placement"] == [pg["urn"]], lt["urn"]


def test_no_placement_group_when_disabled() -> None:
    c = build(efa_pool(placement_group=False))
    assert c.of_type(PLACEMENT) == []
    lt = c.one(LAUNCH_TEMPLATE)
    assert "placement" not in lt["inputs"], lt["urn"]
    assert len(c.of_type(SG)) == 1  # still an EFA pool


def test_plain_pool_has_no_efa_group_and_no_placement_group() -> None:
    c = build(plain_pool())  # placement_group defaults to true; it only applies to EFA pools
    for typ in (SG, INGRESS, EGRESS, PLACEMENT):
        assert c.of_type(typ) == [], [r["urn"] for r in c.of_type(typ)]
    ng = c.one(NODE_GROUP)
    assert EFA_LABEL not in ng["inputs"]["labels"], ng["urn"]


# ----- capacity ----------------------------------------------------------------------------------------


def test_capacity_block_settings() -> None:
    c = build(efa_pool(capacity_type="CAPACITY_BLOCK", capacity_reservation_id=RESERVATION, placement_group=False))
    lt = c.one(LAUNCH_TEMPLATE)
    assert lt["inputs"]["instanceMarketOptions"] == {"marketType": "capacity-block"}, lt["urn"]
    assert lt["inputs"]["capacityReservationSpecification"] == {
        "capacityReservationTarget": {"capacityReservationId": RESERVATION}
    }, lt["urn"]
    ng = c.one(NODE_GROUP)
    assert ng["inputs"]["capacityType"] == "CAPACITY_BLOCK", ng["urn"]


def test_capacity_block_without_reservation_is_refused() -> None:
    with pytest.raises(Exception, match="capacity_reservation_id"):
        build(efa_pool(capacity_type="CAPACITY_BLOCK", placement_group=False))


def test_on_demand_reservation_is_targeted() -> None:
    c = build(efa_pool(capacity_reservation_id=RESERVATION, placement_group=False))
    lt = c.one(LAUNCH_TEMPLATE)
    assert lt["inputs"]["capacityReservationSpecification"] == {
        "capacityReservationTarget": {"capacityReservationId": RESERVATION}
    }, lt["urn"]
    assert "instanceMarketOptions" not in lt["inputs"], lt["urn"]
    assert c.one(NODE_GROUP)["inputs"]["capacityType"] == "ON_DEMAND"


def test_plain_on_demand_has_no_capacity_settings() -> None:
    c = build(plain_pool())
    lt = c.one(LAUNCH_TEMPLATE)
    assert "instanceMarketOptions" not in lt["inputs"], lt["urn"]
    assert "capacityReservationSpecification" not in lt["inputs"], lt["urn"]


def test_spot_pool() -> None:
    c = build(plain_pool(capacity_type="SPOT"))
    ng = c.one(NODE_GROUP)
    assert ng["inputs"]["capacityType"] == "SPOT", ng["urn"]
    # EKS requests Spot itself; market options in the launch template are refused for SPOT node groups.
    assert "instanceMarketOptions" not in c.one(LAUNCH_TEMPLATE)["inputs"]


def test_spot_with_a_reservation_is_refused() -> None:
    with pytest.raises(Exception, match="SPOT"):
        build(plain_pool(capacity_type="SPOT", capacity_reservation_id=RESERVATION))


# ----- node group ----------------------------------------------------------------------------------------


def test_taint_and_labels_on_an_efa_pool() -> None:
    c = build(efa_pool())
    ng = c.one(NODE_GROUP)
    assert ng["inputs"]["taints"] == [GPU_TAINT.eks()], ng["urn"]
    assert ng["inputs"]["labels"] == {
        ZONE_LABEL: "training",
        POOL_LABEL: "train-p5",
        ACCELERATOR_LABEL: "nvidia-h100",
        EFA_LABEL: "true",
    }, ng["urn"]


def test_accelerator_label_for_types_outside_the_catalog_and_mixed_pools() -> None:
    unknown = build(plain_pool(instance_types=["g6e.12xlarge", "x9.48xlarge"])).one(NODE_GROUP)
    assert unknown["inputs"]["labels"][ACCELERATOR_LABEL] == "unknown", unknown["urn"]
    mixed = build(plain_pool(instance_types=["g5.xlarge", "g6.xlarge"])).one(NODE_GROUP)
    assert mixed["inputs"]["labels"][ACCELERATOR_LABEL] == "mixed", mixed["urn"]
    same = build(plain_pool(instance_types=["g5.xlarge", "g5.2xlarge"])).one(NODE_GROUP)
    assert same["inputs"]["labels"][ACCELERATOR_LABEL] == "nvidia-a10g", same["urn"]


def test_sizes_types_and_launch_template_reference() -> None:
    c = build(plain_pool(instance_types=["g6.12xlarge", "g5.12xlarge"]))
    ng = c.one(NODE_GROUP)
    inputs = ng["inputs"]
    assert inputs["scalingConfig"] == {"minSize": 1, "desiredSize": 1, "maxSize": 3}, ng["urn"]
    assert inputs["instanceTypes"] == ["g6.12xlarge", "g5.12xlarge"], ng["urn"]
    assert inputs["capacityType"] == "ON_DEMAND", ng["urn"]
    assert inputs["clusterName"] == "enclave-prod", ng["urn"]
    assert set(inputs["launchTemplate"]) == {"id", "version"}, ng["urn"]
    assert inputs["launchTemplate"]["version"] == "1", ng["urn"]  # latest_version, as a string
    assert ng["propertyDependencies"]["launchTemplate"] == [c.urn(LAUNCH_TEMPLATE)], ng["urn"]


def test_efa_pool_runs_in_its_single_az_subnet() -> None:
    ng = build(efa_pool(availability_zone="us-east-1b")).one(NODE_GROUP)
    assert ng["inputs"]["subnetIds"] == [SUBNET_BY_AZ["us-east-1b"]], ng["urn"]


def test_plain_pool_spans_every_subnet() -> None:
    ng = build(plain_pool()).one(NODE_GROUP)
    assert ng["inputs"]["subnetIds"] == SUBNETS, ng["urn"]


def test_unknown_availability_zone_is_refused() -> None:
    with pytest.raises(Exception, match="us-east-1f"):
        build(efa_pool(availability_zone="us-east-1f"))


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"zone": "Training"}, "GpuNodePoolArgs.zone='Training': a name must"),
        ({"pool_name": "a" * 30}, "GpuNodePoolArgs.pool_name="),
        ({"instance_types": []}, "GpuNodePoolArgs.instance_types=\\[\\]"),
        ({"instance_types": ["P5.48XL"]}, "instance_types"),
        ({"disk_size_gib": 10}, "GpuNodePoolArgs.disk_size_gib=10: Input should be greater than or equal to 20"),
        ({"desired_size": 9}, "min_size <= desired_size <= max_size"),
        ({"capacity_type": "RESERVED"}, "capacity_type='RESERVED'"),
        ({"capacity_reservation_id": "reservation"}, "capacity_reservation_id='reservation'"),
        ({"availability_zone": None}, "availability_zone=None: an EFA pool needs availability_zone"),
        ({"instance_types": ["p5.48xlarge", "p5e.48xlarge"]}, "exactly one instance type"),
        ({"gpu": False}, "GpuNodePoolArgs.efa=True: EFA is for GPU pools only"),
    ],
)
def test_args_refuse_what_the_stack_file_or_aws_would(fields: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        pool_args(efa_pool(), **fields)


# ----- node role -----------------------------------------------------------------------------------------


def test_node_role_trusts_ec2_only() -> None:
    c = build(efa_pool())
    role = c.one(ROLE)
    doc = json.loads(role["inputs"]["assumeRolePolicy"])
    assert doc["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ], role["urn"]
    ng = c.one(NODE_GROUP)
    assert ng["propertyDependencies"]["nodeRoleArn"] == [role["urn"]], ng["urn"]


def test_node_role_has_exactly_the_two_node_policies() -> None:
    c = build(efa_pool())
    attachments = c.of_type(ATTACHMENT)
    arns = sorted(a["inputs"]["policyArn"] for a in attachments)
    assert arns == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    ], [a["urn"] for a in attachments]
    assert not any("CNI" in arn for arn in arns)
    role_urn = c.urn(ROLE)
    for a in attachments:
        assert a["propertyDependencies"]["role"] == [role_urn], a["urn"]
    ng = c.one(NODE_GROUP)
    for a in attachments:
        assert a["urn"] in ng["dependencies"], (ng["urn"], a["urn"])


# ----- preview and the system pool -------------------------------------------------------------------------


@pytest.mark.parametrize("config", [efa_pool(), plain_pool()], ids=["efa", "plain"])
def test_preview_registers_the_same_resources(config: NodePool) -> None:
    def shape(c: Captured) -> list[tuple[str, str]]:
        return sorted((r["type"], r["name"]) for r in c.resources)

    assert shape(build(config, preview=True)) == shape(build(config))


def test_system_pool_is_tainted_for_critical_addons_and_unlabelled_for_gpus() -> None:
    """Zone pods never tolerate CriticalAddonsOnly (admission refuses it), so they cannot land beside istiod,
    Kyverno and CoreDNS."""
    config = NodePool(
        name="system",
        zone="platform",
        instance_types=["m7i.xlarge"],
        min_size=2,
        desired_size=2,
        max_size=4,
        disk_size_gib=100,
    )
    c = build(config, gpu=False)
    ng = c.one(NODE_GROUP)
    assert ng["inputs"]["amiType"] == "AL2023_x86_64_STANDARD", ng["urn"]
    assert ng["inputs"]["taints"] == [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}]
    assert ACCELERATOR_LABEL not in ng["inputs"]["labels"], ng["urn"]
    lt = c.one(LAUNCH_TEMPLATE)
    assert lt["inputs"]["metadataOptions"]["httpPutResponseHopLimit"] == 1, lt["urn"]
