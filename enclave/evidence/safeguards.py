"""Rows grouped as the report reads them: HIPAA safeguard (citation) -> control -> rule -> resources, each
level with its counts and a verdict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .rows import STATUSES, Row, count

KINDS = {
    "164.308": "Administrative safeguards",
    "164.312": "Technical safeguards",
    "164.316": "Policies, procedures and documentation",
}
UNMAPPED = "Not mapped to a safeguard"
ORDER = {
    s: i for i, s in enumerate(("fail", "drift", "unverifiable", "not verified", "not enforced", "exempted", "pass"))
}
assert set(ORDER) == set(STATUSES)


def kind_of(citation: str) -> str:
    return KINDS.get(citation.split("(", 1)[0], UNMAPPED if not citation else "Other sections")


def verdict(counts: Mapping[str, int]) -> str:
    """not met (a failure, or the live account drifted), not verified (something could not be decided, or a
    policy the pack config runs below mandatory enforced nothing), met with exemptions, met; `no checks` when
    nothing was checked."""
    if counts["fail"] or counts["drift"]:
        return "not met"
    if counts["unverifiable"] or counts["not verified"] or counts["not enforced"]:
        return "not verified"
    if counts["exempted"]:
        return "met with exemptions"
    return "met" if counts["pass"] else "no checks"


@dataclass
class RuleView:
    name: str
    source: str
    level: str
    rows: list[Row]
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class ControlView:
    id: str
    title: str
    severity: str
    rules: list[RuleView]
    counts: dict[str, int] = field(default_factory=dict)
    verdict: str = ""
    strength: str = "implements"  # or "supports": the control contributes to the safeguard, does not implement it


@dataclass
class SafeguardView:
    citation: str
    name: str
    kind: str
    controls: list[ControlView]
    counts: dict[str, int] = field(default_factory=dict)
    verdict: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "citation": self.citation, "name": self.name, "kind": self.kind, "counts": self.counts,
            "verdict": self.verdict, "controls": [c.id for c in self.controls],
            "supporting": [c.id for c in self.controls if c.strength == "supports"],
        }  # fmt: skip


def _sorted_rows(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (ORDER[r.status], r.resource, r.message))


def group(
    rows: Sequence[Row],
    citations: Mapping[str, str],
    controls: Mapping[str, Any],
    rules_of: Mapping[str, list[tuple[str, str]]],
) -> list[SafeguardView]:
    """Every safeguard the catalog names (in its order), each with every control citing it, each control with
    its rules (`rules_of`: control -> [(policy, level)], disabled ones included) and their rows; then the rows
    whose control cites nothing. The counts of a level are the counts of its rows."""
    out = []
    cited = list(citations)
    cited += sorted({r.citation for r in rows if r.citation and r.citation not in citations})
    for citation in [*cited, ""]:
        mine = [r for r in rows if r.citation == citation]
        ids = sorted({cid for cid, c in controls.items() if citation in c.citations} | {r.control for r in mine})
        if not citation and not mine:
            continue
        views = []
        for cid in ids:
            control = controls.get(cid)
            its = [r for r in mine if r.control == cid]
            names = list(rules_of.get(cid, []))
            known = {n for n, _ in names}
            extra = {(r.policy, r.level if r.source == "preview" else "") for r in its if r.policy not in known}
            names += sorted(extra)
            rules = []
            for name, level in names:
                theirs = _sorted_rows([r for r in its if r.policy == name])
                source = theirs[0].source if theirs else "preview"
                rules.append(RuleView(name, source, level, theirs, count(theirs)))
            view = ControlView(
                cid, control.title if control else (its[0].title if its else ""),
                control.severity if control else (its[0].severity if its else ""), rules, count(its),
            )  # fmt: skip
            view.verdict = verdict(view.counts)
            strength = getattr(control, "strength", None)
            view.strength = strength(citation) if callable(strength) and citation else "implements"
            views.append(view)
        name = citations.get(citation, "") if citation else UNMAPPED
        sg = SafeguardView(citation, name, kind_of(citation), views, count(mine))
        sg.verdict = verdict(sg.counts)
        out.append(sg)
    return out
