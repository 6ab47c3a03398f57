"""K8S-17: where a zone's RoleBindings let groups create workloads, an admission policy that fails closed decides,
from the requester's groups, which ServiceAccounts their workloads may run as (RBAC cannot)."""

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.kube import in_namespace, zone_namespaces
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import as_list

from .admission_guards import bound_to, guards

CREATES = {"pods", "jobs", "cronjobs", "deployments", "statefulsets", "daemonsets", "replicasets", "*"}
TERMS = ("userInfo.groups", "serviceAccountName")


def _group_creators(stack: Stack, namespace: str) -> list[str]:
    named = [*in_namespace(stack, t.ROLES, namespace), *stack.of_type(t.ROLES[1])]
    roles = {str(r.get("metadata.name")): r for r in named if isinstance(r.get("metadata.name"), str)}
    out = []
    for b in in_namespace(stack, t.BINDINGS, namespace):
        role = roles.get(str(b.get("roleRef.name")))
        rules = [r for r in as_list(role.get("rules") if role else []) if isinstance(r, Mapping)]
        creates = any(
            CREATES & {str(x) for x in as_list(r.get("resources"))}
            and {"create", "*"} & {str(x) for x in as_list(r.get("verbs"))}
            for r in rules
        )
        if creates:
            out += [
                str(s.get("name"))
                for s in as_list(b.get("subjects"))
                if isinstance(s, Mapping) and s.get("kind") == "Group"
            ]
    return out


@stack_rule(
    "workload-service-accounts-by-group",
    "K8S-17",
    "Workloads run only as the ServiceAccounts their creator's group may use",
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    policies = guards(stack, TERMS, ("pods", "jobs"))
    for ns in sorted(zone_namespaces(stack).values(), key=lambda n: n.name):
        groups = _group_creators(stack, ns.name)
        if groups and not bound_to(stack, policies, ns.name):
            yield Finding(
                ns.resource.urn,
                f"namespace {ns.name}: groups {', '.join(sorted(set(groups)))} may create "
                "workloads, and nothing limits which ServiceAccount they run as: any of them can run as the "
                "namespace's most privileged identity",
            )
