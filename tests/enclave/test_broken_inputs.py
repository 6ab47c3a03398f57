"""Every command on every broken input: exit 2, a message naming the file and the config path, no traceback,
nothing written. The inputs: the stack-config corpus (tests/components/config/bad_configs.py) and broken
projects, stack files and options below; then hypothesis mutates the shipped stacks structurally."""

from __future__ import annotations

import copy
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from enclave.cli import app
from enclave.synth import PROJECT_ROOT
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


def _project_file(tmp_path: Path) -> Path:
    """--project-dir naming the project file instead of its folder: refused, not silently its folder."""
    return _project("name: p\nruntime: python\n")(tmp_path) / "Pulumi.yaml"


PROJECTS = [
    ("project-dir-a-file", _project_file, "is a file; give the folder that holds Pulumi.yaml"),
    ("project-nested-deep", _project("name: " + "[" * 30_000 + "]" * 30_000 + "\n"), "nested deeper than 64 levels"),
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


# ----- output paths: exit 2 with the path and the reason, nothing written (exit 1 means findings) --------------
# (command line, the output option's value at the end); every command that writes a file or a folder
FILE_OUTPUTS = [
    ("synth", ["synth", "--stack", "dev", "--out"]),
    ("preview", ["preview", "--stack", "dev", "--format", "json", "--out"]),
    ("summary", ["summary", str(PROJECT_ROOT / "tests" / "enclave" / "schemas"), "--out"]),
    ("schema", ["schema", "--out"]),
    ("audit-policy", ["audit-policy", "--out"]),
    ("reach", ["reach", "--stack", "dev", "--analyze", "--csv"]),
    ("audit", ["audit", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9", "--out"]),
]
FOLDER_OUTPUTS = [
    ("preview", ["preview", "--stack", "dev", "--out-dir"]),
    ("render", ["render", "--stack", "dev", "--out"]),
    ("report", ["report", "--stack", "dev", "--out"]),
]


def _file_targets(tmp_path: Path) -> list[tuple[str, Path, str]]:
    """(case, target, the reason the message must give) for an output that is a file."""
    blocker = tmp_path / "a-file"
    blocker.write_text("keep\n", encoding="utf-8")
    return [
        ("a-folder", tmp_path, "is a folder; give a file path"),
        ("under-a-file", blocker / "out.json", "is a file, not a folder"),
        ("refusing-file-system", Path("/sys/enclave-out/out.json"), "cannot write in /sys"),
    ]


def _folder_targets(tmp_path: Path) -> list[tuple[str, Path, str]]:
    blocker = tmp_path / "a-file"
    blocker.write_text("keep\n", encoding="utf-8")
    return [
        ("a-file", blocker, "not a folder"),
        ("a-device", Path("/dev/full"), "not a folder"),
        ("under-a-file", blocker / "out", "is a file, not a folder"),
        ("refusing-file-system", Path("/sys/enclave-out"), "cannot write in /sys"),
    ]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _assert_output_refused(result: Any, target: Path, reason: str) -> None:
    assert result.exit_code == 2, f"exit {result.exit_code}:\n{result.output}"
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert str(target) in result.output and reason in result.output, result.output


@pytest.mark.parametrize(("command", "args"), FILE_OUTPUTS, ids=[c for c, _ in FILE_OUTPUTS])
def test_every_file_output_refuses_a_bad_target_before_any_work(command: str, args: list[str], tmp_path: Path) -> None:
    for case, target, reason in _file_targets(tmp_path):
        before = _snapshot(tmp_path)
        result = CliRunner().invoke(app, [*args, str(target)])
        _assert_output_refused(result, target, reason)
        assert _snapshot(tmp_path) == before, f"{case}: something was written"
        assert not Path("/sys/enclave-out").exists()


@pytest.mark.parametrize(("command", "args"), FOLDER_OUTPUTS, ids=[c for c, _ in FOLDER_OUTPUTS])
def test_every_folder_output_refuses_a_bad_target_before_any_work(
    command: str, args: list[str], tmp_path: Path
) -> None:
    for case, target, reason in _folder_targets(tmp_path):
        before = _snapshot(tmp_path)
        result = CliRunner().invoke(app, [*args, str(target)])
        _assert_output_refused(result, target, reason)
        assert _snapshot(tmp_path) == before, f"{case}: something was written"


@pytest.mark.parametrize(
    "args",
    [
        ["synth", "--stack", "dev", "--out", "/dev/full"],
        ["preview", "--stack", "dev", "--format", "sarif", "--out", "/dev/full"],
        ["schema", "--out", "/dev/full"],
    ],
    ids=["synth", "preview", "schema"],
)
def test_a_full_device_is_exit_2_with_the_reason(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    _assert_output_refused(result, Path("/dev/full"), "No space left on device")


def test_a_failed_write_leaves_neither_a_partial_file_nor_a_temporary_one(tmp_path: Path) -> None:
    """The writer fails half-way (the disk fills): the old file is intact and no temporary file is left."""
    from enclave import outputs

    target = tmp_path / "report.json"
    target.write_text("old\n", encoding="utf-8")
    real = outputs.os.fdopen

    def full(fd: int, *a: Any, **k: Any) -> Any:
        handle = real(fd, *a, **k)
        handle.write = lambda _text: (_ for _ in ()).throw(OSError(28, "No space left on device"))  # type: ignore
        return handle

    outputs.os.fdopen = full  # type: ignore[assignment]
    try:
        with pytest.raises(outputs.OutputError, match=r"--out .*report.json: cannot write \(No space left on device\)"):
            outputs.write_files({target: "new\n", tmp_path / "other.json": "x\n"}, "--out")
    finally:
        outputs.os.fdopen = real  # type: ignore[assignment]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"] and target.read_text() == "old\n"


def test_an_output_to_dev_null_and_stdout_still_works(tmp_path: Path) -> None:
    assert CliRunner().invoke(app, ["schema", "--out", "/dev/null"]).exit_code == 0
    assert CliRunner().invoke(app, ["synth", "--stack", "dev", "--out", "/dev/null"]).exit_code == 0


# ----- Ctrl-C: every command ends within a second, exit 130, the pack stopped, nothing written ----------------
def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize(
    ("args", "delay"),
    [
        (["preview", "--stack", "prod", "--out-dir", "{out}"], 0.6),  # loading the engine's modules
        (["preview", "--stack", "prod", "--out-dir", "{out}"], 2.5),  # synthesizing, the pack starting
        (["preview", "--stack", "prod", "--out-dir", "{out}"], 4.0),  # the pack analyzing
        (["report", "--stack", "prod", "--out", "{out}"], 3.0),
        (["synth", "--stack", "prod", "--out", "{out}/prod.json"], 1.5),
        (["render", "--stack", "prod", "--out", "{out}"], 1.5),
    ],
    ids=["preview-loading", "preview-synth", "preview-analyze", "report", "synth", "render"],
)
def test_an_interrupt_ends_the_command_at_once(args: list[str], delay: float, tmp_path: Path) -> None:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "enclave", *(a.replace("{out}", str(out)) for a in args)]
    proc = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(delay)
    children = _children(proc.pid)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    took = time.monotonic() - sent
    text = stderr.decode()
    assert proc.returncode == 130, text
    assert took < 1.0, f"took {took:.2f} s"
    assert "Traceback" not in text and text.strip().splitlines()[-1].startswith("interrupted: nothing written")
    assert not [c for c in children if _alive(c)], "the policy pack process is still running"
    assert not out.exists() or not any(out.rglob("*")), f"written: {sorted(out.rglob('*'))}"


# ----- --reference: every command that says "pass --reference" has it ---------------------------------------
def test_every_command_that_asks_for_reference_has_the_option(tmp_path: Path) -> None:
    team = tmp_path / "team-zone"
    shutil.copytree(PROJECT_ROOT / "examples" / "team-zone", team, ignore=shutil.ignore_patterns(".venv"))
    reference = f"acme/gpu-enclave/prod={PROJECT_ROOT}"
    commands = [
        ["synth", "--stack", "vision", "--out", str(tmp_path / "s.json")],
        ["render", "--stack", "vision", "--out", str(tmp_path / "r")],
        ["validate", "--stack", "vision"],
        ["diff", "vision", "vision"],
        ["preview", "--stack", "vision", "--pack-config", str(team / "policy-pack-config.json")],
    ]
    for args in commands:
        result = CliRunner().invoke(app, [*args, "--project-dir", str(team)])
        assert result.exit_code == 2 and "--reference acme/gpu-enclave/prod=" in result.output, (args, result.output)
        help_text = CliRunner().invoke(app, [args[0], "--help"]).output
        assert "--reference" in help_text, f"{args[0]} asks for --reference but has no such option"
        given = CliRunner().invoke(app, [*args, "--project-dir", str(team), "--reference", reference])
        assert given.exit_code == 0, (args, given.output)


# ----- the corpus through `enclave audit --stack` too: a bad stack file is exit 2 before any AWS call ----------
AUDITED = [c for c in CASES if c.id != "missing-platform-key"]  # a program of its own has no platform key


@pytest.mark.parametrize("case", AUDITED, ids=[c.id for c in AUDITED])
def test_audit_refuses_every_broken_stack_file_before_any_call(case: Case, tmp_path: Path) -> None:
    path = make_file(case, tmp_path)
    args = ["audit", "--stack", "prod", "--config-file", str(path), "--endpoint-url", "http://127.0.0.1:9"]
    result = CliRunner().invoke(app, [*args, "--region", "us-east-1", "--out", str(tmp_path / "out.json")])
    assert_refused(result, tmp_path, str(path), case.message)
    assert "cannot reach AWS" not in result.output, "refused before any AWS call"


def test_a_repeated_entry_is_refused_at_its_own_line(tmp_path: Path) -> None:
    """The duplicate's file and line: the second `10.100.0.0/24` under private_access_cidrs."""
    data = stack_data("prod")
    data["cluster"]["endpoint"]["private_access_cidrs"] = ["10.100.0.0/24", "10.101.0.0/24", "10.100.0.0/24"]
    path = write_stack(tmp_path / "Pulumi.prod.yaml", data)
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines, 1) if "private_access_cidrs:" in line)
    line = next(i for i, text in enumerate(lines, 1) if i > start + 1 and text.strip() == "- 10.100.0.0/24")
    result = CliRunner().invoke(app, ["validate", "--stack", "prod", "--config-file", str(path)])
    assert result.exit_code == 2
    assert f"{path}:{line}: gpu-enclave:platform.cluster.endpoint.private_access_cidrs[2] = '10.100.0.0/24'" in (
        result.output
    ), result.output
