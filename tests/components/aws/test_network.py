"""Network: private-only subnets, no internet path, VPC endpoints, the endpoint security group, flow logs,
the existing-VPC variant, and the pure subnet plan."""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

import pulumi
import pytest

from components.aws.network import INTERFACE_SERVICES, Network, NetworkArgs
from components.aws.network_layout import (
    endpoint_block,
    endpoint_subnet_cidrs,
    node_subnet_cidrs,
    regional_dns_name,
    select_zones,
    zone_plans,
)
from components.config import CreatedNetwork, ExistingNetwork
from enclave.fakes import FakeCloud
from tests.components.harness import ACCOUNT, REGION, Captured, capture

KEY = "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-4333-8444-555555555555"
AZS = ["us-east-1a", "us-east-1b", "us-east-1c"]
TAGS = {"team": "ml-platform"}

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"

# Existing subnets chosen so the fake cloud puts two of them in one AZ (checked in the test using them).
EXISTING_SUBNETS = [
    "subnet-0a1b2c3d4e5f60001",
    "subnet-0a1b2c3d4e5f60002",
    "subnet-0a1b2c3d4e5f60003",
    "subnet-0a1b2c3d4e5f60004",
]
EXISTING_TABLES = ["rtb-0a1b2c3d4e5f60001", "rtb-0a1b2c3d4e5f60002"]
EXISTING_VPC = "vpc-0a1b2c3d4e5f60718"


def created(**fields: Any) -> CreatedNetwork:
    return CreatedNetwork.model_validate({"mode": "create", "cidr": "10.40.0.0/16", "az_count": 3, **fields})


def existing(**fields: Any) -> ExistingNetwork:
    return ExistingNetwork.model_validate(
        {
            "mode": "existing",
            "vpc_id": EXISTING_VPC,
            "cidr": "10.20.0.0/16",
            "private_subnet_ids": EXISTING_SUBNETS,
            "private_route_table_ids": EXISTING_TABLES,
            **fields,
        }
    )


def build(
    config: CreatedNetwork | ExistingNetwork, preview: bool = False, cloud: FakeCloud | None = None
) -> tuple[Captured, dict[str, Any]]:
    """Captured registrations plus the component's attributes (outputs resolved during the run)."""
    seen: dict[str, Any] = {}

    def program() -> None:
        net = Network(
            "prod",
            NetworkArgs(settings=config, region=REGION, flow_log_key_arn=KEY, log_retention_days=400, tags=TAGS),
        )
        seen["net"] = net
        pulumi.Output.all(*net.private_subnet_ids).apply(lambda ids: seen.__setitem__("private_subnet_ids", ids))
        pulumi.Output.all(**net.subnet_by_az).apply(lambda by_az: seen.__setitem__("subnet_by_az", by_az))
        net.vpc_id.apply(lambda v: seen.__setitem__("vpc_id", v))
        if net.s3_interface_endpoint_dns is not None:
            net.s3_interface_endpoint_dns.apply(lambda v: seen.__setitem__("s3_dns", v))

    return capture(program, preview=preview, cloud=cloud), seen


def fake_id(typ: str, name: str) -> str:
    return FakeCloud(region=REGION, account_id=ACCOUNT).outputs(typ, name, {})[0]


def by_name(c: Captured, typ: str) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in c.of_type(typ)}


