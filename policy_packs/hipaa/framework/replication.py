"""A bucket's S3 replication rules in every shape a program can write them (BucketReplicationConfig, inline on Bucket,
the plural lists of BucketV2), normalized; and the AWS region a resource or a KMS key lives in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import buckets
from . import types as t
from .keys import KEY_RESOURCES
from .model import Resource, Stack
from .values import MISSING, UNKNOWN, as_list, get


@dataclass(frozen=True)
class ReplicationRule:
    """One replication rule: where it is written (`holder`, property `prop`) and what S3 reads of it."""

    holder: Resource
    prop: str
    status: Any
    scope: list[Any]  # filter / prefix values: every one must select the whole bucket
    sse_kms: Any  # whether SSE-KMS objects are replicated: True / False / UNKNOWN
    destination: Any  # destination bucket ARN
    key: Any  # the replica KMS key
    label: str


def _first(value: Any) -> Any:
    """The first item of a V2 plural block (a list of one), or the value itself."""
    if isinstance(value, list):
        return value[0] if value else MISSING
    return value


def _rule(holder: Resource, prop: str, rule: Any, index: int, style: str) -> ReplicationRule:
    label = f"{holder.label()} rule {index}"
    if not isinstance(rule, Mapping):
        return ReplicationRule(holder, prop, rule, [rule], rule, rule, rule, label)
    if style == "resource":
        criteria = get(rule, "sourceSelectionCriteria.sseKmsEncryptedObjects.status")
        sse = criteria if criteria in (UNKNOWN, MISSING) else criteria == "Enabled"
        destination = rule.get("destination", MISSING)
        key = get(rule, "destination.encryptionConfiguration.replicaKmsKeyId")
        scope = [rule.get("filter", MISSING), rule.get("prefix", MISSING)]
    else:
        v2 = style == "v2"
        criteria = _first(rule.get("sourceSelectionCriterias" if v2 else "sourceSelectionCriteria", MISSING))
        objects = _first(criteria.get("sseKmsEncryptedObjects", MISSING)) if isinstance(criteria, Mapping) else criteria
        sse = objects.get("enabled", MISSING) if isinstance(objects, Mapping) else objects
        destination = _first(rule.get("destinations", MISSING)) if v2 else rule.get("destination", MISSING)
        key = destination.get("replicaKmsKeyId", MISSING) if isinstance(destination, Mapping) else destination
        filters = rule.get("filters", MISSING) if v2 else rule.get("filter", MISSING)
        scope = [*(as_list(filters) if v2 and isinstance(filters, list) else [filters]), rule.get("prefix", MISSING)]
    bucket = destination.get("bucket", MISSING) if isinstance(destination, Mapping) else destination
    return ReplicationRule(holder, prop, rule.get("status", MISSING), scope, sse, bucket, key, label)


def rules(stack: Stack, bucket: Resource) -> list[ReplicationRule]:
    """Every replication rule S3 could hold for `bucket`: its BucketReplicationConfig resources' and its own inline
    ones. A `rules` value not known yet is one rule whose every part is unknown."""
    out: list[ReplicationRule] = []
    for config in buckets.companions(stack, bucket, t.BUCKET_REPLICATION):
        out += [_rule(config, "rules", r, i, "resource") for i, r in enumerate(as_list(config.get("rules")))]
    for prop, style in (("replicationConfiguration", "inline"), ("replicationConfigurations", "v2")):
        configs = bucket.get(prop)
        for config in as_list(configs) if style == "v2" else [configs]:
            if config is MISSING or config is None:
                continue
            found = config.get("rules", MISSING) if isinstance(config, Mapping) else config
            out += [_rule(bucket, prop, r, i, style) for i, r in enumerate(as_list(found))]
    return out


def inline_configured(bucket: Resource) -> bool:
    """Whether the bucket sets replication inline (legacy shapes)."""
    props = ("replicationConfiguration", "replicationConfigurations")
    return any(bucket.get(p) not in (MISSING, None, []) for p in props)


def whole_bucket(scope: list[Any]) -> bool | None:
    """Whether a rule's filter and prefix select every object: no prefix (or ''), no tag, no `and`; None: unknown."""
    verdicts: list[bool | None] = []
    for value in scope:
        if value is UNKNOWN:
            verdicts.append(None)
        elif value in (MISSING, None, "") or value == {}:
            verdicts.append(True)
        elif isinstance(value, Mapping):
            parts = [value.get(k, MISSING) for k in ("prefix", "tag", "tags", "and", "objectSizeGreaterThan",
                                                     "objectSizeLessThan")]  # fmt: skip
            if UNKNOWN in parts:
                verdicts.append(None)
            else:
                prefix, rest = parts[0], parts[1:]
                verdicts.append(prefix in (MISSING, None, "") and all(p in (MISSING, None, {}, []) for p in rest))
        else:
            verdicts.append(False)
    if False in verdicts:
        return False
    return None if None in verdicts else True


def region_of(r: Resource) -> Any:
    """The region `r` is managed in: its own `region` input (pulumi-aws 7), else its provider's; UNKNOWN when one
    of them is not known yet, MISSING when neither says (the provider takes it from the environment)."""
    own = r.get("region")
    if (isinstance(own, str) and own) or own is UNKNOWN:
        return own
    theirs = r.provider_props.get("region", MISSING)
    if (isinstance(theirs, str) and theirs) or theirs is UNKNOWN:
        return theirs
    return MISSING


def key_region(stack: Stack, holder: Resource, key: Any, prop: str) -> Any:
    """The region of a KMS key reference: named in its ARN (key or alias), or the region of the key resource an
    unknown value comes from. UNKNOWN when neither tells; MISSING for a bare key id or alias name (no region)."""
    if isinstance(key, str):
        parts = key.split(":")
        return parts[3] if key.startswith("arn:") and len(parts) > 5 and parts[3] else MISSING
    if key is UNKNOWN:
        regions = {region_of(s) for s in stack.sources(holder, prop, *KEY_RESOURCES)}
        regions.discard(MISSING)
        known = {r for r in regions if r is not UNKNOWN}
        return known.pop() if len(known) == 1 and UNKNOWN not in regions else UNKNOWN
    return MISSING


def destinations(stack: Stack) -> set[str]:
    """URNs of the buckets some replication rule of the stack writes to (by dependency or by ARN): the replicas."""
    by_arn = {f"arn:aws:s3:::{n}": b.urn for b in stack.of_type(*t.BUCKET) if (n := buckets.name(b))}
    out: set[str] = set()
    holders = [*stack.of_type(*t.BUCKET_REPLICATION), *stack.of_type(*t.BUCKET)]
    for holder in holders:
        for prop in ("rules", "replicationConfiguration", "replicationConfigurations"):
            out |= {u for u in holder.property_dependencies.get(prop, []) if u in stack.by_urn
                    and stack.by_urn[u].type in t.BUCKET and u != holder.urn}  # fmt: skip
    for source in stack.of_type(*t.BUCKET):
        for rule in rules(stack, source):
            dest = rule.destination
            if isinstance(dest, str):
                arn = dest if ":::" not in dest else "arn:aws:s3:::" + dest.split(":::", 1)[1]
                if arn in by_arn and by_arn[arn] != source.urn:
                    out.add(by_arn[arn])
    return out
