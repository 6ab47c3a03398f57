"""CloudWatch log groups that are always KMS-encrypted and always expire (shared by every component)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def encrypted_log_group(
    resource_name: str,
    *,
    log_group_name: pulumi.Input[str],
    kms_key_arn: pulumi.Input[str],
    retention_days: int,
    parent: pulumi.Resource,
    tags: dict[str, str] | None = None,
    provider: pulumi.ProviderResource | None = None,
) -> aws.cloudwatch.LogGroup:
    """A log group encrypted with `kms_key_arn` whose events expire after `retention_days`.

    The key's policy must let `logs.<region>.amazonaws.com` use it (see platform.audit_key_services).
    """
    return aws.cloudwatch.LogGroup(
        resource_name,
        name=log_group_name,
        kms_key_id=kms_key_arn,
        retention_in_days=retention_days,
        tags=tags or {},
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )
