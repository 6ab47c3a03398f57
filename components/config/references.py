"""Cross-field rules of the stack config: references resolve, zones keep their trust-model promises."""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Iterable, Iterator
from typing import Any

from ..instance_types import (
    GPU_FAMILIES,
    OTHER_ACCELERATORS,
    efa_instance_types,
    gpu_accelerator,
    gpu_instance_types,
    lookup,
)
from .backups import check_backups
from .base import RESERVED_NAMESPACES, is_private_cidr
from .buckets import access_log_bucket_name
from .errors import Loc, Problem, format_loc
from .images import check_images
from .network import endpoint_block
from .perimeter import check_perimeter
from .platform import PlatformConfig
from .pools import NodePool
from .promotion import check_promotion
from .references_k8s import check_namespace_classes, check_service_accounts
from .rollout import check_rollouts

# Zones whose traffic must never reach the internet (DESIGN: trust-zone table).
NO_INTERNET_CLASSES = ("training", "inference")


def _duplicates(items: Iterable[tuple[Loc, Any]], what: str) -> Iterator[Problem]:
    seen: dict[Any, Loc] = {}
    for loc, key in items:
        if key in seen:
            first = format_loc(seen[key], "")
            yield Problem(loc, f"duplicate {what}: already used at {first}; {what}s must be unique", key)
        else:
            seen[key] = loc


MAX_RANGE_PORTS = 1024


def _example_account(cfg: PlatformConfig) -> str:
    """The account to show in example ARNs of a message: the stack's, else AWS's documentation account."""
    return cfg.account_id or "111122223333"


def _within(cidr: str, outer: str) -> bool:
    inner, container = ipaddress.ip_network(cidr), ipaddress.ip_network(outer)
    return inner.version == container.version and inner.subnet_of(container)  # type: ignore[arg-type]


def aws_endpoint_cidr(cfg: PlatformConfig) -> str:
    """Where pods reach the AWS interface endpoints: a created VPC's endpoint block; an existing VPC's
    endpoints are somewhere in its CIDR."""
    return endpoint_block(cfg.network.cidr) if cfg.network.mode == "create" else cfg.network.cidr


def _unknown(loc: Loc, value: str, kind: str, known: Iterable[str]) -> Problem:
    names = ", ".join(sorted(known)) or "(none declared)"
    return Problem(loc, f"no {kind} named {value!r}; declared {kind}s: {names}", value)


def check_references(cfg: PlatformConfig) -> list[Problem]:
    """Every cross-field problem, in config order. Empty means the config is consistent."""
    # Names first: every other rule finds zones, pools and buckets by name, so while a name is used twice
    # their problems would be echoes of that one.
    names = list(_check_names(cfg))
    if names:
        return names
    problems: list[Problem] = []
    problems += _check_zones(cfg)
    problems += _check_pools(cfg)
    problems += _check_buckets(cfg)
    problems += _check_identities(cfg)
    problems += check_promotion(
        {z.name: z for z in cfg.zones}, {b.name: b for b in cfg.buckets}, cfg.identities, ("identities",)
    )
    problems += _check_flows(cfg)
    problems += _check_network(cfg)
    problems += _check_cluster(cfg)
    problems += _check_team_zones(cfg)
    problems += check_perimeter(cfg)
    problems += check_images(cfg)
    problems += check_backups(cfg)
    problems += check_namespace_classes(cfg)
    problems += check_service_accounts(cfg)
    problems += check_rollouts(cfg.environment, cfg.zones)
    problems += _check_secrets(cfg)
    return problems


def _check_secrets(cfg: PlatformConfig) -> Iterator[Problem]:
    """Each manager secret belongs to a zone of this platform, once; none without the driver that reads them."""
    zones = {z.name for z in cfg.zones}
    yield from _duplicates(
        ((("secrets", "secrets", i), (s.zone, s.name)) for i, s in enumerate(cfg.secrets.secrets)), "zone secret"
    )
    for i, secret in enumerate(cfg.secrets.secrets):
        if secret.zone not in zones:
            yield _unknown(("secrets", "secrets", i, "zone"), secret.zone, "zone", zones)
    if cfg.secrets.secrets and not cfg.secrets.from_manager:
        yield Problem(
            ("secrets", "from_manager"),
            "secrets are listed but nothing would let zone workloads read them; set from_manager: true or remove "
            "secrets.secrets",
            False,
        )


