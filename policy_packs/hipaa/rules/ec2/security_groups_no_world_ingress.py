"""NET-02: no security group admits traffic from anywhere."""

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.values import as_list

WORLD = ("0.0.0.0/0", "::/0")


def _world(rule: Mapping) -> list[str]:
    cidrs = as_list(rule.get("cidrIpv4")) + as_list(rule.get("cidrIpv6"))
    cidrs += as_list(rule.get("cidrBlocks")) + as_list(rule.get("ipv6CidrBlocks"))
    return [str(c) for c in cidrs if c in WORLD]


@resource_rule(
    "security-groups-no-world-ingress",
    "NET-02",
    "Security groups admit nothing from anywhere",
    (*t.SG_INGRESS, *t.SG_RULE, *t.SECURITY_GROUP, *t.DEFAULT_SG),
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    if r.type in t.SG_RULE and r.get("type") != "ingress":
        return
    rules = (
        [r.props]
        if r.type in (*t.SG_INGRESS, *t.SG_RULE)
        else [x for x in as_list(r.get("ingress")) if isinstance(x, Mapping)]
    )
    for rule in rules:
        for cidr in _world(rule):
            yield Finding(
                r.urn, f"{r.label()} admits {cidr}; name the security groups or private networks that need it"
            )
