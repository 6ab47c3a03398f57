"""S3-02: customer-provided keys (SSE-C) are refused by the bucket's encryption configuration."""

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list

from .bucket_encrypted_with_customer_key import encryption_rules


@stack_rule("s3-bucket-refuses-sse-c", "S3-02", "Buckets refuse customer-provided keys (SSE-C)", subjects=t.BUCKET)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for bucket in stack.of_type(*t.BUCKET):
        rules = [rule for _, rule in encryption_rules(stack, bucket)]
        blocked = [rule.get("blockedEncryptionTypes") for rule in rules if isinstance(rule, Mapping)]
        if any(b is UNKNOWN for b in blocked):
            yield Finding(bucket.urn, f"{bucket.label()}: blockedEncryptionTypes is not known yet", True)
        elif not any("SSE-C" in as_list(b) for b in blocked):
            yield Finding(bucket.urn, f"{bucket.label()} accepts SSE-C uploads; set blocked_encryption_types=['SSE-C']")
