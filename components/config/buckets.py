"""Artifact bucket config: purpose, owning zone, stage, retention."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import Name, Stage, StrictModel

BucketPurpose = Literal["datasets", "models", "checkpoints", "audit-logs"]


class Bucket(StrictModel):
    """An SSE-KMS encrypted, versioned, private S3 bucket."""

    name: Name = Field(description="Logical name; the S3 name is derived from it with a unique suffix.")
    purpose: BucketPurpose
    zone: Name = Field(description="Zone whose KMS key encrypts the bucket.")
    stage: Stage = "production"
    noncurrent_version_days: int = Field(
        default=30, ge=1, le=3650, description="Expire noncurrent object versions after this many days."
    )
    object_lock_days: Annotated[int, Field(ge=1, le=3650)] | None = Field(
        default=None,
        description="COMPLIANCE-mode object lock period; audit-logs only, defaults to the audit retention.",
    )
    dedicated_key: bool = Field(
        default=False,
        description="Encrypt with a KMS key of this bucket's own (one key per zone and purpose) instead of the "
        "zone key, so key policy and grants can single out, e.g., production model weights. Not for audit-logs.",
    )
    force_destroy: bool = Field(default=False, description="WEAKENING: let `pulumi destroy` delete objects.")


def access_log_bucket_name(audit_bucket: str) -> str:
    """The server-access-log bucket the platform creates beside the audit bucket (S3 delivers no access
    logs into the audit bucket, which has object lock)."""
    return f"{audit_bucket}-access"
