"""Duplicate entries in the stack config's lists (egress CIDRs, private-access CIDRs, transit-gateway routes,
namespaces, hosts, ports...): refused, because each entry becomes resources named after it, and a second one
registers the same URN twice, which `pulumi up` refuses. Compared after validation, so `10.0.0.0/8` and
`10.000.0.0/8`, or `FD00::/8` and `fd00::/8`, are one value."""

from __future__ import annotations

import json
from typing import Any

from .errors import Loc, Problem
from .platform import PlatformConfig


def _walk(value: Any, loc: Loc, out: list[Problem]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _walk(item, (*loc, key), out)
        return
    if not isinstance(value, list):
        return
    first: dict[str, int] = {}
    for i, item in enumerate(value):
        key = json.dumps(item, sort_keys=True, default=str)
        if key in first:
            out.append(
                Problem(
                    (*loc, i),
                    f"repeats item {first[key]} of this list: list each value once (a second one would register "
                    "the same resources twice, which `pulumi up` refuses)",
                    item,
                )
            )
        else:
            first[key] = i
        _walk(item, (*loc, i), out)


def duplicate_problems(cfg: PlatformConfig) -> list[Problem]:
    out: list[Problem] = []
    _walk(cfg.model_dump(mode="json", by_alias=True, exclude_defaults=False), (), out)
    return out