def _check_team_zones(cfg: PlatformConfig) -> Iterator[Problem]:
    """A team zone is not one of the platform's zones, and its bucket-name prefix ('<env>-<zone>-', whose
    object events the trail records) selects no bucket of the platform: above all not the audit bucket, whose
    every log delivery would be logged again."""
    zones = {z.name for z in cfg.zones}
    names = [b.name for b in cfg.buckets]
    names += [access_log_bucket_name(b.name) for b in cfg.buckets if b.purpose == "audit-logs"]
    for i, team in enumerate(cfg.team_zones):
        if team in zones:
            yield Problem(("team_zones", i), "is a zone of this platform; a team zone is added by its own stack", team)
            continue
        clash = [b for b in names if f"{b}-".startswith(f"{team}-")]
        if clash:
            yield Problem(
                ("team_zones", i),
                f"its buckets' prefix '{cfg.environment}-{team}-' would also select platform bucket "
                f"{clash[0]!r} (the trail would record that bucket's objects, the audit log's own included); "
                "pick another zone name",
                team,
            )


MIN_PUBLIC_PREFIX = 16  # the widest public CIDR the API endpoint may be open to


def _check_names(cfg: PlatformConfig) -> Iterator[Problem]:
    yield from _duplicates(((("zones", i, "name"), z.name) for i, z in enumerate(cfg.zones)), "zone name")
    yield from _duplicates(
        ((("node_pools", i, "name"), p.name) for i, p in enumerate(cfg.node_pools)), "node pool name"
    )
    yield from _duplicates(((("buckets", i, "name"), b.name) for i, b in enumerate(cfg.buckets)), "bucket name")
    yield from _duplicates(((("identities", i, "name"), x.name) for i, x in enumerate(cfg.identities)), "identity name")
    yield from _duplicates(
        ((("zones", i, "namespaces", j), ns) for i, z in enumerate(cfg.zones) for j, ns in enumerate(z.namespaces)),
        "namespace",
    )
    yield from _duplicates(((("team_zones", i), z) for i, z in enumerate(cfg.team_zones)), "team zone")
    yield from _duplicates(
        (
            (("identities", i, "service_account"), (x.namespace, x.service_account))
            for i, x in enumerate(cfg.identities)
        ),
        "namespace/service account pair",
    )


