"""LOG-02: trail logs are encrypted with a customer key."""

from collections.abc import Iterator

from framework import types as t
from framework.keys import customer_key
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule


@stack_rule("cloudtrail-encrypted", "LOG-02", "CloudTrail logs are encrypted with a customer key", subjects=t.TRAIL)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for trail in stack.of_type(*t.TRAIL):
        verdict = customer_key(stack, trail, trail.get("kmsKeyId"), "kmsKeyId")
        if verdict is None:
            yield Finding(trail.urn, f"{trail.label()}: its KMS key is not known yet", True)
        elif not verdict:
            yield Finding(
                trail.urn, f"{trail.label()} writes unencrypted (SSE-S3) logs; set kms_key_id to a customer key"
            )
