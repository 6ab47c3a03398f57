"""The CLI finds its project as `pulumi` does: the nearest Pulumi.yaml from the working directory (or
--project-dir) upwards, stacks from its stackConfigDir; a broken project is exit 2 with the file and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from enclave.cli import app
from enclave.project import ProjectError, StackNotFound, find_project
from enclave.synth import PROJECT_ROOT

CONSUMER = PROJECT_ROOT / "examples" / "consumer-stack"


def project(tmp_path: Path, text: str = "name: p\nruntime: python\n", main: bool = True) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(text, encoding="utf-8")
    if main:
        (tmp_path / "__main__.py").write_text("", encoding="utf-8")
    return tmp_path


def test_found_from_a_subfolder_and_stacks_from_stack_config_dir(tmp_path: Path) -> None:
    root = project(tmp_path, "name: p\nruntime: {name: python}\nstackConfigDir: envs\n")
    (root / "envs").mkdir()
    (root / "envs" / "Pulumi.blue.yaml").write_text("config: {}\n", encoding="utf-8")
    (root / "deep" / "er").mkdir(parents=True)
    found = find_project(root / "deep" / "er")
    assert found.root == root.resolve() and found.stacks() == ["blue"]
    assert found.stack_file("blue") == (root / "envs" / "Pulumi.blue.yaml").resolve()


def test_stacks_run_inside_the_consumer_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CONSUMER)
    result = CliRunner().invoke(app, ["stacks"])
    assert result.exit_code == 0 and result.output.split() == ["research"]
    result = CliRunner().invoke(app, ["synth", "--stack", "research"])
    assert result.exit_code == 0, result.output
    assert '"project": "enclave-consumer"' in result.stdout


def test_the_repository_from_one_of_its_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT_ROOT / "components" / "aws")
    result = CliRunner().invoke(app, ["stacks"])
    assert result.output.split() == ["dev", "prod", "staging"]


@pytest.mark.parametrize(
    ("text", "main", "expected"),
    [
        ("name: p\nruntime: python\nmain: [", True, "Pulumi.yaml:3: not valid YAML"),
        ("- just\n- a list\n", True, "a project file is a mapping"),
        ("runtime: python\n", True, "`name` is missing"),
        ("name: p\nruntime: nodejs\n", True, "runtime is 'nodejs'; enclave runs Python programs"),
        ("name: p\nruntime: python\n", False, "__main__.py does not exist (check `main`)"),
        ("name: p\nruntime: python\nmain: 42\n", True, "`main` must be a path"),
        ("name: p\nruntime: python\n\xff", True, "not valid YAML"),
    ],
)
def test_a_broken_project_file_is_exit_2(tmp_path: Path, text: str, main: bool, expected: str) -> None:
    root = project(tmp_path, text, main)
    with pytest.raises(ProjectError, match=None) as info:
        find_project(root)
    assert expected in str(info.value) and str(root) in str(info.value)
    result = CliRunner().invoke(app, ["synth", "--stack", "dev", "--project-dir", str(root)])
    assert result.exit_code == 2 and expected in result.output and "Traceback" not in result.output


def test_no_project_anywhere_up(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["stacks", "--project-dir", str(tmp_path)])
    assert result.exit_code == 2 and "no Pulumi.yaml in --project-dir" in result.output
    assert "pass --project-dir" in result.output
    result = CliRunner().invoke(app, ["stacks", "--project-dir", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "no such folder" in result.output


@pytest.mark.parametrize("stack", ["../prod", "", ".hidden", "a/b"])
def test_a_stack_name_is_a_name(stack: str) -> None:
    with pytest.raises(StackNotFound, match="a stack name"):
        find_project(PROJECT_ROOT).stack_file(stack)


@pytest.mark.parametrize("command", ["synth", "render", "reach", "images", "preview", "report"])
def test_every_command_resolves_stack_files_the_same_way(tmp_path: Path, command: str) -> None:
    extra = ["--out", str(tmp_path / "o")] if command in ("render", "report") else []
    folder = CliRunner().invoke(app, [command, "--stack", "prod", "--config-file", str(tmp_path), *extra])
    assert folder.exit_code == 2 and "is a folder; give the stack file" in folder.output
    missing = CliRunner().invoke(app, [command, "--stack", "qa", *extra])
    assert missing.exit_code == 2 and "no stack 'qa'" in missing.output and "dev, prod, staging" in missing.output
    assert "Traceback" not in folder.output + missing.output


def test_an_empty_stack_file_says_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, ["reach", "--stack", "prod", "--config-file", str(path)])
    assert result.exit_code == 2 and "under config: gpu-enclave:platform" in result.output
    assert "NoneType" not in result.output
