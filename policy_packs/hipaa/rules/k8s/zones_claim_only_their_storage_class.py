"""DATA-09: a zone's namespaces cannot claim volumes of any StorageClass the stack makes but the zone's own (another
zone's, on its key, or one of no zone): each has a ResourceQuota, with no scope, holding that class's
`<class>.storageclass.storage.k8s.io/requests.storage` (or `.../persistentvolumeclaims`) at 0, or claims at 0
altogether. A zone with no class of its own must hold all its claims at 0: they would get the cluster's default
class, which the stack does not make. The pack decides from quotas, which the API server enforces itself; an
admission rule alone is not judged."""

import re
from collections.abc import Iterator, Mapping
from typing import Any

from framework import types as t
from framework.kube import ZoneNamespace, in_namespace, zone_namespaces
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.storage import storage_classes
from framework.values import MISSING, UNKNOWN

ZERO = re.compile(r"^\+?(0+(\.0*)?|\.0+)([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$")
ALL_CLAIMS = ("requests.storage", "persistentvolumeclaims")
NO_CLASS = ""  # no class name: only a quota on all claims holds it


def is_zero(value: Any) -> bool:
    """A Kubernetes quantity of nothing ("0", "0Gi", 0)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return value == 0
    return isinstance(value, str) and bool(ZERO.match(value.strip()))


def _denies(quota: Resource, cls: str) -> Any:
    """True when the quota holds claims of `cls` at nothing, False when not, UNKNOWN when it cannot be told yet. A
    quota with scopes or a scope selector counts only the claims those select (a VolumeAttributesClass), not all."""
    spec = quota.get("spec")
    if spec is UNKNOWN:
        return UNKNOWN
    if not isinstance(spec, Mapping) or spec.get("scopes") or spec.get("scopeSelector"):
        return False
    hard = spec.get("hard")
    if hard is UNKNOWN:
        return UNKNOWN
    if not isinstance(hard, Mapping):
        return False
    keys = [*ALL_CLAIMS, *(f"{cls}.storageclass.storage.k8s.io/{k}" for k in ALL_CLAIMS)]
    values = [hard.get(k, MISSING) for k in keys]
    if any(is_zero(v) for v in values):
        return True
    return UNKNOWN if any(v is UNKNOWN for v in values) else False


def _check_namespace(
    stack: Stack, ns: ZoneNamespace, others: list[tuple[str, Any]], has_own: bool
) -> Iterator[Finding]:
    quotas = in_namespace(stack, t.RESOURCE_QUOTA, ns.name)
    if not has_own:
        # No class of its own: a claim would get the cluster's default class, which the stack does not make.
        others = [("the cluster's default class, whichever it is: the zone has no class of its own", NO_CLASS), *others]
    for shown, name in others:
        if not isinstance(name, str):
            yield Finding(ns.resource.urn, f"namespace {ns.name} (zone {ns.zone}): the name of {shown} is not known "
                                           "yet, so whether the zone can claim it cannot be told", True)  # fmt: skip
            continue
        verdicts = [_denies(q, name) for q in quotas]
        if True in verdicts:
            continue
        if UNKNOWN in verdicts:
            yield Finding(ns.resource.urn, f"namespace {ns.name} (zone {ns.zone}): its quotas are not known yet", True)
            continue
        if name == NO_CLASS:
            yield Finding(
                ns.resource.urn,
                f"namespace {ns.name} (zone {ns.zone}) has no StorageClass of its zone, so its claims get the "
                "cluster's default class; give the zone its encrypted class (storage.encrypted_volumes) or hold "
                "persistentvolumeclaims at '0'",
            )
            continue
        yield Finding(
            ns.resource.urn,
            f"namespace {ns.name} (zone {ns.zone}) can claim volumes of StorageClass {name!r} ({shown}); give it a "
            f"ResourceQuota with {name}.storageclass.storage.k8s.io/requests.storage: '0'",
        )


@stack_rule(
    "zones-claim-only-their-storage-class",
    "DATA-09",
    "Each zone claims volumes of its own StorageClass only",
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    classes, _ = storage_classes(stack)  # classes that cannot be read are DATA-08's findings
    for ns in zone_namespaces(stack).values():
        others = [
            (f"{c.label()}, " + (f"zone {c.zone}" if c.zone else "of no zone"), c.name)
            for c in classes
            if c.zone != ns.zone
        ]
        has_own = any(c.zone == ns.zone for c in classes)
        yield from _check_namespace(stack, ns, others, has_own)
