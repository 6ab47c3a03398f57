"""NODE-06: node roles hold the worker-node, ECR pull and (optionally) Systems Manager core policies, and nothing
else: no other managed policy however attached (RolePolicyAttachment, PolicyAttachment,
RolePolicyAttachmentsExclusive, managedPolicyArns), no inline policy (RolePolicy or inlinePolicies). A node
role is the role of an EKS node group, or of an instance profile a launch template or instance uses."""

import re
from collections.abc import Iterator

from framework import types as t
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list

ALLOWED = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",  # Session Manager instead of SSH: the node's own agent, no data access
)
AWS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:.*/)?([^/]+)$")
PROFILE = ("aws:iam/instanceProfile:InstanceProfile",)


def node_roles(stack: Stack) -> dict[str, Resource]:
    roles = {r.urn: r for g in stack.of_type(*t.EKS_NODE_GROUP) for r in stack.sources(g, "nodeRoleArn", *t.ROLE)}
    for holder in stack.of_type(*t.LAUNCH_TEMPLATE, *t.INSTANCE):
        for profile in stack.sources(holder, "iamInstanceProfile", *PROFILE):
            roles.update({r.urn: r for r in stack.sources(profile, "role", *t.ROLE)})
    return roles


def allowed(arn: object) -> bool:
    found = AWS_MANAGED.match(arn) if isinstance(arn, str) else None
    return found is not None and found[1] in ALLOWED


def attached(stack: Stack, role: Resource) -> Iterator[tuple[Resource, object]]:
    """(holder, policy ARN) for every managed policy attached to the role."""
    for attachment in stack.users(role.urn, *t.POLICY_ATTACHMENTS):
        arns = attachment.get("policyArns") if "policyArns" in attachment.props else attachment.get("policyArn")
        for arn in [UNKNOWN] if arns is UNKNOWN else as_list(arns):
            yield attachment, arn
    managed = role.get("managedPolicyArns")
    for arn in [UNKNOWN] if managed is UNKNOWN else as_list(managed):
        yield role, arn


@stack_rule("node-role-least-privilege", "NODE-06", "Node roles hold only what the kubelet needs")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for role in node_roles(stack).values():
        for holder, arn in attached(stack, role):
            if arn is UNKNOWN:
                yield Finding(
                    holder.urn, f"{holder.label()}: the policy attached to node role {role.name} is not known yet", True
                )
            elif not allowed(arn):
                yield Finding(
                    holder.urn,
                    f"{holder.label()} attaches {arn} to node role {role.name}; node roles get "
                    f"{', '.join(ALLOWED[:2])} (and {ALLOWED[3]}) only",
                )
        inline = stack.users(role.urn, *t.ROLE_POLICY, prop="role") + (
            [role] if any(isinstance(p, dict) for p in as_list(role.get("inlinePolicies"))) else []
        )
        for policy in inline:
            yield Finding(
                policy.urn,
                f"{policy.label()} adds an inline policy to node role {role.name}: pods that reach the node inherit it",
            )
