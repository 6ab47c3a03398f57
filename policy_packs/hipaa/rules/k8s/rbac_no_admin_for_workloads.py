"""K8S-05: cluster-admin, admin and edit are bound only to the platform admin groups the pack config names,
never to a ServiceAccount or a user."""

from collections.abc import Iterator, Mapping

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import BINDINGS
from framework.values import UNKNOWN, as_list

PRIVILEGED = ["cluster-admin", "admin", "edit"]


@resource_rule(
    "rbac-no-admin-for-workloads",
    "K8S-05",
    "No cluster-admin for service accounts; cluster admin only for named groups",
    BINDINGS,
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
            "description": "ClusterRoles no workload subject may be bound to.",
        },
    },
)
def check(r: Resource, config: Config) -> Iterator[Finding]:
    role = r.get("roleRef.name")
    if role is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: its roleRef is not known yet", True)
        return
    if role not in (config.get("privilegedRoles") or PRIVILEGED) or r.get("roleRef.kind") != "ClusterRole":
        return
    groups = set(config.get("platformAdminGroups") or [])
    for subject in as_list(r.get("subjects")):
        if not isinstance(subject, Mapping):
            continue
        kind, name = subject.get("kind"), subject.get("name")
        if kind == "Group" and isinstance(name, str) and name in groups:
            continue
        yield Finding(
            r.urn,
            f"{r.label()} binds {role} to {kind} {name!r}; bind people's groups listed in platformAdminGroups only, "
            "workloads to namespace Roles",
        )
