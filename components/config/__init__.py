"""The stack config schema (pydantic v2) and its loader: `gpu-enclave:platform` in stacks/Pulumi.<stack>.yaml."""

from .base import LOG_RETENTION_DAYS, RESERVED_NAMESPACES
from .buckets import Bucket
from .cluster import CreatedCluster, Endpoint, ExistingCluster, SystemPool
from .errors import CONFIG_KEY, ConfigError, Problem
from .flows import Flow, Port
from .identities import Grant, Identity
from .kubernetes import AddonVersions, KubernetesConfig, Multus, NcclPorts
from .loading import config_object, config_value, load_platform_config, validate_platform, validate_stack_file
from .log_retention import Logging
from .network import CreatedNetwork, ExistingNetwork
from .perimeter import DataPerimeter
from .platform import PlatformConfig
from .pools import NodePool
from .rollout import Rollout, RolloutStage
from .secrets import ManagerSecret, Secrets
from .stackfile import OFFLINE_SECRET, StackFile, read_stack_file
from .storage import Storage
from .zones import Access, Egress, EgressProxy, Quota, Zone

__all__ = [
    "CONFIG_KEY",
    "LOG_RETENTION_DAYS",
    "OFFLINE_SECRET",
    "RESERVED_NAMESPACES",
    "Access",
    "AddonVersions",
    "Bucket",
    "ConfigError",
    "CreatedCluster",
    "CreatedNetwork",
    "DataPerimeter",
    "Egress",
    "EgressProxy",
    "Endpoint",
    "ExistingCluster",
    "ExistingNetwork",
    "Flow",
    "Grant",
    "Identity",
    "KubernetesConfig",
    "Logging",
    "ManagerSecret",
    "Multus",
    "NcclPorts",
    "NodePool",
    "PlatformConfig",
    "Port",
    "Problem",
    "Quota",
    "Rollout",
    "RolloutStage",
    "Secrets",
    "StackFile",
    "Storage",
    "SystemPool",
    "Zone",
    "config_object",
    "config_value",
    "load_platform_config",
    "read_stack_file",
    "validate_platform",
    "validate_stack_file",
]
