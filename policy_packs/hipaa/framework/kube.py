"""Trust zones as the stack's Kubernetes objects declare them: namespaces labelled with a zone and a class."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .model import Resource, Stack
from .types import NAMESPACE
from .values import UNKNOWN
from .workloads import KubeObject, namespace, workloads

ZONE_LABEL = "enclave.dev/zone"
CLASS_LABEL = "enclave.dev/zone-class"


def labels(r: Resource) -> Mapping[str, Any]:
    value = r.get("metadata.labels")
    return value if isinstance(value, Mapping) else {}


def name_of(r: Resource) -> Any:
    """metadata.name (UNKNOWN when computed; pulumi auto-names an object without one: None)."""
    value = r.get("metadata.name")
    return value if isinstance(value, str) or value is UNKNOWN else None


def namespace_of(r: Resource) -> str | None:
    value = r.get("metadata.namespace")
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class ZoneNamespace:
    name: str
    zone: str
    zone_class: str | None
    resource: Resource


def zone_namespaces(stack: Stack) -> dict[str, ZoneNamespace]:
    """Namespace name -> its zone, for every Namespace the stack creates with the zone label."""
    out: dict[str, ZoneNamespace] = {}
    for r in stack.of_type(*NAMESPACE):
        name, zone = name_of(r), labels(r).get(ZONE_LABEL)
        if isinstance(name, str) and isinstance(zone, str):
            zone_class = labels(r).get(CLASS_LABEL)
            out[name] = ZoneNamespace(name, zone, zone_class if isinstance(zone_class, str) else None, r)
    return out


def zone_classes(stack: Stack) -> dict[str, str | None]:
    """Zone -> its class, as its namespaces declare it."""
    return {ns.zone: ns.zone_class for ns in zone_namespaces(stack).values()}


def in_namespace(stack: Stack, types: tuple[str, ...], namespace: str) -> list[Resource]:
    return [r for r in stack.of_type(*types) if namespace_of(r) == namespace]


# Namespaces that are not trust zones, by class; pack config can name others (stacks that do not label).
SYSTEM_NAMESPACES = ["kube-system", "istio-system", "kyverno"]
AGENT_NAMESPACES = ["node-agents"]
DETECTION_NAMESPACES = ["falco", "amazon-guardduty"]
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
NAMESPACE_CLASS_CONFIG: dict[str, dict[str, Any]] = {
    "systemNamespaces": {
        "type": "array",
        "items": {"type": "string"},
        "default": SYSTEM_NAMESPACES,
        "description": "Namespaces of the cluster and its add-ons that are no trust zone (kubernetes.system_namespaces "
        "plus the platform's own).",
    },
    "agentNamespaces": {
        "type": "array",
        "items": {"type": "string"},
        "default": AGENT_NAMESPACES,
        "description": "Namespaces of node agents (DaemonSets on every node): kubernetes.node_agents.namespaces.",
    },
    "detectionNamespaces": {
        "type": "array",
        "items": {"type": "string"},
        "default": DETECTION_NAMESPACES,
        "description": "Namespaces of the detection agents (Falco's, GuardDuty's), where an admission policy admits "
        "only their service accounts (K8S-25).",
    },
}


def namespace_class(name: str, zone_names: Mapping[str, Any], config: Mapping[str, Any]) -> str | None:
    """'zone', 'agent' or 'system' for a namespace name; None for a namespace outside every class."""
    if name in zone_names:
        return "zone"
    if name in (config.get("agentNamespaces") or []):
        return "agent"
    if name in (config.get("systemNamespaces") or []):
        return "system"
    if name in (config.get("detectionNamespaces") or []):
        return "detection"
    return None


MESH_ROOT_CONFIG: dict[str, dict[str, Any]] = {
    "meshRootNamespace": {
        "type": "string",
        "default": "istio-system",
        "description": "Istio's root namespace: a policy there applies to every namespace.",
    }
}


def selector_matches(selector: Any, labels: Mapping[str, Any]) -> bool:
    """A LabelSelector (matchLabels; matchExpressions In, NotIn, Exists, DoesNotExist) against labels; a selector
    that is not a mapping selects nothing. `{}` selects everything."""
    if not isinstance(selector, Mapping):
        return False
    wanted = selector.get("matchLabels") or {}
    if not isinstance(wanted, Mapping) or any(labels.get(k) != v for k, v in wanted.items()):
        return False
    expressions = selector.get("matchExpressions") or []
    if not isinstance(expressions, list):
        return False
    for e in expressions:
        if not isinstance(e, Mapping):
            return False
        raw = e.get("values") or []
        if not isinstance(raw, list):
            return False
        key, op, values = str(e.get("key")), e.get("operator"), list(raw)
        ok = {
            "In": key in labels and labels.get(key) in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }.get(str(op), False)
        if not ok:
            return False
    return True


def namespace_labels(stack: Stack, name: str) -> dict[str, Any]:
    """The labels a namespace of this name carries (its Namespace in the stack, if any), with the name label
    Kubernetes sets on every namespace."""
    for r in stack.of_type(*NAMESPACE):
        if name_of(r) == name:
            return {**labels(r), NAMESPACE_NAME_LABEL: name}
    return {NAMESPACE_NAME_LABEL: name}


def judged_workloads(stack: Stack, config: Mapping[str, Any]) -> Iterator[tuple[KubeObject, str]]:
    """Every workload the stack declares whose pods the zone rules judge: in a zone's namespace, or in a namespace
    that is no zone, agent or system namespace (judged strictly: `default`, a namespace of another stack, one not
    known yet); with a phrase saying where it runs."""
    zones = zone_namespaces(stack)
    for obj in workloads(stack):
        where = namespace(obj, stack)
        if where is UNKNOWN:
            yield obj, "a namespace not known yet"
            continue
        kind = namespace_class(str(where), zones, config)
        if kind == "zone":
            yield obj, f"zone {zones[str(where)].zone} (namespace {where})"
        elif kind is None:
            yield obj, f"namespace {where}, outside every trust zone"


ISTIO_DRY_RUN = "istio.io/dry-run"
# strconv.ParseBool's false values: Istio reads the dry-run annotation with it, so any other value (true, or one
# it cannot parse) is judged as a policy that may not be enforced.
_PARSE_BOOL_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})


def dry_run(r: Resource) -> bool:
    """An Istio AuthorizationPolicy annotated `istio.io/dry-run` (not enforced: Istio only logs its verdicts)."""
    annotations = r.get("metadata.annotations")
    if not isinstance(annotations, Mapping) or ISTIO_DRY_RUN not in annotations:
        return False
    return str(annotations[ISTIO_DRY_RUN]) not in _PARSE_BOOL_FALSE
