"""Secrets Manager secrets (DATA-10): each encrypted with a customer key (no KmsKeyId: aws/secretsmanager), a zone's
secret (tag enclave:zone, or its name under enclave/<env>/<zone>/) with a key whose enclave aliases are its zone's,
rotation on where the secret is tagged enclave:rotation=required, and no rotation longer apart than the pack's
maxRotationDays. Read with ListSecrets only (its entries carry the key, the rotation and the tags)."""

from __future__ import annotations

import re
from typing import Any

from .context import Context

POLICY = "secrets-manager-secrets-use-zone-key"
PATH = re.compile(r"^enclave/([^/]+)/([^/]+)/")
ZONE_TAG, ROTATION_TAG = "enclave:zone", "enclave:rotation"


def read(ctx: Context) -> None:
    secrets = ctx.reader.paginate("Secrets Manager secrets", "secretsmanager", "list_secrets", "SecretList")
    ctx.live.read.add("secretsmanager")
    for s in secrets:
        ctx.live.secrets[s["ARN"]] = {
            "name": s.get("Name", ""),
            "key": s.get("KmsKeyId"),
            "rotation": bool(s.get("RotationEnabled")),
            "days": (s.get("RotationRules") or {}).get("AutomaticallyAfterDays"),
            "tags": {t["Key"]: t["Value"] for t in s.get("Tags") or []},
        }
    ctx.result.count("secrets manager secrets", len(secrets))
    ctx.progress(f"Secrets Manager: {len(secrets)} secrets")


def _zone_problem(ctx: Context, secret: dict[str, Any]) -> str | None:
    """Why the secret's key is not its zone's (the key carries an enclave alias of another zone only)."""
    match = PATH.match(secret["name"])
    zone = secret["tags"].get(ZONE_TAG) or (match.group(2) if match else None)
    key = ctx.key_for(secret["key"])
    if zone is None or key is None:
        return None
    zones = {m.group(2) for a in key.get("aliases", []) if (m := PATH.match(a.removeprefix("alias/") + "/"))}
    if zones and zone not in zones:
        return f"it is a secret of zone {zone}, encrypted with a key of zone {', '.join(sorted(zones))}"
    return None


def check(ctx: Context) -> None:
    max_days = ctx.catalog.setting(POLICY, "maxRotationDays", 90)
    for arn, secret in sorted(ctx.live.secrets.items()):
        named = f"secret {secret['name']}: "
        problem = ctx.customer_key_problem(secret["key"]) if secret["key"] else "the AWS managed key aws/secretsmanager"
        if problem:
            ctx.finding("DATA-10", arn, f"{named}encrypted with {problem}; it must use its zone's customer key")
        else:
            wrong = _zone_problem(ctx, secret)
            if wrong:
                ctx.finding("DATA-10", arn, f"{named}{wrong}")
        if secret["tags"].get(ROTATION_TAG) == "required" and not secret["rotation"]:
            ctx.finding("DATA-10", arn, f"{named}tagged {ROTATION_TAG}=required, and rotation is off")
        days = secret["days"]
        if secret["rotation"] and isinstance(days, int) and days > max_days:
            ctx.finding("DATA-10", arn, f"{named}rotates every {days} days; at most {max_days}")
