"""RECOVER-02 (buckets): `pulumi destroy` cannot empty a bucket by accident."""

from framework.rules import Expect, property_rule
from framework.types import BUCKET
from framework.values import MISSING

property_rule(
    "s3-bucket-not-force-destroyed",
    "RECOVER-02",
    "Buckets are never force-destroyed",
    BUCKET,
    [Expect("forceDestroy", lambda v: v is MISSING or v is False, "false", "Remove force_destroy (or set False).")],
)
