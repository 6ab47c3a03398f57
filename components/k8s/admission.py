"""Admission that keeps each zone on its own nodes and every workload inside the mesh.

- Zone placement, per zone: a Kyverno mutation gives each new pod of the zone's namespaces the zone's node
  selector and the tolerations of its pools' taints (when it has none of its own), and a built-in
  ValidatingAdmissionPolicy refuses a pod that selects another zone or pool, tolerates another kind of pool
  (or every taint), or names its node. The validation does not depend on Kyverno running.
- Mesh identity, cluster-wide over zone namespaces: a ValidatingAdmissionPolicy refuses workload containers
  that would run as UID or GID 1337. Istio's iptables rules let traffic of its proxy's UID and GID leave
  uncaptured, so such a container would bypass mTLS, the authorization policies and REGISTRY_ONLY egress.
  Neither baseline nor restricted Pod Security forbids the UID, and an image's own `USER 1337` would do the
  same, so every workload container must say who it runs as.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..scheduling import (
    GPU_TAINT,
    NODE_CONDITION_TAINT_PREFIX,
    POOL_LABEL,
    SYSTEM_POOL,
    SYSTEM_TAINT,
    ZONE_LABEL,
    Taint,
)
from .labels import MANAGED_BY
from .zone_context import ZoneContext

Manifest = dict[str, Any]
VAP_API = "admissionregistration.k8s.io/v1"
MESH_UID = 1337  # Istio's proxy UID and GID (values.global.proxy: runAsUser/runAsGroup)
SIDECAR_CONTAINERS = ("istio-proxy", "istio-validation")
# Kyverno would otherwise also rewrite Deployments' pod templates; the Pod mutation is the one that counts.
NO_AUTOGEN = {"pod-policies.kyverno.io/autogen-controllers": "none"}


@dataclass(frozen=True)
class Placement:
    """Where a zone's pods may run: its pools (their nodes carry `enclave.dev/zone=<zone>`) and the taints
    those pools carry. A zone with no pools of its own (the platform zone on a cluster the platform does not
    create) is not pinned, and may tolerate no pool's taint."""

    zone: str
    pools: tuple[str, ...]
    taints: tuple[Taint, ...]

    @property
    def pinned(self) -> bool:
        return bool(self.pools)


def placement(ctx: ZoneContext) -> Placement:
    pools = list(ctx.gpu_pools)
    taints: list[Taint] = []
    if ctx.system_pool:
        pools.insert(0, SYSTEM_POOL)
        taints.append(SYSTEM_TAINT)
    if ctx.gpu_pools:
        taints.append(GPU_TAINT)
    return Placement(ctx.name, tuple(pools), tuple(taints))


def _cel_list(values: list[str] | tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def _binding(name: str, selector: dict[str, Any]) -> Manifest:
    return {
        "apiVersion": VAP_API,
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name, "labels": dict(MANAGED_BY)},
        "spec": {"policyName": name, "validationActions": ["Deny"], "matchResources": {"namespaceSelector": selector}},
    }


def _policy(
    name: str, rules: list[dict[str, Any]], validations: list[dict[str, str]], variables: list[Any]
) -> Manifest:
    spec: dict[str, Any] = {
        "failurePolicy": "Fail",
        "matchConstraints": {"resourceRules": rules},
        "validations": validations,
    }
    if variables:
        spec["variables"] = variables
    return {
        "apiVersion": VAP_API,
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name, "labels": dict(MANAGED_BY)},
        "spec": spec,
    }


POD_CREATE = {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}
EPHEMERAL_UPDATE = {
    "apiGroups": [""],
    "apiVersions": ["v1"],
    "operations": ["UPDATE"],
    "resources": ["pods/ephemeralcontainers"],
}


