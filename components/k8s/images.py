"""Where the add-on images come from: their public registries, or one mirror the nodes can reach.

Nodes of a created VPC have no internet path (no NAT by design), so every add-on image must come from a
registry inside the account's reach: set `kubernetes.image_mirror` to a prefix in this account's ECR and fill
it before the first `pulumi up` with exactly the images `mirror_copies` lists (`enclave images --stack S`
prints them), under their upstream paths:

    <mirror>/istio/{pilot,proxyv2,install-cni}:<istio version>
    <mirror>/nvidia/k8s-device-plugin:v<plugin chart version>
    <mirror>/eks/aws-efa-k8s-device-plugin:<efa image tag>
    <mirror>/kyverno/{kyverno,kyvernopre,background-controller,cleanup-controller,reports-controller,kyverno-cli}
    <mirror>/kubectl:<kyverno kubectl tag>
    <mirror>/falcosecurity/{falco,falcosidekick}:<detection.falco image tags>   (when detection.falco is on)

Pre-populated repositories, not ECR pull-through cache: the nodes keep `AmazonEC2ContainerRegistryPullOnly`
(a first pull through a cache rule would need `ecr:CreateRepository` and `ecr:BatchImportUpstreamImage` on
every node), pull-through cache supports neither nvcr.io nor reg.kyverno.io as an upstream, and the images
that run are the ones copied (and scanned) on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import KubernetesConfig
from ..config.detection import Falco

ISTIO_PUBLIC_HUB = "docker.io/istio"
NVIDIA_PUBLIC_REPOSITORY = "nvcr.io/nvidia/k8s-device-plugin"
KYVERNO_PUBLIC_REGISTRY = "reg.kyverno.io"
KUBECTL_PUBLIC_REGISTRY = "registry.k8s.io"
FALCO_PUBLIC_REGISTRY = "docker.io"
ISTIO_IMAGES = ("pilot", "proxyv2", "install-cni")
KYVERNO_IMAGES = (
    "kyverno",
    "kyvernopre",
    "background-controller",
    "cleanup-controller",
    "reports-controller",
    "kyverno-cli",
)
# The EKS images (EFA device plugin included) live in a regional ECR registry of AWS's; same-region pulls go
# through the account's ECR VPC endpoints. Most regions use 602401143452; these are the exceptions listed in
# the EKS user guide ("View Amazon container image registries for Amazon EKS add-ons").
EKS_IMAGE_ACCOUNT = "602401143452"
EKS_IMAGE_ACCOUNT_BY_REGION = {
    "af-south-1": "877085696533",
    "ap-east-1": "800184023465",
    "ap-south-2": "900889452093",
    "ap-southeast-3": "296578399912",
    "ap-southeast-4": "491585149902",
    "ca-west-1": "761377655185",
    "eu-central-2": "900612956339",
    "eu-south-1": "590381155156",
    "eu-south-2": "455263428931",
    "il-central-1": "066635153087",
    "me-central-1": "759879836304",
    "me-south-1": "558608220178",
}


def eks_image_account(region: str) -> str:
    return EKS_IMAGE_ACCOUNT_BY_REGION.get(region, EKS_IMAGE_ACCOUNT)


def eks_image_registry(region: str) -> str:
    return f"{eks_image_account(region)}.dkr.ecr.{region}.amazonaws.com"


@dataclass(frozen=True)
class AddonImages:
    """Image locations for each chart's values."""

    istio_hub: str
    nvidia_device_plugin: str  # image.repository
    efa_device_plugin: str  # image.repository
    kyverno_registry: str  # global.image.registry
    kubectl_registry: str  # webhooksCleanup.image.registry


def addon_images(k8s: KubernetesConfig, region: str) -> AddonImages:
    mirror = k8s.image_mirror
    if mirror is None:
        return AddonImages(
            istio_hub=ISTIO_PUBLIC_HUB,
            nvidia_device_plugin=NVIDIA_PUBLIC_REPOSITORY,
            # The chart's default image is in us-west-2's EKS registry, out of reach of other regions' VPCs.
            efa_device_plugin=f"{eks_image_registry(region)}/eks/aws-efa-k8s-device-plugin",
            kyverno_registry=KYVERNO_PUBLIC_REGISTRY,
            kubectl_registry=KUBECTL_PUBLIC_REGISTRY,
        )
    return AddonImages(
        istio_hub=f"{mirror}/istio",
        nvidia_device_plugin=f"{mirror}/nvidia/k8s-device-plugin",
        efa_device_plugin=f"{mirror}/eks/aws-efa-k8s-device-plugin",
        kyverno_registry=mirror,
        kubectl_registry=mirror,
    )


def nvidia_image_tag(k8s: KubernetesConfig) -> str:
    """The NVIDIA plugin's image tag: `v` + its chart version (the chart's appVersion, NVIDIA keeps them equal)."""
    return "v" + k8s.addons.nvidia_device_plugin.removeprefix("v")


def falco_registry(k8s: KubernetesConfig) -> str:
    """Where the Falco release pulls falco and falcosidekick from: the mirror, else Docker Hub."""
    return k8s.image_mirror or FALCO_PUBLIC_REGISTRY


def falco_image_refs(k8s: KubernetesConfig, falco: Falco | None) -> list[str]:
    """The images the Falco release runs (none when it is off). Its container plugin and default rules come in
    Falco's image (falcoctl is off), so there is no artifact to copy."""
    if falco is None or not falco.enabled:
        return []
    registry = falco_registry(k8s)
    return [
        f"{registry}/falcosecurity/falco:{falco.image}",
        f"{registry}/falcosecurity/falcosidekick:{falco.sidekick_image}",
    ]


def addon_image_refs(k8s: KubernetesConfig, region: str, falco: Falco | None = None) -> list[str]:
    """Every image the add-on releases run (as the values set them), with its tag; Falco's when `falco` is on."""
    v = k8s.addons
    images = addon_images(k8s, region)
    return [
        *(f"{images.istio_hub}/{name}:{v.istio}" for name in ISTIO_IMAGES),
        f"{images.nvidia_device_plugin}:{nvidia_image_tag(k8s)}",
        f"{images.efa_device_plugin}:{v.efa_device_plugin_image}",
        *(f"{images.kyverno_registry}/kyverno/{name}:{v.kyverno_image}" for name in KYVERNO_IMAGES),
        f"{images.kubectl_registry}/kubectl:{v.kyverno_kubectl_image}",
        *falco_image_refs(k8s, falco),
    ]


def mirror_copies(k8s: KubernetesConfig, region: str, falco: Falco | None = None) -> list[tuple[str, str]]:
    """(upstream image, mirror image) for every add-on image (Falco's when `falco` is on); empty without a
    mirror."""
    if k8s.image_mirror is None:
        return []
    upstream = addon_image_refs(k8s.model_copy(update={"image_mirror": None}), region, falco)
    return list(zip(upstream, addon_image_refs(k8s, region, falco), strict=True))


def sidecar_image(hub: str, tag: str) -> str:
    """The injected sidecar (and its istio-validation init container) image, admitted exactly."""
    return f"{hub}/proxyv2:{tag}"


def mesh_sidecar_image(k8s: KubernetesConfig, region: str) -> str:
    """The sidecar image the cluster's injector puts into every zone pod."""
    return sidecar_image(addon_images(k8s, region).istio_hub, k8s.addons.istio)
