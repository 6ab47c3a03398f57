"""Who may write the immutable log copies into the audit bucket, evaluated (the pack's evaluator), not read:
Firehose's role writes under `control-plane/`, log delivery under `flow-logs/AWSLogs/<account>/` for this
account's flow logs in this region, CloudTrail under `cloudtrail/`; no other service, account or prefix.

A role of the same account is the account's IAM business (the bucket policy cannot tell the Firehose role from
an administrator without naming every role): the bucket's COMPLIANCE-mode object lock keeps what was written.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.aws.bucket import account_keys, bucket_policy
from components.aws.log_copies import LOG_DELIVERY, firehose_write_policy
from framework.evaluator import Request, evaluate

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
REGION = "us-east-1"
BUCKET = "arn:aws:s3:::prod-audit-logs-bucket-1a2b3c4"
TRAIL = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/enclave-prod"
ERRORS = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/enclave/prod/log-copy-errors"
FIREHOSE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/prod-log-copy-firehose-role-1a2b3c4"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-4333-8444-555555555555"
TLS = {"aws:SecureTransport": "true"}

CONTROL_PLANE = "control-plane/prod/logs/2026/12/06/01/enclave-prod-control-plane-logs-1-2026-12-06-01-00-00-x"
FLOW_LOG = f"flow-logs/AWSLogs/{ACCOUNT}/vpcflowlogs/{REGION}/2026/12/06/{ACCOUNT}_vpcflowlogs_{REGION}_fl-1_x.log.gz"
TRAIL_LOG = f"cloudtrail/AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2026/12/06/{ACCOUNT}_CloudTrail_{REGION}_x.json.gz"
ELSEWHERE = ("notes/x.txt", "control-plane-copy/x", TRAIL_LOG)


def audit_bucket_policy() -> dict[str, Any]:
    """The audit bucket's policy with immutable copies on (what EncryptedBucket builds for prod)."""
    keys = account_keys("aws", REGION, ACCOUNT)
    return json.loads(
        bucket_policy(BUCKET, keys, ACCOUNT, cloudtrail_sink=True, trail_arn=TRAIL, flow_log_region=REGION)
    )


def firehose_policy() -> dict[str, Any]:
    return json.loads(firehose_write_policy(BUCKET, "alias/enclave/prod/audit", ERRORS, REGION, ACCOUNT))


def delivery(key: str, **context: Any) -> Request:
    """A PutObject by log delivery, as it sends it for a flow log of `ACCOUNT` in `REGION` (no SSE header)."""
    base = {
        **TLS,
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:*",
        "s3:x-amz-acl": "bucket-owner-full-control",
    }
    return Request("s3:PutObject", f"{BUCKET}/{key}", principal_service=LOG_DELIVERY, context={**base, **context})


