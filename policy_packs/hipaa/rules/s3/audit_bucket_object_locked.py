"""RECOVER-01: the bucket a trail writes to is under compliance-mode object lock for the audit retention."""

from collections.abc import Iterator

from framework import buckets
from framework import types as t
from framework.log_stores import default_retention
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING, UNKNOWN


def trail_buckets(stack: Stack) -> list[Resource]:
    out = {}
    for trail in stack.of_type(*t.TRAIL):
        target = trail.get("s3BucketName")
        for bucket in stack.of_type(*t.BUCKET):
            if trail.depends_on(bucket.urn, "s3BucketName") or (
                isinstance(target, str) and target == buckets.name(bucket)
            ):
                out[bucket.urn] = bucket
    return list(out.values())


@stack_rule(
    "s3-audit-bucket-object-locked",
    "RECOVER-01",
    "The audit log store is under compliance-mode object lock",
    config={
        "minAuditRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "maximum": 36500,
            "default": 2192,
            "description": "Shortest compliance-mode retention of the audit bucket, in days.",
        }
    },
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    minimum = int(config.get("minAuditRetentionDays", 2192))
    for bucket in trail_buckets(stack):
        if bucket.get("objectLockEnabled") is not True:
            yield Finding(bucket.urn, f"{bucket.label()} receives CloudTrail logs without object_lock_enabled=True")
        locks = buckets.companions(stack, bucket, t.BUCKET_LOCK)
        inline = bucket.get("objectLockConfiguration")
        twice = buckets.duplicated(stack, bucket, t.BUCKET_LOCK, isinstance(inline, dict) and "rule" in inline)
        if twice:
            yield Finding(bucket.urn, twice)
            continue
        holders = [lock.get("rule.defaultRetention") for lock in locks] + [
            bucket.get("objectLockConfiguration.rule.defaultRetention")
        ]
        retention = [default_retention(h) for h in holders if h is not MISSING]
        if any(UNKNOWN in pair for pair in retention):
            yield Finding(bucket.urn, f"{bucket.label()}: its object lock retention is not known yet", True)
        elif not any(mode == "COMPLIANCE" and isinstance(days, int) and days >= minimum for mode, days in retention):
            shown = ", ".join(f"{m} {d} days" for m, d in retention if m is not None) or "none"
            yield Finding(
                bucket.urn,
                f"{bucket.label()}: default retention is {shown}; set COMPLIANCE for at least {minimum} days",
            )
