"""KMS-01: symmetric customer-managed keys rotate automatically (asymmetric and HMAC keys cannot)."""

from collections.abc import Iterator
from typing import Any

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import KMS_KEY
from framework.values import MISSING, UNKNOWN


def _rotate(props: dict[str, Any], _config: Config) -> dict[str, Any] | None:
    if props.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        return None  # asymmetric and HMAC keys cannot rotate: AWS would refuse the flag
    return {**props, "enableKeyRotation": True}


@resource_rule(
    "kms-key-rotation-enabled",
    "KMS-01",
    "Symmetric customer-managed KMS keys rotate automatically",
    KMS_KEY,
    remediate=_rotate,
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    spec = r.get("customerMasterKeySpec")
    if spec is not MISSING and spec is not UNKNOWN and spec != "SYMMETRIC_DEFAULT":
        return  # rotation exists only for symmetric encryption keys
    value = r.get("enableKeyRotation")
    if value is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: enableKeyRotation is not known yet", True)
    elif value is not True:
        yield Finding(r.urn, f"{r.label()}: enableKeyRotation is {value!r}; set enable_key_rotation=True")
