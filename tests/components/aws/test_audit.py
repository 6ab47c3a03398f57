"""AuditTrail: trail flags, advanced event selectors, CloudWatch Logs delivery role and ordering, as registered."""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws
import pytest

from components.aws.audit import AuditTrail, AuditTrailArgs, delivery_policy, event_selectors, object_arn_prefixes
from components.aws.bucket import TRAIL_PREFIX
from enclave.synth import is_unknown
from tests.components.harness import ACCOUNT, REGION, Captured, capture

KEY = "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-4333-8444-555555555555"
DATASETS = "arn:aws:s3:::enclave-prod-datasets"
CHECKPOINTS = "arn:aws:s3:::enclave-prod-checkpoints"
LOG_GROUP = "/enclave/prod/cloudtrail"
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUP}"

TRAIL = "aws:cloudtrail/trail:Trail"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP_TYPE = "aws:cloudwatch/logGroup:LogGroup"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
COMPONENT = "enclave:aws:AuditTrail"

MANAGEMENT = {"name": "all-management-events", "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]}


def data_selector(prefixes: Any) -> dict[str, Any]:
    return {
        "name": "artifact-object-reads-and-writes",
        "fieldSelectors": [
            {"field": "eventCategory", "equals": ["Data"]},
            {"field": "resources.type", "equals": ["AWS::S3::Object"]},
            {"field": "resources.ARN", "startsWiths": prefixes},
        ],
    }


def build(
    data_arns: tuple[str, ...] = (DATASETS, CHECKPOINTS), preview: bool = False, with_policy: bool = True
) -> Captured:
    def run() -> None:
        deps = [aws.s3.BucketPolicy("audit-policy", bucket="enclave-prod-audit", policy="{}")] if with_policy else []
        AuditTrail(
            "prod",
            AuditTrailArgs(
                bucket_name="enclave-prod-audit",
                kms_key_arn=KEY,
                data_event_bucket_arns=list(data_arns),
                retention_days=2192,
                bucket_policy_ready=deps,
                tags={"enclave:zone": "platform"},
            ),
        )

    return capture(run, preview=preview)


def build_with_buckets(preview: bool = False) -> Captured:
    """Bucket name and data-event ARNs as Outputs of buckets registered in the same program."""

    def run() -> None:
        audit = aws.s3.Bucket("audit", bucket="enclave-prod-audit")
        datasets = aws.s3.Bucket("datasets", bucket="enclave-prod-datasets")
        checkpoints = aws.s3.Bucket("checkpoints", bucket="enclave-prod-checkpoints")
        AuditTrail(
            "prod",
            AuditTrailArgs(
                bucket_name=audit.id,
                kms_key_arn=KEY,
                data_event_bucket_arns=[datasets.arn, checkpoints.arn],
                retention_days=2192,
            ),
        )

    return capture(run, preview=preview)


def walk_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in walk_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in walk_keys(v)}
    return set()


def test_trail_is_multi_region_validated_encrypted_and_logging() -> None:
    c = build()
    trail = c.one(TRAIL, "prod-trail")
    inputs, urn = trail["inputs"], trail["urn"]
    assert inputs["isMultiRegionTrail"] is True, urn
    assert inputs["includeGlobalServiceEvents"] is True, urn
    assert inputs["enableLogFileValidation"] is True, urn
    assert inputs["enableLogging"] is True, urn
    assert inputs["kmsKeyId"] == KEY, urn
    assert inputs["s3BucketName"] == "enclave-prod-audit", urn
    assert inputs["s3KeyPrefix"] == TRAIL_PREFIX == "cloudtrail", urn
    assert inputs["tags"] == {"enclave:zone": "platform"}, urn
    assert "eventSelectors" not in inputs and "isOrganizationTrail" not in inputs, urn


def test_trail_delivers_to_the_log_group_with_the_stream_wildcard_through_the_delivery_role() -> None:
    c = build()
    trail = c.one(TRAIL, "prod-trail")
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/"
    assert trail["inputs"]["cloudWatchLogsGroupArn"] == f"{LOG_GROUP_ARN}:*", trail["urn"]
    assert trail["inputs"]["cloudWatchLogsRoleArn"].startswith(role_arn + "prod-delivery-role"), trail["urn"]


