"""DETECT-07: unusually large transfers out raise an alarm: a metric filter on each flow log's group sums the
bytes of accepted egress flows to addresses outside the VPC (its metric value is the record's bytes field), with an
alarm that notifies someone. Transfers inside the VPC are not counted."""

from collections.abc import Iterator
from typing import Any

from framework import signal_samples as samples
from framework import types as t
from framework.alarms import watched
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule

from .flow_alarms import flow_groups, line, to_cloudwatch, vpc_inside_address

BYTES = "7340032000"


def _bytes(parsed: Any, record: str, expression: str) -> bool:
    return parsed.value(record, expression) == float(BYTES)


@stack_rule("large-transfers-alarmed", "DETECT-07", "Large transfers out raise an alarm", subjects=t.FLOW_LOG)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for flow in stack.of_type(*t.FLOW_LOG):
        if not to_cloudwatch(flow):
            continue
        big = line(flow, action="ACCEPT", flow_direction="egress", dstaddr=samples.OUTSIDE, bytes=BYTES)
        if big is None:
            yield Finding(flow.urn, f"{flow.label()}: its log_format is not a list of ${{field}} names")
            continue
        inside = vpc_inside_address(stack, flow)
        negative = [line(flow, action="ACCEPT", flow_direction="egress", dstaddr=inside, bytes=BYTES)] if inside else []
        verdict = watched(stack, None, [big], [n for n in negative if n], groups=flow_groups(stack, flow), value=_bytes)
        if verdict.watched is None:
            yield Finding(flow.urn, f"{flow.label()}: {verdict.why}", True)
        elif not verdict.watched:
            yield Finding(
                flow.urn,
                f"{flow.label()}: no metric filter on its log group sums the bytes of accepted flows leaving the VPC "
                "(metric value $bytes) with an alarm that notifies someone",
            )
