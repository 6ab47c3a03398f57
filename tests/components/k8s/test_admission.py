"""Zone placement and the mesh at admission, evaluated as the API server judges a request: the built-in mutating
plugins, Istio's injector and Kyverno's mutation (apiserver_model), then every bound ValidatingAdmissionPolicy
with a CEL engine, on the pods and workloads a user or an attacker would submit."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from components.config import PlatformConfig, validate_platform
from components.k8s.addons import sidecar_image
from components.k8s.admission import placement, zone_admission
from components.k8s.pod_spec import workload_pod_template
from components.k8s.zone_context import ZoneContext
from components.scheduling import GPU_TOLERATION, SYSTEM_TOLERATION
from enclave.synth import SynthResult
from tests.conftest import stack_data

from .admission_eval import vap_violations
from .apiserver_model import ApiServer, IstioInjector

Synth = Callable[..., SynthResult]
SIDECAR = sidecar_image("111122223333.dkr.ecr.us-east-1.amazonaws.com/mirror/istio", "1.27.3")
NOT_READY = {
    "key": "node.kubernetes.io/not-ready",
    "operator": "Exists",
    "effect": "NoExecute",
    "tolerationSeconds": 300,
}
UNREACHABLE = {**NOT_READY, "key": "node.kubernetes.io/unreachable"}
ECR = "111122223333.dkr.ecr.us-east-1.amazonaws.com"
# prod's kubernetes.approved_registries: admitted in every zone (the account's ECR only under the zone's prefix).
INTERNAL = "registry.internal.example.com/ml"


@pytest.fixture(scope="module")
def cfg() -> PlatformConfig:
    return validate_platform(stack_data("prod"))


def cluster_of(result: SynthResult) -> ApiServer:
    """The admission chain of a synthesized stack: its admission objects, namespaces, ServiceAccounts, istiod."""
    objects = [
        {"kind": r["inputs"]["kind"] if "kind" in r["inputs"] else r["type"].rsplit(":", 1)[-1], **r["inputs"]}
        for r in result.resources
        if r["type"].rsplit(":", 1)[-1]
        in ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "ClusterPolicy")
    ]
    namespaces = {
        r["inputs"]["metadata"]["name"]: r["inputs"]["metadata"].get("labels", {})
        for r in result.by_type("kubernetes:core/v1:Namespace")
    }
    automount = {
        r["inputs"]["metadata"]["name"]: r["inputs"].get("automountServiceAccountToken", True)
        for r in result.by_type("kubernetes:core/v1:ServiceAccount")
    }
    istiod = next(r for r in result.by_type("kubernetes:helm.sh/v3:Release") if r["inputs"]["name"] == "istiod")
    return ApiServer(objects, namespaces, IstioInjector(istiod["inputs"]["values"]), automount)


@pytest.fixture(scope="module")
def apiserver(synthed: Synth) -> ApiServer:
    return cluster_of(synthed("prod"))


def pod(**spec: Any) -> dict[str, Any]:
    """A hardened pod as a user writes it (no tolerations: the API server's plugins add theirs)."""
    sc = {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    base: dict[str, Any] = {
        "securityContext": {"runAsUser": 1000, "runAsGroup": 1000, "runAsNonRoot": True},
        "containers": [{"name": "main", "image": f"{INTERNAL}/app:1", "securityContext": sc}],
    }
    base.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": base}


def required_affinity(key: str, operator: str, value: str) -> dict[str, Any]:
    term = {"matchExpressions": [{"key": key, "operator": operator, "values": [value]}]}
    return {
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}
    }


def admit(apiserver: ApiServer, zone: str, submitted: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """What reaches etcd for a pod submitted in the first namespace of `zone`, and the refusals."""
    namespace = next(n for n, labels in apiserver.namespaces.items() if labels.get("enclave.dev/zone") == zone)
    return apiserver.create(submitted, namespace)


@pytest.mark.parametrize("zone", ["platform", "training", "inference", "notebooks"])
def test_a_bare_pod_is_pinned_to_its_zone_and_admitted(apiserver: ApiServer, zone: str) -> None:
    mutated, refused = admit(apiserver, zone, pod())
    assert refused == [], refused
    assert mutated["spec"]["nodeSelector"] == {"enclave.dev/zone": zone}
    expected = [NOT_READY, UNREACHABLE, SYSTEM_TOLERATION if zone == "platform" else GPU_TOLERATION]
    assert mutated["spec"]["tolerations"] == expected
    assert mutated["spec"]["serviceAccountName"] == "default", "the ServiceAccount plugin names the default account"


def test_tolerations_are_added_once(apiserver: ApiServer) -> None:
    mutated, refused = admit(apiserver, "training", pod(tolerations=[dict(GPU_TOLERATION)]))
    assert refused == [] and mutated["spec"]["tolerations"] == [GPU_TOLERATION, NOT_READY, UNREACHABLE]


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
def test_other_zones_nodes_are_refused(apiserver: ApiServer, zone: str, spec: dict[str, Any], why: str) -> None:
    submitted = pod()
    submitted["spec"].update(spec)
    _, refused = admit(apiserver, zone, submitted)
    assert refused, f"{why}: admitted"


def test_own_pool_selection_and_affinity_are_admitted(apiserver: ApiServer) -> None:
    affinity = required_affinity("enclave.dev/pool", "In", "infer-g6e")["affinity"]
    _, refused = admit(apiserver, "inference", pod(nodeSelector={"enclave.dev/pool": "infer-g6e"}, affinity=affinity))
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
    apiserver: ApiServer, change: Callable[[dict[str, Any]], Any], why: str
) -> None:
    submitted = pod()
    change(submitted)
    _, refused = admit(apiserver, "inference", submitted)
    assert any("1337" in r for r in refused), f"{why}: admitted"


def test_the_injected_sidecar_runs_as_1337_and_is_admitted(apiserver: ApiServer) -> None:
    mutated, refused = admit(apiserver, "inference", pod())
    assert refused == [], refused
    init = {c["name"]: c for c in mutated["spec"]["initContainers"]}
    assert list(init) == ["istio-validation", "istio-proxy"], "Istio 1.27 on Kubernetes 1.33 nodes: native sidecar"
    assert init["istio-proxy"]["restartPolicy"] == "Always" and init["istio-proxy"]["image"] == SIDECAR
    assert init["istio-proxy"]["securityContext"]["runAsUser"] == 1337


def test_a_pod_that_asks_for_the_api_token_gets_it_mounted_in_every_container(apiserver: ApiServer) -> None:
    """The ServiceAccount plugin (default account, automount not turned off) runs before validation."""
    mutated, _ = admit(apiserver, "training", pod(initContainers=[dict(pod()["spec"]["containers"][0], name="i")]))
    volume = next(v["name"] for v in mutated["spec"]["volumes"] if v["name"].startswith("kube-api-access-"))
    for c in [mutated["spec"]["initContainers"][-1], mutated["spec"]["containers"][0]]:
        assert {"name": volume, "readOnly": True, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"} in c[
            "volumeMounts"
        ]
    quiet, _ = admit(apiserver, "training", pod(automountServiceAccountToken=False))
    assert not any(v["name"].startswith("kube-api-access-") for v in quiet["spec"].get("volumes", []))


def template_pod(cfg: PlatformConfig, zone: str, **kwargs: Any) -> dict[str, Any]:
    pool = next(p for p in cfg.node_pools if p.zone == zone)
    template = workload_pod_template(
        cfg.zone(zone), pool, name="w", image=f"{ECR}/prod/{zone}/w:1", service_account="default",
        nccl_ports=cfg.kubernetes.nccl_ports, efa_interfaces=4 if pool.efa else 0, **kwargs,
    )  # fmt: skip
    return {"apiVersion": "v1", "kind": "Pod", **copy.deepcopy(template)}


@pytest.mark.parametrize("zone", ["training", "inference", "notebooks"])
def test_the_workload_pod_template_is_admitted_unchanged(apiserver: ApiServer, cfg: PlatformConfig, zone: str) -> None:
    submitted = template_pod(cfg, zone)
    mutated, refused = admit(apiserver, zone, submitted)
    assert refused == [], refused
    assert mutated["spec"]["nodeSelector"] == submitted["spec"]["nodeSelector"], "already pinned: nothing to add"


def test_an_efa_training_pod_gets_the_extended_resource_tolerations_and_is_admitted(
    apiserver: ApiServer, cfg: PlatformConfig
) -> None:
    """The first multi-node training job: EFA interfaces in limits. ExtendedResourceToleration adds an
    Exists/NoSchedule toleration per requested extended resource before validation (issue 17)."""
    mutated, refused = admit(apiserver, "training", template_pod(cfg, "training"))
    assert refused == [], refused
    added = [t for t in mutated["spec"]["tolerations"] if t["operator"] == "Exists" and t["effect"] == "NoSchedule"]
    assert added == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                     {"key": "vpc.amazonaws.com/efa", "operator": "Exists", "effect": "NoSchedule"}]  # fmt: skip


