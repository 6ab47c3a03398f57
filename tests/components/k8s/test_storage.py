"""Zone volumes: each zone namespace's quota of nothing on every other class, and the admission policy that admits
claims of the zone's own class only (evaluated with CEL, not read)."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import validate_platform
from components.k8s.admission import zone_admission
from components.k8s.storage import EKS_LEGACY_CLASS, claim_policy, claim_quota
from components.k8s.trust_zone import zone_manifests
from components.k8s.zone_context import ZoneContext
from tests.components.k8s.admission_eval import selects, vap_violations
from tests.conftest import stack_data

CFG = validate_platform(stack_data("prod"))
ZONES = [z.name for z in CFG.zones]


def ctx(zone: str) -> ZoneContext:
    return ZoneContext.of_platform(CFG, CFG.zone(zone))


def pvc(storage_class: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"}, "spec": spec}


@pytest.mark.parametrize("zone", ZONES)
def test_each_namespace_holds_every_other_class_at_nothing(zone: str) -> None:
    for ns in CFG.zone(zone).namespaces:
        (quota,) = claim_quota(ctx(zone), ns)
        hard = quota["spec"]["hard"]
        denied = {k.split(".storageclass.")[0] for k, v in hard.items() if v == "0"}
        assert denied == {f"enclave-{z}" for z in ZONES if z != zone} | {EKS_LEGACY_CLASS}, ns
        assert "scopes" not in quota["spec"] and "scopeSelector" not in quota["spec"], "a scope would match nothing"
        assert quota["metadata"]["namespace"] == ns
        assert quota in zone_manifests(ctx(zone))[ns], f"{ns}: the quota is not among the zone's objects"


@pytest.mark.parametrize("zone", ZONES)
def test_admission_admits_the_zone_class_only(zone: str) -> None:
    policy, binding = claim_policy(ctx(zone))
    assert policy in zone_admission(ctx(zone)) and binding in zone_admission(ctx(zone))
    assert binding["spec"]["policyName"] == policy["metadata"]["name"]
    assert binding["spec"]["validationActions"] == ["Deny"] and policy["spec"]["failurePolicy"] == "Fail"
    selector = binding["spec"]["matchResources"]["namespaceSelector"]
    assert selects(selector, {"enclave.dev/zone": zone})
    assert not selects(selector, {"enclave.dev/zone": "elsewhere"})
    for op in ("CREATE", "UPDATE"):
        assert vap_violations(policy, pvc(f"enclave-{zone}"), op) == [], op
        assert vap_violations(policy, pvc(), op), f"{op}: a claim with no class would take the cluster default"
        assert vap_violations(policy, pvc(""), op), f"{op}: '' asks for a pre-provisioned volume of no class"
        assert vap_violations(policy, pvc("gp2"), op), op
        for other in ZONES:
            if other != zone:
                assert vap_violations(policy, pvc(f"enclave-{other}"), op), f"{op}: {zone} claimed {other}'s class"


def test_a_zone_without_a_class_claims_nothing_and_needs_no_policy() -> None:
    bare = ZoneContext(zone=CFG.zone("training"))  # a team's zone: no StorageClass of the platform's
    assert claim_policy(bare) == []
    (quota,) = claim_quota(bare, "training")
    assert quota["spec"]["hard"] == {"persistentvolumeclaims": "0", "requests.storage": "0"}
