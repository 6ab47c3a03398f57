"""NodeSecurityGroups: one security group per zone's nodes, below Kubernetes, from the same flow matrix.

Nodes of different zones share a VPC; with the EKS cluster security group on every node (its default), any
node accepts any traffic from every other. Instead each zone's nodes get a group of their own that accepts
only the zone itself, the control plane, the system pool on the ports its add-ons use (SYSTEM_TO_ZONE: the
kubelet and the node agents' metrics) and, on the declared ports, the zones with a flow into it. A pod that
slips past its NetworkPolicy (a node compromise, a CNI fault, hostNetwork) still cannot open a connection
into another zone's nodes.

Egress stays open at this layer: the VPC routes nowhere but itself, its endpoints and the transit-gateway
routes it names, and pod egress is bounded by the NetworkPolicies and the mesh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..args import arg, args_type, check, fail
from ..config import PlatformConfig
from ..config.base import Name

ALL = "-1"
HTTPS = 443
DNS = 53
ISTIOD_XDS = 15012


@dataclass(frozen=True, order=True)
class PortRange:
    """Ports of one protocol a zone accepts from another zone's nodes."""

    protocol: str  # "tcp" | "udp", as the EC2 API spells it
    from_port: int
    to_port: int

    @property
    def label(self) -> str:
        ports = str(self.from_port) if self.from_port == self.to_port else f"{self.from_port}-{self.to_port}"
        return f"{self.protocol}-{ports}"


# What every zone's pods need from the system pool: cluster DNS (CoreDNS) and istiod's xDS/CA port.
SYSTEM_SERVICES = (PortRange("udp", DNS, DNS), PortRange("tcp", DNS, DNS), PortRange("tcp", ISTIOD_XDS, ISTIOD_XDS))


@dataclass(frozen=True)
class AddonPort:
    """A port on zone nodes that something on the system pool opens connections to, and why."""

    name: str
    ports: PortRange
    why: str


KUBELET = 10250
NODE_EXPORTER = 9100
DCGM_EXPORTER = 9400
# What the system pool opens connections to on zone nodes, by add-on. Nothing else: the platform's add-ons
# only answer (CoreDNS, istiod: zone -> system, SYSTEM_SERVICES) or talk to the API server (Kyverno, the
# device plugins and istio-cni talk to their own node's kubelet). Admission webhooks, `kubectl exec/logs` and
# the API server's kubelet calls come from the control plane (its own rule), never from the system pool. A
# platform-zone workload that calls into a zone (the inference gateway) does so through a declared flow.
SYSTEM_TO_ZONE = (
    AddonPort("kubelet", PortRange("tcp", KUBELET, KUBELET),
              "kubelet API (authenticated): metrics-server and Prometheus read node and container metrics"),
    AddonPort("node-exporter", PortRange("tcp", NODE_EXPORTER, NODE_EXPORTER),
              "Prometheus node exporter of the node agents (hostNetwork DaemonSet)"),
    AddonPort("dcgm-exporter", PortRange("tcp", DCGM_EXPORTER, DCGM_EXPORTER),
              "NVIDIA DCGM exporter of the node agents: GPU health and utilisation metrics"),
)  # fmt: skip


def node_zones(cfg: PlatformConfig) -> list[str]:
    """Zones that have nodes of their own: every zone with a node pool, and the platform zone when the platform
    creates the cluster (its system pool), in config order."""
    pooled = {p.zone for p in cfg.node_pools}
    return [
        z.name for z in cfg.zones if z.name in pooled or (z.zone_class == "platform" and cfg.cluster.mode == "create")
    ]


def zone_ingress(cfg: PlatformConfig) -> dict[str, list[tuple[str, PortRange]]]:
    """Zone -> (source zone, ports) it accepts besides itself, the control plane and the system pool: the
    declared flows between zones with nodes, and on the platform zone the system services for every zone."""
    zones = node_zones(cfg)
    platform = next(z.name for z in cfg.zones if z.zone_class == "platform")
    out: dict[str, set[tuple[str, PortRange]]] = {z: set() for z in zones}
    for flow in cfg.flows:
        if flow.source == flow.target or flow.source not in out or flow.target not in out:
            continue
        for port in flow.ports:
            out[flow.target].add((flow.source, PortRange(port.protocol.lower(), port.port, port.end_port or port.port)))
    if platform in out:
        for zone in zones:
            if zone != platform:
                out[platform].update((zone, ports) for ports in SYSTEM_SERVICES)
    return {z: sorted(rules) for z, rules in out.items()}


