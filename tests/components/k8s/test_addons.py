"""ClusterAddons as registered for prod: pinned releases, GPU-only device plugins, Istio with its CNI
agent and REGISTRY_ONLY, mesh-wide STRICT, the approved-registry policy, and the Multus network."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from components.config import validate_platform
from components.k8s.multus import NETWORKS_ANNOTATION, multus_network
from components.k8s.pod_spec import workload_pod_template
from components.k8s.trust_zone import zone_manifests
from enclave.synth import SynthResult
from tests.conftest import stack_data
from tests.enclave.crd_schemas import schema_for

Synth = Callable[..., SynthResult]
RELEASE = "kubernetes:helm.sh/v3:Release"
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}


@pytest.fixture(scope="module")
def releases(synthed: Synth) -> dict[str, dict[str, Any]]:
    return {r["inputs"]["name"]: r for r in synthed("prod").by_type(RELEASE)}


def test_every_release_is_pinned_to_the_configured_version(releases: dict[str, dict[str, Any]]) -> None:
    versions = validate_platform(stack_data("prod")).kubernetes.addons
    expected = {
        "istio-base": versions.istio,
        "istio-cni": versions.istio,
        "istiod": versions.istio,
        "nvidia-device-plugin": versions.nvidia_device_plugin,
        "aws-efa-k8s-device-plugin": versions.efa_device_plugin,
        "kyverno": versions.kyverno,
    }
    assert {name: r["inputs"]["version"] for name, r in releases.items()} == expected
    for r in releases.values():
        assert r["inputs"]["atomic"] is True, r["urn"]


def test_releases_wait_for_the_system_pool_only(synthed: Synth, releases: dict[str, dict[str, Any]]) -> None:
    """istiod and Kyverno run on the system pool; a GPU pool short of capacity must not block them."""
    groups = {r["name"]: r["urn"] for r in synthed("prod").by_type("aws:eks/nodeGroup:NodeGroup")}
    gpu = {urn for name, urn in groups.items() if name != "prod-system-node-group"}
    assert len(gpu) == 3
    for r in releases.values():
        assert groups["prod-system-node-group"] in r["dependencies"], f"{r['urn']} does not wait for the nodes"
        assert not gpu & set(r["dependencies"]), f"{r['urn']} waits for GPU capacity"


MIRROR = "111122223333.dkr.ecr.us-east-1.amazonaws.com/mirror"


def test_device_plugins_run_on_gpu_nodes_only(releases: dict[str, dict[str, Any]]) -> None:
    nvidia = releases["nvidia-device-plugin"]["inputs"]["values"]
    assert nvidia["tolerations"] == [GPU_TOLERATION]
    terms = nvidia["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [{"matchExpressions": [{"key": "enclave.dev/accelerator", "operator": "Exists"}]}]
    efa = releases["aws-efa-k8s-device-plugin"]["inputs"]["values"]
    assert efa["tolerations"] == [GPU_TOLERATION]
    assert efa["nodeSelector"] == {"vpc.amazonaws.com/efa.present": "true"}


def test_every_addon_image_comes_from_the_mirror(releases: dict[str, dict[str, Any]]) -> None:
    """prod's VPC has no internet path: no chart may fall back to docker.io, nvcr.io, reg.kyverno.io or
    another region's ECR."""
    values = {name: r["inputs"]["values"] for name, r in releases.items()}
    assert values["istiod"]["global"]["hub"] == values["istio-cni"]["global"]["hub"] == f"{MIRROR}/istio"
    assert values["nvidia-device-plugin"]["image"] == {"repository": f"{MIRROR}/nvidia/k8s-device-plugin"}
    assert values["aws-efa-k8s-device-plugin"]["image"] == {"repository": f"{MIRROR}/eks/aws-efa-k8s-device-plugin"}
    assert values["kyverno"] == {"global": {"image": {"registry": MIRROR}}}


def test_without_a_mirror_the_efa_plugin_still_pulls_from_its_own_region() -> None:
    from components.k8s.images import addon_images

    data = stack_data("dev")  # an existing VPC: no mirror required
    images = addon_images(validate_platform(data).kubernetes, "us-east-2")
    assert images.efa_device_plugin == "602401143452.dkr.ecr.us-east-2.amazonaws.com/eks/aws-efa-k8s-device-plugin"
    assert images.istio_hub == "docker.io/istio" and images.nvidia_device_plugin is None
    assert addon_images(validate_platform(data).kubernetes, "af-south-1").efa_device_plugin.startswith("877085696533.")


def test_istio_uses_the_cni_agent_and_refuses_unknown_destinations(releases: dict[str, dict[str, Any]]) -> None:
    istiod = releases["istiod"]
    values = istiod["inputs"]["values"]
    assert values["meshConfig"]["outboundTrafficPolicy"] == {"mode": "REGISTRY_ONLY"}
    # Without the CNI agent, istio-init needs NET_ADMIN/NET_RAW and PSA rejects every zone pod.
    assert values["pilot"]["cni"]["enabled"] is True
    assert values["global"]["tag"] == "1.27.3"
    cni = releases["istio-cni"]
    # The chart's default tolerations (every NoSchedule/NoExecute taint) keep the agent on GPU nodes too;
    # overriding them would narrow that list.
    assert "tolerations" not in cni["inputs"]["values"]
    assert {releases["istio-base"]["urn"], cni["urn"]} <= set(istiod["dependencies"])


