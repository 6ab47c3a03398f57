"""AlarmTopic: one KMS-encrypted SNS topic per stack for security alarms, only this account's alarm services
publishing; SecurityAlarms: the metric filters and alarms that watch the signals the source documents name."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ..config.detection import Alarm, Alarms, Subscription
from .kms import KmsKey, KmsKeyArgs, ServiceUse
from .signals import (
    ALL_EVENTS,
    DENIED_FLOW_PATTERN,
    SECURITY_CHANGES,
    assumed_role_globs,
    egress_refused_pattern,
    mesh_drop_pattern,
    security_change_pattern,
    transfer_out_pattern,
    undeclared_access_pattern,
)

PUBLISHERS = ("cloudwatch.amazonaws.com", "events.amazonaws.com", "cloudtrail.amazonaws.com", "guardduty.amazonaws.com")
SNS_CONTEXT = "kms:EncryptionContext:aws:sns:topicArn"


def topic_name(environment: str) -> str:
    """Fixed, so key and topic policies can name the topic before it exists."""
    return f"enclave-{environment}-security-alarms"


def topic_key_alias(environment: str) -> str:
    """The topic key's alias (KmsKeyArgs.alias, without 'alias/'): publishers' policies name the key by it."""
    return f"enclave/{environment}/alarms"


def topic_key_services(region: str, name: str) -> list[ServiceUse]:
    """The alarm services may use the topic's key only to publish to this account's topic `name` (SNS sends the
    topic ARN as encryption context: the account is pinned there, the services do not all send
    aws:SourceAccount on SNS's KMS calls)."""
    context = {"StringEquals": {SNS_CONTEXT: f"arn:{{partition}}:sns:{region}:{{account_id}}:{name}"}}
    return [
        ServiceUse(
            service=service,
            sid=f"{service.split('.')[0].capitalize()}PublishEncrypted",
            actions=("kms:GenerateDataKey*", "kms:Decrypt"),
            conditions=context,
            source_account=False,
        )
        for service in PUBLISHERS
    ]


def topic_policy(
    topic_arn: str, account_id: str, region: str, partition: str, trail_arn: str, rule_arns: Sequence[str]
) -> str:
    """Who may publish: CloudWatch alarms of this account and region, the trail, the EventBridge rules named, and
    GuardDuty acting for this account; every statement pinned with aws:SourceAccount and, where the source has
    one, aws:SourceArn. Plain-HTTP requests are refused. The account's own principals act through IAM."""

    def allow(sid: str, service: str, source_arn: str | list[str] | None, like: bool = False) -> dict[str, Any]:
        cond: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
        if source_arn is not None:
            cond["ArnLike" if like else "ArnEquals"] = {"aws:SourceArn": source_arn}
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": cond,
        }

    statements = [
        allow(
            "CloudWatchAlarms",
            "cloudwatch.amazonaws.com",
            f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:*",
            like=True,
        ),
        allow("CloudTrailNotifications", "cloudtrail.amazonaws.com", trail_arn),
        allow("GuardDutyFindings", "guardduty.amazonaws.com", None),
        {
            "Sid": "DenyPlainHttp",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]
    if rule_arns:
        statements.insert(2, allow("EventBridgeRules", "events.amazonaws.com", sorted(rule_arns)))
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


@dataclass
class AlarmTopicArgs:
    """The topic of one stack: its key, its policy, its subscribers."""

    environment: str
    region: str
    trail_arn: pulumi.Input[str]
    subscriptions: Sequence[Subscription] = ()
    event_rule_names: Sequence[str] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


class AlarmTopic(pulumi.ComponentResource):
    """`topic.arn` is what alarms, the trail and EventBridge rules send to; `forward_arns` are existing topics the
    config names (SNS has no topic-to-topic subscription: they are extra alarm actions and rule targets)."""

    key: KmsKey
    topic: aws.sns.Topic
    policy: aws.sns.TopicPolicy
    subscriptions: list[aws.sns.TopicSubscription]

    def __init__(self, name: str, args: AlarmTopicArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("enclave:aws:AlarmTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tname = topic_name(args.environment)
        self.key = KmsKey(
            f"{name}-alarms",
            KmsKeyArgs(
                alias=topic_key_alias(args.environment),
                description=f"GPU Enclave {args.environment}: the security-alarm topic",
                services=topic_key_services(args.region, tname),
                tags={"enclave:purpose": "security-alarms"},
            ),
            opts=child,
        )
        self.topic = aws.sns.Topic(
            f"{name}-topic",
            name=tname,
            display_name=f"GPU Enclave {args.environment} security alarms",
            kms_master_key_id=self.key.arn,
            tags=dict(args.tags),
            opts=child,
        )
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        region = args.region
        rules = list(args.event_rule_names)
        self.policy = aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=self.topic.arn,
            policy=pulumi.Output.all(account, partition, args.trail_arn).apply(
                lambda a: topic_policy(
                    f"arn:{a[1]}:sns:{region}:{a[0]}:{tname}",
                    a[0],
                    region,
                    a[1],
                    a[2],
                    [f"arn:{a[1]}:events:{region}:{a[0]}:rule/{r}" for r in rules],
                )
            ),
            opts=child,
        )
        self.forward_arns = [s.endpoint for s in args.subscriptions if s.protocol == "sns"]
        self.subscriptions = [
            aws.sns.TopicSubscription(
                f"{name}-{s.protocol}-{i}", topic=self.topic.arn, protocol=s.protocol, endpoint=s.endpoint, opts=child
            )
            for i, s in enumerate(args.subscriptions)
            if s.protocol != "sns"
        ]
        self.register_outputs({"topic_arn": self.topic.arn})

    @property
    def actions(self) -> list[pulumi.Input[str]]:
        """Alarm actions: the topic and the existing topics the config forwards to."""
        return [self.topic.arn, *self.forward_arns]


@dataclass
class ArtifactWatch:
    """An artifact bucket and the roles declared to read or write it (its identities' roles)."""

    bucket: str
    bucket_name: pulumi.Input[str]
    role_arns: Sequence[pulumi.Input[str]]


@dataclass
class SecurityAlarmsArgs:
    """Where each signal is logged and what the stack declares; a signal whose log group is None is not watched."""

    environment: str
    thresholds: Alarms
    actions: Sequence[pulumi.Input[str]]
    trail_log_group: pulumi.Input[str] | None = None
    flow_log_group: pulumi.Input[str] | None = None
    cni_log_group: pulumi.Input[str] | None = None
    mesh_log_group: pulumi.Input[str] | None = None
    zone_namespaces: Mapping[str, Sequence[str]] = field(default_factory=dict)
    vpc_cidrs: Sequence[str] = ()
    routed_cidrs: Sequence[str] = ()
    subnet_ids: Sequence[pulumi.Input[str]] = ()
    artifacts: Sequence[ArtifactWatch] = ()
    deployer_arns: Sequence[str] = ()
    depends_on: Sequence[pulumi.Resource] = ()


class SecurityAlarms(pulumi.ComponentResource):
    """A metric filter and an alarm per signal, each named `<environment>-<signal>`."""

    filters: dict[str, aws.cloudwatch.LogMetricFilter]
    alarms: dict[str, aws.cloudwatch.MetricAlarm]

    def __init__(self, name: str, args: SecurityAlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("enclave:aws:SecurityAlarms", name, None, opts)
        self._env, self._args = args.environment, args
        self.namespace = f"GpuEnclave/{args.environment}/Security"
        self.filters, self.alarms = {}, {}
        t = args.thresholds
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        if args.cni_log_group is not None:
            self._watch(
                "denied-network-policy-flows",
                args.cni_log_group,
                DENIED_FLOW_PATTERN,
                t.denied_network_policy_flows,
                "flows the VPC CNI's network-policy agent denied",
            )
        if args.flow_log_group is not None:
            inside = list(args.vpc_cidrs)
            self._watch(
                "egress-refused",
                args.flow_log_group,
                egress_refused_pattern(inside),
                t.egress_refused,
                "connections to addresses outside the VPC that a security group or network ACL refused",
            )
            self._transfers(
                args.flow_log_group, transfer_out_pattern([*inside, *args.routed_cidrs]), t.large_transfer_out
            )
            self._watch(
                "flow-log-delivery-stopped",
                args.flow_log_group,
                ALL_EVENTS,
                t.log_delivery_stopped,
                "the VPC flow log delivered fewer records than the threshold",
                stopped=True,
            )
        if args.mesh_log_group is not None:
            for zone, namespaces in sorted(args.zone_namespaces.items()):
                self._watch(
                    f"egress-refused-mesh-{zone}",
                    args.mesh_log_group,
                    mesh_drop_pattern(list(namespaces)),
                    t.egress_refused,
                    f"zone {zone}'s sidecars dropped connections REGISTRY_ONLY refuses",
                )
        if args.trail_log_group is not None:
            group = args.trail_log_group
            self._watch(
                "trail-delivery-stopped",
                group,
                ALL_EVENTS,
                t.log_delivery_stopped,
                "CloudTrail delivered fewer events than the threshold",
                stopped=True,
            )
            for signal, source, events in SECURITY_CHANGES:
                pattern = pulumi.Output.all(account, partition).apply(self._change_pattern(source, events))
                self._watch(
                    signal,
                    group,
                    pattern,
                    t.security_configuration_changed,
                    f"{source} changes by someone other than the deployment roles",
                )
            for watch in args.artifacts:
                pattern = pulumi.Output.all(account, partition, watch.bucket_name, *watch.role_arns).apply(
                    lambda a: undeclared_access_pattern(a[2], assumed_role_globs(a[0], a[3:], a[1]))
                )
                self._watch(
                    f"undeclared-access-{watch.bucket}",
                    group,
                    pattern,
                    t.undeclared_artifact_access,
                    f"bucket {watch.bucket} read or written by a principal none of its identities",
                )
        self.register_outputs({"alarms": list(self.alarms)})

    def _change_pattern(self, source: str, events: Sequence[str]) -> Callable[[list[str]], str]:
        deployers = list(self._args.deployer_arns)
        return lambda a: security_change_pattern(source, events, a[0], deployers, a[1])

    def _opts(self, *deps: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=[*self._args.depends_on, *deps])

    def _filter(
        self,
        signal: str,
        group: pulumi.Input[str],
        pattern: pulumi.Input[str],
        value: str = "1",
        dimensions: Mapping[str, str] | None = None,
    ) -> aws.cloudwatch.LogMetricFilter:
        # periods without events are 0, not missing (dimensions and a default value exclude each other)
        transformation = aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
            name=signal,
            namespace=self.namespace,
            value=value,
            dimensions=dict(dimensions) if dimensions else None,
            default_value=None if dimensions else "0",
        )
        self.filters[signal] = aws.cloudwatch.LogMetricFilter(
            f"{self._env}-{signal}-filter",
            name=f"{self._env}-{signal}",
            log_group_name=group,
            pattern=pattern,
            metric_transformation=transformation,
            opts=self._opts(),
        )
        return self.filters[signal]

    def _alarm(
        self,
        key: str,
        signal: str,
        alarm: Alarm,
        what: str,
        metric: aws.cloudwatch.LogMetricFilter,
        stopped: bool = False,
        dimensions: Mapping[str, pulumi.Input[str]] | None = None,
    ) -> None:
        self.alarms[key] = aws.cloudwatch.MetricAlarm(
            f"{self._env}-{key}-alarm",
            name=f"{self._env}-{key}",
            alarm_description=f"GPU Enclave {self._env}: {what}",
            namespace=self.namespace,
            metric_name=signal,
            dimensions=dict(dimensions) if dimensions else None,
            statistic="Sum",
            period=alarm.period_seconds,
            evaluation_periods=alarm.evaluation_periods,
            threshold=alarm.threshold,
            comparison_operator="LessThanThreshold" if stopped else "GreaterThanOrEqualToThreshold",
            # Delivery that stopped sends nothing: no data is the alarm itself. Elsewhere no data is quiet.
            treat_missing_data="breaching" if stopped else "notBreaching",
            alarm_actions=list(self._args.actions),
            ok_actions=list(self._args.actions) if stopped else None,
            opts=self._opts(metric),
        )

    def _watch(
        self,
        signal: str,
        group: pulumi.Input[str],
        pattern: pulumi.Input[str],
        alarm: Alarm,
        what: str,
        stopped: bool = False,
    ) -> None:
        self._alarm(signal, signal, alarm, what, self._filter(signal, group, pattern), stopped)

    def _transfers(self, group: pulumi.Input[str], pattern: str, alarm: Alarm) -> None:
        """Bytes out per source subnet: one filter with the subnet as dimension, an alarm per subnet."""
        signal = "large-transfer-out"
        metric = self._filter(signal, group, pattern, value="$bytes", dimensions={"SubnetId": "$subnet_id"})
        for i, subnet in enumerate(self._args.subnet_ids):
            self._alarm(
                f"{signal}-{i}",
                signal,
                alarm,
                f"bytes out of private subnet {i} beyond the threshold",
                metric,
                dimensions={"SubnetId": subnet},
            )
