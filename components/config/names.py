"""The AWS names the platform generates from config names, checked against the provider's limits at validation:
a name that fits the schema alone (24 characters) can still make an S3 bucket or IAM role name too long once
the environment, the component's suffix and Pulumi's auto-name suffix are added, which only `pulumi up` would
otherwise find out (the auto-namer refuses a name over the limit).

The formats mirror components.platform and the components' child names; tests/components/config/
test_generated_names.py synthesizes stacks with names at these limits and checks every physical name the
program generates against the same limits, so a format changed in one place and not the other fails there."""

from __future__ import annotations

from dataclasses import dataclass

from .buckets import access_log_bucket_name
from .errors import Loc, Problem
from .images import node_role_name
from .platform import PlatformConfig

# What Pulumi's auto-naming appends to a logical name: "-" and 7 random hex characters.
AUTONAME = "-xxxxxxx"
# The provider's limits (pulumi-aws 7 / the AWS APIs) on the names generated here.
S3_BUCKET, IAM_ROLE, EKS_NODE_GROUP = 63, 64, 63


@dataclass(frozen=True)
class Generated:
    loc: Loc  # the config name that goes into it (with the environment)
    what: str
    name: str  # with the auto-name suffix written as x's
    limit: int


def generated_names(cfg: PlatformConfig) -> list[Generated]:
    env = cfg.environment
    out: list[Generated] = []
    for i, bucket in enumerate(cfg.buckets):
        loc: Loc = ("buckets", i, "name")
        out.append(Generated(loc, "S3 bucket", f"{env}-{bucket.name}-bucket{AUTONAME}", S3_BUCKET))
        if bucket.purpose == "audit-logs":
            access = f"{env}-{access_log_bucket_name(bucket.name)}-bucket{AUTONAME}"
            out.append(Generated(loc, "S3 bucket (its server-access-log bucket)", access, S3_BUCKET))
        if cfg.backups.replicated(bucket):  # components.aws.replication names the replica so
            replica = f"{env}-replica-{bucket.name}-bucket{AUTONAME}"
            out.append(Generated(loc, "S3 bucket (its backup replica)", replica, S3_BUCKET))
    for i, pool in enumerate(cfg.node_pools):
        loc = ("node_pools", i, "name")
        # Named explicitly (the zone repositories' policies name it before it exists): no auto-name suffix.
        out.append(Generated(loc, "IAM role (the pool's node role)", node_role_name(env, pool.name), IAM_ROLE))
        out.append(Generated(loc, "EKS node group", f"{env}-{pool.name}-node-group{AUTONAME}", EKS_NODE_GROUP))
    # Workload identities' roles are named explicitly (components.aws.identity.role_name: the bucket policies'
    # data perimeter names them before they exist), cut to IAM's 64 characters with a hash: never too long.
    for i, zone in enumerate(cfg.team_zones):
        # a team zone's buckets are named `<environment>-<zone>-<bucket>`: room for a one-letter bucket at least
        shortest = f"{env}-{zone}-b-bucket{AUTONAME}"
        out.append(Generated(("team_zones", i), "S3 bucket (the team zone's shortest)", shortest, S3_BUCKET))
    return out


def name_problems(cfg: PlatformConfig) -> list[Problem]:
    """One problem per config name that makes a generated name longer than the provider allows (the one it
    overshoots most)."""
    worst: dict[Loc, Generated] = {}
    for g in generated_names(cfg):
        if len(g.name) > g.limit and (g.loc not in worst or _over(g) > _over(worst[g.loc])):
            worst[g.loc] = g
    problems = []
    for loc, g in worst.items():
        entry = getattr(cfg, str(loc[0]))[int(loc[1])]
        value = entry if isinstance(entry, str) else entry.name
        over = _over(g)
        problems.append(
            Problem(
                loc,
                f"makes the {g.what} name {g.name!r} ({len(g.name)} characters; the x's are Pulumi's random "
                f"suffix), but AWS allows {g.limit}: shorten this name or `environment` by {over} character"
                f"{'s' if over > 1 else ''}",
                value,
            )
        )
    return problems


def _over(g: Generated) -> int:
    return len(g.name) - g.limit
