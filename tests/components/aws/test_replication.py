"""Backups (BucketBackups through the Platform): what the replication role and the buckets' policies decide, evaluated
with the pack's evaluator on the prod stack as synthesized (update mode, fake ARNs), not read; the replicas' region,
keys and protections; the stack-config switch."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.aws.replication import BucketBackups, BucketBackupsArgs, ReplicatedBucket
from components.config import ConfigError, validate_platform
from framework.evaluator import Request, evaluate
from tests.conftest import stack_data

TLS = {"aws:SecureTransport": "true"}
WEST, EAST = "us-west-2", "us-east-1"


class Prod:
    """The synthesized prod stack's backups: names, ARNs and the documents they are judged by."""

    def __init__(self, result: Any) -> None:
        self.by_name = {r["name"]: r for r in result.resources}
        outputs = result.outputs
        self.sources = {n: outputs["bucket_names"][n] for n in ("datasets", "models-prod")}
        self.replicas = dict(outputs["replica_bucket_names"])
        role = self.by_name["prod-replication-role"]["inputs"]
        self.role = f"arn:aws:iam::111122223333:role/{role['name']}"
        self.trust = json.loads(role["assumeRolePolicy"])
        self.policy = json.loads(self.by_name["prod-replication-policy"]["inputs"]["policy"])
        self.deployer = "arn:aws:iam::111122223333:role/platform-admin"
        self.trainer = outputs["workload_role_arns"]["trainer"]

    def bucket_policy(self, bucket: str) -> dict[str, Any]:
        policy = next(r for r in self.by_name.values() if r["type"] == "aws:s3/bucketPolicy:BucketPolicy"
                      and r["inputs"]["bucket"] == bucket)  # fmt: skip
        return dict(json.loads(policy["inputs"]["policy"]))

    def key_alias(self, bucket: str, replica: bool) -> str:
        """The key of a replica (its own), or of a source: the datasets' zone key, the production models' own."""
        if replica:
            return f"alias/enclave/prod/replica/{bucket}"
        return {"datasets": "alias/enclave/prod/training"}.get(bucket, f"alias/enclave/prod/{bucket}")


@pytest.fixture(scope="module")
def prod(synthed: Any) -> Prod:
    return Prod(synthed("prod"))


def s3(action: str, bucket: str, who: str, key: str | None = "imaging/v3/scan.dcm", **context: str) -> Request:
    resource = f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")
    return Request(action, resource, principal_arn=who, context={**TLS, **context})


def kms(action: str, region: str, alias: str, bucket: str, via: str | None = None) -> Request:
    return Request(
        action,
        f"arn:aws:kms:{region}:111122223333:key/k",
        principal_arn="arn:aws:iam::111122223333:role/prod-s3-replication",
        context={
            "kms:ResourceAliases": [alias],
            "kms:ViaService": via or f"s3.{region}.amazonaws.com",
            "kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{bucket}",
        },
    )


# S3 calls as the replication role from its own network: no VPC endpoint, not a forward access session.
FROM_S3 = {"aws:ViaAWSService": "false"}


@pytest.mark.parametrize("name", ["datasets", "models-prod"])
def test_the_role_reads_the_source_and_writes_the_replica(prod: Prod, name: str) -> None:
    source, replica = prod.sources[name], prod.replicas[name]
    allowed = [
        s3("s3:GetReplicationConfiguration", source, prod.role, key=None),
        s3("s3:ListBucket", source, prod.role, key=None),
        s3("s3:GetObjectVersionForReplication", source, prod.role),
        s3("s3:GetObjectVersionTagging", source, prod.role),
        s3("s3:ReplicateObject", replica, prod.role),
        s3("s3:ReplicateDelete", replica, prod.role),
        s3("s3:ReplicateTags", replica, prod.role),
    ]
    for req in allowed:
        assert evaluate(prod.policy, req) == "Allow", req
        bucket = req.resource.split(":::")[1].split("/")[0]
        decision = evaluate(prod.bucket_policy(bucket), Request(req.action, req.resource, principal_arn=prod.role,
                                                                context={**req.context, **FROM_S3}))  # fmt: skip
        assert decision != "Deny", f"{bucket}'s policy refuses the replication role's {req.action}"
    assert evaluate(prod.policy, kms("kms:Decrypt", EAST, prod.key_alias(name, False), source)) == "Allow"
    for action in ("kms:Encrypt", "kms:GenerateDataKey"):
        assert evaluate(prod.policy, kms(action, WEST, prod.key_alias(name, True), replica)) == "Allow", action


