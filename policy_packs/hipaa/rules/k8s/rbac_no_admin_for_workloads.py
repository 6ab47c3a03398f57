"""K8S-05: administrator roles are bound only to the platform admin groups the pack config names, never to a
ServiceAccount or a user. A role is an administrator's by what it can do: cluster-admin, admin and edit, and any Role
or ClusterRole whose rules grant escalate, bind, impersonate or every verb ('*')."""

from collections.abc import Iterator, Mapping

from framework.model import Finding, Stack
from framework.rbac import PRIVILEGED, why_admin
from framework.rules import Config, stack_rule
from framework.types import BINDINGS
from framework.values import UNKNOWN, as_list


@stack_rule(
    "rbac-no-admin-for-workloads",
    "K8S-05",
    "No cluster-admin for service accounts; cluster admin only for named groups",
    config={
        "platformAdminGroups": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Kubernetes groups that may hold privileged roles (the platform administrators).",
        },
        "privilegedRoles": {
            "type": "array",
            "items": {"type": "string"},
            "default": PRIVILEGED,
            "description": "Built-in ClusterRoles no workload subject may be bound to (roles of the stack are judged "
            "by their verbs).",
        },
    },
    subjects=BINDINGS,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    groups = set(config.get("platformAdminGroups") or [])
    privileged = list(config.get("privilegedRoles") or PRIVILEGED)
    for r in stack.of_type(*BINDINGS):
        if r.get("roleRef") is UNKNOWN or r.get("roleRef.name") is UNKNOWN:
            yield Finding(r.urn, f"{r.label()}: its roleRef is not known yet", True)
            continue
        why = why_admin(stack, r, privileged)
        if why is None:
            continue
        for subject in as_list(r.get("subjects")):
            if not isinstance(subject, Mapping):
                continue
            kind, name = subject.get("kind"), subject.get("name")
            if kind == "Group" and isinstance(name, str) and name in groups:
                continue
            yield Finding(
                r.urn,
                f"{r.label()} binds {why} to {kind} {name!r}; bind people's groups listed in platformAdminGroups "
                "only, workloads to namespace Roles without escalate, bind, impersonate or '*'",
            )
