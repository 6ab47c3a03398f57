"""EKS-06: cluster administration goes only to the principals the pack config names, however EKS grants it: an
admin access policy, or a mapping (access entry kubernetesGroups, the aws-auth ConfigMap's mapRoles/mapUsers) into a
group that is an administrators' (system:masters, or a group some binding gives an admin role)."""

import fnmatch
from collections.abc import Iterator

from framework.model import Finding, Stack
from framework.rbac import CONFIG_MAP, MASTERS, PRIVILEGED, admin_groups, mappings
from framework.rules import Config, stack_rule
from framework.types import EKS_ACCESS_ENTRY, EKS_ACCESS_POLICY
from framework.values import UNKNOWN

ADMIN_POLICIES = ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy")


@stack_rule(
    "eks-cluster-admin-named-principals",
    "EKS-06",
    "Cluster administration only for the principals the pack config names",
    config={
        "clusterAdminPrincipals": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "IAM principal ARNs (patterns) allowed cluster admin, e.g. the deploy role, and the roles "
            "mapped into the platform admin groups.",
        }
    },
    subjects=(*EKS_ACCESS_POLICY, *EKS_ACCESS_ENTRY, CONFIG_MAP),
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    allowed = [str(p) for p in config.get("clusterAdminPrincipals") or []]
    for r in stack.of_type(*EKS_ACCESS_POLICY):
        policy, principal = r.get("policyArn"), r.get("principalArn")
        if policy is UNKNOWN:
            yield Finding(r.urn, f"{r.label()}: its access policy is not known yet", True)
            continue
        if not isinstance(policy, str) or not policy.endswith(ADMIN_POLICIES):
            continue
        if principal is UNKNOWN:
            yield Finding(r.urn, f"{r.label()} grants {policy.rsplit('/', 1)[-1]} to a principal not known yet", True)
        elif not any(fnmatch.fnmatchcase(str(principal), p) for p in allowed):
            yield Finding(
                r.urn,
                f"{r.label()} grants {policy.rsplit('/', 1)[-1]} to {principal}, which clusterAdminPrincipals does "
                "not name; map team roles to Kubernetes groups (cluster.group_access) instead",
            )
    admins = admin_groups(stack, PRIVILEGED)
    for m in mappings(stack):
        masters = MASTERS in m.groups
        if masters and m.source.type in EKS_ACCESS_ENTRY:
            yield Finding(
                m.source.urn, f"{m.source.label()} maps its principal to system:masters (cluster admin bypassing RBAC)"
            )
            continue
        hit = [g for g in m.groups if g in admins]
        if not hit:
            continue
        if m.principal is UNKNOWN:
            yield Finding(
                m.source.urn, f"{m.source.label()} maps a principal not known yet into admin group {hit[0]}", True
            )
        elif masters or not any(fnmatch.fnmatchcase(str(m.principal), p) for p in allowed):
            yield Finding(
                m.source.urn,
                f"{m.source.label()} maps {m.principal} ({m.how}) into group {hit[0]}, which is an administrators' "
                f"({admins[hit[0]]}): that makes it a cluster admin, and clusterAdminPrincipals does not name it",
            )
