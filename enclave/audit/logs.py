"""CloudWatch log groups: KMS (LOG-04), retention (LOG-05, audit groups longer); VPC flow logs (LOG-06)."""

from __future__ import annotations

from typing import Any

from .context import Context


def read(ctx: Context) -> None:
    r = ctx.reader
    groups = r.paginate("CloudWatch log groups", "logs", "describe_log_groups", "logGroups")
    ctx.live.read.add("logs")
    for g in groups:
        ctx.live.log_groups[g["logGroupName"]] = g
    if ctx.tags:

        def tags(g: dict[str, Any]) -> None:
            arn = g["arn"].removesuffix(":*")
            got = r.call(f"log group {g['logGroupName']}", "logs", "list_tags_for_resource", resourceArn=arn) or {}
            g["_tags"] = got.get("tags", {})

        r.each(groups, tags, lambda g: f"log group {g['logGroupName']}")
    ctx.result.count("log groups", len(groups))
    ctx.progress(f"Logs: {len(groups)} log groups")


def read_flow_logs(ctx: Context) -> None:
    r = ctx.reader
    vpcs = r.paginate("VPC flow logs", "ec2", "describe_vpcs", "Vpcs")
    flows = r.paginate("VPC flow logs", "ec2", "describe_flow_logs", "FlowLogs")
    for v in vpcs:
        ctx.live.vpcs[v["VpcId"]] = {**v, "_flow_logs": [f for f in flows if f.get("ResourceId") == v["VpcId"]]}
    ctx.live.read.add("vpc")
    ctx.result.count("vpcs", len(vpcs))
    ctx.result.count("flow logs", len(flows))


def all_traffic(v: dict[str, Any]) -> list[dict[str, Any]]:
    """A VPC's active flow logs recording ALL traffic."""
    return [
        f for f in v["_flow_logs"] if f.get("TrafficType") == "ALL" and f.get("FlowLogStatus", "ACTIVE") == "ACTIVE"
    ]


def audit_groups(ctx: Context) -> set[str]:
    """The trail's log group and every cluster's control-plane group: kept for the audit retention."""
    out = {f"/aws/eks/{name}/cluster" for name in ctx.live.clusters}
    for t in ctx.live.trails.values():
        arn = t.get("CloudWatchLogsLogGroupArn") or ""
        if ":log-group:" in arn:
            out.add(arn.split(":log-group:", 1)[1].removesuffix(":*"))
    return out


def check(ctx: Context) -> None:
    audit = audit_groups(ctx)
    for name, g in sorted(ctx.live.log_groups.items()):
        problem = ctx.customer_key_problem(g.get("kmsKeyId"))
        if problem:
            ctx.finding("LOG-04", name, f"log group is encrypted with {problem}; it must use a customer key")
        minimum = ctx.thresholds.min_audit_retention_days if name in audit else ctx.thresholds.min_retention_days
        days = g.get("retentionInDays")
        if days is not None and days < minimum:
            kind = "an audit log group" if name in audit else "a log group"
            ctx.finding("LOG-05", name, f"{kind} keeps events {days} days; it must keep them at least {minimum} days")
    for vpc_id, v in sorted(ctx.live.vpcs.items()):
        if not all_traffic(v):
            kinds = ", ".join(f.get("TrafficType", "?") for f in v["_flow_logs"]) or "none"
            ctx.finding("LOG-06", vpc_id, f"VPC flow logs recording ALL traffic: none (flow logs: {kinds}); add one")
