"""The resource-side data perimeter of the ePHI buckets: who may use them, and through which network path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from .base import StrictModel
from .cluster import IamArn
from .errors import Problem

if TYPE_CHECKING:  # the platform's model holds this one
    from .platform import PlatformConfig

VpceId = Annotated[str, Field(pattern=r"^vpce-[0-9a-f]{8,17}$")]


class DataPerimeter(StrictModel):
    """Every datasets, models and checkpoints bucket's policy denies data access (objects and listings) to any
    principal but the bucket's declared identities, the deployment roles and the break-glass roles, and denies
    it to anyone but those admin roles outside the stack's S3 VPC endpoints (AWS services acting for a principal,
    `aws:ViaAWSService`, and service principals excepted). A stolen zone credential is useless outside the VPC,
    and a role the stack did not declare is refused even inside it."""

    enabled: bool = Field(default=True, description="WEAKENING when false: the ePHI buckets get no perimeter.")
    deployment_role_arns: list[IamArn] = Field(
        default_factory=list,
        max_length=5,
        description="The roles that run `pulumi up` (from the CI runners, outside the VPC): admitted from anywhere, "
        "so the stack can still manage its buckets. Required while the perimeter is on.",
    )
    break_glass_role_arns: list[IamArn] = Field(
        default_factory=list,
        max_length=5,
        description="Emergency roles admitted from anywhere (guard them with MFA and alarms on their use).",
    )
    s3_endpoint_ids: list[VpceId] = Field(
        default_factory=list,
        max_length=10,
        description="The S3 VPC endpoints requests must come through, for an existing VPC whose endpoints the stack "
        "does not create (network.create_endpoints: false); otherwise the stack's own S3 endpoints are used.",
    )

    @property
    def admin_role_arns(self) -> list[str]:
        """The roles admitted from anywhere: deployment, then break-glass."""
        return [*self.deployment_role_arns, *self.break_glass_role_arns]


def check_perimeter(cfg: PlatformConfig) -> Iterator[Problem]:
    """The perimeter names the roles that deploy it and the endpoints it admits, all of this account."""
    perimeter = cfg.data_perimeter
    if not perimeter.enabled:
        return
    account = cfg.account_id or "111122223333"
    if not perimeter.deployment_role_arns:
        yield Problem(
            ("data_perimeter", "deployment_role_arns"),
            "the ePHI buckets' perimeter refuses data access to every role it does not name, from outside the VPC "
            "too: list the role that runs `pulumi up` (usually one of cluster.admin_role_arns), e.g. "
            f"'arn:aws:iam::{account}:role/platform-deployer'",
        )
    for field in ("deployment_role_arns", "break_glass_role_arns"):
        for i, arn in enumerate(getattr(perimeter, field)):
            if cfg.account_id and f":{cfg.account_id}:" not in arn:
                yield Problem(("data_perimeter", field, i), f"the role is not in the stack's account {cfg.account_id}",
                              arn)  # fmt: skip
    creates = cfg.network.mode == "create" or cfg.network.create_endpoints
    if creates and perimeter.s3_endpoint_ids:
        yield Problem(
            ("data_perimeter", "s3_endpoint_ids"),
            "the stack creates the VPC's S3 endpoints and admits exactly those; remove this list (it is for an "
            "existing VPC with network.create_endpoints: false)",
            perimeter.s3_endpoint_ids,
        )
    if not creates and not perimeter.s3_endpoint_ids:
        yield Problem(
            ("data_perimeter", "s3_endpoint_ids"),
            "the stack creates no S3 endpoint (network.create_endpoints: false), so name the VPC's own S3 gateway "
            "and interface endpoints the ePHI buckets admit, e.g. ['vpce-0a1b2c3d4e5f60718']",
        )
