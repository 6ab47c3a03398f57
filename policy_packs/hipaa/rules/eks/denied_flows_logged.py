"""DETECT-01: the VPC CNI's network-policy agent logs the flows it denies."""

from collections.abc import Iterator

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import EKS_ADDON
from framework.values import UNKNOWN

from .cni_enforces_network_policy import node_agent_enables


@resource_rule("denied-flows-logged", "DETECT-01", "Denied network flows are logged", EKS_ADDON)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    if r.get("addonName") != "vpc-cni":
        return
    enabled = node_agent_enables(r, "enablePolicyEventLogs")
    if enabled is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: its configuration is not known yet", True)
    elif not enabled:
        yield Finding(r.urn, f"{r.label()}: nodeAgent.enablePolicyEventLogs is not 'true'; denied flows go unrecorded")
