"""The audit's results: findings, checks that could not run, drift, and the JSON contract."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

WORKERS = 16  # per service: detail reads of one service run this many at a time (--workers)


@dataclass(frozen=True)
class Finding:
    control: str
    citations: list[str]
    severity: str
    resource: str
    message: str
    level: str

    def key(self) -> tuple[str, str, str]:
        return (self.control, self.resource, self.message)


@dataclass(frozen=True)
class Incomplete:
    check: str
    reason: str


@dataclass(frozen=True)
class Drift:
    kind: str  # missing | unexpected | weakened
    control: str | None
    resource: str
    declared: Any
    live: Any
    message: str


@dataclass
class AuditResult:
    account: str
    region: str
    findings: list[Finding] = field(default_factory=list)
    incomplete: list[Incomplete] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    resources: dict[str, int] = field(default_factory=dict)  # resources read, per kind
    seconds: float = 0.0
    stack: str | None = None
    skipped: list[str] = field(default_factory=list)  # control ids the user chose not to check (--skip)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add_finding(self, finding: Finding) -> None:
        with self._lock:
            if finding not in self.findings:
                self.findings.append(finding)

    def add_incomplete(self, entry: Incomplete) -> None:
        with self._lock:
            if entry not in self.incomplete:
                self.incomplete.append(entry)

    def count(self, kind: str, n: int) -> None:
        with self._lock:
            self.resources[kind] = self.resources.get(kind, 0) + n

    @property
    def mandatory(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "mandatory"]

    def exit_code(self) -> int:
        """2 when any check did not run, else 1 on a mandatory finding or a weakening of a declared setting,
        else 0."""
        if self.incomplete:
            return 2
        return 1 if self.mandatory or any(d.kind == "weakened" for d in self.drift) else 0

    def sort(self) -> None:
        self.findings.sort(key=lambda f: (f.control, f.resource, f.message))
        self.incomplete.sort(key=lambda i: (i.check, i.reason))
        self.drift.sort(key=lambda d: (d.kind, d.resource, d.control or "", d.message))

    def summary(self) -> dict[str, Any]:
        return {
            "findings": len(self.findings),
            "mandatory": len(self.mandatory),
            "advisory": sum(1 for f in self.findings if f.level == "advisory"),
            "controls": len({f.control for f in self.findings}),
            "incomplete": len(self.incomplete),
            "skipped": list(self.skipped),
            "drift": {k: sum(1 for d in self.drift if d.kind == k) for k in ("missing", "unexpected", "weakened")},
            "resources": dict(sorted(self.resources.items())),
            "seconds": round(self.seconds, 2),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "region": self.region,
            "stack": self.stack,
            "findings": [asdict(f) for f in self.findings],
            "incomplete": [asdict(i) for i in self.incomplete],
            "drift": [asdict(d) for d in self.drift],
            "skipped": [{"control": c, "reason": "--skip: not checked, not passed"} for c in self.skipped],
            "summary": self.summary(),
        }
