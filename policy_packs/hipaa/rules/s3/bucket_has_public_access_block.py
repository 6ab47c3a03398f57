"""S3-03 (stack): every bucket has a public access block."""

from collections.abc import Iterator

from framework import buckets
from framework import types as t
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule


@stack_rule("s3-bucket-has-public-access-block", "S3-03", "Every bucket has a public access block", subjects=t.BUCKET)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for bucket in stack.of_type(*t.BUCKET):
        twice = buckets.duplicated(stack, bucket, t.BUCKET_PAB, False)
        if twice:
            yield Finding(bucket.urn, twice)
            continue
        if not buckets.companions(stack, bucket, t.BUCKET_PAB):
            yield Finding(bucket.urn, f"{bucket.label()} has no aws.s3.BucketPublicAccessBlock")
