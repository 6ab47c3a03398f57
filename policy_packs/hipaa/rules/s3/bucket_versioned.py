"""S3-05: every bucket keeps object versions."""

from collections.abc import Iterator

from framework import buckets
from framework import types as t
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING, UNKNOWN


@stack_rule("s3-bucket-versioned", "S3-05", "Buckets keep every object version", subjects=t.BUCKET)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for bucket in stack.of_type(*t.BUCKET):
        statuses = [
            v.get("versioningConfiguration.status") for v in buckets.companions(stack, bucket, t.BUCKET_VERSIONING)
        ]
        if bucket.get("versioning.enabled") is True:
            statuses.append("Enabled")
        twice = buckets.duplicated(stack, bucket, t.BUCKET_VERSIONING, bucket.get("versioning") not in (MISSING, None))
        if twice:
            yield Finding(bucket.urn, twice)
            continue
        if UNKNOWN in statuses:
            yield Finding(bucket.urn, f"{bucket.label()}: its versioning status is not known yet", True)
        elif "Enabled" not in statuses:
            shown = ", ".join(repr(s) for s in statuses) or "no aws.s3.BucketVersioning"
            yield Finding(bucket.urn, f"{bucket.label()}: versioning is {shown}; set status 'Enabled'")
