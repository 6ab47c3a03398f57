"""Trust zones: the unit of isolation (namespaces, stage, egress allow-list, quotas, access groups)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from .base import Cidr, Fqdn, Name, Namespace, ServiceAccountName, Stage, StrictModel, ZoneClass
from .flows import Port, PortList
from .rollout import Rollout


class EgressProxy(StrictModel):
    """The brokered outbound path of a zone (notebooks reach the internet only through it)."""

    host: Fqdn = Field(description="DNS name of the egress proxy service, e.g. 'proxy.egress.svc.cluster.local'.")
    cidr: Cidr = Field(description="Private network the proxy listens on (NetworkPolicy egress target).")
    port: int = Field(default=3128, ge=1, le=65535, description="TCP port of the proxy.")


class Egress(StrictModel):
    """Where pods of a zone may open connections outside the cluster. Empty means nowhere."""

    cidrs: list[Cidr] = Field(
        default_factory=list,
        max_length=64,
        description="Private CIDRs (VPC endpoints, internal mirrors, registries) reachable on `ports`.",
    )
    ports: PortList = Field(
        default_factory=lambda: [Port(port=443)],
        max_length=32,
        description="Ports allowed towards `cidrs`: 443, or {port, end_port, protocol} (TCP by default).",
    )
    hosts: list[Fqdn] = Field(
        default_factory=list,
        max_length=256,
        description="DNS names allowed by the mesh (Istio Sidecar egress hosts, Cilium toFQDNs).",
    )
    writable_hosts: list[Fqdn] = Field(
        default_factory=list,
        max_length=256,
        description="WEAKENING: hosts of `hosts` that accept writes. Every other host is read-only: the zone's "
        "sidecars reach it over plain HTTP they encrypt themselves (TLS origination) and pass GET and HEAD only.",
    )
    proxy: EgressProxy | None = Field(default=None, description="Egress proxy; required for notebook egress.")
    allow_internet: bool = Field(
        default=False,
        description="WEAKENING: allow 0.0.0.0/0 egress. Refused for training and inference zones.",
    )

    @model_validator(mode="after")
    def _writable_hosts_listed(self) -> Egress:
        stray = [h for h in self.writable_hosts if h not in self.hosts]
        if stray:
            raise ValueError(
                f"writable_hosts {stray} are not in hosts; list a host in hosts before marking it writable"
            )
        return self


class Quota(StrictModel):
    """Extended-resource quota of each namespace of the zone."""

    gpus: int = Field(default=0, ge=0, le=4096, description="Limit on requests of nvidia.com/gpu.")
    efa_interfaces: int = Field(default=0, ge=0, le=4096, description="Limit on vpc.amazonaws.com/efa.")


class Access(StrictModel):
    """Identity-provider groups bound to the zone's persona roles (seeds: persona table)."""

    data_scientist_groups: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(default_factory=list)
    ml_engineer_groups: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(default_factory=list)
    service_accounts: dict[Annotated[str, Field(min_length=1, max_length=128)], list[ServiceAccountName]] = Field(
        default_factory=dict,
        max_length=32,
        description="Group -> the ServiceAccounts its members may run Jobs and other workloads as in the zone's "
        "namespaces (RBAC cannot limit a pod's serviceAccountName; an admission policy keyed on the requester's "
        "groups does). A bound group not listed may use only `default`.",
    )


class Zone(StrictModel):
    """One trust zone of the cluster."""

    name: Name = Field(description="Logical zone name, used in resource names and labels.")
    zone_class: ZoneClass = Field(alias="class", description="platform | training | inference | notebooks.")
    namespaces: list[Namespace] = Field(min_length=1, max_length=16, description="Namespaces owned by the zone.")
    stage: Stage = Field(default="production", description="staging | production artifacts and data.")
    egress: Egress = Field(default_factory=Egress)
    quota: Quota = Field(default_factory=Quota)
    access: Access = Field(default_factory=Access)
    rollout: Rollout = Field(
        default_factory=Rollout,
        description="Adoption stage of a live zone: observe, warn or enforce (default), with owner and expiry.",
    )
