"""S3 buckets: SSE-KMS with a customer key and a bucket key (S3-01), SSE-C blocked (S3-02), public access
block (S3-03), ownership (S3-04), versioning (S3-05), TLS only (S3-06), uploads asking for weaker or foreign
encryption refused (S3-07), nothing public (S3-08), access logging (S3-09), lifecycle rules expiring
noncurrent versions and aborting incomplete uploads (S3-10), object lock on the trail's bucket (RECOVER-01).
Replication of the production datasets and models buckets (RECOVER-04) is judged in replication.py."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from .context import Context
from .documents import MalformedPolicy, parse
from .model import Incomplete
from .session import CheckFailed

PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
SCOPING_KEYS = ("aws:SourceAccount", "aws:SourceArn", "aws:PrincipalAccount")
# (field, operation, absent error codes, response key)
READS: tuple[tuple[str, str, tuple[str, ...], str | None], ...] = (
    (
        "encryption",
        "get_bucket_encryption",
        ("ServerSideEncryptionConfigurationNotFoundError",),
        "ServerSideEncryptionConfiguration",
    ),
    ("pab", "get_public_access_block", ("NoSuchPublicAccessBlockConfiguration",), "PublicAccessBlockConfiguration"),
    ("policy", "get_bucket_policy", ("NoSuchBucketPolicy",), "Policy"),
    ("acl", "get_bucket_acl", (), "Grants"),
    ("versioning", "get_bucket_versioning", (), "Status"),
    ("ownership", "get_bucket_ownership_controls", ("OwnershipControlsNotFoundError",), "OwnershipControls"),
    ("logging", "get_bucket_logging", (), "LoggingEnabled"),
    ("tags", "get_bucket_tagging", ("NoSuchTagSet",), "TagSet"),
    ("lifecycle", "get_bucket_lifecycle_configuration", ("NoSuchLifecycleConfiguration",), "Rules"),
    ("replication", "get_bucket_replication", ("ReplicationConfigurationNotFoundError",), "ReplicationConfiguration"),
    ("location", "get_bucket_location", (), "LocationConstraint"),
)


def read(ctx: Context) -> None:
    r = ctx.reader
    buckets = r.paginate("S3 buckets", "s3", "list_buckets", "Buckets")
    ctx.live.read.add("s3")

    def detail(bucket: dict[str, Any]) -> None:
        name = bucket["Name"]
        entry: dict[str, Any] = {"name": name, "arn": f"arn:{ctx.partition}:s3:::{name}"}
        ctx.live.buckets[name] = entry
        for field, op, absent, key in READS:
            try:
                response = r.call(f"S3 bucket {name} ({field})", "s3", op, absent=absent, Bucket=name)
            except CheckFailed:  # recorded as incomplete; the bucket's other reads go on
                continue
            entry[field] = None if response is None else response.get(key) if key else response
        if isinstance(entry.get("tags"), list):
            entry["tags"] = {t["Key"]: t["Value"] for t in entry["tags"]}
        elif "tags" in entry:
            entry["tags"] = {}
        try:
            lock = r.call(
                f"S3 bucket {name} (object lock)",
                "s3",
                "get_object_lock_configuration",
                absent=("ObjectLockConfigurationNotFoundError",),
                Bucket=name,
            )
            entry["object_lock"] = (lock or {}).get("ObjectLockConfiguration")
        except CheckFailed:
            pass

    r.each(buckets, detail, lambda bucket: f"S3 bucket {bucket['Name']}")
    ctx.result.count("s3 buckets", len(buckets))
    ctx.progress(f"S3: {len(buckets)} buckets")


def log_destinations(ctx: Context) -> set[str]:
    return {b["logging"]["TargetBucket"] for b in ctx.live.buckets.values() if b.get("logging")}


def trail_buckets(ctx: Context) -> set[str]:
    return {t["S3BucketName"] for t in ctx.live.trails.values() if t.get("S3BucketName")}


def check(ctx: Context) -> None:
    destinations = log_destinations(ctx)
    audit = trail_buckets(ctx)
    evaluate = "S3-07" not in ctx.skip and ctx.catalog.evaluator is not None
    if "S3-07" not in ctx.skip and ctx.catalog.evaluator is None and ctx.live.buckets:
        ctx.result.add_incomplete(
            Incomplete("S3 bucket policies (S3-07)", "the pack has no framework/evaluator.py to evaluate them with")
        )
    for name, b in sorted(ctx.live.buckets.items()):
        _encryption(ctx, name, b, name in destinations)
        _sse_c(ctx, name, b)
        if "pab" in b:
            off = [f for f in PAB_FLAGS if not (b["pab"] or {}).get(f)]
            if off:
                ctx.finding(
                    "S3-03",
                    name,
                    f"public access block has {', '.join(off)} off (or no block at all); all four flags must be true",
                )
        if "ownership" in b:
            rules = (b["ownership"] or {}).get("Rules", [])
            modes = [x.get("ObjectOwnership") for x in rules] or ["none"]
            if modes != ["BucketOwnerEnforced"]:
                ctx.finding(
                    "S3-04",
                    name,
                    f"object ownership is {', '.join(map(str, modes))}; it must be BucketOwnerEnforced (ACLs disabled)",
                )
        if "versioning" in b and b["versioning"] != "Enabled":
            ctx.finding("S3-05", name, f"versioning is {b['versioning'] or 'never enabled'}; it must be Enabled")
        if "policy" in b:
            _policy(ctx, name, b)
            if evaluate:
                _encryption_requests(ctx, name, b["policy"], name in destinations)
        if "acl" in b:
            public = sorted({g.get("Grantee", {}).get("URI", "") for g in b["acl"] or []} & set(PUBLIC_GROUPS))
            if public:
                ctx.finding("S3-08", name, f"the ACL grants to {', '.join(public)}; remove public grants")
        if "logging" in b and not b["logging"] and name not in destinations:
            ctx.finding("S3-09", name, "server access logging is off; it must write to the access-log bucket")
        if "lifecycle" in b:
            _lifecycle(ctx, name, b["lifecycle"])
        if name in audit and "object_lock" in b:
            _object_lock(ctx, name, b["object_lock"])


def _encryption(ctx: Context, name: str, b: dict[str, Any], log_destination: bool) -> None:
    if "encryption" not in b:
        return
    rules = (b["encryption"] or {}).get("Rules", [])
    if not rules:
        ctx.finding("S3-01", name, "has no default encryption; it must be aws:kms with a customer key and a bucket key")
        return
    rule = rules[0]
    default = rule.get("ApplyServerSideEncryptionByDefault", {})
    algorithm = default.get("SSEAlgorithm")
    if log_destination and algorithm == "AES256":
        return  # S3 server access log delivery supports SSE-S3 only
    if algorithm not in ("aws:kms", "aws:kms:dsse"):
        ctx.finding("S3-01", name, f"default encryption is {algorithm}; it must be aws:kms with a customer key")
        return
    problem = ctx.customer_key_problem(default.get("KMSMasterKeyID"))
    if problem:
        ctx.finding("S3-01", name, f"default encryption uses {problem}; it must use a customer-managed key")
    if not rule.get("BucketKeyEnabled"):
        ctx.finding("S3-01", name, "the S3 Bucket Key is off; it must be on (BucketKeyEnabled true)")


def _sse_c(ctx: Context, name: str, b: dict[str, Any]) -> None:
    """S3-02 as the pack's s3-bucket-refuses-sse-c rule demands: an encryption rule blocks SSE-C."""
    if "encryption" not in b:
        return
    rules = (b["encryption"] or {}).get("Rules", [])
    blocked = {t for rule in rules for t in (rule.get("BlockedEncryptionTypes") or {}).get("EncryptionType", [])}
    if "SSE-C" not in blocked:
        ctx.finding(
            "S3-02",
            name,
            f"the encryption configuration blocks {', '.join(sorted(blocked)) or 'no encryption type'}; it must "
            "block SSE-C (BlockedEncryptionTypes)",
        )