def test_advanced_event_selectors_log_management_and_artifact_object_reads_and_writes() -> None:
    c = build()
    trail = c.one(TRAIL, "prod-trail")
    selectors = trail["inputs"]["advancedEventSelectors"]
    assert selectors == [MANAGEMENT, data_selector([f"{DATASETS}/", f"{CHECKPOINTS}/"])], trail["urn"]
    assert "readOnly" not in json.dumps(selectors), f"{trail['urn']}: a readOnly filter drops reads or writes"


def test_preview_registers_the_same_resources_and_known_selectors() -> None:
    update, preview = build(), build(preview=True)

    def shape(c: Captured) -> list[tuple[str, str, str]]:
        return sorted((r["type"], r["name"], r["parent"]) for r in c.resources)

    assert shape(preview) == shape(update)
    assert {r["type"] for r in preview.resources} == {
        COMPONENT,
        TRAIL,
        ROLE,
        ROLE_POLICY,
        LOG_GROUP_TYPE,
        BUCKET_POLICY,
    }
    trail = preview.one(TRAIL, "prod-trail")
    # Plain ARNs are known in preview, so a policy pack sees the exact selectors before the first update.
    assert trail["inputs"]["advancedEventSelectors"] == update.one(TRAIL)["inputs"]["advancedEventSelectors"]
    assert trail["inputs"]["isMultiRegionTrail"] is True, trail["urn"]
    assert is_unknown(trail["inputs"]["cloudWatchLogsGroupArn"]), trail["urn"]


def test_delivery_role_is_trusted_only_by_cloudtrail_of_this_account() -> None:
    c = build()
    role = c.one(ROLE, "prod-delivery-role")
    assert json.loads(role["inputs"]["assumeRolePolicy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CloudTrailAssume",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            }
        ],
    }, role["urn"]
    assert "managedPolicyArns" not in role["inputs"], role["urn"]


def test_delivery_policy_writes_only_streams_of_the_trail_log_group() -> None:
    c = build()
    policy = c.one(ROLE_POLICY, "prod-delivery-policy")
    doc = c.doc(ROLE_POLICY, "prod-delivery-policy")
    assert doc == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CloudTrailDelivery",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [f"{LOG_GROUP_ARN}:log-stream:*"],
            }
        ],
    }, policy["urn"]
    resources = [r for s in doc["Statement"] for r in s["Resource"]]
    assert "*" not in resources and all(r.startswith("arn:aws:logs:") for r in resources), policy["urn"]
    assert policy["propertyDependencies"]["role"] == [c.urn(ROLE, "prod-delivery-role")], policy["urn"]
    assert policy["propertyDependencies"]["policy"] == [c.urn(LOG_GROUP_TYPE, "prod-logs")], policy["urn"]


def test_log_group_is_kms_encrypted_and_expires() -> None:
    c = build()
    group = c.one(LOG_GROUP_TYPE, "prod-logs")
    assert group["inputs"]["name"] == LOG_GROUP, group["urn"]
    assert group["inputs"]["kmsKeyId"] == KEY, group["urn"]
    assert group["inputs"]["retentionInDays"] == 2192, group["urn"]


def test_trail_waits_for_the_bucket_policy_and_the_delivery_policy() -> None:
    c = build()
    trail = c.one(TRAIL, "prod-trail")
    assert c.urn(BUCKET_POLICY, "audit-policy") in trail["dependencies"], trail["urn"]
    assert c.urn(ROLE_POLICY, "prod-delivery-policy") in trail["dependencies"], trail["urn"]


def test_trail_property_dependencies_point_at_log_group_and_role() -> None:
    c = build()
    trail = c.one(TRAIL, "prod-trail")
    deps = trail["propertyDependencies"]
    assert deps["cloudWatchLogsGroupArn"] == [c.urn(LOG_GROUP_TYPE, "prod-logs")], trail["urn"]
    assert deps["cloudWatchLogsRoleArn"] == [c.urn(ROLE, "prod-delivery-role")], trail["urn"]


