"""DETECT-06: the VPC CNI's network-policy agent sends the flows it denies to CloudWatch Logs (the cluster's
control-plane group, /aws/eks/<cluster>/cluster), and a metric filter there counts its DENY lines (not its
ACCEPT ones) with an alarm that notifies someone."""

from collections.abc import Iterator

from framework import signal_samples as samples
from framework import types as t
from framework.alarms import watched
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN

from ..eks.cni_enforces_network_policy import node_agent_enables

POSITIVE = [samples.cni_line("DENY"), samples.cni_line("DENY", tier=None)]
NEGATIVE = [samples.cni_line("ACCEPT"), samples.cni_line("ACCEPT", tier=None), samples.cni_line("EXPIRED/DELETED")]


def cluster_groups(stack: Stack, addon: Resource) -> list[Resource | str]:
    """The control-plane log group of the add-on's cluster (by the cluster's name), or every such group."""
    names = [c.get("name") for c in stack.sources(addon, "clusterName", *t.EKS_CLUSTER)]
    name = addon.get("clusterName")
    if isinstance(name, str):
        names.append(name)
    wanted = {f"/aws/eks/{n}/cluster" for n in names if isinstance(n, str)}
    groups: list[Resource | str] = [
        g for g in stack.of_type(*t.LOG_GROUP) if isinstance(g.get("name"), str) and g.get("name") in wanted
    ]
    if not wanted:
        groups += [g for g in stack.of_type(*t.LOG_GROUP)
                   if isinstance(g.get("name"), str) and str(g.get("name")).startswith("/aws/eks/")]  # fmt: skip
    return groups + sorted(wanted)


@stack_rule(
    "denied-flows-alarmed",
    "DETECT-06",
    "Denied NetworkPolicy flows raise an alarm",
    subjects=t.EKS_ADDON,
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for addon in stack.of_type(*t.EKS_ADDON):
        if addon.get("addonName") != "vpc-cni":
            continue
        enabled = node_agent_enables(addon, "enableCloudWatchLogs")
        if enabled is UNKNOWN:
            yield Finding(addon.urn, f"{addon.label()}: its configuration is not known yet", True)
            continue
        if not enabled:
            yield Finding(
                addon.urn,
                f"{addon.label()}: nodeAgent.enableCloudWatchLogs is not 'true'; denied flows never reach CloudWatch, "
                "so no alarm can count them",
            )
            continue
        verdict = watched(stack, None, POSITIVE, NEGATIVE, groups=cluster_groups(stack, addon))
        if verdict.watched is None:
            yield Finding(addon.urn, f"{addon.label()}: {verdict.why}", True)
        elif not verdict.watched:
            yield Finding(
                addon.urn,
                f"{addon.label()}: no metric filter on the cluster's log group counts the agent's 'PolicyVerdict: "
                "DENY' lines (and not its ACCEPT lines) with an alarm that notifies someone",
            )
