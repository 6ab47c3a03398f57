"""EncryptedVolumes: the EBS CSI driver as an EKS add-on on its own IRSA role, whose KMS use is limited to the zones'
keys, and one StorageClass per zone that encrypts its volumes with that zone's key."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..args import arg, args_type, check, fail, schema_type
from ..config import PlatformConfig, Storage
from ..k8s.addons import system_pool_placement
from ..k8s.register import register
from ..k8s.storage import storage_class
from .iam_policy import document, trust_policy
from .kms import USAGE_ACTIONS

ADDON = "aws-ebs-csi-driver"
NAMESPACE, SERVICE_ACCOUNT = "kube-system", "ebs-csi-controller-sa"  # what the add-on creates
DRIVER_POLICY = "service-role/AmazonEBSCSIDriverPolicy"
GRANT_ACTIONS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]


def zone_keys_policy(aliases: Sequence[str], account_id: str, region: str, partition: str) -> str:
    """What the driver needs on customer keys (AWS's EBS CSI guide: grants for AWS resources, usage), on the
    zones' keys only (named by alias, so the document is known in a first preview) and only through EC2."""
    keys = f"arn:{partition}:kms:{region}:{account_id}:key/*"
    zone_keys = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": sorted(aliases)}}
    return document(
        {
            "Sid": "ZoneKeyVolumeGrants",
            "Effect": "Allow",
            "Action": GRANT_ACTIONS,
            "Resource": keys,
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}, **zone_keys},
        },
        {
            "Sid": "ZoneKeyVolumeUse",
            "Effect": "Allow",
            "Action": list(USAGE_ACTIONS),
            "Resource": keys,
            "Condition": {"StringEquals": {"kms:ViaService": f"ec2.{region}.amazonaws.com"}, **zone_keys},
        },
    )


def addon_configuration(system_pool: bool) -> str:
    """The controller on the system pool (when there is one); no default StorageClass from the add-on (its
    `ebs-csi-default-sc` would encrypt with the account's default key, if at all). The node DaemonSet tolerates
    every taint: it must run on the GPU pools to mount their volumes."""
    values: dict[str, Any] = {"defaultStorageClass": {"enabled": False}, "node": {"tolerateAllTaints": True}}
    placement = system_pool_placement(system_pool)
    if placement:
        values["controller"] = placement
    return json.dumps(values, sort_keys=True)


@args_type
class EncryptedVolumesArgs:
    """The EBS CSI driver add-on (IRSA role with KMS use on the zones' keys only) and a StorageClass per zone."""

    cluster_name: pulumi.Input[str] = arg("Name of the EKS cluster (`GpuCluster.name`).")
    oidc_provider_arn: pulumi.Input[str] = arg(
        "ARN of the cluster's IAM OIDC provider (`GpuCluster.oidc_provider_arn`)."
    )
    oidc_issuer_url: pulumi.Input[str] = arg("The cluster's OIDC issuer URL (`GpuCluster.oidc_issuer_url`).")
    region: str = arg("AWS region of the cluster and the keys, e.g. `us-east-1`.")
    zone_keys: Mapping[str, tuple[pulumi.Input[str], pulumi.Input[str]]] = arg(
        "Zone -> (ARN, alias `alias/...`) of its KMS key (`KmsKey.arn`, `KmsKey.alias_name`): the zone's class "
        "encrypts with the ARN; the driver's role may use exactly these keys, named by alias."
    )
    kubernetes_provider: k8s.Provider = arg("Kubernetes provider of the cluster (`GpuCluster.kubernetes_provider`).")
    settings: Storage = arg(
        "The storage block of the stack file, validated: reclaim policy, volume expansion, the add-on's version.",
        default_factory=Storage,
    )
    system_pool: bool = arg(
        "The cluster has the platform's system pool: the driver's controller runs there. Default false.", default=False
    )
    nodes_ready: Sequence[pulumi.Resource] = arg(
        "What must exist before the add-on (the system node group): EKS reports an add-on whose controller cannot "
        "schedule as degraded. Default none.",
        default=(),
    )
    tags: Mapping[str, str] | None = arg("Tags on the role and the add-on.", default=None)

    def __post_init__(self) -> None:
        check(self, "region", schema_type(PlatformConfig, "region"), "Pass an AWS region such as 'us-east-1'.")
        if not self.zone_keys:
            fail(self, "zone_keys", "a StorageClass per zone needs at least one zone. Pass {zone: (arn, alias)}.")
        if not isinstance(self.settings, Storage):
            fail(self, "settings", "pass a validated Storage (the stack file's `storage` block).",
                 what=type(self.settings).__name__)  # fmt: skip


class EncryptedVolumes(pulumi.ComponentResource):
    """The driver's role, its policies and the add-on; `classes`: zone -> its StorageClass."""

    role: aws.iam.Role
    addon: aws.eks.Addon
    classes: dict[str, pulumi.CustomResource]

    def __init__(self, name: str, args: EncryptedVolumesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("enclave:aws:EncryptedVolumes", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        account = aws.get_caller_identity_output(opts=invoke).account_id
        tags = dict(args.tags or {})
        region = args.region
        self.role = aws.iam.Role(
            f"{name}-ebs-csi-role",
            assume_role_policy=pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer_url).apply(
                lambda a: json.dumps(trust_policy(a[0], a[1], NAMESPACE, SERVICE_ACCOUNT), sort_keys=True)
            ),
            max_session_duration=3600,
            tags=tags,
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-ebs-csi-policy",
            role=self.role.name,
            policy_arn=pulumi.Output.concat("arn:", partition, f":iam::aws:policy/{DRIVER_POLICY}"),
            opts=child,
        )
        aliases = [alias for _, alias in args.zone_keys.values()]
        key_access = aws.iam.RolePolicy(
            f"{name}-ebs-csi-zone-keys",
            role=self.role.id,
            policy=pulumi.Output.all(account, partition, *aliases).apply(
                lambda a: zone_keys_policy(a[2:], a[0], region, a[1])
            ),
            opts=child,
        )
        self.addon = aws.eks.Addon(
            f"{name}-ebs-csi",
            cluster_name=args.cluster_name,
            addon_name=ADDON,
            addon_version=args.settings.ebs_csi_driver,
            service_account_role_arn=self.role.arn,
            configuration_values=addon_configuration(args.system_pool),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment, key_access, *args.nodes_ready]),
        )
        self.classes = {
            zone: register(
                storage_class(zone, arn, args.settings),
                provider=args.kubernetes_provider,
                parent=self,
                depends_on=[self.addon],
            )
            for zone, (arn, _) in args.zone_keys.items()
        }
        self.register_outputs({"role_arn": self.role.arn, "classes": list(self.classes)})
