"""AuditTrail: a multi-region, validated, KMS-encrypted CloudTrail trail to the audit bucket and CloudWatch Logs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from ..args import arg, args_type, check, schema_type
from ..config import Logging
from .bucket import TRAIL_PREFIX
from .iam_policy import service_trust
from .kms import ServiceUse
from .log_copies import flow_log_key_use
from .logs import encrypted_log_group

CLOUDTRAIL = "cloudtrail.amazonaws.com"
DELIVERY_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"]
MANAGEMENT_SELECTOR = "all-management-events"
DATA_SELECTOR = "artifact-object-reads-and-writes"


def trail_name(name: str) -> str:
    """The trail's physical name: fixed, so the audit bucket's policy can name the trail before it exists."""
    return f"enclave-{name}"


def trail_arn(name: str, region: str, account_id: str, partition: str = "aws") -> str:
    """The ARN of trail `name` (a multi-region trail's ARN carries its home region)."""
    return f"arn:{partition}:cloudtrail:{region}:{account_id}:trail/{trail_name(name)}"


def audit_key_services(region: str, trail: str, flow_log_copies: bool = False) -> list[ServiceUse]:
    """Service principals that write encrypted audit data with the audit key, each limited to what it
    does:

    - CloudWatch Logs (the trail's, the flow logs' and the control plane's log groups): usage only for log
      groups of this account and region, by encryption context. Logs' documented key policy carries no
      `aws:SourceAccount`, so the account is pinned in the context ARN instead;
    - CloudTrail: `GenerateDataKey*` only with the encryption context of trail `trail` (any region: a
      multi-region trail delivers every region's events) of this account, `DescribeKey`,
      and `Decrypt` (CloudTrail needs it to create a trail whose bucket uses an S3 Bucket Key), each with
      `aws:SourceAccount`;
    - with `flow_log_copies`, log delivery (flow logs written to the audit bucket with SSE-KMS): `GenerateDataKey*`
      for this account's flow logs in this region (log_copies.flow_log_key_use).
    """
    copies = [ServiceUse(**flow_log_key_use(region))] if flow_log_copies else []
    return [
        ServiceUse(
            service=f"logs.{region}.amazonaws.com",
            sid="CloudWatchLogsEncryptLogGroups",
            conditions={
                "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:{{partition}}:logs:{region}:{{account_id}}:*"}
            },
            source_account=False,
        ),
        ServiceUse(
            service=CLOUDTRAIL,
            sid="CloudTrailEncryptLogs",
            actions=("kms:GenerateDataKey*",),
            conditions={
                "StringLike": {
                    "kms:EncryptionContext:aws:cloudtrail:arn": "arn:{partition}:cloudtrail:*:{account_id}:trail/"
                    + trail
                }
            },
        ),
        ServiceUse(service=CLOUDTRAIL, sid="CloudTrailDescribeKey", actions=("kms:DescribeKey",)),
        ServiceUse(service=CLOUDTRAIL, sid="CloudTrailBucketKeyDecrypt", actions=("kms:Decrypt",)),
        *copies,
    ]


def object_arn_prefixes(bucket_arns: Sequence[str]) -> list[str]:
    """`resources.ARN` prefixes matching every object of each bucket (the slash keeps `ab` from matching `abc`)."""
    return [f"{arn}/" for arn in bucket_arns]


