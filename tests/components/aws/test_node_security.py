"""Zone node security groups: what each zone's nodes accept, computed from the registered rules (correlated by
property dependencies, as in a first preview) and compared with the flow matrix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.aws.node_security import (
    SYSTEM_SERVICES,
    SYSTEM_TO_ZONE,
    NodeSecurityGroups,
    NodeSecurityGroupsArgs,
    PortRange,
    node_zones,
)
from components.config import PlatformConfig, validate_platform
from enclave.synth import SynthResult
from tests.components.harness import capture
from tests.conftest import STACKS, stack_data

Synth = Callable[..., SynthResult]
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ALL_PORTS = "all"


def _accepts(result: SynthResult, env: str) -> tuple[dict[str, dict[str, set[Any]]], dict[str, str]]:
    """target zone -> source ('zone:<name>', 'control-plane', 'cidr:<x>') -> {PortRange | 'all'}."""
    zone_of = {r["urn"]: r["name"].removeprefix(f"{env}-").removesuffix("-nodes") for r in result.by_type(SG)
               if r["name"].endswith("-nodes")}  # fmt: skip
    (cluster,) = result.by_type("aws:eks/cluster:Cluster")
    out: dict[str, dict[str, set[Any]]] = {z: {} for z in zone_of.values()}
    for rule in result.by_type(INGRESS):
        deps = rule["propertyDependencies"]
        (target,) = deps.get("securityGroupId") or [None]
        if target not in zone_of:
            continue
        inputs = rule["inputs"]
        if "cidrIpv4" in inputs:
            source = f"cidr:{inputs['cidrIpv4']}"
        else:
            (ref,) = deps["referencedSecurityGroupId"]
            source = f"zone:{zone_of[ref]}" if ref in zone_of else "control-plane" if ref == cluster["urn"] else ref
        ports = ALL_PORTS if inputs["ipProtocol"] == "-1" else PortRange(
            inputs["ipProtocol"], inputs["fromPort"], inputs["toPort"]
        )  # fmt: skip
        out[zone_of[target]].setdefault(source, set()).add(ports)
    return out, zone_of


@pytest.mark.parametrize("stack", STACKS)
def test_zone_nodes_accept_only_their_zone_the_control_plane_the_system_pool_and_declared_flows(
    synthed: Synth, stack: str
) -> None:
    cfg = validate_platform(stack_data(stack))
    accepts, _ = _accepts(synthed(stack, True), stack)
    platform = next(z.name for z in cfg.zones if z.zone_class == "platform")
    zones = node_zones(cfg)
    assert set(accepts) == set(zones), "one group per zone with nodes"
    for target in zones:
        expected: dict[str, set[Any]] = {f"zone:{target}": {ALL_PORTS}, "control-plane": {ALL_PORTS}}
        if target != platform:
            expected[f"zone:{platform}"] = {addon.ports for addon in SYSTEM_TO_ZONE}
        for flow in cfg.flows:
            if flow.target == target and flow.source != target and flow.source in zones:
                for p in flow.ports:
                    expected.setdefault(f"zone:{flow.source}", set()).add(
                        PortRange(p.protocol.lower(), p.port, p.end_port or p.port)
                    )
        if target == platform:
            for source in zones:
                if source != platform:
                    expected.setdefault(f"zone:{source}", set()).update(SYSTEM_SERVICES)
        assert accepts[target] == expected, f"{stack}: zone {target} accepts {accepts[target]}"


def test_notebook_nodes_refuse_the_other_zones_and_inference_accepts_only_the_gateway(synthed: Synth) -> None:
    """The cases the review named: a notebook pod on inference nodes' doorstep, and the reverse."""
    accepts, _ = _accepts(synthed("prod", True), "prod")
    assert set(accepts["inference"]) == {"zone:inference", "control-plane", "zone:platform"}
    assert set(accepts["notebooks"]) == {"zone:notebooks", "control-plane", "zone:platform"}
    assert set(accepts["training"]) == {"zone:training", "control-plane", "zone:platform"}
    assert accepts["platform"]["zone:notebooks"] == set(SYSTEM_SERVICES), "notebooks reach only DNS and istiod"


@pytest.mark.parametrize("stack", STACKS)
def test_no_rule_between_node_groups_of_different_zones_admits_every_protocol(synthed: Synth, stack: str) -> None:
    """The system pool reaches zone nodes on the kubelet and the node agents' metrics ports only: a pod that
    escapes onto a system node (or a compromised add-on) cannot open any other port on a GPU node. Only a zone's
    own nodes (and the control plane) keep every protocol."""
    accepts, _ = _accepts(synthed(stack, True), stack)
    wide = {
        (target, source)
        for target, sources in accepts.items()
        for source, ports in sources.items()
        if source.startswith("zone:") and source != f"zone:{target}" and ALL_PORTS in ports
    }
    assert wide == set(), f"{stack}: every protocol between node groups {sorted(wide)}"
    assert {a.ports for a in SYSTEM_TO_ZONE} == {
        PortRange("tcp", 10250, 10250), PortRange("tcp", 9100, 9100), PortRange("tcp", 9400, 9400)
    }  # fmt: skip


