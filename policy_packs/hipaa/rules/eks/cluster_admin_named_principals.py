"""EKS-06: cluster-admin access policies go only to the principals the pack config names."""

import fnmatch
from collections.abc import Iterator

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import EKS_ACCESS_ENTRY, EKS_ACCESS_POLICY
from framework.values import UNKNOWN, as_list

ADMIN_POLICIES = ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy")


@resource_rule(
    "eks-cluster-admin-named-principals",
    "EKS-06",
    "Cluster administration only for the principals the pack config names",
    (*EKS_ACCESS_POLICY, *EKS_ACCESS_ENTRY),
    config={
        "clusterAdminPrincipals": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "IAM principal ARNs (patterns) allowed cluster admin, e.g. the deploy role.",
        }
    },
)
def check(r: Resource, config: Config) -> Iterator[Finding]:
    if r.type in EKS_ACCESS_ENTRY:
        groups = r.get("kubernetesGroups")
        if groups is not UNKNOWN and "system:masters" in as_list(groups):
            yield Finding(r.urn, f"{r.label()} maps its principal to system:masters (cluster admin bypassing RBAC)")
        return
    policy, principal = r.get("policyArn"), r.get("principalArn")
    if policy is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: its access policy is not known yet", True)
        return
    if not isinstance(policy, str) or not policy.endswith(ADMIN_POLICIES):
        return
    if principal is UNKNOWN:
        yield Finding(r.urn, f"{r.label()} grants {policy.rsplit('/', 1)[-1]} to a principal not known yet", True)
        return
    allowed = [str(p) for p in config.get("clusterAdminPrincipals") or []]
    if not any(fnmatch.fnmatchcase(str(principal), p) for p in allowed):
        yield Finding(
            r.urn,
            f"{r.label()} grants {policy.rsplit('/', 1)[-1]} to {principal}, which clusterAdminPrincipals does not "
            "name; map team roles to Kubernetes groups (cluster.group_access) instead",
        )
