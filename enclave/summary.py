"""Preview reports (the JSON of `enclave preview --format json`) as one Markdown summary: a CI job summary or a
pull-request comment, per stack its verdict, counts and failing controls."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .jsonfile import JsonFileError, read_json

COUNTS = ("mandatory", "advisory", "exempted", "unverifiable")


class ReportError(Exception):
    """A file that is not a preview report (exit status 2)."""


def read_report(path: Path) -> dict[str, Any]:
    try:
        data = read_json(path)
    except JsonFileError as exc:
        raise ReportError(
            f"{path}: {exc}; not a preview report (write it with `enclave preview --format json`)"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("summary"), dict) or "stack" not in data:
        raise ReportError(
            f"{path}: not a preview report (no stack and summary): `enclave preview --format json` writes one"
        )
    return data


def blocking(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """What fails the stack: findings at the mandatory level that no exemption covers, unverifiable ones too."""
    findings = [*report.get("diagnostics", []), *report.get("unverifiable", [])]
    return [d for d in findings if d.get("enforcementLevel") == "mandatory" and not d.get("exempted")]


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _where(d: Mapping[str, Any]) -> str:
    config = d.get("config") or {}
    if not config.get("file"):
        return ""
    place = f"{config['file']}:{config['line']}" if config.get("line") else str(config["file"])
    return f"`{place}` {config.get('path', '')}".strip()


def markdown(reports: Iterable[Mapping[str, Any]], title: str = "HIPAA policy preview") -> str:
    """One table of every stack's counts, then per failing stack its failing controls with their titles."""
    reports = list(reports)
    lines = [
        f"## {title}",
        "",
        "| stack | verdict | mandatory | advisory | exempted | unverifiable |",
        "|---|---|--:|--:|--:|--:|",
    ]
    for r in reports:
        s = r["summary"]
        verdict = "❌ FAIL" if blocking(r) else "✅ pass"
        lines.append(f"| `{_cell(r['stack'])}` | {verdict} | " + " | ".join(str(s.get(k, 0)) for k in COUNTS) + " |")
    for r in reports:
        failing = blocking(r)
        if not failing:
            continue
        lines += ["", f"### `{_cell(r['stack'])}`: failing controls", ""]
        lines += ["| control | title | findings | first to fix |", "|---|---|--:|---|"]
        by_control: dict[str, list[Mapping[str, Any]]] = {}
        for d in failing:
            by_control.setdefault(str(d.get("control", "")), []).append(d)
        for control in sorted(by_control):
            group = by_control[control]
            first = group[0]
            resource = str(first.get("urn", "")).rsplit("::", 1)[-1] or "(stack)"
            where = _where(first)
            lines.append(
                f"| **{_cell(control)}** | {_cell(first.get('title', ''))} | {len(group)} | "
                f"{_cell(resource)}{' (' + _cell(where) + ')' if where else ''} |"
            )
    if not reports:
        lines.append("| (no reports) | | | | | |")
    return "\n".join(lines) + "\n"
