"""LOG-05: log groups keep their events long enough: audit groups for the audit retention, every other group for
the general minimum. A group is an audit group by what it holds, whatever its name: a trail of the stack delivers
to it (cloudWatchLogsGroupArn), or its name comes from an EKS cluster of the stack (the control plane's group, which
holds the Kubernetes audit log); the pack config's `auditLogGroups` patterns add groups other stacks write."""

import fnmatch
from collections.abc import Iterator

from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.types import EKS_CLUSTER, LOG_GROUP, TRAIL
from framework.values import MISSING, UNKNOWN


@stack_rule(
    "log-groups-retained",
    "LOG-05",
    "Log groups keep their events for the required time",
    subjects=LOG_GROUP,
    config={
        "minRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "maximum": 3653,
            "default": 365,
            "description": "Shortest retention of any log group, in days.",
        },
        "minAuditRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "maximum": 3653,
            "default": 2192,
            "description": "Shortest retention of audit log groups, in days (six years: the organisation's retention "
            "policy; 45 CFR 164.312(b) asks that activity be recorded, not for how long).",
        },
        "auditLogGroups": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["/aws/eks/*", "*cloudtrail*"],
            "description": "Glob patterns of log-group names that hold audit records.",
        },
    },
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    delivered = {
        u for trail in stack.of_type(*TRAIL) for u in trail.property_dependencies.get("cloudWatchLogsGroupArn", [])
    }
    for r in stack.of_type(*LOG_GROUP):
        holds_audit = r.urn in delivered or bool(stack.sources(r, "name", *EKS_CLUSTER))
        yield from _check(r, config, holds_audit)


def _check(r: Resource, config: Config, holds_audit: bool) -> Iterator[Finding]:
    name, days = r.get("name"), r.get("retentionInDays")
    if days is UNKNOWN or (name is UNKNOWN and not holds_audit):
        yield Finding(r.urn, f"{r.label()}: its name or retention is not known yet", True)
        return
    patterns = config.get("auditLogGroups") or []
    audit = holds_audit or (isinstance(name, str) and any(fnmatch.fnmatchcase(name, p) for p in patterns))
    minimum = int(config.get("minAuditRetentionDays" if audit else "minRetentionDays", 365))
    if days is MISSING or days == 0:
        yield Finding(r.urn, f"{r.label()} sets no retention; set retention_in_days to at least {minimum}")
    elif not isinstance(days, int | float) or days < minimum:
        kind = "an audit log group" if audit else "a log group"
        yield Finding(r.urn, f"{r.label()} is {kind} kept {days} days; keep it at least {minimum}")
