"""The live-account side: an `enclave audit --format json` file, validated, as report rows under the same
control ids as the preview's."""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..jsonfile import JsonFileError, read_json
from .rows import Row

LEVELS = ("mandatory", "advisory", "remediate", "disabled")
CONTROL_ID = re.compile(r"\b[A-Z0-9]+-\d{2}\b")
FIX = "write it with `enclave audit --stack NAME --format json --out FILE`"


class AuditInputError(Exception):
    """The audit file cannot be used (exit status 2): the message names the file, the field and the fix."""


@dataclass
class Audit:
    account: str
    region: str
    findings: list[dict[str, Any]] = field(default_factory=list)
    incomplete: list[dict[str, str]] = field(default_factory=list)
    drift: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    # controls the audit was told not to check (`enclave audit --skip`): shown as not verified, never as pass
    skipped: list[dict[str, str]] = field(default_factory=list)

    @property
    def mandatory(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["level"] == "mandatory"]


def _need(cond: bool, source: str, where: str, problem: str) -> None:
    if not cond:
        raise AuditInputError(f"--audit {source}: {where}: {problem}; {FIX}")


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _strings(item: Any, source: str, where: str, keys: tuple[str, ...], nullable: tuple[str, ...] = ()) -> None:
    _need(isinstance(item, dict), source, where, f"must be an object, got {_kind(item)}")
    for key in keys:
        _need(key in item, source, f"{where}.{key}", "missing")
        value = item[key]
        ok = isinstance(value, str) or (value is None and key in nullable)
        _need(ok, source, f"{where}.{key}", f"must be a string, got {_kind(value)}")


def _control(value: str | None, known: Collection[str], source: str, where: str) -> None:
    if value is not None and value not in known:
        raise AuditInputError(
            f"--audit {source}: {where} = {value!r}: no such control in the pack's catalog (RULES.md lists them); "
            "audit with the same pack version as this report"
        )


def _consistent(data: dict[str, Any], source: str) -> None:
    """The summary's counts are what the lists hold: an audit with findings removed but counts kept (or the
    reverse), or a count that is not a whole number, is refused rather than believed."""
    summary = data.get("summary") or {}
    expected = {
        "findings": len(data["findings"]),
        "mandatory": sum(1 for f in data["findings"] if f["level"] == "mandatory"),
        "advisory": sum(1 for f in data["findings"] if f["level"] == "advisory"),
        "controls": len({f["control"] for f in data["findings"]}),
        "incomplete": len(data["incomplete"]),
    }
    for key, want in expected.items():
        if key not in summary:
            continue
        got = summary[key]
        _need(isinstance(got, int) and not isinstance(got, bool) and got >= 0, source, f"summary.{key}",
              f"{got!r} is not a count (a whole number, 0 or more)")  # fmt: skip
        _need(got == want, source, f"summary.{key}", f"{got} but the file lists {want}: it was edited or is damaged")
    drift = summary.get("drift", {})
    _need(isinstance(drift, dict), source, "summary.drift", f"must be an object, got {_kind(drift)}")
    for kind, got in drift.items():
        want = sum(1 for d in data["drift"] if d["kind"] == kind)
        _need(got == want, source, f"summary.drift.{kind}", f"{got!r} but the file lists {want}: it was edited")


