"""StorageClasses as the stack declares them, whatever the shape: Kubernetes StorageClass objects, the classes a
Helm release of the aws-ebs-csi-driver chart creates from its values, and the default class that chart or the EKS
add-on makes when asked (`defaultStorageClass.enabled`)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import types as t
from .kube import labels, name_of
from .model import Resource, Stack
from .values import MISSING, UNKNOWN, truthy

EBS_PROVISIONERS = ("ebs.csi.aws.com", "kubernetes.io/aws-ebs")  # the CSI driver and the legacy in-tree plugin
EBS_CSI_CHART = "aws-ebs-csi-driver"
DEFAULT_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
BETA_DEFAULT_ANNOTATION = "storageclass.beta.kubernetes.io/is-default-class"
CHART_DEFAULT_CLASS = "ebs-csi-default-sc"  # the chart's and the add-on's defaultStorageClass: no parameters
ZONE_LABEL = "enclave.dev/zone"


@dataclass(frozen=True)
class StorageClassSpec:
    """One class: `holder` is the resource a finding names, `where` what in it makes the class."""

    holder: Resource
    where: str
    name: Any  # str, UNKNOWN, or None (auto-named: known once created)
    provisioner: Any
    parameters: Any  # a mapping or UNKNOWN
    default: bool | None  # None: not known yet
    zone: str | None
    # the property whose dependencies show where an unknown key comes from
    key_prop: str = "parameters"

    def label(self) -> str:
        return self.holder.label() if not self.where else f"{self.holder.label()} {self.where}"


def _default(annotations: Any) -> bool | None:
    if annotations is UNKNOWN:
        return None
    if not isinstance(annotations, Mapping):
        return False
    values = [annotations.get(k, MISSING) for k in (DEFAULT_ANNOTATION, BETA_DEFAULT_ANNOTATION)]
    if any(v is UNKNOWN for v in values):
        return None
    return any(isinstance(v, str) and v == "true" for v in values)


def _chart_values(r: Resource, prop: str) -> Any:
    """A JSON object given as an object or a JSON string: the dict, UNKNOWN, or None when unreadable."""
    raw = r.get(prop)
    if raw is UNKNOWN:
        return UNKNOWN
    if raw is MISSING or raw is None:
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    return raw if isinstance(raw, Mapping) else None


def _from_values(r: Resource, prop: str, values: Mapping[str, Any]) -> Iterator[StorageClassSpec]:
    default_sc = values.get("defaultStorageClass")
    enabled = default_sc.get("enabled") if isinstance(default_sc, Mapping) else None
    if enabled is UNKNOWN or truthy(enabled):
        yield StorageClassSpec(r, f"{prop}.defaultStorageClass", CHART_DEFAULT_CLASS, EBS_PROVISIONERS[0], {}, True,
                               None, prop)  # fmt: skip
    classes = values.get("storageClasses")
    for i, entry in enumerate(classes if isinstance(classes, list) else []):
        where = f"{prop}.storageClasses[{i}]"
        if not isinstance(entry, Mapping):
            yield StorageClassSpec(r, where, UNKNOWN, EBS_PROVISIONERS[0], UNKNOWN, None, None, prop)
            continue
        zone = (entry.get("labels") or {}).get(ZONE_LABEL) if isinstance(entry.get("labels"), Mapping) else None
        parameters = entry.get("parameters", {})
        yield StorageClassSpec(
            r,
            where,
            entry.get("name"),
            EBS_PROVISIONERS[0],
            parameters if isinstance(parameters, Mapping) or parameters is UNKNOWN else {},
            _default(entry.get("annotations")),
            zone if isinstance(zone, str) else None,
            prop,
        )


def storage_classes(stack: Stack) -> tuple[list[StorageClassSpec], list[tuple[Resource, str]]]:
    """Every class the stack makes, and (resource, what is unknown or unreadable) for releases and add-ons whose
    classes cannot be told yet."""
    out: list[StorageClassSpec] = []
    unread: list[tuple[Resource, str]] = []
    for r in stack.of_type(*t.STORAGE_CLASS):
        zone = labels(r).get(ZONE_LABEL)
        parameters = r.get("parameters")
        out.append(
            StorageClassSpec(
                r,
                "",
                name_of(r),
                r.get("provisioner"),
                parameters if isinstance(parameters, Mapping) or parameters is UNKNOWN else {},  # odd shape: none
                _default(r.get("metadata.annotations")),
                zone if isinstance(zone, str) else None,
            )
        )
    sources = [(r, "values") for r in stack.of_type(*t.HELM_RELEASE) if _is_ebs_chart(r.get("chart"))]
    sources += [(a, "configurationValues") for a in stack.of_type(*t.EKS_ADDON) if a.get("addonName") == EBS_CSI_CHART]
    for r, prop in sources:
        values = _chart_values(r, prop)
        if values is UNKNOWN:
            unread.append((r, f"its {prop} are not known yet"))
        elif values is None:
            unread.append((r, f"its {prop} are not a JSON object the pack can read"))
        else:
            out += _from_values(r, prop, values)
    return out, unread


def _is_ebs_chart(chart: Any) -> bool:
    return isinstance(chart, str) and chart.rstrip("/").rsplit("/", 1)[-1].split(":")[0] == EBS_CSI_CHART