def test_no_data_buckets_keeps_only_the_management_selector() -> None:
    c = build(data_arns=())
    trail = c.one(TRAIL, "prod-trail")
    assert trail["inputs"]["advancedEventSelectors"] == [MANAGEMENT], trail["urn"]


def test_children_are_parented_to_the_component() -> None:
    c = build(with_policy=False)
    component = c.urn(COMPONENT, "prod")
    children = [r for r in c.resources if r["type"] != COMPONENT]
    assert {r["type"] for r in children} == {TRAIL, ROLE, ROLE_POLICY, LOG_GROUP_TYPE}
    assert all(r["parent"] == component for r in children), [r["urn"] for r in children]


def test_bucket_outputs_resolve_into_prefixes_and_dependencies() -> None:
    c = build_with_buckets()
    trail = c.one(TRAIL, "prod-trail")
    inputs, deps = trail["inputs"], trail["propertyDependencies"]
    assert inputs["s3BucketName"] == "enclave-prod-audit", trail["urn"]
    assert inputs["advancedEventSelectors"] == [MANAGEMENT, data_selector([f"{DATASETS}/", f"{CHECKPOINTS}/"])]
    assert deps["s3BucketName"] == [c.urn("aws:s3/bucket:Bucket", "audit")], trail["urn"]
    assert set(deps["advancedEventSelectors"]) == {
        c.urn("aws:s3/bucket:Bucket", "datasets"),
        c.urn("aws:s3/bucket:Bucket", "checkpoints"),
    }, trail["urn"]


def test_bucket_outputs_in_preview_leave_only_the_prefixes_unknown() -> None:
    c = build_with_buckets(preview=True)
    trail = c.one(TRAIL, "prod-trail")
    management, data = trail["inputs"]["advancedEventSelectors"]
    assert management == MANAGEMENT, trail["urn"]
    assert data["fieldSelectors"][:2] == data_selector(None)["fieldSelectors"][:2], trail["urn"]
    assert is_unknown(data["fieldSelectors"][2]["startsWiths"]), trail["urn"]
    assert "readOnly" not in walk_keys(trail["inputs"]["advancedEventSelectors"]) | {
        f.get("field") for f in data["fieldSelectors"]
    }, trail["urn"]


def test_pure_builders() -> None:
    assert object_arn_prefixes([DATASETS]) == [f"{DATASETS}/"]
    fields = [f["field"] for s in event_selectors([f"{DATASETS}/"]) for f in s["field_selectors"]]
    assert "readOnly" not in fields and fields.count("eventCategory") == 2
    assert len(event_selectors(None)) == 1
    doc = json.loads(delivery_policy(LOG_GROUP_ARN))
    assert doc["Statement"][0]["Resource"] == [f"{LOG_GROUP_ARN}:log-stream:*"]


def test_retention_is_a_cloudwatch_logs_period() -> None:
    with pytest.raises(ValueError, match=r"AuditTrailArgs.retention_days=100: CloudWatch Logs accepts only"):
        AuditTrailArgs(bucket_name="b", kms_key_arn=KEY, retention_days=100)
    assert AuditTrailArgs(bucket_name="b", kms_key_arn=KEY).retention_days == 2192


def test_team_bucket_prefixes_are_recorded_beside_the_platform_buckets() -> None:
    def run() -> None:
        AuditTrail(
            "prod",
            AuditTrailArgs(
                bucket_name="enclave-prod-audit",
                kms_key_arn=KEY,
                data_event_bucket_arns=[DATASETS],
                data_event_name_prefixes=["prod-vision-"],
            ),
        )

    trail = capture(run).one("aws:cloudtrail/trail:Trail")
    data = next(s for s in trail["inputs"]["advancedEventSelectors"] if s["name"] != "all-management-events")
    arns = next(f for f in data["fieldSelectors"] if f["field"] == "resources.ARN")["startsWiths"]
    assert arns == [f"{DATASETS}/", "arn:aws:s3:::prod-vision-"]


@pytest.mark.parametrize("prefix", ["", "-", "prod", "p-", "PROD-vision-", "prod-vision-*"])
def test_a_prefix_that_could_select_every_bucket_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="data_event_name_prefixes"):
        AuditTrailArgs(bucket_name="b", kms_key_arn=KEY, data_event_name_prefixes=[prefix])
