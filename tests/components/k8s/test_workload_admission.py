"""Admission of workloads, the mesh, namespaces outside the zones and ServiceAccounts, judged by the modelled API
server (apiserver_model) on the prod stack's own admission objects: real-shaped manifests of every workload kind,
pods that try to leave the mesh or become root, node agents, and Jobs under someone else's identity."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from components.config import validate_platform
from components.k8s.addons import SECCOMP_TEMPLATE, istiod_values, kyverno_values
from components.k8s.mesh import service_entries
from enclave.synth import SynthResult
from tests.conftest import stack_data

from .apiserver_model import ApiServer, IstioInjector, restricted_seccomp_violations
from .test_admission import ECR, apiserver, cluster_of, pod  # noqa: F401 (fixture)

Synth = Callable[..., SynthResult]
RESEARCHER = {"username": "alice", "groups": ["ml-research", "system:authenticated"]}
ENGINEER = {"username": "bob", "groups": ["ml-engineering", "system:authenticated"]}


def workload(kind: str, template: dict[str, Any]) -> dict[str, Any]:
    """A real-shaped manifest of `kind` around a pod template (metadata + spec)."""
    labels = {"app": "w"}
    tpl = copy.deepcopy(template)
    tpl.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
    api = "batch/v1" if kind in ("Job", "CronJob") else "apps/v1"
    spec: dict[str, Any] = {"template": tpl}
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        spec["selector"] = {"matchLabels": labels}
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        spec["replicas"] = 2
    if kind == "StatefulSet":
        spec["serviceName"] = "w"
    if kind == "Job":
        tpl["spec"]["restartPolicy"] = "Never"
        spec["backoffLimit"] = 0
    if kind == "CronJob":
        tpl["spec"]["restartPolicy"] = "OnFailure"
        spec = {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": tpl}}}
    return {"apiVersion": api, "kind": kind, "metadata": {"name": "w"}, "spec": spec}


KINDS = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"]
GOOD = {"metadata": {}, "spec": {**pod()["spec"], "nodeSelector": {"enclave.dev/zone": "training"}}}


@pytest.mark.parametrize("kind", KINDS)
def test_a_good_workload_of_every_kind_is_admitted(apiserver: ApiServer, kind: str) -> None:  # noqa: F811
    assert apiserver.validate(workload(kind, GOOD), "training") == []


BAD_TEMPLATES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("another zone's nodes", lambda t: t["spec"].update(nodeSelector={"enclave.dev/zone": "inference"}), "run only"),
    ("the system taint", lambda t: t["spec"].update(tolerations=[{"key": "CriticalAddonsOnly", "operator": "Exists"}]),
     "may tolerate only"),
    ("a named node", lambda t: t["spec"].update(nodeName="ip-10-40-1-7.ec2.internal"), "may not name their node"),
    ("the proxy's UID", lambda t: t["spec"]["securityContext"].update(runAsUser=1337), "1337"),
    ("a foreign image", lambda t: t["spec"]["containers"][0].update(image="docker.io/library/busybox:1"),
     "approved registry"),
    ("root", lambda t: t["spec"]["securityContext"].update(runAsNonRoot=False, runAsUser=0), "non-root"),
    ("SETUID kept", lambda t: t["spec"]["containers"][0]["securityContext"]["capabilities"].update(add=["SETUID"]),
     "drop ALL"),
    ("a mesh opt-out", lambda t: t["metadata"].update(annotations={"sidecar.istio.io/inject": "false"}),
     "Istio annotation"),
    ("the NCCL window outside an EFA pod's reason", lambda t: t["metadata"].update(
        annotations={"traffic.sidecar.istio.io/excludeOutboundPorts": "443"}), "Istio annotation"),
]  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("why", "edit", "says"), BAD_TEMPLATES, ids=[b[0] for b in BAD_TEMPLATES])
def test_a_bad_template_is_refused_at_apply_time(
    apiserver: ApiServer,  # noqa: F811
    kind: str,
    why: str,
    edit: Callable[[dict[str, Any]], None],
    says: str,
) -> None:
    """Not accepted and then failing with FailedCreate: refused when the workload is applied (issue 17)."""
    template = copy.deepcopy(GOOD)
    edit(template)
    refused = apiserver.validate(workload(kind, template), "training")
    assert any(says in r for r in refused), f"{kind} with {why}: {refused}"


def test_a_daemonset_in_a_zone_must_select_the_zone(apiserver: ApiServer) -> None:  # noqa: F811
    template = copy.deepcopy(GOOD)
    del template["spec"]["nodeSelector"]
    assert any("run only" in r for r in apiserver.validate(workload("DaemonSet", template), "training"))
    assert apiserver.validate(workload("Deployment", template), "training") == [], "Kyverno pins its pods"


@pytest.mark.parametrize(
    ("why", "change", "says"),
    [
        ("label inject false", lambda p: p["metadata"].update(labels={"sidecar.istio.io/inject": "false"}), "carry"),
        ("annotation inject false", lambda p: p["metadata"].update(annotations={"sidecar.istio.io/inject": "false"}),
         "carry"),
        ("a pre-set injection status", lambda p: p["metadata"].update(annotations={"sidecar.istio.io/status": "{}"}),
         "carry"),
        ("proxy config", lambda p: p["metadata"].update(annotations={"proxy.istio.io/config": "{}"}), "annotation"),
        ("excluded outbound range", lambda p: p["metadata"].update(
            annotations={"traffic.sidecar.istio.io/excludeOutboundIPRanges": "0.0.0.0/0"}), "annotation"),
        ("tlsMode disabled", lambda p: p["metadata"].update(labels={"security.istio.io/tlsMode": "disabled"}), "label"),
    ],
)  # fmt: skip
def test_pods_cannot_leave_the_mesh(
    apiserver: ApiServer,  # noqa: F811
    why: str,
    change: Callable[[dict[str, Any]], None],
    says: str,
) -> None:
    submitted = pod()
    change(submitted)
    _, refused = apiserver.create(submitted, "inference")
    assert any(says in r for r in refused), f"{why}: {refused}"


def test_the_nccl_window_is_admitted_only_where_the_platform_sets_it(apiserver: ApiServer) -> None:  # noqa: F811
    cfg = validate_platform(stack_data("prod"))
    window = ",".join(str(p) for p in cfg.kubernetes.nccl_ports.numbers)
    annotations = {f"traffic.sidecar.istio.io/exclude{d}Ports": window for d in ("Inbound", "Outbound")}
    submitted = pod()
    submitted["metadata"]["annotations"] = annotations
    _, refused = apiserver.create(copy.deepcopy(submitted), "training")
    assert refused == [], refused
    _, refused = apiserver.create(submitted, "inference")
    assert any("Istio annotation" in r for r in refused), "inference has no EFA pool: no bypass"


@pytest.mark.parametrize("namespace", ["training", "platform-system"])
def test_root_or_escalation_is_refused_where_baseline_would_admit_it(
    apiserver: ApiServer,  # noqa: F811
    namespace: str,
) -> None:
    root = pod(securityContext={"runAsUser": 0, "runAsGroup": 0})
    escalating = pod()
    escalating["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
    for submitted, says in ((root, "non-root"), (escalating, "allowPrivilegeEscalation")):
        _, refused = apiserver.create(submitted, namespace)
        assert any(says in r for r in refused), refused


def test_injected_containers_meet_restricted_seccomp(apiserver: ApiServer) -> None:  # noqa: F811
    """A workload that sets seccomp per container, not per pod: restricted Pod Security judges the injected
    istio-validation and istio-proxy too. With the platform's injection values they carry RuntimeDefault."""
    submitted = pod()
    submitted["spec"]["containers"][0]["securityContext"]["seccompProfile"] = {"type": "RuntimeDefault"}
    mutated, refused = apiserver.create(submitted, "notebooks")
    assert refused == [] and restricted_seccomp_violations(mutated) == []
    values = istiod_values("hub", "1.27.3")
    assert values["sidecarInjectorWebhook"]["defaultTemplates"] == ["sidecar", SECCOMP_TEMPLATE]
    plain = {**values, "sidecarInjectorWebhook": {}}
    for native in (True, False):
        injected = IstioInjector(values, native_sidecars=native).inject(copy.deepcopy(submitted))
        assert restricted_seccomp_violations(injected) == [], f"native={native}"
        bare = IstioInjector(plain, native_sidecars=native).inject(copy.deepcopy(submitted))
        assert len(restricted_seccomp_violations(bare)) == 2, "Istio 1.27's own template sets no seccompProfile"


