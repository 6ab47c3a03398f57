"""NODE-05: each node group is labelled for one zone and pool, and its launch template's interfaces carry
security groups of their own, not the cluster security group (which admits every other node)."""

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list

ZONE_LABEL, POOL_LABEL = "enclave.dev/zone", "enclave.dev/pool"


def launch_templates(stack: Stack, group: Resource) -> list[Resource]:
    return stack.sources(group, "launchTemplate", *t.LAUNCH_TEMPLATE)


@stack_rule(
    "node-pools-zone-dedicated",
    "NODE-05",
    "Node pools are dedicated to one zone and closed to other zones' nodes",
    subjects=t.EKS_NODE_GROUP,
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    clusters = {c.urn for c in stack.of_type(*t.EKS_CLUSTER)}
    for group in stack.of_type(*t.EKS_NODE_GROUP):
        labels = group.get("labels")
        if labels is UNKNOWN:
            yield Finding(group.urn, f"{group.label()}: its labels are not known yet", True)
        elif not (isinstance(labels, Mapping) and labels.get(ZONE_LABEL) and labels.get(POOL_LABEL)):
            yield Finding(
                group.urn, f"{group.label()} is not labelled {ZONE_LABEL} and {POOL_LABEL}: no zone can be pinned to it"
            )
        templates = launch_templates(stack, group)
        if not templates:
            yield Finding(
                group.urn,
                f"{group.label()} has no launch template of this stack: EKS gives its nodes the cluster security group",
            )
        for lt in templates:
            interfaces = as_list(lt.get("networkInterfaces"))
            top = lt.get("vpcSecurityGroupIds")
            # EKS adds the cluster security group only when the template names none (on an interface or at the top)
            named_top = top is UNKNOWN or bool(as_list(top))
            if (not interfaces and not named_top) or any(
                isinstance(i, Mapping) and not as_list(i.get("securityGroups")) for i in interfaces
            ):
                yield Finding(
                    lt.urn,
                    f"{lt.label()}: an interface names no security groups, so EKS adds the cluster security group",
                )
            if clusters & set(
                lt.property_dependencies.get("networkInterfaces", [])
                + lt.property_dependencies.get("vpcSecurityGroupIds", [])
            ):
                yield Finding(
                    lt.urn,
                    f"{lt.label()}: its interfaces carry the cluster security group, which admits every node of every "
                    "zone",
                )
