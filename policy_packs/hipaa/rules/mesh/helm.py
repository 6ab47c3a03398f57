"""Helm releases and charts of the mesh and add-ons, found by the chart they install however it is named
(`istiod`, `istio/istiod`, `oci://.../istiod`, a .tgz URL), with their values (an object, or a JSON string)."""

import json
from collections.abc import Mapping
from typing import Any

from framework.model import Resource, Stack
from framework.values import UNKNOWN
from framework.workloads import HELM, chart_name


def releases(stack: Stack, chart: str) -> list[Resource]:
    return [r for r in stack.of_type(*HELM) if chart_name(r) == chart]


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