def placement_validation(p: Placement) -> list[Manifest]:
    """The zone's ValidatingAdmissionPolicy and its binding to the zone's namespaces."""
    name = f"enclave-placement-{p.zone}"
    keys = [t.key for t in p.taints]
    tolerations = (
        "!has(object.spec.tolerations) || object.spec.tolerations.all(t, has(t.key) && "
        f"(t.key in {_cel_list(keys)} || t.key.startsWith('{NODE_CONDITION_TAINT_PREFIX}')))"
    )
    allowed = "the taints of its own pools (" + ", ".join(keys) + ")" if keys else "no pool's taint"
    validations = [
        {
            "expression": tolerations,
            "message": f"pods of zone {p.zone} may tolerate only {allowed} and node conditions: a toleration of "
            "another kind of pool, or one without a key (every taint), would let them onto other zones' nodes",
            "reason": "Forbidden",
        },
        {
            "expression": "!has(object.spec.nodeName)",
            "message": f"pods of zone {p.zone} may not name their node (spec.nodeName skips the scheduler and the "
            "zone's node selector); let the scheduler place them",
            "reason": "Forbidden",
        },
    ]
    if p.pinned:
        pools = _cel_list(p.pools)
        selector = "has(object.spec.nodeSelector) && "
        values = _cel_list([p.zone, *p.pools])
        validations[:0] = [
            {
                "expression": f"{selector}'{ZONE_LABEL}' in object.spec.nodeSelector && "
                f"object.spec.nodeSelector['{ZONE_LABEL}'] == '{p.zone}'",
                "message": f"pods of zone {p.zone} run only on its nodes: spec.nodeSelector['{ZONE_LABEL}'] must be "
                f"'{p.zone}' (added on admission when absent; remove a selector naming another zone)",
                "reason": "Forbidden",
            },
            {
                "expression": f"!has(object.spec.nodeSelector) || !('{POOL_LABEL}' in object.spec.nodeSelector) || "
                f"object.spec.nodeSelector['{POOL_LABEL}'] in {pools}",
                "message": f"spec.nodeSelector['{POOL_LABEL}'] must name a pool of zone {p.zone}: "
                + ", ".join(p.pools),
                "reason": "Forbidden",
            },
            {
                "expression": "!has(object.spec.affinity) || !has(object.spec.affinity.nodeAffinity) || "
                "!has(object.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution) || "
                "object.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
                ".all(term, !has(term.matchExpressions) || term.matchExpressions.all(e, "
                f"!(e.key in ['{ZONE_LABEL}', '{POOL_LABEL}']) || "
                f"(e.operator == 'In' && has(e.values) && e.values.all(v, v in {values}))))",
                "message": f"required node affinity on {ZONE_LABEL} or {POOL_LABEL} may name only zone {p.zone} "
                "and its pools (" + ", ".join(p.pools) + ") with operator In",
                "reason": "Forbidden",
            },
        ]
    return [_policy(name, [POD_CREATE], validations, []), _binding(name, {"matchLabels": {ZONE_LABEL: p.zone}})]


def _safe_rule_name(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:63]


def placement_mutation(p: Placement) -> Manifest | None:
    """The zone's Kyverno ClusterPolicy: add the zone's node selector and its pools' tolerations to new pods
    that lack them. None for a zone that is not pinned."""
    if not p.pinned:
        return None
    match = {
        "any": [
            {
                "resources": {
                    "kinds": ["Pod"],
                    "operations": ["CREATE"],
                    "namespaceSelector": {"matchLabels": {ZONE_LABEL: p.zone}},
                }
            }
        ]
    }
    rules: list[dict[str, Any]] = [
        {
            "name": "zone-node-selector",
            "match": match,
            # `+(key)`: add only when absent, so a conflicting selector reaches the validation and is refused.
            "mutate": {"patchStrategicMerge": {"spec": {"nodeSelector": {f"+({ZONE_LABEL})": p.zone}}}},
        }
    ]
    for taint in p.taints:
        rules.append(
            {
                "name": _safe_rule_name(f"tolerate-{taint.key}"),
                "match": match,
                "preconditions": {
                    "all": [
                        {
                            "key": taint.key,
                            "operator": "AnyNotIn",
                            "value": "{{ request.object.spec.tolerations[].key || `[]` }}",
                        }
                    ]
                },
                # Kyverno applies JSON patches with EnsurePathExistsOnAdd: the list is created when absent.
                "mutate": {
                    "patchesJson6902": f"- op: add\n  path: /spec/tolerations/-\n  value: {_flow(taint.toleration())}\n"
                },
            }
        )
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {
            "name": f"enclave-placement-{p.zone}",
            "labels": dict(MANAGED_BY),
            "annotations": dict(NO_AUTOGEN),
        },
        "spec": {"background": False, "failurePolicy": "Fail", "rules": rules},
    }


