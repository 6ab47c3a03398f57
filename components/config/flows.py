"""The declared zone-to-zone flow matrix: the single source of every allow rule."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Name, StrictModel


class Port(StrictModel):
    port: int = Field(ge=1, le=65535)
    end_port: int | None = Field(default=None, ge=1, le=65535, description="Last port of a range (inclusive).")
    protocol: Literal["TCP", "UDP"] = "TCP"

    @model_validator(mode="after")
    def _range(self) -> Port:
        if self.end_port is not None and self.end_port < self.port:
            raise ValueError(f"end_port {self.end_port} is below port {self.port}")
        return self


class Flow(StrictModel):
    """Pods of zone `from` may open connections to pods of zone `to` on `ports`."""

    source: Name = Field(alias="from")
    target: Name = Field(alias="to")
    ports: list[Port] = Field(min_length=1, max_length=32)
    description: str = Field(default="", max_length=256)
