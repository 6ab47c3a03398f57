"""A team's trust zone on a running platform: `<project>:team` in the team's own stack file.

The team's stack reads the platform stack (cluster, OIDC issuer, network, access-log bucket, cluster-wide
Kubernetes settings) through a StackReference and creates one zone: its namespaces and policies, node pools,
key, buckets and identities. The same schema blocks as the platform's stack file, the same rules."""

from __future__ import annotations

from pydantic import Field

from .base import StrictModel
from .buckets import Bucket
from .errors import Problem
from .flows import Flow
from .identities import Identity
from .pools import NodePool
from .promotion import check_promotion
from .references import _check_instance_types
from .zones import Zone


class TeamZoneConfig(StrictModel):
    """One zone a team adds to a running platform."""

    platform_stack: str = Field(
        pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,2}$",
        description="The platform stack to join, as a StackReference names it: <org>/<project>/<stack>.",
    )
    zone: Zone
    node_pools: list[NodePool] = Field(min_length=1, max_length=8)
    buckets: list[Bucket] = Field(default_factory=list, max_length=16)
    identities: list[Identity] = Field(default_factory=list, max_length=32)
    flows: list[Flow] = Field(default_factory=list, max_length=32)


def check_team(cfg: TeamZoneConfig) -> list[Problem]:
    """The cross-field rules of a team zone (the platform's, narrowed to one zone). Empty means consistent."""
    zone = cfg.zone.name
    out: list[Problem] = []
    if cfg.zone.zone_class == "platform":
        out.append(Problem(("zone", "class"), "a team adds a training, inference or notebooks zone; the "
                           "platform zone is the platform stack's", "platform"))  # fmt: skip
    for i, pool in enumerate(cfg.node_pools):
        if pool.zone != zone:
            out.append(Problem(("node_pools", i, "zone"), f"a team's pools run its own zone: set it to {zone!r}",
                               pool.zone))  # fmt: skip
        out.extend(
            Problem(("node_pools", i, *p.loc[2:]), p.message, p.value)
            for p in _check_instance_types(i, pool.instance_types)
        )
        if pool.efa and cfg.zone.zone_class != "training":
            out.append(Problem(("node_pools", i, "efa"), "EFA is allowed only in training zones", True))
    buckets = {b.name for b in cfg.buckets}
    for i, bucket in enumerate(cfg.buckets):
        if bucket.zone != zone:
            out.append(Problem(("buckets", i, "zone"), f"a team's buckets are its own zone's: set it to {zone!r}",
                               bucket.zone))  # fmt: skip
        if bucket.purpose == "audit-logs":
            out.append(Problem(("buckets", i, "purpose"), "audit logs go to the platform's audit bucket, never "
                               "to a team's", bucket.purpose))  # fmt: skip
    for i, ident in enumerate(cfg.identities):
        if ident.zone != zone:
            out.append(Problem(("identities", i, "zone"), f"set it to {zone!r}", ident.zone))
        if ident.namespace not in cfg.zone.namespaces:
            out.append(Problem(("identities", i, "namespace"), f"not a namespace of zone {zone!r}; its namespaces: "
                               f"{', '.join(cfg.zone.namespaces)}", ident.namespace))  # fmt: skip
        for j, grant in enumerate(ident.grants):
            if grant.bucket not in buckets:
                out.append(Problem(("identities", i, "grants", j, "bucket"), "a team's identities are granted its "
                                   f"own buckets only: {', '.join(sorted(buckets)) or 'none declared'}",
                                   grant.bucket))  # fmt: skip
    out.extend(check_promotion({zone: cfg.zone}, {b.name: b for b in cfg.buckets}, cfg.identities, ("identities",)))
    for i, flow in enumerate(cfg.flows):
        if flow.source != zone or flow.target != zone:
            out.append(Problem(("flows", i), "a team's stack declares flows within its zone only: a flow to or "
                               "from a platform zone needs that zone's policies, which the platform stack owns "
                               "(declare it there)", f"{flow.source}->{flow.target}"))  # fmt: skip
    return out
