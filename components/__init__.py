"""GPU Enclave components: reusable Pulumi ComponentResources and the stack config schema.

Each component takes a typed, documented `...Args` (`Component(name, args, opts)`), e.g.
`EncryptedBucket("data", EncryptedBucketArgs(purpose="datasets", kms_key_arn=key.arn, log_bucket=...))`.
"""

from .aws.audit import AuditTrail, AuditTrailArgs
from .aws.bucket import EncryptedBucket, EncryptedBucketArgs
from .aws.cluster import GpuCluster, GpuClusterArgs
from .aws.identity import GrantTarget, WorkloadIdentity, WorkloadIdentityArgs
from .aws.kms import KmsKey, KmsKeyArgs, ServiceUse
from .aws.network import Network, NetworkArgs
from .aws.node_pool import GpuNodePool, GpuNodePoolArgs
from .aws.node_security import NodeSecurityGroups, NodeSecurityGroupsArgs, PortRange
from .aws.replication import BucketBackups, BucketBackupsArgs, ReplicatedBucket
from .aws.secrets import ManagerSecrets, ManagerSecretsArgs
from .aws.volumes import EncryptedVolumes, EncryptedVolumesArgs
from .config import ConfigError, PlatformConfig, load_platform_config, validate_platform


def __getattr__(name: str) -> object:
    # Platform pulls in every component (and the cluster add-ons); load it only when asked for.
    if name == "Platform":
        from .platform import Platform

        return Platform
    if name in ("PlatformStack", "TeamZone", "TeamZoneArgs"):
        from . import team_zone

        return getattr(team_zone, name)
    raise AttributeError(name)


__all__ = [
    "AuditTrail",
    "AuditTrailArgs",
    "BucketBackups",
    "BucketBackupsArgs",
    "ConfigError",
    "EncryptedBucket",
    "EncryptedBucketArgs",
    "EncryptedVolumes",
    "EncryptedVolumesArgs",
    "GpuCluster",
    "GpuClusterArgs",
    "GpuNodePool",
    "GpuNodePoolArgs",
    "GrantTarget",
    "KmsKey",
    "KmsKeyArgs",
    "ManagerSecrets",
    "ManagerSecretsArgs",
    "Network",
    "NetworkArgs",
    "NodeSecurityGroups",
    "NodeSecurityGroupsArgs",
    "Platform",
    "PlatformConfig",
    "PlatformStack",
    "PortRange",
    "ReplicatedBucket",
    "ServiceUse",
    "TeamZone",
    "TeamZoneArgs",
    "WorkloadIdentity",
    "WorkloadIdentityArgs",
    "load_platform_config",
    "validate_platform",
]
