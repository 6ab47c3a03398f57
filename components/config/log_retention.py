"""Log retention config for CloudWatch log groups and the audit trail."""

from __future__ import annotations

from pydantic import Field

from .base import LogRetentionDays, StrictModel


class Logging(StrictModel):
    retention_days: LogRetentionDays = Field(default=365, description="CloudWatch retention of the VPC flow logs.")
    audit_retention_days: LogRetentionDays = Field(
        default=2192,
        description="Retention of the audit trail, the S3 access logs and the EKS control-plane logs (which hold "
        "the Kubernetes audit log): six years by default (the organisation's retention policy; HIPAA 164.312(b) "
        "asks for audit records, not a period).",
    )
    immutable_copies: bool = Field(
        default=True,
        description="WEAKENING when false: copy the EKS control-plane logs (subscription filter -> Kinesis Data "
        "Firehose, SSE-KMS with the audit key) and the VPC flow logs (a second flow log delivered to S3) into the "
        "object-locked audit bucket, where COMPLIANCE-mode retention keeps them unchangeable for the lock period. "
        "The CloudWatch Logs groups stay as they are (the alarms read them).",
    )
    copy_buffer_seconds: int = Field(
        default=300,
        ge=60,
        le=900,
        description="How long Firehose buffers control-plane logs before writing an object to the audit bucket "
        "(60-900 seconds; it also writes when 64 MiB are buffered).",
    )
