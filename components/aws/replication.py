"""BucketBackups: live S3 replication of buckets to replicas in a second region, each under a customer key of that
region, written only by one replication role that reads only those sources and writes only those replicas."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from ..args import arg, args_type, fail
from ..config import Bucket
from ..config.backups import Backups
from ..config.base import Stage
from ..config.buckets import BucketPurpose
from .bucket import EncryptedBucket, EncryptedBucketArgs
from .data_perimeter import REPLICATION_ACTIONS, BucketPerimeterArgs
from .iam_policy import S3_CONTEXT_KEY, alias_scoped_key, document, service_trust
from .kms import KmsKey, KmsKeyArgs

S3_SERVICE = "s3.amazonaws.com"
SOURCE_BUCKET_ACTIONS = ("s3:GetReplicationConfiguration", "s3:ListBucket")
SOURCE_OBJECT_ACTIONS = (
    "s3:GetObjectVersionForReplication",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersionTagging",
    "s3:GetObjectRetention",
    "s3:GetObjectLegalHold",
)
REPLICA_OBJECT_ACTIONS = ("s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags")
assert set(SOURCE_BUCKET_ACTIONS + SOURCE_OBJECT_ACTIONS + REPLICA_OBJECT_ACTIONS) <= set(REPLICATION_ACTIONS)


def _status(on: bool) -> str:
    return "Enabled" if on else "Disabled"


def replication_policy(
    pairs: Sequence[tuple[str, str, str, str]],
    account_id: str,
    partition: str,
    source_region: str,
    replica_region: str,
) -> str:
    """The replication role's permissions for (source ARN, source key alias, replica ARN, replica key alias) pairs:
    read each source's configuration, listing and object versions; decrypt with each source's key only through S3
    in the source region and for that bucket's objects; write replicas into each replica and encrypt with its key
    only through S3 in the replica region and for that replica. Keys are named by alias (known before they exist)."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadSourceConfiguration",
            "Effect": "Allow",
            "Action": list(SOURCE_BUCKET_ACTIONS),
            "Resource": sorted(p[0] for p in pairs),
        },
        {
            "Sid": "ReadSourceVersions",
            "Effect": "Allow",
            "Action": list(SOURCE_OBJECT_ACTIONS),
            "Resource": sorted(f"{p[0]}/*" for p in pairs),
        },
        {
            "Sid": "WriteReplicas",
            "Effect": "Allow",
            "Action": list(REPLICA_OBJECT_ACTIONS),
            "Resource": sorted(f"{p[2]}/*" for p in pairs),
        },
    ]
    for i, (source, source_alias, replica, replica_alias) in enumerate(pairs):
        for sid, region, alias, bucket, actions in (
            (f"DecryptSource{i}", source_region, source_alias, source, ["kms:Decrypt"]),
            (f"EncryptReplica{i}", replica_region, replica_alias, replica, ["kms:Encrypt", "kms:GenerateDataKey"]),
        ):
            resource, condition = alias_scoped_key(account_id, region, partition, alias)
            statements.append(
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Action": actions,
                    "Resource": resource,
                    "Condition": {
                        **condition,
                        "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                        # With an S3 Bucket Key the context is the bucket's ARN, without one the object's.
                        "StringLike": {S3_CONTEXT_KEY: [bucket, f"{bucket}/*"]},
                    },
                }
            )
    return document(*statements)


@args_type
class ReplicatedBucket:
    """One bucket to replicate: the source (in the stack's region) and what its replica copies of it."""

    name: str = arg("The bucket's logical name in the stack file (its replica and key are named after it).")
    bucket: EncryptedBucket = arg("The source bucket (`Platform.buckets[name]`); its versioning precedes replication.")
    key_alias: pulumi.Input[str] = arg("The source key's alias (`KmsKey.alias_name`): the role decrypts with it.")
    purpose: BucketPurpose = arg("The source's purpose, tagged on the replica (datasets or models).")
    stage: Stage = arg("The source's stage, tagged on the replica.")
    zone: str = arg("The source's zone, tagged on the replica and its key.")
    noncurrent_version_days: int = arg("How long the replica keeps noncurrent versions (the source's setting).")


@args_type
class BucketBackupsArgs:
    """Which buckets to replicate, where, and who administers the replicas."""

    sources: Sequence[ReplicatedBucket] = arg("The buckets to replicate (at least one).")
    replica_provider: aws.Provider = arg(
        "The AWS provider of the replicas' region (`region` set to `Backups.region`); the replicas, their keys and "
        "their access-log bucket are made with it."
    )
    source_region: str = arg("The sources' region (the stack's).")
    settings: Backups = arg("The stack file's `backups` block: region, delete markers, replica modifications.")
    role_name: str = arg(
        "The replication role's name, known before it exists: the sources' and replicas' perimeters name its ARN."
    )
    admin_role_arns: Sequence[str] = arg(
        "The data perimeter's admin roles (deployment, break-glass): they may read the replicas (to restore), never "
        "write them. Default none.",
        default=(),
    )
    audit_retention_days: int = arg("How long the replicas' access logs are kept (the audit retention).")
    tags: dict[str, str] | None = arg("Tags on the role, keys and buckets.", default=None)

    def __post_init__(self) -> None:
        if not self.sources:
            fail(self, "sources", "name at least one bucket to replicate.")
        if self.settings.region is None or self.settings.region == self.source_region:
            fail(self, "settings", "backups.region must name a region other than the sources' one.",
                 what=self.settings.region)  # fmt: skip