def test_pods_outside_every_zone_are_refused_but_system_namespaces_are_the_clusters(
    apiserver: ApiServer,  # noqa: F811
) -> None:
    apiserver.namespaces.setdefault("scratch", {})
    privileged = pod(tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists"}])
    for namespace in ("scratch", "default", "kube-public"):
        _, refused = apiserver.create(copy.deepcopy(privileged), namespace)
        assert any("belongs to no trust zone" in r for r in refused), namespace
    assert any("belongs to no trust zone" in r for r in apiserver.validate(workload("Deployment", GOOD), "scratch"))
    for namespace in ("kube-system", "istio-system", "kyverno"):
        apiserver.namespaces.setdefault(namespace, {})
        _, refused = apiserver.create(copy.deepcopy(privileged), namespace)
        assert refused == [], namespace


def agent_pod(**spec: Any) -> dict[str, Any]:
    out = pod(**spec)
    out["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "dcgm", "uid": "u", "controller": True}
    ]
    return out


def test_node_agents_run_on_every_pool_and_do_nothing_else(apiserver: ApiServer) -> None:  # noqa: F811
    every_pool = [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "CriticalAddonsOnly", "operator": "Exists"},
    ]
    _, refused = apiserver.create(agent_pod(tolerations=every_pool, hostNetwork=True), "node-agents")
    assert refused == [], refused
    assert apiserver.validate(workload("DaemonSet", {"spec": {**pod()["spec"], "tolerations": every_pool}}),
                              "node-agents") == []  # fmt: skip
    refusals = {
        "bare pod": apiserver.create(pod(), "node-agents")[1],
        "tolerate everything": apiserver.create(agent_pod(tolerations=[{"operator": "Exists"}]), "node-agents")[1],
        "a Deployment": apiserver.validate(workload("Deployment", GOOD), "node-agents"),
        "a foreign image": apiserver.validate(
            workload("DaemonSet", {"spec": {**pod()["spec"], "containers": [{"name": "x", "image": "evil/x:1"}]}}),
            "node-agents",
        ),
    }
    assert all(refusals.values()), {k: v for k, v in refusals.items() if not v}


