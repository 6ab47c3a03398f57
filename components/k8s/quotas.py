"""Per-namespace ResourceQuota on GPUs and EFA interfaces, and a LimitRange with container defaults."""

from __future__ import annotations

from typing import Any

from ..config import Zone
from ..scheduling import GPU_RESOURCE
from .labels import MANAGED_BY

Manifest = dict[str, Any]
EFA_RESOURCE = "vpc.amazonaws.com/efa"


def quota(zone: Zone, namespace: str) -> Manifest:
    # Extended resources can only be limited through their `requests.` quota key.
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "accelerators", "namespace": namespace, "labels": dict(MANAGED_BY)},
        "spec": {
            "hard": {
                f"requests.{GPU_RESOURCE}": str(zone.quota.gpus),
                f"requests.{EFA_RESOURCE}": str(zone.quota.efa_interfaces),
            }
        },
    }


def limit_range(namespace: str) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "container-defaults", "namespace": namespace, "labels": dict(MANAGED_BY)},
        "spec": {
            "limits": [
                {
                    # Requests only: a default *limit* would cap every GPU workload that does not size itself
                    # (an 8-GPU trainer at 8Gi). The pod template sets real requests and a memory limit.
                    "type": "Container",
                    "defaultRequest": {"cpu": "500m", "memory": "1Gi"},
                }
            ]
        },
    }
