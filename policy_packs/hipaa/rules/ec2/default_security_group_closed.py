"""NET-03: every VPC's default security group is adopted with no rules (AWS's allow-within-group and
allow-all-egress rules removed), so nothing falls back to it."""

from collections.abc import Iterator

from framework import types as t
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN


@stack_rule(
    "default-security-group-closed",
    "NET-03",
    "The VPC's default security group allows nothing",
    subjects=(*t.DEFAULT_SG, *t.VPC),
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    defaults = stack.of_type(*t.DEFAULT_SG)
    for sg in defaults:
        for direction in ("ingress", "egress"):
            value = sg.get(direction)
            if value is UNKNOWN:
                yield Finding(sg.urn, f"{sg.label()}: its {direction} rules are not known yet", True)
            elif value:
                yield Finding(sg.urn, f"{sg.label()} keeps {direction} rules; remove them")
    for vpc in stack.of_type(*t.VPC):
        if not any(sg.depends_on(vpc.urn, "vpcId") for sg in defaults):
            yield Finding(
                vpc.urn,
                f"{vpc.label()}: its default security group keeps AWS's allow rules; adopt it with "
                "aws.ec2.DefaultSecurityGroup and no rules",
            )
