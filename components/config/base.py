"""Shared pydantic base model and constrained string types for the stack config."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Stage = Literal["staging", "production"]
ZoneClass = Literal["platform", "training", "inference", "notebooks"]

# Kubernetes namespaces that belong to the cluster or the mesh, never to a trust zone.
RESERVED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease", "istio-system", "kyverno"})

_NAME = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
_TAG_KEY = re.compile(r"^[A-Za-z0-9_ .:/=+\-@]{1,128}$")
_TAG_VALUE = re.compile(r"^[A-Za-z0-9_ .:/=+\-@]{0,256}$")
_PREFIX_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.=-]*$")
_FQDN = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class StrictModel(BaseModel):
    """Every config object: unknown keys are errors, values are immutable once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)


def _name_check(max_len: int, what: str) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) > max_len:
            raise ValueError(f"{what} is {len(value)} characters long; at most {max_len} are allowed")
        if not _NAME.match(value):
            raise ValueError(
                f"{what} must use only lowercase ASCII letters, digits and '-', "
                "start with a letter and not end with '-'"
            )
        return value

    return AfterValidator(check)


# Logical names become parts of AWS and Kubernetes names (IAM roles: 64 chars, labels: 63),
# so they are kept short enough to be combined with a prefix.
Name = Annotated[str, _name_check(24, "a name")]
Namespace = Annotated[str, _name_check(63, "a Kubernetes namespace")]
ServiceAccountName = Annotated[str, _name_check(63, "a Kubernetes service account name")]


def _check_prefix(value: str) -> str:
    if len(value) > 512:
        raise ValueError(f"a prefix is {len(value)} characters long; at most 512 are allowed")
    if value.startswith("/") or value.endswith("/"):
        raise ValueError("a prefix must not start or end with '/' (write 'datasets/v1', not '/datasets/v1/')")
    for segment in value.split("/"):
        if segment in {"", ".", ".."} or not _PREFIX_SEGMENT.match(segment):
            raise ValueError(
                "a prefix is '/'-separated segments of letters, digits, '_', '.', '=' and '-' "
                "(no empty, '.' or '..' segments, no wildcards)"
            )
    return value


S3Prefix = Annotated[str, AfterValidator(_check_prefix)]


def _check_fqdn(value: str) -> str:
    if len(value) > 253 or not _FQDN.match(value):
        raise ValueError("a host must be a lowercase DNS name such as 'pypi.org' or '*.example.com'")
    return value


Fqdn = Annotated[str, AfterValidator(_check_fqdn)]


def _check_cidr(value: str) -> str:
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"not an IP network in CIDR notation with host bits zero ({exc})") from None
    return str(net)


Cidr = Annotated[str, AfterValidator(_check_cidr)]


def _check_ipv4(value: str) -> str:
    if ipaddress.ip_network(value).version != 4:
        raise ValueError(
            "must be an IPv4 network: the VPC, its nodes and the API endpoint have IPv4 addresses only, and the "
            "resource this becomes takes IPv4 (an IPv6 CIDR there is refused by AWS)"
        )
    return value


# A CIDR that becomes an IPv4-only argument (a security group rule's cidr_ipv4, a route's destination_cidr_block).
Ipv4Cidr = Annotated[str, AfterValidator(_check_cidr), AfterValidator(_check_ipv4)]


def _check_private_route(value: str) -> str:
    net = ipaddress.ip_network(value)
    if net.prefixlen == 0:
        raise ValueError("a default route is never allowed: list the company networks the VPC may reach")
    if not is_private_cidr(value):
        raise ValueError(
            "routes go to private networks only (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7); a public "
            "range would route internet addresses off the VPC"
        )
    return value


PrivateRoute = Annotated[
    str, AfterValidator(_check_cidr), AfterValidator(_check_ipv4), AfterValidator(_check_private_route)
]


def _check_tags(value: dict[str, str]) -> dict[str, str]:
    for key, val in value.items():
        if key.lower().startswith("aws:"):
            raise ValueError(f"tag key {key!r} uses the reserved 'aws:' prefix")
        if not _TAG_KEY.match(key):
            raise ValueError(f"tag key {key[:40]!r} must be 1-128 letters, digits, spaces or _.:/=+-@")
        if not _TAG_VALUE.match(val):
            raise ValueError(f"tag value of {key!r} must be at most 256 letters, digits, spaces or _.:/=+-@")
    return value


Tags = Annotated[dict[str, str], AfterValidator(_check_tags), Field(max_length=40)]

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def _check_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise ValueError(f"CloudWatch Logs accepts only these retention periods (days): {allowed}")
    return value


LogRetentionDays = Annotated[int, AfterValidator(_check_retention)]


def is_private_cidr(cidr: str) -> bool:
    """True when the whole network lies in private (RFC 1918 / ULA) address space."""
    net = ipaddress.ip_network(cidr)
    return net.is_private and net.prefixlen > 0
