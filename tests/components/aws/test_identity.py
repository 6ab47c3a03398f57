"""WorkloadIdentity: the role, its generated policy and the annotated ServiceAccount as registered."""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.aws.identity import ROLE_ARN_ANNOTATION, GrantTarget, WorkloadIdentity, WorkloadIdentityArgs
from tests.components.harness import Captured, capture

ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
OIDC_ARN = "arn:aws:iam::111122223333:oidc-provider/" + ISSUER.removeprefix("https://")


def build(access: str = "read", with_k8s: bool = True, **fields: object) -> Captured:
    def run() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}") if with_k8s else None
        grant = GrantTarget(
            bucket_arn="arn:aws:s3:::models-prod",
            key_alias="alias/enclave/prod/models-prod",
            prefix="clf/v12",
            access=access,  # type: ignore[arg-type]
        )
        args = WorkloadIdentityArgs(
            namespace="inference",
            service_account="model-server",
            zone="inference",
            oidc_provider_arn=OIDC_ARN,
            oidc_issuer_url=ISSUER,
            region="us-east-1",
            grants=[grant],
            kubernetes_provider=provider,
            **fields,  # type: ignore[arg-type]
        )
        WorkloadIdentity("server", args)

    return capture(run)


def test_role_trusts_exactly_one_service_account_for_one_hour() -> None:
    c = build()
    role = c.one("aws:iam/role:Role")
    trust = json.loads(role["inputs"]["assumeRolePolicy"])
    (stmt,) = trust["Statement"]
    host = ISSUER.removeprefix("https://")
    assert stmt["Principal"] == {"Federated": OIDC_ARN}, role["urn"]
    assert stmt["Condition"] == {
        "StringEquals": {
            f"{host}:sub": "system:serviceaccount:inference:model-server",
            f"{host}:aud": "sts.amazonaws.com",
        }
    }
    assert role["inputs"]["maxSessionDuration"] == 3600


def test_read_grant_policy_registered_on_the_role() -> None:
    c = build()
    policy = c.one("aws:iam/rolePolicy:RolePolicy")
    doc = json.loads(policy["inputs"]["policy"])
    resources = {s["Resource"] for s in doc["Statement"]}
    assert resources == {
        "arn:aws:s3:::models-prod/clf/v12/*",
        "arn:aws:s3:::models-prod",
        "arn:aws:kms:us-east-1:111122223333:key/*",
    }, policy["urn"]
    (kms,) = [s for s in doc["Statement"] if s["Resource"].startswith("arn:aws:kms")]
    assert kms["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": "alias/enclave/prod/models-prod"}
    assert not any("s3:PutObject" in s["Action"] for s in doc["Statement"])
    assert policy["propertyDependencies"]["role"] == [c.urn("aws:iam/role:Role")]


def test_write_grant_adds_put() -> None:
    doc = build(access="write").doc("aws:iam/rolePolicy:RolePolicy")
    assert any("s3:PutObject" in s["Action"] for s in doc["Statement"])


def test_service_account_is_annotated_and_does_not_mount_tokens() -> None:
    c = build()
    sa = c.one("kubernetes:core/v1:ServiceAccount")
    meta = sa["inputs"]["metadata"]
    assert meta["name"] == "model-server" and meta["namespace"] == "inference", sa["urn"]
    assert meta["annotations"][ROLE_ARN_ANNOTATION].startswith("arn:aws:iam::111122223333:role/server-role-")
    assert sa["inputs"]["automountServiceAccountToken"] is False
    assert c.urn("aws:iam/role:Role") in sa["dependencies"]


def test_optional_boundary_and_shorter_token() -> None:
    boundary = "arn:aws:iam::111122223333:policy/workload-boundary"
    c = build(permissions_boundary_arn=boundary, token_expiration_seconds=600)
    role = c.one("aws:iam/role:Role")
    assert role["inputs"]["permissionsBoundary"] == boundary
    # IAM accepts 3600-43200 only: the session stays at its one-hour minimum, the token gets shorter.
    assert role["inputs"]["maxSessionDuration"] == 3600
    sa = c.one("kubernetes:core/v1:ServiceAccount")
    assert sa["inputs"]["metadata"]["annotations"]["eks.amazonaws.com/token-expiration"] == "600"


def test_without_cluster_access_no_service_account() -> None:
    assert build(with_k8s=False).of_type("kubernetes:core/v1:ServiceAccount") == []


ARGS: dict[str, object] = {
    "namespace": "inference",
    "service_account": "model-server",
    "zone": "inference",
    "oidc_provider_arn": OIDC_ARN,
    "oidc_issuer_url": ISSUER,
    "region": "us-east-1",
}


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"namespace": "Inference"}, "WorkloadIdentityArgs.namespace='Inference': a Kubernetes namespace must"),
        ({"token_expiration_seconds": 60}, "token_expiration_seconds=60: Input should be greater than or equal to 600"),
        ({"oidc_issuer_url": "https://example.com"}, "WorkloadIdentityArgs.oidc_issuer_url='https://example.com'"),
        ({"region": "mars-1"}, "WorkloadIdentityArgs.region='mars-1'"),
        ({"permissions_boundary_arn": "boundary"}, "permissions_boundary_arn='boundary'"),
    ],
)
def test_args_refuse_what_the_stack_file_would(fields: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        WorkloadIdentityArgs(**{**ARGS, **fields})  # type: ignore[arg-type]


def test_outputs_are_not_checked_until_known() -> None:
    def run() -> None:
        issuer = pulumi.Output.from_input("not checked here")
        args = WorkloadIdentityArgs(**{**ARGS, "oidc_issuer_url": issuer})  # type: ignore[arg-type]
        assert args.oidc_issuer_url is issuer

    capture(run)


@pytest.mark.parametrize(("prefix", "access"), [("/clf", "read"), ("clf/*", "read"), ("clf", "admin")])
def test_grant_targets_are_checked_like_grants(prefix: str, access: str) -> None:
    with pytest.raises(ValueError, match="GrantTarget"):
        GrantTarget(bucket_arn="b", key_alias="alias/k", prefix=prefix, access=access)  # type: ignore[arg-type]
