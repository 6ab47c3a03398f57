"""DETECT-04..11 on the live account, judged by the pack's own rules: what the audit read becomes the resources those
rules see (inputs named as the provider names them), so a live metric filter is judged by what its pattern would
count (framework/filter_patterns.py on framework/signal_samples.py's records), a topic policy by the pack's
document evaluation, GuardDuty's features and EventBridge patterns as at preview: one judgment, two inputs."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from ..pack_catalog import PackCatalogError
from .context import Context
from .model import Incomplete

# policy -> the reads it needs; a read that failed leaves its rule unverifiable (named), never passed
RULES: dict[str, tuple[str, ...]] = {
    "alarm-topic-encrypted": ("sns",),
    "alarm-topic-publishers-scoped": ("sns",),
    "cloudtrail-notifies-alarm-topic": ("cloudtrail", "sns"),
    "denied-flows-alarmed": ("eks", "eks add-ons", "logs", "metric filters", "alarms", "sns"),
    "egress-refusals-alarmed": ("vpc", "logs", "metric filters", "alarms", "sns"),
    "large-transfers-alarmed": ("vpc", "logs", "metric filters", "alarms", "sns"),
    "artifact-access-alarmed": ("s3", "bucket tags", "cloudtrail", "logs", "metric filters", "alarms", "sns"),
    "log-delivery-alarmed": ("cloudtrail", "vpc", "logs", "metric filters", "alarms", "sns"),
    "security-changes-alarmed": ("cloudtrail", "logs", "metric filters", "alarms", "sns"),
    "guardduty-detects": ("guardduty", "events", "eks", "sns"),
}
# DETECT policies the audit does not run, and why (the pack judges them at preview)
NOT_AUDITED = {
    "mesh-drops-alarmed": "it judges each zone's namespace, a Kubernetes object the audit does not read",
}


def load_rules(pack_dir: Path) -> dict[str, Any]:
    """The pack's rule registry, imported as the engine imports the pack (its directory first on sys.path)."""
    root = pack_dir.resolve()
    for name in ("framework", "rules", "catalog"):
        module = sys.modules.get(name)
        where = Path(getattr(module, "__file__", None) or "/").resolve()
        if module is not None and root not in where.parents:
            raise PackCatalogError(
                f"--pack {pack_dir}: this process already imported another module `{name}` ({where}); run the "
                "audit in its own process"
            )
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    registry: dict[str, Any] = importlib.import_module("framework.rules").load_all("rules")
    return registry


def _resource(model: Any, typ: str, urn: str, name: str, props: dict[str, Any], **graph: Any) -> Any:
    return model.Resource(type=typ, urn=urn, name=name, props=props, **graph)


def _live_topic(ctx: Context, arn: Any) -> bool:
    """An SNS topic ARN that can notify: another account's (not ours to read), or a topic of this account that
    exists (an action or target naming a deleted topic notifies nobody)."""
    if not isinstance(arn, str) or not arn.startswith("arn:") or ":sns:" not in arn:
        return False
    parts = arn.split(":")
    mine = len(parts) > 5 and parts[4] == ctx.account and parts[3] == ctx.result.region
    return not mine or arn in ctx.live.topics


