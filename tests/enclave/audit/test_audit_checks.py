"""Checks moto's server cannot exercise (its DescribeCluster has no accessConfig, it has no access-entry API, it
drops BlockedEncryptionTypes), run on what a real account's answers hold: EKS-05 (access config), EKS-06
(cluster-admin associations), S3-02 (SSE-C blocked), DETECT-06 (the VPC CNI add-on's policy logs); and DATA-10
cases the seeded account does not hold (a zone's secret on another zone's key, rotation longer than the pack allows)."""

from __future__ import annotations

import json
from typing import Any

from enclave.audit import eks, iam, s3, secrets
from enclave.audit.catalog import load_catalog
from enclave.audit.context import Context, Thresholds
from enclave.audit.model import AuditResult
from enclave.preview import default_pack

from .conftest import ROOT
from .seed import ACCOUNT, REGION

ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
CLUSTER = f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/c"


def _context(cluster: dict[str, Any], stack: bool = False) -> Context:
    result = AuditResult(account=ACCOUNT, region=REGION)
    ctx = Context(None, load_catalog(default_pack(ROOT)), result, Thresholds(), tags=stack)  # type: ignore[arg-type]
    ctx.live.clusters["c"] = {"arn": CLUSTER, "resourcesVpcConfig": {"endpointPrivateAccess": True}, **cluster}
    ctx.live.read.add("kms")
    return ctx


def _found(ctx: Context, control: str) -> list[str]:
    return [f.message for f in ctx.result.findings if f.control == control]


