"""The declared zone-to-zone flow matrix: the single source of every allow rule."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

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


def _ports(value: Any) -> Any:
    """A port is a number (443) or an object ({port: 50000, end_port: 51023, protocol: UDP}), wherever ports
    are listed."""
    if isinstance(value, list):
        return [{"port": v} if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
    return value


PortList = Annotated[
    list[Port], BeforeValidator(_ports, json_schema_input_type=list[Annotated[int, Field(ge=1, le=65535)] | Port])
]


class Flow(StrictModel):
    """Pods of zone `from` may open connections to pods of zone `to` on `ports`."""

    source: Name = Field(alias="from")
    target: Name = Field(alias="to")
    ports: PortList = Field(min_length=1, max_length=32, description="443, or {port, end_port, protocol}.")
    description: str = Field(default="", max_length=256)
