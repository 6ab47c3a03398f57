"""GPU node pool config: instance types, capacity, sizes, EFA and placement."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .base import Name, StrictModel

InstanceTypeName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*\.[0-9a-z]+$", max_length=32)]


class NodePool(StrictModel):
    """A managed node group dedicated to one zone."""

    name: Name
    zone: Name = Field(description="The zone whose workloads (and only those) run on this pool.")
    instance_types: list[InstanceTypeName] = Field(min_length=1, max_length=10)
    capacity_type: Literal["ON_DEMAND", "SPOT", "CAPACITY_BLOCK"] = "ON_DEMAND"
    min_size: int = Field(default=0, ge=0, le=1000)
    desired_size: int = Field(default=1, ge=0, le=1000)
    max_size: int = Field(default=1, ge=1, le=1000)
    disk_size_gib: int = Field(default=200, ge=20, le=16384, description="Encrypted gp3 root volume size.")
    efa: bool = Field(default=False, description="Attach EFA interfaces (training zones only).")
    placement_group: bool = Field(
        default=True,
        description="Cluster placement group for EFA pools; set false for capacity reservations/blocks.",
    )
    availability_zone: Annotated[str, Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$")] | None = Field(
        default=None, description="Single AZ for the pool; required with EFA (EFA traffic stays in one AZ)."
    )
    capacity_reservation_id: Annotated[str, Field(pattern=r"^cr-[0-9a-f]{8,17}$")] | None = None

    @model_validator(mode="after")
    def _sizes(self) -> NodePool:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"sizes must satisfy min_size <= desired_size <= max_size "
                f"(got {self.min_size} <= {self.desired_size} <= {self.max_size})"
            )
        return self