def load_audit(path: Path, controls: Collection[str], stack: str | None = None, account: str | None = None) -> Audit:
    """The audit file at `path`, checked against the contract of `enclave audit --format json`; every control
    id must be one of `controls`, an audit that names its stack must name `stack`, its counts must be what its
    lists hold, and with `account` (the stack's account_id) it must be of that account."""
    source = str(path)
    try:
        data = read_json(path)
    except JsonFileError as exc:
        raise AuditInputError(f"--audit {source}: {exc}; {FIX}") from None
    _need(isinstance(data, dict), source, "the document", f"must be a JSON object, got {_kind(data)}")
    _strings(data, source, "the document", ("account", "region"))
    for key in ("findings", "incomplete", "drift"):
        _need(key in data, source, key, "missing (a list, empty when there is nothing)")
        _need(isinstance(data[key], list), source, key, f"must be a list, got {_kind(data[key])}")
    named = data.get("stack")
    if stack is not None and isinstance(named, str) and named != stack:
        raise AuditInputError(
            f"--audit {source}: stack = {named!r}, but this report is of stack {stack!r}; audit the same stack"
        )
    summary = data.get("summary", {})
    _need(isinstance(summary, dict), source, "summary", f"must be an object, got {_kind(summary)}")
    for i, item in enumerate(data["findings"]):
        where = f"findings[{i}]"
        _strings(item, source, where, ("control", "severity", "resource", "message", "level"))
        _need("citations" in item, source, f"{where}.citations", "missing")
        cites = item["citations"]
        ok = isinstance(cites, list) and all(isinstance(c, str) for c in cites)
        _need(ok, source, f"{where}.citations", "must be a list of strings")
        _need(item["level"] in LEVELS, source, f"{where}.level", f"{item['level']!r} is not one of {', '.join(LEVELS)}")
        _control(item["control"], controls, source, f"{where}.control")
    for i, item in enumerate(data["incomplete"]):
        _strings(item, source, f"incomplete[{i}]", ("check", "reason"))
    for i, item in enumerate(data["drift"]):
        where = f"drift[{i}]"
        _strings(item, source, where, ("kind", "control", "resource", "message"), nullable=("control",))
        _control(item["control"], controls, source, f"{where}.control")
    skipped = data.get("skipped", [])
    _need(isinstance(skipped, list), source, "skipped", f"must be a list, got {_kind(skipped)}")
    for i, item in enumerate(skipped):
        _strings(item, source, f"skipped[{i}]", ("control", "reason"))
        _control(item["control"], controls, source, f"skipped[{i}].control")
    _consistent(data, source)
    if account is not None and data["account"] != account:
        raise AuditInputError(
            f"--audit {source}: account = {data['account']!r}, but stack {stack or ''} deploys into account "
            f"{account!r} (its account_id): another account's findings are not this stack's evidence; audit "
            "that account (`enclave audit --stack NAME` with its credentials)"
        )
    return Audit(
        account=data["account"], region=data["region"], findings=data["findings"], incomplete=data["incomplete"],
        drift=data["drift"], summary=summary, skipped=skipped,
    )  # fmt: skip


def incomplete_control(check: str, controls: Collection[str]) -> str:
    """The control an incomplete check names (`S3-09`, `S3-09 bucket logging`, ...), else ''."""
    return next((c for c in CONTROL_ID.findall(check) if c in controls), "")


def audit_checks(
    audit: Audit, titles: dict[str, str], severities: dict[str, str], controls: Collection[str]
) -> list[Row]:
    """The audit's findings (fail), the checks it could not run (not verified: never a pass) and its drift."""
    rows: list[Row] = []

    def check_id() -> str:
        return f"audit:{len(rows) + 1:04d}"

    for f in audit.findings:
        rows.append(Row(
            check=check_id(), source="audit", control=f["control"], title=titles.get(f["control"], ""),
            severity=f["severity"], policy="audit", resource=f["resource"], resource_type="", status="fail",
            level=f["level"], message=f["message"],
        ))  # fmt: skip
    for item in audit.incomplete:
        control = incomplete_control(item["check"], controls)
        rows.append(Row(
            check=check_id(), source="audit", control=control, title=titles.get(control, ""),
            severity=severities.get(control, ""), policy=item["check"], resource=f"account {audit.account}",
            resource_type="", status="not verified", level="", message=item["reason"],
        ))  # fmt: skip
    for item in audit.skipped:
        control = item["control"]
        rows.append(Row(
            check=check_id(), source="audit", control=control, title=titles.get(control, ""),
            severity=severities.get(control, ""), policy="audit --skip", resource=f"account {audit.account}",
            resource_type="", status="not verified", level="", message=item["reason"],
        ))  # fmt: skip
    for d in audit.drift:
        control = d["control"] or ""
        live = json.dumps(d.get("live"), sort_keys=True, default=str)
        declared = json.dumps(d.get("declared"), sort_keys=True, default=str)
        rows.append(Row(
            check=check_id(), source="audit", control=control, title=titles.get(control, ""),
            severity=severities.get(control, ""), policy=f"drift:{d['kind']}", resource=d["resource"],
            resource_type="", status="drift", level="",
            message=f"{d['message']} (declared {declared}, live {live})",
        ))  # fmt: skip
    return rows
