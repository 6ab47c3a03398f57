"""Secrets from AWS Secrets Manager as files (pure, no Pulumi): the Secrets Store CSI driver and its AWS provider
(ASCP) as node agents, and each zone namespace's SecretProviderClass naming the zone's secrets.

Files, never Kubernetes Secrets: the driver's `syncSecret` (RBAC to write Secrets) stays off and no class has
`secretObjects`, so a secret's value lives in Secrets Manager and in the tmpfs of the pods that mount it, nowhere
in etcd. The files are read-only (the driver mounts a read-only volume) and owned by root, because the driver writes
them and the kubelet applies no fsGroup to a read-only CSI volume: mode 0444, not 0400, or the workload's non-root
user could not read them. Only the workload container mounts the volume (not the mesh sidecar), and that container
runs as one user, so no other process could read them."""

from __future__ import annotations

from typing import Any

import yaml

from ..config import KubernetesConfig, ManagerSecret, Secrets
from .admission import POOL_TAINT_KEYS
from .labels import MANAGED_BY, ZONE_LABEL

Manifest = dict[str, Any]
CSI_DRIVER = "secrets-store.csi.k8s.io"
SPC_API = "secrets-store.csi.x-k8s.io/v1"
DRIVER_REPO = "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts"
PROVIDER_REPO = "https://aws.github.io/secrets-store-csi-driver-provider-aws"
DRIVER_CHART, PROVIDER_CHART = "secrets-store-csi-driver", "secrets-store-csi-driver-provider-aws"
# Read-only for the container's user: the files are root's (see the module docstring).
FILE_PERMISSION = "0444"
# How often the driver re-reads mounted secrets, so a rotated value reaches running pods.
ROTATION_POLL = "10m"
PUBLIC = {
    "driver": "registry.k8s.io/csi-secrets-store/driver",
    "registrar": "registry.k8s.io/sig-storage/csi-node-driver-registrar",
    "liveness": "registry.k8s.io/sig-storage/livenessprobe",
    "provider": "public.ecr.aws/aws-secrets-manager/secrets-store-csi-driver-provider-aws",
}


def agent_tolerations() -> list[dict[str, str]]:
    """Every pool's taint, by key (what the agent namespaces admit): the driver must run wherever zone pods do."""
    return [{"key": key, "operator": "Exists"} for key in POOL_TAINT_KEYS]


def image_repositories(kubernetes: KubernetesConfig) -> dict[str, str]:
    """Where each image comes from: upstream, or the mirror under the upstream path (registry host dropped)."""
    mirror = kubernetes.image_mirror
    if mirror is None:
        return dict(PUBLIC)
    return {k: f"{mirror}/{v.split('/', 1)[1]}" for k, v in PUBLIC.items()}


def image_refs(kubernetes: KubernetesConfig, secrets: Secrets) -> list[str]:
    """Every image the two releases run, with its tag."""
    repos = image_repositories(kubernetes)
    tags = {
        "driver": secrets.driver_image,
        "registrar": secrets.registrar_image,
        "liveness": secrets.liveness_probe_image,
        "provider": secrets.provider_image,
    }
    return [f"{repos[k]}:{tags[k]}" for k in PUBLIC]


def driver_values(kubernetes: KubernetesConfig, secrets: Secrets) -> dict[str, Any]:
    """The driver DaemonSet on every node, from pinned images; no Secret sync; no CRD hook Jobs (the agent
    namespace admits DaemonSets only: Helm installs the chart's CRDs from its crds/ directory instead)."""
    repos = image_repositories(kubernetes)
    return {
        "linux": {
            "image": {"repository": repos["driver"], "tag": secrets.driver_image},
            "registrarImage": {"repository": repos["registrar"], "tag": secrets.registrar_image},
            "livenessProbeImage": {"repository": repos["liveness"], "tag": secrets.liveness_probe_image},
            "crds": {"enabled": False},
            "tolerations": agent_tolerations(),
        },
        "syncSecret": {"enabled": False},
        "enableSecretRotation": True,
        "rotationPollInterval": ROTATION_POLL,
    }


def provider_values(kubernetes: KubernetesConfig, secrets: Secrets, region: str) -> dict[str, Any]:
    """ASCP on every node; the driver is the release above, not the chart's bundled dependency."""
    return {
        "image": {"repository": image_repositories(kubernetes)["provider"], "tag": secrets.provider_image},
        "awsRegion": region,
        "tolerations": agent_tolerations(),
        "secrets-store-csi-driver": {"install": False},
    }


def objects_parameter(environment: str, secrets: list[ManagerSecret]) -> str:
    """ASCP's `objects` parameter (YAML text): each secret by its full name, as a file named after it."""
    return yaml.safe_dump(
        [
            {
                "objectName": f"{Secrets.path(environment, s.zone)}/{s.name}",
                "objectType": "secretsmanager",
                "objectAlias": s.name,
                "filePermission": FILE_PERMISSION,
            }
            for s in secrets
        ],
        sort_keys=False,
    )


def provider_class(zone: str, namespace: str, environment: str, region: str, secrets: list[ManagerSecret]) -> Manifest:
    """The zone's SecretProviderClass in `namespace`: its secrets only, read with the pod's own IRSA role
    (usePodIdentity false), never synced into a Kubernetes Secret (no secretObjects)."""
    return {
        "apiVersion": SPC_API,
        "kind": "SecretProviderClass",
        "metadata": {
            "name": Secrets.provider_class(zone),
            "namespace": namespace,
            "labels": {**MANAGED_BY, ZONE_LABEL: zone},
        },
        "spec": {
            "provider": "aws",
            "parameters": {
                "region": region,
                "usePodIdentity": "false",
                "objects": objects_parameter(environment, secrets),
            },
        },
    }


def secrets_volume(provider_class_name: str, volume: str = "manager-secrets") -> dict[str, Any]:
    """A pod volume of the zone's secrets (read-only CSI volume of the class)."""
    return {
        "name": volume,
        "csi": {
            "driver": CSI_DRIVER,
            "readOnly": True,
            "volumeAttributes": {"secretProviderClass": provider_class_name},
        },
    }


def mirror_copies(kubernetes: KubernetesConfig, secrets: Secrets) -> list[tuple[str, str]]:
    """(upstream image, mirror image) of the two releases; empty without a mirror or with the switch off."""
    if kubernetes.image_mirror is None or not secrets.from_manager:
        return []
    upstream = image_refs(kubernetes.model_copy(update={"image_mirror": None}), secrets)
    return list(zip(upstream, image_refs(kubernetes, secrets), strict=True))
