"""Who may use each KMS key, read off the offline synth of every shipped stack and decided from what uses
the key: a key that encrypts node volumes must admit EC2 Auto Scaling's service-linked role (or no node of
the pool ever launches: the instance fails with Client.InternalError on its encrypted root volume); a key
that encrypts the trail or a log group must admit that service; every other key admits the account (which
delegates to IAM) and nobody else. See test_wiring_deploy_order.py for the break list."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import STACKS

from .wiring import (
    BUCKET,
    KEY,
    LAUNCH_TEMPLATE,
    LOG_GROUP,
    TRAIL,
    Deployed,
    Record,
    Synth,
    action_allowed,
    deployed,
    document,
    principals,
    statements,
)

AUTOSCALING_SLR = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
# What EC2 Auto Scaling does with the key of an encrypted EBS volume it launches (EC2 Auto Scaling user
# guide, "Required AWS KMS key policy for use with encrypted volumes").
VOLUME_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
)
CLOUDTRAIL = "cloudtrail.amazonaws.com"
LOG_DELIVERY = "delivery.logs.amazonaws.com"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
BUCKET_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"

pytestmark = pytest.mark.parametrize("stack", STACKS)


def slr(p: Deployed) -> str:
    return f"arn:aws:iam::{p.account}:{AUTOSCALING_SLR}"


def root(p: Deployed) -> str:
    return f"arn:aws:iam::{p.account}:root"


def key_statements(key: Record) -> list[dict[str, Any]]:
    return [s for s in statements(document(key)) if s["Effect"] == "Allow"]


def allowed(key: Record, principal: str, action: str, need_condition: dict[str, Any] | None = None) -> bool:
    """Does the key policy let `principal` do `action` (under `need_condition`, when given; else with no
    condition that could refuse it)?"""
    for stmt in key_statements(key):
        if principal not in principals(stmt) or not action_allowed(stmt, action):
            continue
        condition = stmt.get("Condition")
        if need_condition is None and not condition:
            return True
        if need_condition is not None and condition == need_condition:
            return True
    return False


def volume_keys(p: Deployed) -> dict[str, list[str]]:
    """Key URN -> the launch templates whose block devices it encrypts."""
    out: dict[str, list[str]] = {}
    for template in p.of_type(LAUNCH_TEMPLATE):
        mappings = template["inputs"].get("blockDeviceMappings") or []
        assert mappings and all(m["ebs"]["encrypted"] == "true" for m in mappings), template["name"]
        keys = p.property_deps(template, "blockDeviceMappings", KEY)
        assert len(keys) == 1, f"{template['name']}: its volumes are encrypted with {len(keys)} keys"
        out.setdefault(keys[0]["urn"], []).append(template["name"])
    return out


def users(p: Deployed, typ: str, prop: str) -> set[str]:
    return {k["urn"] for r in p.of_type(typ) for k in p.property_deps(r, prop, KEY)}


def flow_log_bucket_keys(p: Deployed) -> set[str]:
    """Keys that encrypt (by the bucket's default SSE-KMS) a bucket VPC flow logs are delivered to by S3."""
    targets = {
        b["urn"]
        for log in p.of_type(FLOW_LOG)
        if log["inputs"].get("logDestinationType") == "s3"
        for b in p.property_deps(log, "logDestination", BUCKET)
    }
    return {
        k["urn"]
        for sse in p.of_type(BUCKET_SSE)
        if set(sse["propertyDependencies"].get("bucket", [])) & targets
        for k in p.property_deps(sse, "rules", KEY)
    }


def test_every_node_volume_key_admits_the_autoscaling_service_linked_role(synthed: Synth, stack: str) -> None:
    """Each key a launch template encrypts root volumes with lets the Auto Scaling service-linked role use it
    and create grants for AWS resources (the attached volume) only."""
    p = deployed(synthed(stack))
    used = volume_keys(p)
    # One key per zone with nodes: each pool's zone, and the platform zone's system pool of a created cluster.
    zones = {pool.zone for pool in p.cfg.node_pools}
    if p.cfg.cluster.mode == "create":
        zones |= {z.name for z in p.cfg.zones if z.zone_class == "platform"}
    assert len(used) == len(zones), f"volume keys {sorted(p.by_urn[u]['name'] for u in used)} for zones {zones}"
    grant_condition = {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    for urn, templates in used.items():
        key = p.by_urn[urn]
        missing = [a for a in VOLUME_ACTIONS if not allowed(key, slr(p), a)]
        assert missing == [], f"{key['name']} (volumes of {templates}) refuses Auto Scaling {missing}"
        assert allowed(key, slr(p), "kms:CreateGrant", grant_condition), (
            f"{key['name']} (volumes of {templates}) lets Auto Scaling create no grant for the volume"
        )
        # The grant permission is never unconditional: only for AWS resources.
        assert not allowed(key, slr(p), "kms:CreateGrant"), f"{key['name']}: unconditional CreateGrant"


def test_keys_that_encrypt_no_node_volume_do_not_admit_autoscaling(synthed: Synth, stack: str) -> None:
    """Bucket-only keys, the audit key and the Kubernetes secrets key never admit the Auto Scaling role."""
    p = deployed(synthed(stack))
    used = volume_keys(p)
    others = [k for k in p.of_type(KEY) if k["urn"] not in used]
    names = {k["name"] for k in others}
    assert {f"{stack}-audit-key", f"{stack}-eks-secrets-key"} <= names
    assert {f"{stack}-{b.name}-key" for b in p.cfg.buckets if b.dedicated_key} <= names
    admitting = [k["name"] for k in others if any(slr(p) in principals(s) for s in key_statements(k))]
    assert admitting == []


def test_key_policy_principals_per_key(synthed: Synth, stack: str) -> None:
    """Every key admits exactly: the account root (administration, delegating use to IAM policies), the
    Auto Scaling role iff it encrypts node volumes, CloudTrail iff it encrypts the trail, CloudWatch Logs of
    the region iff it encrypts a log group, the four alarm publishers iff it encrypts the alarm topic, log
    delivery iff it encrypts a bucket flow logs are delivered to (the audit bucket with immutable copies). Nobody
    else, and never '*'."""
    p = deployed(synthed(stack))
    volumes = set(volume_keys(p))
    trail = users(p, TRAIL, "kmsKeyId")
    logs = users(p, LOG_GROUP, "kmsKeyId")
    topics = users(p, "aws:sns/topic:Topic", "kmsMasterKeyId")
    flow_copies = flow_log_bucket_keys(p)
    assert trail and logs, "the trail and the log groups are encrypted with a key of the stack"
    assert len(flow_copies) == (1 if p.cfg.logging.immutable_copies and p.cfg.network.flow_logs else 0)
    wrong = {}
    for key in p.of_type(KEY):
        expected = {root(p)}
        if key["urn"] in volumes:
            expected.add(slr(p))
        if key["urn"] in trail:
            expected.add(CLOUDTRAIL)
        if key["urn"] in logs:
            expected.add(f"logs.{p.cfg.region}.amazonaws.com")
        if key["urn"] in topics:
            expected |= {"cloudwatch.amazonaws.com", "events.amazonaws.com", CLOUDTRAIL, "guardduty.amazonaws.com"}
        if key["urn"] in flow_copies:
            expected.add(LOG_DELIVERY)
        found = set().union(*(principals(s) for s in key_statements(key)))
        if found != expected:
            wrong[key["name"]] = {"missing": sorted(expected - found), "unexpected": sorted(found - expected)}
    assert wrong == {}


def test_log_delivery_uses_the_audit_key_only_for_this_accounts_flow_logs(synthed: Synth, stack: str) -> None:
    """Log delivery (the flow-log copies written to the audit bucket) may only generate data keys, and only
    when it acts for this account's logs in this region: aws:SourceAccount and aws:SourceArn (confused deputy)."""
    p = deployed(synthed(stack))
    found = [
        s for k in p.of_type(KEY) for s in key_statements(k) if LOG_DELIVERY in principals(s)
    ]  # fmt: skip
    assert len(found) == len(flow_log_bucket_keys(p))
    for stmt in found:
        assert stmt["Action"] in ("kms:GenerateDataKey*", ["kms:GenerateDataKey*"]), stmt
        assert stmt["Condition"] == {
            "StringEquals": {"aws:SourceAccount": p.account},
            "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{p.cfg.region}:{p.account}:*"},
        }, stmt


def test_only_the_account_root_administers_a_key(synthed: Synth, stack: str) -> None:
    """kms:* (and key administration: policy, deletion) goes to the account root alone, so IAM decides who
    administers; a service or the Auto Scaling role gets use, never administration."""
    p = deployed(synthed(stack))
    for key in p.of_type(KEY):
        assert allowed(key, root(p), "kms:PutKeyPolicy"), f"{key['name']}: the account cannot administer it"
        for stmt in key_statements(key):
            if root(p) in principals(stmt):
                continue
            for action in ("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey"):
                assert not action_allowed(stmt, action), f"{key['name']}: {principals(stmt)} may {action}"


SERVICE_LINKED_ROLE = "aws:iam/serviceLinkedRole:ServiceLinkedRole"


def test_keys_naming_the_autoscaling_role_wait_for_it(synthed: Synth, stack: str) -> None:
    """KMS refuses a key policy naming a principal that does not exist yet, so in a fresh account every key whose
    policy names the Auto Scaling service-linked role is created after that role (the stack creates it unless its
    file says the account has it: `autoscaling_service_linked_role: exists`)."""
    p = deployed(synthed(stack))
    naming = [k for k in p.of_type(KEY) if any(slr(p) in principals(s) for s in key_statements(k))]
    assert naming, f"{stack}: no key names the Auto Scaling role, yet the stack has node pools"
    roles = p.of_type(SERVICE_LINKED_ROLE)
    if p.cfg.autoscaling_service_linked_role == "exists":
        assert roles == [], f"{stack}: the account has the role already; creating it again fails"
        return
    assert [r["inputs"]["awsServiceName"] for r in roles] == ["autoscaling.amazonaws.com"], roles
    assert p.missing_waits(naming, roles) == []
