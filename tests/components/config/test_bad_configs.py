"""Every broken config: a message naming path, value and fix; exit status 2; zero resources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from components.config import ConfigError
from enclave.cli import app
from enclave.synth import synth
from tests.conftest import stack_data, write_stack

from .bad_configs import CASES, Case

IDS = [c.id for c in CASES]


def make_file(case: Case, tmp_path: Path) -> Path:
    path = tmp_path / "Pulumi.prod.yaml"
    if case.raw is not None:
        raw = case.raw.encode() if isinstance(case.raw, str) else case.raw
        path.write_bytes(raw)
        return path
    data = stack_data("prod")
    if case.edit is not None:
        replaced = case.edit(data)
        if replaced is not None:
            data = replaced
    return write_stack(path, data, case.extra)


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len(set(IDS)) == len(IDS), "case ids must be unique"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_synth_refuses_with_named_problem_and_registers_nothing(case: Case, tmp_path: Path) -> None:
    path = make_file(case, tmp_path)
    with pytest.raises(ConfigError) as info:
        synth("prod", preview=True, config_file=path)
    err = info.value
    assert err.registered == [], f"{case.id}: resources registered before the config error: {err.registered}"
    rendered = err.render()
    paths = [p.render().split("\n")[0] for p in err.problems]
    if case.path:
        assert any(re.search(re.escape(case.path) + r"(\s|$| =)", p) for p in paths), (
            f"{case.id}: no problem at {case.path}; got:\n{rendered}"
        )
    assert case.message in rendered, f"{case.id}: expected {case.message!r} in:\n{rendered}"
    assert str(path.name) in rendered, f"{case.id}: the message must name the stack file:\n{rendered}"
    assert "\x1b" not in rendered, f"{case.id}: raw escape sequences must never reach the terminal"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cli_exit_status_two(case: Case, tmp_path: Path) -> None:
    path = make_file(case, tmp_path)
    out = tmp_path / "out.json"
    result = CliRunner().invoke(app, ["synth", "--stack", "prod", "--config-file", str(path), "--out", str(out)])
    assert result.exit_code == 2, f"{case.id}: exit {result.exit_code}\n{result.output}"
    assert "invalid stack config" in result.output
    assert "Traceback" not in result.output
    assert not out.exists(), f"{case.id}: nothing may be written for a bad config"


def test_problem_carries_line_number(tmp_path: Path) -> None:
    data = stack_data("prod")
    data["zones"][1]["class"] = "research"
    path = write_stack(tmp_path / "Pulumi.prod.yaml", data)
    line_no = next(i for i, line in enumerate(path.read_text().splitlines(), 1) if line.strip() == "class: research")
    with pytest.raises(ConfigError) as info:
        synth("prod", config_file=path)
    assert f"Pulumi.prod.yaml:{line_no}: gpu-enclave:platform.zones[1].class = 'research'" in info.value.render()


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    data = stack_data("prod")
    data["node_pools"][0]["zone"] = "nowhere"
    data["identities"][0]["grants"][0]["bucket"] = "nothing"
    data["flows"][0]["from"] = "nobody"
    path = write_stack(tmp_path / "Pulumi.prod.yaml", data)
    with pytest.raises(ConfigError) as info:
        synth("prod", config_file=path)
    assert len(info.value.problems) == 3, info.value.render()


def test_long_values_are_cut_in_messages(tmp_path: Path) -> None:
    data = stack_data("prod")
    data["zones"][1]["name"] = "x" * 5000
    path = write_stack(tmp_path / "Pulumi.prod.yaml", data)
    with pytest.raises(ConfigError) as info:
        synth("prod", config_file=path)
    assert all(len(line) < 300 for line in info.value.render().splitlines())
