"""DETECT-09: a trail or flow log that stops delivering raises an alarm: a metric filter on its log group counts
every record (a record in the source's shape counts), and an alarm on that metric fires when fewer arrive than its
threshold, treating no data as breaching (no data is what stopping looks like)."""

from collections.abc import Iterator

from framework import signal_samples as samples
from framework import types as t
from framework.alarms import groups_of_trail, watched
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule

from .flow_alarms import flow_groups, line, to_cloudwatch


def _verdict(stack: Stack, r: Resource, groups: list[Resource | str], record: str) -> Iterator[Finding]:
    verdict = watched(stack, None, [record], stopped=True, groups=groups)
    if verdict.watched is None:
        yield Finding(r.urn, f"{r.label()}: {verdict.why}", True)
    elif not verdict.watched:
        yield Finding(
            r.urn,
            f"{r.label()}: no alarm fires when it stops delivering (a metric filter counting its records on its log "
            "group, and an alarm below a threshold with missing data treated as breaching)",
        )


@stack_rule(
    "log-delivery-alarmed",
    "DETECT-09",
    "A trail or flow log that stops delivering raises an alarm",
    subjects=(*t.TRAIL, *t.FLOW_LOG),
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for trail in stack.of_type(*t.TRAIL):
        if trail.get("cloudWatchLogsGroupArn") in (None, ""):
            yield Finding(trail.urn, f"{trail.label()} delivers to no log group, so its stopping cannot be seen")
            continue
        groups = groups_of_trail(stack, trail)
        record = samples.trail_event("sts.amazonaws.com", "AssumeRole", "role/enclave-probe")
        yield from _verdict(stack, trail, groups, record)
    for flow in stack.of_type(*t.FLOW_LOG):
        if not to_cloudwatch(flow):
            continue
        accepted = line(flow, action="ACCEPT")
        if accepted is None:
            yield Finding(flow.urn, f"{flow.label()}: its log_format is not a list of ${{field}} names")
            continue
        yield from _verdict(stack, flow, flow_groups(stack, flow), accepted)
