"""The VPCs a stack runs in, and the resources attached to each: VPCs it creates (by URN, as a first preview
allows) and VPCs it only names (an existing VPC's id on its subnets, groups, endpoints, flow logs)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import types as t
from .model import Resource, Stack

# Resources placed in a VPC, read for the id of a VPC the stack does not create.
IN_VPC = (*t.SECURITY_GROUP, *t.VPC_ENDPOINT, *t.SUBNET, *t.FLOW_LOG, *t.ROUTE_TABLE)


@dataclass(frozen=True)
class Vpc:
    """A VPC: its identities (the Vpc resource's URN, or the literal id), and the resource findings name."""

    ids: frozenset[str]
    subject: Resource

    def holds(self, r: Resource, prop: str) -> bool:
        """Whether `r`'s `prop` names this VPC (by dependency or by its known id)."""
        value = r.get(prop)
        return bool(set(r.property_dependencies.get(prop, [])) & self.ids) or (
            isinstance(value, str) and value in self.ids
        )


def stack_vpcs(stack: Stack) -> list[Vpc]:
    """Every VPC the stack creates, then every other VPC id its resources are placed in (first resource naming
    it as the subject)."""
    created = stack.of_type(*t.VPC)
    out = [Vpc(frozenset({v.urn}), v) for v in created]
    seen: set[str] = set()
    created_urns = {v.urn for v in created}
    for r in stack.of_type(*IN_VPC):
        if set(r.property_dependencies.get("vpcId", [])) & created_urns:
            continue  # a created VPC, whose id is known once it exists
        value = r.get("vpcId")
        if isinstance(value, str) and value.startswith("vpc-") and value not in seen:
            seen.add(value)
            out.append(Vpc(frozenset({value}), r))
    return out


GUARDED_BY = {
    "type": "string",
    "default": "",
    "description": "Set when another stack owns this control for the VPCs this stack only names (a team stack in "
    "the platform's VPC: e.g. 'acme/gpu-enclave/prod'): said here, reviewed with the config. VPCs the stack "
    "creates are judged regardless.",
}


def judged_vpcs(stack: Stack, config: Mapping[str, Any], key: str) -> list[Vpc]:
    """The stack's VPCs, without the ones it only names when `config[key]` says another stack guards them."""
    found = stack_vpcs(stack)
    if config.get(key):
        return [v for v in found if v.subject.type in t.VPC]
    return found
