"""RECOVER-04: a production datasets or models bucket (or a bucket nobody classified) is replicated, every object of
it, to a bucket in another region under a customer-managed key of that region.

Judged from what S3 would do with the bucket's replication rules, in every shape (aws.s3.BucketReplicationConfig,
the legacy inline `replicationConfiguration` of Bucket and the plural lists of BucketV2): some rule must be
Enabled, select the whole bucket (no prefix, tag or size filter), replicate SSE-KMS objects (S3 skips them
otherwise, and every bucket here is SSE-KMS), and name a replica key (by ARN) that is a customer key in a region
other than the bucket's. The bucket's region is its own `region` input or its provider's; a key's region is in its
ARN, or, when the ARN is not known yet, the region of the key resource it comes from. A bucket that is itself the
destination of a replication rule of the stack (a replica) is not asked to be copied again. A stack rule with no
subjects: the evidence report shows one row for the stack (and a row per bucket found), not a pass for every
checkpoints or audit bucket it does not ask anything of.
"""

from collections.abc import Iterator

from framework import buckets, replication
from framework import types as t
from framework.keys import customer_key
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING, UNKNOWN


@stack_rule(
    "s3-bucket-replicated-to-another-region",
    "RECOVER-04",
    "Production datasets and models buckets are replicated to another region under a customer key",
    config={
        "replicatedPurposes": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["datasets", "models"],
            "description": "Values of the enclave:purpose tag whose production buckets must be replicated.",
        },
        "replicatedStages": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["production"],
            "description": "Values of the enclave:stage tag (default production) whose buckets must be replicated.",
        },
        "bucketClasses": buckets.CLASSES_SCHEMA,
    },
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    purposes = set(config.get("replicatedPurposes") or [])
    stages = set(config.get("replicatedStages") or [])
    replicas = replication.destinations(stack)
    for bucket in stack.of_type(*t.BUCKET):
        purpose, stage = buckets.classify(bucket, config.get("bucketClasses"))
        if bucket.urn in replicas or not (purpose == buckets.UNCLASSIFIED or (purpose in purposes and stage in stages)):
            continue
        yield from _check_bucket(stack, bucket, purpose)


def _check_bucket(stack: Stack, bucket: Resource, purpose: str) -> Iterator[Finding]:
    held = purpose if purpose != buckets.UNCLASSIFIED else "unclassified data (no enclave:purpose tag)"
    twice = buckets.duplicated(stack, bucket, t.BUCKET_REPLICATION, replication.inline_configured(bucket))
    if twice:
        yield Finding(bucket.urn, twice)
    found = replication.rules(stack, bucket)
    if not found:
        fix = "replicate it to a bucket in another region (aws.s3.BucketReplicationConfig; backups in the stack file)"
        yield Finding(bucket.urn, f"{bucket.label()} holds {held} in one region with no copy: {fix}")
        return
    source_region = replication.region_of(bucket)
    if source_region is MISSING:
        configs = buckets.companions(stack, bucket, t.BUCKET_REPLICATION)
        source_region = next((r for r in map(replication.region_of, configs) if r is not MISSING), MISSING)
    problems: list[str] = []
    unknown: list[str] = []
    for rule in found:
        wrong, open_ = _judge(stack, rule, source_region)
        if not wrong and not open_:
            return  # one rule that copies everything, encrypted, elsewhere
        problems += wrong
        if not wrong:
            unknown += open_
    if unknown:
        yield Finding(bucket.urn, f"{bucket.label()}: whether it is replicated to another region is not known yet "
                      f"({'; '.join(unknown)})", True)  # fmt: skip
    else:
        yield Finding(bucket.urn, f"{bucket.label()} holds {held} and no replication rule copies all of it to another "
                      f"region under a customer key: {'; '.join(problems)}")  # fmt: skip


def _judge(stack: Stack, rule: replication.ReplicationRule, source_region: object) -> tuple[list[str], list[str]]:
    """(what is wrong, what is not known yet) of one rule."""
    wrong: list[str] = []
    open_: list[str] = []
    name = rule.label
    if rule.status is UNKNOWN:
        open_.append(f"{name}: status")
    elif rule.status != "Enabled":
        wrong.append(f"{name} has status {rule.status!r} (S3 ignores it); set 'Enabled'")
    scope = replication.whole_bucket(rule.scope)
    if scope is None:
        open_.append(f"{name}: filter")
    elif not scope:
        wrong.append(f"{name} selects part of the bucket (a prefix, tag or size filter); filter on nothing")
    if rule.sse_kms is UNKNOWN:
        open_.append(f"{name}: sseKmsEncryptedObjects")
    elif rule.sse_kms is not True:
        wrong.append(f"{name} does not replicate SSE-KMS objects (S3 skips them); set source_selection_criteria "
                     "sse_kms_encrypted_objects 'Enabled'")  # fmt: skip
    key = rule.key
    if key is MISSING or key is None or key == "":
        wrong.append(f"{name} names no replica key; set destination encryption_configuration replica_kms_key_id to "
                     "a customer key of the replica's region")  # fmt: skip
        return wrong, open_
    customer = customer_key(stack, rule.holder, key, rule.prop)
    if customer is None:
        open_.append(f"{name}: replica key")
        return wrong, open_
    if not customer:
        wrong.append(f"{name}: replica key {key!r} is AWS managed; name a customer-managed key")
        return wrong, open_
    key_region = replication.key_region(stack, rule.holder, key, rule.prop)
    if key_region is MISSING:
        wrong.append(f"{name}: replica key {key!r} names no region (S3 takes a key or alias ARN); name it by ARN")
    elif key_region is UNKNOWN:
        open_.append(f"{name}: the replica key's region")
    elif source_region is UNKNOWN or source_region is MISSING:
        open_.append(f"{name}: the bucket's region (neither it nor its provider names one)")
    elif key_region == source_region:
        wrong.append(f"{name}: the replica key is in {key_region}, the bucket's own region; replicate to a bucket "
                     "and key in another region")  # fmt: skip
    return wrong, open_
