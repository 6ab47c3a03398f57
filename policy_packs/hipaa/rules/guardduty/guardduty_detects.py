"""DETECT-11: GuardDuty watches the cluster and the data: a detector that is on, with EKS audit-log monitoring,
EKS runtime monitoring with GuardDuty managing its agent add-on (EKS_RUNTIME_MONITORING, or RUNTIME_MONITORING,
with EKS_ADDON_MANAGEMENT), and S3 protection (features, or the detector's legacy datasources where they exist),
and an EventBridge rule that matches GuardDuty findings with a target that is an SNS topic. A stack with an EKS
cluster and no detector fails on the cluster (a stack of roles alone has nothing for GuardDuty to watch). Where the
organisation's delegated administrator runs GuardDuty for the account, the pack config says so
(managedByOrganization, with a note) and the stack needs none of it."""

import json
from collections.abc import Iterator
from typing import Any

from framework import types as t
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list

FINDING = {"source": "aws.guardduty", "detail-type": "GuardDuty Finding", "detail": {"severity": 8.0}}
RUNTIME = ("EKS_RUNTIME_MONITORING", "RUNTIME_MONITORING")


def _features(stack: Stack, detector: Resource) -> dict[str, Resource]:
    return {
        str(f.get("name")): f
        for f in stack.of_type(*t.GUARDDUTY_FEATURE)
        if f.depends_on(detector.urn) and f.get("status") == "ENABLED"
    }


def _legacy(detector: Resource, path: str) -> bool:
    return detector.get(path) is True


def _matches(pattern: Any, event: Any) -> bool:
    """EventBridge's matching for what a findings rule uses: value lists, prefix matchers, nested objects."""
    if not isinstance(pattern, dict):
        return False
    for key, want in pattern.items():
        got = event.get(key) if isinstance(event, dict) else None
        if isinstance(want, dict):
            if not _matches(want, got):
                return False
            continue
        ok = False
        for w in as_list(want):
            if isinstance(w, dict) and "prefix" in w:
                ok = ok or (isinstance(got, str) and got.startswith(str(w["prefix"])))
            elif isinstance(w, dict) and "exists" in w:
                ok = ok or ((got is not None) == bool(w["exists"]))
            elif isinstance(w, dict) and "numeric" in w:
                ok = ok or isinstance(got, int | float)
            else:
                ok = ok or w == got
        if not ok:
            return False
    return True


def _routes_findings(stack: Stack) -> bool | None:
    unknown = False
    for rule in stack.of_type(*t.EVENT_RULE):
        raw = rule.get("eventPattern")
        if raw is UNKNOWN:
            unknown = True
            continue
        try:
            pattern = json.loads(raw) if isinstance(raw, str) else None
        except ValueError:
            continue
        if not _matches(pattern, FINDING) or rule.get("state") == "DISABLED" or rule.get("isEnabled") is False:
            continue
        for target in stack.of_type(*t.EVENT_TARGET):
            if not (target.depends_on(rule.urn) or target.get("rule") == rule.get("name")):
                continue
            arn = target.get("arn")
            if (isinstance(arn, str) and ":sns:" in arn) or any(
                target.depends_on(topic.urn, "arn") for topic in stack.of_type(*t.SNS_TOPIC)
            ):
                return True
            unknown = unknown or arn is UNKNOWN
    return None if unknown else False


@stack_rule(
    "guardduty-detects",
    "DETECT-11",
    "GuardDuty watches EKS audit logs, runtime and S3, and its findings reach the alarm topic",
    config={
        "managedByOrganization": {
            "type": "boolean",
            "default": False,
            "description": "GuardDuty is run for this account by the organisation's delegated administrator (with "
            "EKS audit logs, runtime monitoring and S3 protection, findings routed to the security team): say so "
            "with a note, and the stack needs no detector of its own.",
        }
    },
    subjects=(*t.GUARDDUTY_DETECTOR, *t.EKS_CLUSTER),
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    if config.get("managedByOrganization"):
        return
    detectors = stack.of_type(*t.GUARDDUTY_DETECTOR)
    if not detectors:
        for cluster in stack.of_type(*t.EKS_CLUSTER):
            yield Finding(
                cluster.urn,
                f"{cluster.label()}: the stack has no GuardDuty detector to watch its audit logs and runtime "
                "(components.aws.guardduty), or set managedByOrganization with a note",
            )
        return
    for d in detectors:
        if d.get("enable") is False:
            yield Finding(d.urn, f"{d.label()} is disabled")
            continue
        features = _features(stack, d)
        missing = []
        if "EKS_AUDIT_LOGS" not in features and not _legacy(d, "datasources.kubernetes.auditLogs.enable"):
            missing.append("EKS audit-log monitoring (EKS_AUDIT_LOGS)")
        if "S3_DATA_EVENTS" not in features and not _legacy(d, "datasources.s3Logs.enable"):
            missing.append("S3 protection (S3_DATA_EVENTS)")
        runtime = [features[n] for n in RUNTIME if n in features]
        managed = any(
            isinstance(c, dict) and c.get("name") == "EKS_ADDON_MANAGEMENT" and c.get("status") == "ENABLED"
            for f in runtime
            for c in as_list(f.get("additionalConfigurations"))
        )
        if not managed:
            missing.append("EKS runtime monitoring with its agent add-on managed (EKS_ADDON_MANAGEMENT)")
        if missing:
            yield Finding(d.urn, f"{d.label()} lacks {'; '.join(missing)}")
        routed = _routes_findings(stack)
        if routed is None:
            yield Finding(
                d.urn, f"{d.label()}: whether an EventBridge rule sends its findings to a topic is not known yet", True
            )
        elif not routed:
            yield Finding(d.urn, f"{d.label()}: no enabled EventBridge rule sends GuardDuty findings to an SNS topic")
