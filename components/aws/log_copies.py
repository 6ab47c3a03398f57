"""LogCopies: the EKS control-plane logs (subscription filter -> Kinesis Data Firehose, SSE-KMS) and the VPC flow logs
(a second flow log delivered to S3) copied into the object-locked audit bucket."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from ..args import arg, args_type, check, fail, schema_type
from ..config import Logging
from .iam_policy import ResolvedGrant, document, grants_policy, service_trust
from .logs import encrypted_log_group
from .signals import FLOW_LOG_FORMAT_SHAPE

FIREHOSE = "firehose.amazonaws.com"
LOG_DELIVERY = "delivery.logs.amazonaws.com"
CONTROL_PLANE_PREFIX = "control-plane"
FLOW_LOG_PREFIX = "flow-logs"
BUFFER_MIB = 64  # Firehose's largest buffer for a stream without dynamic partitioning is 128 MiB
FIREHOSE_BUCKET_ACTIONS = ["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]
DELIVERY_ERRORS_STREAM = "S3Delivery"


def stream_name(name: str) -> str:
    """The Firehose stream's physical name: fixed, so the policies that name it are known in a first preview."""
    return f"enclave-{name}-control-plane-logs"


def stream_arn(name: str, region: str, account_id: str, partition: str = "aws") -> str:
    return f"arn:{partition}:firehose:{region}:{account_id}:deliverystream/{stream_name(name)}"


def logs_trust_policy(account_id: str, partition: str, region: str) -> str:
    """Only CloudWatch Logs of this region, on behalf of this account's log groups (no confused deputy)."""
    return service_trust(
        f"logs.{region}.amazonaws.com",
        sid="CloudWatchLogsAssume",
        source_account=account_id,
        source_arn_like=f"arn:{partition}:logs:{region}:{account_id}:*",
    )


def logs_put_policy(arn_of_stream: str) -> str:
    """Put records into the one stream, nothing else."""
    return document(
        {
            "Sid": "PutIntoControlPlaneStream",
            "Effect": "Allow",
            "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
            "Resource": arn_of_stream,
        }
    )


def firehose_trust_policy(account_id: str) -> str:
    """Only Firehose, and only for streams of this account (sts:ExternalId is the account id, AWS's documented
    confused-deputy guard for Firehose roles)."""
    statement = {
        "Sid": "FirehoseAssume",
        "Effect": "Allow",
        "Principal": {"Service": FIREHOSE},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": account_id}},
    }
    return document(statement)


def firehose_write_policy(
    bucket_arn: str, key_alias: str, error_group_arn: str, region: str, account_id: str, partition: str = "aws"
) -> str:
    """Write objects under `control-plane/` of the audit bucket only (the same least-privilege grant a workload
    gets: objects by prefix, listing by s3:prefix, the audit key by alias, through S3, for this bucket only),
    find the bucket and its multipart uploads, and report delivery errors to its own log stream."""
    grant = grants_policy(
        [ResolvedGrant(bucket_arn, key_alias, CONTROL_PLANE_PREFIX, "write")], region, account_id, partition
    )
    assert grant is not None  # one grant in, statements out
    statements: list[dict[str, Any]] = [
        *grant["Statement"],
        {"Sid": "FindAuditBucket", "Effect": "Allow", "Action": FIREHOSE_BUCKET_ACTIONS, "Resource": bucket_arn},
        {
            "Sid": "ReportDeliveryErrors",
            "Effect": "Allow",
            "Action": ["logs:PutLogEvents"],
            "Resource": f"{error_group_arn}:log-stream:{DELIVERY_ERRORS_STREAM}",
        },
    ]
    return document(*statements)


