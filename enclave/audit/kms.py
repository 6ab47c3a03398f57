"""KMS keys: rotation (KMS-01), key policies that give kms:* only to the account (KMS-02) and keep every AWS
service's use of the key on this account's behalf (KMS-03)."""

from __future__ import annotations

from typing import Any

from .context import Context
from .documents import MalformedPolicy, Statement, parse

# KMS-03: the condition keys the pack's kms-service-use-scoped-to-account rule accepts (or kms:EncryptionContext:*)
SCOPING = ("aws:SourceAccount", "aws:SourceArn", "kms:CallerAccount", "kms:ViaService")


def read(ctx: Context) -> None:
    r = ctx.reader
    keys = r.paginate("KMS keys", "kms", "list_keys", "Keys")
    aliases = r.paginate("KMS keys", "kms", "list_aliases", "Aliases")
    ctx.live.read.add("kms")
    by_id: dict[str, list[str]] = {}
    for a in aliases:
        if a.get("TargetKeyId"):
            by_id.setdefault(a["TargetKeyId"], []).append(a["AliasName"])

    def detail(key: dict[str, Any]) -> None:
        arn = key["KeyArn"]
        check = f"KMS key {arn}"
        meta = (r.call(check, "kms", "describe_key", KeyId=arn) or {}).get("KeyMetadata", {})
        entry: dict[str, Any] = {
            "id": key["KeyId"],
            "arn": arn,
            "manager": meta.get("KeyManager"),
            "state": meta.get("KeyState"),
            "spec": meta.get("KeySpec"),
            "aliases": sorted(by_id.get(key["KeyId"], [])),
        }
        ctx.live.keys[arn] = entry
        for alias in entry["aliases"]:
            ctx.live.aliases[alias] = arn
        if entry["manager"] != "CUSTOMER" or entry["state"] != "Enabled":
            return
        rotation = r.call(check, "kms", "get_key_rotation_status", KeyId=arn)
        entry["rotation"] = bool((rotation or {}).get("KeyRotationEnabled"))
        policy = r.call(check, "kms", "get_key_policy", KeyId=arn, PolicyName="default")
        entry["policy"] = (policy or {}).get("Policy")
        if ctx.tags:
            tags = r.paginate(check, "kms", "list_resource_tags", "Tags", KeyId=arn)
            entry["tags"] = {t["TagKey"]: t["TagValue"] for t in tags}

    r.each(keys, detail, lambda key: f"KMS key {key['KeyArn']}")
    ctx.result.count("kms keys", len(keys))
    ctx.progress(f"KMS: {len(keys)} keys")


def check(ctx: Context) -> None:
    root = f"arn:{ctx.partition}:iam::{ctx.account}:root"
    for arn, key in sorted(ctx.live.keys.items()):
        if key.get("manager") != "CUSTOMER" or key.get("state") != "Enabled":
            continue
        label = arn
        named = f"key {', '.join(key['aliases'])}: " if key["aliases"] else ""
        symmetric = key.get("spec") in (None, "SYMMETRIC_DEFAULT")
        if "rotation" in key and symmetric and not key["rotation"]:
            ctx.finding("KMS-01", label, f"{named}automatic rotation is off; it must be on")
        if "policy" not in key:
            continue
        try:
            statements = parse(key["policy"])
        except MalformedPolicy as exc:
            ctx.finding("KMS-02", label, f"{named}the key policy cannot be verified: {exc}")
            continue
        for s in statements:
            if s.effect != "Allow":
                continue
            _service_scoped(ctx, label, named, s)
            admin = s.allows_action("kms:PutKeyPolicy")  # kms:*, *, kms:Put* or a NotAction that leaves it in
            principals = [p for values in s.principals.values() for p in values]
            if s.public and not s.conditions:
                ctx.finding(
                    "KMS-02",
                    label,
                    f"{named}statement {s.label()} allows {_acts(s)} to Principal '*' with no "
                    "condition; it must name principals",
                )
            elif admin and (s.not_principal or any(p != root and p != ctx.account for p in principals)):
                others = ", ".join(p for p in principals if p not in (root, ctx.account)) or "NotPrincipal"
                ctx.finding(
                    "KMS-02",
                    label,
                    f"{named}statement {s.label()} allows {_acts(s)} to {others}; only {root} may administer the key",
                )


def _service_scoped(ctx: Context, label: str, named: str, s: Statement) -> None:
    services = s.principals.get("Service", [])
    if not services:
        return
    keys = {k for block in s.conditions.values() for k in block}
    if s.has_condition(*SCOPING) or any(k.startswith("kms:encryptioncontext:") for k in keys):
        return
    ctx.finding(
        "KMS-03",
        label,
        f"{named}statement {s.label()} lets {', '.join(services)} use the key for any account; add "
        "aws:SourceAccount or an encryption-context condition naming this account",
    )


def _acts(s: Any) -> str:
    return ", ".join(s.actions) if s.actions else f"everything but {', '.join(s.not_actions)}"
