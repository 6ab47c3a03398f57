"""Reads of what notices (SNS topics, CloudWatch alarms and metric filters, EventBridge rules, GuardDuty detectors)
for DETECT-04..11, which enclave/audit/detect_rules.py judges with the pack's own rules."""

from __future__ import annotations

from typing import Any

from .context import Context


def read_topics(ctx: Context) -> None:
    r = ctx.reader
    topics = r.paginate("SNS topics", "sns", "list_topics", "Topics")

    def detail(topic: dict[str, Any]) -> None:
        arn = topic["TopicArn"]
        got = r.call(f"SNS topic {arn}", "sns", "get_topic_attributes", TopicArn=arn) or {}
        ctx.live.topics[arn] = dict(got.get("Attributes") or {})

    r.each(topics, detail, lambda topic: f"SNS topic {topic['TopicArn']}")
    if all(t["TopicArn"] in ctx.live.topics for t in topics):
        ctx.live.read.add("sns")
    ctx.result.count("sns topics", len(topics))
    ctx.progress(f"SNS: {len(topics)} topics")


def read_alarms(ctx: Context) -> None:
    r = ctx.reader
    ctx.live.alarms = r.paginate("CloudWatch alarms", "cloudwatch", "describe_alarms", "MetricAlarms")
    ctx.live.read.add("alarms")
    ctx.live.metric_filters = r.paginate(
        "CloudWatch metric filters", "logs", "describe_metric_filters", "metricFilters"
    )
    ctx.live.read.add("metric filters")
    ctx.result.count("metric alarms", len(ctx.live.alarms))
    ctx.result.count("metric filters", len(ctx.live.metric_filters))
    ctx.progress(f"CloudWatch: {len(ctx.live.alarms)} alarms, {len(ctx.live.metric_filters)} metric filters")


def read_event_rules(ctx: Context) -> None:
    """The default event bus's rules (where AWS services' events, GuardDuty's findings among them, arrive)."""
    r = ctx.reader
    rules = r.paginate("EventBridge rules", "events", "list_rules", "Rules")

    def targets(rule: dict[str, Any]) -> None:
        check = f"EventBridge rule {rule['Name']}"
        entry = {**rule, "_targets": r.paginate(check, "events", "list_targets_by_rule", "Targets", Rule=rule["Name"])}
        ctx.live.event_rules[rule["Arn"]] = entry

    r.each(rules, targets, lambda rule: f"EventBridge rule {rule['Name']}")
    if all(rule["Arn"] in ctx.live.event_rules for rule in rules):
        ctx.live.read.add("events")
    ctx.result.count("event rules", len(rules))


def read_detectors(ctx: Context) -> None:
    r = ctx.reader
    ids = r.paginate("GuardDuty detectors", "guardduty", "list_detectors", "DetectorIds")

    def detail(detector_id: str) -> None:
        got = r.call(f"GuardDuty detector {detector_id}", "guardduty", "get_detector", DetectorId=detector_id) or {}
        got.pop("ResponseMetadata", None)
        ctx.live.detectors[detector_id] = got

    r.each(ids, detail, lambda detector_id: f"GuardDuty detector {detector_id}")
    if all(i in ctx.live.detectors for i in ids):
        ctx.live.read.add("guardduty")
    ctx.result.count("guardduty detectors", len(ids))
    ctx.progress(f"GuardDuty: {len(ids)} detectors")