def live_stack(ctx: Context, model: Any) -> Any:
    """The account as the pack's rules see a stack."""
    live, out = ctx.live, []
    region, account, partition = ctx.result.region, ctx.account, ctx.partition
    for arn, attrs in live.topics.items():
        name = arn.rsplit(":", 1)[-1]
        props = {"name": name, "arn": arn, "policy": attrs.get("Policy")}
        if attrs.get("KmsMasterKeyId"):
            props["kmsMasterKeyId"] = attrs["KmsMasterKeyId"]
        out.append(_resource(model, "aws:sns/topic:Topic", arn, name, props))
    for arn, t in live.trails.items():
        props = {"name": t.get("Name"), "cloudWatchLogsGroupArn": t.get("CloudWatchLogsLogGroupArn")}
        if t.get("SnsTopicARN") or t.get("SnsTopicName"):
            props["snsTopicName"] = t.get("SnsTopicARN") or t.get("SnsTopicName")
        out.append(_resource(model, "aws:cloudtrail/trail:Trail", arn, str(props["name"]), props))
    for name in live.log_groups:
        out.append(_resource(model, "aws:cloudwatch/logGroup:LogGroup", name, name, {"name": name}))
    for f in live.metric_filters:
        for i, m in enumerate(f.get("metricTransformations") or [{}]):
            spec = {"name": m.get("metricName"), "namespace": m.get("metricNamespace"), "value": m.get("metricValue")}
            props = {
                "name": f.get("filterName"),
                "logGroupName": f.get("logGroupName"),
                "pattern": f.get("filterPattern", ""),
                "metricTransformation": spec,
            }
            urn = f"{f.get('logGroupName')}:metric-filter/{f.get('filterName')}" + (f"#{i}" if i else "")
            out.append(
                _resource(model, "aws:cloudwatch/logMetricFilter:LogMetricFilter", urn, str(props["name"]), props)
            )
    for a in live.alarms:
        props = {
            "metricName": a.get("MetricName"),
            "namespace": a.get("Namespace"),
            "alarmActions": [x for x in a.get("AlarmActions") or [] if _live_topic(ctx, x)],
            "actionsEnabled": a.get("ActionsEnabled", True),
            "comparisonOperator": a.get("ComparisonOperator"),
            "treatMissingData": a.get("TreatMissingData", "missing"),
        }
        out.append(_resource(model, "aws:cloudwatch/metricAlarm:MetricAlarm", a["AlarmArn"], a["AlarmName"], props))
    for vpc_id, v in live.vpcs.items():
        out.append(_resource(model, "aws:ec2/vpc:Vpc", vpc_id, vpc_id, {"cidrBlock": v.get("CidrBlock")}))
        for f in v["_flow_logs"]:
            kind = f.get("LogDestinationType", "cloud-watch-logs")
            group = f.get("LogGroupName")
            dest = f"arn:{partition}:logs:{region}:{account}:log-group:{group}" if group else f.get("LogDestination")
            props = {
                "logDestinationType": kind,
                "logDestination": dest,
                "logFormat": f.get("LogFormat"),
                "vpcId": vpc_id,
                "trafficType": f.get("TrafficType"),
            }
            fid = str(f.get("FlowLogId"))
            out.append(
                _resource(model, "aws:ec2/flowLog:FlowLog", fid, fid, props, property_dependencies={"vpcId": [vpc_id]})
            )
    for name, b in live.buckets.items():
        out.append(_resource(model, "aws:s3/bucket:Bucket", name, name, {"bucket": name, "tags": b.get("tags") or {}}))
    for name, c in live.clusters.items():
        arn = c.get("arn") or f"arn:{partition}:eks:{region}:{account}:cluster/{name}"
        out.append(_resource(model, "aws:eks/cluster:Cluster", arn, name, {"name": name}))
        for addon, d in (c.get("_addons") or {}).items():
            props = {"addonName": addon, "clusterName": name, "configurationValues": d.get("configurationValues")}
            urn = d.get("addonArn") or f"{arn}/addon/{addon}"
            out.append(_resource(model, "aws:eks/addon:Addon", urn, f"{name}/{addon}", props))
    out += _guardduty(ctx, model) + _events(ctx, model)
    return model.Stack(out)