def test_access_config_api_only_without_creator_bootstrap() -> None:
    ctx = _context({"accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}})
    eks.check(ctx)
    assert _found(ctx, "EKS-05") == [] and ctx.result.incomplete == []
    ctx = _context(
        {"accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": True}}
    )
    eks.check(ctx)
    messages = _found(ctx, "EKS-05")
    assert len(messages) == 2
    assert "authenticationMode is API_AND_CONFIG_MAP" in messages[0] and "bootstrap" in messages[1]
    ctx = _context({})  # no accessConfig in the answer: not verified, never passed
    eks.check(ctx)
    assert _found(ctx, "EKS-05") == []
    assert [(i.check, i.reason) for i in ctx.result.incomplete] == [
        ("EKS access config of c (EKS-05)", "eks:DescribeCluster: the answer has no accessConfig")
    ]


def test_cluster_admin_only_for_roles_or_the_stacks_admins() -> None:
    admins = {
        f"arn:aws:iam::{ACCOUNT}:role/platform-admin": [ADMIN],
        f"arn:aws:iam::{ACCOUNT}:role/by-hand": [ADMIN, VIEW],
        f"arn:aws:iam::{ACCOUNT}:user/alice": [ADMIN],
        f"arn:aws:iam::{ACCOUNT}:user/bob": [VIEW],
    }
    ctx = _context({"_admins": admins})
    eks.check(ctx)  # without a stack: only a non-role admin is a finding
    messages = _found(ctx, "EKS-06")
    assert len(messages) == 1, messages
    assert messages[0].startswith(
        f"{CLUSTER}: AmazonEKSClusterAdminPolicy is associated with arn:aws:iam::{ACCOUNT}:user/alice, which is "
        "not an IAM role"
    )
    ctx = _context({"_admins": admins}, stack=True)
    eks.check(ctx)  # with a stack, drift names the admins: check() leaves EKS-06 to it
    assert _found(ctx, "EKS-06") == []
    eks.cluster_admins(ctx, {f"arn:aws:iam::{ACCOUNT}:role/platform-admin"})
    named = sorted(m.split(" is associated with ", 1)[1].split(",", 1)[0] for m in _found(ctx, "EKS-06"))
    assert named == [f"arn:aws:iam::{ACCOUNT}:role/by-hand", f"arn:aws:iam::{ACCOUNT}:user/alice"]


def test_sse_c_blocked_by_the_encryption_configuration() -> None:
    def rule(blocked: list[str] | None) -> dict[str, Any]:
        out: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        if blocked is not None:
            out["BlockedEncryptionTypes"] = {"EncryptionType": blocked}
        return out

    ctx = _context({})
    for name, rules in (("blocked", [rule(["SSE-C"])]), ("none", [rule(None)]), ("other", [rule(["NONE"])])):
        ctx.live.buckets[name] = {"name": name, "encryption": {"Rules": rules}}
    ctx.live.buckets["unread"] = {"name": "unread"}  # its read failed: already incomplete, no finding
    s3._sse_c(ctx, "blocked", ctx.live.buckets["blocked"])
    s3._sse_c(ctx, "none", ctx.live.buckets["none"])
    s3._sse_c(ctx, "other", ctx.live.buckets["other"])
    s3._sse_c(ctx, "unread", ctx.live.buckets["unread"])
    assert sorted(f.resource for f in ctx.result.findings if f.control == "S3-02") == ["none", "other"]


def _trust_findings(*statements: dict[str, Any]) -> list[str]:
    ctx = _context({})
    ctx.live.roles["r"] = {"name": "r", "arn": f"arn:aws:iam::{ACCOUNT}:role/r", "path": "/", "max_session": 3600,
                           "trust": {"Version": "2012-10-17", "Statement": list(statements)}}  # fmt: skip
    iam.check(ctx)
    return _found(ctx, "IAM-10")


def test_any_role_whose_trust_admits_anyone_fails_iam_10() -> None:
    service = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    assert _trust_findings(service) == []
    assert _trust_findings(service, {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}) == []
    [star] = _trust_findings({**service, "Principal": "*"})
    assert "admits AWS: *" in star and "name the accounts" in star
    org = {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}
    assert _trust_findings({**service, "Principal": {"AWS": "*"}, "Condition": org}), "a condition names nobody"
    assert _trust_findings({**service, "Principal": {"AWS": "arn:aws:iam::*:root"}})
    not_principal = {"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:*"}
    [everyone] = _trust_findings(not_principal)
    assert "NotPrincipal" in everyone


def _cni_context(enable_logs: bool, pattern: str) -> Context:
    """A cluster whose vpc-cni add-on (DescribeAddon's shape) sends policy logs or not, a filter on its
    control-plane group with `pattern`, and an alarm on the filter's metric notifying a live topic."""
    values = {"enableNetworkPolicy": "true", "nodeAgent": {"enableCloudWatchLogs": str(enable_logs).lower()}}
    ctx = _context({"_addons": {"vpc-cni": {"addonName": "vpc-cni", "configurationValues": json.dumps(values)}}})
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:alarms"
    ctx.live.topics[topic] = {"KmsMasterKeyId": "alias/enclave/alarms"}
    ctx.live.log_groups["/aws/eks/c/cluster"] = {"logGroupName": "/aws/eks/c/cluster"}
    ctx.live.metric_filters = [
        {"filterName": "denied", "logGroupName": "/aws/eks/c/cluster", "filterPattern": pattern,
         "metricTransformations": [{"metricName": "denied", "metricNamespace": "Sec", "metricValue": "1"}]}
    ]  # fmt: skip
    ctx.live.alarms = [
        {"AlarmName": "denied", "AlarmArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:denied",
         "MetricName": "denied", "Namespace": "Sec", "AlarmActions": [topic],
         "ComparisonOperator": "GreaterThanOrEqualToThreshold"}
    ]  # fmt: skip
    ctx.live.read |= {"eks", "logs", "metric filters", "alarms", "sns"}
    return ctx


def test_denied_flows_alarm_on_the_cni_add_on_as_described() -> None:
    """DETECT-06, which moto cannot serve (no add-on API): the add-on's configurationValues and a live filter,
    judged by the pack's rule."""
    from enclave.audit import detect_rules

    ctx = _cni_context(True, '"PolicyVerdict: DENY"')
    detect_rules.check(ctx)
    assert _found(ctx, "DETECT-06") == [] and not [i for i in ctx.result.incomplete if "DETECT-06" in i.check]
    ctx = _cni_context(True, '"PolicyVerdict"')  # counts ACCEPT lines too: not the signal
    detect_rules.check(ctx)
    assert len(_found(ctx, "DETECT-06")) == 1 and "'PolicyVerdict: DENY'" in _found(ctx, "DETECT-06")[0]
    ctx = _cni_context(False, '"PolicyVerdict: DENY"')  # the agent sends nothing to CloudWatch
    detect_rules.check(ctx)
    assert "enableCloudWatchLogs is not 'true'" in _found(ctx, "DETECT-06")[0]
    ctx = _cni_context(True, '"PolicyVerdict: DENY"')
    del ctx.live.clusters["c"]["_addons"]  # the add-ons could not be read: not judged, never passed
    detect_rules.check(ctx)
    assert _found(ctx, "DETECT-06") == []
    assert ("DETECT-06 (denied-flows-alarmed)", "not judged: eks add-ons could not be read") in [
        (i.check, i.reason) for i in ctx.result.incomplete
    ]


def test_a_zone_secret_on_another_zone_key_or_rotated_too_rarely_fails_data_10() -> None:
    ctx = _context({})
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/inference"
    ctx.live.keys[key] = {"id": "inference", "arn": key, "manager": "CUSTOMER", "state": "Enabled",
                          "aliases": ["alias/enclave/prod/inference"]}  # fmt: skip

    def secret(name: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "key": key, "rotation": False, "days": None, "tags": {}, **extra}

    arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:"
    ctx.live.secrets = {
        arn + "ok": secret("enclave/prod/inference/token"),
        arn + "wrong-zone": secret("enclave/prod/training/token"),
        arn + "rare": secret("enclave/prod/inference/db", rotation=True, days=365),
        arn + "default": secret("ci/token", key=None),
    }
    secrets.check(ctx)
    found = {f.resource.removeprefix(arn): f.message for f in ctx.result.findings if f.control == "DATA-10"}
    assert set(found) == {"wrong-zone", "rare", "default"}, found
    assert "a secret of zone training, encrypted with a key of zone inference" in found["wrong-zone"]
    assert "every 365 days; at most 90" in found["rare"]
    assert "aws/secretsmanager" in found["default"]