def _check_zones(cfg: PlatformConfig) -> Iterator[Problem]:
    platform = [i for i, z in enumerate(cfg.zones) if z.zone_class == "platform"]
    if len(platform) != 1:
        yield Problem(
            ("zones",),
            f"exactly one zone of class 'platform' is required (it hosts DNS, metrics and the audit "
            f"bucket); found {len(platform)}",
        )
    for i, zone in enumerate(cfg.zones):
        for j, ns in enumerate(zone.namespaces):
            if ns in RESERVED_NAMESPACES:
                yield Problem(
                    ("zones", i, "namespaces", j),
                    "namespace is reserved for the cluster or mesh; reserved: "
                    + ", ".join(sorted(RESERVED_NAMESPACES)),
                    ns,
                )
        egress = zone.egress
        if egress.allow_internet and zone.zone_class in NO_INTERNET_CLASSES:
            yield Problem(
                ("zones", i, "egress", "allow_internet"),
                f"{zone.zone_class} zones never get internet egress (exfiltration path); remove the field "
                "and list private mirror/endpoint CIDRs in egress.cidrs instead",
                True,
            )
        for j, cidr in enumerate(egress.cidrs):
            if not is_private_cidr(cidr) and not egress.allow_internet:
                yield Problem(
                    ("zones", i, "egress", "cidrs", j),
                    "egress CIDRs must be private (VPC endpoints, internal mirrors); a public range is internet egress",
                    cidr,
                )
        if zone.zone_class == "notebooks":
            allowed = aws_endpoint_cidr(cfg)
            for j, cidr in enumerate(egress.cidrs):
                if not _within(cidr, allowed):
                    yield Problem(
                        ("zones", i, "egress", "cidrs", j),
                        "notebooks reach the outside only through the egress proxy; egress.cidrs may name only the "
                        f"VPC's AWS endpoints ({allowed}: S3, STS), for the notebook's own IRSA grants",
                        cidr,
                    )
        if zone.zone_class == "notebooks" and egress.hosts and egress.proxy is None:
            yield Problem(
                ("zones", i, "egress", "hosts"),
                "notebook egress hosts need an egress.proxy to go through",
                egress.hosts,
            )
        if zone.zone_class == "inference" and egress.proxy is not None:
            yield Problem(
                ("zones", i, "egress", "proxy"),
                "inference zones have no outbound proxy: they reach only the model registry and monitoring",
                egress.proxy.host,
            )
        if zone.zone_class == "training" and egress.proxy is not None:
            yield Problem(
                ("zones", i, "egress", "proxy"),
                "training zones have no outbound proxy (no internet): list private mirror and endpoint CIDRs in "
                "egress.cidrs instead",
                egress.proxy.host,
            )
        if zone.zone_class == "notebooks" and egress.allow_internet:
            yield Problem(
                ("zones", i, "egress", "allow_internet"),
                "notebooks reach the internet only through the egress proxy, which enforces the host allow-list: "
                "remove the field and set egress.proxy and egress.hosts",
                True,
            )


def _check_instance_types(i: int, names: list[str]) -> Iterator[Problem]:
    """A pool runs the NVIDIA AMI, the GPU taint and the device plugin: every type must be an NVIDIA GPU type
    AWS sells (a typo would otherwise give a pool that never starts, or GPU settings on a CPU node)."""
    known = gpu_instance_types()
    for j, name in enumerate(names):
        if gpu_accelerator(name) is not None:
            continue
        family = name.partition(".")[0]
        if family in OTHER_ACCELERATORS:
            why = (
                f"{OTHER_ACCELERATORS[family]} needs its own AMI and device plugin, which the platform does not "
                "install; pools run NVIDIA GPUs"
            )
        elif family in GPU_FAMILIES:
            sizes = ", ".join(GPU_FAMILIES[family][1])
            why = f"{family} comes in {sizes}"
        else:
            why = "not an NVIDIA GPU instance type (pools run the NVIDIA AMI, GPU taint and device plugin)"
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.75)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        yield Problem(("node_pools", i, "instance_types", j), f"{why}{hint}", name)


def _check_pools(cfg: PlatformConfig) -> Iterator[Problem]:
    zones = {z.name: z for z in cfg.zones}
    supported = ", ".join(efa_instance_types())
    yield from _check_zone_nodes(cfg)
    for i, pool in enumerate(cfg.node_pools):
        zone = zones.get(pool.zone)
        if zone is None:
            yield _unknown(("node_pools", i, "zone"), pool.zone, "zone", zones)
        yield from _check_instance_types(i, pool.instance_types)
        yield from _check_capacity(cfg, i, pool)
        if not pool.efa:
            continue
        if zone is not None and zone.zone_class != "training":
            yield Problem(
                ("node_pools", i, "efa"),
                f"EFA is allowed only in training zones (RDMA bypasses TLS and the mesh); zone "
                f"{zone.name!r} is {zone.zone_class}",
                True,
            )
        if len(pool.instance_types) != 1:
            yield Problem(
                ("node_pools", i, "instance_types"),
                "an EFA pool has exactly one instance type: the interface layout depends on it",
                pool.instance_types,
            )
        for j, itype in enumerate(pool.instance_types):
            info = lookup(itype)
            if info is None or not info.efa_supported:
                yield Problem(
                    ("node_pools", i, "instance_types", j),
                    f"instance type has no EFA support; EFA instance types: {supported}",
                    itype,
                )
        if pool.availability_zone is None:
            yield Problem(
                ("node_pools", i, "availability_zone"),
                "an EFA pool needs one availability zone (EFA traffic does not cross AZs), e.g. 'us-east-1a'",
            )
        elif not pool.availability_zone.startswith(cfg.region):
            yield Problem(
                ("node_pools", i, "availability_zone"),
                f"availability zone is not in region {cfg.region!r}",
                pool.availability_zone,
            )
        reserved = pool.capacity_type == "CAPACITY_BLOCK" or pool.capacity_reservation_id is not None
        if reserved and pool.placement_group:
            yield Problem(
                ("node_pools", i, "placement_group"),
                "capacity blocks and capacity reservations conflict with a new cluster placement group; "
                "set placement_group: false",
                True,
            )