def _guardduty(ctx: Context, model: Any) -> list[Any]:
    out = []
    for detector_id, d in ctx.live.detectors.items():
        urn = f"arn:{ctx.partition}:guardduty:{ctx.result.region}:{ctx.account}:detector/{detector_id}"
        sources = d.get("DataSources") or {}
        audit = (((sources.get("Kubernetes") or {}).get("AuditLogs") or {}).get("Status")) == "ENABLED"
        s3 = (sources.get("S3Logs") or {}).get("Status") == "ENABLED"
        props = {
            "enable": d.get("Status") == "ENABLED",
            "datasources": {"kubernetes": {"auditLogs": {"enable": audit}}, "s3Logs": {"enable": s3}},
        }
        out.append(_resource(model, "aws:guardduty/detector:Detector", urn, detector_id, props))
        for f in d.get("Features") or []:
            extra = [{"name": c.get("Name"), "status": c.get("Status")} for c in f.get("AdditionalConfiguration") or []]
            props = {"name": f.get("Name"), "status": f.get("Status"), "additionalConfigurations": extra}
            out.append(
                _resource(
                    model,
                    "aws:guardduty/detectorFeature:DetectorFeature",
                    f"{urn}/feature/{f.get('Name')}",
                    f"{detector_id}/{f.get('Name')}",
                    props,
                    dependencies=[urn],
                )
            )
    return out


def _events(ctx: Context, model: Any) -> list[Any]:
    out = []
    for arn, rule in ctx.live.event_rules.items():
        props = {"name": rule.get("Name"), "eventPattern": rule.get("EventPattern"), "state": rule.get("State")}
        out.append(_resource(model, "aws:cloudwatch/eventRule:EventRule", arn, str(rule.get("Name")), props))
        for t in rule["_targets"]:
            if not _live_topic(ctx, t.get("Arn")) and ":sns:" in str(t.get("Arn")):
                continue  # a deleted topic of this account receives nothing
            props = {"rule": rule.get("Name"), "arn": t.get("Arn")}
            out.append(
                _resource(
                    model,
                    "aws:cloudwatch/eventTarget:EventTarget",
                    f"{arn}/target/{t.get('Id')}",
                    f"{rule.get('Name')}/{t.get('Id')}",
                    props,
                    dependencies=[arn],
                )
            )
    return out


def _readable(ctx: Context) -> set[str]:
    """The kinds of read that succeeded, with the per-resource ones the rules need whole."""
    read = set(ctx.live.read)
    if all("tags" in b for b in ctx.live.buckets.values()):
        read.add("bucket tags")
    if "eks" in read and all("_addons" in c for c in ctx.live.clusters.values()):
        read.add("eks add-ons")
    return read


def check(ctx: Context) -> None:
    wanted = {p: needs for p, needs in RULES.items() if ctx.catalog.policies.get(p) not in ctx.skip}
    if not wanted or ctx.catalog.pack_dir is None:
        return
    registry = load_rules(ctx.catalog.pack_dir)
    model = importlib.import_module("framework.model")
    stack = live_stack(ctx, model)
    read = _readable(ctx)
    for policy, needs in sorted(wanted.items()):
        rule = registry.get(policy)
        if rule is None:
            raise PackCatalogError(f"the pack has no rule {policy!r}; audit with the pack of this version")
        missing = [n for n in needs if n not in read]
        if missing:
            ctx.result.add_incomplete(
                Incomplete(f"{rule.control} ({policy})", f"not judged: {', '.join(missing)} could not be read")
            )
            continue
        entry = ctx.catalog.config.get(policy)
        config = {k: v["default"] for k, v in rule.config.items() if "default" in v}
        config.update({k: v for k, v in entry.items() if k != "enforcementLevel"} if isinstance(entry, dict) else {})
        targets = [stack] if rule.stack else [r for r in stack.resources if r.type in rule.resource_types]
        for target in targets:
            for f in rule.run(target, config):
                if f.unverifiable:
                    ctx.result.add_incomplete(Incomplete(f"{rule.control} {f.urn}", f.message))
                else:
                    ctx.finding(rule.control, f.urn, f.message.rstrip("."))
    _trail_topics(ctx)


def _trail_topics(ctx: Context) -> None:
    """DETECT-05 beyond the pack's 'set': the topic a trail notifies must exist (a deleted one hears nothing)."""
    if "DETECT-05" in ctx.skip or "sns" not in ctx.live.read:
        return
    for arn, t in sorted(ctx.live.trails.items()):
        topic = t.get("SnsTopicARN")
        if topic and not _live_topic(ctx, topic):
            ctx.finding("DETECT-05", arn, f"notifies {topic}, which is not a topic of this account and region")