def walk(value: Any) -> list[Any]:
    """Every scalar inside a nested input value."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in walk(v)]
    if isinstance(value, list):
        return [x for v in value for x in walk(v)]
    return [value]


@pytest.fixture(scope="module")
def net() -> tuple[Captured, dict[str, Any]]:
    return build(created())


@pytest.fixture(scope="module")
def c(net: tuple[Captured, dict[str, Any]]) -> Captured:
    return net[0]


# ----- created VPC ---------------------------------------------------------------------------------


def test_vpc_has_the_config_cidr_and_dns_for_private_endpoints(c: Captured) -> None:
    vpc = c.one(VPC, "prod-vpc")
    assert vpc["inputs"]["cidrBlock"] == "10.40.0.0/16", vpc["urn"]
    assert vpc["inputs"]["enableDnsSupport"] is True, vpc["urn"]
    assert vpc["inputs"]["enableDnsHostnames"] is True, vpc["urn"]
    assert vpc["inputs"]["tags"] == {**TAGS, "Name": "prod-vpc"}, vpc["urn"]


def test_node_and_endpoint_subnets_exact(c: Captured) -> None:
    subnets = by_name(c, SUBNET)
    expected = {
        "prod-node-us-east-1a": ("10.40.0.0/19", "us-east-1a"),
        "prod-node-us-east-1b": ("10.40.32.0/19", "us-east-1b"),
        "prod-node-us-east-1c": ("10.40.64.0/19", "us-east-1c"),
        "prod-endpoints-us-east-1a": ("10.40.255.0/27", "us-east-1a"),
        "prod-endpoints-us-east-1b": ("10.40.255.32/27", "us-east-1b"),
        "prod-endpoints-us-east-1c": ("10.40.255.64/27", "us-east-1c"),
    }
    assert set(subnets) == set(expected), sorted(r["urn"] for r in subnets.values())
    for name, (cidr, az) in expected.items():
        s = subnets[name]
        assert (s["inputs"]["cidrBlock"], s["inputs"]["availabilityZone"]) == (cidr, az), s["urn"]


def test_no_subnet_assigns_public_ips(c: Captured) -> None:
    subnets = c.of_type(SUBNET)
    assert len(subnets) == 6
    for s in subnets:
        assert s["inputs"]["mapPublicIpOnLaunch"] is False, s["urn"]


def test_only_node_subnets_carry_the_internal_elb_tag(c: Captured) -> None:
    for s in c.of_type(SUBNET):
        tags = s["inputs"]["tags"]
        assert tags["Name"] == s["name"] and tags["team"] == "ml-platform", s["urn"]
        if s["name"].startswith("prod-node-"):
            assert tags["kubernetes.io/role/internal-elb"] == "1", s["urn"]
        else:
            assert "kubernetes.io/role/internal-elb" not in tags, s["urn"]


def test_subnets_and_route_tables_depend_on_the_vpc(c: Captured) -> None:
    vpc_urn = c.urn(VPC, "prod-vpc")
    for r in [*c.of_type(SUBNET), *c.of_type(ROUTE_TABLE), *c.of_type(DEFAULT_SG), *c.of_type(SG)]:
        assert r["propertyDependencies"]["vpcId"] == [vpc_urn], r["urn"]


def test_no_internet_path_is_registered(c: Captured) -> None:
    types = {r["type"] for r in c.resources}
    for forbidden in (
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/eip:Eip",
        "aws:ec2/route:Route",
        "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment",
    ):
        assert forbidden not in types, f"{forbidden} registered: {sorted(types)}"
    for r in c.resources:
        assert "0.0.0.0/0" not in walk(r["inputs"]), r["urn"]
        assert "::/0" not in walk(r["inputs"]), r["urn"]
    for table in c.of_type(ROUTE_TABLE):
        # Inline routes would take the gateway endpoint's route away (and could add a default route).
        assert "routes" not in table["inputs"], table["urn"]


def test_one_route_table_per_az_for_its_node_and_endpoint_subnet(c: Captured) -> None:
    tables = by_name(c, ROUTE_TABLE)
    assert set(tables) == {f"prod-rt-{az}" for az in AZS}, sorted(tables)
    associations = by_name(c, ASSOCIATION)
    assert len(associations) == 6, sorted(associations)
    for az in AZS:
        for kind in ("node", "endpoints"):
            a = associations[f"prod-rt-{az}-{kind}"]
            deps = a["propertyDependencies"]
            assert deps["routeTableId"] == [c.urn(ROUTE_TABLE, f"prod-rt-{az}")], a["urn"]
            assert deps["subnetId"] == [c.urn(SUBNET, f"prod-{kind}-{az}")], a["urn"]
            assert a["inputs"]["subnetId"] == fake_id(SUBNET, f"prod-{kind}-{az}"), a["urn"]


def test_default_security_group_is_stripped_of_rules(c: Captured) -> None:
    sg = c.one(DEFAULT_SG, "prod-default-sg")
    assert "ingress" not in sg["inputs"] and "egress" not in sg["inputs"], sg["urn"]


def test_s3_gateway_endpoint_on_every_route_table(c: Captured) -> None:
    s3 = c.one(ENDPOINT, "prod-vpce-s3")
    assert s3["inputs"]["vpcEndpointType"] == "Gateway", s3["urn"]
    assert s3["inputs"]["serviceName"] == "com.amazonaws.us-east-1.s3", s3["urn"]
    assert s3["propertyDependencies"]["routeTableIds"] == sorted(c.urn(ROUTE_TABLE, f"prod-rt-{az}") for az in AZS)
    assert s3["inputs"]["routeTableIds"] == [fake_id(ROUTE_TABLE, f"prod-rt-{az}") for az in AZS], s3["urn"]
    assert "subnetIds" not in s3["inputs"] and "securityGroupIds" not in s3["inputs"], s3["urn"]


def test_interface_endpoints_in_endpoint_subnets_with_private_dns(c: Captured) -> None:
    endpoints = by_name(c, ENDPOINT)
    expected = {f"prod-vpce-{s.replace('.', '-')}": s for s in INTERFACE_SERVICES}
    assert set(INTERFACE_SERVICES) == {"ecr.api", "ecr.dkr", "sts", "logs", "ec2", "eks", "eks-auth"}
    assert set(endpoints) == {*expected, "prod-vpce-s3", "prod-vpce-s3-interface"}, sorted(endpoints)
    endpoint_subnet_urns = sorted(c.urn(SUBNET, f"prod-endpoints-{az}") for az in AZS)
    endpoint_subnet_ids = [fake_id(SUBNET, f"prod-endpoints-{az}") for az in AZS]
    sg_urn = c.urn(SG, "prod-endpoints")
    for name, service in {**expected, "prod-vpce-s3-interface": "s3"}.items():
        e = endpoints[name]
        inputs = e["inputs"]
        assert inputs["vpcEndpointType"] == "Interface", e["urn"]
        assert inputs["serviceName"] == f"com.amazonaws.us-east-1.{service}", e["urn"]
        assert inputs["privateDnsEnabled"] is (name != "prod-vpce-s3-interface"), e["urn"]
        assert inputs["subnetIds"] == endpoint_subnet_ids, e["urn"]
        assert e["propertyDependencies"]["subnetIds"] == endpoint_subnet_urns, e["urn"]
        assert e["propertyDependencies"]["securityGroupIds"] == [sg_urn], e["urn"]
        assert c.urn(INGRESS, "prod-endpoints-https") in e["dependencies"], e["urn"]


def test_endpoint_security_group_allows_only_https_from_the_vpc(c: Captured) -> None:
    sg = c.one(SG, "prod-endpoints")
    assert "ingress" not in sg["inputs"] and "egress" not in sg["inputs"], sg["urn"]
    rule = c.one(INGRESS)
    assert rule["inputs"]["ipProtocol"] == "tcp", rule["urn"]
    assert (rule["inputs"]["fromPort"], rule["inputs"]["toPort"]) == (443, 443), rule["urn"]
    assert rule["inputs"]["cidrIpv4"] == "10.40.0.0/16", rule["urn"]
    assert rule["propertyDependencies"]["securityGroupId"] == [sg["urn"]], rule["urn"]
    for other in (
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
    ):
        assert not c.of_type(other), [r["urn"] for r in c.of_type(other)]


def test_flow_log_captures_all_traffic_into_the_encrypted_group(c: Captured) -> None:
    group = c.one(LOG_GROUP, "prod-flow-logs")
    assert group["inputs"]["name"] == "/enclave/prod/vpc-flow-logs", group["urn"]
    assert group["inputs"]["kmsKeyId"] == KEY and group["inputs"]["retentionInDays"] == 400, group["urn"]
    log = c.one(FLOW_LOG, "prod-flow-log")
    inputs = log["inputs"]
    assert inputs["trafficType"] == "ALL", log["urn"]
    assert inputs["logDestinationType"] == "cloud-watch-logs", log["urn"]
    assert inputs["logDestination"] == "arn:aws:logs:us-east-1:111122223333:log-group:/enclave/prod/vpc-flow-logs"
    assert inputs["maxAggregationInterval"] == 60, log["urn"]
    assert log["propertyDependencies"]["logDestination"] == [group["urn"]], log["urn"]
    assert log["propertyDependencies"]["iamRoleArn"] == [c.urn(ROLE, "prod-flow-logs-role")], log["urn"]
    assert log["propertyDependencies"]["vpcId"] == [c.urn(VPC, "prod-vpc")], log["urn"]
    # The role can write before the flow log starts delivering.
    assert c.urn(ROLE_POLICY, "prod-flow-logs-write") in log["dependencies"], log["urn"]


def test_flow_log_role_trusts_only_the_flow_logs_service_of_this_account(c: Captured) -> None:
    role = c.one(ROLE, "prod-flow-logs-role")
    (stmt,) = c.doc(ROLE, "prod-flow-logs-role", "assumeRolePolicy")["Statement"]
    assert stmt["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}, role["urn"]
    assert stmt["Action"] == "sts:AssumeRole" and stmt["Effect"] == "Allow", role["urn"]
    assert stmt["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}, role["urn"]
    assert stmt["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc-flow-log/*"}, role[
        "urn"
    ]


def test_flow_log_policy_is_exactly_write_to_its_group(c: Captured) -> None:
    policy = c.one(ROLE_POLICY, "prod-flow-logs-write")
    arn = "arn:aws:logs:us-east-1:111122223333:log-group:/enclave/prod/vpc-flow-logs"
    doc = json.loads(policy["inputs"]["policy"])
    assert doc == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteFlowLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [arn, f"{arn}:*"],
            },
            {
                # DescribeLogGroups has no single-group resource: the account's groups in this region.
                "Sid": "FindFlowLogGroup",
                "Effect": "Allow",
                "Action": ["logs:DescribeLogGroups"],
                "Resource": "arn:aws:logs:us-east-1:111122223333:log-group:*",
            },
        ],
    }, policy["urn"]
    assert "*" not in walk(doc["Statement"][0]["Resource"]), policy["urn"]
    assert policy["propertyDependencies"]["policy"] == [c.urn(LOG_GROUP, "prod-flow-logs")], policy["urn"]
    assert policy["propertyDependencies"]["role"] == [c.urn(ROLE, "prod-flow-logs-role")], policy["urn"]


def test_taggable_resources_carry_tags_and_a_name(c: Captured) -> None:
    untaggable = {ASSOCIATION, ROLE_POLICY, "enclave:aws:Network"}
    for r in c.resources:
        if r["type"] in untaggable:
            continue
        assert r["inputs"]["tags"] == {**r["inputs"]["tags"], **TAGS, "Name": r["name"]}, r["urn"]


def test_attributes_other_components_use(net: tuple[Captured, dict[str, Any]]) -> None:
    _, seen = net
    network: Network = seen["net"]
    node_ids = [fake_id(SUBNET, f"prod-node-{az}") for az in AZS]
    assert seen["private_subnet_ids"] == node_ids
    assert seen["subnet_by_az"] == dict(zip(AZS, node_ids, strict=True))
    assert list(network.subnet_by_az) == AZS
    assert seen["vpc_id"] == fake_id(VPC, "prod-vpc")
    assert network.vpc_cidr == "10.40.0.0/16"
    assert network.endpoint_cidr == "10.40.255.0/24"
    assert set(network.endpoints) == {"s3", "s3-interface", *INTERFACE_SERVICES}
    s3_interface = fake_id(ENDPOINT, "prod-vpce-s3-interface")
    # The fake reports `*.<id>-<suffix>.s3.<region>.vpce.amazonaws.com`, as AWS does; the wildcard goes.
    assert re.fullmatch(rf"{s3_interface}-[0-9a-f]{{8}}\.s3\.us-east-1\.vpce\.amazonaws\.com", seen["s3_dns"])
    assert network.flow_log is not None and network.flow_log_group is not None
    assert network.endpoint_security_group is not None


def test_no_flow_log_when_disabled() -> None:
    c, seen = build(created(flow_logs=False))
    for typ in (FLOW_LOG, LOG_GROUP, ROLE, ROLE_POLICY):
        assert not c.of_type(typ), [r["urn"] for r in c.of_type(typ)]
    assert seen["net"].flow_log is None and seen["net"].flow_log_group is None
    assert c.of_type(VPC) and len(c.of_type(ENDPOINT)) == 9, "the rest of the network stays"


def test_preview_registers_the_same_resources(c: Captured) -> None:
    preview, _ = build(created(), preview=True)
    names = sorted((r["type"], r["name"]) for r in c.resources)
    assert sorted((r["type"], r["name"]) for r in preview.resources) == names
    # Dependencies are known in preview even when ids are not.
    fl = preview.one(FLOW_LOG)
    assert fl["propertyDependencies"]["logDestination"] == [preview.urn(LOG_GROUP)], fl["urn"]


def test_six_azs_in_a_20_vpc() -> None:
    # A fake region with six EKS-capable zones (us-east-1 has five: use1-az3 is excluded).
    cloud = FakeCloud(region=REGION, account_id=ACCOUNT, zone_id_numbers=(1, 2, 4, 5, 6, 7))
    c, seen = build(created(cidr="10.50.16.0/20", az_count=6), cloud=cloud)
    nodes = sorted(
        (s["inputs"]["availabilityZone"], s["inputs"]["cidrBlock"])
        for s in c.of_type(SUBNET)
        if s["name"].startswith("prod-node-")
    )
    assert nodes == [(f"us-east-1{x}", f"10.50.{16 + 2 * i}.0/23") for i, x in enumerate("abcdef")]
    eps = sorted(
        (s["inputs"]["availabilityZone"], s["inputs"]["cidrBlock"])
        for s in c.of_type(SUBNET)
        if s["name"].startswith("prod-endpoints-")
    )
    assert eps == [(f"us-east-1{x}", f"10.50.31.{32 * i}/27") for i, x in enumerate("abcdef")]
    assert seen["net"].endpoint_cidr == "10.50.31.0/24"


def test_availability_zones_exclude_local_zones_and_must_suffice(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    original = FakeCloud.invoke

    def two_zones(self: FakeCloud, token: str, args: dict[str, Any]) -> dict[str, Any]:
        out = original(self, token, args)
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            calls.append(args)
            out["names"] = out["names"][:2]
        return out

    monkeypatch.setattr(FakeCloud, "invoke", two_zones)
    with pytest.raises(ValueError, match="3 availability zones requested, only 2 available"):
        build(created(az_count=3))
    assert calls and calls[0]["state"] == "available"
    assert calls[0]["filters"] == [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]


# ----- existing VPC --------------------------------------------------------------------------------


def test_existing_vpc_creates_no_network_only_endpoints_and_flow_log() -> None:
    c, seen = build(existing())
    for typ in (VPC, SUBNET, ROUTE_TABLE, ASSOCIATION, DEFAULT_SG):
        assert not c.of_type(typ), [r["urn"] for r in c.of_type(typ)]
    fake = FakeCloud(region=REGION)
    zones = [fake.invoke("aws:ec2/getSubnet:getSubnet", {"id": s})["availabilityZone"] for s in EXISTING_SUBNETS]
    assert zones == ["us-east-1a", "us-east-1c", "us-east-1b", "us-east-1c"], "fake cloud AZs changed; pick new ids"
    first_per_az = EXISTING_SUBNETS[:3]

    s3 = c.one(ENDPOINT, "prod-vpce-s3")
    assert s3["inputs"]["routeTableIds"] == EXISTING_TABLES, s3["urn"]
    assert s3["inputs"]["vpcId"] == EXISTING_VPC, s3["urn"]
    interface = [e for e in c.of_type(ENDPOINT) if e["inputs"]["vpcEndpointType"] == "Interface"]
    assert len(interface) == 8
    for e in interface:
        assert e["inputs"]["subnetIds"] == first_per_az, e["urn"]
        assert e["inputs"]["vpcId"] == EXISTING_VPC, e["urn"]
    rule = c.one(INGRESS)
    assert rule["inputs"]["cidrIpv4"] == "10.20.0.0/16", rule["urn"]
    log = c.one(FLOW_LOG)
    assert log["inputs"]["vpcId"] == EXISTING_VPC and log["propertyDependencies"]["vpcId"] == [], log["urn"]

    network: Network = seen["net"]
    assert seen["private_subnet_ids"] == EXISTING_SUBNETS
    assert seen["subnet_by_az"] == {
        "us-east-1a": EXISTING_SUBNETS[0],
        "us-east-1c": EXISTING_SUBNETS[1],
        "us-east-1b": EXISTING_SUBNETS[2],
    }
    assert seen["vpc_id"] == EXISTING_VPC
    assert network.endpoint_cidr == network.vpc_cidr == "10.20.0.0/16"


def test_existing_vpc_without_endpoints() -> None:
    c, seen = build(existing(create_endpoints=False, flow_logs=False))
    for typ in (ENDPOINT, SG, INGRESS, FLOW_LOG):
        assert not c.of_type(typ), [r["urn"] for r in c.of_type(typ)]
    network: Network = seen["net"]
    assert network.endpoints == {} and network.endpoint_security_group is None
    assert network.s3_interface_endpoint_dns is None
    assert [r["type"] for r in c.resources] == ["enclave:aws:Network"]


def test_existing_vpc_preview_registers_the_same_resources() -> None:
    live, _ = build(existing())
    preview, _ = build(existing(), preview=True)
    assert sorted((r["type"], r["name"]) for r in preview.resources) == sorted(
        (r["type"], r["name"]) for r in live.resources
    )
    assert len(preview.of_type(ENDPOINT)) == 9


def test_existing_subnet_with_public_ips_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    original = FakeCloud.invoke

    def public(self: FakeCloud, token: str, args: dict[str, Any]) -> dict[str, Any]:
        out = original(self, token, args)
        if token == "aws:ec2/getSubnet:getSubnet" and args["id"] == EXISTING_SUBNETS[1]:
            out["mapPublicIpOnLaunch"] = True
        return out

    monkeypatch.setattr(FakeCloud, "invoke", public)
    with pytest.raises(ValueError, match=f"{EXISTING_SUBNETS[1]} assigns public IPs"):
        build(existing())


# ----- pure layout ---------------------------------------------------------------------------------


def test_layout_16_three_azs() -> None:
    assert node_subnet_cidrs("10.40.0.0/16", 3) == ["10.40.0.0/19", "10.40.32.0/19", "10.40.64.0/19"]
    assert endpoint_block("10.40.0.0/16") == "10.40.255.0/24"
    assert endpoint_subnet_cidrs("10.40.0.0/16", 3) == ["10.40.255.0/27", "10.40.255.32/27", "10.40.255.64/27"]


def test_layout_20_six_azs() -> None:
    assert node_subnet_cidrs("172.16.32.0/20", 6) == [
        "172.16.32.0/23",
        "172.16.34.0/23",
        "172.16.36.0/23",
        "172.16.38.0/23",
        "172.16.40.0/23",
        "172.16.42.0/23",
    ]
    assert endpoint_block("172.16.32.0/20") == "172.16.47.0/24"
    assert endpoint_subnet_cidrs("172.16.32.0/20", 6) == [
        "172.16.47.0/27",
        "172.16.47.32/27",
        "172.16.47.64/27",
        "172.16.47.96/27",
        "172.16.47.128/27",
        "172.16.47.160/27",
    ]


@pytest.mark.parametrize("prefix", [16, 17, 18, 19, 20])
@pytest.mark.parametrize("az_count", [1, 2, 3, 4, 5, 6])
def test_layout_subnets_are_disjoint_and_inside_the_vpc(prefix: int, az_count: int) -> None:
    vpc = ipaddress.IPv4Network(f"10.64.0.0/{prefix}")
    azs = [f"eu-west-1{x}" for x in "abcdef"[:az_count]]
    plans = zone_plans(str(vpc), azs)
    assert [p.availability_zone for p in plans] == azs
    nets = [ipaddress.IPv4Network(c) for p in plans for c in (p.node_cidr, p.endpoint_cidr)]
    assert all(n.subnet_of(vpc) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
    block = ipaddress.IPv4Network(endpoint_block(str(vpc)))
    assert block.broadcast_address == vpc.broadcast_address and block.prefixlen == 24
    assert all(ipaddress.IPv4Network(p.endpoint_cidr).subnet_of(block) for p in plans)
    assert all(ipaddress.IPv4Network(p.node_cidr).prefixlen == prefix + 3 for p in plans)


@pytest.mark.parametrize(
    ("cidr", "az_count", "message"),
    [
        ("10.0.0.0/15", 3, "/16 to /20"),
        ("10.0.0.0/21", 3, "/16 to /20"),
        ("10.0.0.0/16", 0, "az_count must be 1 to 6"),
        ("10.0.0.0/16", 7, "az_count must be 1 to 6"),
        ("fd00::/56", 3, "IPv4"),
    ],
)
def test_layout_refuses_what_it_cannot_plan(cidr: str, az_count: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        node_subnet_cidrs(cidr, az_count)


def test_layout_refuses_duplicate_zones_and_too_few_zones() -> None:
    with pytest.raises(ValueError, match="distinct"):
        zone_plans("10.0.0.0/16", ["us-east-1a", "us-east-1a"])
    with pytest.raises(ValueError, match="only 2 available"):
        select_zones(["us-east-1a", "us-east-1b"], 3)
    assert select_zones(["a", "b", "c", "d"], 3) == ["a", "b", "c"]


def test_regional_dns_name_drops_the_wildcard_label() -> None:
    assert regional_dns_name("*.vpce-0abc-12de.s3.us-east-1.vpce.amazonaws.com") == (
        "vpce-0abc-12de.s3.us-east-1.vpce.amazonaws.com"
    )
    assert regional_dns_name("vpce-0abc-12de.sts.us-east-1.vpce.amazonaws.com") == (
        "vpce-0abc-12de.sts.us-east-1.vpce.amazonaws.com"
    )


def test_zones_eks_cannot_use_are_skipped_whatever_their_name() -> None:
    """In this fake account us-east-1b is use1-az3, where EKS places no control plane."""
    cloud = FakeCloud(region=REGION, account_id=ACCOUNT, zone_id_numbers=(1, 3, 2, 4, 5, 6))
    _, seen = build(created(), cloud=cloud)
    assert seen["net"].availability_zones == ["us-east-1a", "us-east-1c", "us-east-1d"]


def test_transit_gateway_attachment_routes_exactly_the_named_cidrs() -> None:
    tgw = {"id": "tgw-0a1b2c3d4e5f60718", "routes": ["10.60.0.0/16", "10.100.0.0/24"]}
    c, _ = build(created(transit_gateway=tgw))
    attachment = c.one("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
    assert attachment["inputs"]["transitGatewayId"] == tgw["id"]
    endpoint_subnets = {r["urn"] for r in c.of_type(SUBNET) if "-endpoints-" in r["name"]}
    assert set(attachment["propertyDependencies"]["subnetIds"]) == endpoint_subnets
    routes = c.of_type("aws:ec2/route:Route")
    assert len(routes) == 3 * 2
    assert {r["inputs"]["destinationCidrBlock"] for r in routes} == set(tgw["routes"])
    for route in routes:
        assert route["inputs"]["transitGatewayId"] == tgw["id"], route["urn"]
        assert attachment["urn"] in route["dependencies"], "a route to an unattached gateway is refused"
        assert route["inputs"]["destinationCidrBlock"] != "0.0.0.0/0"


def test_without_transit_gateway_no_route_leaves_the_vpc(net: tuple[Captured, dict[str, Any]]) -> None:
    c, _ = net
    assert c.of_type("aws:ec2/route:Route") == []
    assert c.of_type("aws:ec2transitgateway/vpcAttachment:VpcAttachment") == []


def test_regional_endpoint_name_is_chosen_whatever_the_order() -> None:
    from components.aws.network import _first_dns_name

    class Entry:
        def __init__(self, name: str) -> None:
            self.dns_name = name

    zonal = "*.vpce-0abc-1234abcd-us-east-1a.s3.us-east-1.vpce.amazonaws.com"
    regional = "*.vpce-0abc-1234abcd.s3.us-east-1.vpce.amazonaws.com"
    assert _first_dns_name([Entry(zonal), Entry(regional)]) == regional.removeprefix("*.")  # type: ignore[list-item]
    with pytest.raises(ValueError, match="no regional DNS entry"):
        _first_dns_name([Entry(zonal)])  # type: ignore[list-item]


def test_args_take_only_a_validated_network_block_and_a_logs_retention() -> None:
    with pytest.raises(ValueError, match=r"NetworkArgs.settings='dict': pass a validated CreatedNetwork"):
        NetworkArgs(settings={"mode": "create"}, region=REGION, flow_log_key_arn=KEY)  # type: ignore[arg-type]
    vpc = CreatedNetwork(mode="create")
    with pytest.raises(ValueError, match=r"NetworkArgs.log_retention_days=100: CloudWatch Logs accepts only"):
        NetworkArgs(settings=vpc, region=REGION, flow_log_key_arn=KEY, log_retention_days=100)
    assert NetworkArgs(settings=vpc, region=REGION, flow_log_key_arn=KEY).log_retention_days == 365
