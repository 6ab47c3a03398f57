"""What an IAM role may do, gathered from every way a stack gives it permissions, and whom it serves.

Permissions: inline policies (RolePolicy, the role's own `inlinePolicies`), managed policies however attached
(RolePolicyAttachment, PolicyAttachment, RolePolicyAttachmentsExclusive, the role's `managedPolicyArns`): a
customer-managed aws.iam.Policy of the stack is read, an AWS managed one is named (its document is not here),
and bucket policies that grant the role by name. Workloads: the ServiceAccounts annotated with the role and the
EKS Pod Identity associations that hand it to a ServiceAccount."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import types as t
from .documents import statements
from .model import Resource, Stack
from .values import UNKNOWN, as_list

AWS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/")


@dataclass(frozen=True)
class Grant:
    """One source of the role's permissions: the resource that holds it and its document (UNKNOWN when not known
    yet), or `managed` (an AWS managed policy ARN, whose document the pack cannot read)."""

    holder: Resource
    document: Any = None
    managed: str | None = None


def _attached(stack: Stack, holder: Resource, arn: Any, prop: str) -> Iterator[Grant]:
    policies = stack.sources(holder, prop, *t.IAM_POLICY)
    if policies:
        yield from (Grant(p, p.get("policy")) for p in policies)
    elif arn is UNKNOWN:
        yield Grant(holder, UNKNOWN)
    elif isinstance(arn, str):
        yield Grant(holder, managed=arn)


def grants(stack: Stack, role: Resource) -> list[Grant]:
    out = [Grant(p, p.get("policy")) for p in stack.users(role.urn, *t.ROLE_POLICY, prop="role")]
    inline = role.get("inlinePolicies")
    out += [Grant(role, p.get("policy")) for p in as_list(inline) if isinstance(p, dict)]
    for attachment in stack.users(role.urn, *t.POLICY_ATTACHMENTS):
        prop = "policyArns" if "policyArns" in attachment.props else "policyArn"
        value = attachment.get(prop)
        for arn in [UNKNOWN] if value is UNKNOWN else as_list(value):
            out += list(_attached(stack, attachment, arn, prop))
    managed = role.get("managedPolicyArns")
    for arn in [UNKNOWN] if managed is UNKNOWN else as_list(managed):
        out += list(_attached(stack, role, arn, "managedPolicyArns"))
    name = role.get("name")
    for policy in stack.of_type(*t.BUCKET_POLICY):
        if policy.depends_on(role.urn, "policy") or (
            isinstance(name, str) and f':role/{name}"' in str(policy.get("policy"))
        ):
            out.append(Grant(policy, policy.get("policy")))
    return out


def service_accounts(stack: Stack, role: Resource) -> list[tuple[str | None, Resource]]:
    """(namespace, resource) of every ServiceAccount the role serves: annotated with it, or associated with it by
    an EKS Pod Identity association."""
    from .kube import namespace_of

    out = [(namespace_of(sa), sa) for sa in stack.users(role.urn, *t.SERVICE_ACCOUNT, prop="metadata")]
    for assoc in stack.users(role.urn, *t.POD_IDENTITY, prop="roleArn"):
        namespace = assoc.get("namespace")
        out.append((namespace if isinstance(namespace, str) else None, assoc))
    return out


def as_own(holder: Resource, found: list[Any], role: Resource) -> list[Any]:
    """A grant's statements as the role's own: all of an identity policy's; of a bucket policy, those that name the
    role (or depend on it), with the principal taken away (the grant is the same)."""
    if holder.type not in t.BUCKET_POLICY:
        return found
    name = role.get("name")
    mine = [
        s for s in found
        if holder.depends_on(role.urn, "policy") or any(f":role/{name}" in str(p) for p in s.principals("AWS"))
    ]  # fmt: skip
    return [type(s)(dataclasses.replace(s.parsed, principal=None, not_principal=None)) for s in mine]


def permissions(stack: Stack, role: Resource) -> tuple[list[Any], list[Grant]]:
    """Every statement the role's grants give it, as its own (framework.documents statements), and the grants that
    cannot be read: an AWS managed policy, or a document not known yet. A document IAM would refuse grants nothing."""
    own: list[Any] = []
    unread: list[Grant] = []
    for g in grants(stack, role):
        found = None if g.managed is not None else statements(g.document)
        if g.managed is not None or found is UNKNOWN:
            unread.append(g)
        elif isinstance(found, list):
            own += as_own(g.holder, found, role)
    return own, unread
