"""The pack's control catalog and its config, read from the pack directory as `enclave preview` finds it.

The catalog module is loaded by file path (never copied); which policies serve a control is read from the rule
files' decorators (`@resource_rule("policy-name", "CONTROL-ID", ...)`) without importing the pack, so a
control's level in the pack config (keyed by policy name) can be found."""

from __future__ import annotations

import ast
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

LEVEL_ORDER = {"disabled": 0, "advisory": 1, "remediate": 2, "mandatory": 3}


class CatalogError(Exception):
    """The pack's catalog or config cannot be used (exit 2)."""


def load_catalog_module(pack_dir: Path) -> ModuleType:
    path = pack_dir / "catalog.py"
    if not path.is_file():
        raise CatalogError(f"--pack {pack_dir}: no catalog.py there (not the HIPAA pack?)")
    return _load(path, "enclave_audit_pack_catalog")


def load_evaluator(pack_dir: Path) -> ModuleType | None:
    """The pack's policy evaluator (framework/evaluator.py, standard library only), by file path: S3-07 asks it
    what a live bucket policy decides for the same probe uploads the pack's rule sends; None when absent."""
    path = pack_dir / "framework" / "evaluator.py"
    return _load(path, "enclave_audit_pack_evaluator") if path.is_file() else None


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CatalogError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def policy_controls(pack_dir: Path) -> dict[str, str]:
    """policy name -> control id, from the rule decorators under <pack>/rules."""
    out: dict[str, str] = {}
    for path in sorted((pack_dir / "rules").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            first, second = node.args[0], node.args[1]
            if (
                isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and isinstance(second, ast.Constant)
                and isinstance(second.value, str)
                and "-" in second.value
                and second.value.split("-")[0].isupper()
            ):
                out[first.value] = second.value
    return out


@dataclass
class Catalog:
    """Control metadata plus the levels and thresholds the pack config sets."""

    controls: dict[str, Any]
    policies: dict[str, str]  # policy -> control
    config: dict[str, Any] = field(default_factory=dict)
    config_source: str | None = None
    evaluator: ModuleType | None = None  # the pack's policy evaluator (S3-07)

    def control(self, cid: str) -> Any:
        if cid not in self.controls:
            raise KeyError(f"audit check reports under {cid}, which the pack's catalog does not define")
        return self.controls[cid]

    def level(self, cid: str) -> str:
        """The strictest level the config gives any policy of the control; `mandatory` when none sets one."""
        levels: list[str] = []
        default = self.config.get("all") if isinstance(self.config.get("all"), str) else None
        for policy, control in self.policies.items():
            if control != cid:
                continue
            entry = self.config.get(policy)
            if isinstance(entry, str):
                levels.append(entry)
            elif isinstance(entry, dict) and isinstance(entry.get("enforcementLevel"), str):
                levels.append(entry["enforcementLevel"])
            elif default:
                levels.append(default)
        known = [lv for lv in levels if lv in LEVEL_ORDER]
        return max(known, key=LEVEL_ORDER.__getitem__) if known else "mandatory"

    def setting(self, policy: str, key: str, default: int) -> int:
        entry = self.config.get(policy)
        value = entry.get(key) if isinstance(entry, dict) else None
        return int(value) if isinstance(value, int) and not isinstance(value, bool) else default


def load_catalog(pack_dir: Path, config: dict[str, Any] | None = None, source: str | None = None) -> Catalog:
    module = load_catalog_module(pack_dir)
    controls = getattr(module, "CONTROLS", None)
    if not isinstance(controls, dict):
        raise CatalogError(f"{pack_dir / 'catalog.py'}: no CONTROLS mapping")
    return Catalog(dict(controls), policy_controls(pack_dir), dict(config or {}), source, load_evaluator(pack_dir))