def _check_zone_nodes(cfg: PlatformConfig) -> Iterator[Problem]:
    """Every zone but the platform's runs on node pools of its own: admission pins its pods there, so a zone
    without one would have nowhere to run (or, unpinned, would share nodes with other zones)."""
    if any(p.zone not in {z.name for z in cfg.zones} for p in cfg.node_pools):
        return  # a pool naming an unknown zone is reported already; its zone is the likely one without nodes
    pooled = {p.zone for p in cfg.node_pools}
    for i, zone in enumerate(cfg.zones):
        if zone.zone_class != "platform" and zone.name not in pooled:
            yield Problem(
                ("zones", i, "name"),
                f"zone {zone.name!r} has no node pool: its pods run only on nodes of their own zone, so add one "
                f"(node_pools: [{{name: {zone.name}-gpu, zone: {zone.name}, instance_types: [g6.xlarge]}}])",
                zone.name,
            )


def _check_capacity(cfg: PlatformConfig, i: int, pool: NodePool) -> Iterator[Problem]:
    """Capacity settings EKS would reject at apply time, after other resources already exist."""
    if pool.capacity_type == "CAPACITY_BLOCK" and pool.capacity_reservation_id is None:
        yield Problem(
            ("node_pools", i, "capacity_reservation_id"),
            "a CAPACITY_BLOCK pool needs the Capacity Block's reservation id (the launch template must target "
            "it, or EKS rejects the node group); e.g. capacity_reservation_id: 'cr-0123456789abcdef0'",
        )
    if pool.capacity_type == "SPOT" and pool.capacity_reservation_id is not None:
        yield Problem(
            ("node_pools", i, "capacity_reservation_id"),
            "a capacity reservation can't be used with SPOT capacity; remove it or use ON_DEMAND / CAPACITY_BLOCK",
            pool.capacity_reservation_id,
        )
    if pool.capacity_reservation_id is not None and pool.availability_zone is None:
        yield Problem(
            ("node_pools", i, "availability_zone"),
            f"a capacity reservation lives in one availability zone: name it (e.g. '{cfg.region}a') so the node "
            "group launches only where the reservation is",
        )


def _check_buckets(cfg: PlatformConfig) -> Iterator[Problem]:
    zones = {z.name: z for z in cfg.zones}
    audit = [i for i, b in enumerate(cfg.buckets) if b.purpose == "audit-logs"]
    if len(audit) != 1:
        yield Problem(
            ("buckets",),
            f"exactly one bucket with purpose 'audit-logs' is required (access logs and the audit trail "
            f"go there); found {len(audit)}",
        )
    if len(audit) == 1:
        access = access_log_bucket_name(cfg.buckets[audit[0]].name)
        for i, bucket in enumerate(cfg.buckets):
            if bucket.name == access:
                yield Problem(
                    ("buckets", i, "name"),
                    f"{access!r} is the server-access-log bucket the platform creates beside the audit bucket; "
                    "choose another name",
                    bucket.name,
                )
    for i, bucket in enumerate(cfg.buckets):
        if bucket.purpose == "audit-logs" and bucket.dedicated_key:
            yield Problem(
                ("buckets", i, "dedicated_key"),
                "the audit-logs bucket is encrypted with the platform's audit key, the one CloudTrail and "
                "CloudWatch Logs are allowed to write with; remove dedicated_key",
                True,
            )
        zone = zones.get(bucket.zone)
        if zone is None:
            yield _unknown(("buckets", i, "zone"), bucket.zone, "zone", zones)
        elif bucket.purpose == "audit-logs" and zone.zone_class != "platform":
            yield Problem(
                ("buckets", i, "zone"),
                f"the audit-logs bucket belongs to the platform zone; {bucket.zone!r} is {zone.zone_class}",
                bucket.zone,
            )
        if bucket.object_lock_days is not None and bucket.purpose != "audit-logs":
            yield Problem(
                ("buckets", i, "object_lock_days"),
                "object lock is for the audit-logs bucket only; remove the field",
                bucket.object_lock_days,
            )
        if bucket.purpose == "audit-logs" and bucket.force_destroy:
            yield Problem(
                ("buckets", i, "force_destroy"),
                "the audit-logs bucket is under compliance-mode object lock and can never be force-destroyed",
                True,
            )


