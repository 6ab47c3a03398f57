"""Node labels and taints, and the tolerations that match them: the contract between the node pools (AWS)
and the pods that may run on them (Kubernetes admission, add-on values, the workload pod template)."""

from __future__ import annotations

from dataclasses import dataclass

ZONE_LABEL = "enclave.dev/zone"
POOL_LABEL = "enclave.dev/pool"
ACCELERATOR_LABEL = "enclave.dev/accelerator"  # GPU pools only: where the NVIDIA device plugin runs
EFA_LABEL = "vpc.amazonaws.com/efa.present"
SYSTEM_POOL = "system"
# The extended resource the NVIDIA device plugin advertises: what GPU pods request and zone quotas cap.
GPU_RESOURCE = "nvidia.com/gpu"

# Taints the kubelet and the node lifecycle controller put on nodes, which every pod tolerates for a while
# (DefaultTolerationSeconds): tolerating them never lets a pod onto another zone's nodes.
NODE_CONDITION_TAINT_PREFIX = "node.kubernetes.io/"


@dataclass(frozen=True)
class Taint:
    """A NoSchedule taint every node of a kind of pool carries."""

    key: str
    value: str = "true"

    def eks(self) -> dict[str, str]:
        """As aws.eks.NodeGroup `taints` takes it."""
        return {"key": self.key, "value": self.value, "effect": "NO_SCHEDULE"}

    def toleration(self) -> dict[str, str]:
        """The exact toleration of this taint, as a pod spec carries it."""
        return {"key": self.key, "operator": "Equal", "value": self.value, "effect": "NoSchedule"}


# GPU pools: only pods that tolerate it (GPU workloads of the pool's zone, GPU daemonsets) land there.
GPU_TAINT = Taint(GPU_RESOURCE)
# The platform's system pool: cluster add-ons (CoreDNS, istiod, Kyverno) and the platform zone only.
SYSTEM_TAINT = Taint("CriticalAddonsOnly")
GPU_TOLERATION = GPU_TAINT.toleration()
SYSTEM_TOLERATION = SYSTEM_TAINT.toleration()
