"""The CI workflow users copy (.github/workflows/compliance.yml): actionlint finds nothing in it (and does find a
broken copy), its stack matrix is the project's stacks, every `enclave` command in it parses with the real CLI,
every action is pinned to an exact release."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from enclave.cli import app
from enclave.project import find_project
from enclave.reach import tool_path
from enclave.synth import PROJECT_ROOT

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "compliance.yml"
# owner/repo[/path]@vMAJOR.MINOR.PATCH, or a full commit SHA
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+\.\d+\.\d+|[0-9a-f]{40})$")


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data.get("jobs"), f"{WORKFLOW}: no jobs"
    return data


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    exe = tool_path("actionlint", "actionlint")
    if not exe.exists():
        pytest.fail(f"{exe} is missing: run `make tools` (or `bash tools/install.sh actionlint`)")
    return subprocess.run([str(exe), "-no-color", str(path)], capture_output=True, text=True, timeout=120)


def steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job_id, step) for job_id, job in workflow["jobs"].items() for step in job.get("steps", [])]


def enclave_commands(workflow: dict[str, Any]) -> list[list[str]]:
    """Every `enclave ...` command of the run steps, as argv (without redirections, pipes and what follows)."""
    out = []
    for _job, step in steps(workflow):
        for line in str(step.get("run", "")).splitlines():
            line = line.strip()
            if line.startswith("enclave "):
                argv = []
                for word in shlex.split(line, comments=True):
                    if word in (">", ">>", "|", "&&", "||", ";"):
                        break
                    argv.append(word)
                out.append(argv[1:])
    return out


def parse(argv: list[str]) -> Any:
    """Parse argv as the `enclave` CLI would, without running the command (its click context): unknown options,
    missing required ones and bad choices raise click's usage errors (typer's own copy of click)."""
    group: Any = typer.main.get_command(app)
    parent = group.make_context("enclave", list(argv[:1]))
    command = group.get_command(parent, argv[0])
    assert command is not None, f"enclave {argv[0]}: no such command"
    return command.make_context(argv[0], list(argv[1:]), parent=parent)


def test_actionlint_finds_nothing() -> None:
    result = actionlint(WORKFLOW)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_actionlint_reports_a_broken_copy(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "compliance.yml"
    broken.parent.mkdir(parents=True)
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "${{ matrix.stack }}" in text
    broken.write_text(text.replace("${{ matrix.stack }}", "${{ matrix.stak }}", 1), encoding="utf-8")
    result = actionlint(broken)
    assert result.returncode != 0 and "matrix.stak" in result.stdout, result.stdout + result.stderr


def test_the_stack_matrix_is_the_projects_stacks(workflow: dict[str, Any]) -> None:
    stacks = find_project(PROJECT_ROOT).stacks()
    assert stacks, "no stacks/Pulumi.<name>.yaml"
    for job_id, job in workflow["jobs"].items():
        matrix = job.get("strategy", {}).get("matrix", {}).get("stack")
        assert matrix is not None, f"job {job_id} has no stack matrix"
        assert sorted(matrix) == stacks and len(set(matrix)) == len(matrix), f"job {job_id}: {matrix} != {stacks}"


def test_every_enclave_command_parses(workflow: dict[str, Any]) -> None:
    commands = enclave_commands(workflow)
    assert [argv[0] for argv in commands] == ["preview", "report", "summary"], commands
    for argv in commands:
        parse(argv)
    preview = parse(commands[0]).params
    assert preview["out_dir"] == Path("out") and preview["stack"] == "$STACK"
    report = parse(commands[1]).params
    assert report["out"] == Path("out/$STACK-report") and report["stack"] == "$STACK"


def test_a_renamed_option_would_fail_the_parse() -> None:
    with pytest.raises(Exception, match="--out-dirs") as unknown:
        parse(["preview", "--stack", "dev", "--out-dirs", "out"])
    with pytest.raises(Exception, match="Missing parameter: stack") as missing:
        parse(["preview", "--out-dir", "out"])
    with pytest.raises(Exception, match="xml") as choice:
        parse(["preview", "--stack", "dev", "--format", "xml"])
    for raised in (unknown, missing, choice):
        assert "UsageError" in [c.__name__ for c in type(raised.value).__mro__], raised.value


def test_every_action_is_pinned_to_an_exact_version(workflow: dict[str, Any]) -> None:
    used = [(job_id, step["uses"]) for job_id, step in steps(workflow) if "uses" in step]
    assert used, "the workflow uses no action"
    loose = [(job_id, uses) for job_id, uses in used if not PINNED.match(uses)]
    assert not loose, f"not pinned to an exact release: {loose}"


def test_the_jobs_hold_only_the_permissions_they_need(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"] == {"contents": "read"}
    jobs = workflow["jobs"]
    assert jobs["enclave"]["permissions"] == {"contents": "read", "security-events": "write"}
    assert jobs["pulumi"]["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    assert "secrets." not in yaml.safe_dump(jobs["enclave"]), "the offline job needs no secret"
    assert jobs["pulumi"]["if"].startswith("vars.AWS_ROLE_ARN != '' &&"), "skipped until the role is configured"
    [pulumi] = [s for _j, s in steps({"jobs": {"pulumi": jobs["pulumi"]}}) if s.get("uses", "").startswith("pulumi/")]
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["policyPacks"] == "policy_packs/hipaa"
    assert pulumi["with"]["policyPackConfigs"] == "policy_packs/hipaa/config/${{ matrix.stack }}.json"
    for stack in find_project(PROJECT_ROOT).stacks():
        assert (PROJECT_ROOT / "policy_packs" / "hipaa" / "config" / f"{stack}.json").is_file(), stack
