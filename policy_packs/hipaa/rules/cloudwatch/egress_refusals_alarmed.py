"""DETECT-07: connections refused on their way out of the VPC raise an alarm: a metric filter on each flow log's
group counts its REJECT records of egress flows to addresses outside the VPC (not accepted ones, not refusals
inside the VPC, which are zones' security groups doing their work), with an alarm that notifies someone. The
records are written in the flow log's own format: a pattern written for another one counts nothing."""

from collections.abc import Iterator

from framework import signal_samples as samples
from framework import types as t
from framework.alarms import watched
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule

from .flow_alarms import flow_groups, line, to_cloudwatch, vpc_inside_address


@stack_rule("egress-refusals-alarmed", "DETECT-07", "Refused egress raises an alarm", subjects=t.FLOW_LOG)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for flow in stack.of_type(*t.FLOW_LOG):
        if not to_cloudwatch(flow):
            continue
        refused = line(flow, action="REJECT", flow_direction="egress", dstaddr=samples.OUTSIDE)
        if refused is None:
            yield Finding(flow.urn, f"{flow.label()}: its log_format is not a list of ${{field}} names")
            continue
        inside = vpc_inside_address(stack, flow)
        negative = [line(flow, action="ACCEPT", flow_direction="egress", dstaddr=samples.OUTSIDE)]
        if inside:
            negative.append(line(flow, action="REJECT", flow_direction="egress", dstaddr=inside))
        verdict = watched(stack, None, [refused], [n for n in negative if n], groups=flow_groups(stack, flow))
        if verdict.watched is None:
            yield Finding(flow.urn, f"{flow.label()}: {verdict.why}", True)
        elif not verdict.watched:
            yield Finding(
                flow.urn,
                f"{flow.label()}: no metric filter on its log group counts REJECTs of connections leaving the VPC "
                f"(a record such as {refused!r}) with an alarm that notifies someone",
            )