@pytest.mark.parametrize("name", ["datasets", "models-prod"])
def test_the_role_can_do_nothing_else(prod: Prod, name: str) -> None:
    source, replica = prod.sources[name], prod.replicas[name]
    other = prod.sources["datasets" if name != "datasets" else "models-prod"]
    checkpoints = prod.by_name["prod-checkpoints-bucket"]["inputs"]["bucket"]
    refused = {
        "read an object of the source": s3("s3:GetObject", source, prod.role),
        "write the source": s3("s3:PutObject", source, prod.role),
        "replicate into the source": s3("s3:ReplicateObject", source, prod.role),
        "replicate into another bucket": s3("s3:ReplicateObject", checkpoints, prod.role),
        "read the replica": s3("s3:GetObject", replica, prod.role),
        "delete a replica version": s3("s3:DeleteObjectVersion", replica, prod.role),
        "read versions of an unreplicated bucket": s3("s3:GetObjectVersionForReplication", checkpoints, prod.role),
        "decrypt with the replica key": kms("kms:Decrypt", WEST, prod.key_alias(name, True), replica),
        "encrypt with the source key": kms("kms:Encrypt", EAST, prod.key_alias(name, False), source),
        "decrypt the source key outside S3": kms("kms:Decrypt", EAST, prod.key_alias(name, False), source,
                                                 via="ec2.us-east-1.amazonaws.com"),
        "decrypt for another bucket's objects": kms("kms:Decrypt", EAST, prod.key_alias(name, False), checkpoints),
        "decrypt the other source's key for this source": kms("kms:Decrypt", EAST, prod.key_alias(
            "datasets" if name != "datasets" else "models-prod", False), source),
        "encrypt into the other replica with this replica's key": kms(
            "kms:Encrypt", WEST, prod.key_alias(name, True), prod.replicas["datasets" if name != "datasets"
                                                                            else "models-prod"]),
    }  # fmt: skip
    for what, req in refused.items():
        assert evaluate(prod.policy, req) == "ImplicitDeny", what
    # even were IAM to allow them: the source's own policy holds the role to replication
    for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
        assert evaluate(prod.bucket_policy(source), s3(action, source, prod.role, **FROM_S3)) == "Deny", action
    assert other != source


def test_only_s3_assumes_the_role_for_these_sources(prod: Prod) -> None:
    (statement,) = prod.trust["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"} and statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == sorted(
        f"arn:aws:s3:::{b}" for b in prod.sources.values()
    )


@pytest.mark.parametrize("name", ["datasets", "models-prod"])
def test_nothing_but_the_role_writes_the_replica(prod: Prod, name: str) -> None:
    replica = prod.bucket_policy(prod.replicas[name])
    bucket = prod.replicas[name]
    stranger = "arn:aws:iam::111122223333:role/someone"
    for who in (prod.deployer, "arn:aws:iam::111122223333:role/break-glass", prod.trainer, stranger):
        for action in ("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:ReplicateObject",
                       "s3:PutObjectRetention", "s3:RestoreObject"):  # fmt: skip
            assert evaluate(replica, s3(action, bucket, who)) == "Deny", (who, action)
    # the admin roles may still read it (a restore), from anywhere; nobody else may
    assert evaluate(replica, s3("s3:GetObject", bucket, prod.deployer)) != "Deny"
    for who in (prod.trainer, stranger):
        assert evaluate(replica, s3("s3:GetObject", bucket, who)) == "Deny", who
    # and it stays TLS-only
    plain = Request("s3:ReplicateObject", f"arn:aws:s3:::{bucket}/x", principal_arn=prod.role,
                    context={"aws:SecureTransport": "false"})  # fmt: skip
    assert evaluate(replica, plain) == "Deny"


