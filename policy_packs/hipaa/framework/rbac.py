"""Who is an administrator of the cluster, decided by what they can do rather than by names: a role is admin when it
is one of the privileged built-in ClusterRoles or when a rule lets it escalate, bind, impersonate or use any verb;
a Kubernetes group is admin when it is system:masters or a binding gives it an admin role; an IAM principal is admin
when EKS maps it (access entry kubernetesGroups, the aws-auth ConfigMap's mapRoles/mapUsers) into an admin group."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from .model import Resource, Stack
from .types import BINDINGS, EKS_ACCESS_ENTRY, ROLES
from .values import UNKNOWN, as_list, strings
from .workloads import namespace, objects

PRIVILEGED = ["cluster-admin", "admin", "edit"]
ADMIN_VERBS = {"*", "escalate", "bind", "impersonate"}
MASTERS = "system:masters"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"


def admin_verbs(rules: Any) -> list[str]:
    """The verbs of a role's rules that make it an administrator's."""
    return sorted({str(v).lower() for r in as_list(rules) if isinstance(r, Mapping) for v in strings(r.get("verbs"))}
                  & ADMIN_VERBS)  # fmt: skip


def _roles(stack: Stack) -> dict[tuple[str, str | None, str], Resource]:
    """(kind, namespace for a Role, name) -> the Role / ClusterRole of the stack."""
    out: dict[tuple[str, str | None, str], Resource] = {}
    for r in stack.of_type(*ROLES):
        kind = r.type.rsplit(":", 1)[-1]
        name = r.get("metadata.name")
        ns = r.get("metadata.namespace") if kind == "Role" else None
        if isinstance(name, str):
            out[(kind, ns if isinstance(ns, str) else None, name)] = r
    return out


def why_admin(stack: Stack, binding: Resource, privileged: Iterable[str]) -> str | None:
    """Why the role a binding grants is an administrator's (None when it is not; UNKNOWN is not decided here)."""
    kind, name = binding.get("roleRef.kind"), binding.get("roleRef.name")
    if not isinstance(name, str):
        return None
    if kind == "ClusterRole" and name in set(privileged):
        return f"ClusterRole {name}"
    ns = binding.get("metadata.namespace") if kind == "Role" else None
    role = _roles(stack).get((str(kind), ns if isinstance(ns, str) else None, name))
    verbs = admin_verbs(role.get("rules")) if role is not None else []
    return f"{kind} {name} (verbs {', '.join(verbs)})" if verbs else None


@dataclass(frozen=True)
class Mapped:
    """An IAM principal EKS maps into Kubernetes groups, and the resource that maps it."""

    principal: Any
    groups: tuple[str, ...]
    source: Resource
    how: str


def _aws_auth(r: Resource) -> Iterator[Mapped]:
    for key, arn_field in (("mapRoles", "rolearn"), ("mapUsers", "userarn")):
        text = r.get(f"data.{key}")
        if not isinstance(text, str):
            continue
        try:
            entries = yaml.safe_load(text)
        except yaml.YAMLError:
            yield Mapped(UNKNOWN, (), r, f"data.{key} (not YAML)")
            continue
        for e in as_list(entries):
            if isinstance(e, Mapping):
                yield Mapped(e.get(arn_field), tuple(strings(e.get("groups"))), r, f"data.{key}")


def mappings(stack: Stack) -> Iterator[Mapped]:
    """Every IAM principal the stack maps into Kubernetes groups: access entries and aws-auth ConfigMaps (typed or
    inline in a manifest)."""
    for entry in stack.of_type(*EKS_ACCESS_ENTRY):
        yield Mapped(
            entry.get("principalArn"), tuple(strings(entry.get("kubernetesGroups"))), entry, "kubernetesGroups"
        )
    for obj in objects(stack):
        if obj.kind == "ConfigMap" and obj.name == "aws-auth" and namespace(obj, stack) == "kube-system":
            if obj.inline:
                continue  # judged through the typed child the engine shows
            yield from _aws_auth(obj.resource)


def admin_groups(stack: Stack, privileged: Iterable[str]) -> dict[str, str]:
    """Kubernetes group -> why it is an administrators' group."""
    out = {MASTERS: "system:masters bypasses RBAC"}
    wanted = list(privileged)
    for b in stack.of_type(*BINDINGS):
        why = why_admin(stack, b, wanted)
        if why is None:
            continue
        for s in as_list(b.get("subjects")):
            if isinstance(s, Mapping) and s.get("kind") == "Group" and isinstance(s.get("name"), str):
                out.setdefault(str(s["name"]), f"{b.label()} grants it {why}")
    return out


__all__ = ["CONFIG_MAP", "MASTERS", "PRIVILEGED", "Mapped", "admin_groups", "admin_verbs", "mappings", "why_admin"]
