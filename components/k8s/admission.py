"""Admission that keeps each zone on its own nodes.

- Zone placement, per zone: a Kyverno mutation gives each new pod of the zone's namespaces the zone's node
  selector and the tolerations of its pools' taints (when it has none of its own), and a built-in
  ValidatingAdmissionPolicy refuses a pod that selects another zone or pool, tolerates another kind of pool
  (or every taint), or names its node. The validation does not depend on Kyverno running.
  The same validation judges the pod templates of every workload kind, so a bad Deployment or Job is refused
  when applied rather than failing later with FailedCreate.
- The admitted toleration set is what the API server's own mutating plugins leave on a pod: node conditions
  (DefaultTolerationSeconds) and, for each extended resource the pod requests (vpc.amazonaws.com/efa, RDMA
  devices, ...), the Exists/NoSchedule toleration ExtendedResourceToleration adds before validation.
Mesh admission (identity, membership, privileges) is in admission_mesh.
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
from .admission_access import service_account_policy
from .admission_mesh import mesh_membership_policy
from .labels import MANAGED_BY
from .rollout import staged_binding
from .storage import claim_policy
from .vap import POD_CREATE, SPEC_VARIABLES, WORKLOAD_TEMPLATES, Manifest, binding, cel_list, deny, policy
from .zone_context import ZoneContext

# Kyverno would otherwise also rewrite Deployments' pod templates; the Pod mutation is the one that counts.
NO_AUTOGEN = {"pod-policies.kyverno.io/autogen-controllers": "none"}
# Taint keys of every kind of pool the platform makes: a pod may tolerate only its own zone's.
POOL_TAINT_KEYS = (GPU_TAINT.key, SYSTEM_TAINT.key)


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


def requested(resource: str) -> str:
    """CEL: the pod (spec in variables.spec) requests `resource` in some container's requests or limits. The API
    server copies a Pod's limits into missing requests before admission (a template's only when it becomes a
    Pod), so limits count too."""
    return (
        "variables.containers.exists(c, has(c.resources) && ("
        f"(has(c.resources.requests) && {resource} in c.resources.requests) || "
        f"(has(c.resources.limits) && {resource} in c.resources.limits)))"
    )


def tolerations_allowed(own_keys: list[str], forbidden_keys: list[str]) -> str:
    """CEL over `variables.spec`: every toleration names the taint of one of the zone's own pools, a node
    condition (node.kubernetes.io/*, which DefaultTolerationSeconds and the DaemonSet controller add), or is
    exactly what the ExtendedResourceToleration admission plugin adds for an extended resource the pod requests
    (key = the resource, operator Exists, effect NoSchedule), unless that key is another kind of pool's taint."""
    extended = (
        f"(!(t.key in {cel_list(forbidden_keys)}) && has(t.operator) && t.operator == 'Exists' && "
        f"has(t.effect) && t.effect == 'NoSchedule' && {requested('t.key')})"
    )
    return (
        "!has(variables.spec.tolerations) || variables.spec.tolerations.all(t, has(t.key) && "
        f"(t.key in {cel_list(own_keys)} || t.key.startsWith('{NODE_CONDITION_TAINT_PREFIX}') || {extended}))"
    )


def placement_validation(p: Placement) -> list[Manifest]:
    """The zone's ValidatingAdmissionPolicy (Pods and the pod templates of workloads) and its binding to the
    zone's namespaces."""
    name = f"enclave-placement-{p.zone}"
    keys = [t.key for t in p.taints]
    others = [k for k in POOL_TAINT_KEYS if k not in keys]
    allowed = "the taints of its own pools (" + ", ".join(keys) + ")" if keys else "no pool's taint"
    validations = [
        deny(
            tolerations_allowed(keys, others),
            f"pods of zone {p.zone} may tolerate only {allowed}, node conditions and the Exists/NoSchedule "
            "toleration of an extended resource they request: a toleration of another kind of pool, or one "
            "without a key (every taint), would let them onto other zones' nodes",
        ),
        deny(
            "!has(variables.spec.nodeName)",
            f"pods of zone {p.zone} may not name their node (spec.nodeName skips the scheduler and the zone's node "
            "selector); let the scheduler place them",
        ),
    ]
    if p.pinned:
        pools = cel_list(p.pools)
        values = cel_list([p.zone, *p.pools])
        selects_own = (
            f"has(variables.spec.nodeSelector) && '{ZONE_LABEL}' in variables.spec.nodeSelector && "
            f"variables.spec.nodeSelector['{ZONE_LABEL}'] == '{p.zone}'"
        )
        no_other = (
            f"!has(variables.spec.nodeSelector) || !('{ZONE_LABEL}' in variables.spec.nodeSelector) || "
            f"variables.spec.nodeSelector['{ZONE_LABEL}'] == '{p.zone}'"
        )
        validations[:0] = [
            deny(
                # A Pod without the selector gets it from the Kyverno mutation before this runs; a template gets
                # it when its pods are created, so only a conflicting one is refused there. A DaemonSet's
                # controller places a pod on every node its template fits: it must name the zone itself.
                f"object.kind in ['Pod', 'DaemonSet'] ? ({selects_own}) : ({no_other})",
                f"pods of zone {p.zone} run only on its nodes: spec.nodeSelector['{ZONE_LABEL}'] must be "
                f"'{p.zone}' (added to Pods on admission when absent; a DaemonSet's template must set it; remove a "
                "selector naming another zone). Node agents for every node go in an agent namespace "
                "(kubernetes.node_agents.namespaces)",
            ),
            deny(
                f"!has(variables.spec.nodeSelector) || !('{POOL_LABEL}' in variables.spec.nodeSelector) || "
                f"variables.spec.nodeSelector['{POOL_LABEL}'] in {pools}",
                f"spec.nodeSelector['{POOL_LABEL}'] must name a pool of zone {p.zone}: " + ", ".join(p.pools),
            ),
            deny(
                "!has(variables.spec.affinity) || !has(variables.spec.affinity.nodeAffinity) || "
                "!has(variables.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution) || "
                "variables.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
                ".nodeSelectorTerms.all(term, !has(term.matchExpressions) || term.matchExpressions.all(e, "
                f"!(e.key in ['{ZONE_LABEL}', '{POOL_LABEL}']) || "
                f"(e.operator == 'In' && has(e.values) && e.values.all(v, v in {values}))))",
                f"required node affinity on {ZONE_LABEL} or {POOL_LABEL} may name only zone {p.zone} "
                "and its pools (" + ", ".join(p.pools) + ") with operator In",
            ),
        ]
    rules = [POD_CREATE, *WORKLOAD_TEMPLATES]
    return [policy(name, rules, validations, SPEC_VARIABLES), binding(name, {"matchLabels": {ZONE_LABEL: p.zone}})]


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


def zone_admission(ctx: ZoneContext) -> list[Manifest]:
    """The zone's admission objects: the Kyverno placement mutation (pinned zones), the placement policy and its
    binding, the zone's mesh-membership policy, its ServiceAccount policy (zones that bind groups) and its storage-class
    policy (when the platform makes zone StorageClasses)."""
    p = placement(ctx)
    rollout = ctx.zone.rollout.stage
    # In observe nothing may change where a running workload lands: no placement mutation.
    mutation = placement_mutation(p) if rollout != "observe" else None
    objects = [*placement_validation(p), *mesh_membership_policy(ctx), *service_account_policy(ctx), *claim_policy(ctx)]
    return [
        *([mutation] if mutation else []),
        *(staged_binding(m, rollout) if m["kind"] == "ValidatingAdmissionPolicyBinding" else m for m in objects),
    ]