def test_any_requested_extended_resource_is_tolerated_as_the_plugin_adds_it(apiserver: ApiServer) -> None:
    """An RDMA device (Multus) or the Neuron plugin's resource, requested by an init container only."""
    init = dict(pod()["spec"]["containers"][0], name="prep", resources={"limits": {"example.com/rdma_vf": "1"}})
    mutated, refused = admit(apiserver, "training", pod(initContainers=[init]))
    assert refused == [], refused
    assert {"key": "example.com/rdma_vf", "operator": "Exists", "effect": "NoSchedule"} in mutated["spec"][
        "tolerations"
    ]


@pytest.mark.parametrize(
    ("zone", "toleration", "why"),
    [
        ("training", {"key": "vpc.amazonaws.com/efa", "operator": "Exists", "effect": "NoSchedule"},
         "the EFA toleration without requesting EFA"),
        ("training", {"key": "example.com/rdma_vf", "operator": "Exists"}, "every effect of an extended resource"),
        ("training", {"key": "example.com/rdma_vf", "operator": "Exists", "effect": "NoExecute"}, "NoExecute"),
        ("training", {"key": "example.com/rdma_vf", "operator": "Equal", "value": "x", "effect": "NoSchedule"},
         "Equal instead of Exists"),
        ("platform", {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
         "the GPU pools' taint from the platform zone, even for a pod that requests GPUs"),
    ],
)  # fmt: skip
def test_no_wider_toleration_than_the_plugin_adds(
    apiserver: ApiServer, zone: str, toleration: dict[str, str], why: str
) -> None:
    container = dict(pod()["spec"]["containers"][0], resources={"limits": {"example.com/rdma_vf": "1"}})
    if zone == "platform":
        container["resources"] = {"limits": {"nvidia.com/gpu": "1"}}
    if "without requesting" in why:
        container.pop("resources")
    _, refused = admit(apiserver, zone, pod(containers=[container], tolerations=[toleration]))
    assert any("may tolerate only" in r for r in refused), f"{why}: admitted"


def test_a_zone_without_pools_of_its_own_is_not_pinned_but_tolerates_no_pool() -> None:
    """The platform zone on a cluster the platform does not create: no system pool to pin it to. Not even a pod
    requesting GPUs, which the plugin gives the GPU key's toleration, reaches a GPU pool."""
    data = stack_data("dev")
    data["cluster"] = {
        "mode": "existing",
        "name": "shared",
        "oidc_issuer_url": "https://oidc.eks.us-east-2.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF",
    }
    cfg = validate_platform(data)
    ctx = ZoneContext.of_platform(cfg, cfg.zone("platform"))
    assert not placement(ctx).pinned
    objects = zone_admission(ctx)
    kinds = ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]
    assert [o["kind"] for o in objects] == kinds * 3  # placement, mesh membership, storage class
    assert vap_violations(objects[0], pod()) == []
    gpu = pod(tolerations=[dict(GPU_TOLERATION)])
    assert vap_violations(objects[0], gpu), "an unpinned zone must not reach GPU pools"
    wants_gpu = pod(tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}])
    wants_gpu["spec"]["containers"][0]["resources"] = {"requests": {"nvidia.com/gpu": "1"}}
    assert vap_violations(objects[0], wants_gpu), "the GPU taint is another kind of pool's"


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
    assert {r for rule in rules for r in rule["resources"]} == {
        "pods", "pods/ephemeralcontainers", "deployments", "statefulsets", "daemonsets", "replicasets", "jobs",
        "cronjobs",
    }  # fmt: skip
