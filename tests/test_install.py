"""Installed as a consuming team installs it: a wheel, without -e, in a fresh virtual environment; then the
CLI run from the examples' own folders, inside the repository and copied outside it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from enclave.synth import PROJECT_ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("install")
    wheels = root / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(PROJECT_ROOT)],
        check=True, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    [wheel] = wheels.glob("gpu_enclave-*.whl")
    env = root / "venv"
    venv.create(env, with_pip=True)
    subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    return env / "bin" / "enclave"


def enclave(exe: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_wheel_holds_no_editable_path(installed: Path) -> None:
    site = next(installed.parent.parent.glob("lib/python*/site-packages"))
    assert (site / "components" / "platform.py").is_file() and (site / "enclave" / "cli.py").is_file()
    assert not list(site.glob("__editable__*")), "installed without -e"


def test_version_and_the_repository_project(installed: Path) -> None:
    assert enclave(installed, PROJECT_ROOT, "--version").stdout.startswith("enclave 0.1.0")
    result = enclave(installed, PROJECT_ROOT / "stacks", "stacks")  # from a folder inside the project
    assert result.returncode == 0 and result.stdout.split() == ["dev", "prod", "staging"], result.stderr
    result = enclave(installed, PROJECT_ROOT, "synth", "--stack", "dev", "-o", "/dev/null")
    assert result.returncode == 0, result.stderr


def test_the_consumer_example_from_its_own_folder_outside_the_repository(installed: Path, tmp_path: Path) -> None:
    project = tmp_path / "consumer"
    shutil.copytree(PROJECT_ROOT / "examples" / "consumer-stack", project)
    assert enclave(installed, project, "stacks").stdout.split() == ["research"]
    out = tmp_path / "research.json"
    result = enclave(installed, project, "synth", "--stack", "research", "-o", str(out))
    assert result.returncode == 0 and out.is_file(), result.stderr
    assert "research: 15 resources" in result.stderr
    bad = (project / "Pulumi.research.yaml").read_text().replace("purpose: datasets", "purpose: dataset")
    (project / "Pulumi.research.yaml").write_text(bad)
    result = enclave(installed, project, "synth", "--stack", "research")
    assert result.returncode == 2 and "Pulumi.research.yaml:" in result.stderr and "Traceback" not in result.stderr
    assert "enclave-consumer:bucket.purpose = 'dataset'" in result.stderr


def test_preview_outside_the_repository_uses_the_pack_the_wheel_ships(installed: Path, tmp_path: Path) -> None:
    project = tmp_path / "consumer"
    shutil.copytree(PROJECT_ROOT / "examples" / "consumer-stack", project)
    site = next(installed.parent.parent.glob("lib/python*/site-packages"))
    shipped = site / "policy_packs" / "hipaa"
    assert (shipped / "PulumiPolicy.yaml").is_file() and (shipped / "rules" / "iam").is_dir()
    assert not (shipped / "config").exists(), "this repository's pack configs (its accounts) stay out of the wheel"
    # no pack config of its own: every policy mandatory, and the example's two cluster-wide findings fail it
    result = enclave(installed, project, "preview", "--stack", "research")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stdout + result.stderr
    assert "research: FAIL - 15 resources" in result.stdout
    assert "no pack config (every policy at the pack's default level)" in result.stdout
    result = enclave(installed, project, "preview", "--stack", "research", "--pack-config", "policy-pack-config.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "research: pass - 15 resources" in result.stdout
    assert "config policy-pack-config.json (named by --pack-config)" in result.stdout


def test_a_stack_named_like_the_packs_own_uses_no_config_of_the_pack(installed: Path, tmp_path: Path) -> None:
    """A user's stack `dev` with --pack pointing at this repository's pack: the pack's config/dev.json (another
    project's admins and thresholds) is not used; the summary line says which config ran."""
    project = tmp_path / "consumer"
    shutil.copytree(PROJECT_ROOT / "examples" / "consumer-stack", project)
    (project / "Pulumi.research.yaml").rename(project / "Pulumi.dev.yaml")
    pack = PROJECT_ROOT / "policy_packs" / "hipaa"
    assert (pack / "config" / "dev.json").is_file()
    result = enclave(installed, project, "preview", "--stack", "dev", "--pack", str(pack))
    assert result.returncode == 1 and "dev: FAIL - 15 resources" in result.stdout, result.stdout + result.stderr
    assert "config/dev.json" not in result.stdout + result.stderr
    assert "no pack config (every policy at the pack's default level)" in result.stdout


def test_the_wheel_carries_the_report_templates_and_the_auditor_policy(installed: Path, tmp_path: Path) -> None:
    project = tmp_path / "consumer"
    shutil.copytree(PROJECT_ROOT / "examples" / "consumer-stack", project)
    pack = PROJECT_ROOT / "policy_packs" / "hipaa"
    out = tmp_path / "report"
    result = enclave(installed, project, "report", "--stack", "research", "--out", str(out), "--pack", str(pack),
                     "--pack-config", "policy-pack-config.json")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "HIPAA evidence: research" in html and "<style" in html  # the template and its inline stylesheet
    assert (out / "report.json").is_file() and (out / "findings.csv").is_file()
    policy = json.loads(enclave(installed, tmp_path, "audit-policy").stdout)
    shipped = json.loads((PROJECT_ROOT / "enclave" / "audit" / "auditor-policy.json").read_text(encoding="utf-8"))
    assert policy == shipped and policy["Statement"]
