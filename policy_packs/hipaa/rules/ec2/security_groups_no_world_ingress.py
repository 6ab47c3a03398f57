"""NET-02: no security group admits traffic from anywhere: no ingress rule, and no set of ingress rules of one
group, whose CIDRs together with the private ranges cover the whole address space (0.0.0.0/1 + 128.0.0.0/1 is
the internet, and so is 0.0.0.0/0 minus 10.0.0.0/8), IPv4 and IPv6 alike."""

import ipaddress
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from framework import types as t
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import as_list

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Ranges that are not the internet: private, shared, loopback, link-local, multicast, reserved; IPv6 outside 2000::/3
NOT_INTERNET: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
              "192.168.0.0/16", "224.0.0.0/3", "::/3", "4000::/2", "8000::/1")
)  # fmt: skip


def cidrs(rule: Mapping[str, Any]) -> list[str]:
    found = as_list(rule.get("cidrIpv4")) + as_list(rule.get("cidrIpv6"))
    found += as_list(rule.get("cidrBlocks")) + as_list(rule.get("ipv6CidrBlocks"))
    return [str(c) for c in found if isinstance(c, str)]


def covers_internet(given: Iterable[str]) -> list[str]:
    """The address families ('IPv4', 'IPv6') whose whole internet the CIDRs cover, with the private ranges."""
    nets: list[Network] = []
    for c in given:
        try:
            nets.append(ipaddress.ip_network(c, strict=False))
        except ValueError:
            continue
    out = []
    for version, everything in ((4, ipaddress.ip_network("0.0.0.0/0")), (6, ipaddress.ip_network("::/0"))):
        mine = [n for n in nets if n.version == version]
        if not mine:
            continue
        union = list(ipaddress.collapse_addresses([*mine, *(n for n in NOT_INTERNET if n.version == version)]))  # type: ignore[type-var]
        if union == [everything]:
            out.append(f"IPv{version}")
    return out


def _ingress(r: Resource) -> list[Mapping[str, Any]]:
    if r.type in t.SG_RULE:
        return [r.props] if r.get("type") == "ingress" else []
    if r.type in t.SG_INGRESS:
        return [r.props]
    return [x for x in as_list(r.get("ingress")) if isinstance(x, Mapping)]


@stack_rule(
    "security-groups-no-world-ingress",
    "NET-02",
    "Security groups admit nothing from anywhere",
    subjects=(*t.SG_INGRESS, *t.SG_RULE, *t.SECURITY_GROUP, *t.DEFAULT_SG),
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for r in stack.of_type(*t.SG_INGRESS, *t.SG_RULE, *t.SECURITY_GROUP, *t.DEFAULT_SG):
        own = [c for rule in _ingress(r) for c in cidrs(rule)]
        wide = covers_internet(own)
        if wide:
            yield Finding(
                r.urn,
                f"{r.label()} admits {', '.join(own)}: the whole {' and '.join(wide)} internet; name the security "
                "groups or private networks that need it",
            )
    for group in stack.of_type(*t.SECURITY_GROUP, *t.DEFAULT_SG):
        rules = [u for u in stack.users(group.urn, *t.SG_INGRESS, *t.SG_RULE, prop="securityGroupId") if _ingress(u)]
        own = [c for rule in _ingress(group) for c in cidrs(rule)]
        parts = [c for u in rules for rule in _ingress(u) for c in cidrs(rule)]
        if covers_internet(own) or any(covers_internet(cidrs(x)) for u in rules for x in _ingress(u)):
            continue  # already reported on the rule that does it alone
        wide = covers_internet(own + parts)
        if wide:
            names = ", ".join(sorted(u.name for u in rules))
            yield Finding(
                group.urn,
                f"{group.label()}: its ingress rules ({names}) together admit the whole {' and '.join(wide)} "
                f"internet ({', '.join(own + parts)}); name the security groups or private networks that need it",
            )