@pytest.mark.parametrize("stack", STACKS)
def test_every_node_interface_uses_its_zone_group_and_never_the_cluster_group(synthed: Synth, stack: str) -> None:
    result = synthed(stack, True)
    cfg: PlatformConfig = validate_platform(stack_data(stack))
    groups = {r["name"]: r["urn"] for r in result.by_type(SG)}
    (cluster,) = result.by_type("aws:eks/cluster:Cluster")
    pools = {p.name: p.zone for p in cfg.node_pools}
    pools["system"] = next(z.name for z in cfg.zones if z.zone_class == "platform")
    for lt in result.by_type("aws:ec2/launchTemplate:LaunchTemplate"):
        pool = lt["name"].removeprefix(f"{stack}-").removesuffix("-launch-template")
        deps = set(lt["propertyDependencies"]["networkInterfaces"])
        assert groups[f"{stack}-{pools[pool]}-nodes"] in deps, lt["urn"]
        assert cluster["urn"] not in deps, f"{lt['urn']}: the cluster security group admits every node"


@pytest.mark.parametrize("stack", STACKS)
def test_nodes_reach_the_api_and_wait_for_their_rules(synthed: Synth, stack: str) -> None:
    result = synthed(stack, True)
    cfg = validate_platform(stack_data(stack))
    (cluster,) = result.by_type("aws:eks/cluster:Cluster")
    _, zone_of = _accepts(result, stack)
    api = {
        zone_of[r["propertyDependencies"]["referencedSecurityGroupId"][0]]
        for r in result.by_type(INGRESS)
        if r["propertyDependencies"].get("securityGroupId") == [cluster["urn"]]
        and r["inputs"].get("fromPort") == 443
        and "referencedSecurityGroupId" in r["propertyDependencies"]
    }
    assert api == set(node_zones(cfg)), "every zone's nodes reach the private API endpoint"
    rules = {r["urn"] for r in result.by_type(INGRESS)} | {r["urn"] for r in result.by_type(EGRESS)}
    for ng in result.by_type("aws:eks/nodeGroup:NodeGroup"):
        assert len(rules & set(ng["dependencies"])) >= 4, f"{ng['urn']} must wait for its zone group's rules"


HTTPS_PORTS = PortRange("tcp", 443, 443)


def test_the_component_alone_builds_a_group_per_zone() -> None:
    args = NodeSecurityGroupsArgs(
        ingress={"platform": [("inference", HTTPS_PORTS)], "inference": []},
        system_zone="platform",
        vpc_id="vpc-0a1b2c3d4e5f60718",
        cluster_security_group_id="sg-0c1a5ter000000001",
    )
    c = capture(lambda: NodeSecurityGroups("prod", args))
    assert sorted(r["name"] for r in c.of_type(SG)) == ["prod-inference-nodes", "prod-platform-nodes"]


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"system_zone": "system"}, "NodeSecurityGroupsArgs.system_zone='system': the system pool's zone has nodes"),
        ({"ingress": {"Platform": []}, "system_zone": None}, "NodeSecurityGroupsArgs.ingress='Platform'"),
        ({"ingress": {"platform": [("training", HTTPS_PORTS)]}}, "ingress='training': zone 'platform' admits"),
    ],
)
def test_args_refuse_zones_without_groups(fields: dict[str, Any], match: str) -> None:
    base: dict[str, Any] = {
        "ingress": {"platform": []},
        "system_zone": "platform",
        "vpc_id": "vpc-0a1b2c3d4e5f60718",
        "cluster_security_group_id": "sg-0c1a5ter000000001",
    }
    with pytest.raises(ValueError, match=match):
        NodeSecurityGroupsArgs(**{**base, **fields})


@pytest.mark.parametrize("stack", STACKS)
def test_every_security_group_rule_names_exactly_one_peer(synthed: Synth, stack: str) -> None:
    # EC2 refuses a security group rule without a peer, or with two (CidrIpv4, CidrIpv6, a prefix list or a
    # referenced group): `pulumi up` would fail at that rule, which no preview shows.
    peers = ("cidrIpv4", "cidrIpv6", "prefixListId", "referencedSecurityGroupId")
    result = synthed(stack, True)
    rules = [*result.by_type(INGRESS), *result.by_type(EGRESS)]
    assert rules
    for rule in rules:
        given = [p for p in peers if rule["inputs"].get(p) is not None or p in rule["propertyDependencies"]]
        assert len(given) == 1, f"{rule['urn']}: peers {given}"
