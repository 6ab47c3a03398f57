"""Config problems and the error that carries them, with config paths and stack-file lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

CONFIG_KEY = "gpu-enclave:platform"

Loc = tuple[str | int, ...]


def format_loc(loc: Loc, root: str = CONFIG_KEY) -> str:
    """('zones', 0, 'name') -> 'gpu-enclave:platform.zones[0].name'; with root '' -> 'zones[0].name'."""
    out = root
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def show_value(value: Any, limit: int = 80) -> str:
    """A short, terminal-safe rendering of a bad value (control characters escaped, long ones cut)."""
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


_MISSING = object()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the stack config."""

    loc: Loc
    message: str
    value: Any = _MISSING
    line: int | None = None
    # The config key the path is under; "" for problems of the stack file itself (YAML syntax).
    root: str = CONFIG_KEY

    def render(self, source: str | None = None) -> str:
        where = format_loc(self.loc, self.root) if self.root else "(stack file)"
        if source and self.line:
            where = f"{source}:{self.line}: {where}"
        elif source:
            where = f"{source}: {where}"
        shown = "" if self.value is _MISSING else f" = {show_value(self.value)}"
        return f"{where}{shown}\n    {self.message}"


class ConfigError(pulumi.RunError):
    """The stack config is invalid. Raised before any resource is registered."""

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        # Filled in by the offline engine: what the program registered before failing.
        self.registered: list[dict[str, Any]] = []
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        head = f"invalid stack config: {count} problem{'s' if count != 1 else ''}"
        if self.source:
            head += f" in {self.source}"
        return head + "\n" + "\n".join("  " + p.render(self.source) for p in self.problems)
