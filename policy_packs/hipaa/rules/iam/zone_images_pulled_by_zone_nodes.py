"""IAM-08: a zone's ECR repository lets no principal but the zone's own roles pull its images; judged by asking its
repository policies (IAM semantics: the framework's evaluator), not by reading their shape.

Within one account an identity policy's Allow is enough for ECR (every node role's AmazonEC2ContainerRegistryPullOnly
allows pulls on `*`), so only an explicit Deny in the repository policy keeps another zone's nodes out. Asked of every
repository (tagged `enclave:zone`; an untagged one has no zone, so no role counts as its own: judged strictly):

- a stranger (a role of the account the policy does not name) fetching the image (ecr:BatchGetImage,
  ecr:GetDownloadUrlForLayer) must meet an explicit Deny;
- so must every role the policy names (aws:PrincipalArn values, Principal / NotPrincipal ARNs) that is not a role of
  the stack tagged with the repository's zone (node roles and the zone's workload roles);
- a role of another account (every account the policies name, by ARN, root or condition value, and one they do not)
  needs the repository policy's Allow to pull across accounts: it must not get one, or must meet a Deny.

A repository with no policy lets every node of the account pull it. A policy not known yet is reported unverifiable.
"""

from collections.abc import Iterator
from typing import Any

from framework import evaluator
from framework import types as t
from framework.documents import statements
from framework.evaluator import PolicyError, account_of
from framework.image_pulls import is_stranger, named_roles, other_accounts, pulls, stranger
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, parse_json

ZONE_TAG = "enclave:zone"
DEFAULT_ACCOUNT = "111122223333"


def _policies(stack: Stack, repo: Resource) -> list[Resource]:
    found = {r.urn: r for r in stack.users(repo.urn, *t.ECR_REPOSITORY_POLICY, prop="repository")}
    name = repo.get("name")
    if isinstance(name, str):
        found.update({r.urn: r for r in stack.of_type(*t.ECR_REPOSITORY_POLICY) if r.get("repository") == name})
    return list(found.values())


def _zone_roles(stack: Stack, zone: Any) -> set[str]:
    """Names of the stack's roles of `zone` (tag enclave:zone)."""
    if not isinstance(zone, str):
        return set()
    return {
        str(r.get("name")) for r in stack.of_type(*t.ROLE) if r.tag(ZONE_TAG) == zone and isinstance(r.get("name"), str)
    }


def _shown(probe: str, home: Any) -> str:
    if not is_stranger(probe):
        return probe
    other = account_of(probe)
    return "a role the policy does not name" if other == home else f"any role of account {other}"


@stack_rule(
    "iam-zone-images-pulled-by-zone-nodes",
    "IAM-08",
    "Each zone's images are pulled only by that zone's nodes",
    subjects=(*t.ECR_REPOSITORY, *t.ECR_REPOSITORY_POLICY),
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for repo in stack.of_type(*t.ECR_REPOSITORY):
        yield from _check_repository(stack, repo)


def _check_repository(stack: Stack, repo: Resource) -> Iterator[Finding]:
    zone = repo.tag(ZONE_TAG)
    policies = _policies(stack, repo)
    if not policies:
        yield Finding(repo.urn, f"{repo.label()} has no repository policy, so every role whose IAM policies allow ECR "
                      "pulls (every node's AmazonEC2ContainerRegistryPullOnly) pulls its images; add one that denies "
                      "pulls unless aws:PrincipalArn is one of its zone's node roles")  # fmt: skip
        return
    raw = [p.get("policy") for p in policies]
    if any(statements(d) is UNKNOWN for d in raw):
        yield Finding(repo.urn, f"{repo.label()}: its repository policy is not known yet", True)
        return
    if any(statements(d) is None for d in raw):
        yield Finding(repo.urn, f"{repo.label()}: its repository policy is refused by AWS (not a valid policy)")
        return
    docs = [parse_json(d) for d in raw]
    name = repo.get("name") if isinstance(repo.get("name"), str) else repo.name
    own = _zone_roles(stack, zone)
    try:
        named = named_roles(evaluator, docs)
        account = next((a.split(":")[4] for a in named if a.split(":")[4]), DEFAULT_ACCOUNT)
        others, free = other_accounts(docs, account)
        probes = {stranger(a) for a in (account, *others, free)}
        probes |= {a for a in named if a.rsplit("/", 1)[-1] not in own or account_of(a) not in (account, None)}
        repo_arn = f"arn:aws:ecr:us-east-1:{account}:repository/{name}"
        let_in = sorted(p for p in probes if pulls(evaluator, docs, repo_arn, p, account))
    except (PolicyError, ValueError, TypeError, KeyError, AttributeError) as exc:
        yield Finding(repo.urn, f"{repo.label()}: its repository policy cannot be evaluated ({exc})")
        return
    if let_in:
        whose = f"zone {zone}" if isinstance(zone, str) else "no zone (untagged enclave:zone: judged strictly)"
        shown = ", ".join(_shown(p, account) for p in let_in)
        yield Finding(
            repo.urn,
            f"{repo.label()} (images of {whose}): {shown} is not refused pulls (ecr:BatchGetImage / "
            "ecr:GetDownloadUrlForLayer); an identity policy such as the nodes' AmazonEC2ContainerRegistryPullOnly "
            "lets it pull, so deny pulls unless aws:PrincipalArn is one of the zone's node roles",
        )
