"""LOG-04: every log group is encrypted with a customer key."""

from collections.abc import Iterator

from framework import types as t
from framework.keys import customer_key
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule


@stack_rule("log-groups-encrypted", "LOG-04", "Log groups are encrypted with a customer key", subjects=t.LOG_GROUP)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for group in stack.of_type(*t.LOG_GROUP):
        verdict = customer_key(stack, group, group.get("kmsKeyId"), "kmsKeyId")
        if verdict is None:
            yield Finding(group.urn, f"{group.label()}: its KMS key is not known yet", True)
        elif not verdict:
            yield Finding(group.urn, f"{group.label()} is not encrypted with a customer key; set kms_key_id")