def event_selectors(
    object_prefixes: pulumi.Input[Sequence[str]] | None,
) -> list[aws.cloudtrail.TrailAdvancedEventSelectorArgsDict]:
    """All management events, plus S3 object events under `object_prefixes` when given.

    No selector has a `readOnly` field: reads and writes are both logged (who read which artifact).
    """
    selectors: list[aws.cloudtrail.TrailAdvancedEventSelectorArgsDict] = [
        {
            "name": MANAGEMENT_SELECTOR,
            "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}],
        }
    ]
    if object_prefixes is not None:
        selectors.append(
            {
                "name": DATA_SELECTOR,
                "field_selectors": [
                    {"field": "eventCategory", "equals": ["Data"]},
                    {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                    {"field": "resources.ARN", "starts_withs": object_prefixes},
                ],
            }
        )
    return selectors


def delivery_trust_policy(account_id: str) -> str:
    """Only CloudTrail acting for this account may assume the delivery role (no confused deputy)."""
    return service_trust(CLOUDTRAIL, sid="CloudTrailAssume", source_account=account_id)


def delivery_policy(log_group_arn: str) -> str:
    """Create streams in and put events to the trail's own log group, nothing else."""
    statement: dict[str, Any] = {
        "Sid": "CloudTrailDelivery",
        "Effect": "Allow",
        "Action": DELIVERY_ACTIONS,
        "Resource": [f"{log_group_arn}:log-stream:*"],
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True)


@args_type
class AuditTrailArgs:
    """A multi-region CloudTrail trail with log file validation, KMS-encrypted, delivered to the audit bucket and
    to an encrypted CloudWatch Logs group; all management events and the artifact buckets' object events."""

    bucket_name: pulumi.Input[str] = arg(
        "Name of the audit bucket (`EncryptedBucket.name` of an audit-logs bucket, or a StackReference output): its "
        "policy must let this trail (`trail_arn(name, ...)`) write under `cloudtrail/AWSLogs/<account>/`."
    )
    kms_key_arn: pulumi.Input[str] = arg(
        "ARN of the audit key that encrypts the trail and its log group (`KmsKey.arn`; its policy must admit "
        "CloudTrail and CloudWatch Logs: `audit_key_services`)."
    )
    data_event_bucket_arns: Sequence[pulumi.Input[str]] = arg(
        "ARNs of the buckets whose object reads and writes are logged (`EncryptedBucket.arn` of the datasets, "
        "models and checkpoints buckets). Default none: management events only.",
        default=(),
    )
    data_event_name_prefixes: Sequence[str] = arg(
        "S3 bucket-name prefixes whose buckets' object reads and writes are logged as well: buckets other stacks "
        "create (a team zone's `<environment>-<zone>-`, from the platform's `team_zones`). Default none.",
        default=(),
    )
    retention_days: int = arg(
        "Days the trail's CloudWatch Logs group keeps events: a CloudWatch Logs retention period, default the stack "
        "file's audit retention default (2192, six years).",
        default=Logging.model_fields["audit_retention_days"].default,
    )
    bucket_policy_ready: Sequence[pulumi.Resource] = arg(
        "What must exist before the trail: the audit bucket's policy (`EncryptedBucket.policy`); CloudTrail checks "
        "it when the trail is created. Default none (a bucket of another stack).",
        default=(),
    )
    tags: Mapping[str, str] | None = arg("Tags on the trail, its log group and delivery role.", default=None)
    sns_topic_arn: pulumi.Input[str] | None = arg(
        "The security-alarm topic (`AlarmTopic.topic.arn`) CloudTrail notifies of every log file it delivers; its "
        "policy must let this trail publish. Default none: no notification.",
        default=None,
    )

    def __post_init__(self) -> None:
        for prefix in self.data_event_name_prefixes:
            if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}-", prefix):  # S3 names: at most 63
                raise ValueError(
                    f"AuditTrailArgs.data_event_name_prefixes: {prefix!r} is not a bucket-name prefix ending in '-' "
                    "(e.g. 'prod-vision-'): an empty or short one would log every bucket, the audit bucket included"
                )
        check(
            self,
            "retention_days",
            schema_type(Logging, "audit_retention_days"),
            "Use a retention the stack file's logging.audit_retention_days accepts.",
        )


class AuditTrail(pulumi.ComponentResource):
    """The account's audit trail: every region's management events and the artifact buckets' object events."""

    log_group: aws.cloudwatch.LogGroup
    delivery_role: aws.iam.Role
    delivery_policy: aws.iam.RolePolicy
    trail: aws.cloudtrail.Trail

    def __init__(self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        """The trail's name is `trail_name(name)`: fixed, so the audit bucket's policy can name it before it exists."""
        super().__init__("enclave:aws:AuditTrail", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        all_tags = dict(args.tags or {})
        kms_key_arn, data_event_bucket_arns = args.kms_key_arn, args.data_event_bucket_arns
        self.log_group = encrypted_log_group(
            f"{name}-logs",
            log_group_name=f"/enclave/{name}/cloudtrail",
            kms_key_arn=kms_key_arn,
            retention_days=args.retention_days,
            parent=self,
            tags=all_tags,
        )
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.delivery_role = aws.iam.Role(
            f"{name}-delivery-role",
            description=f"CloudTrail delivery of trail {name} to CloudWatch Logs",
            assume_role_policy=identity.account_id.apply(delivery_trust_policy),
            tags=all_tags,
            opts=child,
        )
        # The group's ARN from its name (known in a first preview, unlike the provider's ARN output).
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        group_arn = pulumi.Output.concat(
            "arn:", partition, ":logs:", region, ":", identity.account_id, ":log-group:", self.log_group.name
        )
        self.delivery_policy = aws.iam.RolePolicy(
            f"{name}-delivery-policy",
            role=self.delivery_role.id,
            policy=group_arn.apply(delivery_policy),
            opts=child,
        )
        names = list(args.data_event_name_prefixes)
        prefixes: pulumi.Output[list[str]] | None = None
        if names:
            prefixes = pulumi.Output.all(partition, *data_event_bucket_arns).apply(
                lambda a: [*object_arn_prefixes(a[1:]), *(f"arn:{a[0]}:s3:::{p}" for p in names)]
            )
        elif data_event_bucket_arns:
            prefixes = pulumi.Output.all(*data_event_bucket_arns).apply(object_arn_prefixes)
        # CloudTrail checks the bucket policy and that the role can write to the log group when the
        # trail is created: both must exist first.
        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=trail_name(name),
            s3_bucket_name=args.bucket_name,
            s3_key_prefix=TRAIL_PREFIX,
            kms_key_id=kms_key_arn,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            # CloudTrail wants the log-stream wildcard; the provider's log group ARN has none.
            cloud_watch_logs_group_arn=self.log_group.arn.apply(lambda arn: f"{arn}:*"),
            cloud_watch_logs_role_arn=self.delivery_role.arn,
            advanced_event_selectors=event_selectors(prefixes),
            sns_topic_name=args.sns_topic_arn,
            tags=all_tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.bucket_policy_ready, self.delivery_policy]),
        )
        self.register_outputs(
            {"trail_arn": self.trail.arn, "log_group_arn": self.log_group.arn, "role_arn": self.delivery_role.arn}
        )
