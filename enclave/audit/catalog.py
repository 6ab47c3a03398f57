"""The pack's control catalog and its config, read from the pack directory as `enclave preview` finds it.

The catalog module is loaded by file path (never copied); which policies serve a control is read from the rule
files' decorators (`@resource_rule("policy-name", "CONTROL-ID", ...)`) without importing the pack, so a
control's level in the pack config (keyed by policy name) can be found."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from ..pack_catalog import PackCatalogError, load_pack_module
from ..pack_catalog import load_catalog as load_pack_catalog

LEVEL_ORDER = {"disabled": 0, "advisory": 1, "remediate": 2, "mandatory": 3}


def load_evaluator(pack_dir: Path) -> ModuleType | None:
    """The pack's policy evaluator (framework/evaluator.py): S3-07 asks it what a live bucket policy decides for
    the probe uploads of framework/upload_probes.py, the same the pack's rule sends; None when absent."""
    return load_pack_module(pack_dir, "framework/evaluator.py")


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
    probes: Any = None  # the pack's probe uploads for S3-07 (framework/upload_probes.py)
    data_prefixes: tuple[str, ...] = ()  # the pack's data-action prefixes for IAM-02 (framework/data_actions.py)
    pack_dir: Path | None = None  # where the pack's rules are, for the checks that run them (detect_rules.py)
    image_pulls: Any = None  # who may pull a repository's images, for IAM-08 (framework/image_pulls.py)

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
    """The catalog, levels and thresholds, and the pack modules the live checks share with the pack's rules."""
    module = load_pack_catalog(pack_dir)
    files = ("framework/upload_probes.py", "framework/data_actions.py", "framework/image_pulls.py")
    shared = {f: load_pack_module(pack_dir, f) for f in files}
    missing = [f for f, m in shared.items() if m is None]
    if missing:
        raise PackCatalogError(
            f"--pack {pack_dir}: no {', '.join(missing)} there; audit with the pack of this version of gpu-enclave"
        )
    data_actions: Any = shared["framework/data_actions.py"]
    return Catalog(
        dict(module.CONTROLS), policy_controls(pack_dir), dict(config or {}), source, load_evaluator(pack_dir),
        shared["framework/upload_probes.py"], tuple(data_actions.DATA_PREFIXES), pack_dir,
        shared["framework/image_pulls.py"],
    )  # fmt: skip
