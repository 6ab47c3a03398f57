"""Trust zones as the stack's Kubernetes objects declare them: namespaces labelled with a zone and a class."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .model import Resource, Stack
from .types import NAMESPACE
from .values import UNKNOWN

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