class BucketBackups(pulumi.ComponentResource):
    """The replication role, and per source: a key and a replica bucket in the second region, and the source's
    replication configuration."""

    role: aws.iam.Role
    role_policy: aws.iam.RolePolicy
    access_log_bucket: EncryptedBucket
    keys: dict[str, KmsKey]
    replicas: dict[str, EncryptedBucket]
    configurations: dict[str, aws.s3.BucketReplicationConfig]

    def __init__(self, name: str, args: BucketBackupsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("enclave:aws:BucketBackups", name, None, opts)
        settings = args.settings
        replica_region = settings.region
        assert replica_region is not None  # BucketBackupsArgs requires it
        tags = dict(args.tags or {})
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        role_arn = pulumi.Output.all(partition, account).apply(
            lambda a: f"arn:{a[0]}:iam::{a[1]}:role/{args.role_name}"
        )
        there = pulumi.ResourceOptions(parent=self, providers=[args.replica_provider])
        self.access_log_bucket = EncryptedBucket(
            f"{name}-replica-access-logs",
            EncryptedBucketArgs(
                purpose="audit-logs",
                access_log_sink=True,
                expire_days=args.audit_retention_days,
                tags={**tags, "enclave:replica-of": "access-logs"},
            ),
            opts=there,
        )
        self.keys, self.replicas = {}, {}
        for src in args.sources:
            self.keys[src.name] = KmsKey(
                f"{name}-replica-{src.name}",
                KmsKeyArgs(
                    alias=f"enclave/{name}/replica/{src.name}",
                    description=f"GPU Enclave {name}: replica in {replica_region} of {src.purpose} bucket {src.name}",
                    tags={**tags, "enclave:zone": src.zone, "enclave:purpose": src.purpose},
                ),
                opts=there,
            )
            self.replicas[src.name] = EncryptedBucket(
                f"{name}-replica-{src.name}",
                EncryptedBucketArgs(
                    purpose=src.purpose,
                    stage=src.stage,
                    kms_key_arn=self.keys[src.name].arn,
                    noncurrent_version_days=src.noncurrent_version_days,
                    log_bucket=self.access_log_bucket.name,
                    log_bucket_ready=[self.access_log_bucket.policy],
                    perimeter=BucketPerimeterArgs(
                        endpoint_ids=(),
                        principal_arns=(),
                        admin_role_arns=args.admin_role_arns,
                        replication_role_arns=[role_arn],
                        replica=True,
                    ),
                    tags={**tags, "enclave:zone": src.zone, "enclave:replica-of": src.name},
                ),
                opts=there,
            )
        pairs = [
            (src.bucket.arn, src.key_alias, self.replicas[src.name].arn, self.keys[src.name].alias_name)
            for src in args.sources
        ]
        self.role = aws.iam.Role(
            f"{name}-replication-role",
            name=args.role_name,
            description=f"S3 replication of GPU Enclave {name}'s datasets and production models to {replica_region}",
            assume_role_policy=pulumi.Output.all(account, *[src.bucket.arn for src in args.sources]).apply(
                lambda a: service_trust(S3_SERVICE, sid="S3Replication", source_account=a[0], source_arn_like=a[1:])
            ),
            max_session_duration=3600,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        source_region = args.source_region
        flat = [x for pair in pairs for x in pair]

        def policy(a: list[str]) -> str:
            resolved = [(a[i], a[i + 1], a[i + 2], a[i + 3]) for i in range(2, len(a), 4)]
            return replication_policy(resolved, a[0], a[1], source_region, replica_region)

        self.role_policy = aws.iam.RolePolicy(
            f"{name}-replication-policy",
            role=self.role.id,
            policy=pulumi.Output.all(account, partition, *flat).apply(policy),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.configurations = {}
        for src in args.sources:
            replica = self.replicas[src.name]
            self.configurations[src.name] = aws.s3.BucketReplicationConfig(
                f"{name}-{src.name}-replication",
                bucket=src.bucket.name,
                role=role_arn,  # the name's ARN, known in a first preview (the pack reads who writes the replica)
                rules=[
                    {
                        "id": f"backup-to-{replica_region}",
                        "status": "Enabled",
                        "filter": {"prefix": ""},
                        "delete_marker_replication": {"status": _status(settings.delete_marker_replication)},
                        "source_selection_criteria": {
                            "sse_kms_encrypted_objects": {"status": "Enabled"},
                            "replica_modifications": {"status": _status(settings.replica_modifications)},
                        },
                        "destination": {
                            "bucket": replica.arn,
                            "encryption_configuration": {"replica_kms_key_id": self.keys[src.name].arn},
                        },
                    }
                ],
                # S3 refuses a replication configuration before both buckets are versioned, and replication
                # fails until the role may act and the replica's policy admits it.
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[src.bucket.versioning, replica.versioning, replica.policy, self.role_policy],
                ),
            )
        self.register_outputs(
            {
                "role_arn": self.role.arn,
                "replicas": {n: b.name for n, b in self.replicas.items()},
                "replica_key_arns": {n: k.arn for n, k in self.keys.items()},
            }
        )


def replicated_bucket(bucket: Bucket, source: EncryptedBucket, key_alias: pulumi.Input[str]) -> ReplicatedBucket:
    """A ReplicatedBucket from a stack file's bucket and the platform's EncryptedBucket of it."""
    return ReplicatedBucket(
        name=bucket.name,
        bucket=source,
        key_alias=key_alias,
        purpose=bucket.purpose,
        stage=bucket.stage,
        zone=bucket.zone,
        noncurrent_version_days=bucket.noncurrent_version_days,
    )