def _check_identities(cfg: PlatformConfig) -> Iterator[Problem]:
    zones = {z.name: z for z in cfg.zones}
    buckets = {b.name: b for b in cfg.buckets}
    for i, ident in enumerate(cfg.identities):
        zone = zones.get(ident.zone)
        if zone is None:
            yield _unknown(("identities", i, "zone"), ident.zone, "zone", zones)
        elif ident.namespace not in zone.namespaces:
            yield Problem(
                ("identities", i, "namespace"),
                f"namespace is not one of zone {zone.name!r}'s namespaces: {', '.join(zone.namespaces)}",
                ident.namespace,
            )
        for j, grant in enumerate(ident.grants):
            loc: Loc = ("identities", i, "grants", j)
            bucket = buckets.get(grant.bucket)
            if bucket is None:
                yield _unknown((*loc, "bucket"), grant.bucket, "bucket", buckets)
                continue
            if bucket.purpose == "audit-logs":
                yield Problem(
                    (*loc, "bucket"),
                    "workloads get no access to the audit-logs bucket; only CloudTrail and S3 logging write it",
                    grant.bucket,
                )
            if zone is None:
                continue
            if zone.zone_class == "inference" and grant.access != "read":
                yield Problem(
                    (*loc, "access"),
                    "inference identities are read-only (one approved model version); use access: read",
                    grant.access,
                )
            if zone.zone_class == "notebooks" and bucket.purpose == "models" and bucket.stage == "production":
                yield Problem(
                    (*loc, "bucket"),
                    f"notebooks get no access to production model storage; bucket {bucket.name!r} is a "
                    "production models bucket. Grant a staging models bucket instead",
                    grant.bucket,
                )
            if zone.stage == "staging" and bucket.stage == "production" and grant.access == "write":
                yield Problem(
                    (*loc, "access"),
                    f"a staging zone cannot write production artifacts (bucket {bucket.name!r} is production)",
                    grant.access,
                )


def _check_flows(cfg: PlatformConfig) -> Iterator[Problem]:
    zones = {z.name for z in cfg.zones}
    seen: dict[tuple[str, str, int, str], Loc] = {}
    for i, flow in enumerate(cfg.flows):
        for end, value in (("from", flow.source), ("to", flow.target)):
            if value not in zones:
                yield _unknown(("flows", i, end), value, "zone", zones)
        for j, port in enumerate(flow.ports):
            key = (flow.source, flow.target, port.port, port.protocol)
            if key in seen:
                yield Problem(
                    ("flows", i, "ports", j),
                    f"flow {flow.source} -> {flow.target} {port.protocol}/{port.port} is already declared "
                    f"at {format_loc(seen[key], '')}",
                    port.port,
                )
            seen[key] = ("flows", i, "ports", j)
            if port.end_port is not None and port.end_port - port.port + 1 > MAX_RANGE_PORTS:
                yield Problem(
                    ("flows", i, "ports", j, "end_port"),
                    f"a port range spans at most {MAX_RANGE_PORTS} ports (Istio authorization lists each port); "
                    f"{port.port}-{port.end_port} spans {port.end_port - port.port + 1}",
                    port.end_port,
                )
    yield from _check_nccl_flow(cfg)


