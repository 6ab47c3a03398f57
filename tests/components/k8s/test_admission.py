"""Zone placement and the mesh identity at admission, evaluated: Kyverno's mutation (admission_eval), then the
ValidatingAdmissionPolicies with a CEL engine, on the pods a user or an attacker would submit."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from components.config import PlatformConfig, validate_platform
from components.k8s.addons import sidecar_image
from components.k8s.admission import mesh_identity_policy, placement, zone_admission
from components.k8s.pod_spec import workload_pod_template
from components.k8s.zone_context import ZoneContext
from components.scheduling import GPU_TOLERATION, SYSTEM_TOLERATION
from enclave.synth import SynthResult
from tests.conftest import stack_data

from .admission_eval import kyverno_mutate, vap_violations

Synth = Callable[..., SynthResult]
SIDECAR = sidecar_image("111122223333.dkr.ecr.us-east-1.amazonaws.com/mirror/istio", "1.27.3")
NOT_READY = {
    "key": "node.kubernetes.io/not-ready",
    "operator": "Exists",
    "effect": "NoExecute",
    "tolerationSeconds": 300,
}


@pytest.fixture(scope="module")
def cfg() -> PlatformConfig:
    return validate_platform(stack_data("prod"))


def pod(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "securityContext": {"runAsUser": 1000, "runAsGroup": 1000, "runAsNonRoot": True},
        "containers": [{"name": "main", "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/app:1"}],
        "tolerations": [dict(NOT_READY)],  # what DefaultTolerationSeconds adds to every pod before webhooks
    }
    base.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": base}


def required_affinity(key: str, operator: str, value: str) -> dict[str, Any]:
    term = {"matchExpressions": [{"key": key, "operator": operator, "values": [value]}]}
    return {
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}
    }


def admit(cfg: PlatformConfig, zone: str, submitted: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """What reaches etcd for a pod submitted in a namespace of `zone`: mutated, then validated."""
    objects = zone_admission(ZoneContext.of_platform(cfg, cfg.zone(zone)))
    mutation = [o for o in objects if o["kind"] == "ClusterPolicy"]
    policy = next(o for o in objects if o["kind"] == "ValidatingAdmissionPolicy")
    mutated = kyverno_mutate(mutation[0], submitted, {"enclave.dev/zone": zone}) if mutation else submitted
    mesh = mesh_identity_policy(SIDECAR)[0]
    return mutated, vap_violations(policy, mutated) + vap_violations(mesh, mutated)


@pytest.mark.parametrize("zone", ["platform", "training", "inference", "notebooks"])
def test_a_bare_pod_is_pinned_to_its_zone_and_admitted(cfg: PlatformConfig, zone: str) -> None:
    mutated, refused = admit(cfg, zone, pod())
    assert refused == [], refused
    assert mutated["spec"]["nodeSelector"] == {"enclave.dev/zone": zone}
    expected = [NOT_READY, SYSTEM_TOLERATION] if zone == "platform" else [NOT_READY, GPU_TOLERATION]
    assert mutated["spec"]["tolerations"] == expected


def test_tolerations_are_added_once_and_created_when_absent(cfg: PlatformConfig) -> None:
    mutated, refused = admit(cfg, "training", pod(tolerations=[dict(GPU_TOLERATION)]))
    assert refused == [] and mutated["spec"]["tolerations"] == [GPU_TOLERATION], "no duplicate"
    bare = pod()
    del bare["spec"]["tolerations"]
    mutated, refused = admit(cfg, "training", bare)
    assert refused == [] and mutated["spec"]["tolerations"] == [GPU_TOLERATION]


@pytest.mark.parametrize(
    ("zone", "spec", "why"),
    [
        ("notebooks", {"nodeSelector": {"enclave.dev/zone": "inference"}}, "a notebook asking for inference nodes"),
        ("notebooks", {"nodeSelector": {"enclave.dev/pool": "infer-g6e"}}, "another zone's pool by name"),
        ("training", {"nodeSelector": {"enclave.dev/pool": "system"}}, "the system pool"),
        ("notebooks", {"tolerations": [{"operator": "Exists"}]}, "tolerating every taint"),
        ("training", {"tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}]}, "the system taint"),
        ("platform", {"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}]}, "GPU nodes from platform"),
        ("inference", {"nodeName": "ip-10-40-1-7.ec2.internal"}, "naming a node past the scheduler"),
        ("notebooks", required_affinity("enclave.dev/pool", "In", "infer-g6e"), "required affinity for another pool"),
        ("notebooks", required_affinity("enclave.dev/zone", "NotIn", "x"), "a NotIn that reaches every other zone"),
    ],
)
def test_other_zones_nodes_are_refused(cfg: PlatformConfig, zone: str, spec: dict[str, Any], why: str) -> None:
    submitted = pod()
    for key, value in spec.items():
        if key == "tolerations":
            submitted["spec"]["tolerations"] = [*submitted["spec"]["tolerations"], *value]
        else:
            submitted["spec"][key] = value
    _, refused = admit(cfg, zone, submitted)
    assert refused, f"{why}: admitted"


def test_own_pool_selection_and_affinity_are_admitted(cfg: PlatformConfig) -> None:
    affinity = required_affinity("enclave.dev/pool", "In", "infer-g6e")["affinity"]
    _, refused = admit(cfg, "inference", pod(nodeSelector={"enclave.dev/pool": "infer-g6e"}, affinity=affinity))
    assert refused == []


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda p: p["spec"]["securityContext"].update(runAsUser=1337), "pod-level UID 1337"),
        (lambda p: p["spec"]["securityContext"].update(runAsGroup=1337), "pod-level GID 1337"),
        (lambda p: p["spec"]["containers"][0].update(securityContext={"runAsUser": 1337}), "container UID 1337"),
        (lambda p: p["spec"]["securityContext"].pop("runAsUser"), "no UID: the image's USER decides (may be 1337)"),
        (lambda p: p["spec"]["securityContext"].pop("runAsGroup"), "no GID: the image decides"),
        (lambda p: p["spec"]["securityContext"].update(supplementalGroups=[1337]), "supplemental group 1337"),
        (
            lambda p: p["spec"].update(
                initContainers=[{"name": "init", "image": "x", "securityContext": {"runAsUser": 1337}}]
            ),
            "init container UID 1337",
        ),
        (
            lambda p: p["spec"].update(
                ephemeralContainers=[{"name": "debug", "image": "x", "securityContext": {"runAsGroup": 1337}}]
            ),
            "debug container GID 1337",
        ),
        (
            lambda p: p["spec"]["containers"].append(
                {"name": "istio-proxy", "image": "docker.io/attacker/proxyv2:1", "securityContext": {"runAsUser": 1337}}
            ),
            "a container named like the sidecar with another image",
        ),
        (
            lambda p: p["spec"]["containers"].append(
                {
                    "name": "istio-proxy",
                    "image": SIDECAR,
                    "command": ["/bin/sh", "-c", "curl evil"],
                    "securityContext": {"runAsUser": 1337, "runAsGroup": 1337},
                }
            ),
            "the sidecar image with its entrypoint replaced",
        ),
    ],
)
def test_workloads_cannot_run_as_the_mesh_identity(
    cfg: PlatformConfig, change: Callable[[dict[str, Any]], Any], why: str
) -> None:
    submitted = pod()
    change(submitted)
    _, refused = admit(cfg, "inference", submitted)
    assert any("1337" in r for r in refused), f"{why}: admitted"


def test_the_injected_sidecar_may_run_as_1337(cfg: PlatformConfig) -> None:
    proxy = {"name": "istio-proxy", "image": SIDECAR, "args": ["proxy", "sidecar"],
             "securityContext": {"runAsUser": 1337, "runAsGroup": 1337}}  # fmt: skip
    validation = {"name": "istio-validation", "image": SIDECAR, "args": ["istio-iptables", "--run-validation"],
                  "securityContext": {"runAsUser": 1337, "runAsGroup": 1337}}  # fmt: skip
    submitted = pod()
    submitted["spec"]["containers"].append(proxy)
    submitted["spec"]["initContainers"] = [validation]
    _, refused = admit(cfg, "inference", submitted)
    assert refused == []


@pytest.mark.parametrize("zone", ["training", "inference", "notebooks"])
def test_the_workload_pod_template_is_admitted_unchanged(cfg: PlatformConfig, zone: str) -> None:
    pool = next(p for p in cfg.node_pools if p.zone == zone)
    template = workload_pod_template(
        cfg.zone(zone), pool, name="w", image="111122223333.dkr.ecr.us-east-1.amazonaws.com/w:1",
        service_account="w", nccl_ports=cfg.kubernetes.nccl_ports, efa_interfaces=1 if pool.efa else 0,
    )  # fmt: skip
    submitted = {"apiVersion": "v1", "kind": "Pod", **copy.deepcopy(template)}
    mutated, refused = admit(cfg, zone, submitted)
    assert refused == [], refused
    assert mutated["spec"]["nodeSelector"] == template["spec"]["nodeSelector"], "already pinned: nothing to add"


def test_a_zone_without_pools_of_its_own_is_not_pinned_but_tolerates_no_pool() -> None:
    """The platform zone on a cluster the platform does not create: no system pool to pin it to."""
    data = stack_data("dev")
    data["cluster"] = {
        "mode": "existing",
        "name": "shared",
        "oidc_issuer_url": "https://oidc.eks.us-east-2.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF",
    }
    cfg = validate_platform(data)
    assert not placement(ZoneContext.of_platform(cfg, cfg.zone("platform"))).pinned
    objects = zone_admission(ZoneContext.of_platform(cfg, cfg.zone("platform")))
    assert [o["kind"] for o in objects] == ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]
    assert vap_violations(objects[0], pod()) == []
    gpu = pod(tolerations=[dict(GPU_TOLERATION)])
    assert vap_violations(objects[0], gpu), "an unpinned zone must not reach GPU pools"


def test_every_zone_registers_its_placement_and_the_mesh_policy_is_bound_to_zone_namespaces(synthed: Synth) -> None:
    result = synthed("prod")
    cfg = validate_platform(stack_data("prod"))
    policies = {r["inputs"]["metadata"]["name"]: r for r in result.by_type(
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy")}  # fmt: skip
    bindings = {r["inputs"]["metadata"]["name"]: r["inputs"]["spec"] for r in result.by_type(
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding")}  # fmt: skip
    mutations = {r["inputs"]["metadata"]["name"]: r for r in result.by_type("kubernetes:kyverno.io/v1:ClusterPolicy")}
    kyverno = next(r for r in result.by_type("kubernetes:helm.sh/v3:Release") if r["inputs"]["name"] == "kyverno")
    for zone in cfg.zones:
        name = f"enclave-placement-{zone.name}"
        assert name in policies and name in mutations, zone.name
        assert bindings[name] == {
            "policyName": name,
            "validationActions": ["Deny"],
            "matchResources": {"namespaceSelector": {"matchLabels": {"enclave.dev/zone": zone.name}}},
        }
        assert kyverno["urn"] in mutations[name]["dependencies"], "the mutation waits for Kyverno's CRDs"
        assert policies[name]["inputs"]["spec"]["failurePolicy"] == "Fail"
    mesh = bindings["enclave-mesh-identity"]["matchResources"]["namespaceSelector"]
    assert mesh == {"matchExpressions": [{"key": "enclave.dev/zone", "operator": "Exists"}]}
    rules = policies["enclave-mesh-identity"]["inputs"]["spec"]["matchConstraints"]["resourceRules"]
    assert {r for rule in rules for r in rule["resources"]} == {"pods", "pods/ephemeralcontainers"}
