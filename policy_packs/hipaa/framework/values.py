"""Property values as the engine hands them to a policy pack: unknowns made explicit, proxies unwrapped.

pulumi-policy wraps inputs in a proxy that raises on an unknown value, which the SDK turns into an advisory
"can't run during preview" note: a silent skip. Rules here never touch the proxy. They read plain values in
which every unknown is the `UNKNOWN` marker, and decide what an unknown means for their control.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# The engine's sentinels for values not known during a preview (pulumi_policy.proxy, pulumi.runtime.rpc).
UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string (and what the engine sends for most unknowns)
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


class _Marker:
    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Marker("<unknown>")  # not known until the resource (or one it uses) exists
MISSING: Any = _Marker("<missing>")  # not set at all


def plain(value: Any) -> Any:
    """A proxy-free copy: pulumi-policy proxies unwrapped, sentinel strings turned into UNKNOWN, secrets (in
    their wire form) replaced by their value, integral doubles back to ints."""
    target = _proxy_target(value)
    if target is not None:
        return plain(target)
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the engine's Struct encoding makes every number a double
    if isinstance(value, Mapping):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return plain(value.get("value"))
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _proxy_target(value: Any) -> Any:
    # pulumi_policy.proxy._DictProxy / _ListProxy expose their raw contents under "__target".
    if type(value).__name__ in ("_DictProxy", "_ListProxy", "_DictSecretsProxy", "_ListSecretsProxy"):
        try:
            return value["__target"]
        except (KeyError, TypeError, IndexError):
            return None
    return None


def get(obj: Any, path: str) -> Any:
    """The value at a dotted path ("metadataOptions.httpTokens", "rules.0.status"): MISSING when any step is
    absent or of the wrong shape, UNKNOWN when any step is unknown."""
    cur = obj
    for part in path.split(".") if path else []:
        if cur is UNKNOWN:
            return UNKNOWN
        if isinstance(cur, Mapping):
            if part not in cur:
                return MISSING
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit():
            index = int(part)
            if index >= len(cur):
                return MISSING
            cur = cur[index]
        else:
            return MISSING
    return cur


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def as_list(value: Any) -> list[Any]:
    """A value the AWS APIs accept as one item or a list, as a list (MISSING and None: empty)."""
    if value is MISSING or value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def strings(value: Any) -> list[str]:
    """The string items of `as_list(value)` (what a list of names or kinds can hold; anything else is dropped)."""
    return [v for v in as_list(value) if isinstance(v, str)]


def parse_json(value: Any) -> Any:
    """A JSON document (an IAM or key policy) given as a string or an object: the object, UNKNOWN, MISSING, or
    None when it is not valid JSON."""
    if value is UNKNOWN or value is MISSING:
        return value
    if isinstance(value, Mapping | list):
        return value
    if not isinstance(value, str):
        return None
    try:
        return plain(json.loads(value))
    except (ValueError, RecursionError):
        return None


def truthy(value: Any) -> bool | None:
    """True / False for booleans and the strings AWS uses for them ("true", "enabled"); None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "enabled", "yes"):
            return True
        if lowered in ("false", "disabled", "no"):
            return False
    return None