def _flow(value: dict[str, str]) -> str:
    """A one-line YAML flow mapping with quoted strings (JSON is valid YAML)."""
    return json.dumps(value, sort_keys=False)


def _effective(container: str, field: str) -> str:
    """CEL: the container's `field` (runAsUser / runAsGroup), else the pod's, else -1 (unset)."""
    return (
        f"(has({container}.securityContext) && has({container}.securityContext.{field}) ? "
        f"{container}.securityContext.{field} : variables.pod_{field})"
    )


def mesh_identity_policy(sidecar_image: str) -> list[Manifest]:
    """The cluster-wide UID/GID 1337 refusal for zone namespaces, and its binding. The injected sidecar and
    its validation init container (exactly the configured proxy image, with the injector's own entrypoint:
    no `command`) are the only containers allowed to run as 1337."""
    name = "enclave-mesh-identity"
    sidecar = f"(c.name in {_cel_list(SIDECAR_CONTAINERS)} && c.image == '{sidecar_image}' && !has(c.command))"
    user, group = _effective("c", "runAsUser"), _effective("c", "runAsGroup")
    workload_ok = f"({user} >= 0 && {user} != {MESH_UID} && {group} >= 0 && {group} != {MESH_UID})"
    check = f"{sidecar} || {workload_ok}"
    message = (
        f"every workload container must run with an explicit runAsUser and runAsGroup (container or pod "
        f"securityContext) other than {MESH_UID}: traffic of UID/GID {MESH_UID}, Istio's proxy identity, leaves "
        "the pod uncaptured by the sidecar (no mTLS, no authorization, no egress control). Set "
        "securityContext.runAsUser and runAsGroup, e.g. 1000, as the workload pod template does"
    )
    pod_field = (
        "has(object.spec.securityContext) && has(object.spec.securityContext.{f}) ? "
        "object.spec.securityContext.{f} : -1"
    )
    variables = [
        {"name": "pod_runAsUser", "expression": pod_field.format(f="runAsUser")},
        {"name": "pod_runAsGroup", "expression": pod_field.format(f="runAsGroup")},
    ]
    validations = [
        {"expression": f"object.spec.containers.all(c, {check})", "message": message, "reason": "Forbidden"},
        {
            "expression": f"!has(object.spec.initContainers) || object.spec.initContainers.all(c, {check})",
            "message": "init containers: " + message,
            "reason": "Forbidden",
        },
        {
            "expression": f"!has(object.spec.ephemeralContainers) || object.spec.ephemeralContainers.all(c, {check})",
            "message": "ephemeral (debug) containers: " + message,
            "reason": "Forbidden",
        },
        {
            "expression": "!has(object.spec.securityContext) || !has(object.spec.securityContext.supplementalGroups) "
            f"|| !({MESH_UID} in object.spec.securityContext.supplementalGroups)",
            "message": f"supplementalGroups may not include {MESH_UID}, Istio's proxy group",
            "reason": "Forbidden",
        },
    ]
    selector = {"matchExpressions": [{"key": ZONE_LABEL, "operator": "Exists"}]}
    return [_policy(name, [POD_CREATE, EPHEMERAL_UPDATE], validations, variables), _binding(name, selector)]


def zone_admission(ctx: ZoneContext) -> list[Manifest]:
    """The zone's placement objects: the Kyverno mutation (pinned zones), the policy and its binding."""
    p = placement(ctx)
    mutation = placement_mutation(p)
    return [*([mutation] if mutation else []), *placement_validation(p)]
