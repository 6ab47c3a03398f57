"""EncryptedBucket: an S3 bucket plus its separate v7 resources (SSE-KMS with the zone CMK and a
bucket key, public access block, BucketOwnerEnforced, versioning, TLS-only + CMK-only policy,
lifecycle, access logging to the audit bucket, compliance-mode object lock for audit logs)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from ..config import Bucket as BucketConfig

ACCESS_LOG_PREFIX = "access-logs"
TRAIL_PREFIX = "cloudtrail"
MULTIPART_ABORT_DAYS = 7


def bucket_policy(
    bucket_arn: str,
    key_arn: str,
    account_id: str,
    cloudtrail_sink: bool = False,
    access_log_sink: bool = False,
    partition: str = "aws",
) -> str:
    """Deny non-TLS access and uploads encrypted with anything but the bucket's CMK.

    Uploads without encryption headers get the default (the CMK). A CloudTrail sink (the audit bucket)
    lets this account's CloudTrail write under `cloudtrail/AWSLogs/<account>/`; an access-log sink lets
    S3 server access logging of this account write under `access-logs/`.
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOtherEncryption",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/*",
            "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
        },
        {
            "Sid": "DenyOtherKmsKey",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/*",
            "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}},
        },
    ]
    source = {"StringEquals": {"aws:SourceAccount": account_id}}
    if cloudtrail_sink:
        statements += [
            {
                "Sid": "CloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": source,
            },
            {
                "Sid": "CloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{TRAIL_PREFIX}/AWSLogs/{account_id}/*",
                "Condition": source,
            },
        ]
    if access_log_sink:
        statements.append(
            {
                "Sid": "S3ServerAccessLogsWrite",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{ACCESS_LOG_PREFIX}/*",
                "Condition": source,
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


class EncryptedBucket(pulumi.ComponentResource):
    """A private, versioned, SSE-KMS bucket for one purpose of one zone and stage."""

    bucket: aws.s3.Bucket
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    public_access_block: aws.s3.BucketPublicAccessBlock
    ownership: aws.s3.BucketOwnershipControls
    versioning: aws.s3.BucketVersioning
    policy: aws.s3.BucketPolicy
    lifecycle: aws.s3.BucketLifecycleConfiguration
    logging: aws.s3.BucketLogging | None
    object_lock: aws.s3.BucketObjectLockConfiguration | None

    def __init__(
        self,
        name: str,
        config: BucketConfig,
        *,
        kms_key_arn: pulumi.Input[str],
        log_bucket: pulumi.Input[str] | None = None,
        log_bucket_ready: Sequence[pulumi.Resource] = (),
        object_lock_days: int | None = None,
        access_log_sink: bool = False,
        expire_days: int | None = None,
        tags: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`log_bucket` is the access-log bucket's name (None only for that bucket itself) and
        `log_bucket_ready` its policy, which must admit S3 log delivery before logging is switched on.

        An audit-logs bucket is the CloudTrail sink: compliance-mode object lock for `object_lock_days`.
        `access_log_sink=True` makes the server-access-log bucket instead: S3 delivers no access logs into
        a bucket with object lock or default retention (S3 user guide, "Enabling server access logging"),
        so it has neither; its current objects expire after `expire_days` (the audit retention)."""
        super().__init__("enclave:aws:EncryptedBucket", name, None, opts)
        audit = config.purpose == "audit-logs" and not access_log_sink
        child = pulumi.ResourceOptions(parent=self)
        all_tags = {**(tags or {}), "enclave:purpose": config.purpose, "enclave:stage": config.stage}
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            force_destroy=config.force_destroy,
            object_lock_enabled=True if audit else None,
            tags=all_tags,
            opts=child,
        )
        bucket_id = self.bucket.id
        self.ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket_id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": kms_key_arn,
                    },
                    "bucket_key_enabled": True,
                    "blocked_encryption_types": ["SSE-C"],
                }
            ],
            opts=child,
        )
        self.versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket_id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        document = pulumi.Output.all(self.bucket.arn, kms_key_arn, identity.account_id, partition.partition).apply(
            lambda a: bucket_policy(
                a[0], a[1], a[2], cloudtrail_sink=audit, access_log_sink=access_log_sink, partition=a[3]
            )
        )
        # Both block-public-access and the policy change the bucket's access settings; applying them one
        # after the other avoids S3's conflicting-operation errors on a new bucket.
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket_id,
            policy=document,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access_block]),
        )
        rules: list[aws.s3.BucketLifecycleConfigurationRuleArgsDict] = [
            {
                "id": "abort-incomplete-multipart",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "abort_incomplete_multipart_upload": {"days_after_initiation": MULTIPART_ABORT_DAYS},
            },
            {
                "id": "expire-noncurrent-versions",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "noncurrent_version_expiration": {
                    "noncurrent_days": object_lock_days
                    if audit and object_lock_days
                    else config.noncurrent_version_days
                },
            },
        ]
        if access_log_sink and expire_days is not None:
            rules.append(
                {
                    "id": "expire-access-logs",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": expire_days},
                }
            )
        self.lifecycle = aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket_id,
            rules=rules,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
        )
        self.logging = None
        if log_bucket is not None:
            self.logging = aws.s3.BucketLogging(
                f"{name}-logging",
                bucket=bucket_id,
                target_bucket=log_bucket,
                target_prefix=f"{ACCESS_LOG_PREFIX}/{name}/",
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(log_bucket_ready)),
            )
        self.object_lock = None
        if audit:
            days = config.object_lock_days or object_lock_days
            if days is None:
                raise ValueError(f"{name}: an audit-logs bucket needs object lock days")
            self.object_lock = aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                bucket=bucket_id,
                object_lock_enabled="Enabled",
                rule={"default_retention": {"mode": "COMPLIANCE", "days": days}},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
            )
        self.register_outputs({"bucket": self.bucket.bucket, "arn": self.bucket.arn})
