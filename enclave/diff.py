"""What differs between two stacks' synthesized resources: added, removed, and changed inputs, path by path.

Resources are matched by type and name, with each stack's environment prefix taken off the name (`dev-datasets`
and `prod-datasets` are the same resource of two environments). Values are compared as the engine would
receive them, so the diff shows what a promotion from A to B really changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .synth import SynthResult

Key = tuple[str, str]


@dataclass(frozen=True)
class Change:
    path: str
    a: Any
    b: Any


@dataclass
class StackDiff:
    a: str
    b: str
    added: list[Key] = field(default_factory=list)
    removed: list[Key] = field(default_factory=list)
    changed: dict[Key, list[Change]] = field(default_factory=dict)
    same: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "added": [{"type": t, "name": n} for t, n in self.added],
            "removed": [{"type": t, "name": n} for t, n in self.removed],
            "changed": [
                {"type": t, "name": n, "changes": [{"path": c.path, "a": c.a, "b": c.b} for c in changes]}
                for (t, n), changes in self.changed.items()
            ],
            "summary": {
                "added": len(self.added),
                "removed": len(self.removed),
                "changed": len(self.changed),
                "unchanged": self.same,
            },
        }

    def lines(self) -> Iterator[str]:
        """One line per difference: `+ type name`, `- type name`, `~ type name path: a -> b`."""
        for t, n in self.added:
            yield f"+ {t} {n}"
        for t, n in self.removed:
            yield f"- {t} {n}"
        for (t, n), changes in self.changed.items():
            for c in changes:
                yield f"~ {t} {n} {c.path}: {_show(c.a)} -> {_show(c.b)}"

    def summary(self) -> str:
        return (
            f"{self.a} -> {self.b}: {len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed, "
            f"{self.same} unchanged"
        )


MISSING = "<absent>"


def _show(value: Any, limit: int = 100) -> str:
    text = repr(value) if value != MISSING else MISSING
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _name(record: dict[str, Any], prefix: str) -> str:
    name = str(record.get("name", ""))
    return name[len(prefix) :] if prefix and name.startswith(prefix) else name


def _index(result: SynthResult) -> dict[Key, dict[str, Any]]:
    prefix = f"{result.stack}-"
    return {(r["type"], _name(r, prefix)): r for r in result.resources}


def _flatten(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for k in sorted(value):
            yield from _flatten(value[k], f"{path}.{k}" if path else str(k))
    elif isinstance(value, list) and value and all(isinstance(v, dict | list) for v in value):
        for i, v in enumerate(value):
            yield from _flatten(v, f"{path}[{i}]")
    else:
        yield path, value


def diff(a: SynthResult, b: SynthResult) -> StackDiff:
    left, right = _index(a), _index(b)
    out = StackDiff(a.stack, b.stack)
    out.added = sorted(set(right) - set(left))
    out.removed = sorted(set(left) - set(right))
    for key in sorted(set(left) & set(right)):
        la = dict(_flatten(left[key].get("inputs") or {}))
        lb = dict(_flatten(right[key].get("inputs") or {}))
        changes = [
            Change(path, la.get(path, MISSING), lb.get(path, MISSING))
            for path in sorted(set(la) | set(lb))
            if la.get(path, MISSING) != lb.get(path, MISSING)
        ]
        if changes:
            out.changed[key] = changes
        else:
            out.same += 1
    return out
