"""In-cluster config: pinned add-on chart versions, registry allow-list, CNI options, admin groups."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .base import Cidr, Namespace, StrictModel

ChartVersion = Annotated[str, Field(pattern=r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")]
Registry = Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(/[a-z0-9._-]+)*$", max_length=255)]


# Namespaces of the cluster and of the platform's add-ons (EKS add-ons, Istio, Kyverno): pods there are the
# platform's own. kube-public, kube-node-lease and default hold none.
PLATFORM_SYSTEM_NAMESPACES = ("kube-system", "istio-system", "kyverno")

ImageTag = ChartVersion  # the same shape: v?MAJOR.MINOR.PATCH[-suffix]


class AddonVersions(StrictModel):
    """Helm chart versions, pinned: an add-on never moves without a reviewed config change. Istio's images
    carry the chart's version and the NVIDIA plugin's `v<chart version>`; the others' image tags are set
    explicitly (the chart's appVersion), so the image mirror holds exactly what runs. Change them together."""

    istio: ChartVersion = "1.27.3"
    nvidia_device_plugin: ChartVersion = "0.17.4"
    efa_device_plugin: ChartVersion = "v0.5.7"
    efa_device_plugin_image: ImageTag = Field(default="v0.5.5", description="Image tag of the EFA device plugin.")
    kyverno: ChartVersion = "3.5.2"
    kyverno_image: ImageTag = Field(default="v1.15.2", description="Image tag of Kyverno's controllers (appVersion).")
    kyverno_kubectl_image: ImageTag = Field(
        default="v1.32.7", description="Tag of registry.k8s.io/kubectl, which Kyverno's clean-up hook runs."
    )


class Multus(StrictModel):
    """A secondary RDMA/SR-IOV network for on-prem style fabrics (on EKS, EFA comes via its device plugin)."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,40}[a-z0-9]$")] = "rdma-net"
    cni_type: Literal["sriov", "host-device", "macvlan"] = "sriov"
    resource_name: Annotated[str, Field(pattern=r"^[a-z0-9.-]+/[a-zA-Z0-9_.-]+$")] = "nvidia.com/rdma_vf"
    cidr: Cidr = "192.168.100.0/24"


class NcclPorts(StrictModel):
    """The port window NCCL/torch bootstrap sockets use in EFA training pods (ip_local_port_range).

    Only these ports bypass the sidecar (NCCL breaks behind Envoy); the mesh stays on for all else. The
    window is also every other outbound connection's ephemeral range in those pods (S3 clients, Envoy),
    so it is wide by default: too few ports and busy jobs run out.
    """

    start: int = Field(default=50000, ge=32768, le=60000)
    count: int = Field(default=1024, ge=256, le=1024)

    @property
    def end(self) -> int:
        return self.start + self.count - 1

    @property
    def numbers(self) -> range:
        """Every port of the window."""
        return range(self.start, self.end + 1)


class NodeAgents(StrictModel):
    """Where host agents run: DaemonSets on every node (node exporters, the DCGM exporter, log shippers, the NVIDIA
    and EFA device plugins). An agent namespace is no trust zone: it enforces the `privileged` Pod Security level
    (agents need host paths, host networking and device access, which baseline refuses) with baseline warned and
    audited, admits DaemonSet pods only, tolerates the taints of every pool and nothing else, and holds no zone's
    identities (identities belong to zone namespaces)."""

    namespaces: list[Namespace] = Field(
        default_factory=lambda: ["node-agents"],
        min_length=1,
        max_length=8,
        description="Agent namespaces the platform creates; the first holds the NVIDIA and EFA device plugins.",
    )
    metrics_ports: list[Annotated[int, Field(ge=1, le=65535)]] = Field(
        default_factory=lambda: [9100, 9400],
        max_length=16,
        description="TCP ports on which the platform zone may scrape agents (node exporter 9100, DCGM exporter 9400).",
    )


class KubernetesConfig(StrictModel):
    addons: AddonVersions = Field(default_factory=AddonVersions)
    approved_registries: list[Registry] = Field(
        default_factory=list,
        max_length=32,
        description="Image registries pods may pull from; the account's own ECR in the region is always added.",
    )
    cilium: bool = Field(default=False, description="Cluster runs Cilium: add CiliumNetworkPolicy FQDN egress.")
    multus: Multus | None = None
    platform_admin_groups: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(default_factory=list)
    nccl_ports: NcclPorts = Field(default_factory=NcclPorts)
    node_agents: NodeAgents = Field(default_factory=NodeAgents)
    system_namespaces: list[Namespace] = Field(
        default_factory=list,
        max_length=32,
        description="Namespaces of add-ons you install yourself (e.g. amazon-cloudwatch), besides kube-system, "
        "istio-system and kyverno: pods in a namespace that is neither a zone's, an agent namespace nor a system "
        "namespace are refused at admission.",
    )
    image_mirror: Registry | None = Field(
        default=None,
        description="Registry holding the add-on images under their upstream paths (istio/..., nvidia/..., "
        "eks/..., kyverno/...), e.g. '111122223333.dkr.ecr.us-east-1.amazonaws.com/mirror'. Required for a "
        "created VPC, whose nodes have no internet path. The approved-registry policy admits exactly the "
        "Istio sidecar image from it in zone pods.",
    )

    @model_validator(mode="after")
    def _registries_unique(self) -> KubernetesConfig:
        if len(set(self.approved_registries)) != len(self.approved_registries):
            raise ValueError("approved_registries lists a registry twice")
        return self

    @property
    def all_system_namespaces(self) -> list[str]:
        """The platform's own add-on namespaces and the configured ones."""
        return list(dict.fromkeys([*PLATFORM_SYSTEM_NAMESPACES, *self.system_namespaces]))
