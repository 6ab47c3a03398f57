"""The audit as a table grouped by control (a terminal) or as plain lines (pipes and CI logs)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby

from rich.console import Console
from rich.table import Table

from .model import AuditResult


def verdict(result: AuditResult) -> str:
    s = result.summary()
    drift = s["drift"]
    parts = [
        f"account {result.account} {result.region}: {s['findings']} findings under {s['controls']} controls "
        f"({s['mandatory']} mandatory)",
        f"{s['incomplete']} checks incomplete",
    ]
    if result.stack is not None:
        parts.append(
            f"drift from stack {result.stack}: {drift['missing']} missing, {drift['unexpected']} "
            f"unexpected, {drift['weakened']} weakened"
        )
    if result.skipped:
        parts.append(f"skipped (not checked): {', '.join(result.skipped)}")
    read = ", ".join(f"{n} {k}" for k, n in s["resources"].items())
    parts.append(f"read {read} in {s['seconds']:.1f} s")
    return "; ".join(parts)


def print_lines(result: AuditResult, echo: Callable[[str], None]) -> None:
    for f in result.findings:
        echo(f"{f.level.upper()} {f.control} [{', '.join(f.citations)}] {f.severity}: {f.message}")
    for d in result.drift:
        echo(f"DRIFT {d.kind} {d.control or '-'} {d.resource}: {d.message}")
    for i in result.incomplete:
        echo(f"INCOMPLETE {i.check}: {i.reason}")


def print_table(result: AuditResult, console: Console) -> None:
    for control, group in groupby(result.findings, key=lambda f: f.control):
        items = list(group)
        first = items[0]
        table = Table(
            title=f"{control} ({first.severity}, {first.level}; 45 CFR {', '.join(first.citations)}): "
            f"{len(items)} finding(s)",
            title_justify="left",
            expand=True,
        )
        table.add_column("resource", overflow="fold", ratio=1)
        table.add_column("finding", overflow="fold", ratio=3)
        for f in items:
            table.add_row(f.resource, f.message.removeprefix(f"{f.resource}: "))
        console.print(table)
    if result.drift:
        table = Table(title="Drift from the stack", title_justify="left", expand=True)
        for column in ("kind", "control", "resource", "declared", "live"):
            table.add_column(column, overflow="fold")
        for d in result.drift:
            table.add_row(d.kind, d.control or "", d.resource, str(d.declared), str(d.live))
        console.print(table)
    if result.incomplete:
        table = Table(title="Checks that did not run (never counted as passing)", title_justify="left", expand=True)
        table.add_column("check", overflow="fold")
        table.add_column("reason", overflow="fold")
        for i in result.incomplete:
            table.add_row(i.check, i.reason)
        console.print(table)
    console.print(verdict(result))
