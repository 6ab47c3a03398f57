"""S3-04: every bucket enforces bucket-owner ownership, which disables ACLs."""

from collections.abc import Iterator

from framework import buckets
from framework import types as t
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN


@stack_rule(
    "s3-bucket-acls-disabled", "S3-04", "Buckets enforce bucket-owner ownership (ACLs disabled)", subjects=t.BUCKET
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for bucket in stack.of_type(*t.BUCKET):
        twice = buckets.duplicated(stack, bucket, t.BUCKET_OWNERSHIP, False)
        if twice:
            yield Finding(bucket.urn, twice)
            continue
        controls = buckets.companions(stack, bucket, t.BUCKET_OWNERSHIP)
        values = [c.get("rule.objectOwnership") for c in controls]
        if UNKNOWN in values:
            yield Finding(bucket.urn, f"{bucket.label()}: its object ownership is not known yet", True)
        elif "BucketOwnerEnforced" not in values:
            shown = ", ".join(repr(v) for v in values) or "no aws.s3.BucketOwnershipControls"
            yield Finding(bucket.urn, f"{bucket.label()}: object ownership is {shown}; use 'BucketOwnerEnforced'")
