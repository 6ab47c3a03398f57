"""Zones adopted in stages: a zone below `enforce` (observe, warn) leaves named controls weak on its own objects.

The pack config's `exemptions` policy lists them under `stages` (zone, namespaces, stage, owner, expires, config),
as the stack config declares them (`zones[].rollout`). A finding of a control the zone's stage explains, on an
object of that zone only, is exempted the way an `entries` exemption is (advisory, `EXEMPTED until ...`) and
names the zone, its stage, owner and expiry; without an expiry, or past it, the finding stays mandatory and
says why. A finding on an object of an enforce zone, or of a control the stage does not explain, is unchanged.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .kube import ZONE_LABEL, name_of, namespace_of, selector_matches
from .model import Resource

# What each stage leaves weak (README: Adopt in stages): observe refuses nothing (Pod Security, admission, default
# deny, internet egress, the zone matrix, mTLS, authorization, REGISTRY_ONLY); warn denies the mesh proxy's
# identity (K8S-11) too. Nothing else: quotas, RBAC, node agents, buckets, keys and logs are never staged.
OBSERVE_CONTROLS = frozenset({
    "K8S-01", "K8S-02", "K8S-03", "K8S-04", "K8S-09", "K8S-10", "K8S-11", "K8S-14", "K8S-15", "K8S-17", "K8S-20",
    "K8S-21", "MESH-01", "MESH-02", "MESH-03", "MESH-06", "DATA-04",
})  # fmt: skip
STAGE_CONTROLS: Mapping[str, frozenset[str]] = {
    "observe": OBSERVE_CONTROLS,
    "warn": OBSERVE_CONTROLS - {"K8S-11"},
}
STAGE_SCHEMA: dict[str, Any] = {
    "type": "array",
    "maxItems": 64,
    "default": [],
    "description": "Zones below enforce (the stack config's zones[].rollout): the controls their stage leaves weak "
    "are exempted on their objects with the zone's owner and expiry; mandatory without an expiry.",
    "items": {
        "type": "object",
        "required": ["zone", "namespaces", "stage", "owner"],
        "additionalProperties": False,
        "properties": {
            "zone": {"type": "string", "description": "The zone's name."},
            "namespaces": {"type": "array", "items": {"type": "string"}, "description": "The zone's namespaces."},
            "stage": {"type": "string", "enum": sorted(STAGE_CONTROLS), "description": "observe | warn."},
            "owner": {"type": "string", "description": "Who answers for the zone below enforce."},
            "expires": {"type": "string", "description": "Last day it may stay below enforce, YYYY-MM-DD."},
            "config": {"type": "string", "description": "Where the stack config says so, e.g. zones[3].rollout."},
        },
    },
}


@dataclass(frozen=True)
class StagedZone:
    index: int
    zone: str
    namespaces: frozenset[str]
    stage: str
    owner: str
    expires: datetime.date | None
    config: str

    @property
    def where(self) -> str:
        return f"exemptions.stages[{self.index}]"

    def describe(self) -> str:
        until = f"until {self.expires.isoformat()}" if self.expires else "with no expiry"
        return f"zone {self.zone} is at stage {self.stage} {until} (owner {self.owner}; {self.config})"


def parse(entries: Any, max_days: int, today: datetime.date) -> tuple[list[StagedZone], list[str]]:
    """(valid staged zones, one problem message per invalid entry)."""
    if entries is None:
        return [], []
    if not isinstance(entries, list):
        return [], [f"exemptions.stages must be a list, got {type(entries).__name__}"]
    valid: list[StagedZone] = []
    problems: list[str] = []
    allowed = set(STAGE_SCHEMA["items"]["properties"])
    for i, entry in enumerate(entries):
        where = f"exemptions.stages[{i}]"
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: must be an object with zone, namespaces, stage, owner (and expires)")
            continue
        extra = sorted(str(k) for k in entry if k not in allowed)
        zone, namespaces, stage, owner = (entry.get(k) for k in ("zone", "namespaces", "stage", "owner"))
        if extra:
            problems.append(f"{where}: unknown key {', '.join(repr(k) for k in extra)}")
        elif not isinstance(zone, str) or not zone:
            problems.append(f"{where}.zone: name the zone")
        elif not isinstance(namespaces, list) or not namespaces or not all(isinstance(n, str) for n in namespaces):
            problems.append(f"{where}.namespaces: list the zone's namespaces")
        elif stage not in STAGE_CONTROLS:
            problems.append(f"{where}.stage = {stage!r}: observe or warn (an enforce zone needs no entry)")
        elif not isinstance(owner, str) or not owner.strip():
            problems.append(f"{where}.owner: name who answers for zone {zone} below enforce")
        else:
            expires = _expiry(entry.get("expires"), where, max_days, today)
            if isinstance(expires, str):
                problems.append(expires)
                continue
            config = entry.get("config")
            valid.append(StagedZone(i, zone, frozenset(namespaces), str(stage), owner.strip(), expires,
                                    config if isinstance(config, str) and config else where))  # fmt: skip
    return valid, problems


def _expiry(value: Any, where: str, max_days: int, today: datetime.date) -> datetime.date | str | None:
    if value is None:
        return None
    try:
        expires = datetime.date.fromisoformat(str(value))
    except ValueError:
        return f"{where}.expires = {value!r}: a date YYYY-MM-DD"
    latest = today + datetime.timedelta(days=max_days)
    if expires > latest:
        return f"{where}.expires = {expires.isoformat()!r}: at most {max_days} days ahead (maxWaiverDays), i.e. " \
               f"{latest.isoformat()} or sooner"  # fmt: skip
    return expires


# A zone no stage entry names: a selector that matches it reaches an enforce zone.
_OTHER_ZONE = {ZONE_LABEL: "\x00a zone at enforce"}


def zones_of(resource: Resource, staged: Iterable[StagedZone]) -> list[StagedZone] | None:
    """The staged zones `resource` belongs to, or None when it is no object of staged zones only: a namespaced
    object in a staged zone's namespace, a staged zone's Namespace, or an admission binding whose namespace
    selector selects staged zones and no other."""
    zones = list(staged)
    if resource.type.startswith("kubernetes:core/v1:Namespace"):
        name = name_of(resource)
        found = [z for z in zones if name in z.namespaces]
        return found or None
    namespace = namespace_of(resource)
    if namespace is not None:
        found = [z for z in zones if namespace in z.namespaces]
        return found or None
    selector = resource.get("spec.matchResources.namespaceSelector")
    if resource.type.startswith("kubernetes:admissionregistration.k8s.io/") and isinstance(selector, Mapping):
        if selector_matches(selector, _OTHER_ZONE):
            return None
        found = [z for z in zones if selector_matches(selector, {ZONE_LABEL: z.zone})]
        return found or None
    return None


def explaining(control: str, resource: Resource | None, staged: Iterable[StagedZone]) -> list[StagedZone]:
    """The staged zones whose stage explains a finding of `control` on `resource` (all of the zones it belongs to),
    or [] when the finding stands as it is."""
    if resource is None:
        return []
    zones = zones_of(resource, staged)
    if not zones or not all(control in STAGE_CONTROLS[z.stage] for z in zones):
        return []
    return zones
