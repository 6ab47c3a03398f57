"""EKS clusters: secrets encryption (EKS-01), control-plane logs (EKS-02), endpoint access (EKS-03), the VPC
CNI's NetworkPolicy setting (EKS-04), access entries only with no creator bootstrap (EKS-05), cluster admin only
for named principals (EKS-06); reads their node groups for nodes.py."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from .context import Context
from .model import Incomplete
from .session import CheckFailed

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
ADMIN_POLICIES = ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy")  # the pack's EKS-06 rule


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
        if "EKS-06" not in ctx.skip:
            with contextlib.suppress(CheckFailed):
                cluster["_admins"] = _admins(ctx, name)
        if {"EKS-04", "DETECT-06"} <= ctx.skip:  # the add-ons serve EKS-04 and DETECT-06 (the CNI's policy logs)
            return
        addons: dict[str, Any] = {}
        check = f"EKS add-ons of {name} (EKS-04, DETECT-06)"
        for addon in r.paginate(check, "eks", "list_addons", "addons", clusterName=name):
            described = r.call(check, "eks", "describe_addon", clusterName=name, addonName=addon)
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
        if "EKS-05" not in ctx.skip:
            _access_config(ctx, name, label, c.get("accessConfig"))
        if not ctx.tags:  # with --stack, drift compares the admins with the stack's cluster.admin_role_arns
            cluster_admins(ctx, None)


def _admins(ctx: Context, name: str) -> dict[str, list[str]]:
    """Every access entry's principal -> its associated access policies (ARNs)."""
    r = ctx.reader
    check = f"EKS access entries of {name} (EKS-06)"
    out: dict[str, list[str]] = {}
    for principal in r.paginate(check, "eks", "list_access_entries", "accessEntries", clusterName=name):
        associated = r.paginate(
            check,
            "eks",
            "list_associated_access_policies",
            "associatedAccessPolicies",
            clusterName=name,
            principalArn=principal,
        )
        out[principal] = sorted(str(a.get("policyArn", "")) for a in associated)
    return out


def _access_config(ctx: Context, name: str, label: str, access: Any) -> None:
    """EKS-05 as the pack's eks-access-entries-only rule demands: authenticationMode API, no creator bootstrap."""
    if not isinstance(access, dict) or "authenticationMode" not in access:
        ctx.result.add_incomplete(
            Incomplete(f"EKS access config of {name} (EKS-05)", "eks:DescribeCluster: the answer has no accessConfig")
        )
        return
    mode = access.get("authenticationMode")
    if mode != "API":
        ctx.finding(
            "EKS-05",
            label,
            f"authenticationMode is {mode}; it must be API (access entries only, no aws-auth ConfigMap)",
        )
    if access.get("bootstrapClusterCreatorAdminPermissions") is not False:
        ctx.finding(
            "EKS-05",
            label,
            "the cluster creator was bootstrapped as cluster admin; create clusters with "
            "bootstrapClusterCreatorAdminPermissions false and name the admins",
        )


def cluster_admins(ctx: Context, allowed: set[str] | None) -> None:
    """EKS-06: a cluster-admin access policy only for `allowed` (the stack's admin roles); without a stack, only
    for IAM roles (never a user or the root)."""
    for name, c in sorted(ctx.live.clusters.items()):
        label = c.get("arn", name)
        for principal, policies in sorted((c.get("_admins") or {}).items()):
            admin = [p.rsplit("/", 1)[-1] for p in policies if p.endswith(ADMIN_POLICIES)]
            if not admin:
                continue
            if allowed is None and ":role/" not in principal:
                ctx.finding(
                    "EKS-06",
                    label,
                    f"{', '.join(admin)} is associated with {principal}, which is not an IAM role; give cluster "
                    "admin to named roles only",
                )
            elif allowed is not None and principal not in allowed:
                ctx.finding(
                    "EKS-06",
                    label,
                    f"{', '.join(admin)} is associated with {principal}, which the stack's cluster.admin_role_arns "
                    "does not name; map team roles to Kubernetes groups instead",
                )


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
