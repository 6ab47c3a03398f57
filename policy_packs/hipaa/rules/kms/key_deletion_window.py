"""RECOVER-03: a key scheduled for deletion waits long enough to be recovered."""

from collections.abc import Iterator

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import KMS_KEYS
from framework.values import MISSING, UNKNOWN

AWS_DEFAULT_DAYS = 30


@resource_rule(
    "kms-key-deletion-window",
    "RECOVER-03",
    "KMS keys wait at least the minimum window before deletion",
    KMS_KEYS,
    config={
        "minDeletionWindowDays": {
            "type": "integer",
            "minimum": 7,
            "maximum": 30,
            "default": 30,
            "description": "Shortest pending-deletion window allowed, in days.",
        }
    },
)
def check(r: Resource, config: Config) -> Iterator[Finding]:
    minimum = int(config.get("minDeletionWindowDays", AWS_DEFAULT_DAYS))
    days = r.get("deletionWindowInDays")
    if days is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: deletionWindowInDays is not known yet", True)
    elif days is not MISSING and (not isinstance(days, int | float) or days < minimum):
        yield Finding(r.urn, f"{r.label()}: deletionWindowInDays is {days!r}; set it to at least {minimum}")
