"""EFA-02: EFA interfaces only on node pools of training zones (RDMA bypasses TLS and the mesh)."""

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.kube import zone_classes
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN

from .efa_security_group_self_only import efa_interfaces

ZONE_LABEL = "enclave.dev/zone"


@stack_rule("efa-in-training-pools-only", "EFA-02", "EFA only in training pools", subjects=t.EKS_NODE_GROUP)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    classes = zone_classes(stack)
    efa_templates = {lt.urn for lt in stack.of_type(*t.LAUNCH_TEMPLATE) if efa_interfaces(lt)}
    for group in stack.of_type(*t.EKS_NODE_GROUP):
        if not efa_templates & set(group.property_dependencies.get("launchTemplate", [])):
            continue
        labels = group.get("labels")
        if labels is UNKNOWN:
            yield Finding(group.urn, f"{group.label()}: its labels are not known yet", True)
            continue
        zone = labels.get(ZONE_LABEL) if isinstance(labels, Mapping) else None
        zone_class = classes.get(zone) if isinstance(zone, str) else None
        if zone_class != "training":
            where = f"zone {zone!r} ({zone_class or 'no namespace declares its class'})" if zone else "no zone"
            yield Finding(
                group.urn, f"{group.label()} attaches EFA interfaces in {where}; EFA belongs to training zones only"
            )
