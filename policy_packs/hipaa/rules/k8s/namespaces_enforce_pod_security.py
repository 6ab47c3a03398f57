"""K8S-01: every namespace the stack creates belongs to a trust zone and enforces Pod Security: restricted
for the classes that must (inference, notebooks), at least baseline elsewhere, warn and audit restricted. An agent
namespace (node agents need the privileged level) and a detection namespace (Falco's, GuardDuty's agent) warn and
audit at least baseline, so every privileged agent shows; a system namespace of the pack config is the cluster's
own and not judged here."""

from collections.abc import Iterator, Mapping
from typing import Any

from framework.kube import CLASS_LABEL, NAMESPACE_CLASS_CONFIG, ZONE_LABEL, labels, name_of
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import NAMESPACE
from framework.values import UNKNOWN

ENFORCE, WARN, AUDIT = (f"pod-security.kubernetes.io/{m}" for m in ("enforce", "warn", "audit"))
LEVELS = {"privileged": 0, "baseline": 1, "restricted": 2}
RESTRICTED_CLASSES = ["inference", "notebooks"]


def _wanted(zone_class: Any, config: Config) -> str:
    return "restricted" if zone_class in (config.get("restrictedClasses") or []) else "baseline"


def _label(props: dict[str, Any], config: Config) -> dict[str, Any] | None:
    meta = dict(props.get("metadata") or {}) if isinstance(props.get("metadata"), dict) else {}
    current = dict(meta.get("labels") or {}) if isinstance(meta.get("labels"), dict) else {}
    if ZONE_LABEL not in current:
        return None  # which zone a namespace belongs to is a decision, not a fix
    enforce = current.get(ENFORCE)
    wanted = _wanted(current.get(CLASS_LABEL), config)
    if LEVELS.get(str(enforce), -1) < LEVELS[wanted]:
        current[ENFORCE] = wanted
    current[WARN] = current[AUDIT] = "restricted"
    return {**props, "metadata": {**meta, "labels": current}}


@resource_rule(
    "namespaces-enforce-pod-security",
    "K8S-01",
    "Zone namespaces enforce Pod Security (restricted for inference and notebooks)",
    NAMESPACE,
    config={
        **NAMESPACE_CLASS_CONFIG,
        "restrictedClasses": {
            "type": "array",
            "items": {"type": "string"},
            "default": RESTRICTED_CLASSES,
            "description": "Zone classes whose namespaces must enforce the restricted Pod Security level.",
        },
    },
    remediate=_label,
)
def check(r: Resource, config: Config) -> Iterator[Finding]:
    meta_labels = r.get("metadata.labels")
    if meta_labels is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: its labels are not known yet", True)
        return
    found: Mapping[str, Any] = labels(r)
    name = name_of(r)
    if ZONE_LABEL not in found and name in (config.get("systemNamespaces") or []):
        return
    agents = [*(config.get("agentNamespaces") or []), *(config.get("detectionNamespaces") or [])]
    if ZONE_LABEL not in found and name in agents:
        for mode in (WARN, AUDIT):
            if LEVELS.get(str(found.get(mode)), -1) < LEVELS["baseline"]:
                yield Finding(r.urn, f"{r.label()} (agent namespace): {mode} is {found.get(mode) or 'not set'}; "
                                     "set it to baseline or restricted so privileged agents show")  # fmt: skip
        return
    if ZONE_LABEL not in found:
        yield Finding(r.urn, f"{r.label()} belongs to no trust zone: label it {ZONE_LABEL} and {CLASS_LABEL}")
        return
    zone_class = found.get(CLASS_LABEL)
    wanted = _wanted(zone_class, config)
    enforce = found.get(ENFORCE)
    if LEVELS.get(str(enforce), -1) < LEVELS[wanted]:
        yield Finding(
            r.urn, f"{r.label()} ({zone_class or 'no class'}) enforces {enforce or 'nothing'}; label {ENFORCE}={wanted}"
        )
    for mode in (WARN, AUDIT):
        if found.get(mode) != "restricted":
            yield Finding(r.urn, f"{r.label()}: {mode} is {found.get(mode) or 'not set'}; set it to restricted")
