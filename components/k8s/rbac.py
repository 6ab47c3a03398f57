"""RBAC from the seeds' persona table: namespace-scoped roles without wildcards, bound to groups and
to the zone's workload service accounts; platform admins cluster-wide and separate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .labels import MANAGED_BY
from .zone_context import ZoneContext

Manifest = dict[str, Any]
READ = ["get", "list", "watch"]

# Persona -> rules. No "*" verbs or resources: every permission is named.
PERSONA_RULES: dict[str, list[dict[str, Any]]] = {
    # Data scientist: own namespace, create/delete Jobs, read logs.
    "data-scientist": [
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create", "delete", *READ]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": READ},
        {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    ],
    # ML engineer: own namespace, Deployments (and the Services that expose them to declared flows) and
    # Jobs; model-registry push is an IAM/ECR grant. No Secrets: workloads get theirs through IRSA.
    "ml-engineer": [
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["create", "update", "patch", "delete", *READ]},
        {"apiGroups": [""], "resources": ["services"], "verbs": ["create", "update", "patch", "delete", *READ]},
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create", "delete", *READ]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": READ},
        {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    ],
    # Training job service account: get ConfigMaps/Secrets, list Pods. Everything else denied.
    "training-job": [
        {"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
    ],
}


# Notebooks accept no connection from any zone: a data scientist opens their notebook through the API server
# (`kubectl port-forward`), authenticated by IAM, authorised here and recorded in the Kubernetes audit log.
# Port-forwarded traffic enters the pod on loopback, so it needs no NetworkPolicy or mesh rule.
NOTEBOOK_PORT_FORWARD = {"apiGroups": [""], "resources": ["pods/portforward"], "verbs": ["get", "create"]}


def persona_rules(persona: str, zone_class: str) -> list[dict[str, Any]]:
    """The rules of `persona` in a zone of `zone_class`."""
    rules = list(PERSONA_RULES[persona])
    if persona == "data-scientist" and zone_class == "notebooks":
        rules.append(NOTEBOOK_PORT_FORWARD)
    return rules


def _role(namespace: str, name: str, zone_class: str) -> Manifest:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(MANAGED_BY)},
        "rules": persona_rules(name, zone_class),
    }


def _binding(namespace: str, role: str, subjects: list[dict[str, Any]]) -> Manifest:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": role, "namespace": namespace, "labels": dict(MANAGED_BY)},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
        "subjects": subjects,
    }


def _groups(names: list[str]) -> list[dict[str, Any]]:
    return [{"kind": "Group", "name": g, "apiGroup": "rbac.authorization.k8s.io"} for g in names]


def zone_rbac(ctx: ZoneContext, namespace: str) -> list[Manifest]:
    zone = ctx.zone
    out: list[Manifest] = []
    if zone.access.data_scientist_groups:
        out += [
            _role(namespace, "data-scientist", zone.zone_class),
            _binding(namespace, "data-scientist", _groups(zone.access.data_scientist_groups)),
        ]
    if zone.access.ml_engineer_groups:
        out += [
            _role(namespace, "ml-engineer", zone.zone_class),
            _binding(namespace, "ml-engineer", _groups(zone.access.ml_engineer_groups)),
        ]
    accounts = list(ctx.training_service_accounts.get(namespace, ()))
    if zone.zone_class == "training" and accounts:
        subjects = [{"kind": "ServiceAccount", "name": sa, "namespace": namespace} for sa in accounts]
        out += [_role(namespace, "training-job", zone.zone_class), _binding(namespace, "training-job", subjects)]
    return out


def platform_admin_binding(groups: Sequence[str]) -> Manifest | None:
    """Cluster-wide admin for people (groups) only: never for a service account."""
    if not groups:
        return None
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "enclave-platform-admins", "labels": dict(MANAGED_BY)},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": _groups(list(groups)),
    }
