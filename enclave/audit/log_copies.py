"""Immutable copies of the logs (LOG-07) and their delivery streams' encryption (LOG-08), as the pack's
log-copies-immutable and firehose-streams-encrypted rules decide them, on what is live: every logging EKS cluster's
control-plane group (/aws/eks/<cluster>/cluster) has a subscription filter with an empty pattern into a Firehose
stream that delivers to S3, and every VPC has an ALL-traffic flow log delivered (to S3, to Firehose, or to a
subscribed log group) to a bucket with object lock COMPLIANCE for at least the audit retention and SSE-KMS with a
customer key; every Firehose stream encrypts what it buffers with a customer key (unless a Kinesis or MSK stream is
its source) and writes S3 objects under a customer key. Keys are judged live (an AWS managed, disabled or missing key
fails); a read that failed leaves its path unjudged (already incomplete), never passed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from .context import Context
from .logs import all_traffic
from .s3 import default_retention

COPY_POLICY = "log-copies-immutable"
STREAM_ARN = re.compile(r"^arn:aws[a-z-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream/(.+)$")
S3_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::([^/]+)(/.*)?$")
LOG_GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:([^:]+)(:\*)?$")
S3_DESCRIPTIONS = ("ExtendedS3DestinationDescription", "S3DestinationDescription")
SOURCED = ("KinesisStreamAsSource", "MSKAsSource")  # Firehose refuses server-side encryption for these
OK: str | None = None  # a path that reaches an immutable store
UNREAD = ""  # a path whose read failed: not judged (the failure is already listed as incomplete)


def read_streams(ctx: Context) -> None:
    """Every Firehose delivery stream of the region, described (ListDeliveryStreams has no paginator)."""
    r = ctx.reader
    names: list[str] = []
    start: dict[str, str] = {}
    while True:
        page = r.call("Firehose delivery streams", "firehose", "list_delivery_streams", **start) or {}
        got = [str(n) for n in page.get("DeliveryStreamNames") or []]
        names += got
        if not page.get("HasMoreDeliveryStreams") or not got:
            break
        start = {"ExclusiveStartDeliveryStreamName": got[-1]}

    def detail(name: str) -> None:
        got = r.call(f"Firehose stream {name}", "firehose", "describe_delivery_stream", DeliveryStreamName=name) or {}
        description = dict(got.get("DeliveryStreamDescription") or {})
        ctx.live.streams[str(description.get("DeliveryStreamARN") or name)] = description

    r.each(names, detail, lambda name: f"Firehose stream {name}")
    if len(ctx.live.streams) == len(names):
        ctx.live.read.add("firehose")
    ctx.result.count("firehose delivery streams", len(names))
    ctx.progress(f"Firehose: {len(names)} delivery streams")


def _enabled_log_types(cluster: dict[str, Any]) -> list[str]:
    return [t for s in cluster.get("logging", {}).get("clusterLogging", []) if s.get("enabled") for t in s["types"]]


def _flow_group(flow: dict[str, Any]) -> str | None:
    """The log group a CloudWatch Logs flow log writes to (LogGroupName, or the group ARN of LogDestination)."""
    match = LOG_GROUP_ARN.match(str(flow.get("LogDestination") or ""))
    return flow.get("LogGroupName") or (match.group(1) if match else None)


def copied_groups(ctx: Context) -> set[str]:
    """The log groups whose subscriptions LOG-07 follows: logging clusters' control-plane groups and the groups
    ALL-traffic flow logs write to."""
    out = {f"/aws/eks/{name}/cluster" for name, c in ctx.live.clusters.items() if c and _enabled_log_types(c)}
    for v in ctx.live.vpcs.values():
        out |= {g for f in all_traffic(v) if f.get("LogDestinationType", "cloud-watch-logs") == "cloud-watch-logs"
                if (g := _flow_group(f))}  # fmt: skip
    return out


def read_subscriptions(ctx: Context) -> None:
    """The subscription filters of the groups LOG-07 follows (after the clusters, flow logs and groups are read)."""
    r = ctx.reader
    groups = sorted(g for g in copied_groups(ctx) if g in ctx.live.log_groups)

    def detail(group: str) -> None:
        check = f"subscription filters of {group}"
        found = r.paginate(check, "logs", "describe_subscription_filters", "subscriptionFilters", logGroupName=group)
        ctx.live.subscriptions[group] = found

    r.each(groups, detail, lambda group: f"subscription filters of {group}")
    ctx.result.count("subscription filters", sum(len(f) for f in ctx.live.subscriptions.values()))


def bucket_name(value: Any) -> str | None:
    """The bucket an S3 ARN (optionally with a folder) or a bare bucket name names."""
    if not isinstance(value, str) or not value:
        return None
    match = S3_ARN.match(value)
    return match.group(1) if match else (value if "/" not in value and ":" not in value else None)


def encryption_problem(b: dict[str, Any], key_problem: Callable[[str | None], str | None]) -> str | None:
    """Why bucket `b`'s default encryption is not SSE-KMS with a customer key; None when it is."""
    rules = (b.get("encryption") or {}).get("Rules") or []
    if not rules:
        return "it has no default encryption (it must be SSE-KMS with a customer key)"
    default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
    algorithm = default.get("SSEAlgorithm")
    if algorithm not in ("aws:kms", "aws:kms:dsse"):
        return f"it encrypts with {algorithm}, not SSE-KMS with a customer key"
    problem = key_problem(default.get("KMSMasterKeyID")) if default.get("KMSMasterKeyID") else "the AWS managed aws/s3"
    return f"it encrypts with {problem}, not a customer key" if problem else None