def test_mesh_wide_strict_mtls_waits_for_the_istio_crds(synthed: Synth, releases: dict[str, dict[str, Any]]) -> None:
    (pa,) = [
        r
        for r in synthed("prod").by_type("kubernetes:security.istio.io/v1:PeerAuthentication")
        if r["inputs"]["metadata"]["namespace"] == "istio-system"
    ]
    assert pa["inputs"]["spec"] == {"mtls": {"mode": "STRICT"}}
    assert releases["istio-base"]["urn"] in pa["dependencies"]


def _admits(policy: dict[str, Any], image: str) -> bool:
    """Kyverno pattern semantics for these patterns: `|` separates alternatives, `*` is a wildcard."""
    pattern = policy["spec"]["rules"][0]["validate"]["pattern"]["spec"]["containers"][0]["image"]
    return any(fnmatch.fnmatchcase(image, alt.strip()) for alt in pattern.split("|"))


@pytest.mark.parametrize(
    ("image", "admitted"),
    [
        ("111122223333.dkr.ecr.us-east-1.amazonaws.com/train/llama:2026.11", True),
        ("nvcr.io/nvidia/pytorch:25.01-py3", False),
        (f"{MIRROR}/istio/proxyv2:1.27.3", True),  # own ECR (the mirror is in it)
        ("docker.io/istio/proxyv2:1.27.3", False),
        ("registry.internal.example.com/ml/trainer:7", True),
        ("registry.internal.example.com/mlx/trainer:7", False),
        ("docker.io/library/busybox:latest", False),
        ("nvcr.io/nvidiaevil/pytorch:1", False),
        ("222233334444.dkr.ecr.us-east-1.amazonaws.com/x:1", False),
        ("111122223333.dkr.ecr.us-west-2.amazonaws.com/x:1", False),
    ],
)
def test_registry_policy_admits_only_approved_images(synthed: Synth, image: str, admitted: bool) -> None:
    (policy,) = synthed("prod").by_type("kubernetes:kyverno.io/v1:ClusterPolicy")
    inputs = policy["inputs"]
    assert inputs["spec"]["rules"][0]["validate"]["failureAction"] == "Enforce"
    assert _admits(inputs, image) is admitted, image
    assert inputs["spec"]["rules"][0]["match"]["any"][0]["resources"]["kinds"] == ["Pod", "Pod/ephemeralcontainers"]
    spec = inputs["spec"]["rules"][0]["validate"]["pattern"]["spec"]
    assert spec["=(initContainers)"] == spec["=(ephemeralContainers)"] == spec["containers"]


def test_multus_network_only_in_training_namespaces_when_configured() -> None:
    assert all(
        o["kind"] != "NetworkAttachmentDefinition"
        for z in validate_platform(stack_data("prod")).zones
        for objs in zone_manifests(validate_platform(stack_data("prod")), z).values()
        for o in objs
    ), "off unless kubernetes.multus is set"
    data = stack_data("prod")
    data["kubernetes"]["multus"] = {"name": "rdma-net", "cni_type": "sriov", "cidr": "192.168.100.0/24"}
    cfg = validate_platform(data)
    nads = {
        ns: [o for o in objs if o["kind"] == "NetworkAttachmentDefinition"]
        for z in cfg.zones
        for ns, objs in zone_manifests(cfg, z).items()
    }
    training = set(cfg.zone("training").namespaces)
    assert {ns for ns, found in nads.items() if found} == training
    for ns in training:
        (nad,) = nads[ns]
        jsonschema.validate(nad, schema_for(nad["apiVersion"], nad["kind"]))
        assert nad["metadata"]["annotations"]["k8s.v1.cni.cncf.io/resourceName"] == "nvidia.com/rdma_vf"
    assert multus_network(cfg, cfg.zone("inference"), "inference") is None


def test_pod_template_attaches_the_secondary_network_in_training_only() -> None:
    data = stack_data("prod")
    data["kubernetes"]["multus"] = {"name": "rdma-net"}
    cfg = validate_platform(data)
    multus = cfg.kubernetes.multus
    train_pool = next(p for p in cfg.node_pools if p.zone == "training")
    pod = workload_pod_template(
        cfg.zone("training"), train_pool, name="w", image="nvcr.io/nvidia/pytorch:25.01", service_account="trainer",
        secondary_network=multus,
    )  # fmt: skip
    annotations = pod["metadata"]["annotations"]
    assert annotations[NETWORKS_ANNOTATION] == "rdma-net@net1"
    # The fabric stays out of the mesh: its IP traffic would otherwise be captured and dropped by Envoy.
    assert annotations["traffic.sidecar.istio.io/excludeOutboundIPRanges"] == "192.168.100.0/24"
    assert annotations["traffic.sidecar.istio.io/excludeInterfaces"] == "net1"
    resources = pod["spec"]["containers"][0]["resources"]
    assert resources["limits"]["nvidia.com/rdma_vf"] == resources["requests"]["nvidia.com/rdma_vf"] == "1"
    infer_pool = next(p for p in cfg.node_pools if p.zone == "inference")
    with pytest.raises(ValueError, match="training only"):
        workload_pod_template(
            cfg.zone("inference"), infer_pool, name="s", image="x", service_account="s", secondary_network=multus
        )
