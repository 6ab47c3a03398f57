"""NODE-04: GPU node groups carry the GPU taint, and the system pool the CriticalAddonsOnly taint.

A pool is a GPU pool when its AMI type is a GPU one, or when it runs GPU instances whatever its AMI (a CUSTOM AMI
type, an instance type given by its launch template): NVIDIA GPU instances are the EC2 families p<n> and g<n>.
The system pool is the one labelled enclave.dev/pool=system, or named by the pack config's `systemPools`."""

import fnmatch
import re
from collections.abc import Iterator, Mapping

from framework import types as t
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list

GPU_AMI_MARKERS = ("NVIDIA", "GPU")
GPU_INSTANCE = re.compile(r"^(p\d|g\d)[a-z0-9-]*\.", re.IGNORECASE)
POOL_LABEL = "enclave.dev/pool"


def _tainted(r: Resource, key: str) -> bool:
    return any(
        isinstance(x, Mapping) and x.get("key") == key and x.get("effect") in ("NO_SCHEDULE", "NO_EXECUTE")
        for x in as_list(r.get("taints"))
    )


def instance_types(stack: Stack, group: Resource) -> list[str]:
    found = [str(x) for x in as_list(group.get("instanceTypes")) if isinstance(x, str)]
    for lt in stack.sources(group, "launchTemplate", *t.LAUNCH_TEMPLATE):
        value = lt.get("instanceType")
        found += [value] if isinstance(value, str) else []
    return found


@stack_rule(
    "node-groups-tainted",
    "NODE-04",
    "GPU node groups are tainted nvidia.com/gpu, the system pool CriticalAddonsOnly",
    config={
        "systemPools": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Glob patterns of node group names (nodeGroupName, or the resource name) that are the "
            "system pool, for stacks that do not label it enclave.dev/pool=system.",
        }
    },
    subjects=t.EKS_NODE_GROUP,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    patterns = [str(p) for p in as_list(config.get("systemPools"))]
    for r in stack.of_type(*t.EKS_NODE_GROUP):
        ami, labels, taints = r.get("amiType"), r.get("labels"), r.get("taints")
        if UNKNOWN in (ami, taints):
            yield Finding(r.urn, f"{r.label()}: its AMI type or taints are not known yet", True)
            continue
        gpu_types = [x for x in instance_types(stack, r) if GPU_INSTANCE.match(x)]
        gpu = (isinstance(ami, str) and any(m in ami.upper() for m in GPU_AMI_MARKERS)) or bool(gpu_types)
        name = r.get("nodeGroupName") if isinstance(r.get("nodeGroupName"), str) else r.name
        system = (isinstance(labels, Mapping) and labels.get(POOL_LABEL) == "system") or any(
            fnmatch.fnmatchcase(str(name), p) for p in patterns
        )
        if gpu and not _tainted(r, "nvidia.com/gpu"):
            what = f"GPU AMI {ami}" if not gpu_types else f"GPU instances {', '.join(gpu_types)}"
            yield Finding(r.urn, f"{r.label()} runs {what} without the nvidia.com/gpu=true:NoSchedule taint")
        if system and not _tainted(r, "CriticalAddonsOnly"):
            yield Finding(r.urn, f"{r.label()} is the system pool without the CriticalAddonsOnly=true:NoSchedule taint")
