"""The preview as people read it: findings grouped by control, then one verdict line."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby

from rich.console import Console
from rich.table import Table

from .preview import Diagnostic, PreviewResult

STYLE = {"mandatory": "bold red", "advisory": "yellow", "disabled": "dim"}


ORIGIN = {"named": "named by --pack-config", "project": "the project's, for this stack"}


def config_source(result: PreviewResult) -> str:
    """Which pack config ran, and why that one."""
    if result.pack_config is None:
        return "no pack config (every policy at the pack's default level)"
    return f"config {result.pack_config} ({ORIGIN.get(result.pack_config_origin, result.pack_config_origin)})"


def not_enforced_text(result: PreviewResult) -> str:
    """`; NOT ENFORCED: 3 policies (3 advisory-only, 0 disabled)`, or nothing when every policy enforces."""
    s = result.summary()
    count = s["advisoryPolicies"] + s["disabledPolicies"]
    if not count:
        return ""
    return (
        f"; NOT ENFORCED: {count} of {s['policies']} policies ({s['advisoryPolicies']} advisory-only, "
        f"{s['disabledPolicies']} disabled)"
    )


def verdict_line(result: PreviewResult) -> str:
    s = result.summary()
    verdict = "FAIL" if result.blocking else "pass"
    return (
        f"{result.stack}: {verdict} - {s['resources']} resources, {s['policies']} policies ({result.pack}): "
        f"{s['mandatory']} mandatory, {s['advisory']} advisory, {s['exempted']} exempted, {s['unverifiable']} "
        f"unverifiable ({s['unverifiableMandatory']} mandatory), {s['remediated']} remediated"
        f"{not_enforced_text(result)}; {config_source(result)}"
    )


def not_enforced_lines(result: PreviewResult) -> list[str]:
    """One line per policy the config runs below mandatory: it checks nothing that can fail the stack."""
    return [
        f"not enforced: {b['policy']} ({b['control']}) is {b['level']}"
        + (": its findings never fail the stack" if b["level"] == "advisory" else ": it checks nothing")
        for b in result.not_enforced()
    ]


def invoke_lines(result: PreviewResult) -> list[str]:
    """Which invokes were answered with placeholders, and which from the --invokes file."""
    invokes = result.invokes()
    out = []
    tokens = sorted(invokes["placeholders"])
    if tokens:
        out.append(
            f"placeholders answered {len(tokens)} invokes ({', '.join(tokens)}): a policy that decides on one "
            "reports UNVERIFIABLE; record real answers with --invokes FILE"
        )
    if invokes["recorded"]:
        out.append(f"recorded answers (--invokes): {', '.join(sorted(invokes['recorded']))}")
    remote = result.synth.remote_components if result.synth else {}
    if remote:
        out.append(
            f"{sum(remote.values())} components of other packages ({', '.join(sorted(remote))}) make their resources "
            "in their provider at deploy time: the pack sees their inputs only; `pulumi preview --policy-pack` "
            "checks what they make"
        )
    return out


def _level(d: Diagnostic) -> str:
    if d.exempted:
        return "exempted"
    return f"{d.enforcementLevel}\nunverifiable" if d.unverifiable else d.enforcementLevel


def config_text(d: Diagnostic) -> str:
    """`edit stacks/Pulumi.prod.yaml:97 buckets[1] (datasets)`: where the resource comes from; `edit
    __main__.py:12` when a line of the program made it, not a stack-file entry."""
    c = d.config
    if not c and d.source:
        return f"edit {d.source['file']}:{d.source['line']}"
    if not c:
        return ""
    where = f"{c['file']}:{c['line']}" if c.get("line") else c["file"]
    return f"edit {where} {c['path']}"


def finding_text(d: Diagnostic) -> str:
    """The finding itself and the config entry to edit; no control heading, no fix (the table shows those once
    per control)."""
    lines = d.message.split("\n")
    kept = [line for line in lines if not line.startswith(f"{d.control} ") and not line.startswith("Fix: ")]
    text = "\n".join(line.removeprefix("UNVERIFIABLE at preview: ") for line in kept)
    where = config_text(d)
    return f"{text}\n{where}" if where else text


def print_table(result: PreviewResult, console: Console) -> None:
    """One table per control with findings (mandatory first), each row a finding (it names its resource)."""
    order = {"mandatory": 0, "advisory": 1, "disabled": 2}
    findings = sorted(result.diagnostics, key=lambda d: (d.control, order.get(d.enforcementLevel, 3), d.urn))
    for control, group in groupby(findings, key=lambda d: d.control):
        rows = list(group)
        first = rows[0]
        citations = ", ".join(f"45 CFR {c}" for c in first.citations)
        table = Table(
            title=f"{control} {first.title} [{first.severity}] {citations}",
            title_justify="left",
            caption=f"Fix: {first.remediation}",
            caption_justify="left",
            show_lines=True,
            expand=True,
        )
        table.add_column("level", no_wrap=True)
        table.add_column("finding", overflow="fold", ratio=1)
        for d in rows:
            style = None if d.exempted else STYLE.get(d.enforcementLevel)
            table.add_row(_level(d), finding_text(d), style=style)
        console.print(table)
    if not findings:
        console.print("no findings")
    for line in invoke_lines(result):
        console.print(line)
    for line in not_enforced_lines(result):
        console.print(line, style="yellow")
    console.print(verdict_line(result))


def print_lines(result: PreviewResult, write: Callable[[str], object]) -> None:
    """The same findings as plain lines, one per finding (for pipes, grep and CI logs): level, control,
    resource, finding, where to edit; the fixes once per control after them; the verdict last."""
    order = {"mandatory": 0, "advisory": 1, "disabled": 2}
    findings = sorted(result.diagnostics, key=lambda d: (d.control, order.get(d.enforcementLevel, 3), d.urn))
    fixes: dict[str, str] = {}
    for d in findings:
        level = "exempted" if d.exempted else d.enforcementLevel + (" unverifiable" if d.unverifiable else "")
        text = " | ".join(finding_text(d).split("\n"))
        write(f"{level} {d.control} {d.urn.rsplit('::', 1)[-1] or '(stack)'}: {text}")
        fixes.setdefault(d.control, f"fix {d.control}: {d.remediation}")
    for line in fixes.values():
        write(line)
    if not findings:
        write("no findings")
    for line in invoke_lines(result):
        write(line)
    for line in not_enforced_lines(result):
        write(line)
    write(verdict_line(result))