def store_problem(b: dict[str, Any], minimum: int, key_problem: Callable[[str | None], str | None]) -> str | None:
    """Why bucket `b` (as s3.read holds it) is not an immutable log store: object lock with a COMPLIANCE default
    retention of at least `minimum` days, and SSE-KMS with a customer key. None when it is one; UNREAD when its
    object lock or encryption could not be read."""
    if "object_lock" not in b or "encryption" not in b:
        return UNREAD
    lock = b["object_lock"]
    if not lock or lock.get("ObjectLockEnabled") != "Enabled":
        return "it has no object lock"
    mode, days = default_retention(lock)
    if mode != "COMPLIANCE" or days < minimum:
        return f"its default retention is {mode or 'none'} {days} days, not COMPLIANCE for at least {minimum} days"
    return encryption_problem(b, key_problem)


def _best(verdicts: Iterable[str | None]) -> str | None:
    """One path that reaches a store is enough; else an unread one leaves the whole unjudged; else every reason."""
    found = list(verdicts)
    if OK in found:
        return OK
    if UNREAD in found:
        return UNREAD
    return "; ".join(str(v) for v in found)


def _s3_destination(stream: dict[str, Any]) -> dict[str, Any] | None:
    for destination in stream.get("Destinations") or []:
        for key in S3_DESCRIPTIONS:
            if isinstance(destination.get(key), dict):
                return dict(destination[key])
    return None


def _destination_kinds(stream: dict[str, Any]) -> str:
    kinds = {k.removesuffix("DestinationDescription") for d in stream.get("Destinations") or [] for k in d}
    return ", ".join(sorted(kinds - {"DestinationId"})) or "nothing"


