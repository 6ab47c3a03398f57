"""The VPC endpoints' data perimeter, evaluated (tests/iam_eval.py) on the policies prod really registers: what a
pod with foreign credentials, an exfiltrating workload, a node pulling images and IRSA can and cannot do."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from enclave.synth import SynthResult
from framework.evaluator import Request, evaluate

Synth = Callable[..., SynthResult]
ACCOUNT = "111122223333"
FOREIGN = "444455556666"
EKS_REGISTRY = "602401143452"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/prod-trainer-role"
FOREIGN_ROLE = f"arn:aws:iam::{FOREIGN}:role/stolen"
ECR_SERVICE_ROLE = "arn:aws:iam::999988887777:role/ecr-layer-service"  # AWS-owned, signs the layer URLs


@pytest.fixture(scope="module")
def policies(synthed: Synth) -> dict[str, dict[str, Any] | None]:
    out: dict[str, dict[str, Any] | None] = {}
    for endpoint in synthed("prod").by_type("aws:ec2/vpcEndpoint:VpcEndpoint"):
        text = endpoint["inputs"].get("policy")
        out[endpoint["name"].removeprefix("prod-vpce-")] = json.loads(text) if text else None
    return out


def call(policy: dict[str, Any] | None, action: str, resource: str, principal: str | None, resource_account: str | None,
         **extra: str) -> str:  # fmt: skip
    context = dict(extra)
    if principal is not None:
        context["aws:PrincipalAccount"] = principal.split(":")[4]
    if resource_account is not None:
        context["aws:ResourceAccount"] = resource_account
    assert policy is not None
    return evaluate(policy, Request(action, resource, principal_arn=principal, context=context))


@pytest.mark.parametrize("endpoint", ["s3", "s3-interface"])
def test_s3_endpoints_keep_data_in_the_account(policies: dict[str, Any], endpoint: str) -> None:
    p = policies[endpoint]
    own, foreign = "arn:aws:s3:::prod-checkpoints-bucket-1a2b3c4", "arn:aws:s3:::attacker-drop"
    assert call(p, "s3:GetObject", f"{own}/runs/x", ROLE, ACCOUNT) == "Allow"
    assert call(p, "s3:PutObject", f"{foreign}/weights.bin", ROLE, FOREIGN) == "ImplicitDeny", "exfiltration"
    assert call(p, "s3:GetObject", f"{own}/runs/x", FOREIGN_ROLE, ACCOUNT) == "ImplicitDeny", "foreign credentials"
    assert call(p, "s3:PutObject", f"{foreign}/x", FOREIGN_ROLE, FOREIGN) == "ImplicitDeny", "attacker's own keys"


def test_ecr_image_layers_come_through_the_gateway(policies: dict[str, Any]) -> None:
    layers = "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/sha256/abc"
    assert call(policies["s3"], "s3:GetObject", layers, ECR_SERVICE_ROLE, "999988887777") == "Allow"
    assert call(policies["s3"], "s3:PutObject", layers, ROLE, "999988887777") == "ImplicitDeny", "read-only"
    other = "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/x"
    assert call(policies["s3"], "s3:GetObject", other, ROLE, "999988887777") == "ImplicitDeny", "nothing else AWS owns"


def test_irsa_and_sts_stay_in_the_account(policies: dict[str, Any]) -> None:
    p = policies["sts"]
    web = Request("sts:AssumeRoleWithWebIdentity", f"arn:aws:iam::{ACCOUNT}:role/prod-trainer-role",
                  context={"aws:ResourceAccount": ACCOUNT})  # fmt: skip
    assert evaluate(p, web) == "Allow", "IRSA: no AWS principal, this account's role"
    foreign_web = Request("sts:AssumeRoleWithWebIdentity", f"arn:aws:iam::{FOREIGN}:role/x",
                          context={"aws:ResourceAccount": FOREIGN})  # fmt: skip
    assert evaluate(p, foreign_web) == "ImplicitDeny"
    assert call(p, "sts:AssumeRole", f"arn:aws:iam::{FOREIGN}:role/x", ROLE, FOREIGN) == "ImplicitDeny"
    assert call(p, "sts:GetCallerIdentity", "*", ROLE, None) == "Allow"
    assert call(p, "sts:GetCallerIdentity", "*", FOREIGN_ROLE, None) == "ImplicitDeny"


@pytest.mark.parametrize("endpoint", ["ecr-api", "ecr-dkr"])
def test_nodes_pull_own_and_eks_images_and_push_nowhere_else(policies: dict[str, Any], endpoint: str) -> None:
    p = policies[endpoint]
    node = f"arn:aws:sts::{ACCOUNT}:assumed-role/prod-train-p5-node-role/i-0abc"
    mirror = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/mirror/istio/proxyv2"
    eks = f"arn:aws:ecr:us-east-1:{EKS_REGISTRY}:repository/eks/kube-proxy"
    assert call(p, "ecr:GetAuthorizationToken", "*", node, None) == "Allow"
    assert call(p, "ecr:BatchGetImage", mirror, node, ACCOUNT) == "Allow"
    assert call(p, "ecr:GetDownloadUrlForLayer", eks, node, EKS_REGISTRY) == "Allow"
    assert call(p, "ecr:PutImage", eks, node, EKS_REGISTRY) == "ImplicitDeny"
    drop = f"arn:aws:ecr:us-east-1:{FOREIGN}:repository/drop"
    assert call(p, "ecr:PutImage", drop, node, FOREIGN) == "ImplicitDeny", "model weights pushed as an image"
    assert call(p, "ecr:BatchGetImage", f"arn:aws:ecr:us-east-1:{FOREIGN}:repository/x", node, FOREIGN) == (
        "ImplicitDeny"
    ), "images from anywhere else are refused at the network too"


def test_logs_are_written_to_own_groups_only(policies: dict[str, Any]) -> None:
    own = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/app:log-stream:x"
    assert call(policies["logs"], "logs:PutLogEvents", own, ROLE, ACCOUNT) == "Allow"
    foreign = f"arn:aws:logs:us-east-1:{FOREIGN}:log-group:/drop:log-stream:x"
    assert call(policies["logs"], "logs:PutLogEvents", foreign, ROLE, FOREIGN) == "ImplicitDeny"


@pytest.mark.parametrize("endpoint", ["ec2", "eks"])
def test_control_endpoints_take_this_accounts_principals_only(policies: dict[str, Any], endpoint: str) -> None:
    p = policies[endpoint]
    cni = f"arn:aws:sts::{ACCOUNT}:assumed-role/prod-vpc-cni-role/x"
    assert call(p, f"{endpoint}:DescribeInstances", "*", cni, None) == "Allow", "Describe calls name no resource"
    assert call(p, f"{endpoint}:DescribeInstances", "*", FOREIGN_ROLE, None) == "ImplicitDeny"


def test_every_endpoint_but_eks_auth_has_a_policy(policies: dict[str, Any]) -> None:
    assert {name for name, p in policies.items() if p is None} == {"eks-auth"}
    assert set(policies) == {"s3", "s3-interface", "sts", "ecr-api", "ecr-dkr", "logs", "ec2", "eks", "eks-auth"}
