"""NET-07: every VPC the stack runs in has a DNS Firewall that refuses names it was not told about.

Judged by asking the firewall, as Route 53 Resolver would, about names nobody allowed (under the common
top-level domains): the rule groups associated with the VPC in association priority order, each group's rules
in rule priority order, the first rule whose domain list matches decides (BLOCK refuses; ALLOW and ALERT let
the query through); a name no rule matches is answered. Every probe must be refused, so a default-allow firewall,
an ALLOW for a whole top-level domain, or a catch-all that only alerts is a finding. A firewall configured to
fail open is one too. Domain lists match as DNS Firewall matches: `*` every name, `*.example.com` its
subdomains, anything else exactly.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from framework import types as t
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list
from framework.vpcs import GUARDED_BY, Vpc, judged_vpcs

PROBES = (
    "d4t4.tunnel-probe.example-exfil.com",
    "d4t4.tunnel-probe.example-exfil.net",
    "d4t4.tunnel-probe.example-exfil.org",
    "d4t4.tunnel-probe.example-exfil.io",
)
PASSING = ("ALLOW", "ALERT")


class Undecided(Exception):
    """Something the decision depends on is not known yet."""


def matches(entry: str, name: str) -> bool:
    entry, name = entry.lower().rstrip("."), name.lower().rstrip(".")
    if entry == "*":
        return True
    if entry.startswith("*."):
        return name.endswith(entry[1:])
    return entry == name


def _priority(r: Resource) -> int:
    value = r.get("priority")
    if value is UNKNOWN or not isinstance(value, int | float):
        raise Undecided(f"{r.label()}: its priority is not known yet")
    return int(value)


def _domains(stack: Stack, rule: Resource) -> list[str]:
    lists = stack.sources(rule, "firewallDomainListId", *t.DNS_FIREWALL_DOMAIN_LIST)
    if not lists:
        if isinstance(rule.get("dnsThreatProtection"), str):
            return []  # an Advanced rule (DGA, tunneling detection) names no list: it matches no fixed name
        raise Undecided(f"{rule.label()}: its domain list is not one of this stack's")
    out: list[str] = []
    for found in lists:
        domains = found.get("domains")
        if domains is UNKNOWN or any(d is UNKNOWN for d in as_list(domains)):
            raise Undecided(f"{found.label()}: its domains are not known yet")
        out += [str(d) for d in as_list(domains)]
    return out


def _groups(stack: Stack, association: Resource) -> list[Resource]:
    groups = stack.sources(association, "firewallRuleGroupId", *t.DNS_FIREWALL_RULE_GROUP)
    if not groups:
        raise Undecided(f"{association.label()}: its rule group is not one of this stack's")
    return groups


def decide(stack: Stack, vpc: Vpc, name: str) -> str:
    """What the VPC's firewall does with a query for `name`: the deciding rule's action, or ANSWERED."""
    associations = [a for a in stack.of_type(*t.DNS_FIREWALL_ASSOCIATION) if vpc.holds(a, "vpcId")]
    rules = stack.of_type(*t.DNS_FIREWALL_RULE)
    for association in sorted(associations, key=_priority):
        for group in _groups(stack, association):
            mine = [r for r in rules if r.depends_on(group.urn, "firewallRuleGroupId")]
            for rule in sorted(mine, key=_priority):
                if any(matches(d, name) for d in _domains(stack, rule)):
                    action = rule.get("action")
                    if action is UNKNOWN:
                        raise Undecided(f"{rule.label()}: its action is not known yet")
                    return str(action).upper()
    return "ANSWERED"


def _fails_open(stack: Stack, vpc: Vpc) -> list[Resource]:
    return [
        c
        for c in stack.of_type(*t.DNS_FIREWALL_CONFIG)
        if vpc.holds(c, "resourceId") and str(c.get("firewallFailOpen")).upper() == "ENABLED"
    ]


def _answered(stack: Stack, vpc: Vpc) -> Mapping[str, Any]:
    return {name: decide(stack, vpc, name) for name in PROBES}


@stack_rule(
    "vpc-dns-firewall-blocks-by-default",
    "NET-07",
    "Every VPC's DNS Firewall refuses unknown names",
    subjects=t.VPC,
    config={"firewallOwnedBy": GUARDED_BY},
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    for vpc in judged_vpcs(stack, config, "firewallOwnedBy"):
        subject = vpc.subject
        for setting in _fails_open(stack, vpc):
            yield Finding(setting.urn, f"{setting.label()} lets queries through when the firewall fails; set DISABLED")
        try:
            outcome = _answered(stack, vpc)
        except Undecided as why:
            yield Finding(subject.urn, f"{subject.label()}: {why}", True)
            continue
        through = sorted(name for name, action in outcome.items() if action not in ("BLOCK",))
        if through:
            how = "no DNS Firewall" if set(outcome.values()) == {"ANSWERED"} else "its DNS Firewall"
            yield Finding(
                subject.urn,
                f"{subject.label()}: {how} answers names nobody allowed ({', '.join(through)}); end the VPC's rule "
                "groups with a BLOCK rule for '*' (network.dns.firewall)",
            )