def _policy(ctx: Context, name: str, b: dict[str, Any]) -> None:
    arn = f"arn:{ctx.partition}:s3:::{name}"
    if b["policy"] is None:
        ctx.finding(
            "S3-06",
            name,
            "has no bucket policy, so nothing denies plain-HTTP requests; add the TLS-only deny statement",
        )
        return
    try:
        statements = parse(b["policy"])
    except MalformedPolicy as exc:
        ctx.finding("S3-06", name, f"the bucket policy cannot be verified: {exc}; TLS-only is not proven")
        ctx.finding("S3-08", name, f"the bucket policy cannot be verified: {exc}; no public grant is not proven")
        return
    tls = False
    for s in statements:
        if s.effect == "Deny" and s.public and s.allows_action("s3:GetObject") and s.allows_action("s3:PutObject"):
            covers = "*" in s.resources or {arn, f"{arn}/*"} <= set(s.resources)
            if covers and "false" in [v.lower() for v in s.condition_values("aws:SecureTransport")]:
                tls = True
        if s.effect == "Allow" and s.public and not s.has_condition(*SCOPING_KEYS):
            what = ", ".join(s.actions) if s.actions else f"everything but {', '.join(s.not_actions)}"
            ctx.finding(
                "S3-08",
                name,
                f"statement {s.label()} allows {what} to Principal '*' with no "
                "aws:SourceAccount/SourceArn/PrincipalAccount condition; remove it or scope it",
            )
    if not tls:
        ctx.finding(
            "S3-06",
            name,
            "no bucket-policy statement denies s3:* on the bucket and its objects when "
            "aws:SecureTransport is false; add one",
        )


