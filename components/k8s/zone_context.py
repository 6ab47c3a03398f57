"""ZoneContext: everything one trust zone's Kubernetes objects are generated from, and nothing more.

The platform builds one per zone from its stack config (`ZoneContext.of_platform`); a team's stack that adds
a zone to a running platform builds its own from its config and the platform stack's outputs. The zone's
NetworkPolicies, mesh objects, RBAC, quotas, admission and Multus network are pure functions of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..config import CreatedCluster, Flow, KubernetesConfig, PlatformConfig, Zone


@dataclass(frozen=True, kw_only=True)
class ZoneContext:
    zone: Zone
    """The zone itself: class, namespaces, access groups, egress, quota."""
    flows: tuple[Flow, ...] = ()
    """The declared flows into and out of this zone (others are ignored)."""
    peers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Namespaces of every other zone a flow names (mTLS principals and Sidecar hosts are per namespace)."""
    gpu_pools: tuple[str, ...] = ()
    """Names of the zone's GPU node pools (their nodes carry the zone label and the GPU taint)."""
    system_pool: bool = False
    """The zone's pods may run on the system pool (the platform zone of a cluster the platform creates)."""
    efa: bool = False
    """The zone has an EFA pool: the NCCL window bypasses the sidecar there."""
    training_service_accounts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Namespace -> IRSA service accounts of the zone that training jobs run as (training zones)."""
    kubernetes: KubernetesConfig = field(default_factory=KubernetesConfig)
    """Cluster-wide Kubernetes settings: NCCL window, Multus, Cilium."""
    psa_version: str = "latest"
    """The Pod Security Standards version namespaces enforce: `v<kubernetes version>` of a created cluster."""
    region: str = "us-east-1"
    """The AWS region (the AWS endpoints ConfigMap and ServiceEntry)."""
    storage_classes: tuple[str, ...] = ()
    """Every zone's StorageClass (the zone's own among them): the zone may claim volumes of its own only. Empty
    when the platform makes none (storage.encrypted_volumes off, or a zone added by a team's stack)."""

    def __post_init__(self) -> None:
        for flow in self.flows:
            if self.zone.name not in (flow.source, flow.target):
                raise ValueError(f"ZoneContext of zone {self.zone.name!r}: flow {flow.source}->{flow.target} "
                                 "does not involve the zone; pass only the zone's own flows")  # fmt: skip
            other = flow.target if flow.source == self.zone.name else flow.source
            if other != self.zone.name and other not in self.peers:
                raise ValueError(f"ZoneContext of zone {self.zone.name!r}: flow {flow.source}->{flow.target} "
                                 f"names zone {other!r}, whose namespaces are not in peers")  # fmt: skip

    @classmethod
    def of_platform(cls, cfg: PlatformConfig, zone: Zone) -> ZoneContext:
        """The context of `zone`, one of the zones of a validated platform config."""
        flows = tuple(f for f in cfg.flows if zone.name in (f.source, f.target))
        others = {f.source for f in flows} | {f.target for f in flows}
        accounts: dict[str, list[str]] = {}
        for ident in cfg.identities:
            if ident.zone == zone.name:
                accounts.setdefault(ident.namespace, []).append(ident.service_account)
        created = isinstance(cfg.cluster, CreatedCluster)
        return cls(
            zone=zone,
            flows=flows,
            peers={z.name: tuple(z.namespaces) for z in cfg.zones if z.name in others},
            gpu_pools=tuple(p.name for p in cfg.node_pools if p.zone == zone.name),
            system_pool=zone.zone_class == "platform" and created,
            efa=zone.name in cfg.efa_zones(),
            training_service_accounts={ns: tuple(sas) for ns, sas in accounts.items()},
            kubernetes=cfg.kubernetes,
            psa_version=f"v{cfg.cluster.kubernetes_version}" if isinstance(cfg.cluster, CreatedCluster) else "latest",
            region=cfg.region,
            storage_classes=tuple(cfg.storage.class_name(z.name) for z in cfg.zones)
            if cfg.storage.encrypted_volumes
            else (),
        )

    @property
    def name(self) -> str:
        return self.zone.name

    def flows_into(self) -> list[Flow]:
        return [f for f in self.flows if f.target == self.zone.name]

    def flows_out_of(self) -> list[Flow]:
        return [f for f in self.flows if f.source == self.zone.name]

    def namespaces_of(self, zone: str) -> tuple[str, ...]:
        return tuple(self.zone.namespaces) if zone == self.zone.name else self.peers[zone]
