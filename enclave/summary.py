"""Preview reports (the JSON of `enclave preview --format json`) as one Markdown summary: a CI job summary or a
pull-request comment, per stack its verdict, counts and failing controls."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .jsonfile import JsonFileError, read_json

COUNTS = ("mandatory", "advisory", "exempted", "unverifiable")
LEVELS = ("mandatory", "advisory", "remediate", "disabled")
FIX = "rerun `enclave preview --format json` and use its file unedited"


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
    problem = inconsistency(data)
    if problem:
        raise ReportError(f"{path}: {problem}: the file was edited or is damaged; {FIX}")
    return data


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def expected_counts(report: Mapping[str, Any]) -> dict[str, int]:
    """The summary counts as the findings themselves give them (what `PreviewResult.summary` computes)."""
    diagnostics, unverifiable = report.get("diagnostics", []), report.get("unverifiable", [])
    live = [d for d in diagnostics if not d.get("exempted")]
    below = report.get("notEnforced", [])
    return {
        "mandatory": sum(1 for d in live if d.get("enforcementLevel") == "mandatory"),
        "advisory": sum(1 for d in live if d.get("enforcementLevel") == "advisory"),
        "exempted": sum(1 for d in [*diagnostics, *unverifiable] if d.get("exempted")),
        "unverifiable": len(unverifiable),
        "unverifiableMandatory": sum(1 for d in unverifiable if d.get("enforcementLevel") == "mandatory"),
        "disabledPolicies": sum(1 for b in below if b.get("level") == "disabled"),
        "advisoryPolicies": sum(1 for b in below if b.get("level") == "advisory"),
    }


def inconsistency(report: Mapping[str, Any]) -> str | None:
    """What makes a preview report untrustworthy, or None: findings that are not findings, counts that are not
    non-negative whole numbers, or counts that disagree with the findings listed (the verdict is recomputed
    from the findings, so a report with findings removed but counts kept, or the reverse, is refused)."""
    if not isinstance(report.get("stack"), str) or not report["stack"]:
        return f"stack = {report.get('stack')!r}: must be the stack's name"
    for key in ("diagnostics", "unverifiable"):
        items = report.get(key)
        if not isinstance(items, list):
            return f"{key} must be a list of findings, got {_kind(items)}"
        for i, d in enumerate(items):
            if not isinstance(d, dict):
                return f"{key}[{i}] must be an object, got {_kind(d)}"
            if d.get("enforcementLevel") not in LEVELS:
                return f"{key}[{i}].enforcementLevel = {d.get('enforcementLevel')!r}: one of {', '.join(LEVELS)}"
            if not isinstance(d.get("exempted"), bool):
                return f"{key}[{i}].exempted = {d.get('exempted')!r}: true or false"
            for field in ("control", "urn", "message"):
                if not isinstance(d.get(field), str):
                    return f"{key}[{i}].{field} must be a string, got {_kind(d.get(field))}"
    below = report.get("notEnforced", [])
    if not isinstance(below, list) or not all(isinstance(b, dict) for b in below):
        return f"notEnforced must be a list of objects, got {_kind(below)}"
    summary = report["summary"]
    for key, value in summary.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return f"summary.{key} = {value!r}: a count is a whole number, 0 or more"
    for key, want in expected_counts(report).items():
        if key in summary and summary[key] != want:
            return f"summary.{key} = {summary[key]} but the report lists {want}"
    for key in COUNTS:
        if key not in summary:
            return f"summary.{key} is missing"
    return None


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
        "| stack | verdict | mandatory | advisory | exempted | unverifiable | not enforced |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for r in reports:
        # the counts are recomputed from the findings (read_report refuses a file where they disagree)
        s = expected_counts(r)
        verdict = "❌ FAIL" if blocking(r) else "✅ pass"
        below = len(r.get("notEnforced", []))
        lines.append(
            f"| `{_cell(r['stack'])}` | {verdict} | " + " | ".join(str(s.get(k, 0)) for k in COUNTS)
            + f" | {'⚠️ ' if below else ''}{below} |"
        )  # fmt: skip
    for r in reports:
        below = r.get("notEnforced", [])
        if below:
            lines += ["", f"### `{_cell(r['stack'])}`: not enforced (the pack config runs these below mandatory)", ""]
            lines += ["| control | policy | level |", "|---|---|---|"]
            lines += [
                f"| {_cell(b.get('control', ''))} | `{_cell(b.get('policy', ''))}` | {_cell(b.get('level', ''))} |"
                for b in below
            ]
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
        lines.append("| (no reports) | | | | | | |")
    return "\n".join(lines) + "\n"
