"""K8S-08: every zone namespace limits the GPUs its pods may request."""

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.kube import in_namespace, zone_namespaces
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule

GPU_KEY = "requests.nvidia.com/gpu"


@stack_rule("zone-namespaces-gpu-quota", "K8S-08", "Every zone namespace has a GPU quota")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for ns in zone_namespaces(stack).values():
        quotas = in_namespace(stack, t.RESOURCE_QUOTA, ns.name)
        if not any(isinstance(q.get("spec.hard"), Mapping) and GPU_KEY in q.get("spec.hard") for q in quotas):
            yield Finding(ns.resource.urn, f"namespace {ns.name} (zone {ns.zone}) has no ResourceQuota on {GPU_KEY}")
