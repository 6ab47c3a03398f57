"""GPU Enclave components: reusable Pulumi ComponentResources and the stack config schema.

Import what you need, e.g. `from components import EncryptedBucket, WorkloadIdentity, KmsKey`.
"""

from .aws.bucket import EncryptedBucket, EncryptedBucketArgs
from .aws.identity import GrantTarget, WorkloadIdentity, WorkloadIdentityArgs
from .aws.kms import KmsKey, KmsKeyArgs, ServiceUse
from .config import ConfigError, PlatformConfig, load_platform_config, validate_platform


def __getattr__(name: str) -> object:
    # Platform pulls in every component (and pulumi_kubernetes); load it only when asked for.
    if name == "Platform":
        from .platform import Platform

        return Platform
    if name in ("PlatformStack", "TeamZone", "TeamZoneArgs"):
        from . import team_zone

        return getattr(team_zone, name)
    raise AttributeError(name)


__all__ = [
    "ConfigError",
    "EncryptedBucket",
    "EncryptedBucketArgs",
    "GrantTarget",
    "KmsKey",
    "KmsKeyArgs",
    "Platform",
    "PlatformConfig",
    "PlatformStack",
    "ServiceUse",
    "TeamZone",
    "TeamZoneArgs",
    "WorkloadIdentity",
    "WorkloadIdentityArgs",
    "load_platform_config",
    "validate_platform",
]
