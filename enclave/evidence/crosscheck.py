"""The network-config-analyzer cross-check of the picture: the analysis `enclave reach --analyze` runs."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from components.config import PlatformConfig

from ..reach import analyze, default_nca

NOT_INSTALLED = "not run: network-config-analyzer not installed (make tools)"


def cross_check(cfg: PlatformConfig | None, objects: list[dict[str, Any]], nca: Path | None = None) -> str:
    """`agrees with the declared flows`, `differs: ...` (undeclared `+`, missing `-`) or `not run: ...`."""
    if cfg is None:
        return "not run: the stack has no gpu-enclave:platform config (no declared flows to compare)"
    exe = nca or default_nca()
    if not exe.exists():
        return NOT_INSTALLED
    with tempfile.TemporaryDirectory(prefix="enclave-report-") as tmp:
        try:
            analysis = analyze(cfg, objects, exe, Path(tmp))
        except RuntimeError as exc:
            return f"not run: network-config-analyzer failed ({str(exc).splitlines()[0]})"
    if analysis.matches:
        return "agrees with the declared flows"
    return "differs: " + "; ".join(line for line in analysis.lines() if not line.startswith("="))
