"""`enclave audit`'s detection checks (DETECT-04..11) against a real moto server: the compliant prod account passes
(test_audit_server.py), each live weakening of what notices is named with its resource, control and fix, GuardDuty
run by the organisation is accepted only where the pack config says so, and what cannot be read is never passed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from enclave.audit.detect_rules import NOT_AUDITED, RULES

from .conftest import MOTO_SKIP, ROOT, audit, pairs, reset
from .seed import ACCOUNT, PROD_ACCOUNT, REGION, clients, seed_stack

PARTNER = "444455556666"


def _replace_filter(logs: Any, group: str, name: str, **change: Any) -> None:
    """A filter edited in place (moto's PutMetricFilter appends a second filter of the same name where AWS replaces
    it: the old one is deleted first)."""
    f = logs.describe_metric_filters(logGroupName=group, filterNamePrefix=name)["metricFilters"][0]
    logs.delete_metric_filter(logGroupName=group, filterName=name)
    logs.put_metric_filter(
        **{
            "logGroupName": group,
            "filterName": name,
            "filterPattern": f["filterPattern"],
            "metricTransformations": f["metricTransformations"],
            **change,
        }
    )


def _weaken(endpoint: str, live: dict[str, Any]) -> dict[str, str]:
    """One live weakening per detection control (as a console edit would make it); the resources they touch."""
    c = clients(endpoint)
    topic = live["topic"]
    # DETECT-04: AWS's SNS key instead of the customer key, and another account allowed to publish
    c["sns"].set_topic_attributes(TopicArn=topic, AttributeName="KmsMasterKeyId", AttributeValue="alias/aws/sns")
    policy = json.loads(c["sns"].get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    policy["Statement"].append(
        {
            "Sid": "Partner",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
            "Action": "sns:Publish",
            "Resource": topic,
        }
    )
    c["sns"].set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(policy))
    # DETECT-05: the trail no longer notifies the topic
    c["cloudtrail"].update_trail(Name=live["trail"], SnsTopicName="")
    # DETECT-07: the refused-egress filter deleted; the large-transfer filter counts records, not bytes
    group, name = live["filters"]["prod-egress-refused-filter"]
    c["logs"].delete_metric_filter(logGroupName=group, filterName=name)
    group, name = live["filters"]["prod-large-transfer-out-filter"]
    f = c["logs"].describe_metric_filters(logGroupName=group, filterNamePrefix=name)["metricFilters"][0]
    _replace_filter(
        c["logs"], group, name, metricTransformations=[{**f["metricTransformations"][0], "metricValue": "1"}]
    )
    # DETECT-08: the datasets bucket's alarm silenced
    # (moto has no DisableAlarmActions: the alarm is put again with its actions disabled, as that call leaves it)
    alarm = c["cloudwatch"].describe_alarms(AlarmNames=[live["alarms"]["prod-undeclared-access-datasets-alarm"]])
    a = alarm["MetricAlarms"][0]
    c["cloudwatch"].put_metric_alarm(
        AlarmName=a["AlarmName"],
        MetricName=a["MetricName"],
        Namespace=a["Namespace"],
        Statistic=a["Statistic"],
        Period=a["Period"],
        EvaluationPeriods=a["EvaluationPeriods"],
        Threshold=a["Threshold"],
        ComparisonOperator=a["ComparisonOperator"],
        AlarmActions=a["AlarmActions"],
        ActionsEnabled=False,
    )
    # DETECT-09: the trail-delivery alarm deleted
    c["cloudwatch"].delete_alarms(AlarmNames=[live["alarms"]["prod-trail-delivery-stopped-alarm"]])
    # DETECT-10: the key-policy filter widened to every KMS call (reads too: an alarm on every Decrypt is ignored)
    group, name = live["filters"]["prod-kms-key-policy-changed-filter"]
    _replace_filter(c["logs"], group, name, filterPattern='{ $.eventSource = "kms.amazonaws.com" }')
    # DETECT-11: S3 protection off, and the findings rule's target removed
    c["guardduty"].update_detector(
        DetectorId=live["detector"], Features=[{"Name": "S3_DATA_EVENTS", "Status": "DISABLED"}]
    )
    rule = live["event_rules"][0]
    ids = [t["Id"] for t in c["events"].list_targets_by_rule(Rule=rule)["Targets"]]
    c["events"].remove_targets(Rule=rule, Ids=ids)
    flows = c["ec2"].describe_flow_logs()["FlowLogs"]
    # the VPC's CloudWatch flow log, the one the filters read (its S3 copy, LOG-07, has none)
    flow = next(
        f["FlowLogId"]
        for f in flows
        if f["ResourceId"] == live["vpc"] and f["LogDestinationType"] == "cloud-watch-logs"
    )
    datasets = next(b for b in live["buckets"] if b.startswith("prod-datasets-"))
    return {"topic": topic, "flow": flow, "datasets": datasets}


def test_each_weakening_of_what_notices_is_named(endpoint: str, prod: Any) -> None:
    reset(endpoint)
    live = seed_stack(prod, endpoint)
    touched = _weaken(endpoint, live)
    run = audit(endpoint, "--format", "json", *MOTO_SKIP)
    assert run.code == 1, run.stderr
    assert run.report["incomplete"] == []
    trail = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/enclave-prod"
    detector = f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/{live['detector']}"
    expected = {
        ("DETECT-04", touched["topic"]),  # AWS's key; another account may publish
        ("DETECT-05", trail),  # no SNS notification
        ("DETECT-07", touched["flow"]),  # refused egress and large transfers out no longer counted
        ("DETECT-08", touched["datasets"]),  # its alarm's actions disabled
        ("DETECT-09", trail),  # no alarm when delivery stops
        ("DETECT-10", trail),  # the key-policy filter also counts reads
        ("DETECT-11", detector),  # S3 protection off; findings reach no topic
    }
    assert pairs(run.report) == expected, sorted(pairs(run.report) ^ expected)
    messages = {f["control"]: [] for f in run.report["findings"]}
    for f in run.report["findings"]:
        assert f["level"] == "mandatory" and f["citations"] and f["message"].startswith(f["resource"] + ": ")
        assert "Fix: " in f["message"]
        messages[f["control"]].append(f["message"])
    joined = {c: " | ".join(m) for c, m in messages.items()}
    assert "AWS's SNS key" in joined["DETECT-04"] and f"account {PARTNER}" in joined["DETECT-04"]
    assert "snsTopicName" in joined["DETECT-05"]
    assert "counts REJECTs" in joined["DETECT-07"] and "sums the bytes" in joined["DETECT-07"]
    assert "KMS key policy changes" in joined["DETECT-10"] and "trail changes" not in joined["DETECT-10"]
    assert "S3 protection (S3_DATA_EVENTS)" in joined["DETECT-11"] and "EventBridge rule" in joined["DETECT-11"]
    assert len(run.report["findings"]) == 10


def test_guardduty_of_the_organisation_only_where_the_config_says_so(endpoint: str, prod: Any, tmp_path: Path) -> None:
    reset(endpoint)
    live = seed_stack(prod, endpoint)
    clients(endpoint)["guardduty"].delete_detector(DetectorId=live["detector"])
    run = audit(endpoint, "--format", "json", *MOTO_SKIP)
    cluster = f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/enclave-prod"
    assert pairs(run.report) == {("DETECT-11", cluster)} and run.code == 1
    assert "no GuardDuty detector" in run.report["findings"][0]["message"]
    text = (ROOT / "policy_packs/hipaa/config/prod.json").read_text(encoding="utf-8")
    config = json.loads(text.replace(PROD_ACCOUNT, ACCOUNT))  # the deployment roles of moto's account
    config["guardduty-detects"] = {"managedByOrganization": True, "note": "the organisation's delegated administrator"}
    path = tmp_path / "org.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    run = audit(endpoint, "--format", "json", *MOTO_SKIP, "--pack-config", str(path))
    assert run.code == 0 and run.report["findings"] == [], run.report["findings"]


def test_a_topic_alarms_and_targets_must_exist_to_notify(endpoint: str, prod: Any) -> None:
    """An alarm action, findings target or trail notification naming a deleted topic of this account notifies
    nobody: every alarm and the trail fail (the pack's preview cannot see a deletion; the audit can)."""
    reset(endpoint)
    live = seed_stack(prod, endpoint)
    clients(endpoint)["sns"].delete_topic(TopicArn=live["topic"])
    run = audit(endpoint, "--format", "json", *MOTO_SKIP)
    found = pairs(run.report)
    trail = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/enclave-prod"
    assert {c for c, _ in found} == {"DETECT-05", "DETECT-07", "DETECT-08", "DETECT-09", "DETECT-10", "DETECT-11"}
    assert ("DETECT-05", trail) in found and run.code == 1
    assert any("which is not a topic of this account" in f["message"] for f in run.report["findings"])


def test_every_detect_policy_is_audited_or_says_why() -> None:
    """A new DETECT rule in the pack must be run by the audit or named as not audited, never silently left out."""
    from enclave.audit.catalog import policy_controls

    pack = {p for p, c in policy_controls(ROOT / "policy_packs" / "hipaa").items() if c.startswith("DETECT-")}
    # DETECT-01..03 are the audit's log checks (trail.py, logs.py); DETECT-12 is Falco inside the cluster
    own = {
        p
        for p, c in policy_controls(ROOT / "policy_packs" / "hipaa").items()
        if c in ("DETECT-01", "DETECT-02", "DETECT-03", "DETECT-12")
    }
    assert pack - own == set(RULES) | set(NOT_AUDITED)
