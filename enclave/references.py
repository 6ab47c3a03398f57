"""StackReferences in the offline engine: a program that reads another stack (a team's zone reading the
platform stack's cluster, issuer and keys) gets that stack's outputs, produced by synthesizing it.

A reference `org/project/stack` is answered from, in order: `--reference NAME=PATH` (PATH a project folder,
whose stack `stack` is synthesized, or a JSON file: the `outputs` of `enclave synth` or a plain object, as
`pulumi stack output --json` writes), else the nearest project named `project` in or above the referencing
project's parent folder. Nothing else is guessed: an unknown reference is an error that says what to pass."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .jsonfile import JsonFileError, read_json
from .project import ProjectError, find_project


class UnknownReference(ProjectError):
    """A StackReference the offline engine cannot answer."""


def parse_reference_options(values: list[str]) -> dict[str, Path]:
    """`NAME=PATH` options -> {NAME: PATH}; a malformed one is a ProjectError naming it."""
    out: dict[str, Path] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise ProjectError(f"--reference {value!r}: expected NAME=PATH, e.g. acme/gpu-enclave/prod=../platform")
        out[name.strip()] = Path(path.strip())
    return out


def _project_named(name: str, start: Path) -> Path | None:
    for folder in [start, *start.parents]:
        if not any((folder / f).is_file() for f in ("Pulumi.yaml", "Pulumi.yml")):
            continue
        try:
            project = find_project(folder)
        except ProjectError:
            continue
        if project.name == name:
            return project.root
    return None


def _outputs_file(path: Path, name: str) -> dict[str, Any]:
    try:
        data = read_json(path)
    except JsonFileError as exc:
        raise UnknownReference(f"StackReference {name!r}: cannot read outputs from {path}: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("outputs"), dict) and "resources" in data:
        data = data["outputs"]  # the JSON of `enclave synth`
    if not isinstance(data, dict):
        raise UnknownReference(f"StackReference {name!r}: {path} holds no JSON object of outputs")
    return data


def resolve_reference(name: str, referrer_root: Path, explicit: Mapping[str, Path]) -> dict[str, Any]:
    """The outputs of the stack StackReference `name` reads, for a program of the project at `referrer_root`."""
    parts = name.split("/")
    path = explicit.get(name)
    if path is None and len(parts) >= 2:
        path = _project_named(parts[-2], referrer_root.parent)
    if path is None:
        raise UnknownReference(
            f"StackReference {name!r}: the offline engine reads no deployed stacks; pass "
            f"--reference {name}=<the project folder, or a JSON file of its outputs>"
        )
    if path.suffix == ".json":
        return _outputs_file(path, name)
    if not path.is_dir():
        raise UnknownReference(f"StackReference {name!r}: {path} is neither a project folder nor a .json file")
    from .synth import synth  # the referenced stack, as deployed: update mode

    try:
        return synth(parts[-1], project_dir=path).outputs
    except ProjectError as exc:
        raise UnknownReference(f"StackReference {name!r} from {path}: {exc}") from None
