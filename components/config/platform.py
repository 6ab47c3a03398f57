"""The root of the stack config: one PlatformConfig per stack (`gpu-enclave:platform`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .backups import Backups
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
from .regions import AWS_REGIONS, AwsRegion
from .secrets import Secrets
from .storage import Storage
from .zones import Zone

__all__ = ["AWS_REGIONS", "AwsRegion", "PlatformConfig"]


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
    backups: Backups = Field(
        default_factory=Backups,
        description="Replicas of the production-model and dataset buckets in a second region (off by default).",
    )

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