def test_device_plugins_run_in_the_agent_namespace(synthed: Synth) -> None:
    releases = {r["inputs"]["name"]: r for r in synthed("prod").by_type("kubernetes:helm.sh/v3:Release")}
    namespaces = {r["inputs"]["metadata"]["name"]: r["urn"] for r in synthed("prod").by_type(
        "kubernetes:core/v1:Namespace")}  # fmt: skip
    for name in ("nvidia-device-plugin", "aws-efa-k8s-device-plugin"):
        inputs = releases[name]["inputs"]
        assert inputs["namespace"] == "node-agents" and inputs["createNamespace"] is False, name
        assert namespaces["node-agents"] in releases[name]["dependencies"], name


@pytest.mark.parametrize(
    ("user", "account", "admitted"),
    [
        (RESEARCHER, "trainer", False),
        (RESEARCHER, "research-trainer", True),
        (RESEARCHER, None, False),
        (ENGINEER, "trainer", True),
        (ENGINEER, "research-trainer", False),
        ({"username": "oncall", "groups": ["platform-admins", "ml-research"]}, "trainer", True),
        ({"username": "system:serviceaccount:kube-system:job-controller", "groups": ["system:serviceaccounts"]},
         "trainer", True),
    ],
)  # fmt: skip
def test_jobs_run_only_as_the_accounts_the_requesters_group_may_use(
    apiserver: ApiServer,  # noqa: F811
    user: dict[str, Any],
    account: str | None,
    admitted: bool,
) -> None:
    template = copy.deepcopy(GOOD)
    if account:
        template["spec"]["serviceAccountName"] = account
    refused = apiserver.validate(workload("Job", template), "training", user=user)
    assert (refused == []) is admitted, refused


