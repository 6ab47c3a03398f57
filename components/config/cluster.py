"""Cluster config: create an EKS cluster, or attach to an existing one by name and OIDC issuer."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from .base import Cidr, Ipv4Cidr, StrictModel

IamArn = Annotated[
    str, Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[A-Za-z0-9_+=,.@/-]+$", max_length=2048)
]


class Endpoint(StrictModel):
    """API server endpoint exposure. Private only is the default."""

    private: bool = Field(default=True, description="Private endpoint inside the VPC (must stay on).")
    public: bool = Field(default=False, description="WEAKENING: public endpoint, only with `public_cidrs`.")
    public_cidrs: list[Cidr] = Field(default_factory=list, max_length=40)
    private_access_cidrs: list[Ipv4Cidr] = Field(
        default_factory=list,
        max_length=20,
        description="Networks that reach the private endpoint (the runner of `pulumi up`, VPN): TCP 443 into the "
        "cluster security group. Required when the public endpoint is off.",
    )


class SystemPool(StrictModel):
    """The CPU pool of the platform zone (tainted CriticalAddonsOnly): CoreDNS, the mesh control plane,
    admission, and the platform zone's own pods."""

    instance_types: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*\.[0-9a-z]+$", max_length=32)]] = Field(
        default_factory=lambda: ["m7i.xlarge"], min_length=1, max_length=10
    )
    min_size: int = Field(default=2, ge=1, le=100)
    desired_size: int = Field(default=2, ge=1, le=100)
    max_size: int = Field(default=4, ge=1, le=100)
    disk_size_gib: int = Field(default=100, ge=20, le=16384)

    @model_validator(mode="after")
    def _sizes(self) -> SystemPool:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError("sizes must satisfy min_size <= desired_size <= max_size")
        return self


EksAddonVersion = Annotated[str, Field(pattern=r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")]


class EksAddonVersions(StrictModel):
    """EKS managed add-on versions, pinned: `aws eks describe-addon-versions --kubernetes-version <v>`
    lists what a Kubernetes version supports. kube-proxy's minor version is the cluster's."""

    vpc_cni: EksAddonVersion = "v1.20.4-eksbuild.1"
    coredns: EksAddonVersion = "v1.12.4-eksbuild.1"
    kube_proxy: EksAddonVersion = "v1.33.3-eksbuild.6"


def _not_reserved(group: str) -> str:
    if group.startswith("system:"):
        raise ValueError("groups starting with 'system:' belong to Kubernetes and EKS refuses them; name a team group")
    return group


KubernetesGroup = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9:._@-]{0,127}$"), AfterValidator(_not_reserved)]


class GroupAccess(StrictModel):
    """An IAM role whose sessions act in the cluster as members of Kubernetes groups (an access entry with
    no access policy: the zones' RBAC bindings to those groups decide what they may do)."""

    role_arn: IamArn
    groups: list[KubernetesGroup] = Field(min_length=1, max_length=10)


class CreatedCluster(StrictModel):
    """A new EKS cluster built from pulumi-aws primitives."""

    mode: Literal["create"]
    name: Annotated[str, Field(pattern=r"^[a-zA-Z][a-zA-Z0-9-]{0,62}$")]
    kubernetes_version: Annotated[str, Field(pattern=r"^1\.(2[89]|3[0-9])$")] = "1.33"
    endpoint: Endpoint = Field(default_factory=Endpoint)
    admin_role_arns: list[IamArn] = Field(
        default_factory=list, max_length=20, description="IAM roles given cluster admin via access entries."
    )
    group_access: list[GroupAccess] = Field(
        default_factory=list,
        max_length=50,
        description="IAM roles mapped to the Kubernetes groups that zone access and platform_admin_groups name.",
    )
    deletion_protection: bool = Field(default=True, description="WEAKENING when false: the cluster can be deleted.")
    system_pool: SystemPool = Field(default_factory=SystemPool)
    addon_versions: EksAddonVersions = Field(
        default_factory=EksAddonVersions, description="EKS managed add-ons (VPC CNI, CoreDNS, kube-proxy), pinned."
    )

    @model_validator(mode="after")
    def _kube_proxy_matches(self) -> CreatedCluster:
        minor = ".".join(self.addon_versions.kube_proxy.removeprefix("v").split(".")[:2])
        if minor != self.kubernetes_version:
            raise ValueError(
                f"addon_versions.kube_proxy {self.addon_versions.kube_proxy} is for Kubernetes {minor}, the cluster "
                f"runs {self.kubernetes_version}: pick a v{self.kubernetes_version}.x-eksbuild.N version "
                f"(aws eks describe-addon-versions --addon-name kube-proxy --kubernetes-version "
                f"{self.kubernetes_version})"
            )
        return self


class ExistingCluster(StrictModel):
    """An existing EKS cluster: zones are added to it, the cluster itself is not managed."""

    mode: Literal["existing"]
    name: Annotated[str, Field(pattern=r"^[a-zA-Z][a-zA-Z0-9-]{0,99}$")]
    oidc_issuer_url: Annotated[
        str, Field(pattern=r"^https://oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/id/[A-F0-9]{32}$")
    ]


Cluster = Annotated[CreatedCluster | ExistingCluster, Field(discriminator="mode")]