def _check_nccl_flow(cfg: PlatformConfig) -> Iterator[Problem]:
    """An EFA training zone's workers must reach each other on the NCCL window, or jobs hang at init."""
    window = cfg.kubernetes.nccl_ports
    training = {z.name for z in cfg.zones if z.zone_class == "training"}
    efa_zones = cfg.efa_zones() & training  # EFA outside training zones is reported already
    for zone in sorted(efa_zones):
        covered = {
            n
            for flow in cfg.flows
            if flow.source == zone and flow.target == zone
            for port in flow.ports
            if port.protocol == "TCP"
            for n in range(port.port, (port.end_port or port.port) + 1)
        }
        if not set(window.numbers) <= covered:
            yield Problem(
                ("flows",),
                f"zone {zone!r} runs an EFA pool, so its workers must reach each other on the NCCL bootstrap "
                f"window (kubernetes.nccl_ports): declare a flow from: {zone}, to: {zone}, ports: "
                f"[{{port: {window.start}, end_port: {window.end}}}]",
            )


def _routed_outside(cfg: PlatformConfig) -> Iterator[tuple[Loc, str]]:
    """Every private destination the config sends traffic to, with where it is named."""
    for i, zone in enumerate(cfg.zones):
        for j, cidr in enumerate(zone.egress.cidrs):
            yield ("zones", i, "egress", "cidrs", j), cidr
        if zone.egress.proxy is not None:
            yield ("zones", i, "egress", "proxy", "cidr"), zone.egress.proxy.cidr
    if cfg.cluster.mode == "create":
        for j, cidr in enumerate(cfg.cluster.endpoint.private_access_cidrs):
            yield ("cluster", "endpoint", "private_access_cidrs", j), cidr


def _check_routes(cfg: PlatformConfig) -> Iterator[Problem]:
    """A created VPC routes nowhere but itself and AWS unless its transit gateway says so."""
    net = cfg.network
    if net.mode != "create":
        return
    routes = net.transit_gateway.routes if net.transit_gateway else []
    vpc = ipaddress.ip_network(net.cidr)
    for j, route in enumerate(routes):
        if ipaddress.ip_network(route).overlaps(vpc):
            yield Problem(
                ("network", "transit_gateway", "routes", j),
                f"overlaps the VPC's own CIDR {net.cidr}: the VPC reaches its own addresses locally; route only "
                "company networks outside it",
                route,
            )
    for loc, cidr in _routed_outside(cfg):
        if _within(cidr, net.cidr) or any(_within(cidr, r) for r in routes):
            continue
        yield Problem(
            loc,
            f"{cidr} is outside the VPC ({net.cidr}) and nothing routes there: add it (or a range holding it) "
            "to network.transit_gateway.routes",
            cidr,
        )


def _check_network(cfg: PlatformConfig) -> Iterator[Problem]:
    net = cfg.network
    yield from _check_routes(cfg)
    if net.mode == "create" and cfg.kubernetes.image_mirror is None:
        account = _example_account(cfg)
        yield Problem(
            ("kubernetes", "image_mirror"),
            "nodes of a created VPC have no internet path (no NAT, by design), so the add-on images (Istio, "
            "NVIDIA device plugin, Kyverno) cannot come from docker.io, nvcr.io or reg.kyverno.io: mirror them "
            "into a registry the VPC reaches (e.g. ECR pull-through cache) and set kubernetes.image_mirror, e.g. "
            f"'{account}.dkr.ecr.{cfg.region}.amazonaws.com/mirror'",
        )
    # A created VPC's CIDR is checked on its field (IPv4, private, /16 to /20), before anything is computed
    # from it; an existing VPC's must be private too.
    if net.mode == "existing" and not is_private_cidr(net.cidr):
        yield Problem(("network", "cidr"), "the VPC CIDR must be a private (RFC 1918) range", net.cidr)


