"""LOG-06: every VPC the stack creates records a flow log of all traffic; every flow log records ALL."""

from collections.abc import Iterator

from framework import types as t
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING, UNKNOWN


@stack_rule("vpc-flow-logs", "LOG-06", "Every VPC records its flow logs", subjects=t.VPC)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    logs = stack.of_type(*t.FLOW_LOG)
    for log in logs:
        traffic = log.get("trafficType")
        if traffic is UNKNOWN:
            yield Finding(log.urn, f"{log.label()}: trafficType is not known yet", True)
        elif traffic not in ("ALL", MISSING):
            yield Finding(log.urn, f"{log.label()} records {traffic} traffic only; set traffic_type 'ALL'")
    for vpc in stack.of_type(*t.VPC):
        if not any(log.depends_on(vpc.urn, "vpcId") for log in logs):
            yield Finding(vpc.urn, f"{vpc.label()} has no flow log (network.flow_logs)")
