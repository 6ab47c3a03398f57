"""Whether a KMS key reference names a customer-managed key, decided from what is known: a known key id, ARN or
alias that is not an AWS managed one, or a value unknown only because it comes from a key (or alias) this stack
creates, which the property's dependencies show."""

from __future__ import annotations

from typing import Any

from . import types as t
from .model import Resource, Stack
from .values import UNKNOWN

KEY_RESOURCES = (*t.KMS_KEYS, "aws:kms/alias:Alias")


def customer_key(stack: Stack, holder: Resource, value: Any, prop: str) -> bool | None:
    """True / False, or None when the value is unknown and nothing shows where it comes from."""
    if value is UNKNOWN:
        return True if stack.sources(holder, prop, *KEY_RESOURCES) else None
    return isinstance(value, str) and bool(value) and "alias/aws/" not in value
