"""Multus secondary network for training zones on on-prem style RDMA / SR-IOV fabrics.

On EKS, EFA reaches pods through the EFA device plugin and needs none of this. Clusters whose GPU nodes
have SR-IOV virtual functions on an RDMA fabric (and run Multus, the SR-IOV device plugin and whereabouts)
get a NetworkAttachmentDefinition in each training namespace; pods opt in through the pod-spec helper.
Like EFA, the secondary network bypasses the mesh and NetworkPolicies, so it is offered to training
zones only.
"""

from __future__ import annotations

import json
from typing import Any

from ..config import Multus
from .labels import MANAGED_BY
from .zone_context import ZoneContext

NETWORKS_ANNOTATION = "k8s.v1.cni.cncf.io/networks"
SECONDARY_INTERFACE = "net1"  # Multus names the first attachment net1
RESOURCE_ANNOTATION = "k8s.v1.cni.cncf.io/resourceName"


def multus_network(ctx: ZoneContext, namespace: str) -> dict[str, Any] | None:
    """The NetworkAttachmentDefinition of `namespace`, or None (no Multus config, or not a training zone)."""
    multus = ctx.kubernetes.multus
    if multus is None or ctx.zone.zone_class != "training":
        return None
    config = {
        "cniVersion": "0.3.1",
        "name": multus.name,
        "type": multus.cni_type,
        "ipam": {"type": "whereabouts", "range": multus.cidr},
    }
    return {
        "apiVersion": "k8s.cni.cncf.io/v1",
        "kind": "NetworkAttachmentDefinition",
        "metadata": {
            "name": multus.name,
            "namespace": namespace,
            "labels": dict(MANAGED_BY),
            "annotations": {RESOURCE_ANNOTATION: multus.resource_name},
        },
        "spec": {"config": json.dumps(config, sort_keys=True)},
    }


def secondary_network_request(multus: Multus) -> tuple[dict[str, str], dict[str, str]]:
    """(pod annotations, container limits) attaching one virtual function of the secondary network."""
    return {NETWORKS_ANNOTATION: f"{multus.name}@{SECONDARY_INTERFACE}"}, {multus.resource_name: "1"}
