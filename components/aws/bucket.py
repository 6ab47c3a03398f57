"""EncryptedBucket: an S3 bucket plus its separate v7 resources (SSE-KMS with the zone CMK and a
bucket key, public access block, BucketOwnerEnforced, versioning, a TLS-only policy that refuses other
requested encryption, lifecycle, access logging to the access-log bucket, compliance-mode object lock for
audit logs)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from ..args import arg, args_type, check, fail, schema_type
from ..config import Bucket, Logging
from ..config.base import Stage
from ..config.buckets import BucketPurpose
from .data_perimeter import BucketPerimeterArgs, perimeter_statements
from .log_copies import flow_log_delivery_statements

ACCESS_LOG_PREFIX = "access-logs"
TRAIL_PREFIX = "cloudtrail"
MULTIPART_ABORT_DAYS = 7


SSE_HEADER = "s3:x-amz-server-side-encryption"
SSE_KEY_HEADER = "s3:x-amz-server-side-encryption-aws-kms-key-id"
SSE_C_HEADER = "s3:x-amz-server-side-encryption-customer-algorithm"
CLOUDTRAIL = "cloudtrail.amazonaws.com"
S3_LOGGING = "logging.s3.amazonaws.com"
# S3 server access logging delivers only into buckets whose default encryption is SSE-S3 (S3 user guide,
# "Enabling Amazon S3 server access logging": SSE-KMS default encryption is not supported there).
ACCESS_LOG_SSE = "AES256"


def _deny_put(sid: str, bucket_arn: str, condition: dict[str, Any]) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"{bucket_arn}/*",
        "Condition": condition,
    }


def account_keys(partition: str, region: str, account_id: str) -> str:
    """The ARN pattern of every KMS key of one account and region."""
    return f"arn:{partition}:kms:{region}:{account_id}:key/*"


@dataclass(frozen=True)
class Perimeter:
    """A resolved BucketPerimeterArgs: plain endpoint ids and role ARNs."""

    endpoint_ids: Sequence[str]
    principal_arns: Sequence[str]
    admin_role_arns: Sequence[str] = ()
    replication_role_arns: Sequence[str] = ()
    replica: bool = False


def bucket_policy(
    bucket_arn: str,
    key_pattern: str | None,
    account_id: str,
    cloudtrail_sink: bool = False,
    access_log_sink: bool = False,
    trail_arn: str | None = None,
    perimeter: Perimeter | None = None,
    flow_log_region: str | None = None,
) -> str:
    """Deny non-TLS access, and uploads that *ask* for other encryption than the bucket's.

    An upload without encryption headers (boto3, the AWS CLI and s3fs send none by default; neither do S3
    log delivery and CloudTrail) gets the bucket's default encryption: its CMK with a bucket key. So the
    encryption denies apply only to a header that is present (`Null: false`) and wrong: another algorithm
    (AES256), `aws:kms` without a key id (S3 would use the AWS managed aws/s3 key), a key outside
    `key_pattern` (`account_keys`: this account's keys in this region, named by key ARN; another account's key
    would leave the data readable only there), or a customer-provided key (SSE-C). Which of the account's keys
    a workload may use is decided by its IAM grants, which name the bucket's key and bucket (iam_policy). The
    pattern, not the key's own ARN, keeps the document known in a first preview, where the policy pack reads it.

    A CloudTrail sink (the audit bucket) lets trail `trail_arn` (else this account's CloudTrail) write under
    `cloudtrail/AWSLogs/<account>/`, and exempts CloudTrail from the encryption denies: which encryption
    it requests for digest files has changed between versions of its documentation. An access-log sink
    (`key_arn` None) is SSE-S3 (the only encryption S3 log delivery supports) and lets this account's
    server access logging write under `access-logs/`.
    A `flow_log_region` (the audit bucket with immutable log copies) lets VPC flow-log delivery of this account's
    flow logs in that region write under `flow-logs/AWSLogs/<account>/` (log_copies.py).
    A `perimeter` (ePHI buckets) adds the data perimeter's two Deny statements (data_perimeter.py).

    The document is built from values known before anything exists (the bucket's name, the account, the
    trail's name, role names), so a first `pulumi preview` shows it, and the policy pack can check it, in full;
    except the perimeter's endpoint ids when the stack creates its endpoints: they exist only after the first
    `pulumi up`, so that preview shows an ePHI bucket's policy as unknown (the policies that read it say so).
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    present = {"Null": {SSE_HEADER: "false"}}
    if key_pattern is None:
        statements.append(
            _deny_put("DenyOtherEncryption", bucket_arn, {**present, "StringNotEquals": {SSE_HEADER: ACCESS_LOG_SSE}})
        )
    else:
        statements += [
            _deny_put("DenyOtherEncryption", bucket_arn, {**present, "StringNotEquals": {SSE_HEADER: "aws:kms"}}),
            _deny_put(
                "DenyKmsWithoutBucketKey",
                bucket_arn,
                {"StringEquals": {SSE_HEADER: "aws:kms"}, "Null": {SSE_KEY_HEADER: "true"}},
            ),
            _deny_put(
                "DenyOtherKmsKey",
                bucket_arn,
                {"Null": {SSE_KEY_HEADER: "false"}, "StringNotLike": {SSE_KEY_HEADER: key_pattern}},
            ),
        ]
    statements.append(_deny_put("DenyCustomerProvidedKeys", bucket_arn, {"Null": {SSE_C_HEADER: "false"}}))
    if cloudtrail_sink:
        for stmt in statements[1:]:
            stmt["Condition"]["StringNotEqualsIfExists"] = {"aws:PrincipalServiceName": CLOUDTRAIL}
    source: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
    if cloudtrail_sink:
        trail_source: dict[str, Any] = (
            {"StringEquals": {"aws:SourceArn": trail_arn}}
            if trail_arn
            else {"StringEquals": dict(source["StringEquals"])}
        )
        write = {"StringEquals": {**trail_source["StringEquals"], "s3:x-amz-acl": "bucket-owner-full-control"}}
        statements += [
            {
                "Sid": "CloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": CLOUDTRAIL},
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": trail_source,
            },
            {
                "Sid": "CloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": CLOUDTRAIL},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{TRAIL_PREFIX}/AWSLogs/{account_id}/*",
                "Condition": write,
            },
        ]
    if access_log_sink:
        statements.append(
            {
                "Sid": "S3ServerAccessLogsWrite",
                "Effect": "Allow",
                "Principal": {"Service": S3_LOGGING},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{ACCESS_LOG_PREFIX}/*",
                "Condition": source,
            }
        )
    if flow_log_region is not None:
        partition = bucket_arn.split(":")[1]
        statements += flow_log_delivery_statements(bucket_arn, account_id, flow_log_region, partition)
    if perimeter is not None:
        statements += perimeter_statements(
            bucket_arn,
            perimeter.endpoint_ids,
            perimeter.principal_arns,
            perimeter.admin_role_arns,
            perimeter.replication_role_arns,
            perimeter.replica,
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def _bucket_default(field: str) -> Any:
    return Bucket.model_fields[field].default


@args_type
class EncryptedBucketArgs:
    """A private, versioned S3 bucket encrypted with a KMS key (SSE-KMS, bucket key), TLS-only, logged."""

    purpose: BucketPurpose = arg(
        "What the bucket holds: datasets, models, checkpoints, or audit-logs (the CloudTrail sink: compliance-mode "
        "object lock, a policy that admits only the trail). Tagged `enclave:purpose`."
    )
    stage: Stage = arg(
        "Lifecycle stage of the data, tagged `enclave:stage`: staging or production (default).",
        default=_bucket_default("stage"),
    )
    kms_key_arn: pulumi.Input[str] | None = arg(
        "ARN of the KMS key that encrypts every object (SSE-KMS with a bucket key): usually `KmsKey.arn` of the "
        "bucket's zone, or a key ARN from a StackReference. Required; None only with `access_log_sink` (SSE-S3, the "
        "only encryption S3 log delivery writes into).",
        default=None,
    )
    log_bucket: pulumi.Input[str] | None = arg(
        "Name of the bucket that receives this bucket's server access logs (the platform's access-log bucket, "
        "e.g. from a StackReference). Required; None only with `access_log_sink`.",
        default=None,
    )
    log_bucket_ready: Sequence[pulumi.Resource] = arg(
        "What must exist before logging is switched on: the log bucket's policy admitting S3 log delivery "
        "(`EncryptedBucket.policy` of the access-log bucket). Default none (a bucket of another stack).",
        default=(),
    )
    force_destroy: bool = arg(
        "WEAKENING: let `pulumi destroy` delete the bucket with its objects. Default off.",
        default=_bucket_default("force_destroy"),
    )
    noncurrent_version_days: int = arg(
        "Days after which noncurrent object versions expire (1-3650, default 30). An audit-logs bucket keeps "
        "them for `object_lock_days` instead.",
        default=_bucket_default("noncurrent_version_days"),
    )
    object_lock_days: int | None = arg(
        "Audit-logs only, and required there: the COMPLIANCE-mode object lock period (1-3650 days; the platform "
        "uses the audit retention). Default None.",
        default=_bucket_default("object_lock_days"),
    )
    cloudtrail_arn: pulumi.Input[str] | None = arg(
        "Audit-logs only: the trail allowed to write (`AuditTrail`'s `trail_arn`). Default None: any CloudTrail "
        "trail of this account.",
        default=None,
    )
    flow_log_sink: bool = arg(
        "Audit-logs only: let VPC flow-log delivery of this account and region write under `flow-logs/` (the "
        "immutable flow-log copies, `LogCopies`). Default off.",
        default=False,
    )
    access_log_sink: bool = arg(
        "Make the server-access-log bucket instead: SSE-S3, no object lock, no logging of its own, a policy that "
        "lets S3 log delivery of this account write under `access-logs/`. Default off.",
        default=False,
    )
    expire_days: int | None = arg(
        "Access-log sink only: days after which its logs expire (a CloudWatch Logs retention period; the platform "
        "uses the audit retention). Default None: kept forever.",
        default=None,
    )
    perimeter: BucketPerimeterArgs | None = arg(
        "The data perimeter of an ePHI bucket (datasets, models, checkpoints): data access only by its declared "
        "identities and admin roles, only through the given S3 VPC endpoints (the pack's S3-11 refuses such a bucket "
        "without one). Default None: none (the audit and access-log buckets, which AWS services write).",
        default=None,
    )
    tags: Mapping[str, str] | None = arg(
        "Tags on the bucket, beside `enclave:purpose` and `enclave:stage`.", default=None
    )

    def __post_init__(self) -> None:
        fix = "Use a value the stack file's bucket settings accept."
        for field in ("purpose", "stage", "force_destroy", "noncurrent_version_days", "object_lock_days"):
            check(self, field, schema_type(Bucket, field), fix)
        check(self, "expire_days", schema_type(Logging, "audit_retention_days") | None, fix)
        if (self.kms_key_arn is None) != self.access_log_sink:
            fail(
                self,
                "kms_key_arn",
                "kms_key_arn is required, and None only for the access-log sink (SSE-S3). Pass the zone key's ARN.",
            )
        if self.log_bucket is None and not self.access_log_sink:
            fail(self, "log_bucket", "every bucket but the access-log sink logs access. Pass the access-log bucket.")
        if self.access_log_sink:
            if self.object_lock_days is not None:
                fail(self, "object_lock_days", "S3 delivers no access logs into a locked bucket. Leave it None.")
            if self.log_bucket is not None:
                fail(self, "log_bucket", "the access-log sink does not log into another bucket. Leave it None.")
        else:
            if self.expire_days is not None:
                fail(self, "expire_days", "only the access-log sink expires its objects. Leave it None.")
            if self.flow_log_sink and self.purpose != "audit-logs":
                fail(self, "flow_log_sink", "only the audit-logs bucket receives flow-log copies. Leave it off.")
            if self.purpose == "audit-logs" and self.object_lock_days is None:
                fail(self, "object_lock_days", "an audit-logs bucket needs object lock days. Pass the audit retention.")


class EncryptedBucket(pulumi.ComponentResource):
    """A private, versioned, SSE-KMS bucket for one purpose of one zone and stage."""

    bucket: aws.s3.Bucket
    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    public_access_block: aws.s3.BucketPublicAccessBlock
    ownership: aws.s3.BucketOwnershipControls
    versioning: aws.s3.BucketVersioning
    policy: aws.s3.BucketPolicy
    lifecycle: aws.s3.BucketLifecycleConfiguration
    logging: aws.s3.BucketLogging | None
    object_lock: aws.s3.BucketObjectLockConfiguration | None

    def __init__(self, name: str, args: EncryptedBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        """An audit-logs bucket is the CloudTrail sink: compliance-mode object lock for `object_lock_days`, and
        a policy that admits only the trail `cloudtrail_arn`. The access-log sink has no lock and SSE-S3 default
        encryption (S3 delivers access logs only into such buckets: S3 user guide, "Enabling server access
        logging"); its current objects expire after `expire_days`."""
        super().__init__("enclave:aws:EncryptedBucket", name, None, opts)
        kms_key_arn, access_log_sink, object_lock_days = args.kms_key_arn, args.access_log_sink, args.object_lock_days
        audit = args.purpose == "audit-logs" and not access_log_sink
        child = pulumi.ResourceOptions(parent=self)
        all_tags = {**(args.tags or {}), "enclave:purpose": args.purpose, "enclave:stage": args.stage}
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            force_destroy=args.force_destroy,
            object_lock_enabled=True if audit else None,
            tags=all_tags,
            opts=child,
        )
        # The name, not the id: the same value for S3, but known in a first preview (auto-named in Check).
        bucket_id = self.bucket.bucket
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
                    "apply_server_side_encryption_by_default": {"sse_algorithm": ACCESS_LOG_SSE},
                    "blocked_encryption_types": ["SSE-C"],
                }
                if kms_key_arn is None
                else {
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
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        # The bucket's name is known in a preview (auto-named in Check), its ARN is not: build the ARN.
        self.name = self.bucket.bucket
        self.arn = pulumi.Output.concat("arn:", partition, ":s3:::", self.bucket.bucket)
        keys = None if kms_key_arn is None else pulumi.Output.all(partition, region, account).apply(
            lambda a: account_keys(a[0], a[1], a[2])
        )  # fmt: skip
        perimeter = args.perimeter
        fence: pulumi.Output[Perimeter | None] = pulumi.Output.from_input(None)
        if perimeter is not None:
            admins, replica = list(perimeter.admin_role_arns), perimeter.replica
            fence = pulumi.Output.all(
                pulumi.Output.all(*perimeter.endpoint_ids),
                pulumi.Output.all(*perimeter.principal_arns),
                pulumi.Output.all(*perimeter.replication_role_arns),
            ).apply(lambda f: Perimeter(f[0], f[1], admins, f[2], replica))
        flow_logs = args.flow_log_sink
        document = pulumi.Output.all(self.arn, keys, account, args.cloudtrail_arn, fence, region).apply(
            lambda a: bucket_policy(
                a[0], a[1], a[2], cloudtrail_sink=audit, access_log_sink=access_log_sink, trail_arn=a[3],
                perimeter=a[4], flow_log_region=a[5] if flow_logs else None,
            )
        )  # fmt: skip
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
                    "noncurrent_days": object_lock_days if audit and object_lock_days else args.noncurrent_version_days
                },
            },
        ]
        if access_log_sink and args.expire_days is not None:
            rules.append(
                {
                    "id": "expire-access-logs",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": args.expire_days},
                }
            )
        self.lifecycle = aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket_id,
            rules=rules,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
        )
        self.logging = None
        if args.log_bucket is not None:
            self.logging = aws.s3.BucketLogging(
                f"{name}-logging",
                bucket=bucket_id,
                target_bucket=args.log_bucket,
                target_prefix=f"{ACCESS_LOG_PREFIX}/{name}/",
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.log_bucket_ready)),
            )
        self.object_lock = None
        if audit:
            days = object_lock_days
            assert days is not None  # EncryptedBucketArgs requires it for audit-logs
            self.object_lock = aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                bucket=bucket_id,
                object_lock_enabled="Enabled",
                rule={"default_retention": {"mode": "COMPLIANCE", "days": days}},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
            )
        self.register_outputs({"bucket": self.bucket.bucket, "arn": self.arn})
