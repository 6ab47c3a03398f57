"""NODE-04: GPU node groups carry the GPU taint, and the system pool the CriticalAddonsOnly taint."""

from collections.abc import Iterator, Mapping

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import EKS_NODE_GROUP
from framework.values import UNKNOWN, as_list

GPU_AMI_MARKERS = ("NVIDIA", "GPU")
POOL_LABEL = "enclave.dev/pool"


def _tainted(r: Resource, key: str) -> bool:
    return any(
        isinstance(t, Mapping) and t.get("key") == key and t.get("effect") in ("NO_SCHEDULE", "NO_EXECUTE")
        for t in as_list(r.get("taints"))
    )


@resource_rule(
    "node-groups-tainted",
    "NODE-04",
    "GPU node groups are tainted nvidia.com/gpu, the system pool CriticalAddonsOnly",
    EKS_NODE_GROUP,
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    ami, labels, taints = r.get("amiType"), r.get("labels"), r.get("taints")
    if UNKNOWN in (ami, taints):
        yield Finding(r.urn, f"{r.label()}: its AMI type or taints are not known yet", True)
        return
    gpu = isinstance(ami, str) and any(m in ami.upper() for m in GPU_AMI_MARKERS)
    system = isinstance(labels, Mapping) and labels.get(POOL_LABEL) == "system"
    if gpu and not _tainted(r, "nvidia.com/gpu"):
        yield Finding(r.urn, f"{r.label()} runs GPU AMI {ami} without the nvidia.com/gpu=true:NoSchedule taint")
    if system and not _tainted(r, "CriticalAddonsOnly"):
        yield Finding(r.urn, f"{r.label()} is the system pool without the CriticalAddonsOnly=true:NoSchedule taint")
