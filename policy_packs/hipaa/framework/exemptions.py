"""Exemptions: a control waived for named resources, with a reason, an owner and an expiry date.

They live in the pack config (the `exemptions` policy's `entries`), so `pulumi preview --policy-pack-config`
and `enclave preview` read the same ones. An exempted finding is still reported (advisory, marked
EXEMPTED with its reason and owner), never hidden; an expired or malformed exemption is itself a mandatory
violation; one that matched nothing is reported.
"""

from __future__ import annotations

import datetime
import fnmatch
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ENTRY_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["control", "reason", "owner", "expires"],
        "properties": {
            "control": {"type": "string", "description": "The control id, e.g. S3-09."},
            "urn": {"type": "string", "description": "Resource URN pattern ('*' and '?' wildcards)."},
            "type": {"type": "string", "description": "Resource type token, e.g. aws:s3/bucket:Bucket."},
            "name": {"type": "string", "description": "Resource name pattern."},
            "reason": {"type": "string", "description": "Why, in at least a sentence."},
            "owner": {"type": "string", "description": "Who answers for it (a person or team)."},
            "expires": {"type": "string", "description": "Last day it holds, YYYY-MM-DD."},
        },
    },
}
MIN_REASON_WORDS = 4


@dataclass(frozen=True)
class Exemption:
    index: int
    control: str
    reason: str
    owner: str
    expires: datetime.date
    urn: str | None = None
    type: str | None = None
    name: str | None = None

    def target(self) -> str:
        parts = [f"{k}={v}" for k, v in (("urn", self.urn), ("type", self.type), ("name", self.name)) if v]
        return ", ".join(parts)

    def matches(self, control: str, urn: str, rtype: str, name: str) -> bool:
        if control != self.control:
            return False
        if self.urn is not None and not fnmatch.fnmatchcase(urn, self.urn):
            return False
        if self.type is not None and rtype != self.type:
            return False
        return self.name is None or fnmatch.fnmatchcase(name, self.name)

    def expired(self, today: datetime.date) -> bool:
        return today > self.expires


def parse(entries: Any, known_controls: Iterable[str]) -> tuple[list[Exemption], list[str]]:
    """(valid exemptions, one problem message per invalid entry)."""
    controls = set(known_controls)
    valid: list[Exemption] = []
    problems: list[str] = []
    if entries is None:
        return valid, problems
    if not isinstance(entries, list):
        return valid, [f"exemptions.entries must be a list, got {type(entries).__name__}"]
    for i, entry in enumerate(entries):
        where = f"exemptions.entries[{i}]"
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: must be an object with control, a target, reason, owner and expires")
            continue
        control = entry.get("control")
        if control not in controls:
            problems.append(f"{where}.control = {control!r}: no such control (see RULES.md)")
            continue
        targets = {k: entry.get(k) for k in ("urn", "type", "name") if entry.get(k) is not None}
        if not targets or not all(isinstance(v, str) and v for v in targets.values()):
            problems.append(f"{where}: name what it exempts with urn, type or name (a control-wide waiver is refused)")
            continue
        reason, owner = entry.get("reason"), entry.get("owner")
        if not isinstance(reason, str) or len(reason.split()) < MIN_REASON_WORDS:
            problems.append(f"{where}.reason: say why in a sentence (at least {MIN_REASON_WORDS} words)")
            continue
        if not isinstance(owner, str) or not owner.strip():
            problems.append(f"{where}.owner: name who answers for the exemption")
            continue
        try:
            expires = datetime.date.fromisoformat(str(entry.get("expires")))
        except ValueError:
            problems.append(f"{where}.expires = {entry.get('expires')!r}: a date YYYY-MM-DD")
            continue
        valid.append(
            Exemption(
                i,
                control,
                reason.strip(),
                owner.strip(),
                expires,
                urn=targets.get("urn"),
                type=targets.get("type"),
                name=targets.get("name"),
            )
        )
    return valid, problems


class Registry:
    """The exemptions of the running pack and which of them matched a finding (shared by every policy of the
    pack process: resource policies during Analyze, the exemptions policy at AnalyzeStack)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entries: list[Exemption] = []
        self.problems: list[str] = []
        self.matched: set[int] = set()

    def configure(self, entries: Any, known_controls: Iterable[str]) -> None:
        valid, problems = parse(entries, known_controls)
        with self._lock:
            self.entries, self.problems, self.matched = valid, problems, set()

    def match(self, control: str, urn: str, rtype: str, name: str) -> Exemption | None:
        for e in self.entries:
            if e.matches(control, urn, rtype, name):
                with self._lock:
                    self.matched.add(e.index)
                return e
        return None


REGISTRY = Registry()


def today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()
