"""Register a manifest dict as the matching pulumi_kubernetes resource (typed kinds, else CustomResource)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

Manifest = dict[str, Any]


def resource_name(manifest: Manifest) -> str:
    meta = manifest["metadata"]
    parts = [meta.get("namespace", "cluster"), manifest["kind"], meta["name"]]
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower())


def register(
    manifest: Manifest,
    *,
    provider: k8s.Provider,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> pulumi.CustomResource:
    opts = pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=list(depends_on))
    name = resource_name(manifest)
    kind, meta = manifest["kind"], manifest["metadata"]
    spec = manifest.get("spec")
    if kind == "Namespace":
        return k8s.core.v1.Namespace(name, metadata=meta, opts=opts)
    if kind == "ConfigMap":
        return k8s.core.v1.ConfigMap(name, metadata=meta, data=manifest["data"], opts=opts)
    if kind == "NetworkPolicy":
        return k8s.networking.v1.NetworkPolicy(name, metadata=meta, spec=spec, opts=opts)
    if kind == "ResourceQuota":
        return k8s.core.v1.ResourceQuota(name, metadata=meta, spec=spec, opts=opts)
    if kind == "LimitRange":
        return k8s.core.v1.LimitRange(name, metadata=meta, spec=spec, opts=opts)
    if kind == "Role":
        return k8s.rbac.v1.Role(name, metadata=meta, rules=manifest["rules"], opts=opts)
    if kind == "RoleBinding":
        return k8s.rbac.v1.RoleBinding(
            name, metadata=meta, role_ref=manifest["roleRef"], subjects=manifest["subjects"], opts=opts
        )
    if kind == "ValidatingAdmissionPolicy":
        return k8s.admissionregistration.v1.ValidatingAdmissionPolicy(name, metadata=meta, spec=spec, opts=opts)
    if kind == "ValidatingAdmissionPolicyBinding":
        return k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(name, metadata=meta, spec=spec, opts=opts)
    if kind == "ClusterRoleBinding":
        return k8s.rbac.v1.ClusterRoleBinding(
            name, metadata=meta, role_ref=manifest["roleRef"], subjects=manifest["subjects"], opts=opts
        )
    if kind == "StorageClass":
        return k8s.storage.v1.StorageClass(
            name,
            metadata=meta,
            provisioner=manifest["provisioner"],
            parameters=manifest.get("parameters"),
            reclaim_policy=manifest.get("reclaimPolicy"),
            volume_binding_mode=manifest.get("volumeBindingMode"),
            allow_volume_expansion=manifest.get("allowVolumeExpansion"),
            opts=opts,
        )
    return k8s.apiextensions.CustomResource(
        name, api_version=manifest["apiVersion"], kind=kind, metadata=meta, spec=spec, opts=opts
    )
