"""S3-03 (resource): a public access block turns on all four of its flags."""

from typing import Any

from framework.rules import Config, Expect, property_rule
from framework.types import BUCKET_PAB

FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _all_on(props: dict[str, Any], _config: Config) -> dict[str, Any]:
    return {**props, **{flag: True for flag in FLAGS}}


property_rule(
    "s3-public-access-block-flags",
    "S3-03",
    "Public access blocks turn on all four flags",
    BUCKET_PAB,
    [Expect(flag, lambda v: v is True, "true", f"Set {flag} to true.") for flag in FLAGS],
    remediate=_all_on,
)
