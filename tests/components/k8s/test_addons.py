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
from components.k8s.zone_context import ZoneContext
from enclave.synth import SynthResult
from tests.conftest import stack_data
from tests.enclave.crd_schemas import schema_for

from .admission_eval import selects

Synth = Callable[..., SynthResult]
RELEASE = "kubernetes:helm.sh/v3:Release"
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}


@pytest.fixture(scope="module")
def releases(synthed: Synth) -> dict[str, dict[str, Any]]:
    return {r["inputs"]["name"]: r for r in synthed("prod").by_type(RELEASE)}


def test_every_release_is_pinned_to_the_configured_version(releases: dict[str, dict[str, Any]]) -> None:
    cfg = validate_platform(stack_data("prod"))
    versions = cfg.kubernetes.addons
    expected = {
        "falco": cfg.detection.falco.chart,
        "istio-base": versions.istio,
        "istio-cni": versions.istio,
        "istiod": versions.istio,
        "nvidia-device-plugin": versions.nvidia_device_plugin,
        "aws-efa-k8s-device-plugin": versions.efa_device_plugin,
        "kyverno": versions.kyverno,
        # the secrets releases (ManagerSecrets), pinned in the secrets block
        "secrets-store-csi-driver": "1.4.8",
        "secrets-store-provider-aws": "2.1.1",
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


# Kyverno 3.5's image template: `<x>.image.registry`, else `global.image.registry`, else the default registry;
# the tag defaults to the chart's appVersion. The clean-up hook's registry is set explicitly in the chart
# (registry.k8s.io), so the global registry never reaches it (kyverno/kyverno#14170).
KYVERNO_IMAGE_KEYS = {
    ("admissionController", "container"): "kyverno/kyverno",
    ("admissionController", "initContainer"): "kyverno/kyvernopre",
    ("backgroundController",): "kyverno/background-controller",
    ("cleanupController",): "kyverno/cleanup-controller",
    ("reportsController",): "kyverno/reports-controller",
    ("crds", "migration"): "kyverno/kyverno-cli",
}


def chart_images(values: dict[str, dict[str, Any]]) -> set[str]:
    """The images the charts render from these values, by each chart's image template."""
    istio = values["istiod"]["global"]
    cni = values["istio-cni"]["global"]
    out = {f"{istio['hub']}/pilot:{istio['tag']}", f"{istio['hub']}/proxyv2:{istio['tag']}"}
    out.add(f"{cni['hub']}/install-cni:{cni['tag']}")
    for name in ("nvidia-device-plugin", "aws-efa-k8s-device-plugin"):
        image = values[name]["image"]
        assert "tag" in image, f"{name}: an unpinned tag follows the chart's appVersion, which the mirror can't know"
        out.add(f"{image['repository']}:{image['tag']}")
    kyverno = values["kyverno"]
    for path, repository in KYVERNO_IMAGE_KEYS.items():
        node: dict[str, Any] = kyverno
        for key in path:
            node = node.get(key, {})
        image = node.get("image", {})
        registry = image.get("registry") or kyverno["global"]["image"].get("registry") or "reg.kyverno.io"
        assert "tag" in image, f"kyverno {'.'.join(path)}: tag left to the chart's appVersion"
        out.add(f"{registry}/{repository}:{image['tag']}")
    hook = kyverno["webhooksCleanup"]["image"]
    out.add(f"{hook.get('registry', 'registry.k8s.io')}/kubectl:{hook['tag']}")
    for image in (values["falco"]["image"], values["falco"]["falcosidekick"]["image"]):
        assert "tag" in image, f"falco {image['repository']}: tag left to the chart's appVersion"
        out.add(f"{image['registry']}/{image['repository']}:{image['tag']}")
    return out


def test_every_addon_image_comes_from_the_mirror_and_is_on_the_copy_list(releases: dict[str, dict[str, Any]]) -> None:
    """prod's VPC has no internet path: no chart may fall back to docker.io, nvcr.io, reg.kyverno.io,
    registry.k8s.io or another region's ECR, and the copy list names exactly what the charts will pull."""
    from components.k8s.images import mirror_copies

    values = {name: r["inputs"]["values"] for name, r in releases.items()}
    images = chart_images(values)
    assert all(i.startswith(f"{MIRROR}/") for i in images), sorted(images)
    cfg = validate_platform(stack_data("prod"))
    copies = mirror_copies(cfg.kubernetes, "us-east-1", cfg.detection.falco)
    assert {dst for _, dst in copies} == images
    sources = {src for src, _ in copies}
    assert "docker.io/istio/proxyv2:1.27.3" in sources and "nvcr.io/nvidia/k8s-device-plugin:v0.17.4" in sources
    assert "reg.kyverno.io/kyverno/kyverno:v1.15.2" in sources and "registry.k8s.io/kubectl:v1.32.7" in sources
    assert "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/aws-efa-k8s-device-plugin:v0.5.5" in sources
    assert {"docker.io/falcosecurity/falco:0.44.1", "docker.io/falcosecurity/falcosidekick:2.32.0"} <= sources
    # without Falco (dev runs none), nothing of it is copied
    assert not [s for s, _ in mirror_copies(cfg.kubernetes, "us-east-1") if "falcosecurity" in s]


def test_controllers_run_on_the_system_pool(releases: dict[str, dict[str, Any]]) -> None:
    """istiod and every Kyverno pod (controllers and hooks, through the chart's global defaults) tolerate the
    system pool's taint and select it; the node agents and device plugins keep their own placement."""
    placement = {
        "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
        "nodeSelector": {"enclave.dev/pool": "system"},
    }
    istiod = releases["istiod"]["inputs"]["values"]
    assert {k: istiod[k] for k in placement} == placement
    kyverno = releases["kyverno"]["inputs"]["values"]
    assert {k: kyverno["global"][k] for k in placement} == placement
    for component in ("admissionController", "backgroundController", "cleanupController", "reportsController"):
        assert "tolerations" not in kyverno[component], f"{component} would override the global placement"


def test_without_a_mirror_the_efa_plugin_still_pulls_from_its_own_region() -> None:
    from components.k8s.images import addon_images

    data = stack_data("dev")  # an existing VPC: no mirror required
    images = addon_images(validate_platform(data).kubernetes, "us-east-2")
    assert images.efa_device_plugin == "602401143452.dkr.ecr.us-east-2.amazonaws.com/eks/aws-efa-k8s-device-plugin"
    assert images.istio_hub == "docker.io/istio" and images.nvidia_device_plugin == "nvcr.io/nvidia/k8s-device-plugin"
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


def _admits(policy: dict[str, Any], zone: str, image: str) -> bool:
    """Kyverno pattern semantics for these patterns: `|` separates alternatives, `*` is a wildcard; the rule is the
    one whose namespace selector selects a namespace of `zone` (exactly one)."""
    labels = {"enclave.dev/zone": zone}
    (rule,) = [
        r for r in policy["spec"]["rules"] if selects(r["match"]["any"][0]["resources"]["namespaceSelector"], labels)
    ]
    pattern = rule["validate"]["pattern"]["spec"]["containers"][0]["image"]
    return any(fnmatch.fnmatchcase(image, alt.strip()) for alt in pattern.split("|"))


ECR = "111122223333.dkr.ecr.us-east-1.amazonaws.com"


@pytest.mark.parametrize(
    ("zone", "image", "admitted"),
    [
        ("training", f"{ECR}/prod/training/trainer:2026.11", True),
        ("inference", f"{ECR}/prod/inference/model-server:12", True),
        # images per zone: the account's ECR only under the zone's own prefix
        ("notebooks", f"{ECR}/prod/inference/model-server:12", False),
        ("notebooks", f"{ECR}/prod/notebooks-evil/x:1", False),
        ("training", f"{ECR}/train/llama:2026.11", False),
        ("vision", f"{ECR}/prod/vision/detector:3", True),  # a team zone: its own prefix too
        ("unlisted", f"{ECR}/prod/unlisted/x:1", False),  # a zone label the platform does not know: no ECR at all
        ("unlisted", "registry.internal.example.com/ml/trainer:7", True),
        ("training", "nvcr.io/nvidia/pytorch:25.01-py3", False),
        ("training", f"{MIRROR}/istio/proxyv2:1.27.3", True),  # the sidecar, exactly
        ("training", f"{MIRROR}/istio/pilot:1.27.3", False),  # the add-on mirror is no zone's
        ("training", "docker.io/istio/proxyv2:1.27.3", False),
        ("training", "registry.internal.example.com/ml/trainer:7", True),
        ("training", "registry.internal.example.com/mlx/trainer:7", False),
        ("training", "docker.io/library/busybox:latest", False),
        ("training", "nvcr.io/nvidiaevil/pytorch:1", False),
        ("training", "222233334444.dkr.ecr.us-east-1.amazonaws.com/prod/training/x:1", False),
        ("training", "111122223333.dkr.ecr.us-west-2.amazonaws.com/prod/training/x:1", False),
    ],
)
def test_registry_policy_admits_only_approved_images(synthed: Synth, zone: str, image: str, admitted: bool) -> None:
    (policy,) = [
        p
        for p in synthed("prod").by_type("kubernetes:kyverno.io/v1:ClusterPolicy")
        if p["inputs"]["metadata"]["name"] == "enclave-approved-registries"
    ]
    inputs = policy["inputs"]
    assert _admits(inputs, zone, image) is admitted, (zone, image)
    for rule in inputs["spec"]["rules"]:
        assert rule["validate"]["failureAction"] == "Enforce"
        assert rule["match"]["any"][0]["resources"]["kinds"] == ["Pod", "Pod/ephemeralcontainers"]
        spec = rule["validate"]["pattern"]["spec"]
        assert spec["=(initContainers)"] == spec["=(ephemeralContainers)"] == spec["containers"]


def test_without_zone_images_every_zone_may_use_the_whole_account_registry() -> None:
    from components.k8s.addons import registry_policy

    policy = registry_policy(["registry.internal.example.com/ml"], [], ecr=ECR)
    assert _admits(policy, "notebooks", f"{ECR}/prod/inference/model-server:12")
    assert not _admits(policy, "notebooks", "docker.io/library/busybox:1")


def test_multus_network_only_in_training_namespaces_when_configured() -> None:
    assert all(
        o["kind"] != "NetworkAttachmentDefinition"
        for z in validate_platform(stack_data("prod")).zones
        for objs in zone_manifests(ZoneContext.of_platform(validate_platform(stack_data("prod")), z)).values()
        for o in objs
    ), "off unless kubernetes.multus is set"
    data = stack_data("prod")
    data["kubernetes"]["multus"] = {"name": "rdma-net", "cni_type": "sriov", "cidr": "192.168.100.0/24"}
    cfg = validate_platform(data)
    nads = {
        ns: [o for o in objs if o["kind"] == "NetworkAttachmentDefinition"]
        for z in cfg.zones
        for ns, objs in zone_manifests(ZoneContext.of_platform(cfg, z)).items()
    }
    training = set(cfg.zone("training").namespaces)
    assert {ns for ns, found in nads.items() if found} == training
    for ns in training:
        (nad,) = nads[ns]
        jsonschema.validate(nad, schema_for(nad["apiVersion"], nad["kind"]))
        assert nad["metadata"]["annotations"]["k8s.v1.cni.cncf.io/resourceName"] == "nvidia.com/rdma_vf"
    assert multus_network(ZoneContext.of_platform(cfg, cfg.zone("inference")), "inference") is None


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
