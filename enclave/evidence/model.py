"""The evidence report as data: front-page facts, rows, safeguards, zone picture and cross-check. The HTML, the
CSV and report.json are all written from one Report, so they show the same rows and the same counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ..preview import PreviewResult
from .audit import Audit, audit_checks
from .rows import SOURCES, STATUSES, Row, configured_levels, count, distinct, preview_checks, tags, with_citations
from .safeguards import SafeguardView, group, verdict
from .svg import Layout, layout
from .zones import ZoneGraph


@dataclass
class Report:
    facts: dict[str, Any]
    rows: list[Row]
    safeguards: list[SafeguardView]
    totals: dict[str, dict[str, int]]
    graph: ZoneGraph
    picture: Layout
    cross_check: str
    reference: str
    blocking: int
    disabled: list[str] = field(default_factory=list)
    # every policy the pack config runs below mandatory: {policy, control, level}
    not_enforced: list[dict[str, str]] = field(default_factory=list)

    def kinds(self) -> list[tuple[str, list[SafeguardView]]]:
        """The safeguards by kind (administrative, technical, ...), in the catalog's order."""
        out: dict[str, list[SafeguardView]] = {}
        for sg in self.safeguards:
            out.setdefault(sg.kind, []).append(sg)
        return list(out.items())

    @property
    def verdict(self) -> str:
        """The verdict over every check, by the safeguards' rule."""
        return verdict(self.totals["all"])

    def summary_line(self) -> str:
        """`prod: FAIL - 3 mandatory failures; 336 checks (328 pass, 3 fail, ...); 14 of 19 safeguards met`."""
        totals = self.totals["all"]
        shown = [s for s in STATUSES if totals[s] or s in ("pass", "fail")]
        counts = ", ".join(f"{totals[s]} {s}" for s in shown)
        met = sum(1 for s in self.safeguards if s.verdict == "met")
        verdict = "FAIL" if self.blocking else "pass"
        failures = f"{self.blocking} mandatory failure{'' if self.blocking == 1 else 's'}"
        unchecked = self.facts.get("auditAccountUnchecked")
        return (
            f"{self.facts['stack']}: {verdict} - {failures}; "
            f"{totals['total']} checks ({counts}); {met} of {len(self.safeguards)} safeguards met"
            f"{f'; WARNING: {unchecked}' if unchecked else ''}"
        )

    @property
    def exit_code(self) -> int:
        return 1 if self.blocking else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "facts": self.facts,
            "totals": self.totals,
            "verdict": self.verdict,
            "safeguards": [s.to_json() for s in self.safeguards],
            "zones": {**self.graph.to_json(), "crossCheck": self.cross_check},
            "disabledPolicies": self.disabled,
            "notEnforced": self.not_enforced,
            "rows": [r.record() for r in self.rows],
        }


def build(
    result: PreviewResult,
    catalog: ModuleType,
    facts: dict[str, Any],
    graph: ZoneGraph,
    cross_check: str,
    audit: Audit | None = None,
) -> Report:
    controls: dict[str, Any] = catalog.CONTROLS
    levels = configured_levels(result)
    checks = preview_checks(result, levels)
    if audit is not None:
        titles = {cid: c.title for cid, c in controls.items()}
        severities = {cid: c.severity for cid, c in controls.items()}
        checks += audit_checks(audit, titles, severities, controls)
    citations_of = {cid: tuple(c.citations) for cid, c in controls.items()}
    rules_of: dict[str, list[tuple[str, str]]] = {}
    for policy in sorted(result.policies, key=lambda p: p["name"]):
        for cid in tags(policy, "control:"):
            rules_of.setdefault(cid, []).append((policy["name"], levels[policy["name"]]))
            spec = policy.get("framework", {}).get("specification", "")
            citations_of.setdefault(cid, tuple(c.strip() for c in spec.split(",") if c.strip()))
    rows = with_citations(checks, citations_of, catalog.CITATIONS)
    once = distinct(rows)
    totals = {"all": count(once), **{s: count(r for r in once if r.source == s) for s in SOURCES}}
    blocking = len(result.blocking) + (len(audit.mandatory) if audit is not None else 0)
    if audit is not None:
        facts = {**facts, "auditAccount": audit.account, "auditRegion": audit.region}
    return Report(
        facts={**facts, "blocking": blocking},
        rows=rows,
        safeguards=group(rows, catalog.CITATIONS, controls, rules_of),
        totals=totals,
        graph=graph,
        picture=layout(graph),
        cross_check=cross_check,
        reference=getattr(catalog, "FRAMEWORK_REFERENCE", ""),
        blocking=blocking,
        disabled=sorted(name for name, level in levels.items() if level == "disabled"),
        not_enforced=result.not_enforced(),
    )
