"""EKS-04: NetworkPolicies are enforced: the VPC CNI add-on runs its network-policy agent (or the pack config
says another CNI enforces them), wherever the stack writes NetworkPolicies."""

import json
from collections.abc import Iterator
from typing import Any

from framework import types as t
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN


def cni_config(addon: Resource) -> Any:
    """The vpc-cni add-on's configuration as an object: UNKNOWN, None (not JSON) or a dict."""
    raw = addon.get("configurationValues")
    if raw is UNKNOWN:
        return UNKNOWN
    if not isinstance(raw, str):
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def node_agent_enables(addon: Resource, flag: str) -> Any:
    """Whether the add-on's configuration sets `nodeAgent.<flag>` to true (the add-on takes the string 'true',
    any case): True, False, or UNKNOWN while the configuration is not known yet."""
    cfg = cni_config(addon)
    if cfg is UNKNOWN:
        return UNKNOWN
    agent = cfg.get("nodeAgent") if isinstance(cfg, dict) else None
    return isinstance(agent, dict) and str(agent.get(flag, "")).lower() == "true"


def vpc_cni_addons(stack: Stack) -> list[Resource]:
    return [a for a in stack.of_type(*t.EKS_ADDON) if a.get("addonName") == "vpc-cni"]


@stack_rule(
    "eks-cni-enforces-network-policy",
    "EKS-04",
    "NetworkPolicies are enforced by the cluster's CNI",
    config={
        "networkPolicyEnforcedBy": {
            "type": "string",
            "default": "",
            "description": "Set when a CNI this stack does not manage enforces NetworkPolicies (e.g. 'cilium' on "
            "an existing cluster): said here, reviewed with the config.",
        }
    },
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    addons = vpc_cni_addons(stack)
    for addon in addons:
        cfg = cni_config(addon)
        if cfg is UNKNOWN:
            yield Finding(addon.urn, f"{addon.label()}: its configuration is not known yet", True)
        elif not isinstance(cfg, dict) or str(cfg.get("enableNetworkPolicy", "")).lower() != "true":
            yield Finding(
                addon.urn,
                f"{addon.label()}: enableNetworkPolicy is not 'true'; the CNI accepts NetworkPolicies and enforces "
                "none",
            )
    policies = stack.of_type(*t.NETWORK_POLICY)
    if policies and not addons and not config.get("networkPolicyEnforcedBy"):
        for policy in policies:
            yield Finding(
                policy.urn,
                f"{policy.label()}: nothing in this stack enforces NetworkPolicies (no vpc-cni add-on with "
                "enableNetworkPolicy); install it, or name the enforcing CNI in networkPolicyEnforcedBy",
            )
