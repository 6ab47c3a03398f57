"""KmsKey: a customer-managed KMS key with rotation, a 30-day deletion window, an alias and an
explicit key policy (account administration plus named usage principals; never kms:* for '*')."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ..args import arg, args_type, fail, is_plain

USAGE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


@dataclass(frozen=True)
class ServiceUse:
    """An AWS service principal allowed to use the key, limited by conditions (e.g. encryption context)."""

    service: str
    actions: Sequence[str] = tuple(USAGE_ACTIONS)
    conditions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Adds `aws:SourceAccount` = the key's account (confused-deputy protection). Off for services that do
    # not send it on their KMS calls; scope those through their encryption context instead.
    source_account: bool = True
    sid: str = ""

    def condition(self, account_id: str, partition: str) -> dict[str, dict[str, Any]]:
        """The statement's Condition; string values may name `{account_id}` and `{partition}`."""
        out: dict[str, dict[str, Any]] = {}
        if self.source_account:
            out["StringEquals"] = {"aws:SourceAccount": account_id}
        for op, cond in self.conditions.items():
            out.setdefault(op, {}).update(
                {k: v.format(account_id=account_id, partition=partition) if isinstance(v, str) else v
                 for k, v in cond.items()}
            )  # fmt: skip
        return out


AUTOSCALING_SLR = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def key_policy(
    account_id: str,
    partition: str,
    services: Sequence[ServiceUse] = (),
    usage_role_arns: Sequence[str] = (),
    ebs_autoscaling: bool = False,
) -> str:
    """The key policy document as JSON. The account root administers the key through IAM.

    `ebs_autoscaling` lets EC2 Auto Scaling (which launches managed node groups) encrypt node root
    volumes with the key: its service-linked role gets usage and grants for AWS resources only. KMS
    refuses a policy naming a role that does not exist yet, so the key is created after that role
    (`KmsKeyArgs.principals_ready`; the Platform creates the role: `autoscaling_service_linked_role`).
    """
    root = f"arn:{partition}:iam::{account_id}:root"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    for i, use in enumerate(services):
        stmt: dict[str, Any] = {
            "Sid": use.sid or f"ServiceUse{i}",
            "Effect": "Allow",
            "Principal": {"Service": use.service},
            "Action": list(use.actions),
            "Resource": "*",
        }
        condition = use.condition(account_id, partition)
        if condition:
            stmt["Condition"] = condition
        statements.append(stmt)
    if usage_role_arns:
        statements.append(
            {
                "Sid": "NamedPrincipalUse",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(usage_role_arns)},
                "Action": USAGE_ACTIONS,
                "Resource": "*",
            }
        )
    if ebs_autoscaling:
        slr = f"arn:{partition}:iam::{account_id}:{AUTOSCALING_SLR}"
        statements += [
            {
                "Sid": "AutoScalingVolumeUse",
                "Effect": "Allow",
                "Principal": {"AWS": slr},
                "Action": USAGE_ACTIONS,
                "Resource": "*",
            },
            {
                "Sid": "AutoScalingVolumeGrants",
                "Effect": "Allow",
                "Principal": {"AWS": slr},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


ALIAS = re.compile(r"^[a-zA-Z0-9/_-]{1,250}$")
DELETION_WINDOW_DAYS = (7, 30)


@args_type
class KmsKeyArgs:
    """A customer-managed symmetric KMS key (rotation on) with an alias and an explicit key policy."""

    alias: str = arg(
        "The alias without its `alias/` prefix, e.g. `enclave/prod/training`: IAM grants name the key by it."
    )
    description: str = arg("What the key encrypts, shown in the KMS console.")
    services: Sequence[ServiceUse] = arg(
        "AWS service principals allowed to use the key, each limited by its conditions (e.g. `audit_key_services` "
        "for the audit key). Default none: only the account (through IAM) and `usage_role_arns` may use it.",
        default=(),
    )
    usage_role_arns: Sequence[pulumi.Input[str]] = arg(
        "IAM role ARNs (e.g. another stack's role from a StackReference) allowed to encrypt and decrypt with the "
        "key. Default none: use is granted by IAM policies in the account.",
        default=(),
    )
    ebs_autoscaling: bool = arg(
        "Let EC2 Auto Scaling's service-linked role encrypt node root volumes with the key (node pools of the "
        "key's zone). Default off.",
        default=False,
    )
    principals_ready: Sequence[pulumi.Resource] = arg(
        "What must exist before the key: the roles its policy names, since KMS refuses a key policy naming a "
        "principal that does not exist yet (e.g. EC2 Auto Scaling's `aws.iam.ServiceLinkedRole` for "
        "`ebs_autoscaling`). Default none.",
        default=(),
    )
    deletion_window_in_days: int = arg(
        "Days a scheduled deletion can still be cancelled: 7 to 30, default 30 (the longest).", default=30
    )
    tags: Mapping[str, str] | None = arg("Tags on the key, beside the provider's default tags.", default=None)

    def __post_init__(self) -> None:
        if not ALIAS.match(self.alias) or self.alias.startswith(("alias/", "aws/")):
            fail(
                self,
                "alias",
                "an alias is 1-250 letters, digits, '/', '_' and '-', without the 'alias/' prefix and not under "
                "'aws/' (reserved for AWS managed keys). Pass e.g. 'enclave/prod/training'.",
            )
        low, high = DELETION_WINDOW_DAYS
        if not low <= self.deletion_window_in_days <= high:
            fail(self, "deletion_window_in_days", f"KMS accepts {low} to {high} days. Keep the default, {high}.")
        for arn in self.usage_role_arns:
            if is_plain(arn) and not (isinstance(arn, str) and arn.startswith("arn:")):
                fail(self, "usage_role_arns", f"{arn!r} is not an ARN. Pass IAM role ARNs (arn:aws:iam::...:role/...).")


class KmsKey(pulumi.ComponentResource):
    """Customer-managed symmetric key + alias `alias/<alias>`."""

    key: aws.kms.Key
    alias: aws.kms.Alias
    arn: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(self, name: str, args: KmsKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("enclave:aws:KmsKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)
        services, ebs_autoscaling = args.services, args.ebs_autoscaling
        policy = pulumi.Output.all(identity.account_id, partition.partition, *args.usage_role_arns).apply(
            lambda a: key_policy(a[0], a[1], services, a[2:], ebs_autoscaling)
        )
        self.key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_in_days,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            policy=policy,
            tags=dict(args.tags or {}),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.principals_ready) or None),
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias", name=f"alias/{args.alias}", target_key_id=self.key.key_id, opts=child
        )
        self.arn = self.key.arn
        # Known in a first preview, unlike the key's ARN: IAM grants name the key by it (kms:ResourceAliases).
        self.alias_name = self.alias.name
        self.register_outputs({"arn": self.key.arn, "alias": self.alias.name})