def test_replicas_are_in_the_backups_region_under_their_own_keys(synthed: Any) -> None:
    result = synthed("prod")
    records = result.by_urn()
    west = next(r for r in result.by_type("pulumi:providers:aws") if r["inputs"].get("region") == WEST)
    ref = lambda r: str(r.get("provider") or "").rsplit("::", 1)[0]  # noqa: E731
    for name in ("datasets", "models-prod"):
        for rtype, logical in (
            ("aws:s3/bucket:Bucket", f"prod-replica-{name}-bucket"),
            ("aws:kms/key:Key", f"prod-replica-{name}-key"),
            ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"prod-replica-{name}-public-access-block"),
            ("aws:s3/bucketVersioning:BucketVersioning", f"prod-replica-{name}-versioning"),
            ("aws:s3/bucketLogging:BucketLogging", f"prod-replica-{name}-logging"),
        ):
            (record,) = [r for r in result.by_type(rtype) if r["name"] == logical]
            assert ref(record) == west["urn"], f"{logical} is not made by the {WEST} provider"
        (config,) = [r for r in result.by_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
                     if r["name"] == f"prod-{name}-replication"]  # fmt: skip
        assert records[ref(config)]["inputs"]["region"] == EAST, "the source's configuration is in its region"
        (rule,) = config["inputs"]["rules"]
        key = rule["destination"]["encryptionConfiguration"]["replicaKmsKeyId"]
        assert key.split(":")[3] == WEST and rule["sourceSelectionCriteria"]["sseKmsEncryptedObjects"]["status"] == \
            "Enabled"  # fmt: skip
        assert rule["deleteMarkerReplication"] == {"status": "Disabled"}, "deletes stay out of the backup by default"
        versioning = {r["urn"] for r in result.by_type("aws:s3/bucketVersioning:BucketVersioning")
                      if r["name"] in (f"prod-{name}-versioning", f"prod-replica-{name}-versioning")}  # fmt: skip
        assert versioning <= set(config["dependencies"]), "replication waits for both buckets' versioning"
    logs = result.by_type("aws:s3/bucketLogging:BucketLogging")
    (log,) = [r for r in logs if r["name"] == "prod-replica-datasets-logging"]
    target = log["inputs"]["targetBucket"]
    assert target.startswith("prod-replica-access-logs-bucket-"), "S3 logs only into a bucket of the same region"


def test_staging_and_dev_make_no_replica(synthed: Any) -> None:
    for stack in ("staging", "dev"):
        result = synthed(stack)
        assert not result.by_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig"), stack
        assert [r["inputs"].get("region") for r in result.by_type("pulumi:providers:aws")].count(None) == 0


@pytest.mark.parametrize(
    ("backups", "path", "words"),
    [
        ({"enabled": True}, "backups.region", "name no region"),
        ({"enabled": True, "region": "us-east-1"}, "backups.region", "the stack's own region"),
        ({"enabled": True, "region": "us-gov-west-1"}, "backups.region", "another AWS partition"),
        ({"enabled": True, "region": "us-westt-2"}, "backups.region", "not an AWS region"),
    ],
)
def test_backups_config_is_refused_with_its_path(backups: dict[str, Any], path: str, words: str) -> None:
    data = stack_data("prod")
    data["backups"] = backups
    with pytest.raises(ConfigError) as err:
        validate_platform(data)
    assert path in str(err.value) and words in str(err.value), str(err.value)


def test_no_bucket_to_replicate_is_refused() -> None:
    data = stack_data("staging")  # us-west-2, buckets of stage staging only
    data["backups"] = {"enabled": True, "region": "us-east-2"}
    with pytest.raises(ConfigError, match=r"backups\.enabled = True\n +no bucket to replicate"):
        validate_platform(data)


def test_the_component_refuses_its_own_region_and_no_source() -> None:
    from components.config.backups import Backups

    def args(sources: list[ReplicatedBucket], region: str) -> BucketBackupsArgs:
        return BucketBackupsArgs(
            sources=sources,
            replica_provider=None,  # type: ignore[arg-type]  # refused before it is used
            source_region=EAST,
            settings=Backups(enabled=True, region=region),
            role_name="prod-s3-replication",
            audit_retention_days=2192,
        )

    source = ReplicatedBucket(
        name="datasets",
        bucket=None,  # type: ignore[arg-type]
        key_alias="alias/enclave/prod/training",
        purpose="datasets",
        stage="production",
        zone="training",
        noncurrent_version_days=30,
    )
    with pytest.raises(ValueError, match=r"BucketBackupsArgs\.settings='us-east-1'"):
        args([source], EAST)
    with pytest.raises(ValueError, match=r"BucketBackupsArgs\.sources=\[\]"):
        args([], WEST)
    assert isinstance(args([source], WEST), BucketBackupsArgs) and BucketBackups.__name__ == "BucketBackups"
