"""What the bucket policies decide for the requests real clients send, evaluated (the pack's evaluator), not read.

Uploads by boto3, the AWS CLI and s3fs carry no encryption header; neither do S3 log delivery and CloudTrail
for most objects. The policies must let those through (default encryption applies) and refuse only a
header that asks for something else.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.aws.bucket import Perimeter, account_keys, bucket_policy
from components.aws.data_perimeter import IDENTITY_SID, NETWORK_SID, REPLICA_SID
from components.aws.iam_policy import ResolvedGrant, grants_policy
from framework.evaluator import Request, denying_statements, evaluate
from tests.conftest import STACKS, stack_data

ACCOUNT = "111122223333"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/11111111-2222-4333-8444-555555555555"
OTHER_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/99999999-2222-4333-8444-555555555555"
FOREIGN_KEY = "arn:aws:kms:us-east-1:444455556666:key/11111111-2222-4333-8444-555555555555"
KEYS = account_keys("aws", "us-east-1", ACCOUNT)
BUCKET = "arn:aws:s3:::prod-checkpoints-bucket-1a2b3c4"
TRAIL = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/enclave-prod"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/prod-trainer-role"
TLS = {"aws:SecureTransport": "true"}

# What each upload asks for in its headers (condition keys S3 derives from them).
UPLOADS: dict[str, dict[str, str]] = {
    "no headers": {},
    "aws:kms with the bucket key": {
        "s3:x-amz-server-side-encryption": "aws:kms",
        "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY,
    },
    "aws:kms without a key id": {"s3:x-amz-server-side-encryption": "aws:kms"},
    "aws:kms with another key of the account": {
        "s3:x-amz-server-side-encryption": "aws:kms",
        "s3:x-amz-server-side-encryption-aws-kms-key-id": OTHER_KEY,
    },
    "aws:kms with another account's key": {
        "s3:x-amz-server-side-encryption": "aws:kms",
        "s3:x-amz-server-side-encryption-aws-kms-key-id": FOREIGN_KEY,
    },
    "aws:kms with the key's alias": {
        "s3:x-amz-server-side-encryption": "aws:kms",
        "s3:x-amz-server-side-encryption-aws-kms-key-id": f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/enclave/prod/x",
    },
    "aws:kms:dsse with the bucket key": {
        "s3:x-amz-server-side-encryption": "aws:kms:dsse",
        "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY,
    },
    "AES256": {"s3:x-amz-server-side-encryption": "AES256"},
    "SSE-C": {"s3:x-amz-server-side-encryption-customer-algorithm": "AES256"},
}


def put(doc: dict[str, Any], headers: dict[str, str], key: str = "runs/step-100.pt", **who: Any) -> str:
    who = who or {"principal_arn": ROLE}
    context = {**TLS, **headers, **who.pop("context", {})}
    return evaluate(doc, Request("s3:PutObject", f"{BUCKET}/{key}", context=context, **who))


def data_policy() -> dict[str, Any]:
    return json.loads(bucket_policy(BUCKET, KEYS, ACCOUNT))


@pytest.mark.parametrize(
    ("upload", "denied"),
    [
        ("no headers", False),
        ("aws:kms with the bucket key", False),
        ("aws:kms without a key id", True),
        # Which of the account's keys a principal may use is its IAM grants' business (they name the bucket's
        # key); the policy refuses what no grant could stop: a key that lives elsewhere.
        ("aws:kms with another key of the account", False),
        ("aws:kms with another account's key", True),
        ("aws:kms with the key's alias", True),
        ("aws:kms:dsse with the bucket key", True),
        ("AES256", True),
        ("SSE-C", True),
    ],
)
def test_data_bucket_refuses_only_other_requested_encryption(upload: str, denied: bool) -> None:
    doc = data_policy()
    decision = put(doc, UPLOADS[upload])
    why = denying_statements(
        doc, Request("s3:PutObject", f"{BUCKET}/x", principal_arn=ROLE, context={**TLS, **UPLOADS[upload]})
    )
    assert (decision == "Deny") is denied, f"{upload}: {decision} by {why}"


def test_data_bucket_refuses_plain_http_for_everything() -> None:
    doc = data_policy()
    for action, resource in (
        ("s3:GetObject", f"{BUCKET}/x"),
        ("s3:ListBucket", BUCKET),
        ("s3:PutObject", f"{BUCKET}/x"),
    ):
        req = Request(action, resource, principal_arn=ROLE, context={"aws:SecureTransport": "false"})
        assert evaluate(doc, req) == "Deny", action
    assert evaluate(doc, Request("s3:GetObject", f"{BUCKET}/x", principal_arn=ROLE, context=TLS)) == "ImplicitDeny"


def trail_put(doc: dict[str, Any], headers: dict[str, str], key: str, trail: str = TRAIL) -> str:
    context = {
        **headers,
        "aws:SourceArn": trail,
        "aws:SourceAccount": trail.split(":")[4],
        "aws:PrincipalServiceName": "cloudtrail.amazonaws.com",
        "s3:x-amz-acl": "bucket-owner-full-control",
    }
    return put(doc, {}, key=key, principal_service="cloudtrail.amazonaws.com", context=context)


def audit_policy() -> dict[str, Any]:
    return json.loads(bucket_policy(BUCKET, KEYS, ACCOUNT, cloudtrail_sink=True, trail_arn=TRAIL))


LOG_FILE = f"cloudtrail/AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/29/{ACCOUNT}_CloudTrail_us-east-1_x.json.gz"
DIGEST = f"cloudtrail/AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2026/11/29/{ACCOUNT}_CloudTrail-Digest_x.json.gz"


@pytest.mark.parametrize("upload", ["no headers", "aws:kms with the bucket key", "AES256"])
@pytest.mark.parametrize("key", [LOG_FILE, DIGEST])
def test_the_trail_writes_log_and_digest_files_whatever_encryption_it_asks_for(upload: str, key: str) -> None:
    """CloudTrail's documentation has said both that digests are SSE-S3 and that they follow the trail's key."""
    assert trail_put(audit_policy(), UPLOADS[upload], key) == "Allow", (upload, key)


def test_only_the_platform_trail_writes_and_only_under_its_prefix() -> None:
    doc = audit_policy()
    other = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/someone-elses"
    assert trail_put(doc, {}, LOG_FILE, trail=other) == "ImplicitDeny"
    foreign = "arn:aws:cloudtrail:us-east-1:444455556666:trail/enclave-prod"
    assert trail_put(doc, {}, LOG_FILE.replace(ACCOUNT, "444455556666"), trail=foreign) == "ImplicitDeny"
    assert trail_put(doc, {}, "elsewhere/x.json.gz") == "ImplicitDeny"
    acl = Request(
        "s3:GetBucketAcl", BUCKET, principal_service="cloudtrail.amazonaws.com",
        context={**TLS, "aws:SourceArn": TRAIL},
    )  # fmt: skip
    assert evaluate(doc, acl) == "Allow"


def test_audit_bucket_still_refuses_other_encryption_from_people_and_roles() -> None:
    doc = audit_policy()
    assert put(doc, UPLOADS["AES256"], key=LOG_FILE) == "Deny"
    assert put(doc, UPLOADS["aws:kms with another account's key"], key=LOG_FILE) == "Deny"
    assert put(doc, UPLOADS["no headers"], key="notes.txt") == "ImplicitDeny", "not denied; IAM decides"


def access_log_policy() -> dict[str, Any]:
    return json.loads(bucket_policy(BUCKET, None, ACCOUNT, access_log_sink=True))


def log_delivery(doc: dict[str, Any], account: str = ACCOUNT, key: str = "access-logs/prod-datasets/2026-11-29") -> str:
    context = {"aws:SourceAccount": account, "aws:SourceArn": "arn:aws:s3:::prod-datasets-bucket-1a2b3c4"}
    return put(doc, {}, key=key, principal_service="logging.s3.amazonaws.com", context=context)


def test_access_logs_are_delivered_with_no_encryption_header() -> None:
    doc = access_log_policy()
    assert log_delivery(doc) == "Allow"
    assert log_delivery(doc, account="444455556666") == "ImplicitDeny", "another account's buckets"
    assert log_delivery(doc, key="elsewhere/x") == "ImplicitDeny"


def test_access_log_bucket_takes_sse_s3_only() -> None:
    doc = access_log_policy()
    assert put(doc, UPLOADS["AES256"]) != "Deny"
    for upload in ("aws:kms with the bucket key", "SSE-C"):
        assert put(doc, UPLOADS[upload]) == "Deny", upload


def _inside(doc: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """A principal and endpoint the component's perimeter admits (its first declared identity, its first endpoint);
    a workload role and no endpoint where the bucket has no perimeter."""
    sts = {s.get("Sid"): s for s in doc["Statement"]}
    who = sts.get(IDENTITY_SID, {}).get("Condition", {}).get("StringNotEqualsIfExists", {}).get("aws:PrincipalArn")
    where = sts.get(NETWORK_SID, {}).get("Condition", {}).get("StringNotEqualsIfExists", {}).get("aws:SourceVpce")
    return (who[0] if who else TRAINER), ({"aws:SourceVpce": where[0]} if where else {})


@pytest.mark.parametrize("stack", STACKS)
def test_synthesized_policies_let_the_platforms_own_writers_through(synthed: Any, stack: str) -> None:
    """The policies the platform really registers (update mode, fake ARNs): a declared identity's checkpoint
    upload with no headers into every bucket (through the stack's endpoint where it has a data perimeter), log
    delivery into the access-log bucket, the trail (and only the platform's trail, by its ARN) into the audit
    bucket."""
    result = synthed(stack)
    region = stack_data(stack)["region"]
    (trail,) = result.by_type("aws:cloudtrail/trail:Trail")
    policies = {
        r["name"]: json.loads(r["inputs"]["policy"]) for r in result.by_type("aws:s3/bucketPolicy:BucketPolicy")
    }
    writers = set()
    for name, doc in policies.items():
        bucket = doc["Statement"][0]["Resource"][0]
        # a declared identity through the stack's endpoint, where the bucket has a data perimeter (the probe role
        # otherwise), as S3-07's probes ask
        principal, perimeter = _inside(doc)
        upload = Request("s3:PutObject", f"{bucket}/runs/x", principal_arn=principal, context={**TLS, **perimeter})
        replica = {s.get("Sid"): s for s in doc["Statement"]}.get(REPLICA_SID)
        if replica is not None:  # a backup replica: its one writer is the replication role, from S3's network
            (principal,) = replica["Condition"]["StringNotEqualsIfExists"]["aws:PrincipalArn"]
            upload = Request("s3:ReplicateObject", f"{bucket}/runs/x", principal_arn=principal, context=TLS)
            writers.add("replication")
        assert evaluate(doc, upload) != "Deny", f"{name}: {denying_statements(doc, upload)}"
        allows = {s["Sid"]: s for s in doc["Statement"] if s["Effect"] == "Allow"}
        if "CloudTrailWrite" in allows:
            arn = allows["CloudTrailWrite"]["Condition"]["StringEquals"]["aws:SourceArn"]
            account = arn.split(":")[4]
            assert arn == f"arn:aws:cloudtrail:{region}:{account}:trail/{trail['inputs']['name']}", name
            write = Request(
                "s3:PutObject", f"{bucket}/cloudtrail/AWSLogs/{account}/CloudTrail-Digest/x",
                principal_service="cloudtrail.amazonaws.com",
                context={**TLS, "aws:SourceArn": arn, "aws:PrincipalServiceName": "cloudtrail.amazonaws.com",
                         "s3:x-amz-acl": "bucket-owner-full-control", "s3:x-amz-server-side-encryption": "AES256"},
            )  # fmt: skip
            assert evaluate(doc, write) == "Allow", name
            writers.add("cloudtrail")
        if "S3ServerAccessLogsWrite" in allows:
            account = allows["S3ServerAccessLogsWrite"]["Condition"]["StringEquals"]["aws:SourceAccount"]
            delivery = Request(
                "s3:PutObject", f"{bucket}/access-logs/{stack}-datasets/x",
                principal_service="logging.s3.amazonaws.com", context={**TLS, "aws:SourceAccount": account},
            )  # fmt: skip
            assert evaluate(doc, delivery) == "Allow", name
            writers.add("access-logs")
    backups = stack_data(stack).get("backups", {}).get("enabled", False)
    assert writers == {"cloudtrail", "access-logs", *(["replication"] if backups else [])}, "both sinks everywhere"


# ----- the data perimeter of an ePHI bucket --------------------------------------------------------------------
GATEWAY, INTERFACE = "vpce-0a1b2c3d4e5f60718", "vpce-0b2c3d4e5f6071829"
TRAINER = f"arn:aws:iam::{ACCOUNT}:role/prod-trainer"
SERVER = f"arn:aws:iam::{ACCOUNT}:role/prod-model-server"
NOTEBOOK = f"arn:aws:iam::{ACCOUNT}:role/prod-notebook"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/platform-admin"
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT}:role/break-glass"
FENCE = Perimeter([GATEWAY, INTERFACE], [TRAINER, SERVER], [DEPLOYER, BREAK_GLASS])
DATA = [("s3:GetObject", f"{BUCKET}/runs/x"), ("s3:PutObject", f"{BUCKET}/runs/x"), ("s3:ListBucket", BUCKET),
        ("s3:DeleteObject", f"{BUCKET}/runs/x")]  # fmt: skip


def fenced(**kwargs: Any) -> dict[str, Any]:
    return json.loads(bucket_policy(BUCKET, KEYS, ACCOUNT, perimeter=FENCE, **kwargs))


def ask(doc: dict[str, Any], action: str, resource: str, principal: str, **context: str) -> str:
    req = Request(action, resource, principal_arn=principal, context={**TLS, **context})
    return evaluate(doc, req)


@pytest.mark.parametrize("principal", [TRAINER, SERVER])
@pytest.mark.parametrize("endpoint", [GATEWAY, INTERFACE])
def test_each_declared_identity_reaches_the_data_through_each_endpoint(principal: str, endpoint: str) -> None:
    """Not denied by the bucket: the identity's own grants decide (same account: an IAM Allow suffices)."""
    doc = fenced()
    for action, resource in DATA:
        assert ask(doc, action, resource, principal, **{"aws:SourceVpce": endpoint}) != "Deny", (action, principal)


def test_a_declared_identity_with_its_grants_succeeds_and_stolen_fails_outside() -> None:
    """The trainer's real grants and the bucket's perimeter together: its upload through the endpoint is allowed;
    the same credentials from a laptop (no endpoint) or from another account's VPC endpoint are refused."""
    grants = grants_policy(
        [ResolvedGrant(BUCKET, "alias/enclave/prod/training", "runs", "write")], "us-east-1", ACCOUNT
    )
    assert grants is not None
    doc = fenced()

    def decision(**where: str) -> str:
        req = Request("s3:PutObject", f"{BUCKET}/runs/step-1.pt", principal_arn=TRAINER,
                      context={**TLS, **where})  # fmt: skip
        decisions = {evaluate(grants, req), evaluate(doc, req)}
        return "Deny" if "Deny" in decisions else "Allow" if "Allow" in decisions else "ImplicitDeny"

    assert decision(**{"aws:SourceVpce": INTERFACE}) == "Allow"
    assert decision() == "Deny", "a stolen zone credential used outside the VPC"
    assert decision(**{"aws:SourceVpce": "vpce-0ffffffffffffffff", "aws:SourceVpc": "vpc-0ffffffffffffffff"}) == "Deny"
    outside = Request("s3:PutObject", f"{BUCKET}/x", principal_arn=TRAINER, context={**TLS})
    assert denying_statements(doc, outside) == ["DenyOutsideVpcEndpoints"]


@pytest.mark.parametrize("where", [{}, {"aws:SourceVpce": GATEWAY}])
@pytest.mark.parametrize("principal", [DEPLOYER, BREAK_GLASS])
def test_the_deployment_and_break_glass_roles_reach_it_from_anywhere(principal: str, where: dict[str, str]) -> None:
    doc = fenced()
    for action, resource in DATA:
        assert ask(doc, action, resource, principal, **where) != "Deny", (action, principal, where)


def test_a_role_the_bucket_does_not_declare_is_refused_even_through_the_endpoint() -> None:
    doc = fenced()
    for principal in (NOTEBOOK, f"arn:aws:iam::{ACCOUNT}:role/someone-else", "arn:aws:iam::444455556666:role/x"):
        for action, resource in DATA:
            req_ctx = {"aws:SourceVpce": GATEWAY}
            assert ask(doc, action, resource, principal, **req_ctx) == "Deny", (principal, action)
    anonymous = Request("s3:GetObject", f"{BUCKET}/x", context={**TLS, "aws:SourceVpce": GATEWAY})
    assert evaluate(doc, anonymous) == "Deny"


def test_aws_services_acting_for_a_declared_identity_pass_the_network_half_only() -> None:
    """aws:ViaAWSService (Athena, Glue reading for the trainer) is excepted from the endpoint rule, not from the
    identity rule: a service acting for an undeclared role is still refused."""
    doc = fenced()
    via = {"aws:ViaAWSService": "true", "aws:CalledVia": "athena.amazonaws.com"}
    assert ask(doc, "s3:GetObject", f"{BUCKET}/x", TRAINER, **via) != "Deny"
    assert ask(doc, "s3:GetObject", f"{BUCKET}/x", NOTEBOOK, **via) == "Deny"


def test_service_principals_still_write_where_the_policy_lets_them() -> None:
    """A perimeter never refuses an AWS service principal: the trail still writes into a fenced audit bucket, log
    delivery into a fenced access-log bucket."""
    trail_doc = json.loads(bucket_policy(BUCKET, KEYS, ACCOUNT, cloudtrail_sink=True, trail_arn=TRAIL, perimeter=FENCE))
    context = {"aws:SourceArn": TRAIL,
               "aws:SourceAccount": ACCOUNT, "s3:x-amz-acl": "bucket-owner-full-control"}  # fmt: skip
    assert put(trail_doc, {}, key=LOG_FILE, principal_service="cloudtrail.amazonaws.com", context=context) == "Allow"
    logs_doc = json.loads(bucket_policy(BUCKET, None, ACCOUNT, access_log_sink=True, perimeter=FENCE))
    delivery = {"aws:SourceAccount": ACCOUNT}
    assert put(logs_doc, {}, key="access-logs/prod-datasets/x", principal_service="logging.s3.amazonaws.com",
               context=delivery) == "Allow"  # fmt: skip


def test_the_perimeter_leaves_the_buckets_configuration_to_iam() -> None:
    """Only data actions are fenced: an auditor (or AWS Config) reads the bucket's settings from anywhere."""
    doc = fenced()
    auditor = f"arn:aws:iam::{ACCOUNT}:role/enclave-auditor"
    for action in ("s3:GetBucketPolicy", "s3:GetEncryptionConfiguration", "s3:GetBucketVersioning"):
        assert ask(doc, action, BUCKET, auditor) != "Deny", action


@pytest.mark.parametrize("stack", STACKS)
def test_synthesized_perimeters_admit_exactly_the_declared_identities_through_the_stacks_endpoints(
    synthed: Any, stack: str
) -> None:
    """For every ePHI bucket the platform registers: every identity granted a prefix of it reads (its own grants
    and the bucket policy together) through each of the stack's S3 endpoints, and nowhere else; every other
    identity of the stack is refused by the bucket itself, even through the endpoint."""
    result = synthed(stack)
    data = stack_data(stack)
    account, env = data["account_id"], data["environment"]
    endpoints = result.outputs["s3_endpoint_ids"]
    assert len(endpoints) == 2 and all(e.startswith("vpce-") for e in endpoints)
    roles = {r["name"].removeprefix(f"{env}-").removesuffix("-role"): r for r in result.by_type("aws:iam/role:Role")}
    grants = {r["name"].removeprefix(f"{env}-").removesuffix("-grants"): json.loads(r["inputs"]["policy"])
              for r in result.by_type("aws:iam/rolePolicy:RolePolicy") if r["name"].endswith("-grants")}  # fmt: skip
    names = {r["name"]: r["inputs"]["bucket"] for r in result.by_type("aws:s3/bucket:Bucket")}
    checked = 0
    for ident in data["identities"]:
        role = roles[ident["name"]]
        arn = f"arn:aws:iam::{account}:role/{role['inputs']['name']}"
        for bucket in data["buckets"]:
            if bucket["purpose"] == "audit-logs":
                continue
            policy = next(
                json.loads(r["inputs"]["policy"]) for r in result.by_type("aws:s3/bucketPolicy:BucketPolicy")
                if r["name"] == f"{env}-{bucket['name']}-policy"
            )  # fmt: skip
            physical = names[f"{env}-{bucket['name']}-bucket"]
            bucket_arn = f"arn:aws:s3:::{physical}"
            mine = [g for g in ident["grants"] if g["bucket"] == bucket["name"]]
            key = f"{bucket_arn}/{mine[0]['prefix']}/object" if mine else f"{bucket_arn}/any/object"
            for endpoint in endpoints:
                ctx = {**TLS, "aws:SourceVpce": endpoint}
                req = Request("s3:GetObject", key, principal_arn=arn, context=ctx)
                by_bucket = evaluate(policy, req)
                if mine:
                    assert by_bucket != "Deny" and evaluate(grants[ident["name"]], req) == "Allow", (ident, bucket)
                    checked += 1
                else:
                    assert by_bucket == "Deny", f"{stack}: {ident['name']} is not refused by {bucket['name']}"
            outside = Request("s3:GetObject", key, principal_arn=arn, context={**TLS})
            assert evaluate(policy, outside) == "Deny", f"{stack}: {ident['name']} reads {bucket['name']} from outside"
    assert checked >= 2 * len(data["identities"]) - 2
