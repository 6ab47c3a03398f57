"""LOG-05: log groups keep their events long enough: audit groups (the trail's, the EKS control plane's,
which holds the Kubernetes audit log) for the audit retention, every other group for the general minimum."""

import fnmatch
from collections.abc import Iterator

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import LOG_GROUP
from framework.values import MISSING, UNKNOWN


@resource_rule(
    "log-groups-retained",
    "LOG-05",
    "Log groups keep their events for the required time",
    LOG_GROUP,
    config={
        "minRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "default": 365,
            "description": "Shortest retention of any log group, in days.",
        },
        "minAuditRetentionDays": {
            "type": "integer",
            "minimum": 1,
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
def check(r: Resource, config: Config) -> Iterator[Finding]:
    name, days = r.get("name"), r.get("retentionInDays")
    if UNKNOWN in (name, days):
        yield Finding(r.urn, f"{r.label()}: its name or retention is not known yet", True)
        return
    audit = isinstance(name, str) and any(fnmatch.fnmatchcase(name, p) for p in config.get("auditLogGroups") or [])
    minimum = int(config.get("minAuditRetentionDays" if audit else "minRetentionDays", 365))
    if days is MISSING or days == 0:
        yield Finding(r.urn, f"{r.label()} sets no retention; set retention_in_days to at least {minimum}")
    elif not isinstance(days, int | float) or days < minimum:
        kind = "an audit log group" if audit else "a log group"
        yield Finding(r.urn, f"{r.label()} is {kind} kept {days} days; keep it at least {minimum}")
