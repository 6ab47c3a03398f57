"""NET-06: every VPC the stack runs in logs its DNS queries (Route 53 Resolver query logging).

Without it, the names pods and nodes ask for (and any data smuggled out in them) leave no record. A VPC is
logged when a query-log association names it (by dependency, or by id for a VPC the stack does not create)
and that association's configuration sends the logs somewhere: a destination set on a configuration of this
stack, or a configuration of another stack named by its id.
"""

from collections.abc import Iterator

from framework import types as t
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN
from framework.vpcs import GUARDED_BY, judged_vpcs


def _logs_somewhere(stack: Stack, association: Resource) -> bool | None:
    """Whether the association's configuration has a destination (None when not known yet)."""
    configs = stack.sources(association, "resolverQueryLogConfigId", *t.RESOLVER_QUERY_LOG_CONFIG)
    if not configs:
        value = association.get("resolverQueryLogConfigId")
        return None if value is UNKNOWN else isinstance(value, str) and value.startswith("rqlc-")
    verdicts: list[bool | None] = []
    for config in configs:
        destination = config.get("destinationArn")
        if destination is UNKNOWN:
            # A log group or bucket of this stack, whose ARN a first preview does not know: it is set.
            verdicts.append(True if config.property_dependencies.get("destinationArn") else None)
        else:
            verdicts.append(isinstance(destination, str) and destination.startswith("arn:"))
    return True if any(verdicts) else None if None in verdicts else False


@stack_rule(
    "vpc-dns-queries-logged",
    "NET-06",
    "Every VPC logs its DNS queries",
    subjects=t.VPC,
    config={"queryLogsWrittenBy": GUARDED_BY},
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    associations = stack.of_type(*t.RESOLVER_QUERY_LOG_ASSOCIATION)
    for vpc in judged_vpcs(stack, config, "queryLogsWrittenBy"):
        mine = [a for a in associations if vpc.holds(a, "resourceId")]
        verdicts = [_logs_somewhere(stack, a) for a in mine]
        if any(verdicts):
            continue
        if None in verdicts:
            yield Finding(vpc.subject.urn, f"{vpc.subject.label()}: where its DNS query logs go is not known yet", True)
        elif mine:
            yield Finding(vpc.subject.urn, f"{vpc.subject.label()}: its DNS query-log configuration has no destination")
        else:
            yield Finding(
                vpc.subject.urn,
                f"{vpc.subject.label()} does not log its DNS queries: associate a Route 53 Resolver query-log "
                "configuration with it (network.dns.query_logging)",
            )
