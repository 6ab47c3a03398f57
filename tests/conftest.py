"""Shared fixtures: stack configs and a per-session cache of offline synth results. Also puts the policy
pack's directory first on sys.path, as the engine does when it runs the pack, so tests import its modules
(`catalog`, `framework`, `rules`) as the pack itself does."""

from __future__ import annotations

import copy
import datetime
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.config import CONFIG_KEY, read_stack_file
from enclave.synth import PROJECT_ROOT, SynthResult, synth

PACK_DIR = PROJECT_ROOT / "policy_packs" / "hipaa"
if str(PACK_DIR) not in sys.path:
    sys.path.insert(0, str(PACK_DIR))

STACKS = ("dev", "staging", "prod")
# An exemption's expiry the pack accepts (at most maxWaiverDays, default 365, ahead of today).
EXPIRES = (datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=180)).isoformat()
_SYNTHS: dict[tuple[str, bool], SynthResult] = {}


def stack_data(stack: str) -> dict[str, Any]:
    """A deep copy of a stack's `gpu-enclave:platform` object."""
    data = read_stack_file(PROJECT_ROOT / "stacks" / f"Pulumi.{stack}.yaml").config[CONFIG_KEY]
    return copy.deepcopy(data)


@pytest.fixture(scope="session")
def synthed() -> Callable[[str, bool], SynthResult]:
    def get(stack: str, preview: bool = False) -> SynthResult:
        key = (stack, preview)
        if key not in _SYNTHS:
            _SYNTHS[key] = synth(stack, preview=preview)
        return _SYNTHS[key]

    return get


@pytest.fixture
def prod_data() -> dict[str, Any]:
    return stack_data("prod")


def write_stack(path: Path, data: Any, extra: dict[str, Any] | None = None) -> Path:
    import yaml

    doc = {"config": {CONFIG_KEY: data, **(extra or {})}}
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