class Judge:
    """Whether a path from a log (a group, a filter, a stream, a flow log) reaches an immutable store."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.minimum = ctx.catalog.setting(COPY_POLICY, "minAuditRetentionDays", 2192)
        entry = ctx.catalog.config.get(COPY_POLICY)
        vouched = entry.get("immutableBuckets") if isinstance(entry, dict) else None
        self.vouched = {str(v) for v in vouched} if isinstance(vouched, list) else set()

    def bucket(self, value: Any, holder: str) -> str | None:
        name = bucket_name(value)
        if name is None:
            return f"{holder} delivers to {value!r}, not to an S3 bucket"
        if name in self.ctx.live.buckets:
            problem = store_problem(self.ctx.live.buckets[name], self.minimum, self.ctx.customer_key_problem)
            return f"{holder} delivers to bucket {name}: {problem}" if problem else problem
        if name in self.vouched:
            return OK
        if "s3" not in self.ctx.live.read:
            return UNREAD
        outside = "which is not in this account (nor in the pack config's immutableBuckets)"
        return f"{holder} delivers to bucket {name}, {outside}"

    def stream(self, arn: Any, holder: str) -> str | None:
        stream = self.ctx.live.streams.get(arn) if isinstance(arn, str) else None
        if stream is None:
            if STREAM_ARN.match(str(arn)) is None:
                return f"{holder} sends to {arn}, not to a Firehose stream"
            if "firehose" not in self.ctx.live.read:
                return UNREAD
            return f"{holder} sends to {arn}, which is not a Firehose stream of this account and region"
        name = f"Firehose stream {stream.get('DeliveryStreamName', arn)}"
        destination = _s3_destination(stream)
        if destination is None:
            return f"{name} delivers to {_destination_kinds(stream)}, not to S3"
        return self.bucket(destination.get("BucketARN"), name)

    def group(self, group: str, what: str) -> str | None:
        if group not in self.ctx.live.subscriptions:
            if group in self.ctx.live.log_groups or "logs" not in self.ctx.live.read:
                return UNREAD  # its filters' read failed, or no group could be listed
            return f"{what} does not exist, so nothing copies it"
        filters = self.ctx.live.subscriptions[group]
        if not filters:
            return f"{what} has no subscription filter copying it"
        return _best(self.subscription(f) for f in filters)

    def subscription(self, f: dict[str, Any]) -> str | None:
        label = f"subscription filter {f.get('filterName')!r}"
        pattern = f.get("filterPattern") or ""
        if pattern.strip():
            return f"{label} copies only events matching {pattern!r}; use an empty pattern"
        return self.stream(f.get("destinationArn"), label)

    def flow_log(self, flow: dict[str, Any]) -> str | None:
        label = f"flow log {flow.get('FlowLogId')}"
        kind, target = flow.get("LogDestinationType", "cloud-watch-logs"), flow.get("LogDestination")
        if kind == "s3":
            return self.bucket(target, label)
        if kind == "kinesis-data-firehose":
            return self.stream(target, label)
        if kind != "cloud-watch-logs":
            return f"{label} delivers to {kind!r}"
        group = _flow_group(flow)
        if group is None:
            return f"{label} names no log group"
        return self.group(group, f"{label}'s log group {group}")


def check(ctx: Context) -> None:
    judge = Judge(ctx)
    for name, cluster in sorted(ctx.live.clusters.items()):
        if not cluster or not _enabled_log_types(cluster):
            continue  # no control-plane logs to copy (EKS-02 asks for them)
        group = f"/aws/eks/{name}/cluster"
        why = judge.group(group, f"control-plane log group {group}")
        if why:
            ctx.finding(
                "LOG-07", cluster.get("arn", name), f"control-plane logs are not copied to an immutable store: {why}"
            )
    for vpc_id, v in sorted(ctx.live.vpcs.items()):
        flows = all_traffic(v)
        why = _best(judge.flow_log(f) for f in flows) if flows else "it has no flow log of ALL traffic"
        if why:
            ctx.finding("LOG-07", vpc_id, f"flow logs are not copied to an immutable store: {why}")
    for arn, stream in sorted(ctx.live.streams.items()):
        for problem in stream_problems(stream, ctx.live.buckets, ctx.customer_key_problem, "s3" in ctx.live.read):
            ctx.finding("LOG-08", arn, f"Firehose stream {stream.get('DeliveryStreamName', arn)}: {problem}")


def stream_problems(
    stream: dict[str, Any],
    buckets: dict[str, dict[str, Any]],
    key_problem: Callable[[str | None], str | None],
    buckets_read: bool = True,
) -> list[str]:
    """Why a described Firehose stream does not keep its records under a customer key (LOG-08); `buckets` are the
    account's as s3.read holds them (`buckets_read` False when they could not be listed)."""
    out: list[str] = []
    if stream.get("DeliveryStreamType") not in SOURCED:
        sse = stream.get("DeliveryStreamEncryptionConfiguration") or {}
        status, kind = sse.get("Status"), sse.get("KeyType")
        if status != "ENABLED":
            out.append(f"server-side encryption is {status or 'off'}; start it with key type CUSTOMER_MANAGED_CMK")
        elif kind != "CUSTOMER_MANAGED_CMK":
            out.append(f"server-side encryption key type is {kind or 'AWS_OWNED_CMK'}; use CUSTOMER_MANAGED_CMK")
        elif problem := key_problem(sse.get("KeyARN")):
            out.append(f"server-side encryption uses {problem}; it must use a customer key")
    destination = _s3_destination(stream)
    if destination is None:
        out.append(
            f"delivers to {_destination_kinds(stream)}, whose encryption at rest the audit cannot judge: deliver to "
            "S3 with SSE-KMS of a customer key"
        )
        return out
    key = ((destination.get("EncryptionConfiguration") or {}).get("KMSEncryptionConfig") or {}).get("AWSKMSKeyARN")
    if key:
        if problem := key_problem(key):
            out.append(f"the S3 destination's KMS key is {problem}; it must be a customer key")
        return out
    # no key on the stream: its objects take the bucket's default encryption
    name = bucket_name(destination.get("BucketARN"))
    if (name is None or name not in buckets) and buckets_read:
        out.append(f"sets no KMS key and writes to bucket {name or destination.get('BucketARN')} outside this "
                   "account: set the S3 destination's KMS key to a customer key")  # fmt: skip
    elif (
        name in buckets
        and "encryption" in buckets[name]
        and (problem := encryption_problem(buckets[name], key_problem))
    ):
        out.append(f"sets no KMS key for its S3 objects, and its bucket {name}: {problem}")
    return out
