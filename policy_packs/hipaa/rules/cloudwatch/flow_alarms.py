"""What the flow-log alarms read: each flow log's group and records in its own format."""

from framework import signal_samples as samples
from framework import types as t
from framework.model import Resource, Stack

FLOW_FIELDS = ("action", "dstaddr", "flow-direction", "bytes")


def flow_groups(stack: Stack, flow: Resource) -> list[Resource | str]:
    """The log group a flow log delivers to (by its ARN or by dependency)."""
    out: list[Resource | str] = list(stack.sources(flow, "logDestination", *t.LOG_GROUP))
    arn = flow.get("logDestination")
    if isinstance(arn, str) and ":log-group:" in arn:
        out.append(arn.split(":log-group:", 1)[1].removesuffix(":*"))
    return out


def to_cloudwatch(flow: Resource) -> bool:
    return flow.get("logDestinationType") in (None, "cloud-watch-logs") and flow.get("logDestination") is not None


def line(flow: Resource, **values: str) -> str | None:
    """A record of `flow`'s format with `values` (fields the format lacks left out: it cannot say them)."""
    fmt = flow.get("logFormat")
    fmt = fmt if isinstance(fmt, str) else None
    fields = samples.format_fields(fmt) or []
    return samples.flow_line(fmt, **{k: v for k, v in values.items() if k.replace("_", "-") in fields})


def vpc_inside_address(stack: Stack, flow: Resource) -> str | None:
    """An address inside the flow log's VPC (its CIDR's tenth address), when the stack says the VPC's CIDR."""
    import ipaddress

    for vpc in stack.sources(flow, "vpcId", *t.VPC):
        cidr = vpc.get("cidrBlock")
        if isinstance(cidr, str):
            try:
                return str(ipaddress.ip_network(cidr, strict=False).network_address + 10)
            except ValueError:
                return None
    return None
