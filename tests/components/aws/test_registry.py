"""Images per zone: what the zone repositories' policies decide for the pulls and pushes real clients make, evaluated
with the nodes' own identity policy (AmazonEC2ContainerRegistryPullOnly allows pulls on every repository), and how
the prod stack creates the repositories."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from components.aws.registry import LAYER_CHECK, PULL_ACTIONS, PUSH_ACTIONS, ZoneRepositoriesArgs, repository_policy
from enclave.synth import SynthResult
from framework.evaluator import Request, denying_statements, evaluate

Synth = Callable[..., SynthResult]
ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role"
INFERENCE_NODES, NOTEBOOK_NODES, TRAINING_NODES = (f"{ROLE}/prod-infer-g6e-node", f"{ROLE}/prod-notebooks-g6-node",
                                                   f"{ROLE}/prod-train-p5-node")  # fmt: skip
PUBLISHER = f"{ROLE}/image-publisher"
INFERENCE_REPO = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/prod/inference/model-server"
# The AWS managed policy every node role carries (as AWS publishes it): pulls of any repository of the account.
PULL_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "ecr:GetAuthorizationToken",
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchGetImage",
            ],
            "Resource": "*",
        }
    ],
}
# What a CI publisher's own policy typically grants.
PUBLISHER_POLICY = {"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}


def inference_policy() -> dict[str, Any]:
    return json.loads(repository_policy([INFERENCE_NODES], [PUBLISHER]))


def decision(principal: str, action: str, identity: dict[str, Any]) -> str:
    """Same account: an explicit Deny in either policy refuses; else an Allow in either lets the call through."""
    # A node's call is made in a session of its role; aws:PrincipalArn is the role's ARN.
    req = Request(action, INFERENCE_REPO, principal_arn=principal)
    return evaluate([identity, inference_policy()], req)


@pytest.mark.parametrize("action", [*PULL_ACTIONS, LAYER_CHECK])
def test_the_inference_nodes_pull_inference_images(action: str) -> None:
    assert decision(INFERENCE_NODES, action, PULL_ONLY) == "Allow"


@pytest.mark.parametrize("nodes", [NOTEBOOK_NODES, TRAINING_NODES])
@pytest.mark.parametrize("action", [*PULL_ACTIONS, LAYER_CHECK])
def test_other_zones_nodes_are_refused_inference_images_despite_their_pull_policy(nodes: str, action: str) -> None:
    """Without the Deny, PULL_ONLY alone would let them: an Allow-only repository policy excludes nobody."""
    assert evaluate([PULL_ONLY], Request(action, INFERENCE_REPO, principal_arn=nodes)) == "Allow"
    assert decision(nodes, action, PULL_ONLY) == "Deny", denying_statements(
        inference_policy(), Request(action, INFERENCE_REPO, principal_arn=nodes)
    )


def test_a_role_with_ecr_star_still_cannot_pull_but_the_publisher_pushes() -> None:
    admin = f"{ROLE}/platform-admin"
    for action in PULL_ACTIONS:
        assert decision(admin, action, PUBLISHER_POLICY) == "Deny", action
        assert decision(PUBLISHER, action, PUBLISHER_POLICY) == "Deny", (
            f"the publisher pushes, it does not pull: {action}"
        )
    for action in [LAYER_CHECK, *PUSH_ACTIONS]:
        assert decision(PUBLISHER, action, {"Statement": []}) == "Allow", action
    for action in PUSH_ACTIONS:
        assert decision(admin, action, PUBLISHER_POLICY) == "Deny", action
        assert decision(INFERENCE_NODES, action, PUBLISHER_POLICY) == "Deny", action


def test_aws_services_and_anonymous_callers_are_refused_pulls() -> None:
    policy = inference_policy()
    for req in (
        Request("ecr:BatchGetImage", INFERENCE_REPO, principal_service="ecr.amazonaws.com"),
        Request("ecr:BatchGetImage", INFERENCE_REPO),
        Request(
            "ecr:BatchGetImage", INFERENCE_REPO, principal_arn="arn:aws:iam::444455556666:role/prod-infer-g6e-node"
        ),
    ):
        assert evaluate(policy, req) == "Deny", req


def test_args_refuse_what_the_stack_file_would() -> None:
    good: dict[str, Any] = {"environment": "prod", "zone": "inference", "names": ["model-server"], "kms_key_arn": "k",
                            "puller_role_arns": [INFERENCE_NODES]}  # fmt: skip
    ZoneRepositoriesArgs(**good)
    with pytest.raises(ValueError, match=r"ZoneRepositoriesArgs.names=.*Model-Server"):
        ZoneRepositoriesArgs(**{**good, "names": ["Model-Server"]})
    with pytest.raises(ValueError, match=r"puller_role_arns=.*not an IAM role ARN"):
        ZoneRepositoriesArgs(**{**good, "puller_role_arns": ["prod-infer-g6e-node"]})
    with pytest.raises(ValueError, match=r"puller_role_arns=\[\]: no node role may pull"):
        ZoneRepositoriesArgs(**{**good, "puller_role_arns": []})


def test_prod_repositories_are_immutable_scanned_on_the_zone_key_and_pulled_by_the_zone_nodes(synthed: Synth) -> None:
    result = synthed("prod", True)
    repos = {r["inputs"]["name"]: r for r in result.by_type("aws:ecr/repository:Repository")}
    assert set(repos) == {"prod/platform/model-promoter", "prod/training/trainer", "prod/inference/model-server",
                          "prod/notebooks/jupyter"}  # fmt: skip
    nodes = {"platform": ["prod-system-node"], "training": ["prod-train-p5-node"], "inference": ["prod-infer-g6e-node"],
             "notebooks": ["prod-notebooks-g6-node"]}  # fmt: skip
    roles = {r["inputs"].get("name"): r["urn"] for r in result.by_type("aws:iam/role:Role")}
    policies = {p["inputs"]["repository"]: p for p in result.by_type("aws:ecr/repositoryPolicy:RepositoryPolicy")}
    for name, repo in repos.items():
        zone = name.split("/")[1]
        inputs = repo["inputs"]
        assert inputs["imageTagMutability"] == "IMMUTABLE", name
        assert inputs["imageScanningConfiguration"] == {"scanOnPush": True}, name
        assert inputs["tags"]["enclave:zone"] == zone
        (encryption,) = inputs["encryptionConfigurations"]
        assert encryption["encryptionType"] == "KMS"
        assert repo["propertyDependencies"]["encryptionConfigurations"] == [
            f"urn:pulumi:prod::gpu-enclave::enclave:aws:KmsKey$aws:kms/key:Key::prod-{zone}-key"
        ], f"{name}: encrypted with its zone's key"
        policy = policies[name]
        doc = json.loads(policy["inputs"]["policy"])  # known in a first preview: the node roles are named up front
        pullers = [f"{ROLE}/{n}" for n in nodes[zone]]
        assert json.loads(repository_policy(pullers, [PUBLISHER])) == doc, name
        # ECR refuses a policy naming a role that does not exist yet: the policy waits for the node roles.
        assert {roles[n] for n in nodes[zone]} <= set(policy["dependencies"]), name
