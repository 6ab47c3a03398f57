"""IAM-08 on the live account: each ECR repository's policy must refuse image pulls (ecr:BatchGetImage,
ecr:GetDownloadUrlForLayer) with an explicit Deny to every principal but its zone's own roles, asked of the pack's
policy evaluator (IAM semantics), not read from the policy's shape. Who may pull is decided by the pack's own
framework/image_pulls.py, the code its rule runs, loaded by path.

Within one account an identity policy's Allow is enough for ECR (every node role's AmazonEC2ContainerRegistryPullOnly
allows pulls on `*`), so an Allow in a repository policy excludes nobody: only the Deny counts. Classified as the
pack's iam-zone-images-pulled-by-zone-nodes rule classifies: a repository's zone is its `enclave:zone` tag, a role is
its zone's when the role carries the same tag; every repository of the account is judged, and one without the tag
has no zone, so no role counts as its own (strict). The probes are every role of the account, every role the policy
names, and a stranger role of this account, of every other account the policy names (an account root, an account id,
an account in an ARN pattern) and of an account it does not name. A role of this account that is not of the
repository's zone must meet the Deny; a role of another account must not be allowed (a cross-account pull needs the
repository policy's Allow). A repository with no policy is a finding; a policy the evaluator refuses is one too."""

from __future__ import annotations

import contextlib
from typing import Any

from .context import Context
from .model import Incomplete
from .session import CheckFailed

CONTROL = "IAM-08"
ZONE_TAG = "enclave:zone"
SHOWN = 6  # roles named in a finding before "and N more"


def read(ctx: Context) -> None:
    r = ctx.reader
    repos = r.paginate("ECR repositories", "ecr", "describe_repositories", "repositories")
    ctx.live.read.add("ecr")

    def detail(repo: dict[str, Any]) -> None:
        arn, name = repo["repositoryArn"], repo["repositoryName"]
        check = f"ECR repository {name} ({CONTROL})"
        registry = {"registryId": repo["registryId"]} if repo.get("registryId") else {}
        got = r.call(check, "ecr", "get_repository_policy", ("RepositoryPolicyNotFoundException",),
                     repositoryName=name, **registry)  # fmt: skip
        tags = r.call(check, "ecr", "list_tags_for_resource", resourceArn=arn) or {}
        ctx.live.repositories[arn] = {
            "name": name,
            "policy": (got or {}).get("policyText"),
            "tags": {t["Key"]: t["Value"] for t in tags.get("tags") or []},
        }

    r.each(repos, detail, lambda repo: f"ECR repository {repo['repositoryName']} ({CONTROL})")
    ctx.result.count("ecr repositories", len(repos))
    ctx.progress(f"ECR: {len(repos)} repositories")


class _Zones:
    """Which zone a role of this account is of (its enclave:zone tag): the tags IAM's read fetched (with --stack),
    else ListRoleTags once per role asked about."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.cache: dict[str, str | None] = {}

    def of(self, arn: str) -> str | None:
        parts = arn.split(":")
        if len(parts) < 6 or parts[4] != self.ctx.account or ":role/" not in arn:
            return None  # another account's role is never a zone's own
        name = arn.rsplit("/", 1)[-1]
        if name not in self.cache:
            role = self.ctx.live.roles.get(name)
            if role is not None and "tags" in role:
                tags = role["tags"]
            elif role is None and "iam" in self.ctx.live.read:
                tags = {}  # no such role in the account
            else:
                check = f"IAM role {name} ({CONTROL}: its zone)"
                got = self.ctx.reader.paginate(check, "iam", "list_role_tags", "Tags", RoleName=name)
                tags = {t["Key"]: t["Value"] for t in got}
            self.cache[name] = tags.get(ZONE_TAG)
        return self.cache[name]


def check(ctx: Context) -> None:
    if CONTROL in ctx.skip or "ecr" not in ctx.live.read:
        return
    evaluator = ctx.catalog.evaluator
    if evaluator is None:
        if ctx.live.repositories:
            ctx.result.add_incomplete(
                Incomplete(f"ECR repository policies ({CONTROL})", "the pack has no framework/evaluator.py")
            )
        return
    zones = _Zones(ctx)
    for arn, repo in sorted(ctx.live.repositories.items()):
        with contextlib.suppress(CheckFailed):  # a role's tags could not be read: incomplete, never passed
            _repository(ctx, evaluator, zones, arn, repo)


def _repository(ctx: Context, evaluator: Any, zones: _Zones, arn: str, repo: dict[str, Any]) -> None:
    zone = repo["tags"].get(ZONE_TAG)
    whose = f"images of zone {zone}" if zone else f"no {ZONE_TAG} tag, so no role counts as its own (judged strictly)"
    fix = f"deny pulls unless aws:PrincipalArn is one of zone {zone or '<zone>'}'s node roles"
    if repo["policy"] is None:
        ctx.finding("IAM-08", arn, f"repository {repo['name']} ({whose}) has no repository policy, so every role "
                    "whose IAM policies allow ECR pulls (every node's AmazonEC2ContainerRegistryPullOnly) pulls its "
                    f"images; add one that {fix}")  # fmt: skip
        return
    pulls = ctx.catalog.image_pulls
    try:
        docs = [repo["policy"]]
        others, free = pulls.other_accounts(docs, ctx.account)
        probes = {a["arn"] for a in ctx.live.roles.values()} | set(pulls.named_roles(evaluator, docs))
        probes |= {pulls.stranger(a, ctx.partition) for a in [ctx.account, *others, free]}
        let_in = sorted(p for p in probes if pulls.pulls(evaluator, docs, arn, p, ctx.account))
    except (ValueError, TypeError) as exc:  # the evaluator's PolicyError is a ValueError
        ctx.finding("IAM-08", arn, f"repository {repo['name']}: its policy cannot be verified ({exc}); {fix}")
        return
    foreign = [p for p in let_in if not zone or zones.of(p) != zone]
    if not foreign:
        return
    shown = _shown(ctx, foreign, zone, free)
    ctx.finding("IAM-08", arn, f"repository {repo['name']} ({whose}): {shown} can pull its images "
                "(ecr:BatchGetImage / ecr:GetDownloadUrlForLayer meet no explicit Deny, and an identity policy "
                f"such as the nodes' AmazonEC2ContainerRegistryPullOnly lets them); {fix}")  # fmt: skip


def _shown(ctx: Context, arns: list[str], zone: str | None, free: str) -> str:
    """The principals let in: a stranger stands for every role of its account the policy does not name, so the
    roles of an account whose stranger is let in are counted, not listed."""
    stranger = ctx.catalog.image_pulls.is_stranger
    strangers = {a.split(":")[4] for a in arns if stranger(a)}
    named = [a for a in arns if not stranger(a) and a.split(":")[4] not in strangers]
    parts = []
    for account in sorted(strangers, key=lambda a: (a != ctx.account, a == free, a)):
        if account == ctx.account:
            roles = sum(1 for a in arns if a.split(":")[4] == account and not stranger(a))
            parts.append(f"any role of this account{' outside the zone' if zone else ''} ({roles} roles now)")
        else:
            parts.append("any role of any account the policy does not name" if account == free
                         else f"any role of account {account}")  # fmt: skip
    if named:
        more = f" and {len(named) - SHOWN} more" if len(named) > SHOWN else ""
        parts.append(", ".join(named[:SHOWN]) + more)
    return "; ".join(parts)
