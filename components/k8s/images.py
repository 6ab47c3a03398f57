"""Where the add-on images come from: their public registries, or one mirror the nodes can reach.

Nodes of a created VPC have no internet path (no NAT by design), so every add-on image must come from a
registry inside the account's reach: set `kubernetes.image_mirror` to a mirror (typically this account's
ECR, filled by ECR pull-through cache rules or a copy job) that holds the images under their upstream paths:

    <mirror>/istio/{pilot,proxyv2,install-cni}:<istio version>
    <mirror>/nvidia/k8s-device-plugin:<plugin version>
    <mirror>/eks/aws-efa-k8s-device-plugin:<plugin version>
    <mirror>/kyverno/{kyverno,kyvernopre,background-controller,cleanup-controller,reports-controller,...}
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import KubernetesConfig

ISTIO_PUBLIC_HUB = "docker.io/istio"
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


def eks_image_registry(region: str) -> str:
    account = EKS_IMAGE_ACCOUNT_BY_REGION.get(region, EKS_IMAGE_ACCOUNT)
    return f"{account}.dkr.ecr.{region}.amazonaws.com"


@dataclass(frozen=True)
class AddonImages:
    """Image locations for each chart's values."""

    istio_hub: str
    nvidia_device_plugin: str | None  # image.repository; None keeps the chart default (nvcr.io)
    efa_device_plugin: str  # image.repository
    kyverno_registry: str | None  # global.image.registry; None keeps the chart default


def addon_images(k8s: KubernetesConfig, region: str) -> AddonImages:
    mirror = k8s.image_mirror
    if mirror is None:
        return AddonImages(
            istio_hub=ISTIO_PUBLIC_HUB,
            nvidia_device_plugin=None,
            efa_device_plugin=f"{eks_image_registry(region)}/eks/aws-efa-k8s-device-plugin",
            kyverno_registry=None,
        )
    return AddonImages(
        istio_hub=f"{mirror}/istio",
        nvidia_device_plugin=f"{mirror}/nvidia/k8s-device-plugin",
        efa_device_plugin=f"{mirror}/eks/aws-efa-k8s-device-plugin",
        kyverno_registry=mirror,
    )
