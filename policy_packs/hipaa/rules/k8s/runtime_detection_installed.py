"""DETECT-12: runtime detection watches every node of a cluster and alerts the alarm topic: a Helm release of
Falco's chart at an exact version, with the modern eBPF driver, on every node (no node selector or node affinity,
the GPU and system taints tolerated), outside the trust zones' namespaces, with falcosidekick publishing to an SNS
topic. A stack with an EKS cluster and no such release fails on the cluster, unless the pack config says runtime
detection runs elsewhere (runtimeDetectionElsewhere, with a note)."""

import re
from collections.abc import Iterator, Mapping
from typing import Any

from framework import types as t
from framework.kube import zone_namespaces
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list

from ..mesh.helm import value_at, values

PINNED = re.compile(r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")
TAINTS = ["nvidia.com/gpu", "CriticalAddonsOnly"]


def falco_releases(stack: Stack) -> list[Resource]:
    return [
        r
        for r in stack.of_type(*t.HELM_RELEASE)
        if isinstance(r.get("chart"), str) and str(r.get("chart")).rsplit("/", 1)[-1] == "falco"
    ]


def _tolerates(tolerations: Any, key: str) -> bool:
    """Whether a NoSchedule taint `key` (any value) is tolerated: by key with Exists, or by an Exists without key."""
    for tol in as_list(tolerations):
        if not isinstance(tol, Mapping) or tol.get("effect") not in (None, "", "NoSchedule"):
            continue
        if tol.get("operator") == "Exists" and tol.get("key") in (None, "", key):
            return True
    return False


def problems(release: Resource, data: Any, zones: set[str], taints: list[str]) -> list[str]:
    """What keeps this Falco release from watching every node and alerting (data: its values, known)."""
    out: list[str] = []
    version = release.get("version")
    if version is not UNKNOWN and not (isinstance(version, str) and PINNED.match(version)):
        out.append(f"chart version {version!r} is not an exact version: pin it (detection.falco.chart)")
    if value_at(data, "driver.enabled") is False or value_at(data, "driver.kind") != "modern_ebpf":
        out.append("driver.kind is not modern_ebpf (driver.enabled true): set the modern eBPF driver")
    if value_at(data, "nodeSelector") or value_at(data, "affinity.nodeAffinity"):
        out.append("a nodeSelector or node affinity keeps it off some nodes: remove them")
    missing = [k for k in taints if not _tolerates(value_at(data, "tolerations"), k)]
    if missing:
        out.append(f"it does not tolerate the {', '.join(missing)} taint(s): GPU and system nodes go unwatched")
    if isinstance(release.get("namespace"), str) and release.get("namespace") in zones:
        out.append(f"it runs in zone namespace {release.get('namespace')}: give it its own namespace")
    topic = value_at(data, "falcosidekick.config.aws.sns.topicarn")
    if value_at(data, "falcosidekick.enabled") is not True or not (
        topic is UNKNOWN or (isinstance(topic, str) and ":sns:" in topic)
    ):
        out.append("falcosidekick is not enabled with config.aws.sns.topicarn: alerts reach nobody")
    return out


@stack_rule(
    "runtime-detection-installed",
    "DETECT-12",
    "Runtime detection (Falco) watches every node and alerts the alarm topic",
    config={
        "runtimeDetectionElsewhere": {
            "type": "boolean",
            "default": False,
            "description": "The cluster's runtime detection is not this stack's Falco (another stack's, or "
            "GuardDuty runtime monitoring alone): say so with a note.",
        },
        "tolerateTaints": {
            "type": "array",
            "items": {"type": "string"},
            "default": TAINTS,
            "description": "Keys of the NoSchedule taints of the cluster's pools, which runtime detection tolerates.",
        },
    },
    subjects=(*t.EKS_CLUSTER, *t.HELM_RELEASE),
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    found = falco_releases(stack)
    if not found:
        if not config.get("runtimeDetectionElsewhere"):
            for cluster in stack.of_type(*t.EKS_CLUSTER):
                yield Finding(
                    cluster.urn,
                    f"{cluster.label()}: no Falco release watches its nodes (detection.falco.enabled), or set "
                    "runtimeDetectionElsewhere with a note",
                )
        return
    zones = set(zone_namespaces(stack))
    taints = [str(k) for k in config.get("tolerateTaints") or TAINTS]
    for release in found:
        data = values(release)
        if data is UNKNOWN:
            yield Finding(release.urn, f"{release.label()}: its values are not known yet", True)
            continue
        wrong = problems(release, data, zones, taints)
        if wrong:
            yield Finding(release.urn, f"{release.label()}: {'; '.join(wrong)}")
