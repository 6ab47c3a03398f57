"""The documents AWS and Kubernetes parse, checked for the grammar they are parsed with: every IAM policy
document of every shipped stack (key, bucket, endpoint, role and trust policies), and the RBAC objects.
A misspelled element (`Resorce`), a wrong-case value (`ALLOW`) or a duplicated Sid is refused by IAM at
deploy time, after a preview that looked fine; a RoleBinding with a wrong apiGroup binds nobody."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from components.config import validate_platform
from enclave.synth import SynthResult
from tests.conftest import STACKS, stack_data

Synth = Callable[..., SynthResult]
# Inputs holding an IAM policy document, per resource type.
POLICY_INPUTS = {
    "aws:kms/key:Key": "policy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "policy",
    "aws:iam/role:Role": "assumeRolePolicy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
}
STATEMENT_ELEMENTS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
                      "NotResource", "Condition"}  # fmt: skip
RBAC_GROUP = "rbac.authorization.k8s.io"


def documents(result: SynthResult) -> Iterator[tuple[str, dict[str, Any]]]:
    for r in result.resources:
        key = POLICY_INPUTS.get(r["type"])
        value = r["inputs"].get(key) if key else None
        if isinstance(value, str) and value.startswith("{"):
            yield r["urn"], json.loads(value)


@pytest.mark.parametrize("stack", STACKS)
def test_every_policy_document_is_valid_iam_grammar(synthed: Synth, stack: str) -> None:
    docs = list(documents(synthed(stack)))
    assert len(docs) >= 20, "the stack's policy documents were found"
    for urn, doc in docs:
        assert set(doc) == {"Version", "Statement"} and doc["Version"] == "2012-10-17", urn
        statements = doc["Statement"]
        assert isinstance(statements, list) and statements, urn
        sids = [s["Sid"] for s in statements if "Sid" in s]
        assert len(sids) == len(set(sids)), f"{urn}: duplicate Sids {sids}"
        for s in statements:
            assert set(s) <= STATEMENT_ELEMENTS, f"{urn}: unknown elements {set(s) - STATEMENT_ELEMENTS}"
            assert s["Effect"] in ("Allow", "Deny"), f"{urn}: Effect {s.get('Effect')!r}"
            assert ("Action" in s) != ("NotAction" in s), f"{urn}: one of Action/NotAction"
            is_trust = urn.split("::")[-2].endswith("aws:iam/role:Role")
            is_identity_policy = "rolePolicy" in urn or "iam/policy:" in urn
            if is_identity_policy:
                assert "Principal" not in s and ("Resource" in s or "NotResource" in s), urn
            elif is_trust:
                assert "Principal" in s and "Resource" not in s, urn
            else:
                assert "Principal" in s or "NotPrincipal" in s, f"{urn}: a resource policy names its principals"
                assert "Resource" in s or "NotResource" in s, f"{urn}: a resource policy names its resources"
            if "Sid" in s:
                assert s["Sid"].isalnum(), f"{urn}: Sid {s['Sid']!r} is not alphanumeric"


def k8s_objects(result: SynthResult, kind: str) -> list[dict[str, Any]]:
    return [
        r["inputs"] for r in result.resources if r["type"].startswith("kubernetes:") and r["type"].endswith(f":{kind}")
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_role_bindings_are_well_formed(synthed: Synth, stack: str) -> None:
    result = synthed(stack)
    bindings = k8s_objects(result, "RoleBinding")
    assert bindings
    for b in bindings:
        name = b["metadata"]["name"]
        assert b["metadata"]["namespace"], name
        assert b["roleRef"] == {"apiGroup": RBAC_GROUP, "kind": "Role", "name": b["roleRef"]["name"]}, name
        for subject in b["subjects"]:
            if subject["kind"] == "Group":
                assert subject == {"apiGroup": RBAC_GROUP, "kind": "Group", "name": subject["name"]}, name
            else:
                assert subject["kind"] == "ServiceAccount", name
                assert subject["namespace"] == b["metadata"]["namespace"], name


@pytest.mark.parametrize("stack", STACKS)
def test_platform_admins_are_bound_cluster_wide_to_people_only(synthed: Synth, stack: str) -> None:
    groups = validate_platform(stack_data(stack)).kubernetes.platform_admin_groups
    bindings = k8s_objects(synthed(stack), "ClusterRoleBinding")
    admin = [b for b in bindings if b["roleRef"]["name"] == "cluster-admin"]
    if not groups:
        assert admin == []
        return
    assert len(admin) == 1
    assert admin[0]["roleRef"] == {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": "cluster-admin"}
    assert admin[0]["subjects"] == [{"apiGroup": RBAC_GROUP, "kind": "Group", "name": g} for g in groups]
