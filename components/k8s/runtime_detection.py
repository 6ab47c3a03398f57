"""RuntimeDetection: Falco as a pinned Helm release in its own privileged namespace outside the zones, its rules
for GPU workloads, falcosidekick publishing to the alarm topic with an IRSA role (the admission policy of the
detection namespaces is ClusterAddons', which exempts them from the namespace-scope refusal)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..aws.iam_policy import alias_scoped_key, document, trust_policy
from ..config.detection import Falco
from .falco import (
    FALCO_REPO,
    RELEASE,
    SIDEKICK_SA,
    ZoneRuntime,
    detection_namespace,
    detection_network_policies,
    falco_values,
    rules_yaml,
)
from .helm import pinned_release
from .register import register


def sidekick_policy(topic_arn: str, key: tuple[str, dict[str, object]]) -> str:
    """Publish to the alarm topic, and use its key for that (the SNS encryption context names the topic)."""
    resource, alias_condition = key
    return document(
        {"Sid": "PublishAlerts", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
        {
            "Sid": "EncryptAlerts",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": resource,
            "Condition": {**alias_condition, "StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": topic_arn}},
        },
    )


@dataclass
class RuntimeDetectionArgs:
    settings: Falco
    zones: Sequence[ZoneRuntime]
    registry: str
    region: str
    provider: k8s.Provider
    topic_arn: pulumi.Input[str]
    topic_name: str  # the alarm topic's fixed name: the publish policy names it before the topic exists
    key_alias: str  # alias/..., of the topic's key
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    endpoint_cidrs: Sequence[str] = ()
    psa_version: str = "latest"
    ready: Sequence[pulumi.Resource] = field(default_factory=list)


class RuntimeDetection(pulumi.ComponentResource):
    namespace: pulumi.CustomResource
    objects: list[pulumi.CustomResource]
    role: aws.iam.Role
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: RuntimeDetectionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("enclave:k8s:RuntimeDetection", name, None, opts)
        ns, provider = args.settings.namespace, args.provider
        child = pulumi.ResourceOptions(parent=self)
        self.namespace = register(detection_namespace(ns, args.psa_version), provider=provider, parent=self)
        self.objects = [
            register(m, provider=provider, parent=self, depends_on=[self.namespace])
            for m in detection_network_policies(ns, args.endpoint_cidrs)
        ]
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        region = args.region
        self.role = aws.iam.Role(
            f"{name}-falcosidekick-role",
            description=f"IRSA for {ns}/{SIDEKICK_SA}: Falco alerts to the security-alarm topic",
            assume_role_policy=pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer_url).apply(
                lambda a: json.dumps(trust_policy(a[0], a[1], ns, SIDEKICK_SA), sort_keys=True)
            ),
            max_session_duration=3600,
            opts=child,
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-falcosidekick-publish",
            role=self.role.id,
            policy=pulumi.Output.all(account, partition).apply(
                lambda a: sidekick_policy(
                    f"arn:{a[1]}:sns:{region}:{a[0]}:{args.topic_name}",
                    alias_scoped_key(a[0], region, a[1], args.key_alias),
                )
            ),
            opts=child,
        )
        rules = rules_yaml(args.zones, args.settings.model_paths)
        values = falco_values(
            args.settings,
            registry=args.registry,
            topic_arn=args.topic_arn,
            region=region,
            role_arn=self.role.arn,
            rules=rules,
        )
        self.release = pinned_release(
            f"{name}-falco", release=RELEASE, chart="falco", repo=FALCO_REPO, version=args.settings.chart,
            namespace=ns, values=values, parent=self, provider=provider,
            depends_on=[self.namespace, *self.objects, self.policy, *args.ready],
        )  # fmt: skip
        self.register_outputs({"namespace": ns})
