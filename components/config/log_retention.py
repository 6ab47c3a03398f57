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
