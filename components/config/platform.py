"""The root of the stack config: one PlatformConfig per stack (`gpu-enclave:platform`)."""

from __future__ import annotations

import difflib
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from .base import Name, StrictModel, Tags
from .buckets import Bucket
from .cluster import Cluster
from .detection import Detection
from .flows import Flow
from .identities import Identity
from .images import ZoneImages
from .kubernetes import KubernetesConfig
from .log_retention import Logging
from .network import Network
from .perimeter import DataPerimeter
from .pools import NodePool
from .secrets import Secrets
from .storage import Storage
from .zones import Zone

# AWS regions with EKS (https://docs.aws.amazon.com/general/latest/gr/eks.html), as of 2026-11.
AWS_REGIONS = (
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
    "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "cn-north-1", "cn-northwest-1",
    "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
    "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1",
    "us-east-2", "us-gov-east-1", "us-gov-west-1", "us-west-1", "us-west-2",
)  # fmt: skip


def _known_region(value: str) -> str:
    if value not in AWS_REGIONS:
        close = difflib.get_close_matches(value, AWS_REGIONS, n=3, cutoff=0.8)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"not an AWS region with EKS{hint}")
    return value


AwsRegion = Annotated[str, Field(pattern=r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$"), AfterValidator(_known_region)]


class PlatformConfig(StrictModel):
    """Everything one environment of GPU Enclave needs. Secure defaults; weakenings are named fields."""

    environment: Name = Field(description="Environment name (dev, staging, prod), used in names and tags.")
    region: AwsRegion = Field(description="AWS region of every resource, e.g. 'us-east-1'.")
    account_id: Annotated[str, Field(pattern=r"^\d{12}$")] | None = Field(
        default=None, description="The only AWS account this stack may deploy into (provider allowed_account_ids)."
    )
    tags: Tags = Field(default_factory=dict, description="Extra tags on every AWS resource.")
    autoscaling_service_linked_role: Literal["create", "exists"] = Field(
        default="create",
        description="EC2 Auto Scaling's service-linked role (AWSServiceRoleForAutoScaling), which the zone keys' "
        "policies name so node root volumes can be encrypted with them; KMS refuses a key policy naming a role that "
        "does not exist yet. `create`: the stack creates it and the keys wait for it (a fresh account). `exists`: "
        "the account has it already (creating it again fails; `aws iam get-role --role-name "
        "AWSServiceRoleForAutoScaling` tells). Created once per account, never deleted by `pulumi destroy`.",
    )
    network: Network
    cluster: Cluster
    zones: list[Zone] = Field(min_length=1, max_length=32)
    node_pools: list[NodePool] = Field(default_factory=list, max_length=64)
    buckets: list[Bucket] = Field(min_length=1, max_length=64)
    identities: list[Identity] = Field(default_factory=list, max_length=128)
    flows: list[Flow] = Field(default_factory=list, max_length=256)
    team_zones: list[Name] = Field(
        default_factory=list,
        max_length=32,
        description="Zones that teams add from stacks of their own (components.TeamZone). The trail records the "
        "object reads and writes of their buckets, whose S3 names start with '<environment>-<zone>-'.",
    )
    logging: Logging = Field(default_factory=Logging)
    data_perimeter: DataPerimeter = Field(
        default_factory=DataPerimeter,
        description="The resource-side data perimeter of the datasets, models and checkpoints buckets.",
    )
    kubernetes: KubernetesConfig = Field(default_factory=KubernetesConfig)
    detection: Detection = Field(
        default_factory=Detection,
        description="Detect and respond: the security-alarm topic, metric filters and alarms, GuardDuty, Falco.",
    )
    images: ZoneImages = Field(
        default_factory=ZoneImages,
        description="Each zone's ECR repositories, pulled only by its nodes (repository policies and admission).",
    )
    storage: Storage = Field(default_factory=Storage)
    secrets: Secrets = Field(default_factory=Secrets)

    def zone(self, name: str) -> Zone:
        return next(z for z in self.zones if z.name == name)

    def bucket(self, name: str) -> Bucket:
        return next(b for b in self.buckets if b.name == name)

    def efa_zones(self) -> set[str]:
        """Zones with at least one EFA node pool."""
        return {p.zone for p in self.node_pools if p.efa}

    @property
    def audit_bucket(self) -> Bucket:
        return next(b for b in self.buckets if b.purpose == "audit-logs")
