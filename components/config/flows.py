"""The declared zone-to-zone flow matrix: the single source of every allow rule."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Name, StrictModel


class Port(StrictModel):
    port: int = Field(ge=1, le=65535)
    protocol: Literal["TCP", "UDP"] = "TCP"


class Flow(StrictModel):
    """Pods of zone `from` may open connections to pods of zone `to` on `ports`."""

    source: Name = Field(alias="from")
    target: Name = Field(alias="to")
    ports: list[Port] = Field(min_length=1, max_length=32)
    description: str = Field(default="", max_length=256)