def _bound_groups(cfg: PlatformConfig) -> Iterator[tuple[Loc, str]]:
    for i, zone in enumerate(cfg.zones):
        for field in ("data_scientist_groups", "ml_engineer_groups"):
            for j, group in enumerate(getattr(zone.access, field)):
                yield ("zones", i, "access", field, j), group
    for j, group in enumerate(cfg.kubernetes.platform_admin_groups):
        yield ("kubernetes", "platform_admin_groups", j), group


def _check_cluster(cfg: PlatformConfig) -> Iterator[Problem]:
    cluster = cfg.cluster
    if cluster.mode == "existing":
        if f".{cfg.region}." not in cluster.oidc_issuer_url:
            yield Problem(
                ("cluster", "oidc_issuer_url"),
                f"the OIDC issuer is not in region {cfg.region!r}",
                cluster.oidc_issuer_url,
            )
        return
    mapped = {g for access in cluster.group_access for g in access.groups}
    for loc, group in _bound_groups(cfg):
        if group not in mapped:
            yield Problem(
                loc,
                f"RBAC binds group {group!r}, but no IAM role is mapped to it, so nobody can act as it: add "
                f"{{role_arn: 'arn:aws:iam::{_example_account(cfg)}:role/<team role>', groups: [{group}]}} "
                "to cluster.group_access",
                group,
            )
    seen_roles: dict[str, int] = {}
    for i, access in enumerate(cluster.group_access):
        if access.role_arn in cluster.admin_role_arns or access.role_arn in seen_roles:
            yield Problem(
                ("cluster", "group_access", i, "role_arn"),
                "a role has one access entry: list its groups once, and not for an admin role",
                access.role_arn,
            )
        seen_roles[access.role_arn] = i
    if not cluster.admin_role_arns:
        yield Problem(
            ("cluster", "admin_role_arns"),
            "a created cluster authenticates with access entries only (no creator bootstrap): list at least the "
            "IAM role that runs `pulumi up`, or the Kubernetes half of the stack can never be deployed; e.g. "
            f"'arn:aws:iam::{_example_account(cfg)}:role/platform-deployer'",
        )
    else:
        for i, arn in enumerate(cluster.admin_role_arns):
            if cfg.account_id and f":{cfg.account_id}:" not in arn:
                yield Problem(
                    ("cluster", "admin_role_arns", i),
                    f"the role is not in the stack's account {cfg.account_id}",
                    arn,
                )
    endpoint = cluster.endpoint
    if not endpoint.public and not endpoint.private_access_cidrs:
        yield Problem(
            ("cluster", "endpoint", "private_access_cidrs"),
            "the API endpoint is private only, so `pulumi up` (and kubectl) must run from a network that reaches "
            "it: list that network (the CI runner's subnet, the VPN range), e.g. ['10.100.0.0/24']; it gets TCP "
            "443 into the cluster security group",
        )
    if not endpoint.private:
        yield Problem(
            ("cluster", "endpoint", "private"),
            "the private API endpoint must stay on: nodes and VPC tooling reach the API through it",
            False,
        )
    if endpoint.public and not endpoint.public_cidrs:
        yield Problem(
            ("cluster", "endpoint", "public_cidrs"),
            "a public endpoint needs an explicit list of allowed CIDRs (e.g. your VPN egress /32s)",
        )
    if endpoint.public_cidrs and not endpoint.public:
        yield Problem(
            ("cluster", "endpoint", "public_cidrs"),
            "public_cidrs has no effect while endpoint.public is false; remove it or set public: true",
            endpoint.public_cidrs,
        )
    for j, cidr in enumerate(endpoint.public_cidrs):
        if ipaddress.ip_network(cidr, strict=False).prefixlen < MIN_PUBLIC_PREFIX:
            # /0 is the whole internet, and so are 0.0.0.0/1 + 128.0.0.0/1: any range wider than a /16 is refused.
            yield Problem(
                ("cluster", "endpoint", "public_cidrs", j),
                f"an API endpoint open to the whole internet (or a range wider than /{MIN_PUBLIC_PREFIX}) is "
                "refused; list your admin networks",
                cidr,
            )
