"""EncryptedBucket: each separate v7 resource and its inputs, the policy, lifecycle, logging, object lock."""

from __future__ import annotations

import json

import pytest

from components.aws.bucket import ACCESS_LOG_PREFIX, EncryptedBucket, EncryptedBucketArgs, bucket_policy
from tests.components.harness import Captured, capture

KEY = "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-4333-8444-555555555555"


TRAIL = "arn:aws:cloudtrail:us-east-1:111122223333:trail/enclave-prod"


def build(
    purpose: str = "checkpoints",
    preview: bool = False,
    access_log_sink: bool = False,
    cloudtrail_arn: str | None = None,
    **fields: object,
) -> Captured:
    log = None if access_log_sink else "access-logs-bucket"
    lock = 2192 if purpose == "audit-logs" and not access_log_sink else None
    args = EncryptedBucketArgs(
        purpose=purpose, kms_key_arn=None if access_log_sink else KEY, log_bucket=log, object_lock_days=lock,
        access_log_sink=access_log_sink, expire_days=2192 if access_log_sink else None,
        cloudtrail_arn=cloudtrail_arn, **fields,
    )  # type: ignore[arg-type]  # fmt: skip
    return capture(lambda: EncryptedBucket("ckpt", args), preview=preview)


def test_sse_kms_with_bucket_key_and_no_sse_c() -> None:
    c = build()
    sse = c.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    (rule,) = sse["inputs"]["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
    assert rule["bucketKeyEnabled"] is True and rule["blockedEncryptionTypes"] == ["SSE-C"], sse["urn"]
    assert sse["propertyDependencies"]["bucket"] == [c.urn("aws:s3/bucket:Bucket")]


def test_public_access_blocked_ownership_enforced_versioned() -> None:
    c = build()
    pab = c.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")["inputs"]
    assert all(
        pab[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    own = c.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")["inputs"]
    assert own["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    ver = c.one("aws:s3/bucketVersioning:BucketVersioning")["inputs"]
    assert ver["versioningConfiguration"] == {"status": "Enabled"}
    assert c.one("aws:s3/bucket:Bucket")["inputs"]["forceDestroy"] is False


def test_data_bucket_policy_grants_nothing_itself() -> None:
    doc = build().doc("aws:s3/bucketPolicy:BucketPolicy")
    assert not any(s["Effect"] == "Allow" for s in doc["Statement"]), "a data bucket grants nothing itself"


def test_policy_is_known_in_a_first_preview_and_waits_for_public_access_block() -> None:
    """Built from the auto-name (assigned in Check, so known in a preview) and the account: the policy pack
    reads the whole document before anything exists."""
    c = build(preview=True)
    policy = c.one("aws:s3/bucketPolicy:BucketPolicy")
    doc = json.loads(policy["inputs"]["policy"])
    bucket = c.one("aws:s3/bucket:Bucket")
    assert doc["Statement"][0]["Resource"] == [
        f"arn:aws:s3:::{bucket['inputs']['bucket']}",
        f"arn:aws:s3:::{bucket['inputs']['bucket']}/*",
    ]
    assert bucket["urn"] in policy["propertyDependencies"]["policy"], "the document still depends on the bucket"
    assert c.urn("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock") in policy["dependencies"]


def test_lifecycle_expires_noncurrent_versions_and_aborts_uploads() -> None:
    rules = build(noncurrent_version_days=14).one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[
        "inputs"
    ]["rules"]
    by_id = {r["id"]: r for r in rules}
    assert by_id["expire-noncurrent-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 14}
    assert by_id["abort-incomplete-multipart"]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}


def test_access_logs_go_to_the_access_log_bucket() -> None:
    log = build().one("aws:s3/bucketLogging:BucketLogging")["inputs"]
    assert log["targetBucket"] == "access-logs-bucket"
    assert log["targetPrefix"] == f"{ACCESS_LOG_PREFIX}/ckpt/"


def test_audit_bucket_object_lock_compliance_and_cloudtrail_writes() -> None:
    c = build(purpose="audit-logs", cloudtrail_arn=TRAIL)
    assert c.one("aws:s3/bucket:Bucket")["inputs"]["objectLockEnabled"] is True
    lock = c.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")["inputs"]
    assert lock["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 2192}}
    # Its own access logs go to the access-log bucket (S3 delivers none into an object-locked bucket).
    assert c.one("aws:s3/bucketLogging:BucketLogging")["inputs"]["targetBucket"] == "access-logs-bucket"
    doc = c.doc("aws:s3/bucketPolicy:BucketPolicy")
    allowed = [s for s in doc["Statement"] if s["Effect"] == "Allow"]
    assert {s["Principal"]["Service"] for s in allowed} == {"cloudtrail.amazonaws.com"}
    for stmt in allowed:
        assert stmt["Condition"]["StringEquals"]["aws:SourceArn"] == TRAIL, "pinned to the platform's trail"


def test_access_log_bucket_has_no_object_lock_and_expires_logs() -> None:
    c = build(purpose="audit-logs", access_log_sink=True)
    sse = c.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    (rule,) = sse["inputs"]["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}, "S3 log delivery: SSE-S3 only"
    assert rule["blockedEncryptionTypes"] == ["SSE-C"]
    assert "objectLockEnabled" not in c.one("aws:s3/bucket:Bucket")["inputs"]
    assert c.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration") == []
    assert c.of_type("aws:s3/bucketLogging:BucketLogging") == [], "never logs into itself"
    doc = c.doc("aws:s3/bucketPolicy:BucketPolicy")
    (allow,) = [s for s in doc["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow["Resource"].endswith(f"/{ACCESS_LOG_PREFIX}/*")
    assert allow["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}
    rules = {
        r["id"]: r for r in c.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")["inputs"]["rules"]
    }
    assert rules["expire-access-logs"]["expiration"] == {"days": 2192}


def test_policy_builder_is_valid_json_with_versions() -> None:
    doc = json.loads(bucket_policy("arn:aws:s3:::b", "arn:aws:kms:us-east-1:111122223333:key/*", "111122223333"))
    assert doc["Version"] == "2012-10-17"
    assert len({s["Sid"] for s in doc["Statement"]}) == len(doc["Statement"]), "Sids are unique"


@pytest.mark.parametrize("purpose", ["datasets", "models", "checkpoints"])
def test_data_buckets_have_no_object_lock(purpose: str) -> None:
    assert build(purpose=purpose).of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration") == []


def test_a_bucket_needs_a_key_unless_it_is_the_access_log_sink() -> None:
    with pytest.raises(ValueError, match=r"EncryptedBucketArgs\.kms_key_arn=None: kms_key_arn is required"):
        EncryptedBucketArgs(purpose="checkpoints", log_bucket="logs")
    with pytest.raises(ValueError, match="kms_key_arn is required"):
        EncryptedBucketArgs(purpose="audit-logs", kms_key_arn=KEY, access_log_sink=True)


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"noncurrent_version_days": 0}, r"EncryptedBucketArgs.noncurrent_version_days=0: Input should be greater"),
        ({"noncurrent_version_days": 4000}, "noncurrent_version_days=4000"),
        ({"stage": "prod"}, "EncryptedBucketArgs.stage='prod'"),
        ({"purpose": "logs"}, "EncryptedBucketArgs.purpose='logs'"),
        ({"purpose": "audit-logs"}, "object_lock_days=None: an audit-logs bucket needs object lock days"),
        ({"purpose": "audit-logs", "object_lock_days": 5000}, "object_lock_days=5000"),
        ({"log_bucket": None}, "log_bucket=None: every bucket but the access-log sink logs access"),
        ({"expire_days": 30}, "expire_days=30: only the access-log sink"),
    ],
)
def test_args_refuse_what_the_stack_file_would(fields: dict[str, object], match: str) -> None:
    base: dict[str, object] = {"purpose": "checkpoints", "kms_key_arn": KEY, "log_bucket": "logs"}
    with pytest.raises(ValueError, match=match):
        EncryptedBucketArgs(**{**base, **fields})  # type: ignore[arg-type]


def test_access_log_sink_expiry_is_a_log_retention_period() -> None:
    with pytest.raises(ValueError, match="expire_days=100: CloudWatch Logs accepts only"):
        EncryptedBucketArgs(purpose="audit-logs", access_log_sink=True, expire_days=100)
