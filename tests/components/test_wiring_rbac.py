"""Who is bound to what in each zone namespace, read off the offline synth of every shipped stack and
compared with the stack file's persona groups (seeds' persona table): a data scientist's binding names the
zone's data-scientist groups and nobody else, an ML engineer's the ML-engineer groups, a training job's
the zone's workload service accounts; every bound group can actually be assumed (an access entry maps an
IAM role to it); cluster-admin goes to the platform admin groups only. See test_wiring_deploy_order.py
for the break list."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import STACKS

from .wiring import Deployed, Record, Synth, deployed, k8s_name, k8s_namespace

PERSONA_GROUPS = {"data-scientist": "data_scientist_groups", "ml-engineer": "ml_engineer_groups"}
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"

pytestmark = pytest.mark.parametrize("stack", STACKS)


def subjects(binding: Record, kind: str) -> set[str]:
    return {s["name"] for s in binding["inputs"].get("subjects") or [] if s["kind"] == kind}


def bindings(p: Deployed, namespace: str) -> dict[str, list[Record]]:
    """Role name -> the RoleBindings of `namespace` that bind it."""
    out: dict[str, list[Record]] = {}
    for b in p.k8s_objects("RoleBinding", namespace):
        ref = b["inputs"]["roleRef"]
        assert ref["kind"] == "Role", f"{b['name']} binds a {ref['kind']}: zone personas get namespaced roles"
        out.setdefault(ref["name"], []).append(b)
    return out


def test_persona_role_bindings_bind_exactly_the_configured_groups(synthed: Synth, stack: str) -> None:
    """In every namespace of every zone, the groups bound to each persona's Role are exactly the groups the
    stack file lists for that persona in that zone (none listed: no binding at all)."""
    p = deployed(synthed(stack))
    wrong: dict[str, Any] = {}
    for zone in p.cfg.zones:
        for ns in zone.namespaces:
            found = bindings(p, ns)
            for persona, field in PERSONA_GROUPS.items():
                expected = set(getattr(zone.access, field))
                bound = set().union(*(subjects(b, "Group") for b in found.get(persona, [])))
                if bound != expected:
                    wrong[f"{ns}/{persona}"] = {"configured": sorted(expected), "bound": sorted(bound)}
                if expected:
                    roles = [r for r in p.k8s_objects("Role", ns) if k8s_name(r) == persona]
                    assert len(roles) == 1, f"{ns}: the {persona} binding names a Role that is not created"
    assert wrong == {}


def test_people_are_bound_only_to_their_persona_roles(synthed: Synth, stack: str) -> None:
    """No other binding in a zone namespace names a group or a user: a person's rights come from a persona."""
    p = deployed(synthed(stack))
    for zone in p.cfg.zones:
        for ns in zone.namespaces:
            for role, found in bindings(p, ns).items():
                if role in PERSONA_GROUPS:
                    continue
                people = set().union(*(subjects(b, "Group") | subjects(b, "User") for b in found))
                assert people == set(), f"{ns}: role {role} is bound to people {people}"


def test_training_job_role_binds_exactly_the_zones_workload_service_accounts(synthed: Synth, stack: str) -> None:
    """A training namespace's job role is bound to the service accounts of the identities configured in that
    namespace, in that namespace; other zone classes bind no service account to any role."""
    p = deployed(synthed(stack))
    for zone in p.cfg.zones:
        for ns in zone.namespaces:
            accounts = {i.service_account for i in p.cfg.identities if i.zone == zone.name and i.namespace == ns}
            found = bindings(p, ns)
            bound = {
                (s["namespace"], s["name"])
                for bs in found.values()
                for b in bs
                for s in b["inputs"].get("subjects") or []
                if s["kind"] == "ServiceAccount"
            }
            expected = {(ns, sa) for sa in accounts} if zone.zone_class == "training" else set()
            assert bound == expected, f"{ns}: service accounts bound {bound}, expected {expected}"


def test_every_bound_group_is_reachable_through_an_access_entry(synthed: Synth, stack: str) -> None:
    """A group nobody can act as makes the binding dead (and hides a typo): each group bound in a zone or as
    platform admin is the Kubernetes group of some IAM role's access entry."""
    p = deployed(synthed(stack))
    if p.cfg.cluster.mode != "create":
        return
    mapped = {g for e in p.of_type(ACCESS_ENTRY) for g in e["inputs"].get("kubernetesGroups") or []}
    bound = {
        g for kind in ("RoleBinding", "ClusterRoleBinding") for b in p.k8s_objects(kind) for g in subjects(b, "Group")
    }
    assert bound - mapped == set()


def test_cluster_admin_goes_to_the_platform_admin_groups_only(synthed: Synth, stack: str) -> None:
    """cluster-admin is bound to the configured platform admin groups, never to a service account."""
    p = deployed(synthed(stack))
    admin = [b for b in p.k8s_objects("ClusterRoleBinding") if b["inputs"]["roleRef"]["name"] == "cluster-admin"]
    groups = set().union(*(subjects(b, "Group") for b in admin))
    assert groups == set(p.cfg.kubernetes.platform_admin_groups)
    assert all(subjects(b, "ServiceAccount") == set() and subjects(b, "User") == set() for b in admin)
    namespaced_admin = [
        b["name"] for b in p.k8s_objects("RoleBinding") if b["inputs"]["roleRef"]["name"] == "cluster-admin"
    ]
    assert namespaced_admin == []
    assert all(k8s_namespace(b) is None for b in admin)
