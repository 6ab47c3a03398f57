"""Random configs and random stack files never produce a traceback: valid, or ConfigError."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.config import ConfigError, PlatformConfig, read_stack_file, validate_platform
from tests.conftest import stack_data

BASE = stack_data("prod")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.sampled_from(["training", "p5.48xlarge", "10.0.0.0/8", "0.0.0.0/0", "read", "write", "create"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


PATHS = _paths(BASE)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.sampled_from(PATHS), values, st.booleans()), min_size=1, max_size=4))
def test_random_edits_validate_or_fail_cleanly(edits: list[tuple[tuple[Any, ...], Any, bool]]) -> None:
    data = copy.deepcopy(BASE)
    for path, value, delete in edits:
        cur: Any = data
        try:
            for p in path[:-1]:
                cur = cur[p]
            if delete and isinstance(cur, dict):
                cur.pop(path[-1], None)
            else:
                cur[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    try:
        cfg = validate_platform(data)
    except ConfigError as exc:
        assert exc.problems, "a ConfigError always names at least one problem"
        for p in exc.problems:
            assert p.message and p.render()
    else:
        assert isinstance(cfg, PlatformConfig)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_random_stack_files_read_or_fail_cleanly(text: str, tmp_path_factory: Any) -> None:
    path = Path(tmp_path_factory.mktemp("fuzz")) / "Pulumi.fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        read_stack_file(path)
    except ConfigError as exc:
        assert exc.problems
