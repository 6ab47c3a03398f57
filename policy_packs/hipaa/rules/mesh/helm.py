"""Helm releases of the mesh, found by chart name (values as an object, or a JSON/YAML string)."""

import json
from collections.abc import Mapping
from typing import Any

from framework.model import Resource, Stack
from framework.types import HELM_RELEASE
from framework.values import UNKNOWN


def releases(stack: Stack, chart: str) -> list[Resource]:
    return [r for r in stack.of_type(*HELM_RELEASE) if r.get("chart") == chart]


def values(release: Resource) -> Any:
    """The release's values: a dict, or UNKNOWN."""
    raw = release.get("values")
    if raw is UNKNOWN:
        return UNKNOWN
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, Mapping) else {}


def value_at(data: Any, *paths: str) -> Any:
    """The first of `paths` (dotted) present in `data`; None when none is."""
    for path in paths:
        cur = data
        for part in path.split("."):
            cur = cur.get(part) if isinstance(cur, Mapping) else None
        if cur is not None:
            return cur
    return None
