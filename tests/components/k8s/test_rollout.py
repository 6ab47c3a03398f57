"""Adopt in stages: what a zone in observe and in warn renders (Pod Security, NetworkPolicies, Istio, admission),
and that an enforce zone renders exactly what it always did."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from components.config import PlatformConfig, validate_platform
from components.k8s.addons import registry_policy, staged
from components.k8s.admission import zone_admission
from components.k8s.admission_images import registry_admission
from components.k8s.admission_mesh import mesh_identity_policy, workload_privileges_policy
from components.k8s.labels import PSA_AUDIT, PSA_ENFORCE, PSA_WARN, ZONE_LABEL
from components.k8s.rollout import ISTIO_DRY_RUN, METADATA_SERVICE, ROLLOUT_LABEL
from components.k8s.trust_zone import zone_manifests
from components.k8s.zone_context import ZoneContext
from tests.conftest import stack_data

NOTEBOOKS = 3  # prod's notebooks zone (restricted Pod Security)
TRAINING = 1


def staged_cfg(stage: str, zone: int = NOTEBOOKS) -> PlatformConfig:
    data = stack_data("prod")
    expires = (datetime.date.today() + datetime.timedelta(days=60)).isoformat()
    data["zones"][zone]["rollout"] = {"stage": stage, "owner": "ml-platform", "expires": expires}
    return validate_platform(data)


def objects(cfg: PlatformConfig, zone: str) -> list[dict[str, Any]]:
    ctx = ZoneContext.of_platform(cfg, cfg.zone(zone))
    return [o for objs in zone_manifests(ctx).values() for o in objs] + zone_admission(ctx)


def of_kind(objs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objs if o["kind"] == kind]


def named(objs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in of_kind(objs, kind)}


@pytest.mark.parametrize(("stage", "enforce"), [("observe", "privileged"), ("warn", "baseline")])
def test_pod_security_warns_and_audits_restricted_below_enforce(stage: str, enforce: str) -> None:
    (ns,) = of_kind(objects(staged_cfg(stage), "notebooks"), "Namespace")
    labels = ns["metadata"]["labels"]
    assert labels[PSA_ENFORCE] == enforce
    assert labels[PSA_WARN] == labels[PSA_AUDIT] == "restricted"
    assert labels[ROLLOUT_LABEL] == stage


def test_observe_network_policies_allow_all_and_keep_the_declared_ones() -> None:
    observed = named(objects(staged_cfg("observe"), "notebooks"), "NetworkPolicy")
    enforced = named(objects(validate_platform(stack_data("prod")), "notebooks"), "NetworkPolicy")
    assert "default-deny" not in observed and "default-deny" in enforced
    allow = observed["allow-all-observe"]["spec"]
    assert allow == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]}
    assert set(observed) - {"allow-all-observe"} == set(enforced) - {"default-deny"}


def test_warn_denies_only_the_metadata_service() -> None:
    policies = named(objects(staged_cfg("warn"), "notebooks"), "NetworkPolicy")
    assert "default-deny" not in policies
    spec = policies["allow-all-but-metadata"]["spec"]
    assert spec["ingress"] == [{}]
    (rule,) = spec["egress"]
    blocks = [p["ipBlock"] for p in rule["to"] if "ipBlock" in p]
    assert blocks == [{"cidr": "0.0.0.0/0", "except": [METADATA_SERVICE]}]


@pytest.mark.parametrize("stage", ["observe", "warn"])
def test_istio_runs_in_dry_run_below_enforce(stage: str) -> None:
    objs = objects(staged_cfg(stage), "notebooks")
    authz = of_kind(objs, "AuthorizationPolicy")
    assert authz and all(a["metadata"]["annotations"][ISTIO_DRY_RUN] == "true" for a in authz)
    assert all(p["spec"]["mtls"]["mode"] == "PERMISSIVE" for p in of_kind(objs, "PeerAuthentication"))
    sidecars = of_kind(objs, "Sidecar")
    assert sidecars and all(s["spec"]["outboundTrafficPolicy"]["mode"] == "ALLOW_ANY" for s in sidecars)
    # the declared egress hosts stay: they are what the zone will be allowed once it enforces
    assert all("./*" in s["spec"]["egress"][0]["hosts"] for s in sidecars)


def test_other_zones_are_untouched_by_a_staged_zone() -> None:
    base = validate_platform(stack_data("prod"))
    cfg = staged_cfg("observe")
    for zone in ("platform", "training", "inference"):
        assert objects(cfg, zone) == objects(base, zone), zone


def test_enforce_is_todays_behaviour() -> None:
    base = validate_platform(stack_data("prod"))
    assert all(z.rollout.stage == "enforce" for z in base.zones)
    objs = objects(base, "notebooks")
    (ns,) = of_kind(objs, "Namespace")
    assert ns["metadata"]["labels"][PSA_ENFORCE] == "restricted" and ROLLOUT_LABEL not in ns["metadata"]["labels"]
    assert all(ISTIO_DRY_RUN not in a["metadata"].get("annotations", {}) for a in of_kind(objs, "AuthorizationPolicy"))
    assert all(b["spec"]["validationActions"] == ["Deny"] for b in of_kind(objs, "ValidatingAdmissionPolicyBinding"))


@pytest.mark.parametrize("stage", ["observe", "warn"])
def test_zone_admission_audits_and_warns(stage: str) -> None:
    objs = objects(staged_cfg(stage, TRAINING), "training")
    bindings = of_kind(objs, "ValidatingAdmissionPolicyBinding")
    assert bindings and all(b["spec"]["validationActions"] == ["Audit", "Warn"] for b in bindings)
    mutations = [o for o in objs if o["kind"] == "ClusterPolicy"]
    # observe changes nothing about where a running workload lands; warn places new pods on the zone's nodes
    assert bool(mutations) is (stage == "warn")


def test_cluster_wide_bindings_split_for_staged_zones() -> None:
    ecr = "111122223333.dkr.ecr.us-east-1.amazonaws.com"
    manifests = [*registry_admission(ecr, ["r.example.com"], [], ["falco"]), *mesh_identity_policy("img"),
                 *workload_privileges_policy()]  # fmt: skip
    assert staged(manifests, {}) == manifests, "no staged zone: unchanged"
    out = staged(manifests, {"notebooks": "warn", "research": "observe"})
    bindings = {b["metadata"]["name"]: b["spec"] for b in of_kind(out, "ValidatingAdmissionPolicyBinding")}
    for name in ("enclave-approved-registries", "enclave-mesh-identity", "enclave-workload-privileges"):
        kept = bindings[name]
        assert kept["validationActions"] == ["Deny"]
        assert {"key": ZONE_LABEL, "operator": "NotIn", "values": ["notebooks", "research"]} in (
            kept["matchResources"]["namespaceSelector"]["matchExpressions"]
        )
        observe, warn = bindings[f"{name}-observe"], bindings[f"{name}-warn"]
        assert observe["policyName"] == warn["policyName"] == name
        assert observe["validationActions"] == ["Audit", "Warn"]
        assert warn["validationActions"] == (["Deny"] if name == "enclave-mesh-identity" else ["Audit", "Warn"])
        assert warn["matchResources"]["namespaceSelector"] == {
            "matchExpressions": [{"key": ZONE_LABEL, "operator": "In", "values": ["notebooks"]}]
        }
    # the agents' binding names namespaces, not zones: unchanged
    assert bindings["enclave-approved-registries-agents"]["validationActions"] == ["Deny"]


def test_kyverno_registry_policy_audits_staged_zones() -> None:
    assert "failureActionOverrides" not in registry_policy(["r.example.com"])["spec"]["rules"][0]["validate"]
    staged = registry_policy(["r.example.com"], (), zone_stages={"notebooks": "observe"})
    validate = staged["spec"]["rules"][0]["validate"]
    assert validate["failureAction"] == "Enforce"
    assert validate["failureActionOverrides"] == [
        {"action": "Audit", "namespaceSelector": {
            "matchExpressions": [{"key": ZONE_LABEL, "operator": "In", "values": ["notebooks"]}]}}
    ]  # fmt: skip