def ingress_rule(
    name: str,
    *,
    into: pulumi.Input[str],
    source: pulumi.Input[str],
    ports: PortRange | None,
    why: str,
    tags: Mapping[str, str] | None,
    parent: pulumi.Resource,
) -> aws.vpc.SecurityGroupIngressRule:
    """Security group `into` admits group `source` on `ports` (every protocol and port when None)."""
    return aws.vpc.SecurityGroupIngressRule(
        name,
        security_group_id=into,
        referenced_security_group_id=source,
        ip_protocol=ports.protocol if ports else ALL,
        from_port=ports.from_port if ports else None,
        to_port=ports.to_port if ports else None,
        description=why,
        tags=dict(tags or {}),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def node_group_rules(
    parent: pulumi.Resource,
    name: str,
    zone: str,
    group_id: pulumi.Input[str],
    *,
    cluster_security_group_id: pulumi.Input[str],
    system: tuple[str, pulumi.Input[str]] | None,
    flows: Sequence[tuple[str, pulumi.Input[str], PortRange]],
    tags: Mapping[str, str] | None,
) -> list[pulumi.Resource]:
    """The rules of zone `zone`'s node group `group_id`: its own nodes, the control plane, the system pool's
    group on the add-on ports (`SYSTEM_TO_ZONE`; `system`: its zone and group, None when there is none or it is
    this zone), the declared flows
    (source zone, its group, ports), open egress, and the API endpoint from these nodes. Nodes must not launch
    before them."""
    prefix = f"{name}-{zone}-nodes-from"
    rules: list[pulumi.Resource] = [
        ingress_rule(f"{prefix}-self", into=group_id, source=group_id, ports=None,
                     why=f"All traffic between nodes of zone {zone}", tags=tags, parent=parent),
        ingress_rule(f"{prefix}-control-plane", into=group_id, source=cluster_security_group_id, ports=None,
                     why="Control plane: kubelet, webhooks, exec and logs", tags=tags, parent=parent),
    ]  # fmt: skip
    if system is not None:
        rules += [
            ingress_rule(f"{prefix}-{system[0]}-nodes-{addon.name}", into=group_id, source=system[1],
                         ports=addon.ports, why=f"System pool: {addon.why}", tags=tags, parent=parent)
            for addon in SYSTEM_TO_ZONE
        ]  # fmt: skip
    for source, source_group, ports in flows:
        rules.append(ingress_rule(f"{prefix}-{source}-{ports.label}", into=group_id, source=source_group,
                                  ports=ports, why=f"Declared flow from zone {source} to zone {zone}", tags=tags,
                                  parent=parent))  # fmt: skip
    rules.append(
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-{zone}-nodes-egress",
            security_group_id=group_id,
            ip_protocol=ALL,
            cidr_ipv4="0.0.0.0/0",
            description="Outbound: the VPC routes only to itself, its endpoints and the named networks",
            tags=dict(tags or {}),
            opts=pulumi.ResourceOptions(parent=parent),
        )
    )
    # Nodes reach the private API endpoint, whose interfaces carry the cluster security group.
    rules.append(ingress_rule(f"{name}-api-from-{zone}-nodes", into=cluster_security_group_id, source=group_id,
                              ports=PortRange("tcp", HTTPS, HTTPS), why=f"Kubernetes API from nodes of zone {zone}",
                              tags=tags, parent=parent))  # fmt: skip
    return rules


@args_type
class NodeSecurityGroupsArgs:
    """One security group per zone's nodes that admits only the zone itself, the control plane, the system pool
    and the declared flows between zones."""

    ingress: Mapping[str, Sequence[tuple[str, PortRange]]] = arg(
        "Zone -> (source zone, ports) it accepts besides itself, the control plane and the system pool; names every "
        "zone with nodes (`zone_ingress(cfg)` builds it from the stack file's flows)."
    )
    system_zone: str | None = arg(
        "Zone of the system pool, whose nodes (add-ons, DNS, the mesh control plane) every zone admits. None when "
        "the cluster is not created here (no system pool).",
        default=None,
    )
    vpc_id: pulumi.Input[str] = arg("The VPC of the nodes (`Network.vpc_id`, or a StackReference output).")
    cluster_security_group_id: pulumi.Input[str] = arg(
        "The EKS cluster security group (`GpuCluster.cluster_security_group_id`): the control plane's, and the "
        "private API endpoint's."
    )
    tags: Mapping[str, str] | None = arg("Tags on the groups and rules, beside `enclave:zone`.", default=None)

    def __post_init__(self) -> None:
        fix = "Use zone names of the stack file."
        for zone in self.ingress:
            check(self, "ingress", Name, fix, value=zone)
        if self.system_zone is not None:
            check(self, "system_zone", Name, fix)
            if self.system_zone not in self.ingress:
                fail(self, "system_zone", "the system pool's zone has nodes: name it in `ingress` too.")
        for zone, rules in self.ingress.items():
            for source, _ in rules:
                if source not in self.ingress:
                    fail(
                        self,
                        "ingress",
                        f"zone {zone!r} admits zone {source!r}, which has no nodes here. Name it in `ingress` too.",
                        what=source,
                    )


class NodeSecurityGroups(pulumi.ComponentResource):
    """`groups[zone]`: the security group of that zone's node interfaces; `ready[zone]`: its rules (nodes
    must not launch before them)."""

    groups: dict[str, aws.ec2.SecurityGroup]
    ready: dict[str, list[pulumi.Resource]]

    def __init__(self, name: str, args: NodeSecurityGroupsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("enclave:aws:NodeSecurityGroups", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ingress, tags = args.ingress, args.tags
        self.groups, self.ready = {}, {}
        for zone in ingress:
            group_name = f"{name}-{zone}-nodes"
            self.groups[zone] = aws.ec2.SecurityGroup(
                group_name,
                vpc_id=args.vpc_id,
                description=f"Nodes of zone {zone}: its own nodes, the control plane, the system pool, declared flows",
                tags={**(tags or {}), "Name": group_name, "enclave:zone": zone},
                opts=child,
            )
        system = args.system_zone
        for zone, group in self.groups.items():
            self.ready[zone] = node_group_rules(
                self,
                name,
                zone,
                group.id,
                cluster_security_group_id=args.cluster_security_group_id,
                system=None if system is None or zone == system else (system, self.groups[system].id),
                flows=[(source, self.groups[source].id, ports) for source, ports in ingress[zone]],
                tags=tags,
            )
        self.register_outputs({"groups": {zone: g.id for zone, g in self.groups.items()}})
