"""Every command on every broken input: exit 2, a message naming the file and the config path, no traceback,
nothing written. The inputs: the stack-config corpus (tests/components/config/bad_configs.py) and broken
projects, stack files and options below; then hypothesis mutates the shipped stacks structurally."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from enclave.cli import app
from tests.components.config.bad_configs import CASES, Case
from tests.components.config.test_bad_configs import make_file
from tests.conftest import stack_data, write_stack

COMMANDS = ["synth", "render", "reach", "images", "preview", "validate", "report"]


def run(command: str, stack_file: Path, tmp_path: Path, *extra: str) -> Any:
    args = [command, "--stack", "prod", "--config-file", str(stack_file), *extra]
    if command in ("render", "report"):
        args += ["--out", str(tmp_path / "manifests")]
    if command in ("synth", "preview"):
        args += ["--out", str(tmp_path / "out.json")]
    return CliRunner().invoke(app, args)


def assert_refused(result: Any, tmp_path: Path, *expected: str) -> None:
    assert result.exit_code == 2, f"exit {result.exit_code}:\n{result.output}"
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(result.exception, SystemExit)
    for text in expected:
        assert text in result.output, f"{text!r} not in:\n{result.output}"
    assert not (tmp_path / "out.json").exists() and not (tmp_path / "manifests").exists(), "nothing is written"


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_command_refuses_every_broken_stack_file(case: Case, command: str, tmp_path: Path) -> None:
    path = make_file(case, tmp_path)
    result = run(command, path, tmp_path)
    assert_refused(result, tmp_path, str(path), case.message)
    if case.path:
        assert re.search(re.escape(case.path) + r"(\s|$| =)", result.output), result.output


def _project(text: str | None, main: bool = True) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        root = tmp_path / "proj"
        root.mkdir()
        if text is not None:
            (root / "Pulumi.yaml").write_text(text, encoding="utf-8")
        if main:
            (root / "__main__.py").write_text("", encoding="utf-8")
        write_stack(root / "Pulumi.prod.yaml", stack_data("prod"))
        return root

    return make


PROJECTS = [
    ("no-project-file", _project(None), "no Pulumi.yaml in --project-dir"),
    ("project-not-yaml", _project("name: [unclosed\n"), "Pulumi.yaml:2: not valid YAML"),
    ("project-a-list", _project("- a\n- b\n"), "a project file is a mapping"),
    ("project-no-name", _project("runtime: python\n"), "`name` is missing"),
    ("project-nodejs", _project("name: p\nruntime: nodejs\n"), "runtime is 'nodejs'"),
    ("project-no-program", _project("name: p\nruntime: python\n", main=False), "does not exist (check `main`)"),
    ("project-main-number", _project("name: p\nruntime: python\nmain: 3\n"), "`main` must be a path"),
]


@pytest.mark.parametrize("command", [*COMMANDS, "stacks"])
@pytest.mark.parametrize(("name", "make", "expected"), PROJECTS, ids=[p[0] for p in PROJECTS])
def test_every_command_refuses_a_broken_project(
    name: str, make: Callable[[Path], Path], expected: str, command: str, tmp_path: Path
) -> None:
    root = make(tmp_path)
    args = [command, "--project-dir", str(root)] + ([] if command == "stacks" else ["--stack", "prod"])
    if command in ("render", "report"):
        args += ["--out", str(tmp_path / "manifests")]
    assert_refused(CliRunner().invoke(app, args), tmp_path, expected)


STACK_FILES: list[tuple[str, Callable[[Path], Path], str]] = [
    ("a-folder", lambda t: t, "is a folder; give the stack file"),
    ("missing-file", lambda t: t / "nope.yaml", "no such file"),
    ("empty-file", lambda t: _write(t, ""), "under config: gpu-enclave:platform"),
    ("only-comments", lambda t: _write(t, "# nothing\n"), "under config: gpu-enclave:platform"),
    ("config-a-list", lambda t: _write(t, "config:\n  - a\n"), "a stack file is a mapping with a 'config:' mapping"),
    ("platform-a-string", lambda t: _write(t, "config:\n  gpu-enclave:platform: prod\n"), "must be a mapping"),
    ("latin-1", lambda t: _write_bytes(t, "config:\n  x: caf\xe9\n".encode("latin-1")), "not UTF-8"),
    ("tab-indent", lambda t: _write(t, "config:\n\tgpu-enclave:platform: {}\n"), "not valid YAML"),
]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _write_bytes(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("name", "make", "expected"), STACK_FILES, ids=[s[0] for s in STACK_FILES])
def test_every_command_refuses_a_broken_stack_file(
    name: str, make: Callable[[Path], Path], expected: str, command: str, tmp_path: Path
) -> None:
    source = tmp_path / "in"
    source.mkdir()
    assert_refused(run(command, make(source), tmp_path), tmp_path, expected)


def test_the_corpus_is_large() -> None:
    assert len(CASES) + len(PROJECTS) + len(STACK_FILES) >= 40


# ----- hypothesis: structural mutations of the shipped stacks --------------------------------------------------
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**13),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(data: dict[str, Any], path: tuple[Any, ...], how: str, value: Any) -> None:
    parent: Any = data
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "delete":
        del parent[last]
    elif how == "replace":
        parent[last] = value
    elif how == "wrap":
        parent[last] = [parent[last]]
    else:  # duplicate an element of a list, or the value under another key
        if isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
        else:
            parent[f"{last}_"] = copy.deepcopy(parent[last])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_stacks_are_valid_or_refused_cleanly(tmp_path: Path, data: st.DataObject) -> None:
    stack = data.draw(st.sampled_from(["dev", "staging", "prod"]), label="stack")
    config = stack_data(stack)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = _paths(config)
        path = data.draw(st.sampled_from(paths), label="path")
        how = data.draw(st.sampled_from(["delete", "replace", "wrap", "duplicate"]), label="how")
        _mutate(config, path, how, data.draw(VALUES, label="value"))
    file = tmp_path / f"Pulumi.{stack}.yaml"
    file.write_text(yaml.safe_dump({"config": {"gpu-enclave:platform": config}}), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "--stack", stack, "--config-file", str(file)])
    assert "Traceback" not in result.output and (result.exception is None or isinstance(result.exception, SystemExit))
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert str(file) in result.output and "gpu-enclave:platform" in result.output, result.output
    else:  # valid: the program must build it without a traceback
        synth = CliRunner().invoke(
            app, ["synth", "--stack", stack, "--config-file", str(file), "-o", str(tmp_path / "o")]
        )
        assert synth.exit_code == 0, synth.output
