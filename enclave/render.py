"""Render the Kubernetes objects of a synthesized stack as kubectl-appliable YAML: one file per
namespace plus cluster.yaml, and Helm releases as chart + values files for `helm template`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .outputs import OutputError, check_folder, write_files
from .synth import SynthResult, is_unknown

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
# Apply order inside a file: namespaces first, then policy and identity, then the rest.
KIND_ORDER = [
    "Namespace",
    "ServiceAccount",
    "ResourceQuota",
    "LimitRange",
    "Role",
    "RoleBinding",
    "ClusterRoleBinding",
    "NetworkPolicy",
    "PeerAuthentication",
    "AuthorizationPolicy",
    "Sidecar",
    "ServiceEntry",
]


class RenderError(Exception):
    """A Kubernetes object could not be rendered (e.g. it still holds unknown values)."""


@dataclass
class Rendered:
    by_namespace: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    cluster: list[dict[str, Any]] = field(default_factory=list)
    helm: list[dict[str, Any]] = field(default_factory=list)

    def all_objects(self) -> list[dict[str, Any]]:
        return [o for objs in self.by_namespace.values() for o in objs] + self.cluster


def _find_unknown(value: Any, path: str = "") -> str | None:
    if is_unknown(value):
        return path or "."
    if isinstance(value, dict):
        for k, v in value.items():
            hit = _find_unknown(v, f"{path}.{k}")
            if hit:
                return hit
    if isinstance(value, list):
        for i, v in enumerate(value):
            hit = _find_unknown(v, f"{path}[{i}]")
            if hit:
                return hit
    return None


def _sort_key(obj: dict[str, Any]) -> tuple[int, str]:
    kind = obj["kind"]
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER), obj["metadata"]["name"])


def collect(result: SynthResult) -> Rendered:
    """Split the stack's Kubernetes resources by namespace; refuse unknown values."""
    out = Rendered()
    for res in result.resources:
        typ = res["type"]
        if not typ.startswith("kubernetes:") or not res["custom"]:
            continue
        inputs = res["inputs"]
        if typ == HELM_RELEASE:
            out.helm.append(inputs)
            continue
        unknown = _find_unknown(inputs)
        if unknown:
            raise RenderError(f"{res['urn']}: {unknown} is unknown; render from an update-mode synth (no --preview)")
        obj = {k: v for k, v in inputs.items() if k not in {"status"}}
        ns = obj.get("metadata", {}).get("namespace")
        if obj["kind"] == "Namespace":
            out.by_namespace.setdefault(obj["metadata"]["name"], []).append(obj)
        elif ns:
            out.by_namespace.setdefault(ns, []).append(obj)
        else:
            out.cluster.append(obj)
    for objs in out.by_namespace.values():
        objs.sort(key=_sort_key)
    out.cluster.sort(key=_sort_key)
    return out


def _safe(name: str) -> str:
    return re.sub(r"[^a-z0-9.-]+", "-", name.lower())


MARKER = ".enclave-render"
HEAD_KEYS = ("apiVersion", "kind", "metadata")


def _canonical(obj: dict[str, Any]) -> dict[str, Any]:
    """apiVersion, kind, metadata first (as people write manifests), then the rest in their order."""
    return {**{k: obj[k] for k in HEAD_KEYS if k in obj}, **{k: v for k, v in obj.items() if k not in HEAD_KEYS}}


class RenderOutputError(RenderError, OutputError):
    """--out cannot be rendered into (exit status 2: bad input, nothing written)."""


def check_out_dir(out_dir: Path) -> list[Path]:
    """Check `out_dir`: new, empty, or written by an earlier render (whose files are returned, to be replaced).
    Refuses any other directory, so `--out .` can never delete a project's own YAML."""
    if out_dir.exists() and not out_dir.is_dir():
        raise RenderOutputError(f"--out {out_dir}: exists and is not a folder; give a folder")
    check_folder(out_dir, "--out")
    marker = out_dir / MARKER
    if out_dir.exists() and any(out_dir.iterdir()) and not marker.exists():
        raise RenderOutputError(
            f"--out {out_dir}: directory is not empty and was not written by `enclave render`; "
            "choose a new or empty directory (nothing was written)"
        )
    old: list[Path] = []
    if marker.exists():
        for line in marker.read_text(encoding="utf-8").splitlines():
            path = (out_dir / line).resolve()
            if line and path.is_relative_to(out_dir.resolve()) and path.is_file():
                old.append(path)
    return old


def write(rendered: Rendered, out_dir: Path) -> list[Path]:
    """Write the YAML files into a new, empty or previously rendered directory; returns the paths written. Every
    file is written whole or none is (enclave.outputs); the previous render's other files go only afterwards."""
    old = check_out_dir(out_dir)
    files: dict[Path, str] = {}
    for ns, objs in sorted(rendered.by_namespace.items()):
        files[out_dir / f"{_safe(ns)}.yaml"] = yaml.safe_dump_all([_canonical(o) for o in objs], sort_keys=False)
    if rendered.cluster:
        files[out_dir / "cluster.yaml"] = yaml.safe_dump_all([_canonical(o) for o in rendered.cluster], sort_keys=False)
    for rel in rendered.helm:
        repo = (rel.get("repositoryOpts") or {}).get("repo", "")
        header = (
            f"# helm template {rel.get('name')} {rel.get('chart')} --repo {repo} --version {rel.get('version')}"
            f" --namespace {rel.get('namespace')} -f <this file>\n"
        )
        values = rel.get("values") or {}
        if isinstance(values, str):
            values = json.loads(values)
        path = out_dir / "helm" / f"{_safe(str(rel.get('name')))}.values.yaml"
        files[path] = header + yaml.safe_dump(values, sort_keys=False)
    paths = list(files)
    files[out_dir / MARKER] = "".join(f"{p.relative_to(out_dir)}\n" for p in paths)
    write_files(files, "--out")
    kept = {p.resolve() for p in files}
    for path in old:
        if path not in kept:
            path.unlink(missing_ok=True)
    return paths
