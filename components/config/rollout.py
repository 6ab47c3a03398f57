"""Adopt in stages: how far a zone's controls are enforced while a live, open cluster is brought in (README:
"Adopt in stages"), and who answers for a zone below `enforce` until when."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from typing import Annotated, Literal, Protocol

from pydantic import Field, model_validator

from .base import StrictModel
from .errors import Problem

RolloutStage = Literal["observe", "warn", "enforce"]
# Environment names that are production: a zone below `enforce` there must say until when.
PRODUCTION_ENVIRONMENTS = frozenset({"prod", "production"})


class Rollout(StrictModel):
    """The zone's adoption stage. `observe`: nothing is refused, everything the zone would refuse is logged or
    warned; `warn`: adds the refusals that break nothing running; `enforce` (default): every control."""

    stage: RolloutStage = Field(default="enforce", description="observe | warn | enforce (README: Adopt in stages).")
    owner: Annotated[str, Field(min_length=1, max_length=128, pattern=r"\S")] | None = Field(
        default=None, description="Who answers for the zone below enforce (a person or team): required then."
    )
    expires: Annotated[datetime.date, Field(strict=False)] | None = Field(
        default=None,
        description="Last day the zone may stay below enforce (YYYY-MM-DD). Required in prod; without it the "
        "pack reports the controls the stage leaves weak as mandatory findings instead of exempted ones.",
    )

    @model_validator(mode="after")
    def _accountable(self) -> Rollout:
        if self.stage == "enforce":
            if self.owner is not None or self.expires is not None:
                raise ValueError("owner and expires are for a zone below enforce; remove them (stage is enforce)")
            return self
        if self.owner is None:
            raise ValueError(f"stage {self.stage!r} needs an owner: who answers for the zone until it enforces")
        today = datetime.datetime.now(datetime.UTC).date()
        if self.expires is not None and self.expires < today:
            raise ValueError(
                f"expires = '{self.expires.isoformat()}' is in the past (today is {today.isoformat()}): move the "
                "zone to stage enforce, or set a new date with its owner's agreement"
            )
        return self


class _Staged(Protocol):
    """A zone as these checks read it (zones.Zone imports this module, so it is not imported here)."""

    @property
    def name(self) -> str: ...
    @property
    def namespaces(self) -> list[str]: ...
    @property
    def rollout(self) -> Rollout: ...


def check_rollouts(environment: str, zones: Sequence[_Staged]) -> Iterator[Problem]:
    """A production environment refuses a zone below enforce without an expiry date."""
    if environment not in PRODUCTION_ENVIRONMENTS:
        return
    for i, zone in enumerate(zones):
        rollout = zone.rollout
        if rollout.stage != "enforce" and rollout.expires is None:
            yield Problem(
                ("zones", i, "rollout", "expires"),
                f"environment {environment!r} is production: zone {zone.name!r} at stage "
                f"{rollout.stage!r} needs an expiry date; set rollout.expires (YYYY-MM-DD), or stage enforce",
                None,
            )


def pack_stages(zones: Sequence[_Staged]) -> list[dict[str, object]]:
    """The pack config's `exemptions.stages` for these zones (what `enclave preview` requires the pack config to
    carry): one entry per zone below enforce, with its namespaces, owner, expiry and where the config says so."""
    out: list[dict[str, object]] = []
    for i, zone in enumerate(zones):
        rollout = zone.rollout
        if rollout.stage == "enforce":
            continue
        entry: dict[str, object] = {
            "zone": zone.name,
            "namespaces": list(zone.namespaces),
            "stage": rollout.stage,
            "owner": rollout.owner,
        }
        if rollout.expires is not None:
            entry["expires"] = rollout.expires.isoformat()
        entry["config"] = f"zones[{i}].rollout"
        out.append(entry)
    return out
