"""docs/components.md: every component's Args as an inputs table (name, type, default, description), generated
from the Args classes themselves (`python -m components.args_docs [ROOT]`; a test fails when it is stale)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
import sys
from pathlib import Path
from typing import Any

from .args import DOC

MODULES = (
    "components.aws.kms",
    "components.aws.bucket",
    "components.aws.identity",
    "components.aws.node_pool",
    "components.aws.node_security",
    "components.aws.audit",
    "components.aws.network",
    "components.aws.cluster",
    "components.aws.volumes",
    "components.aws.secrets",
    "components.aws.replication",
    "components.k8s.addons",
    "components.k8s.trust_zone",
    "components.team_zone",
)


def args_classes() -> list[type]:
    out = []
    for name in MODULES:
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == name and obj.__name__.endswith("Args") and dataclasses.is_dataclass(obj):
                out.append(obj)
    return out


def _type(f: dataclasses.Field[Any]) -> str:
    text = str(f.type)
    text = re.sub(r"\bpulumi\.", "", text)
    return text.replace("|", "\\|")


def _default(f: dataclasses.Field[Any]) -> str:
    if f.default is not dataclasses.MISSING:
        return f"`{f.default!r}`"
    if f.default_factory is not dataclasses.MISSING:
        return f"`{f.default_factory()!r}`"
    return "required"


def render() -> str:
    lines = [
        "# Component reference",
        "",
        "Generated from the components' `...Args` classes by `make components-doc` (`python -m components.args_docs`);",
        "a test fails when it is stale. Every component is `Component(name, args, opts=None)`. `Input[...]` fields",
        "take another resource's output or a `StackReference` output as well as a plain value.",
        "",
    ]
    for cls in args_classes():
        component = cls.__name__.removesuffix("Args")
        doc = inspect.getdoc(cls) or ""
        lines += [f"## {component}", "", f"`{cls.__module__}.{cls.__name__}`: {doc}", ""]
        lines += ["| Input | Type | Default | Description |", "|---|---|---|---|"]
        for f in dataclasses.fields(cls):
            text = " ".join(str(f.metadata[DOC]).split()).replace("|", "\\|")
            lines.append(f"| `{f.name}` | `{_type(f)}` | {_default(f)} | {text} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path.cwd()
    out = root / "docs" / "components.md"
    out.write_text(render(), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