def _encryption_requests(ctx: Context, name: str, policy: Any, log_destination: bool) -> None:
    """S3-07 as the pack's rule decides it: the policy lets an upload with no encryption headers through and
    denies one asking for another algorithm, aws:kms without a key id, another account's key, or SSE-C."""
    if policy is None:
        ctx.finding("S3-07", name, "has no bucket policy refusing uploads that ask for other encryption")
        return
    try:
        doc = json.loads(policy) if isinstance(policy, str) else policy
    except ValueError:
        try:
            doc = json.loads(unquote(policy))
        except ValueError:
            doc = None
    evaluator, probes = ctx.catalog.evaluator, ctx.catalog.probes
    assert evaluator is not None  # check() calls this only with the pack's evaluator
    # the uploads the pack's s3-bucket-refuses-foreign-encryption rule asks a declared policy about
    deny = {**probes.MUST_DENY, **(probes.LOG_BUCKET_DENY if log_destination else probes.KMS_BUCKET_DENY)}
    decisions: dict[str, str] = {}
    entry = ctx.catalog.config.get("s3-bucket-refuses-foreign-encryption")
    given = entry.get("uploadProbe") if isinstance(entry, dict) else None
    for label, headers in {**probes.MUST_PASS, **deny}.items():
        # the probe the pack's rule sends: one of the bucket's own workloads, inside the data perimeter
        request = probes.request(evaluator.Request, f"arn:{ctx.partition}:s3:::{name}/probe/object", headers, given)
        try:
            if not isinstance(doc, dict) or "Statement" not in doc:
                raise ValueError("not a policy document")
            decisions[label] = "Deny" if evaluator.always_denies(doc, request) else "NotDenied"
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            ctx.finding(
                "S3-07", name, f"the bucket policy cannot be verified ({exc}); refusing other encryption is not proven"
            )
            return
    for label in probes.MUST_PASS:
        if decisions[label] == "Deny":
            ctx.finding(
                "S3-07",
                name,
                f"the policy denies {label}; deny only headers that are present and wrong (a Null: false condition)",
            )
    allowed = [label for label in deny if decisions[label] != "Deny"]
    if allowed:
        ctx.finding("S3-07", name, f"the bucket policy does not deny {'; '.join(allowed)}")


def _lifecycle(ctx: Context, name: str, rules: list[dict[str, Any]] | None) -> None:
    """S3-10 as the pack's s3-bucket-lifecycle rule demands: an enabled rule expires noncurrent versions and an
    enabled rule aborts incomplete multipart uploads."""
    enabled = [r for r in rules or [] if r.get("Status") == "Enabled"]
    if not any("NoncurrentVersionExpiration" in r for r in enabled):
        ctx.finding("S3-10", name, "no enabled lifecycle rule expires noncurrent object versions")
    if not any("AbortIncompleteMultipartUpload" in r for r in enabled):
        ctx.finding("S3-10", name, "no enabled lifecycle rule aborts incomplete multipart uploads")


def default_retention(lock: dict[str, Any]) -> tuple[str | None, int]:
    """(mode, days) of an object lock configuration's default retention (S3 counts a year as 365 days)."""
    retention = (lock.get("Rule") or {}).get("DefaultRetention") or {}
    return retention.get("Mode"), int(retention.get("Days") or 365 * int(retention.get("Years") or 0))


def _object_lock(ctx: Context, name: str, lock: dict[str, Any] | None) -> None:
    minimum = ctx.thresholds.object_lock_days
    if not lock or lock.get("ObjectLockEnabled") != "Enabled":
        ctx.finding(
            "RECOVER-01",
            name,
            f"receives CloudTrail logs without object lock; it must be COMPLIANCE for at least {minimum} days",
        )
        return
    mode, days = default_retention(lock)
    if mode != "COMPLIANCE" or days < minimum:
        ctx.finding(
            "RECOVER-01",
            name,
            f"default retention is {mode or 'none'} {days} days; it must be COMPLIANCE for at least {minimum} days",
        )