def test_kyverno_admission_is_highly_available() -> None:
    cfg = validate_platform(stack_data("prod"))
    admission = kyverno_values(cfg.kubernetes, True, "r", "r")["admissionController"]
    assert admission["replicas"] == 3 and admission["podDisruptionBudget"] == {"enabled": True, "minAvailable": 2}
    hostname = admission["topologySpreadConstraints"][0]
    assert hostname["topologyKey"] == "kubernetes.io/hostname" and hostname["whenUnsatisfiable"] == "DoNotSchedule"
    assert hostname["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == "admission-controller"


def test_approved_hosts_are_read_only_unless_writable() -> None:
    cfg = validate_platform(stack_data("prod"))
    zone = cfg.zone("training")
    objects = {(o["kind"], o["metadata"]["name"]): o for o in service_entries(zone, "training")}
    entry = objects[("ServiceEntry", "egress-read-only")]["spec"]
    assert entry["ports"] == [{"number": 80, "name": "http", "protocol": "HTTP", "targetPort": 443}]
    route = objects[("VirtualService", "read-only-pypi-mirror-internal-example-com")]["spec"]["http"]
    assert [m["method"]["exact"] for m in route[0]["match"]] == ["GET", "HEAD"]
    assert route[1]["fault"]["abort"]["httpStatus"] == 405 and "match" not in route[1]
    tls = objects[("DestinationRule", "read-only-pypi-mirror-internal-example-com")]["spec"]["trafficPolicy"]
    assert tls["portLevelSettings"][0]["tls"] == {"mode": "SIMPLE", "sni": "pypi-mirror.internal.example.com"}
    data = stack_data("prod")
    data["zones"][1]["egress"]["writable_hosts"] = ["pypi-mirror.internal.example.com"]
    writable = service_entries(validate_platform(data).zone("training"), "training")
    assert [o["metadata"]["name"] for o in writable] == ["egress-allow-list"]
    assert writable[0]["spec"]["ports"] == [{"number": 443, "name": "tls", "protocol": "TLS"}]


def test_cluster_model_sees_what_the_stack_registers(synthed: Synth) -> None:
    """The model is built from the synthesized objects: a stack without the agents' policy admits a bare pod."""
    result = synthed("prod")
    server = cluster_of(result)
    server.objects = [o for o in server.objects if o["metadata"]["name"] != "enclave-node-agents"]
    assert server.create(pod(), "node-agents")[1] == []


def _with_image(image: str) -> dict[str, Any]:
    out = pod()
    out["spec"]["containers"][0]["image"] = image
    return out


@pytest.mark.parametrize(
    ("namespace", "image", "admitted"),
    [
        ("notebooks", f"{ECR}/prod/notebooks/jupyter:2026.11", True),
        ("notebooks", f"{ECR}/prod/inference/model-server:12", False),
        ("notebooks", f"{ECR}/prod/training/trainer:7", False),
        ("inference", f"{ECR}/prod/inference/model-server:12", True),
        ("inference", f"{ECR}/prod/notebooks/jupyter:2026.11", False),
        ("training", f"{ECR}/prod/training/trainer:7", True),
        ("monitoring", f"{ECR}/prod/platform/model-promoter:3", True),  # the platform zone's second namespace
        ("monitoring", f"{ECR}/prod/training/trainer:7", False),
        ("training", f"{ECR}/mirror/istio/pilot:1.27.3", False),  # the add-on mirror is no zone's
        # node agents keep the whole account registry (they run the add-on mirror's images)
        ("node-agents", f"{ECR}/mirror/nvidia/k8s-device-plugin:v0.17.4", True),
    ],
)
def test_a_zone_runs_only_its_own_images_of_the_account_registry(
    apiserver: ApiServer,  # noqa: F811
    namespace: str,
    image: str,
    admitted: bool,
) -> None:
    """Images per zone, second layer: the admission policy admits from the account's ECR only the zone's prefix, for
    Pods and for the pod templates of workloads, so a notebook is refused an inference image at apply time."""
    for obj in (_with_image(image), workload("Deployment", {"metadata": {}, "spec": _with_image(image)["spec"]})):
        refused = [m for m in apiserver.validate(obj, namespace) if "approved registry" in m]
        assert (refused == []) is admitted, (namespace, obj["kind"], image, refused)
