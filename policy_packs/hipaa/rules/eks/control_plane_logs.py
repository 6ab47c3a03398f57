"""EKS-02: every control-plane log type is recorded (the audit log among them)."""

from collections.abc import Iterator

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import EKS_CLUSTER
from framework.values import UNKNOWN, as_list

ALL_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


@resource_rule(
    "eks-control-plane-logs",
    "EKS-02",
    "Every control-plane log type is recorded",
    EKS_CLUSTER,
    config={
        "requiredLogTypes": {
            "type": "array",
            "items": {"type": "string", "enum": ALL_TYPES},
            "default": ALL_TYPES,
            "description": "Control-plane log types the cluster must send to CloudWatch Logs.",
        }
    },
)
def check(r: Resource, config: Config) -> Iterator[Finding]:
    enabled = r.get("enabledClusterLogTypes")
    if enabled is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: enabledClusterLogTypes is not known yet", True)
        return
    missing = [t for t in config.get("requiredLogTypes", ALL_TYPES) if t not in as_list(enabled)]
    if missing:
        yield Finding(r.urn, f"{r.label()} does not record {', '.join(missing)}; add them to enabled_cluster_log_types")
