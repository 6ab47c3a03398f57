"""NET-05: one group of nodes admits another only on named ports, never every protocol or every port.

Nodes are what launch templates and instances put their interfaces in (the security groups they name, or the
EKS cluster security group when a template names the cluster's, or when a node group has no template of this
stack and EKS gives its nodes that group). An ingress rule whose target and source are both node groups, and
different ones, that admits protocol -1 (every protocol) or a whole port range (0/1 to 65535) lets a pod that
escapes onto one pool's node reach anything on the other's. Rules are read in every shape: the VPC rule
resources, the legacy aws.ec2.SecurityGroupRule and a group's inline `ingress` blocks; groups are matched by
property dependency (ids are unknown in a first preview) or by a known id. A group's own nodes (a self rule)
and sources that are not nodes (the control plane, CIDRs) are not this rule's business.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from framework import types as t
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list, truthy

EVERY_PROTOCOL = ("-1", "all")
PORT_PROPS = ("networkInterfaces", "vpcSecurityGroupIds", "securityGroups", "securityGroupIds")


def _ids(r: Resource, prop: str) -> set[str]:
    """The groups `r`'s property `prop` names: the URNs it depends on, and the known sg- ids it holds."""
    out = set(r.property_dependencies.get(prop, []))
    out |= {v for v in _strings(r.get(prop)) if v.startswith("sg-")}
    return out


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def node_groups(stack: Stack) -> set[str]:
    """Every security group (by URN or known id) that node interfaces carry."""
    out: set[str] = set()
    for r in stack.of_type(*t.LAUNCH_TEMPLATE, *t.INSTANCE):
        for prop in PORT_PROPS:
            out |= _ids(r, prop)
    for group in stack.of_type(*t.EKS_NODE_GROUP):
        if not stack.sources(group, "launchTemplate", *t.LAUNCH_TEMPLATE):
            # EKS puts the cluster security group on the nodes of a group launched without a template.
            out |= set(group.property_dependencies.get("clusterName", []))
    return out


def _every_port(protocol: Any, low: Any, high: Any) -> bool | None:
    """Whether the rule admits every protocol or every port of one (None when not known yet)."""
    if UNKNOWN in (protocol, low, high):
        return None
    proto = str(protocol).lower()
    if proto in EVERY_PROTOCOL or proto == "-1.0":
        return True
    if proto in ("tcp", "udp", "6", "17"):
        try:
            return int(low) <= 1 and int(high) >= 65535
        except (TypeError, ValueError):
            return True  # ports missing on a TCP/UDP rule: AWS reads it as every port
    return False


def _rules(stack: Stack) -> Iterator[tuple[Resource, str, set[str], set[str], Any, Any, Any]]:
    """(resource, label, targets, sources, protocol, from, to) for every ingress rule in every shape."""
    for r in stack.of_type(*t.SG_INGRESS):
        yield (r, r.label(), _ids(r, "securityGroupId"), _ids(r, "referencedSecurityGroupId"),
               r.get("ipProtocol"), r.get("fromPort"), r.get("toPort"))  # fmt: skip
    for r in stack.of_type(*t.SG_RULE):
        if r.get("type") != "ingress":
            continue
        target = _ids(r, "securityGroupId")
        source = target if truthy(r.get("self")) is True else _ids(r, "sourceSecurityGroupId")
        yield r, r.label(), target, source, r.get("protocol"), r.get("fromPort"), r.get("toPort")
    for group in stack.of_type(*t.SECURITY_GROUP):
        for i, block in enumerate(as_list(group.get("ingress"))):
            if not isinstance(block, Mapping):
                continue
            target = {group.urn}
            source = set(target) if truthy(block.get("self")) is True else set()
            source |= {v for v in _strings(block.get("securityGroups")) if v.startswith("sg-")}
            source |= set(group.property_dependencies.get("ingress", []))
            yield (group, f"{group.label()} ingress[{i}]", target, source, block.get("protocol"),
                   block.get("fromPort"), block.get("toPort"))  # fmt: skip


@stack_rule(
    "node-groups-admit-named-ports",
    "NET-05",
    "Node groups admit each other on named ports only, never every protocol",
    subjects=(*t.SG_INGRESS, *t.SG_RULE),
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    nodes = node_groups(stack)
    for r, label, targets, sources, protocol, low, high in _rules(stack):
        target, source = targets & nodes, sources & nodes
        if not target or not source or source <= target:
            continue  # not between node groups, or a group admitting its own nodes
        wide = _every_port(protocol, low, high)
        if wide is None:
            yield Finding(r.urn, f"{label}: its protocol or ports are not known yet", True)
        elif wide:
            shown = "every protocol" if str(protocol).lower() in EVERY_PROTOCOL else f"every {protocol} port"
            yield Finding(
                r.urn,
                f"{label} admits {shown} from another group of nodes; name the ports that group's workloads need "
                "(kubelet 10250, the node agents' metrics, declared flows)",
            )