@args_type
class LogCopiesArgs:
    """Copies of the control-plane and flow logs in the audit bucket, where its COMPLIANCE-mode object lock keeps
    them; the CloudWatch Logs groups stay (alarms read them)."""

    name: str = arg("The environment's name: names the stream (`enclave-<name>-control-plane-logs`) and roles.")
    region: str = arg("The stack's region (the CloudWatch Logs service principal and ARNs are regional).")
    bucket_name: pulumi.Input[str] = arg(
        "Name of the audit bucket (`EncryptedBucket.name` of the audit-logs bucket): object lock COMPLIANCE, SSE-KMS "
        "with the audit key, a policy that lets VPC flow-log delivery of this account write under `flow-logs/`."
    )
    kms_key_arn: pulumi.Input[str] = arg(
        "ARN of the audit key: the stream's server-side encryption and its S3 objects' SSE-KMS key."
    )
    kms_key_alias: pulumi.Input[str] = arg(
        "Alias of the audit key (`alias/...`): the Firehose role's KMS use names the key by it (known in a first "
        "preview)."
    )
    control_plane_log_group: pulumi.Input[str] | None = arg(
        "Name of the EKS control-plane log group (`/aws/eks/<cluster>/cluster`) to copy. Default None: no "
        "control-plane copy (a cluster the stack does not create).",
        default=None,
    )
    vpc_id: pulumi.Input[str] | None = arg(
        "The VPC whose flow logs are copied (a second flow log, delivered to the audit bucket). Default None: none.",
        default=None,
    )
    flow_log_format: str | None = arg(
        "The copy's record format (`${field} ...`): the same as the VPC's CloudWatch flow log, so both record the same "
        "fields. Default None: AWS's default format.",
        default=None,
    )
    retention_days: int = arg(
        "Days the stream's delivery-error log group keeps events (default the audit retention).",
        default=Logging.model_fields["audit_retention_days"].default,
    )
    buffer_seconds: int = arg(
        "How long Firehose buffers before writing an object (60-900, default 300).",
        default=Logging.model_fields["copy_buffer_seconds"].default,
    )
    ready: Sequence[pulumi.Resource] = arg(
        "What must exist first: the audit bucket's policy (flow-log delivery checks it when the flow log is "
        "created) and the control-plane log group. Default none.",
        default=(),
    )
    tags: Mapping[str, str] | None = arg("Tags on every resource made here.", default=None)

    def __post_init__(self) -> None:
        fix = "Use a value the stack file's logging block accepts."
        if self.flow_log_format is not None and not re.fullmatch(FLOW_LOG_FORMAT_SHAPE, self.flow_log_format):
            fail(self, "flow_log_format", "give space-separated ${field} names, e.g. '${version} ${srcaddr}'.")
        check(self, "retention_days", schema_type(Logging, "audit_retention_days"), fix)
        check(self, "buffer_seconds", schema_type(Logging, "copy_buffer_seconds"), fix)


