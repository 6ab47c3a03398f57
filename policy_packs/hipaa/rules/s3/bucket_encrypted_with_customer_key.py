"""S3-01: every bucket's default encryption is SSE-KMS with a customer key and an S3 Bucket Key; only an
S3 server-access-log destination may use SSE-S3 (log delivery supports nothing else)."""

from collections.abc import Iterator, Mapping
from typing import Any

from framework import buckets
from framework import types as t
from framework.keys import customer_key
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING, UNKNOWN, as_list


def encryption_rules(stack: Stack, bucket: Resource) -> list[tuple[Resource, Any]]:
    """(resource holding it, rule) for the bucket's encryption rules: its configuration resources' and inline."""
    out = [(c, rule) for c in buckets.companions(stack, bucket, t.BUCKET_SSE) for rule in as_list(c.get("rules"))]
    # inline on the bucket: pulumi-aws 7 sends one `rule`; older programs (and the provider's V2 state) `rules`
    for path in ("serverSideEncryptionConfiguration.rule", "serverSideEncryptionConfiguration.rules"):
        out += [(bucket, rule) for rule in as_list(bucket.get(path))]
    return out


@stack_rule(
    "s3-bucket-encrypted-with-customer-key",
    "S3-01",
    "Buckets encrypt with a customer-managed KMS key and an S3 Bucket Key",
    subjects=t.BUCKET,
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for bucket in stack.of_type(*t.BUCKET):
        found = encryption_rules(stack, bucket)
        inline = bucket.get("serverSideEncryptionConfiguration") not in (MISSING, None)
        twice = buckets.duplicated(stack, bucket, t.BUCKET_SSE, inline)
        if twice:
            yield Finding(bucket.urn, twice)
        if not found:
            yield Finding(bucket.urn, f"{bucket.label()} has no server-side encryption configuration")
            continue
        for holder, rule in found:
            yield from _check_rule(stack, bucket, holder, rule)


def _check_rule(stack: Stack, bucket: Resource, holder: Resource, rule: Any) -> Iterator[Finding]:
    default = rule.get("applyServerSideEncryptionByDefault", MISSING) if isinstance(rule, Mapping) else MISSING
    algorithm = default.get("sseAlgorithm", MISSING) if isinstance(default, Mapping) else default
    if algorithm is UNKNOWN or default is UNKNOWN:
        yield Finding(bucket.urn, f"{bucket.label()}: its encryption algorithm is not known yet", True)
        return
    if algorithm == "AES256":
        sink = buckets.is_log_destination(stack, bucket)
        if sink is None:
            yield Finding(bucket.urn, f"{bucket.label()} uses SSE-S3 and its policy is not known yet", True)
        elif not sink:
            yield Finding(
                bucket.urn,
                f"{bucket.label()} uses SSE-S3 (AES256); only the access-log destination may: use sse_algorithm "
                "'aws:kms' with a customer key",
            )
        return
    if algorithm not in ("aws:kms", "aws:kms:dsse"):
        yield Finding(bucket.urn, f"{bucket.label()}: sseAlgorithm is {algorithm!r}; use 'aws:kms'")
        return
    key = default.get("kmsMasterKeyId", MISSING) if isinstance(default, Mapping) else MISSING
    prop = "serverSideEncryptionConfiguration" if holder.type in t.BUCKET else "rules"
    customer = customer_key(stack, holder, key, prop)
    if customer is None:
        yield Finding(bucket.urn, f"{bucket.label()}: its KMS key is not known yet", True)
    elif not customer:
        shown = "not set (the AWS managed aws/s3 key)" if key is MISSING else repr(key)
        yield Finding(bucket.urn, f"{bucket.label()}: kmsMasterKeyId is {shown}; name a customer-managed key")
    bucket_key = rule.get("bucketKeyEnabled", MISSING) if isinstance(rule, Mapping) else MISSING
    if bucket_key is UNKNOWN:
        yield Finding(bucket.urn, f"{bucket.label()}: bucketKeyEnabled is not known yet", True)
    elif bucket_key is not True:
        yield Finding(bucket.urn, f"{bucket.label()}: bucketKeyEnabled is {bucket_key!r}; set it to true")
