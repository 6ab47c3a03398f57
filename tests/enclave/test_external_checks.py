"""The rendered prod manifests, checked by independent tools: kubernetes-validate (+ CRD field sets),
checkov, and network-config-analyzer's connectivity versus the declared flow matrix."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from components.config import validate_platform
from enclave.reach import analyze, tool_path
from enclave.render import Rendered, collect, write
from enclave.synth import PROJECT_ROOT, synth
from tests.conftest import STACKS, stack_data

from .crd_schemas import schema_for

KUBERNETES_VERSION = "1.33.0"


def tool(venv: str, exe: str) -> str:
    path = tool_path(venv, exe)
    if not path.exists():
        pytest.fail(f"{path} is missing: run `bash tools/install.sh` (make test does)")
    return str(path)


_RENDERED: dict[str, tuple[Rendered, Path]] = {}


def _render(stack: str, factory: pytest.TempPathFactory) -> tuple[Rendered, Path]:
    if stack not in _RENDERED:
        out = factory.mktemp(f"render-{stack}")
        objs = collect(synth(stack))
        write(objs, out)
        _RENDERED[stack] = (objs, out)
    return _RENDERED[stack]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Rendered, Path]:
    """The prod stack, rendered (the stack the issue's gates name)."""
    return _render("prod", tmp_path_factory)


@pytest.fixture(scope="module", params=STACKS)
def rendered_any(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Rendered, Path]:
    """Each shipped stack, rendered: the schema and checkov gates hold for all of them, not only prod."""
    return _render(request.param, tmp_path_factory)


def test_render_writes_one_file_per_namespace_and_cluster_scope(rendered: tuple[Rendered, Path]) -> None:
    _objs, out = rendered
    cfg = validate_platform(stack_data("prod"))
    namespaces = {ns for z in cfg.zones for ns in z.namespaces}
    files = {p.name for p in out.glob("*.yaml")}
    assert {f"{ns}.yaml" for ns in namespaces} <= files
    assert "cluster.yaml" in files
    for ns in namespaces:
        docs = list(yaml.safe_load_all((out / f"{ns}.yaml").read_text()))
        assert docs[0]["kind"] == "Namespace", f"{ns}.yaml must create the namespace first"
        assert all(d["metadata"].get("namespace", ns) == ns for d in docs)
    helm = {p.name for p in (out / "helm").glob("*.yaml")}
    assert {"istiod.values.yaml", "kyverno.values.yaml", "nvidia-device-plugin.values.yaml"} <= helm


def test_kubernetes_validate_strict(rendered_any: tuple[Rendered, Path]) -> None:
    objs, out = rendered_any
    files = sorted(str(p) for p in out.glob("*.yaml"))
    proc = subprocess.run(
        [tool("kubernetes-validate", "kubernetes-validate"), "-k", KUBERNETES_VERSION, "--strict", *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = (proc.stdout + proc.stderr).splitlines()
    failures = [line for line in lines if line.startswith("ERROR") or " failed " in line]
    assert proc.returncode == 0 and not failures, "\n".join(failures or lines[-20:])
    unknown = {line.split("kind ")[1].split(" with")[0] for line in lines if "Couldn't find schema" in line}
    crd_kinds = {o["kind"] for o in objs.all_objects() if schema_for(o["apiVersion"], o["kind"])}
    assert unknown <= crd_kinds, f"kinds validated by nobody: {unknown - crd_kinds}"
    passed = sum(1 for line in lines if " passed for resource " in line)
    assert passed == sum(1 for o in objs.all_objects() if not schema_for(o["apiVersion"], o["kind"]))


def test_crd_objects_match_published_field_sets(rendered_any: tuple[Rendered, Path]) -> None:
    objs, _ = rendered_any
    checked = 0
    for obj in objs.all_objects():
        if "." in obj["apiVersion"].split("/")[0] and not obj["apiVersion"].endswith("k8s.io/v1"):
            schema = schema_for(obj["apiVersion"], obj["kind"])
            assert schema is not None, f"no field set for {obj['apiVersion']} {obj['kind']}"
            jsonschema.validate(obj, schema)
            checked += 1
    assert checked > 0


def test_crd_schema_rejects_a_misspelt_field() -> None:
    schema = schema_for("networking.istio.io/v1", "Sidecar")
    assert schema is not None
    bad = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Sidecar",
        "metadata": {"name": "x"},
        "spec": {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}, "egres": []},
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_checkov_kubernetes_has_zero_failed(rendered_any: tuple[Rendered, Path]) -> None:
    _, out = rendered_any
    proc = subprocess.run(
        [
            tool("checkov", "checkov"),
            "--framework",
            "kubernetes",
            "-d",
            str(out),
            "-o",
            "json",
            "--skip-download",
            "--config-file",
            str(PROJECT_ROOT / ".checkov.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    start = proc.stdout.find("{")
    report: Any = json.loads(proc.stdout[start:])
    reports = report if isinstance(report, list) else [report]
    failed = [c for r in reports for c in r["results"]["failed_checks"]]
    passed = sum(len(r["results"]["passed_checks"]) for r in reports)
    assert not failed, "\n".join(
        f"{c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']})" for c in failed
    )
    # Every file holding a built-in kind checkov has checks for was checked (it has none for Istio's or
    # Kyverno's kinds, nor for admission policies, namespaces, NetworkPolicies and StorageClasses: an agent
    # namespace holds only those, and so does the cluster file of a stack with no platform admin group).
    seen = {Path(c["file_path"]).name for r in reports for c in r["results"]["passed_checks"]}
    unchecked_kinds = {
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "Namespace",
        "NetworkPolicy",
        "StorageClass",
    }
    builtin = {
        p.name
        for p in out.glob("*.yaml")
        if any(
            schema_for(d["apiVersion"], d["kind"]) is None and d["kind"] not in unchecked_kinds
            for d in yaml.safe_load_all(p.read_text())
            if d
        )
    }
    assert builtin and builtin <= seen, f"checkov saw only {sorted(seen)} of {sorted(builtin)} ({passed} passed)"
    skipped = [c for r in reports for c in r["results"]["skipped_checks"]]
    config = (PROJECT_ROOT / ".checkov.yaml").read_text()
    for check in skipped:
        assert check["check_id"] in config, f"{check['check_id']} skipped without a written reason"


@pytest.mark.parametrize("stack", STACKS)
def test_nca_connectivity_equals_the_flow_matrix(stack: str, tmp_path: Path) -> None:
    cfg = validate_platform(stack_data(stack))
    analysis = analyze(cfg, collect(synth(stack)).all_objects(), Path(tool("network-config-analyzer", "nca")), tmp_path)
    assert analysis.matches, (
        f"{stack}: nca found connectivity that differs from the declared flow matrix\n" + "\n".join(analysis.lines())
    )
    assert len(analysis.found) >= 3 * sum(len(z.namespaces) for z in cfg.zones) // 2, "nca saw too little"
    zones = {z.zone_class: set(z.namespaces) for z in cfg.zones}
    declared_into_inference = {f.source for f in cfg.flows if cfg.zone(f.target).zone_class == "inference"}
    for c in analysis.found:
        if c.dst in zones.get("inference", set()):
            for cls in ("notebooks", "training"):
                if c.src in zones.get(cls, set()):
                    assert any(cfg.zone(z).zone_class == cls for z in declared_into_inference), str(c)
        if c.src in zones.get("training", set()) | zones.get("inference", set()):
            assert not c.dst.endswith("/0"), f"internet egress from {c.src}"


def test_nca_comparison_catches_an_undeclared_path(rendered: tuple[Rendered, Path], tmp_path: Path) -> None:
    """The gate can fail: allow-all ingress in inference plus allow-all egress in notebooks (two policies a
    hurried operator might add) show up as undeclared paths, notebooks -> inference among them."""
    objs, _ = rendered
    cfg = validate_platform(stack_data("prod"))

    def allow_all(namespace: str, direction: str) -> dict[str, Any]:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": f"oops-allow-all-{direction.lower()}", "namespace": namespace},
            "spec": {"podSelector": {}, "policyTypes": [direction], direction.lower(): [{}]},
        }

    extra = [allow_all("inference", "Ingress"), allow_all("notebooks", "Egress")]
    analysis = analyze(cfg, [*objs.all_objects(), *extra], Path(tool("network-config-analyzer", "nca")), tmp_path)
    assert not analysis.matches
    assert {c.src for c in analysis.undeclared if c.dst == "inference"} >= {"notebooks", "0.0.0.0/0"}
    assert any(line.startswith("+ notebooks -> inference") for line in analysis.lines())


def test_cli_reach_analyze_reports_a_match(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from enclave.cli import app

    csv_path = tmp_path / "prod.csv"
    nca = tool("network-config-analyzer", "nca")
    res = CliRunner().invoke(app, ["reach", "--stack", "prod", "--analyze", "--nca", nca, "--csv", str(csv_path)])
    assert res.exit_code == 0, res.output
    assert "= training -> training: TCP:29500, TCP:50000-51023" in res.output
    assert not any(line.startswith(("+", "-")) for line in res.output.splitlines())
    assert csv_path.read_text().count("\n") > 10


def test_workload_helpers_produce_valid_kubernetes(tmp_path: Path) -> None:
    """What users build from the helpers (a Job from the pod template, the rendezvous Service) passes the
    same strict schema validation as the platform's own objects."""
    from components.k8s.pod_spec import JOB_LABEL, rendezvous_service, workload_pod_template

    cfg = validate_platform(stack_data("prod"))
    zone = cfg.zone("training")
    pool = next(p for p in cfg.node_pools if p.zone == "training" and p.efa)
    template = workload_pod_template(
        zone, pool, name="trainer", image="111122223333.dkr.ecr.us-east-1.amazonaws.com/train:1",
        service_account="trainer", gpus=8, efa_interfaces=32, nccl_ports=cfg.kubernetes.nccl_ports,
        secrets=["hf-token"], cpu="180", memory="1800Gi", labels={JOB_LABEL: "llama-ft"},
    )  # fmt: skip
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "llama-ft", "namespace": "training"},
        "spec": {"completions": 2, "parallelism": 2, "completionMode": "Indexed",
                 "template": {**template, "spec": {**template["spec"], "restartPolicy": "Never",
                                                   "subdomain": "llama-ft"}}},
    }  # fmt: skip
    path = tmp_path / "workload.yaml"
    path.write_text(yaml.safe_dump_all([job, rendezvous_service("llama-ft", zone, "training")]))
    proc = subprocess.run(
        [tool("kubernetes-validate", "kubernetes-validate"), "-k", KUBERNETES_VERSION, "--strict", str(path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (proc.stdout + proc.stderr).count(" passed for resource ") == 2
