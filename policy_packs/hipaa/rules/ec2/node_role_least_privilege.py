"""NODE-06: node roles hold the worker-node and ECR pull policies, and nothing else."""

from collections.abc import Iterator

from framework import types as t
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN

ALLOWED = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonEC2ContainerRegistryReadOnly")


@stack_rule("node-role-least-privilege", "NODE-06", "Node roles hold only what the kubelet needs")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    roles = {r.urn: r for g in stack.of_type(*t.EKS_NODE_GROUP) for r in stack.sources(g, "nodeRoleArn", *t.ROLE)}
    for role in roles.values():
        for attachment in stack.users(role.urn, *t.POLICY_ATTACHMENTS):
            arn = attachment.get("policyArn")
            if arn is UNKNOWN:
                yield Finding(
                    attachment.urn,
                    f"{attachment.label()}: the policy attached to node role {role.name} is not known yet",
                    True,
                )
            elif not (isinstance(arn, str) and arn.rsplit("/", 1)[-1] in ALLOWED and ":iam::aws:policy/" in arn):
                yield Finding(
                    attachment.urn,
                    f"{attachment.label()} attaches {arn} to node role {role.name}; node roles get "
                    f"{', '.join(ALLOWED[:2])} only",
                )
        for policy in stack.users(role.urn, *t.ROLE_POLICY, prop="role"):
            yield Finding(
                policy.urn,
                f"{policy.label()} adds an inline policy to node role {role.name}: pods that reach the node inherit it",
            )
        managed = role.get("managedPolicyArns")
        if isinstance(managed, list) and any(str(arn).rsplit("/", 1)[-1] not in ALLOWED for arn in managed):
            yield Finding(role.urn, f"{role.label()}: managedPolicyArns goes beyond {', '.join(ALLOWED[:2])}")
