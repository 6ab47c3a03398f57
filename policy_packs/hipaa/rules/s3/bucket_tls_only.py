"""S3-06: the bucket policy denies every request that does not use TLS."""

from collections.abc import Iterator

from framework import buckets
from framework import types as t
from framework.documents import statements
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN


def _denies_plain_http(found: list) -> bool:
    for s in found:
        if s.effect != "Deny" or not s.is_everyone():
            continue
        if not (s.allows("s3:GetObject") and s.allows("s3:PutObject") and s.allows("s3:ListBucket")):
            continue
        values = [str(v).lower() for v in s.condition_values("aws:SecureTransport")]
        resources = s.resources()
        if (
            "false" in values
            and any(r.endswith("/*") or r == "*" for r in resources)
            and any(not r.endswith("/*") for r in resources)
        ):
            return True
    return False


@stack_rule(
    "s3-bucket-tls-only", "S3-06", "Bucket policies deny every request that does not use TLS", subjects=t.BUCKET
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for bucket in stack.of_type(*t.BUCKET):
        docs = [statements(d) for d in buckets.policy_documents(stack, bucket)]
        if any(isinstance(d, list) and _denies_plain_http(d) for d in docs):
            continue
        if any(d is UNKNOWN for d in docs):
            yield Finding(bucket.urn, f"{bucket.label()}: its bucket policy is not known yet", True)
        elif not docs:
            yield Finding(bucket.urn, f"{bucket.label()} has no bucket policy, so plain HTTP is allowed")
        else:
            yield Finding(
                bucket.urn,
                f"{bucket.label()}: no policy statement denies s3:* on the bucket and its objects when "
                "aws:SecureTransport is false",
            )
