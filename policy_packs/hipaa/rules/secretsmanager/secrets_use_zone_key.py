"""DATA-10: every Secrets Manager secret is encrypted with a customer key (no kms_key_id means the account's
aws/secretsmanager key, which every principal of the account allowed to read the secret may use), a zone's secret
with that zone's key, each replica with a customer key of its region; and a secret whose rotation is required (tag
enclave:rotation=required, or a name the pack config lists) has a SecretRotation no longer apart than
maxRotationDays. A secret's zone: its enclave:zone tag, else its name under enclave/<env>/<zone>/. An interval the
pack cannot read (a cron expression) is a finding: say it as automatically_after_days or rate(N days)."""

import fnmatch
import re
from collections.abc import Iterator, Mapping
from typing import Any

from framework import types as t
from framework.keys import KEY_RESOURCES, customer_key
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING, UNKNOWN, as_list

ZONE_TAG, ROTATION_TAG = "enclave:zone", "enclave:rotation"
PATH = re.compile(r"^enclave/[^/]+/([^/]+)/")
RATE = re.compile(r"^rate\((\d+) (hour|hours|day|days)\)$")


def secret_zone(secret: Resource) -> str | None:
    tag = secret.tag(ZONE_TAG)
    if isinstance(tag, str):
        return tag
    name = secret.get("name")
    match = PATH.match(name) if isinstance(name, str) else None
    return match.group(1) if match else None


def _key_problem(
    stack: Stack, secret: Resource, zone: str | None, zone_keys: Mapping[str, list[str]]
) -> Finding | None:
    urn, label = secret.urn, secret.label()
    key = secret.get("kmsKeyId")
    is_customer = customer_key(stack, secret, key, "kmsKeyId") if key not in (MISSING, None, "") else False
    if is_customer is None:
        return Finding(urn, f"{label}: kms_key_id is not known yet", True)
    if not is_customer:
        return Finding(
            urn,
            f"{label}: encrypted with the AWS managed key aws/secretsmanager (kms_key_id "
            f"{'not set' if key in (MISSING, None, '') else repr(key)}); set the key of its zone",
        )
    if zone is None:
        return None
    keys = stack.sources(secret, "kmsKeyId", *KEY_RESOURCES)
    if keys:
        zones = {str(k.tag(ZONE_TAG)) if isinstance(k.tag(ZONE_TAG), str) else "(none)" for k in keys}
        if zones != {zone}:
            return Finding(
                urn,
                f"{label} (secret of zone {zone}) is encrypted with a key of zone "
                f"{', '.join(sorted(zones))}; use zone {zone}'s key",
            )
        return None
    if not any(fnmatch.fnmatchcase(str(key), p) for p in zone_keys.get(zone, [])):
        return Finding(
            urn,
            f"{label} (secret of zone {zone}) is encrypted with {key}, a key of no zone this stack or "
            f"zoneKeys names; give zone {zone} its key",
        )
    return None


def _replicas(secret: Resource) -> Iterator[Finding]:
    replicas = secret.get("replicas")
    if replicas is UNKNOWN:
        yield Finding(secret.urn, f"{secret.label()}: its replicas are not known yet", True)
        return
    for i, replica in enumerate(as_list(replicas)):
        key = replica.get("kmsKeyId", MISSING) if isinstance(replica, Mapping) else MISSING
        if key is UNKNOWN:
            continue  # a key of the stack in another region: its ARN comes later
        if not isinstance(key, str) or not key or "alias/aws/" in key:
            region = replica.get("region") if isinstance(replica, Mapping) else None
            yield Finding(
                secret.urn,
                f"{secret.label()}: replica {i} ({region}) is encrypted with "
                "aws/secretsmanager; set its kms_key_id to a customer key of that region",
            )


def interval_days(rules: Any) -> float | None:
    """Days between rotations, or None when the rules say it in a way the pack cannot read."""
    if not isinstance(rules, Mapping):
        return None
    days = rules.get("automaticallyAfterDays")
    if isinstance(days, int) and not isinstance(days, bool):
        return float(days)
    match = RATE.match(str(rules.get("scheduleExpression", "")).strip())
    if match:
        n = int(match.group(1))
        return n / 24 if match.group(2).startswith("hour") else float(n)
    return None


def _rotation(stack: Stack, secret: Resource, required: bool, max_days: int) -> Iterator[Finding]:
    urn, label = secret.urn, secret.label()
    rotations = stack.users(urn, *t.SECRETSMANAGER_ROTATION, prop="secretId")
    for rot in rotations:
        enabled = rot.get("rotationEnabled")
        rules = rot.get("rotationRules")
        if rules is UNKNOWN or enabled is UNKNOWN:
            yield Finding(rot.urn, f"{rot.label()}: its rotation rules are not known yet", True)
            continue
        if enabled is False:
            if required:
                yield Finding(rot.urn, f"{rot.label()} turns rotation off for {label}, whose rotation is required")
            continue
        days = interval_days(rules)
        if days is None:
            yield Finding(
                rot.urn,
                f"{rot.label()}: the pack cannot tell how often {label} rotates; set "
                "automatically_after_days or schedule_expression rate(N days)",
            )
        elif days > max_days:
            yield Finding(
                rot.urn, f"{rot.label()} rotates {label} every {days:g} days; at most {max_days} (maxRotationDays)"
            )
    if required and not rotations:
        yield Finding(
            urn,
            f"{label}: its rotation is required (tag {ROTATION_TAG}=required or rotationRequired) and "
            "no SecretRotation rotates it; add one with a rotation Lambda",
        )


@stack_rule(
    "secrets-manager-secrets-use-zone-key",
    "DATA-10",
    "Secrets Manager secrets are encrypted with their zone's customer key and rotated where required",
    config={
        "zoneKeys": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "default": {},
            "description": "Zone -> ARN or alias patterns of keys other stacks create for it: a secret of that zone "
            "may be encrypted with them.",
        },
        "rotationRequired": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Secret name patterns (e.g. 'enclave/prod/*/db-*') whose rotation is required, beside "
            "secrets tagged enclave:rotation=required.",
        },
        "maxRotationDays": {
            "type": "integer",
            "default": 90,
            "description": "The longest interval between rotations of a secret that rotates.",
        },
    },
    subjects=(*t.SECRETSMANAGER_SECRET, *t.SECRETSMANAGER_ROTATION),
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    zone_keys = {str(z): [str(p) for p in as_list(ps)] for z, ps in (config.get("zoneKeys") or {}).items()}
    patterns = [str(p) for p in as_list(config.get("rotationRequired"))]
    max_days = int(config.get("maxRotationDays") or 90)
    for secret in stack.of_type(*t.SECRETSMANAGER_SECRET):
        problem = _key_problem(stack, secret, secret_zone(secret), zone_keys)
        if problem:
            yield problem
        yield from _replicas(secret)
        name = secret.get("name")
        required = secret.tag(ROTATION_TAG) == "required" or (
            isinstance(name, str) and any(fnmatch.fnmatchcase(name, p) for p in patterns)
        )
        yield from _rotation(stack, secret, required, max_days)
