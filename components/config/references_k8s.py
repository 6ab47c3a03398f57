"""Cross-field rules of the stack config's Kubernetes namespace classes and workload identities: agent and system
namespaces are neither zones' nor each other's, and each group's ServiceAccounts exist in its zone."""

from __future__ import annotations

from collections.abc import Iterator

from .errors import Loc, Problem
from .kubernetes import PLATFORM_SYSTEM_NAMESPACES
from .platform import PlatformConfig

# Namespaces that hold no workload: never an agent or system namespace.
NO_WORKLOAD_NAMESPACES = ("default", "kube-public", "kube-node-lease")


def check_namespace_classes(cfg: PlatformConfig) -> Iterator[Problem]:
    zone_of = {ns: z.name for z in cfg.zones for ns in z.namespaces}
    k = cfg.kubernetes
    classes: dict[str, str] = {}
    agents: Loc = ("kubernetes", "node_agents", "namespaces")
    listed: list[tuple[Loc, str, str]] = [((*agents, i), ns, "agent") for i, ns in enumerate(k.node_agents.namespaces)]
    listed += [(("kubernetes", "system_namespaces", i), ns, "system") for i, ns in enumerate(k.system_namespaces)]
    for loc, ns, kind in listed:
        if ns in zone_of:
            yield Problem(loc, f"is a namespace of zone {zone_of[ns]!r}; a zone namespace is never an {kind} "
                               "namespace (it keeps the zone's Pod Security and admission)", ns)  # fmt: skip
        elif ns in NO_WORKLOAD_NAMESPACES or (kind == "agent" and ns in PLATFORM_SYSTEM_NAMESPACES):
            yield Problem(loc, f"{ns} cannot be an {kind} namespace: default, kube-public and kube-node-lease hold "
                               "no workloads, and the platform's own add-on namespaces are system namespaces; "
                               f"name a namespace of its own, e.g. 'node-agents'", ns)  # fmt: skip
        elif ns in classes:
            yield Problem(loc, f"is listed twice (already an {classes[ns]} namespace); list it once", ns)
        else:
            classes[ns] = kind


def check_service_accounts(cfg: PlatformConfig) -> Iterator[Problem]:
    for i, zone in enumerate(cfg.zones):
        access = zone.access
        groups = {*access.data_scientist_groups, *access.ml_engineer_groups}
        accounts = {ident.service_account for ident in cfg.identities if ident.zone == zone.name} | {"default"}
        for group, names in access.service_accounts.items():
            loc = ("zones", i, "access", "service_accounts", group)
            if group not in groups:
                known = ", ".join(sorted(groups)) or "none"
                yield Problem(loc, f"group {group!r} is bound to no role of zone {zone.name!r} (its groups: {known}); "
                                   "list the groups of data_scientist_groups or ml_engineer_groups", group)  # fmt: skip
            for j, name in enumerate(names):
                if name not in accounts:
                    yield Problem(
                        (*loc, j),
                        f"no ServiceAccount {name!r} in zone {zone.name!r}: name an identity's service_account of "
                        f"the zone ({', '.join(sorted(accounts))})",
                        name,
                    )
