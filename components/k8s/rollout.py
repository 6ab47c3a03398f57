"""Adopt in stages: what each zone stage (observe, warn, enforce) changes in the zone's Kubernetes objects.

- observe: nothing is refused. Pod Security enforces `privileged` and warns and audits `restricted`; the zone's
  admission bindings Audit and Warn; default-deny becomes allow-all (the zone's declared policies stay, and the
  VPC CNI agent, which attaches only to pods some policy selects, logs every flow's verdict); Istio runs its
  AuthorizationPolicies in dry-run (`istio.io/dry-run`), mTLS PERMISSIVE and the Sidecar ALLOW_ANY.
- warn: adds the refusals that break nothing running: Pod Security enforces `baseline` (restricted warned and
  audited), admission refuses a workload taking the mesh proxy's identity (UID 1337), and egress to the
  instance metadata service is denied; everything else as observe.
- enforce: every control (the default).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config import RolloutStage, Zone

Manifest = dict[str, Any]
ROLLOUT_LABEL = "enclave.dev/rollout"
ISTIO_DRY_RUN = "istio.io/dry-run"
METADATA_SERVICE = "169.254.169.254/32"
AUDIT_AND_WARN = ["Audit", "Warn"]
# Admission policies a `warn` zone already denies: nothing running takes the sidecar's UID 1337.
DENIED_IN_WARN = frozenset({"enclave-mesh-identity"})


def stage(zone: Zone) -> RolloutStage:
    return zone.rollout.stage


def pod_security_enforce(zone: Zone, by_class: str) -> str:
    """The Pod Security level the zone's namespaces enforce (warn and audit stay `restricted`)."""
    return {"observe": "privileged", "warn": "baseline", "enforce": by_class}[stage(zone)]


def validation_actions(rollout: RolloutStage, policy_name: str) -> list[str]:
    """A ValidatingAdmissionPolicyBinding's validationActions for a zone at `rollout`."""
    if rollout == "enforce" or (rollout == "warn" and policy_name in DENIED_IN_WARN):
        return ["Deny"]
    return list(AUDIT_AND_WARN)


def staged_binding(binding: Manifest, rollout: RolloutStage) -> Manifest:
    """A zone's own binding at the zone's stage."""
    out = {**binding, "spec": {**binding["spec"]}}
    out["spec"]["validationActions"] = validation_actions(rollout, binding["spec"]["policyName"])
    return out


def split_binding(binding: Manifest, zone_label: str, staged: Mapping[str, RolloutStage]) -> list[Manifest]:
    """A binding over every zone namespace, split for zones below enforce: the original selects the enforce
    zones only (a namespace without the zone label is still matched as before: NotIn matches it), and one binding
    per stage below enforce selects its zones with that stage's actions. Unchanged when no zone is staged."""
    by_stage: dict[RolloutStage, list[str]] = {}
    for zone, zone_stage in sorted(staged.items()):
        if zone_stage != "enforce":
            by_stage.setdefault(zone_stage, []).append(zone)
    if not by_stage:
        return [binding]
    name = binding["metadata"]["name"]
    selector = binding["spec"]["matchResources"]["namespaceSelector"]
    every = sorted(z for zones in by_stage.values() for z in zones)
    kept = {**binding, "spec": {**binding["spec"], "matchResources": {"namespaceSelector": {
        **selector,
        "matchExpressions": [*selector.get("matchExpressions", []),
                             {"key": zone_label, "operator": "NotIn", "values": every}],
    }}}}  # fmt: skip
    out = [kept]
    for rollout, zones in sorted(by_stage.items()):
        out.append(
            {
                **binding,
                "metadata": {**binding["metadata"], "name": f"{name}-{rollout}"},
                "spec": {
                    **binding["spec"],
                    "validationActions": validation_actions(rollout, binding["spec"]["policyName"]),
                    "matchResources": {
                        "namespaceSelector": {
                            "matchExpressions": [{"key": zone_label, "operator": "In", "values": zones}]
                        }
                    },
                },
            }
        )
    return out


def open_default(namespace: str, rollout: RolloutStage, policy: Any) -> Manifest:
    """What replaces a staged zone's default-deny: allow-all in observe; in warn, allow-all but egress to the
    instance metadata service. `policy(namespace, name, spec)` builds the NetworkPolicy."""
    if rollout == "observe":
        return policy(
            namespace, "allow-all-observe", {"policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]}
        )
    return policy(
        namespace,
        "allow-all-but-metadata",
        {
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{}],
            "egress": [
                {"to": [{"namespaceSelector": {}}, {"ipBlock": {"cidr": "0.0.0.0/0", "except": [METADATA_SERVICE]}}]}
            ],
        },
    )


def staged_mesh(manifest: Manifest, rollout: RolloutStage) -> Manifest:
    """A zone's Istio object at its stage: AuthorizationPolicies in dry-run, PeerAuthentication PERMISSIVE,
    the Sidecar ALLOW_ANY (its egress hosts stay: they still say what the zone will be allowed)."""
    if rollout == "enforce":
        return manifest
    kind = manifest["kind"]
    if kind == "AuthorizationPolicy":
        meta = manifest["metadata"]
        return {**manifest, "metadata": {**meta, "annotations": {**meta.get("annotations", {}), ISTIO_DRY_RUN: "true"}}}
    if kind == "PeerAuthentication":
        return {**manifest, "spec": {**manifest["spec"], "mtls": {"mode": "PERMISSIVE"}}}
    if kind == "Sidecar":
        return {**manifest, "spec": {**manifest["spec"], "outboundTrafficPolicy": {"mode": "ALLOW_ANY"}}}
    return manifest
