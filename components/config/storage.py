"""Persistent volumes of the zones: the EBS CSI driver and one encrypted StorageClass per zone, on the zone's key."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import StrictModel
from .cluster import EksAddonVersion


class Storage(StrictModel):
    """Each zone claims volumes only from its own StorageClass (`enclave-<zone>`: gp3, encrypted with the zone's
    KMS key, bound where the pod lands); the EBS CSI driver's role may use the zones' keys and no other."""

    encrypted_volumes: bool = Field(
        default=True,
        description="The EBS CSI driver and a StorageClass per zone. When false, zone namespaces get no persistent "
        "volume at all (a quota of no claim) rather than the cluster's default class (EKS's gp2 before 1.30: "
        "unencrypted, or on the AWS managed key at best).",
    )
    reclaim_policy: Literal["Retain", "Delete"] = Field(
        default="Retain",
        description="What happens to a volume when its claim is deleted: Retain keeps it (and its data) for an "
        "operator to delete; Delete removes it with the claim (dev stacks).",
    )
    allow_volume_expansion: bool = Field(
        default=True, description="Claims may grow (EBS resizes in place); they can never shrink."
    )
    ebs_csi_driver: EksAddonVersion = Field(
        default="v1.48.0-eksbuild.2",
        description="Version of the aws-ebs-csi-driver EKS add-on, pinned: `aws eks describe-addon-versions "
        "--addon-name aws-ebs-csi-driver --kubernetes-version <v>` lists what a Kubernetes version supports.",
    )

    @staticmethod
    def class_name(zone: str) -> str:
        """The StorageClass of `zone`'s volumes."""
        return f"enclave-{zone}"
