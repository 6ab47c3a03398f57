"""Backups of the production-model and dataset buckets: S3 replication to a second region, under keys of that region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from .base import StrictModel
from .errors import Problem
from .regions import AwsRegion, partition

if TYPE_CHECKING:  # the platform's model holds this one
    from .buckets import Bucket
    from .platform import PlatformConfig


class Backups(StrictModel):
    """Every production datasets and models bucket (stage production) is replicated (live S3 replication, every object,
    SSE-KMS objects included) to a replica bucket of its own in `region`: encrypted with a customer key of that
    region, made like the source (public access block, TLS-only policy, versioning, logging), writable only by the
    replication role, which reads only the replicated buckets and writes only their replicas."""

    enabled: bool = Field(
        default=False,
        description="Replicate the production-model and dataset buckets to `region`. WEAKENING when false in a "
        "stack whose buckets hold ePHI: the data lives in one region with no copy.",
    )
    region: AwsRegion | None = Field(
        default=None,
        description="The AWS region of the replicas, e.g. 'us-west-2'; required when enabled, and not the stack's "
        "own region (a copy in the same region shares its outages).",
    )
    delete_marker_replication: bool = Field(
        default=False,
        description="Replicate delete markers: a delete in the source then hides the object in the replica too "
        "(its versions stay). Off by default: a backup keeps what the source loses. Deletes of a version are never "
        "replicated (S3 does not).",
    )
    replica_modifications: bool = Field(
        default=False,
        description="Replicate metadata changes made to replicas in the source bucket back (for two-way "
        "replication). Off: replication here is one-way and nobody but the replication role writes a replica.",
    )

    def replicated(self, bucket: Bucket) -> bool:
        """Whether `bucket` is one the backups copy: production datasets and model weights (what RECOVER-04 asks)."""
        return self.enabled and bucket.purpose in ("datasets", "models") and bucket.stage == "production"


def check_backups(cfg: PlatformConfig) -> Iterator[Problem]:
    """The replicas' region is named, is a region with EKS, and is not the stack's own."""
    backups = cfg.backups
    if not backups.enabled:
        return
    loc = ("backups", "region")
    if backups.region is None:
        yield Problem(loc, "backups are on but name no region: set backups.region to a second region, e.g. "
                      f"'{'us-west-2' if cfg.region != 'us-west-2' else 'us-east-2'}'")  # fmt: skip
    elif backups.region == cfg.region:
        yield Problem(
            loc,
            f"is the stack's own region ({cfg.region}): a replica there shares the source's outages; name another "
            "region",
            backups.region,
        )
    elif partition(backups.region) != partition(cfg.region):
        yield Problem(loc, f"is in another AWS partition than the stack's region {cfg.region} (replication stays "
                      "within one partition); name a region of the same one", backups.region)  # fmt: skip
    if not any(backups.replicated(b) for b in cfg.buckets):
        yield Problem(
            ("backups", "enabled"),
            "no bucket to replicate: backups copy the datasets and models buckets of stage production; turn them off",
            True,
        )
