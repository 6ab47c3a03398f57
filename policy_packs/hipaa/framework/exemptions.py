"""Exemptions: a control waived for named resources, with a reason, an owner and an expiry date.

They live in the pack config (the `exemptions` policy's `entries`), so `pulumi preview --policy-pack-config`
and `enclave preview` read the same ones. An exempted finding is still reported (advisory, marked
EXEMPTED with its reason and owner), never hidden; an expired or malformed exemption is itself a mandatory
violation; one that matched nothing is reported. An entry may not waive a control wholesale: a pattern made
of wildcards only is refused as it is read, and one that covers every resource its control checks (or more
than `maxResources` of them) is refused once the stack is known. Nor may it last longer than `maxWaiverDays`.

The same policy holds the pack config's floor: `minimumLevel` (e.g. `mandatory` in prod) refuses any policy
configured below it unless a `levelWaivers` entry (policy, level, reason, owner, expiry) says who accepted it.
"""

from __future__ import annotations

import datetime
import fnmatch
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import stages as staging
from .model import Resource

ENTRY_SCHEMA: dict[str, Any] = {
    "type": "array",
    "maxItems": 500,
    "items": {
        "type": "object",
        "required": ["control", "reason", "owner", "expires"],
        "additionalProperties": False,
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
ENTRY_KEYS = frozenset(ENTRY_SCHEMA["items"]["properties"])
MIN_REASON_WORDS = 4
# Level order for `minimumLevel`: remediate enforces (it fixes the inputs, and what it cannot fix is mandatory).
LEVEL_RANK = {"disabled": 0, "advisory": 1, "mandatory": 2, "remediate": 2}
DEFAULT_MAX_WAIVER_DAYS = 365
DEFAULT_MAX_RESOURCES = 20
WAIVER_SCHEMA: dict[str, Any] = {
    "type": "array",
    "maxItems": 500,
    "items": {
        "type": "object",
        "required": ["policy", "level", "reason", "owner", "expires"],
        "additionalProperties": False,
        "properties": {
            "policy": {"type": "string", "description": "The policy configured below minimumLevel."},
            "level": {"type": "string", "enum": ["advisory", "disabled"], "description": "The level it runs at."},
            "reason": {"type": "string", "description": "Why, in at least a sentence."},
            "owner": {"type": "string", "description": "Who answers for it (a person or team)."},
            "expires": {"type": "string", "description": "Last day it holds, YYYY-MM-DD."},
        },
    },
}
# The `exemptions` policy's own settings, beside its `entries`.
GATE_SCHEMA: dict[str, dict[str, Any]] = {
    "maxWaiverDays": {
        "type": "integer",
        "minimum": 1,
        "maximum": 1096,
        "default": DEFAULT_MAX_WAIVER_DAYS,
        "description": "The longest an exemption or level waiver may run, in days from today (its `expires`).",
    },
    "maxResources": {
        "type": "integer",
        "minimum": 1,
        "maximum": 1000,
        "default": DEFAULT_MAX_RESOURCES,
        "description": "The most resources one exemption may cover among those its control checks; an entry "
        "covering all of them (two or more) is a control-wide waiver and is refused whatever this says.",
    },
    "minimumLevel": {
        "type": "string",
        "enum": ["disabled", "advisory", "mandatory"],
        "default": "disabled",
        "description": "No policy may be configured below this level (remediate counts as mandatory) unless a "
        "levelWaivers entry names it; `disabled` sets no floor.",
    },
    "levelWaivers": {
        **WAIVER_SCHEMA,
        "default": [],
        "description": "Policies allowed below minimumLevel: policy, level, reason, owner, expires.",
    },
}


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

    @property
    def where(self) -> str:
        return f"exemptions.entries[{self.index}]"


@dataclass(frozen=True)
class LevelWaiver:
    index: int
    policy: str
    level: str
    reason: str
    owner: str
    expires: datetime.date

    @property
    def where(self) -> str:
        return f"exemptions.levelWaivers[{self.index}]"


def _all_wildcards(pattern: str) -> bool:
    """A pattern of '*' and '?' only (`*`, `**`, `?*`): it matches any name or URN."""
    return "*" in pattern and not pattern.strip("*?")


def _accountable(entry: Mapping[str, Any], where: str, max_days: int, today_: datetime.date) -> str | datetime.date:
    """The entry's expiry date when its reason, owner and expiry hold, else the problem."""
    reason, owner = entry.get("reason"), entry.get("owner")
    if not isinstance(reason, str) or len(reason.split()) < MIN_REASON_WORDS:
        return f"{where}.reason: say why in a sentence (at least {MIN_REASON_WORDS} words)"
    if not isinstance(owner, str) or not owner.strip():
        return f"{where}.owner: name who answers for it"
    try:
        expires = datetime.date.fromisoformat(str(entry.get("expires")))
    except ValueError:
        return f"{where}.expires = {entry.get('expires')!r}: a date YYYY-MM-DD"
    latest = today_ + datetime.timedelta(days=max_days)
    if expires > latest:
        return (
            f"{where}.expires = {expires.isoformat()!r}: at most {max_days} days ahead (maxWaiverDays), i.e. "
            f"{latest.isoformat()} or sooner; renew it then with a fresh reason"
        )
    return expires


def _unknown_keys(entry: Mapping[str, Any], allowed: Iterable[str], where: str) -> str | None:
    extra = sorted(str(k) for k in entry if k not in set(allowed))
    if not extra:
        return None
    return f"{where}: unknown key {', '.join(repr(k) for k in extra)}; an entry has only {', '.join(sorted(allowed))}"


def parse(
    entries: Any, known_controls: Iterable[str], max_days: int = DEFAULT_MAX_WAIVER_DAYS
) -> tuple[list[Exemption], list[str]]:
    """(valid exemptions, one problem message per invalid entry)."""
    controls = set(known_controls)
    valid: list[Exemption] = []
    problems: list[str] = []
    if entries is None:
        return valid, problems
    if not isinstance(entries, list):
        return valid, [f"exemptions.entries must be a list, got {type(entries).__name__}"]
    day = today()
    for i, entry in enumerate(entries):
        where = f"exemptions.entries[{i}]"
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: must be an object with control, a target, reason, owner and expires")
            continue
        unknown = _unknown_keys(entry, ENTRY_KEYS, where)
        if unknown:
            problems.append(unknown)
            continue
        control = entry.get("control")
        if control not in controls:
            problems.append(f"{where}.control = {control!r}: no such control (see RULES.md)")
            continue
        targets = {k: entry.get(k) for k in ("urn", "type", "name") if entry.get(k) is not None}
        if not targets or not all(isinstance(v, str) and v for v in targets.values()):
            problems.append(f"{where}: name what it exempts with urn, type or name (a control-wide waiver is refused)")
            continue
        wild = [f"{k}={v!r}" for k, v in targets.items() if k != "type" and _all_wildcards(str(v))]
        if wild:
            problems.append(
                f"{where}: {', '.join(wild)} matches every resource: a control-wide waiver is refused; name the "
                "resources it exempts"
            )
            continue
        expires = _accountable(entry, where, max_days, day)
        if isinstance(expires, str):
            problems.append(expires)
            continue
        reason, owner = str(entry["reason"]), str(entry["owner"])
        valid.append(
            Exemption(
                i,
                str(control),
                reason.strip(),
                owner.strip(),
                expires,
                urn=targets.get("urn"),
                type=targets.get("type"),
                name=targets.get("name"),
            )
        )
    return valid, problems


def parse_waivers(
    waivers: Any, known_policies: Iterable[str], max_days: int = DEFAULT_MAX_WAIVER_DAYS
) -> tuple[list[LevelWaiver], list[str]]:
    """(valid level waivers, one problem message per invalid entry)."""
    policies = set(known_policies)
    valid: list[LevelWaiver] = []
    problems: list[str] = []
    if waivers is None:
        return valid, problems
    if not isinstance(waivers, list):
        return valid, [f"exemptions.levelWaivers must be a list, got {type(waivers).__name__}"]
    day = today()
    allowed = WAIVER_SCHEMA["items"]["properties"]
    for i, entry in enumerate(waivers):
        where = f"exemptions.levelWaivers[{i}]"
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: must be an object with policy, level, reason, owner and expires")
            continue
        unknown = _unknown_keys(entry, allowed, where)
        if unknown:
            problems.append(unknown)
            continue
        if entry.get("policy") not in policies:
            problems.append(f"{where}.policy = {entry.get('policy')!r}: no such policy in this pack (see RULES.md)")
            continue
        if entry.get("level") not in ("advisory", "disabled"):
            problems.append(f"{where}.level = {entry.get('level')!r}: advisory or disabled")
            continue
        expires = _accountable(entry, where, max_days, day)
        if isinstance(expires, str):
            problems.append(expires)
            continue
        valid.append(
            LevelWaiver(
                i,
                str(entry["policy"]),
                str(entry["level"]),
                str(entry["reason"]).strip(),
                str(entry["owner"]).strip(),
                expires,
            )
        )
    return valid, problems


def level_problems(
    levels: Mapping[str, str], minimum: str, waivers: Iterable[LevelWaiver], today_: datetime.date
) -> list[str]:
    """Each policy configured below `minimum` without a current waiver for exactly its level, and each waiver
    that is expired or waives nothing."""
    floor = LEVEL_RANK.get(minimum, 0)
    by_policy = {w.policy: w for w in waivers}
    out: list[str] = []
    for name in sorted(levels):
        level = levels[name]
        if LEVEL_RANK.get(level, 0) >= floor:
            continue
        waiver = by_policy.get(name)
        if waiver is None or waiver.level != level:
            out.append(
                f"policy {name} is {level} in this pack config, below its minimumLevel {minimum}: make it {minimum}, "
                f"or add an exemptions.levelWaivers entry {{policy: {name}, level: {level}, reason, owner, expires}}"
            )
        elif today_ > waiver.expires:
            out.append(
                f"{waiver.where}: the waiver of {name} at {level} (owner {waiver.owner}) expired on "
                f"{waiver.expires.isoformat()}: make the policy {minimum}, or renew the waiver with a new date and "
                "reason"
            )
    for waiver in waivers:
        if waiver.policy in levels and levels[waiver.policy] != waiver.level:
            out.append(
                f"{waiver.where}: waives {waiver.policy} at {waiver.level}, but it is {levels[waiver.policy]}: "
                "remove the waiver"
            )
    return out


def too_broad(
    entry: Exemption, resources: Iterable[tuple[str, str, str]], checked: Iterable[str] | None, limit: int
) -> str | None:
    """Why `entry` is a control-wide waiver, given the stack's (urn, type, name) and the types its control checks
    (None: the stack as a whole): it covers every resource checked (two or more), or more than `limit`."""
    every = list(resources)
    types = set(checked) if checked is not None else None
    scope = [r for r in every if types is None or r[1] in types]
    covered = [r for r in scope if entry.matches(entry.control, r[0], r[1], r[2])]
    if len(scope) > 1 and len(covered) == len(scope):
        return (
            f"{entry.where}: {entry.target()} covers all {len(scope)} resources {entry.control} checks: a "
            "control-wide waiver is refused; name the resources it exempts"
        )
    if len(covered) > limit:
        return (
            f"{entry.where}: {entry.target()} covers {len(covered)} resources {entry.control} checks, more than "
            f"maxResources ({limit}): name fewer resources, or raise maxResources with a reason in the pack config"
        )
    return None


class Registry:
    """The exemptions of the running pack and which of them matched a finding (shared by every policy of the
    pack process: resource policies during Analyze, the exemptions policy at AnalyzeStack)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entries: list[Exemption] = []
        self.problems: list[str] = []
        self.matched: set[int] = set()
        self.refused: set[int] = set()
        self.max_resources = DEFAULT_MAX_RESOURCES
        # policies below the pack config's minimumLevel without a waiver, and waivers that do not hold
        self.floor: list[str] = []
        # what each entry exempted: (policy, urn, the finding's text without its EXEMPTED line)
        self.exempted: dict[int, list[tuple[str, str, str]]] = {}
        # zones below enforce (`stages`), their problems, and which of them explained a finding
        self.stages: list[staging.StagedZone] = []
        self.stage_problems: list[str] = []
        self.stages_matched: set[int] = set()

    def configure(
        self,
        entries: Any,
        known_controls: Iterable[str],
        max_days: int = DEFAULT_MAX_WAIVER_DAYS,
        max_resources: int = DEFAULT_MAX_RESOURCES,
        floor: Iterable[str] = (),
        stages: Any = None,
    ) -> None:
        valid, problems = parse(entries, known_controls, max_days)
        staged, stage_problems = staging.parse(stages, max_days, today())
        with self._lock:
            self.entries, self.problems, self.matched = valid, problems, set()
            self.refused, self.max_resources, self.floor = set(), max_resources, list(floor)
            self.exempted = {}
            self.stages, self.stage_problems, self.stages_matched = staged, stage_problems, set()

    def staged(self, control: str, resource: Resource | None) -> list[staging.StagedZone]:
        """The zones below enforce whose stage explains this finding (see framework.stages)."""
        zones = staging.explaining(control, resource, self.stages)
        with self._lock:
            self.stages_matched.update(z.index for z in zones)
        return zones

    def record(self, index: int, policy: str, urn: str, text: str) -> None:
        with self._lock:
            self.exempted.setdefault(index, []).append((policy, urn, text))

    def revoked(self) -> list[tuple[str, str, str, str]]:
        """(entry, policy, urn, text) of each finding a refused entry had exempted."""
        with self._lock:
            return [
                (f"exemptions.entries[{index}]", policy, urn, text)
                for index in sorted(self.refused)
                for policy, urn, text in self.exempted.get(index, [])
            ]

    def refuse_broad(self, resources: list[tuple[str, str, str]], checked: Mapping[str, set[str] | None]) -> None:
        """Once the stack is known: entries that waive their control wholesale become problems and exempt
        nothing more (findings already marked during Analyze stay visible; the problem fails the run)."""
        for e in self.entries:
            why = too_broad(e, resources, checked.get(e.control), self.max_resources)
            if why is not None:
                with self._lock:
                    self.refused.add(e.index)
                    self.problems.append(why)

    def match(self, control: str, urn: str, rtype: str, name: str) -> Exemption | None:
        for e in self.entries:
            if e.index not in self.refused and e.matches(control, urn, rtype, name):
                with self._lock:
                    self.matched.add(e.index)
                return e
        return None


REGISTRY = Registry()


def today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()
