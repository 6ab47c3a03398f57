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
from enclave.reach import expected_connectivity, parse_nca_csv, representative_pods, system_namespaces
from enclave.render import Rendered, collect, write
from enclave.synth import PROJECT_ROOT, synth
from tests.conftest import stack_data

from .crd_schemas import schema_for

TOOLS = Path(os.environ.get("ENCLAVE_TOOLS_DIR", PROJECT_ROOT / ".tools"))
KUBERNETES_VERSION = "1.33.0"


def tool(venv: str, exe: str) -> str:
    path = TOOLS / venv / "bin" / exe
    if not path.exists():
        pytest.fail(f"{path} is missing: run `bash tools/install.sh` (make test does)")
    return str(path)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Rendered, Path]:
    out = tmp_path_factory.mktemp("render-prod")
    result = synth("prod")
    rendered = collect(result)
    write(rendered, out)
    return rendered, out


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


def test_kubernetes_validate_strict(rendered: tuple[Rendered, Path]) -> None:
    objs, out = rendered
    files = sorted(str(p) for p in out.glob("*.yaml"))
    proc = subprocess.run(
        [tool("kubernetes-validate", "kubernetes-validate"), "-k", KUBERNETES_VERSION, "--strict", *files],
        capture_output=True, text=True, timeout=300,
    )
    lines = (proc.stdout + proc.stderr).splitlines()
    failures = [line for line in lines if line.startswith("ERROR") or " failed " in line]
    assert proc.returncode == 0 and not failures, "\n".join(failures or lines[-20:])
    unknown = {line.split("kind ")[1].split(" with")[0] for line in lines if "Couldn't find schema" in line}
    crd_kinds = {o["kind"] for o in objs.all_objects() if schema_for(o["apiVersion"], o["kind"])}
    assert unknown <= crd_kinds, f"kinds validated by nobody: {unknown - crd_kinds}"
    passed = sum(1 for line in lines if " passed for resource " in line)
    assert passed == sum(1 for o in objs.all_objects() if not schema_for(o["apiVersion"], o["kind"]))


def test_crd_objects_match_published_field_sets(rendered: tuple[Rendered, Path]) -> None:
    objs, _ = rendered
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
    bad = {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": {"name": "x"},
           "spec": {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}, "egres": []}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_checkov_kubernetes_has_zero_failed(rendered: tuple[Rendered, Path]) -> None:
    _, out = rendered
    proc = subprocess.run(
        [tool("checkov", "checkov"), "--framework", "kubernetes", "-d", str(out), "-o", "json", "--skip-download",
         "--config-file", str(PROJECT_ROOT / ".checkov.yaml")],
        capture_output=True, text=True, timeout=600, env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    start = proc.stdout.find("{")
    report: Any = json.loads(proc.stdout[start:])
    reports = report if isinstance(report, list) else [report]
    failed = [c for r in reports for c in r["results"]["failed_checks"]]
    passed = sum(len(r["results"]["passed_checks"]) for r in reports)
    assert not failed, "\n".join(f"{c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']})"
                                 for c in failed)
    assert passed > 50, f"checkov passed only {passed} checks: did it see the manifests?"
    skipped = [c for r in reports for c in r["results"]["skipped_checks"]]
    config = (PROJECT_ROOT / ".checkov.yaml").read_text()
    for check in skipped:
        assert check["check_id"] in config, f"{check['check_id']} skipped without a written reason"


def test_nca_connectivity_equals_the_flow_matrix(rendered: tuple[Rendered, Path], tmp_path: Path) -> None:
    objs, _ = rendered
    cfg = validate_platform(stack_data("prod"))
    policies = [o for o in objs.all_objects() if o["kind"] in ("NetworkPolicy", "Namespace")]
    (tmp_path / "policies.yaml").write_text(yaml.safe_dump_all(policies))
    (tmp_path / "pods.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "PodList",
                                                        "items": representative_pods(cfg)}))
    namespaces = [o for o in policies if o["kind"] == "Namespace"] + system_namespaces()
    (tmp_path / "ns.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "NamespaceList",
                                                      "items": namespaces}))
    proc = subprocess.run(
        [tool("network-config-analyzer", "nca"), "--connectivity", str(tmp_path / "policies.yaml"),
         "--pod_list", str(tmp_path / "pods.yaml"), "--ns_list", str(tmp_path / "ns.yaml"), "-o", "csv"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (PROJECT_ROOT / "out").mkdir(exist_ok=True)
    (PROJECT_ROOT / "out" / "prod.connectivity.csv").write_text(proc.stdout)
    zone_ns = {ns for z in cfg.zones for ns in z.namespaces}
    found = {c for c in parse_nca_csv(proc.stdout) if c.src in zone_ns or c.dst in zone_ns}
    expected = expected_connectivity(cfg)
    assert found == expected, (
        "nca found connectivity that differs from the declared flow matrix\n"
        f"only in nca: {sorted(map(str, found - expected))}\nonly declared: {sorted(map(str, expected - found))}"
    )
    inference = set(cfg.zone("inference").namespaces)
    for c in found:
        if c.dst in inference:
            assert c.src not in set(cfg.zone("notebooks").namespaces) | set(cfg.zone("training").namespaces), str(c)
        if c.src in set(cfg.zone("training").namespaces) | inference:
            assert not c.dst.endswith("/0"), f"internet egress from {c.src}"
