"""Whether a bucket is an immutable log store (object lock in COMPLIANCE mode for at least the audit retention,
SSE-KMS with a customer key), and which bucket an S3 destination (an ARN, a name, or a dependency) names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from . import buckets
from . import types as t
from .keys import customer_key
from .model import Resource, Stack
from .values import MISSING, UNKNOWN, as_list

S3_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/.*)?$")
IMMUTABLE_BUCKETS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string"},
    "default": [],
    "description": "Names of buckets of other stacks (or accounts) vouched for as immutable log stores (object lock "
    "COMPLIANCE for the audit retention, SSE-KMS with a customer key): copies delivered there are accepted.",
}


def default_retention(default: Any) -> tuple[Any, Any]:
    """(mode, days) of an object lock default retention, given in days or in years (S3 counts a year as 365 days);
    UNKNOWN where the engine does not know it yet, None where it is absent."""
    if default is UNKNOWN or not isinstance(default, Mapping):
        return (UNKNOWN if default is UNKNOWN else None), UNKNOWN if default is UNKNOWN else None
    days, years = default.get("days", MISSING), default.get("years", MISSING)
    if UNKNOWN in (days, years):
        return default.get("mode"), UNKNOWN
    if isinstance(years, int) and not isinstance(years, bool):
        days = years * 365
    return default.get("mode"), days


def retentions(stack: Stack, bucket: Resource) -> list[tuple[Any, Any]]:
    """Every default retention the bucket declares: its lock configuration resources' and its own inline one."""
    holders = [lock.get("rule.defaultRetention") for lock in buckets.companions(stack, bucket, t.BUCKET_LOCK)]
    holders.append(bucket.get("objectLockConfiguration.rule.defaultRetention"))
    return [default_retention(h) for h in holders if h is not MISSING]


def destination_bucket(stack: Stack, holder: Resource, prop: str, value: Any) -> tuple[Resource | None, str | None]:
    """(bucket of this stack, None), (None, name of a bucket outside the stack), or (None, None) when neither the
    value nor the property's dependencies say which bucket. `value` is an S3 ARN (optionally with a folder) or a
    bucket name."""
    name: str | None = None
    if isinstance(value, str):
        match = S3_ARN.match(value)
        name = match.group(1) if match else (value if "/" not in value and ":" not in value else None)
    for bucket in stack.of_type(*t.BUCKET):
        if name is not None and buckets.name(bucket) == name:
            return bucket, None
    if value is UNKNOWN or name is None:
        found = stack.sources(holder, prop, *t.BUCKET)
        if len(found) == 1:
            return found[0], None
    return None, name


def store_problem(stack: Stack, bucket: Resource, minimum: int) -> tuple[str, bool] | None:
    """Why `bucket` is not an immutable log store, with whether that is only unknown yet; None when it is one."""
    label = bucket.label()
    if bucket.get("objectLockEnabled") is UNKNOWN:
        return f"{label}: whether object lock is enabled is not known yet", True
    inline_lock = bucket.get("objectLockConfiguration.objectLockEnabled")
    if bucket.get("objectLockEnabled") is not True and inline_lock != "Enabled":
        return f"{label} has no object lock (object_lock_enabled=True)", False
    found = retentions(stack, bucket)
    if any(UNKNOWN in pair for pair in found):
        return f"{label}: its object lock retention is not known yet", True
    if not any(mode == "COMPLIANCE" and isinstance(days, int) and days >= minimum for mode, days in found):
        shown = ", ".join(f"{m} {d} days" for m, d in found if m is not None) or "none"
        return f"{label}: its default retention is {shown}, not COMPLIANCE for at least {minimum} days", False
    return encryption_problem(stack, bucket)


def encryption_problem(stack: Stack, bucket: Resource) -> tuple[str, bool] | None:
    rules = [(c, "rules", r) for c in buckets.companions(stack, bucket, t.BUCKET_SSE) for r in as_list(c.get("rules"))]
    for path in ("serverSideEncryptionConfiguration.rule", "serverSideEncryptionConfiguration.rules"):
        rules += [(bucket, "serverSideEncryptionConfiguration", r) for r in as_list(bucket.get(path))]
    label = bucket.label()
    if not rules:
        return f"{label} has no SSE-KMS default encryption", False
    unknown = False
    for holder, prop, rule in rules:
        default = rule.get("applyServerSideEncryptionByDefault", MISSING) if isinstance(rule, Mapping) else MISSING
        algorithm = default.get("sseAlgorithm", MISSING) if isinstance(default, Mapping) else default
        if UNKNOWN in (default, algorithm):
            unknown = True
            continue
        if algorithm not in ("aws:kms", "aws:kms:dsse"):
            return f"{label} encrypts with {algorithm!r}, not SSE-KMS with a customer key", False
        key = default.get("kmsMasterKeyId", MISSING) if isinstance(default, Mapping) else MISSING
        customer = customer_key(stack, holder, key, prop)
        if customer is None:
            unknown = True
        elif not customer:
            return f"{label} encrypts with an AWS managed key ({key if key is not MISSING else 'aws/s3'})", False
    return (f"{label}: its encryption key is not known yet", True) if unknown else None
