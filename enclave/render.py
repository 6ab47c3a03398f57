"""Render the Kubernetes objects of a synthesized stack as kubectl-appliable YAML: one file per
namespace plus cluster.yaml, and Helm releases as chart + values files for `helm template`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

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


def _prepare(out_dir: Path) -> None:
    """Make `out_dir` ready: new, empty, or written by an earlier render (whose files are replaced).
    Refuses any other directory, so `--out .` can never delete a project's own YAML."""
    if out_dir.exists() and not out_dir.is_dir():
        raise RenderError(f"--out {out_dir}: exists and is not a directory")
    marker = out_dir / MARKER
    if out_dir.exists() and any(out_dir.iterdir()) and not marker.exists():
        raise RenderError(
            f"--out {out_dir}: directory is not empty and was not written by `enclave render`; "
            "choose a new or empty directory (nothing was written)"
        )
    if marker.exists():
        for line in marker.read_text(encoding="utf-8").splitlines():
            old = (out_dir / line).resolve()
            if line and old.is_relative_to(out_dir.resolve()) and old.is_file():
                old.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def write(rendered: Rendered, out_dir: Path) -> list[Path]:
    """Write the YAML files into a new, empty or previously rendered directory; returns the paths written."""
    _prepare(out_dir)
    paths: list[Path] = []
    for ns, objs in sorted(rendered.by_namespace.items()):
        path = out_dir / f"{_safe(ns)}.yaml"
        path.write_text(yaml.safe_dump_all([_canonical(o) for o in objs], sort_keys=False), encoding="utf-8")
        paths.append(path)
    if rendered.cluster:
        path = out_dir / "cluster.yaml"
        text = yaml.safe_dump_all([_canonical(o) for o in rendered.cluster], sort_keys=False)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    if rendered.helm:
        (out_dir / "helm").mkdir(exist_ok=True)
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
            path.write_text(header + yaml.safe_dump(values, sort_keys=False), encoding="utf-8")
            paths.append(path)
    (out_dir / MARKER).write_text("".join(f"{p.relative_to(out_dir)}\n" for p in paths), encoding="utf-8")
    return paths