def role_put(key: str, role: str = FIREHOSE_ROLE) -> Request:
    """A PutObject by a role, with the SSE-KMS headers Firehose sends for a stream with kms_key_arn."""
    headers = {"s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY}
    return Request("s3:PutObject", f"{BUCKET}/{key}", principal_arn=role, context={**TLS, **headers})


def same_account_decision(identity: dict[str, Any], resource: dict[str, Any], req: Request) -> str:
    """Same account: an explicit Deny in either wins; else an Allow in either is enough."""
    found = {evaluate(identity, req), evaluate(resource, req)}
    return "Deny" if "Deny" in found else "Allow" if "Allow" in found else "ImplicitDeny"


def test_firehose_role_writes_the_control_plane_copies() -> None:
    decision = same_account_decision(firehose_policy(), audit_bucket_policy(), role_put(CONTROL_PLANE))
    assert decision == "Allow"


@pytest.mark.parametrize("key", [FLOW_LOG, *ELSEWHERE])
def test_firehose_role_writes_nothing_else(key: str) -> None:
    assert same_account_decision(firehose_policy(), audit_bucket_policy(), role_put(key)) == "ImplicitDeny", key


def test_firehose_role_may_not_delete_or_unlock() -> None:
    """Nothing in its grant removes a copy or shortens its retention (object lock would refuse it anyway)."""
    actions = ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:BypassGovernanceRetention")
    for action in actions:
        req = Request(action, f"{BUCKET}/{CONTROL_PLANE}", principal_arn=FIREHOSE_ROLE, context=TLS)
        assert same_account_decision(firehose_policy(), audit_bucket_policy(), req) == "ImplicitDeny", action


def test_log_delivery_writes_this_accounts_flow_logs() -> None:
    assert evaluate(audit_bucket_policy(), delivery(FLOW_LOG)) == "Allow"
    acl_check = Request(
        "s3:GetBucketAcl", BUCKET, principal_service=LOG_DELIVERY,
        context={**TLS, "aws:SourceAccount": ACCOUNT, "aws:SourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:*"},
    )  # fmt: skip
    assert evaluate(audit_bucket_policy(), acl_check) == "Allow"


@pytest.mark.parametrize(
    ("why", "req"),
    [
        ("under the control-plane prefix", delivery(CONTROL_PLANE)),
        ("under the trail's prefix", delivery(TRAIL_LOG)),
        ("another account's folder", delivery(FLOW_LOG.replace(f"AWSLogs/{ACCOUNT}", f"AWSLogs/{OTHER_ACCOUNT}"))),
        ("for another account (confused deputy)", delivery(FLOW_LOG, **{"aws:SourceAccount": OTHER_ACCOUNT})),
        (
            "for another account's log source",
            delivery(FLOW_LOG, **{"aws:SourceArn": f"arn:aws:logs:{REGION}:{OTHER_ACCOUNT}:*"}),
        ),
        (
            "for a flow log of another region",
            delivery(FLOW_LOG, **{"aws:SourceArn": f"arn:aws:logs:eu-west-1:{ACCOUNT}:*"}),
        ),
        ("without the source keys", delivery(FLOW_LOG, **{"aws:SourceAccount": None, "aws:SourceArn": None})),
        ("without bucket-owner-full-control", delivery(FLOW_LOG, **{"s3:x-amz-acl": None})),
    ],
)
def test_log_delivery_writes_nothing_else(why: str, req: Request) -> None:
    assert evaluate(audit_bucket_policy(), req) != "Allow", why


@pytest.mark.parametrize("key", [CONTROL_PLANE, FLOW_LOG])
@pytest.mark.parametrize(
    "who",
    [
        {"principal_service": "firehose.amazonaws.com"},
        {"principal_service": "logs.us-east-1.amazonaws.com"},
        {"principal_service": "cloudtrail.amazonaws.com"},
        {"principal_service": "s3.amazonaws.com"},
        {"principal_arn": f"arn:aws:iam::{OTHER_ACCOUNT}:role/prod-log-copy-firehose-role-1a2b3c4"},
        {"principal_arn": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
    ],
)
def test_no_other_service_or_account_writes_the_copies(key: str, who: dict[str, str]) -> None:
    """The bucket policy is the only grant a service principal or another account can have here: none for them."""
    context = {
        **TLS,
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": TRAIL,
        "s3:x-amz-acl": "bucket-owner-full-control",
    }
    req = Request("s3:PutObject", f"{BUCKET}/{key}", context=context, **who)
    assert evaluate(audit_bucket_policy(), req) != "Allow", (who, key)


def test_without_copies_log_delivery_has_no_grant() -> None:
    """Only the audit bucket with immutable copies admits log delivery."""
    keys = account_keys("aws", REGION, ACCOUNT)
    doc = json.loads(bucket_policy(BUCKET, keys, ACCOUNT, cloudtrail_sink=True, trail_arn=TRAIL))
    assert evaluate(doc, delivery(FLOW_LOG)) == "ImplicitDeny"
