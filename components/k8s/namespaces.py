"""Namespace manifests of a trust zone: zone/class labels, Pod Security Admission, Istio injection."""

from __future__ import annotations

from typing import Any

from ..config import Zone
from .labels import (
    CLASS_LABEL,
    ISTIO_INJECTION,
    MANAGED_BY,
    PSA_AUDIT,
    PSA_BY_CLASS,
    PSA_ENFORCE,
    PSA_REASON_ANNOTATION,
    PSA_REASON_BY_CLASS,
    PSA_WARN,
    STAGE_LABEL,
    ZONE_LABEL,
)
from .rollout import ROLLOUT_LABEL, pod_security_enforce, stage

Manifest = dict[str, Any]


def namespace(zone: Zone, name: str, psa_version: str = "latest") -> Manifest:
    """`psa_version` pins the Pod Security Standards version the namespace enforces (the cluster's
    Kubernetes version), so a control-plane upgrade cannot change what is admitted unreviewed."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                **MANAGED_BY,
                ZONE_LABEL: zone.name,
                CLASS_LABEL: zone.zone_class,
                STAGE_LABEL: zone.stage,
                PSA_ENFORCE: pod_security_enforce(zone, PSA_BY_CLASS[zone.zone_class]),
                f"{PSA_ENFORCE}-version": psa_version,
                PSA_WARN: "restricted",
                PSA_AUDIT: "restricted",
                ISTIO_INJECTION: "enabled",
                # below enforce only: an enforce zone's namespace is as it always was
                **({} if stage(zone) == "enforce" else {ROLLOUT_LABEL: stage(zone)}),
            },
            "annotations": {PSA_REASON_ANNOTATION: PSA_REASON_BY_CLASS[zone.zone_class]},
        },
    }
