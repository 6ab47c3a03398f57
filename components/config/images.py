"""Images per zone: each zone's ECR repositories, pulled only by that zone's nodes and pushed only by named roles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from .base import Name, StrictModel
from .cluster import IamArn
from .errors import Problem

if TYPE_CHECKING:  # the platform's model holds this one
    from .platform import PlatformConfig

# ECR's repository name grammar (CreateRepository), one to a few path segments under the zone's prefix.
RepositoryName = Annotated[
    str, Field(pattern=r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", max_length=128)
]


class ZoneImages(StrictModel):
    """Every zone pulls images only from its own ECR repositories, `<environment>/<zone>/<name>`, in two layers:
    each repository's policy explicitly denies pulls to every principal but the node roles of the zone's pools
    (the nodes' AmazonEC2ContainerRegistryPullOnly policy allows pulls on every repository of the account, which
    only an explicit Deny overrides), and the approved-registry admission admits from the account's ECR only the
    zone's own prefix in a zone's namespaces. So a notebook cannot run an inference image. Repositories have
    immutable tags, scan on push and the zone's KMS key."""

    enabled: bool = Field(
        default=True,
        description="WEAKENING when false: no zone repositories, and zone pods may run any image of the account's "
        "ECR (a notebook can run an inference image).",
    )
    repositories: dict[Name, list[RepositoryName]] = Field(
        default_factory=dict,
        description="Zone -> names of its repositories, created as '<environment>/<zone>/<name>' (e.g. "
        "{inference: [model-server]} makes 'prod/inference/model-server'). Zones not listed get no repository; "
        "their pods still may not run another zone's images.",
    )
    push_role_arns: list[IamArn] = Field(
        default_factory=list,
        max_length=5,
        description="The roles that push images (the CI / promotion pipeline): the only principals the repositories "
        "let push. Required when a repository is declared.",
    )

    def prefix(self, environment: str, zone: str) -> str:
        """The repository-name prefix of `zone`'s images, '<environment>/<zone>/'."""
        return f"{environment}/{zone}/"


def node_role_name(environment: str, pool: str) -> str:
    """The IAM role of a platform node pool's nodes, named up front: the zone repositories' policies name it."""
    return f"{environment}-{pool}-node"


def check_images(cfg: PlatformConfig) -> Iterator[Problem]:
    """Repositories belong to zones of this stack with nodes to pull them, pushers are named, role names are free."""
    images = cfg.images
    pools = [p.name for p in cfg.node_pools] + (["system"] if cfg.cluster.mode == "create" else [])
    node_roles = {node_role_name(cfg.environment, p): p for p in pools}
    for i, ident in enumerate(cfg.identities):
        pool = node_roles.get(f"{cfg.environment}-{ident.name}")
        if pool is not None:
            yield Problem(
                ("identities", i, "name"),
                f"its role would have the name of node pool {pool!r}'s node role ({cfg.environment}-{ident.name}); "
                "rename the identity",
                ident.name,
            )
    if not images.enabled:
        return
    zones = {z.name: z for z in cfg.zones}
    pooled = {p.zone for p in cfg.node_pools}
    created = cfg.cluster.mode == "create"
    for zone, names in images.repositories.items():
        loc = ("images", "repositories", zone)
        if zone not in zones:
            yield Problem(loc, f"no zone named {zone!r}; declared zones: {', '.join(sorted(zones))}", zone)
            continue
        # A pool naming an unknown zone is reported already; its zone is the likely one without nodes.
        misplaced = any(p.zone not in zones for p in cfg.node_pools)
        has_nodes = zone in pooled or (zones[zone].zone_class == "platform" and created)
        if not has_nodes and not misplaced:
            yield Problem(
                loc,
                f"zone {zone!r} has no node pool of this stack, so no node could pull its images; give it a pool or "
                "remove its repositories",
                zone,
            )
        if len(set(names)) != len(names):
            yield Problem(loc, "lists a repository twice", names)
    if any(images.repositories.values()) and not images.push_role_arns:
        yield Problem(
            ("images", "push_role_arns"),
            "the zone repositories refuse pushes by every role they do not name: list the role your CI pushes "
            f"images with, e.g. 'arn:aws:iam::{cfg.account_id or '111122223333'}:role/image-publisher'",
        )
    for i, arn in enumerate(images.push_role_arns):
        if cfg.account_id and f":{cfg.account_id}:" not in arn:
            yield Problem(("images", "push_role_arns", i), f"the role is not in the stack's account {cfg.account_id}",
                          arn)  # fmt: skip
