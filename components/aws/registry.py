"""ZoneRepositories: a zone's ECR repositories (immutable tags, scan on push, the zone's key) whose policies let only
the zone's node roles pull and only named roles push."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from ..args import arg, args_type, check, fail, is_plain, schema_type
from ..config.images import ZoneImages

# What a kubelet's pull calls (the content of an image: its manifest and its layers).
PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
# A layer-existence check: pulls make it, and so does every push before uploading a layer.
LAYER_CHECK = "ecr:BatchCheckLayerAvailability"
PUSH_ACTIONS = ["ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"]
PULL_SID = "PullOnlyByZoneNodes"
LAYER_SID = "LayerChecksOnlyByZoneNodesAndPushers"
PUSH_SID = "PushOnlyByNamedRoles"


def _deny_unless(sid: str, actions: Sequence[str], principals: Sequence[str]) -> dict[str, Any]:
    """Deny `actions` to every principal whose aws:PrincipalArn is not one of `principals` (a role's sessions carry
    the role's ARN there). AWS service principals have no aws:PrincipalArn, so they are refused too."""
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": list(actions),
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": sorted(principals)}},
    }


def repository_policy(puller_arns: Sequence[str], pusher_arns: Sequence[str]) -> str:
    """The repository policy as JSON: the zone's node roles pull, the named roles push, and an explicit Deny refuses
    both to everyone else. The Denies are what matter: within one account an identity policy's Allow is enough for
    ECR (the nodes' AmazonEC2ContainerRegistryPullOnly allows pulls on `*`), so an Allow here would exclude nobody."""
    pullers, pushers = sorted(set(puller_arns)), sorted(set(pusher_arns))
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ZoneNodesPull",
            "Effect": "Allow",
            "Principal": {"AWS": pullers},
            "Action": [*PULL_ACTIONS, LAYER_CHECK],
        },
        _deny_unless(PULL_SID, PULL_ACTIONS, pullers),
        _deny_unless(LAYER_SID, [LAYER_CHECK], [*pullers, *pushers]),
    ]
    if pushers:
        statements.insert(
            1, {"Sid": "NamedRolesPush", "Effect": "Allow", "Principal": {"AWS": pushers},
                "Action": [LAYER_CHECK, *PUSH_ACTIONS]},
        )  # fmt: skip
    statements.append(_deny_unless(PUSH_SID, PUSH_ACTIONS, pushers))
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


@args_type
class ZoneRepositoriesArgs:
    """One zone's ECR repositories and their policies."""

    environment: str = arg("The environment, first segment of every repository name (`<environment>/<zone>/<name>`).")
    zone: str = arg("The zone whose images the repositories hold: tag `enclave:zone`, second name segment.")
    names: Sequence[str] = arg("Repository names under the zone's prefix, e.g. `model-server`.")
    kms_key_arn: pulumi.Input[str] = arg("The zone's key (`KmsKey.arn`): ECR encrypts the images with it.")
    puller_role_arns: Sequence[pulumi.Input[str]] = arg(
        "ARNs of the zone's node roles (`role_arn(account, node_role_name(env, pool))`), the only principals that "
        "may pull; known before the roles exist, so a first preview can judge the policies."
    )
    push_role_arns: Sequence[str] = arg("ARNs of the only roles that may push (`images.push_role_arns`). Default none.",
                                        default=())  # fmt: skip
    principals_ready: Sequence[pulumi.Resource] = arg(
        "The roles the policies name, when the stack creates them: ECR refuses a policy naming a principal that "
        "does not exist yet. Default none.",
        default=(),
    )
    tags: Mapping[str, str] | None = arg("Tags on the repositories, beside `enclave:zone`.", default=None)

    def __post_init__(self) -> None:
        check(self, "names", schema_type(ZoneImages, "repositories"), "Use repository names the stack file accepts.",
              value={self.zone: list(self.names)})  # fmt: skip
        for field in ("puller_role_arns", "push_role_arns"):
            for value in getattr(self, field):
                if is_plain(value) and not (isinstance(value, str) and ":role/" in value and value.startswith("arn:")):
                    fail(self, field, f"{value!r} is not an IAM role ARN. Pass arn:aws:iam::<account>:role/<name>.")
        if not self.puller_role_arns:
            fail(self, "puller_role_arns", "no node role may pull: name the zone's node roles")


class ZoneRepositories(pulumi.ComponentResource):
    """The repositories of one zone, each with its policy."""

    repositories: dict[str, aws.ecr.Repository]
    policies: dict[str, aws.ecr.RepositoryPolicy]

    def __init__(self, name: str, args: ZoneRepositoriesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("enclave:aws:ZoneRepositories", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        pushers = list(args.push_role_arns)
        document = pulumi.Output.all(*args.puller_role_arns).apply(lambda a: repository_policy(a, pushers))
        tags = {**(args.tags or {}), "enclave:zone": args.zone}
        self.repositories, self.policies = {}, {}
        for repo in args.names:
            res = f"{name}-{repo.replace('/', '-')}"
            self.repositories[repo] = aws.ecr.Repository(
                res,
                name=f"{ZoneImages().prefix(args.environment, args.zone)}{repo}",
                # A tag names one image for good: what was scanned and admitted is what runs.
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration={"scan_on_push": True},
                encryption_configurations=[{"encryption_type": "KMS", "kms_key": args.kms_key_arn}],
                force_delete=False,
                tags=tags,
                opts=child,
            )
            self.policies[repo] = aws.ecr.RepositoryPolicy(
                f"{res}-policy",
                repository=self.repositories[repo].name,
                policy=document,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.principals_ready)),
            )
        self.register_outputs({"repository_urls": {k: r.repository_url for k, r in self.repositories.items()}})
