"""S3-10: noncurrent object versions expire and incomplete multipart uploads are aborted."""

from collections.abc import Iterator, Mapping

from framework import buckets
from framework import types as t
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING, UNKNOWN, as_list


@stack_rule("s3-bucket-lifecycle", "S3-10", "Old object versions and incomplete uploads expire", subjects=t.BUCKET)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for bucket in stack.of_type(*t.BUCKET):
        twice = buckets.duplicated(
            stack, bucket, t.BUCKET_LIFECYCLE, bucket.get("lifecycleRules") not in (MISSING, None)
        )
        if twice:
            yield Finding(bucket.urn, twice)
            continue
        rules = [
            rule
            for c in buckets.companions(stack, bucket, t.BUCKET_LIFECYCLE)
            for rule in (as_list(c.get("rules")) if c.get("rules") is not UNKNOWN else [UNKNOWN])
        ]
        if UNKNOWN in rules:
            yield Finding(bucket.urn, f"{bucket.label()}: its lifecycle rules are not known yet", True)
            continue
        enabled = [r for r in rules if isinstance(r, Mapping) and r.get("status") == "Enabled"]
        # the bucket's own (legacy) lifecycleRules: enabled flag, noncurrent expiration, abort days
        for legacy in as_list(bucket.get("lifecycleRules")):
            if isinstance(legacy, Mapping) and legacy.get("enabled") is True:
                converted = {"noncurrentVersionExpiration": legacy.get("noncurrentVersionExpiration")}
                converted["abortIncompleteMultipartUpload"] = legacy.get("abortIncompleteMultipartUploadDays")
                enabled.append({k: v for k, v in converted.items() if v})
        if not any("noncurrentVersionExpiration" in r for r in enabled):
            yield Finding(bucket.urn, f"{bucket.label()}: no enabled lifecycle rule expires noncurrent versions")
        if not any("abortIncompleteMultipartUpload" in r for r in enabled):
            yield Finding(
                bucket.urn, f"{bucket.label()}: no enabled lifecycle rule aborts incomplete multipart uploads"
            )
