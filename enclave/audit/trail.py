"""CloudTrail: multi-region with validation and logging on (LOG-01), KMS (LOG-02), S3 data events on every
artifact bucket (LOG-03), streaming to CloudWatch Logs (DETECT-03)."""

from __future__ import annotations

from typing import Any

from .context import Context

ARTIFACT_PURPOSES = ("datasets", "models", "checkpoints")


def read(ctx: Context) -> None:
    r = ctx.reader
    trails = (r.call("CloudTrail trails", "cloudtrail", "describe_trails", includeShadowTrails=False) or {}).get(
        "trailList", []
    )
    ctx.live.read.add("cloudtrail")

    def detail(trail: dict[str, Any]) -> None:
        arn = trail["TrailARN"]
        check = f"CloudTrail trail {arn}"
        entry = dict(trail)
        ctx.live.trails[arn] = entry
        entry["_status"] = r.call(check, "cloudtrail", "get_trail_status", Name=arn) or {}
        entry["_selectors"] = r.call(check, "cloudtrail", "get_event_selectors", TrailName=arn) or {}
        if ctx.tags:
            got = r.call(check, "cloudtrail", "list_tags", ResourceIdList=[arn]) or {}
            tags = [t for x in got.get("ResourceTagList", []) for t in x.get("TagsList", [])]
            entry["_tags"] = {t["Key"]: t.get("Value", "") for t in tags}

    r.each(trails, detail, lambda trail: f"CloudTrail trail {trail['TrailARN']}")
    ctx.result.count("cloudtrail trails", len(trails))
    ctx.progress(f"CloudTrail: {len(trails)} trails")


def artifact_buckets(ctx: Context) -> list[str]:
    return sorted(
        n for n, b in ctx.live.buckets.items() if (b.get("tags") or {}).get("enclave:purpose") in ARTIFACT_PURPOSES
    )


def covered_prefixes(trail: dict[str, Any]) -> list[str] | None:
    """ARN prefixes whose S3 object reads and writes the trail records; None means every bucket."""
    prefixes: list[str] = []
    selectors = trail.get("_selectors", {})
    for sel in selectors.get("AdvancedEventSelectors") or []:
        fields = {f["Field"]: f for f in sel.get("FieldSelectors", [])}
        if fields.get("eventCategory", {}).get("Equals") != ["Data"]:
            continue
        if fields.get("resources.type", {}).get("Equals") != ["AWS::S3::Object"] or "readOnly" in fields:
            continue
        arn = fields.get("resources.ARN")
        if arn is None:
            return None
        prefixes += arn.get("StartsWith", []) + arn.get("Equals", [])
    for sel in selectors.get("EventSelectors") or []:
        if sel.get("ReadWriteType") != "All":
            continue
        for res in sel.get("DataResources", []):
            if res.get("Type") == "AWS::S3::Object":
                values = res.get("Values", [])
                if any(v in ("arn:aws:s3", "arn:aws:s3:::") for v in values):
                    return None
                prefixes += values
    return prefixes


def check(ctx: Context) -> None:
    trails = ctx.live.trails
    if "cloudtrail" in ctx.live.read and not trails:
        ctx.finding("LOG-01", f"account {ctx.account} {ctx.result.region}", "no CloudTrail trail records this region")
    artifacts = artifact_buckets(ctx)
    covered_by_any: set[str] = set()
    for arn, t in sorted(trails.items()):
        off = [
            k for k in ("IsMultiRegionTrail", "IncludeGlobalServiceEvents", "LogFileValidationEnabled") if not t.get(k)
        ]
        if t.get("_status") and not t["_status"].get("IsLogging"):
            off.append("logging (IsLogging)")
        if off:
            ctx.finding("LOG-01", arn, f"{', '.join(off)} off; all must be on")
        problem = ctx.customer_key_problem(t.get("KmsKeyId"))
        if problem:
            ctx.finding("LOG-02", arn, f"log files are encrypted with {problem}; they must use a customer key")
        if not t.get("CloudWatchLogsLogGroupArn"):
            ctx.finding("DETECT-03", arn, "does not stream to CloudWatch Logs; set the log group and delivery role")
        if "_selectors" not in t:
            continue
        prefixes = covered_prefixes(t)
        for bucket in artifacts:
            if prefixes is None or any(f"arn:aws:s3:::{bucket}/".startswith(p) for p in prefixes):
                covered_by_any.add(bucket)
    if trails and all("_selectors" in t for t in trails.values()):
        for bucket in artifacts:
            if bucket not in covered_by_any:
                ctx.finding(
                    "LOG-03",
                    bucket,
                    "no trail records this artifact bucket's object reads and writes; add "
                    "its ARN to an S3 data-event selector",
                )
