"""EFA-01: the security group of EFA interfaces admits only itself, both ways.

EFA traffic is not IP: only a rule referencing the group itself matches it, and nothing else can filter it.
The groups a launch template's interfaces use are unknown ids in a first preview, so the EFA group is found
from what is known: EFA-only interfaces each name exactly one group, and among the groups the template
depends on, that one admits only itself.
"""

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list, truthy

EFA_TYPES = ("efa", "efa-only")


def efa_interfaces(lt: Resource) -> list[Mapping]:
    return [
        i
        for i in as_list(lt.get("networkInterfaces"))
        if isinstance(i, Mapping) and i.get("interfaceType") in EFA_TYPES
    ]


def rules_of(stack: Stack, group: Resource) -> list[tuple[str, Resource]]:
    out = [("ingress", r) for r in stack.users(group.urn, *t.SG_INGRESS, prop="securityGroupId")]
    out += [("egress", r) for r in stack.users(group.urn, *t.SG_EGRESS, prop="securityGroupId")]
    out += [(str(r.get("type")), r) for r in stack.users(group.urn, *t.SG_RULE, prop="securityGroupId")]
    return out


def self_only(stack: Stack, group: Resource) -> tuple[bool, set[str]]:
    """(every rule references the group itself, the directions such rules cover)."""
    others, directions = _rules(stack, group)
    return not others, directions


def _rules(stack: Stack, group: Resource) -> tuple[list[str], set[str]]:
    """(the rules that admit something other than the group, the directions self rules cover)."""
    directions: set[str] = set()
    others = [f"inline {k}" for k in ("ingress", "egress") if group.get(k)]
    for direction, rule in rules_of(stack, group):
        itself = (
            rule.depends_on(group.urn, "referencedSecurityGroupId")
            or rule.depends_on(group.urn, "sourceSecurityGroupId")
            or truthy(rule.get("self")) is True
        )
        if itself and not rule.get("cidrIpv4") and not rule.get("cidrBlocks"):
            directions.add(direction)
        else:
            others.append(f"{direction} rule {rule.name}")
    return others, directions


def explain(stack: Stack, group: Resource) -> str:
    others, directions = _rules(stack, group)
    missing = sorted({"ingress", "egress"} - directions)
    parts = [f"{', '.join(others)} admit{'s' if len(others) == 1 else ''} other sources"] if others else []
    parts += [f"no self rule for {' and '.join(missing)}"] if missing else []
    return f"group {group.name}: {'; '.join(parts)}"


@stack_rule("efa-security-group-self-only", "EFA-01", "EFA security groups admit only themselves")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for lt in stack.of_type(*t.LAUNCH_TEMPLATE):
        interfaces = efa_interfaces(lt)
        if not interfaces:
            continue
        if any(len(as_list(i.get("securityGroups"))) != 1 for i in interfaces if i.get("interfaceType") == "efa-only"):
            yield Finding(lt.urn, f"{lt.label()}: each EFA-only interface must carry exactly one group, the EFA group")
        groups = stack.sources(lt, "networkInterfaces", *t.SECURITY_GROUP)
        verdicts = {g.urn: self_only(stack, g) for g in groups}
        candidates = [urn for urn, (ok, dirs) in verdicts.items() if ok and dirs == {"ingress", "egress"}]
        if not candidates and groups:
            why = "; ".join(explain(stack, g) for g in groups)
            yield Finding(
                lt.urn,
                f"{lt.label()}: no security group of its EFA interfaces admits only itself in both directions ({why})",
            )
        elif not candidates:
            yield Finding(
                lt.urn,
                f"{lt.label()}: its EFA interfaces use security groups this stack does not create; their rules cannot "
                "be checked here",
                True,
            )
        elif len(candidates) > 1 and any(g is UNKNOWN for i in interfaces for g in as_list(i.get("securityGroups"))):
            yield Finding(
                lt.urn,
                f"{lt.label()}: several self-only groups; which one the EFA interfaces use is not known yet",
                True,
            )