class LogCopies(pulumi.ComponentResource):
    """Immutable copies of the control-plane logs (through Firehose) and flow logs (S3 delivery)."""

    stream: aws.kinesis.FirehoseDeliveryStream | None
    firehose_role: aws.iam.Role | None
    firehose_policy: aws.iam.RolePolicy | None
    error_log_group: aws.cloudwatch.LogGroup | None
    error_log_stream: aws.cloudwatch.LogStream | None
    logs_role: aws.iam.Role | None
    logs_policy: aws.iam.RolePolicy | None
    subscription: aws.cloudwatch.LogSubscriptionFilter | None
    flow_log: aws.ec2.FlowLog | None

    def __init__(self, name: str, args: LogCopiesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("enclave:aws:LogCopies", name, None, opts)
        self._name, self._tags = name, dict(args.tags or {})
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self._account = aws.get_caller_identity_output(opts=invoke).account_id
        self._partition = aws.get_partition_output(opts=invoke).partition
        self._bucket_arn = pulumi.Output.concat("arn:", self._partition, ":s3:::", args.bucket_name)
        self.stream = self.firehose_role = self.firehose_policy = None
        self.error_log_group = self.error_log_stream = None
        self.logs_role = self.logs_policy = self.subscription = self.flow_log = None
        if args.control_plane_log_group is not None:
            self._control_plane(args, args.control_plane_log_group)
        if args.vpc_id is not None:
            # S3 delivery, not a subscription: flow logs are a vended log AWS delivers to S3 itself (no stream, no
            # role), and the CloudWatch Logs flow log the alarms read stays beside it.
            self.flow_log = aws.ec2.FlowLog(
                f"{name}-flow-log-copy",
                vpc_id=args.vpc_id,
                traffic_type="ALL",
                log_destination_type="s3",
                log_destination=pulumi.Output.concat(self._bucket_arn, f"/{FLOW_LOG_PREFIX}/"),
                max_aggregation_interval=60,
                log_format=args.flow_log_format,
                tags={**self._tags, "Name": f"{name}-flow-log-copy"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.ready)),
            )
        self.register_outputs(
            {
                "stream_arn": self.stream.arn if self.stream else None,
                "flow_log": self.flow_log.id if self.flow_log else None,
            }
        )

    def _control_plane(self, args: LogCopiesArgs, group: pulumi.Input[str]) -> None:
        name, region, tags = self._name, args.region, self._tags
        account, partition = self._account, self._partition
        child = pulumi.ResourceOptions(parent=self)
        self.error_log_group = encrypted_log_group(
            f"{name}-log-copy-errors",
            log_group_name=f"/enclave/{name}/log-copy-errors",
            kms_key_arn=args.kms_key_arn,
            retention_days=args.retention_days,
            parent=self,
            tags=tags,
        )
        self.error_log_stream = aws.cloudwatch.LogStream(
            f"{name}-log-copy-errors-stream", name=DELIVERY_ERRORS_STREAM, log_group_name=self.error_log_group.name,
            opts=child,
        )  # fmt: skip
        error_group_arn = pulumi.Output.concat(
            "arn:", partition, ":logs:", region, ":", account, ":log-group:", self.error_log_group.name
        )
        self.firehose_role = aws.iam.Role(
            f"{name}-log-copy-firehose-role",
            description=f"Firehose delivery of {name}'s control-plane logs to the audit bucket",
            assume_role_policy=account.apply(firehose_trust_policy),
            max_session_duration=3600,
            tags=tags,
            opts=child,
        )
        self.firehose_policy = aws.iam.RolePolicy(
            f"{name}-log-copy-firehose-write",
            role=self.firehose_role.id,
            policy=pulumi.Output.all(self._bucket_arn, args.kms_key_alias, error_group_arn, account, partition).apply(
                lambda a: firehose_write_policy(a[0], a[1], a[2], region, a[3], a[4])
            ),
            opts=child,
        )
        prefix = f"{CONTROL_PLANE_PREFIX}/{name}"
        # Firehose checks it can write when the stream is created: the role's policy must exist first.
        self.stream = aws.kinesis.FirehoseDeliveryStream(
            f"{name}-log-copy-stream",
            name=stream_name(name),
            destination="extended_s3",
            server_side_encryption={"enabled": True, "key_type": "CUSTOMER_MANAGED_CMK", "key_arn": args.kms_key_arn},
            extended_s3_configuration={
                "role_arn": self.firehose_role.arn,
                "bucket_arn": self._bucket_arn,
                "prefix": f"{prefix}/logs/!{{timestamp:yyyy/MM/dd/HH}}/",
                "error_output_prefix": f"{prefix}/errors/!{{firehose:error-output-type}}/!{{timestamp:yyyy/MM/dd}}/",
                "buffering_interval": args.buffer_seconds,
                "buffering_size": BUFFER_MIB,
                # CloudWatch Logs sends gzip-compressed batches already.
                "compression_format": "UNCOMPRESSED",
                "kms_key_arn": args.kms_key_arn,
                "cloudwatch_logging_options": {
                    "enabled": True,
                    "log_group_name": self.error_log_group.name,
                    "log_stream_name": self.error_log_stream.name,
                },
            },
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.firehose_policy, *args.ready]),
        )
        arn_of_stream = pulumi.Output.all(account, partition).apply(lambda a: stream_arn(name, region, a[0], a[1]))
        self.logs_role = aws.iam.Role(
            f"{name}-log-copy-logs-role",
            description=f"CloudWatch Logs subscription of {name}'s control-plane logs into Firehose",
            assume_role_policy=pulumi.Output.all(account, partition).apply(
                lambda a: logs_trust_policy(a[0], a[1], region)
            ),
            max_session_duration=3600,
            tags=tags,
            opts=child,
        )
        self.logs_policy = aws.iam.RolePolicy(
            f"{name}-log-copy-logs-put", role=self.logs_role.id, policy=arn_of_stream.apply(logs_put_policy), opts=child
        )
        # CloudWatch Logs sends a test record when the filter is created: the stream and the role must work.
        self.subscription = aws.cloudwatch.LogSubscriptionFilter(
            f"{name}-control-plane-log-copy",
            name="enclave-immutable-copy",
            log_group=group,
            filter_pattern="",
            destination_arn=self.stream.arn,
            role_arn=self.logs_role.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.logs_policy]),
        )


def flow_log_delivery_statements(bucket_arn: str, account_id: str, region: str, partition: str) -> list[dict[str, Any]]:
    """The audit bucket's statements for VPC flow-log delivery to S3 (AWS's documented pair), limited to this
    account's flow logs in this region (aws:SourceAccount, aws:SourceArn) and to `flow-logs/AWSLogs/<account>/`."""
    source = {
        "StringEquals": {"aws:SourceAccount": account_id},
        "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:{region}:{account_id}:*"},
    }
    return [
        {
            "Sid": "FlowLogDeliveryAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": LOG_DELIVERY},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": source,
        },
        {
            "Sid": "FlowLogDeliveryWrite",
            "Effect": "Allow",
            "Principal": {"Service": LOG_DELIVERY},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/{FLOW_LOG_PREFIX}/AWSLogs/{account_id}/*",
            "Condition": {
                "StringEquals": {**source["StringEquals"], "s3:x-amz-acl": "bucket-owner-full-control"},
                "ArnLike": source["ArnLike"],
            },
        },
    ]


def flow_log_key_use(region: str) -> dict[str, Any]:
    """ServiceUse fields for the audit key: log delivery encrypts the flow-log objects it writes (SSE-KMS with the
    bucket's key), for this account's flow logs in this region only."""
    return {
        "service": LOG_DELIVERY,
        "sid": "LogDeliveryEncryptFlowLogs",
        "actions": ("kms:GenerateDataKey*",),
        "conditions": {"ArnLike": {"aws:SourceArn": f"arn:{{partition}}:logs:{region}:{{account_id}}:*"}},
    }
