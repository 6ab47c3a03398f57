"""`enclave render`: where it writes, what it refuses to overwrite, and how the YAML reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from enclave.cli import app
from enclave.render import MARKER, RenderError, collect, write
from enclave.synth import SynthResult

Synth = Callable[..., SynthResult]


def test_refuses_a_directory_it_did_not_write(synthed: Synth, tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: mine\n")
    (tmp_path / "values.yaml").write_text("keep: me\n")
    with pytest.raises(RenderError, match="not empty and was not written by `enclave render`"):
        write(collect(synthed("dev")), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Pulumi.yaml", "values.yaml"], "nothing touched"


def test_refuses_a_file(synthed: Synth, tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("a file\n")
    with pytest.raises(RenderError, match="not a folder"):
        write(collect(synthed("dev")), target)


def test_rerender_replaces_its_own_files_and_drops_stale_ones(synthed: Synth, tmp_path: Path) -> None:
    out = tmp_path / "render"
    first = write(collect(synthed("prod")), out)
    stale = out / "old-namespace.yaml"
    stale.write_text("kind: Namespace\n")
    (out / MARKER).write_text((out / MARKER).read_text() + "old-namespace.yaml\n../outside.yaml\n")
    outside = tmp_path / "outside.yaml"
    outside.write_text("keep: me\n")
    second = write(collect(synthed("dev")), out)
    names = {p.name for p in out.glob("*.yaml")}
    assert not stale.exists(), "a file listed by the previous render is removed"
    assert outside.exists(), "the marker can never point outside the output directory"
    assert names == {p.name for p in second if p.parent == out}
    assert {p.name for p in first} != {p.name for p in second}


def test_objects_read_like_handwritten_manifests(synthed: Synth, tmp_path: Path) -> None:
    paths = write(collect(synthed("prod")), tmp_path / "r")
    checked = 0
    for path in paths:
        if path.parent.name == "helm":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            assert list(doc)[:3] == ["apiVersion", "kind", "metadata"], f"{path.name}: {doc['kind']}"
            checked += 1
    assert checked > 50


def test_cli_render_refusal_exits_2_and_names_the_directory(tmp_path: Path) -> None:
    (tmp_path / "keep.yaml").write_text("keep: me\n")
    res = CliRunner().invoke(app, ["render", "--stack", "dev", "--out", str(tmp_path)])
    assert res.exit_code == 2  # bad input: exit 1 means findings
    assert str(tmp_path) in res.output and "choose a new or empty directory" in res.output
    assert (tmp_path / "keep.yaml").read_text() == "keep: me\n"
