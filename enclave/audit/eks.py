"""EKS clusters: secrets encryption (EKS-01), control-plane logs (EKS-02), endpoint access (EKS-03), the VPC
CNI's NetworkPolicy setting (EKS-04); reads their node groups for nodes.py."""

from __future__ import annotations

import json
from typing import Any

from .context import Context
from .session import CheckFailed

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def read(ctx: Context) -> None:
    r = ctx.reader
    names = r.paginate("EKS clusters", "eks", "list_clusters", "clusters")
    ctx.live.read.add("eks")

    def detail(name: str) -> None:
        check = f"EKS cluster {name}"
        cluster: dict[str, Any] = (r.call(check, "eks", "describe_cluster", name=name) or {}).get("cluster", {})
        ctx.live.clusters[name] = cluster
        try:
            groups = r.paginate(f"EKS node groups of {name}", "eks", "list_nodegroups", "nodegroups", clusterName=name)
            for group in groups:
                got = (
                    r.call(
                        f"EKS node group {name}/{group}",
                        "eks",
                        "describe_nodegroup",
                        clusterName=name,
                        nodegroupName=group,
                    )
                    or {}
                )
                ctx.live.nodegroups[f"{name}/{group}"] = got.get("nodegroup", {})
        except CheckFailed:
            pass
        if "EKS-04" in ctx.skip:
            return
        addons: dict[str, Any] = {}
        for addon in r.paginate(f"EKS add-ons of {name} (EKS-04)", "eks", "list_addons", "addons", clusterName=name):
            described = r.call(
                f"EKS add-ons of {name} (EKS-04)", "eks", "describe_addon", clusterName=name, addonName=addon
            )
            addons[addon] = (described or {}).get("addon", {})
        cluster["_addons"] = addons

    r.each(names, detail, lambda name: f"EKS cluster {name}")
    ctx.result.count("eks clusters", len(names))
    ctx.result.count("eks node groups", len(ctx.live.nodegroups))
    ctx.progress(f"EKS: {len(names)} clusters, {len(ctx.live.nodegroups)} node groups")


def check(ctx: Context) -> None:
    for name, c in sorted(ctx.live.clusters.items()):
        if not c:
            continue
        label = c.get("arn", name)
        secrets = [e for e in c.get("encryptionConfig") or [] if "secrets" in e.get("resources", [])]
        key = secrets[0].get("provider", {}).get("keyArn") if secrets else None
        problem = ctx.customer_key_problem(key)
        if problem:
            ctx.finding(
                "EKS-01",
                label,
                f"Kubernetes secrets are encrypted with {problem}; they must be envelope-encrypted with a customer key",
            )
        enabled = {t for s in c.get("logging", {}).get("clusterLogging", []) if s.get("enabled") for t in s["types"]}
        off = [t for t in LOG_TYPES if t not in enabled]
        if off:
            ctx.finding("EKS-02", label, f"control-plane log types {', '.join(off)} are off; all five must be on")
        vpc = c.get("resourcesVpcConfig", {})
        cidrs = vpc.get("publicAccessCidrs") or ["0.0.0.0/0"]
        if vpc.get("endpointPublicAccess") and any(x in ("0.0.0.0/0", "::/0") for x in cidrs):
            ctx.finding(
                "EKS-03",
                label,
                f"the API endpoint is public to {', '.join(cidrs)}; make it private or list admin networks",
            )
        if not vpc.get("endpointPrivateAccess", False):
            ctx.finding("EKS-03", label, "private endpoint access is off; it must be on")
        if "_addons" in c:
            _cni(ctx, label, c["_addons"])


def _cni(ctx: Context, label: str, addons: dict[str, Any]) -> None:
    cni = addons.get("vpc-cni")
    if cni is None:
        ctx.finding(
            "EKS-04",
            label,
            "has no vpc-cni add-on, so no NetworkPolicy is enforced; install it with enableNetworkPolicy 'true'",
        )
        return
    raw = cni.get("configurationValues") or "{}"
    try:
        values = json.loads(raw)
    except ValueError:
        values = None
    setting = values.get("enableNetworkPolicy") if isinstance(values, dict) else None
    if str(setting).lower() != "true":
        ctx.finding("EKS-04", label, f"the vpc-cni add-on has enableNetworkPolicy {setting!r}; it must be 'true'")
