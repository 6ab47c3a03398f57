"""Backups (RECOVER-04), as the pack's s3-bucket-replicated-to-another-region rule decides them: a production
datasets or models bucket (or one with no enclave:purpose tag) that is not itself a replica has an Enabled
replication rule that selects the whole bucket, replicates SSE-KMS objects and names as replica key the ARN of an
enabled customer-managed key in a region other than the bucket's (described in that region; a key whose read
fails is reported incomplete, and the rule is not failed for it)."""

from __future__ import annotations

from typing import Any

from .context import Context

POLICY = "s3-bucket-replicated-to-another-region"
# GetBucketLocation's answers that are not region names
LEGACY_LOCATIONS = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}


def bucket_region(b: dict[str, Any]) -> str:
    location = b.get("location")
    return LEGACY_LOCATIONS[location] if location in LEGACY_LOCATIONS else str(location)


def _rules(b: dict[str, Any]) -> list[dict[str, Any]]:
    return list((b.get("replication") or {}).get("Rules") or [])


def replicas(ctx: Context) -> set[str]:
    """Names of the buckets some live replication rule writes to."""
    return {
        str(rule.get("Destination", {}).get("Bucket", "")).split(":::", 1)[-1]
        for b in ctx.live.buckets.values()
        for rule in _rules(b)
    }


def _setting(ctx: Context, key: str, default: list[str]) -> set[str]:
    entry = ctx.catalog.config.get(POLICY)
    value = entry.get(key) if isinstance(entry, dict) else None
    return {str(v) for v in value} if isinstance(value, list) else set(default)


def check(ctx: Context) -> None:
    purposes = _setting(ctx, "replicatedPurposes", ["datasets", "models"])
    stages = _setting(ctx, "replicatedStages", ["production"])
    copies = replicas(ctx)
    for name, b in sorted(ctx.live.buckets.items()):
        if name in copies or "replication" not in b or "tags" not in b or "location" not in b:
            continue  # a replica, or a read that failed (already incomplete)
        tags = b.get("tags") or {}
        purpose, stage = tags.get("enclave:purpose"), tags.get("enclave:stage", "production")
        if purpose is not None and not (purpose in purposes and stage in stages):
            continue
        held = purpose or "unclassified data (no enclave:purpose tag)"
        rules = _rules(b)
        if not rules:
            ctx.finding("RECOVER-04", name, f"holds {held} in one region with no replication configuration")
            continue
        problems: list[str] = []
        for rule in rules:
            wrong = _judge(ctx, rule, bucket_region(b))
            if not wrong:
                break
            problems += wrong
        else:
            ctx.finding("RECOVER-04", name, f"holds {held} and no replication rule copies all of it to another "
                        f"region under a customer key: {'; '.join(problems)}")  # fmt: skip


def _judge(ctx: Context, rule: dict[str, Any], here: str) -> list[str]:
    label = f"rule {rule.get('ID') or '(no id)'}"
    wrong: list[str] = []
    if rule.get("Status") != "Enabled":
        wrong.append(f"{label} is {rule.get('Status')}")
    scope = rule.get("Filter", {}) if "Filter" in rule else {"Prefix": rule.get("Prefix", "")}
    if set(scope) - {"Prefix"} or scope.get("Prefix"):
        wrong.append(f"{label} selects part of the bucket ({scope})")
    sse = rule.get("SourceSelectionCriteria", {}).get("SseKmsEncryptedObjects", {}).get("Status")
    if sse != "Enabled":
        wrong.append(f"{label} does not replicate SSE-KMS objects")
    key = rule.get("Destination", {}).get("EncryptionConfiguration", {}).get("ReplicaKmsKeyID")
    parts = str(key or "").split(":")
    if not key:
        wrong.append(f"{label} names no replica key")
    elif "alias/aws/" in key:
        wrong.append(f"{label}'s replica key {key} is AWS managed")
    elif not key.startswith("arn:") or len(parts) < 6:
        wrong.append(f"{label}'s replica key {key} is not an ARN")
    elif parts[3] == here:
        wrong.append(f"{label}'s replica key is in {here}, the bucket's own region")
    elif not wrong:
        problem = ctx.customer_key_problem(key)
        if problem:
            wrong.append(f"{label}'s replica key is {problem}")
    return wrong
