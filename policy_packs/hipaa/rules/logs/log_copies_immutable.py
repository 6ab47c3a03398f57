"""LOG-07: every EKS cluster's control-plane logs and every VPC's flow logs reach an immutable store: a bucket under
COMPLIANCE-mode object lock for the audit retention, SSE-KMS with a customer key (directly, through a CloudWatch
Logs subscription to a Firehose stream, or a flow log delivered to Firehose)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from framework import types as t
from framework.log_stores import IMMUTABLE_BUCKETS_SCHEMA, destination_bucket, store_problem
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING, UNKNOWN, as_list

STREAM_ARN = re.compile(r"^arn:aws[a-z-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream/(.+)$")
LOG_GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:([^:]+)(:\*)?$")
S3_DESTINATIONS = ("extended_s3", "s3")


@dataclass(frozen=True)
class Verdict:
    """Whether one path (a filter, a flow log) reaches an immutable store: ok, or why not (unknown or a finding)."""

    ok: bool
    why: str = ""
    unknown: bool = False


OK = Verdict(True)


@dataclass(frozen=True)
class Judge:
    stack: Stack
    minimum: int
    vouched: frozenset[str]

    def bucket(self, holder: Resource, prop: str, value: Any) -> Verdict:
        bucket, outside = destination_bucket(self.stack, holder, prop, value)
        if bucket is not None:
            problem = store_problem(self.stack, bucket, self.minimum)
            return OK if problem is None else Verdict(False, problem[0], problem[1])
        if outside is not None:
            if outside in self.vouched:
                return OK
            why = f"bucket {outside!r} is not in this stack (nor in the pack config's immutableBuckets)"
            return Verdict(False, why)
        if value is UNKNOWN:
            return Verdict(False, f"{holder.label()}: its destination bucket is not known yet", True)
        return Verdict(False, f"{holder.label()}: its destination {value!r} is not an S3 bucket")

    def stream(self, stream: Resource) -> Verdict:
        destination = stream.get("destination")
        if destination is UNKNOWN:
            return Verdict(False, f"{stream.label()}: its destination is not known yet", True)
        if destination not in S3_DESTINATIONS:
            return Verdict(False, f"{stream.label()} delivers to {destination!r}, not to S3")
        return self.bucket(stream, "extendedS3Configuration", stream.get("extendedS3Configuration.bucketArn"))

    def firehose(self, holder: Resource, prop: str, arn: Any) -> Verdict:
        """A destination ARN that should name a Firehose stream: by dependency or by its name in the ARN."""
        match = STREAM_ARN.match(arn) if isinstance(arn, str) else None
        streams = self.stack.sources(holder, prop, *t.FIREHOSE_STREAM)
        if match:
            streams += [s for s in self.stack.of_type(*t.FIREHOSE_STREAM) if s.get("name") == match.group(1)]
        if streams:
            return _best(self.stream(s) for s in streams)
        if arn is UNKNOWN:
            return Verdict(False, f"{holder.label()}: its destination is not known yet", True)
        if match:
            return Verdict(False, f"{holder.label()} sends to stream {match.group(1)!r}, which is not in this stack")
        return Verdict(False, f"{holder.label()} sends to {arn!r}, not to a Firehose stream")

    def log_group(self, names: set[str], groups: list[Resource], what: str) -> Verdict:
        """A log group (by name, or by resource) copied by a subscription filter to an immutable store."""
        # A logGroup that is not a name (a list, a number) names no group: that filter copies nothing here.
        filters = [
            f
            for f in self.stack.of_type(*t.LOG_SUBSCRIPTION)
            if (isinstance(f.get("logGroup"), str) and f.get("logGroup") in names)
            or any(f.depends_on(g.urn, "logGroup") for g in groups)
        ]
        if not filters:
            return Verdict(False, f"{what} has no subscription filter copying it")
        return _best(self.subscription(f) for f in filters)

    def subscription(self, f: Resource) -> Verdict:
        pattern = f.get("filterPattern")
        if pattern is UNKNOWN:
            return Verdict(False, f"{f.label()}: its filter pattern is not known yet", True)
        if pattern not in ("", MISSING, None):
            return Verdict(False, f"{f.label()} copies only events matching {pattern!r}; use an empty pattern")
        return self.firehose(f, "destinationArn", f.get("destinationArn"))

    def flow_log(self, log: Resource) -> Verdict:
        traffic = log.get("trafficType")
        if traffic is UNKNOWN:
            return Verdict(False, f"{log.label()}: its traffic type is not known yet", True)
        if traffic not in ("ALL", MISSING):
            return Verdict(False, f"{log.label()} records {traffic} traffic only")
        kind, target = log.get("logDestinationType"), log.get("logDestination")
        if kind is UNKNOWN:
            return Verdict(False, f"{log.label()}: its destination type is not known yet", True)
        if kind == "s3":
            return self.bucket(log, "logDestination", target)
        if kind == "kinesis-data-firehose":
            return self.firehose(log, "logDestination", target)
        if kind not in ("cloud-watch-logs", MISSING):
            return Verdict(False, f"{log.label()}: destination type {kind!r}")
        groups = self.stack.sources(log, "logDestination", *t.LOG_GROUP)
        names = {g.get("name") for g in groups if isinstance(g.get("name"), str)}
        match = LOG_GROUP_ARN.match(target) if isinstance(target, str) else None
        if match:
            names.add(match.group(1))
        group_name = log.get("logGroupName")  # the provider's deprecated alias of logDestination
        if isinstance(group_name, str):
            names.add(group_name)
        if not names and not groups:
            return Verdict(False, f"{log.label()}: its log group is not known yet", True)
        return self.log_group(names, groups, f"{log.label()}'s log group")


def _best(verdicts: Iterator[Verdict]) -> Verdict:
    """One passing path is enough; else an unknown one makes the whole unknown; else every reason."""
    found = list(verdicts)
    if any(v.ok for v in found):
        return OK
    unknown = [v for v in found if v.unknown]
    if unknown:
        return Verdict(False, "; ".join(v.why for v in unknown), True)
    return Verdict(False, "; ".join(v.why for v in found))


def _cluster(judge: Judge, cluster: Resource) -> Verdict | None:
    enabled = cluster.get("enabledClusterLogTypes")
    if enabled is not UNKNOWN and not as_list(enabled):
        return None  # no control-plane logs to copy (EKS-02 asks for them)
    name = cluster.get("name")
    if not isinstance(name, str):
        if not judge.stack.of_type(*t.LOG_SUBSCRIPTION):  # whatever its name, nothing copies its group
            return Verdict(False, "no subscription filter in the stack copies its log group")
        return Verdict(False, f"{cluster.label()}: its name (and so its log group) is not known yet", True)
    group_name = f"/aws/eks/{name}/cluster"
    groups = [g for g in judge.stack.of_type(*t.LOG_GROUP) if g.get("name") == group_name]
    return judge.log_group({group_name}, groups, f"control-plane log group {group_name}")


@stack_rule(
    "log-copies-immutable",
    "LOG-07",
    "Control-plane and flow logs are copied to an immutable store",
    config={
        "minAuditRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "maximum": 36500,
            "default": 2192,
            "description": "Shortest COMPLIANCE-mode retention of the store the copies go to, in days.",
        },
        "immutableBuckets": IMMUTABLE_BUCKETS_SCHEMA,
    },
    subjects=(*t.EKS_CLUSTER, *t.VPC),
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    judge = Judge(stack, int(config.get("minAuditRetentionDays", 2192)), frozenset(config.get("immutableBuckets", [])))
    for cluster in stack.of_type(*t.EKS_CLUSTER):
        verdict = _cluster(judge, cluster)
        if verdict is not None and not verdict.ok:
            yield Finding(
                cluster.urn, f"{cluster.label()}: control-plane logs not copied to an immutable store: {verdict.why}",
                verdict.unknown,
            )  # fmt: skip
    logs = stack.of_type(*t.FLOW_LOG)
    for vpc in stack.of_type(*t.VPC):
        mine = [log for log in logs if log.depends_on(vpc.urn, "vpcId")]
        verdict = _best(judge.flow_log(log) for log in mine) if mine else Verdict(False, "it has no flow log")
        if not verdict.ok:
            yield Finding(
                vpc.urn, f"{vpc.label()}: flow logs not copied to an immutable store: {verdict.why}", verdict.unknown
            )
