"""Zone volumes as Kubernetes objects (pure, no Pulumi): each zone's encrypted StorageClass on its own key, and in
each zone namespace a quota of nothing on every other zone's class plus an admission policy admitting claims of the
zone's own class only (a zone with no class of its own: a quota of no claim at all)."""

from __future__ import annotations

from typing import Any

import pulumi

from ..config import Storage
from .labels import MANAGED_BY, ZONE_LABEL
from .vap import binding, deny, policy
from .zone_context import ZoneContext

Manifest = dict[str, Any]
EBS_CSI = "ebs.csi.aws.com"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
# EKS creates `gp2` (in-tree provisioner, encrypted only when the account encrypts EBS by default) on clusters first
# created before 1.30, marked default there: zones get a quota of nothing on it too.
EKS_LEGACY_CLASS = "gp2"
PVC_WRITES = {
    "apiGroups": [""],
    "apiVersions": ["v1"],
    "operations": ["CREATE", "UPDATE"],
    "resources": ["persistentvolumeclaims"],
}


def storage_class(zone: str, key_arn: pulumi.Input[str], storage: Storage) -> Manifest:
    """`enclave-<zone>`: gp3 volumes encrypted with the zone's key, created where the first pod lands (a zone's
    pods are pinned to its nodes, so the volume's availability zone is one its nodes are in). Never default: a
    claim that names no class must not fall to a zone's key, and admission refuses it in the zones."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": Storage.class_name(zone),
            "labels": {**MANAGED_BY, ZONE_LABEL: zone},
            "annotations": {DEFAULT_CLASS_ANNOTATION: "false"},
        },
        "provisioner": EBS_CSI,
        "parameters": {
            "type": "gp3",
            "encrypted": "true",
            "kmsKeyId": key_arn,
            "csi.storage.k8s.io/fstype": "ext4",
            "tagSpecification_1": f"enclave:zone={zone}",
        },
        "reclaimPolicy": storage.reclaim_policy,
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": storage.allow_volume_expansion,
    }


def claim_quota(ctx: ZoneContext, namespace: str) -> list[Manifest]:
    """A quota of nothing on every class but the zone's own (the other zones', EKS's gp2); of no claim at all when
    the zone has no class. A claim that names no class gets the default class before quota admission runs, so it
    is caught when that default is one of them; a default outside this list is `claim_policy`'s to refuse."""
    own = Storage.class_name(ctx.name)
    hard: dict[str, str] = {}
    for cls in [*(c for c in ctx.storage_classes if c != own), EKS_LEGACY_CLASS]:
        hard[f"{cls}.storageclass.storage.k8s.io/requests.storage"] = "0"
        hard[f"{cls}.storageclass.storage.k8s.io/persistentvolumeclaims"] = "0"
    if own not in ctx.storage_classes:
        # No class of its own (storage.encrypted_volumes off, a team's zone): no volumes at all, rather than
        # whatever the cluster's default class encrypts with.
        hard = {"persistentvolumeclaims": "0", "requests.storage": "0"}
    return [
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "storage-classes", "namespace": namespace, "labels": dict(MANAGED_BY)},
            "spec": {"hard": hard},
        }
    ]


def claim_policy(ctx: ZoneContext) -> list[Manifest]:
    """Claims in the zone's namespaces must name the zone's class: a quota can only list classes, and a claim with
    no class name would take whatever default the cluster has (or is given later, retroactively)."""
    if not ctx.storage_classes:
        return []
    name, own = f"enclave-storage-{ctx.name}", Storage.class_name(ctx.name)
    check = deny(
        f"has(object.spec.storageClassName) && object.spec.storageClassName == '{own}'",
        f"zone {ctx.name}: a PersistentVolumeClaim must set storageClassName: {own} (the zone's encrypted class)",
    )
    return [policy(name, [PVC_WRITES], [check]), binding(name, {"matchLabels": {ZONE_LABEL: ctx.name}})]
