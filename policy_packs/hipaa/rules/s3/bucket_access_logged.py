"""S3-09: every bucket's server access logs are recorded (the access-log destination itself excepted)."""

from collections.abc import Iterator

from framework import buckets
from framework import types as t
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING


@stack_rule("s3-bucket-access-logged", "S3-09", "Every bucket's server access logs are recorded", subjects=t.BUCKET)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for bucket in stack.of_type(*t.BUCKET):
        twice = buckets.duplicated(stack, bucket, t.BUCKET_LOGGING, bucket.get("logging") not in (MISSING, None))
        if twice:
            yield Finding(bucket.urn, twice)
            continue
        if buckets.companions(stack, bucket, t.BUCKET_LOGGING) or bucket.get("logging.targetBucket") is not MISSING:
            continue
        if buckets.is_log_destination(stack, bucket):
            continue  # access logs are not delivered into their own destination
        yield Finding(bucket.urn, f"{bucket.label()} has no aws.s3.BucketLogging: its reads and writes go unrecorded")
