"""Invoke placeholders, followed into resource inputs and kept from deciding a policy.

An invoke no one answered (enclave.fakes has no faithful answer, `--invokes` none recorded) gets a placeholder of
its result's type, marked (enclave.shapes): a string carries `placeholder-<hex>`, an address or CIDR lies in
198.18.0.0/15 or 2001:db8::/32, a number in 7,340,000-7,349,999, a boolean is negative zero. The marks survive
what programs do with such values (f-strings, JSON documents, `ipaddress` subnetting, small arithmetic), so
`marked_paths` finds every input that holds one when the resource is registered.

The pack never sees them as values. `for_pack` sends each such input as unknown, as the engine sends a value
not known yet; a rule that reads it reports UNVERIFIABLE. A rule that lets an unknown pass (it only looks for
a bad value) is caught by probing (enclave.preview): the marked inputs are also sent as each kind's telling
values (`PROBES`: unknown, "*", "0.0.0.0/0", "", 0, 1, 10**9, true, false); a policy whose verdict on a
resource differs between them decided on the placeholder, and its finding is UNVERIFIABLE whatever the first
run said.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from components.pulumi_internals import UNKNOWN

from .secrets import is_secret
from .shapes import MARK_RE, PLACEHOLDER_NUMBERS

ADDRESS_RE = re.compile(r"(?<![\d.])198\.1[89]\.\d{1,3}\.\d{1,3}(?:/\d{1,2})?(?![\d.])|(?i:2001:db8:)")
# (string, number, boolean) sent in place of the marked inputs, one probe per row.
PROBES: tuple[tuple[Any, Any, Any], ...] = (
    (UNKNOWN, UNKNOWN, UNKNOWN),
    ("*", 0, True),
    ("0.0.0.0/0", 1, False),
    ("", 10**9, True),
)


def kind_of(value: Any) -> str | None:
    """`string`, `number` or `boolean` when `value` holds a placeholder of that kind; None when it holds none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return "string" if MARK_RE.search(value) or ADDRESS_RE.search(value) else None
    if isinstance(value, float) and value == 0 and math.copysign(1.0, value) < 0:
        return "boolean"
    if isinstance(value, int | float) and PLACEHOLDER_NUMBERS.start <= value < PLACEHOLDER_NUMBERS.stop:
        return "number"
    return None


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if is_secret(value):
        yield from _walk(value.get("value"), path)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}.{i}" if path else str(i))
    else:
        yield path, value


def marked_paths(inputs: Mapping[str, Any]) -> dict[str, str]:
    """The dotted paths of the inputs that hold a placeholder, with its kind (read before numbers are made whole:
    a boolean placeholder is -0.0)."""
    found = ((path, kind_of(value)) for path, value in _walk(inputs, ""))
    return {path: kind for path, kind in found if kind is not None}


def _replace(value: Any, path: list[str], make: Callable[[Any], Any]) -> Any:
    if is_secret(value):
        return {**value, "value": _replace(value.get("value"), path, make)}
    if not path:
        return make(value)
    head, rest = path[0], path[1:]
    if isinstance(value, Mapping) and head in value:
        return {**value, head: _replace(value[head], rest, make)}
    if isinstance(value, list) and head.isdigit() and int(head) < len(value):
        index = int(head)
        return [*value[:index], _replace(value[index], rest, make), *value[index + 1 :]]
    return value


def _kind_value(original: Any, kind: str, probe: tuple[Any, Any, Any]) -> Any:
    string, number, boolean = probe
    if kind == "boolean":
        return boolean
    if kind == "number" or not isinstance(original, str):
        return number
    if string is UNKNOWN:
        return UNKNOWN
    if MARK_RE.fullmatch(original) or ADDRESS_RE.fullmatch(original):
        return string
    return MARK_RE.sub(string, ADDRESS_RE.sub(string, original))  # a placeholder inside a longer string


def with_values(inputs: Mapping[str, Any], paths: Mapping[str, str], probe: tuple[Any, Any, Any]) -> dict[str, Any]:
    """`inputs` with the placeholder at each of `paths` replaced by the probe's value of its kind."""
    out: Any = dict(inputs)
    for path, kind in paths.items():
        out = _replace(out, path.split("."), lambda v, k=kind: _kind_value(v, k, probe))  # type: ignore[misc]
    return dict(out)


def for_pack(inputs: Mapping[str, Any], paths: Mapping[str, str]) -> dict[str, Any]:
    """What the pack is sent: every placeholder input unknown."""
    return with_values(inputs, paths, PROBES[0])


def probe_views(result: Any) -> tuple[Any, list[Any]]:
    """(what the pack is sent, the probes): copies of a SynthResult whose placeholder inputs are unknown, then
    each of the other PROBES' values. No probes when no input holds a placeholder (the stack as it is, once)."""
    marked = [r for r in result.resources if r.get("placeholders")]
    if not marked:
        return result, []

    def view(probe: tuple[Any, Any, Any]) -> Any:
        resources = [
            {**r, "inputs": with_values(r["inputs"], r["placeholders"], probe)} if r.get("placeholders") else r
            for r in result.resources
        ]
        return dataclasses.replace(result, resources=resources)

    return view(PROBES[0]), [view(probe) for probe in PROBES[1:]]
