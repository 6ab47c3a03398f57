"""The bad-input corpus: broken stack configs, each with the config path and message it must produce.

A case is either a mutation of the valid prod stack (`edit`) or a raw stack-file text (`raw`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Edit = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Case:
    id: str
    path: str  # expected config path in the message ('' = the file itself)
    message: str  # expected fragment of the explanation
    edit: Edit | None = None
    raw: str | bytes | None = None
    extra: dict[str, Any] | None = None  # other top-level config keys (e.g. aws:region)


def setp(path: str, value: Any) -> Edit:
    """Set a dotted path (list indices as numbers) to `value`."""

    def edit(d: dict[str, Any]) -> None:
        parts: list[Any] = [int(p) if p.isdigit() else p for p in path.split(".")]
        cur: Any = d
        for p in parts[:-1]:
            cur = cur[p]
        cur[parts[-1]] = value

    return edit


def delp(path: str) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        parts: list[Any] = [int(p) if p.isdigit() else p for p in path.split(".")]
        cur: Any = d
        for p in parts[:-1]:
            cur = cur[p]
        del cur[parts[-1]]

    return edit


def chain(*edits: Edit) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        for e in edits:
            e(d)

    return edit


def append(path: str, value: Any) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        cur: Any = d
        for p in [int(p) if p.isdigit() else p for p in path.split(".")]:
            cur = cur[p]
        cur.append(value)

    return edit


def replace_root(value: Any) -> Edit:
    def edit(d: dict[str, Any]) -> Any:
        return value

    return edit


P = "gpu-enclave:platform"
PROD_TEXT = (Path(__file__).resolve().parents[3] / "stacks" / "Pulumi.prod.yaml").read_text(encoding="utf-8")


def prod_text(old: str, new: str) -> str:
    """The prod stack file with one piece of text replaced (for what only the YAML text can express)."""
    assert old in PROD_TEXT, old
    return PROD_TEXT.replace(old, new, 1)


def nested(depth: int) -> str:
    return "config:\n  gpu-enclave:platform: " + "[" * depth + "]" * depth + "\n"


CASES: list[Case] = [
    # --- wrong types ---------------------------------------------------------------------------
    Case("zones-not-list", f"{P}.zones", "valid list", setp("zones", "training")),
    Case(
        "size-not-int", f"{P}.node_pools[0].max_size", "must be a whole number", setp("node_pools.0.max_size", "eight")
    ),
    Case("efa-not-bool", f"{P}.node_pools[0].efa", "must be true or false", setp("node_pools.0.efa", "maybe")),
    Case("platform-is-list", P, "must be a mapping", replace_root(["prod"])),
    Case("environment-bool", f"{P}.environment", "valid string", setp("environment", True)),
    # --- unknown keys --------------------------------------------------------------------------
    Case("typo-top-level", f"{P}.regoin", "did you mean 'region'", chain(setp("regoin", "us-east-1"))),
    Case("typo-zone-key", f"{P}.zones[1].clas", "did you mean 'class'", setp("zones.1.clas", "training")),
    Case("unknown-pool-key", f"{P}.node_pools[0].gpu_count", "allowed keys here", setp("node_pools.0.gpu_count", 8)),
    # --- missing required fields ---------------------------------------------------------------
    Case("missing-region", f"{P}.region", "required field is missing", delp("region")),
    Case("missing-cluster", f"{P}.cluster", "required field is missing", delp("cluster")),
    Case(
        "missing-grant-prefix",
        f"{P}.identities[0].grants[0].prefix",
        "required field is missing",
        delp("identities.0.grants.0.prefix"),
    ),
    # --- enumerations and patterns -------------------------------------------------------------
    Case("bad-zone-class", f"{P}.zones[1].class", "must be one of", setp("zones.1.class", "research")),
    Case("bad-network-mode", f"{P}.network.mode", "'create' or 'existing'", setp("network.mode", "peered")),
    Case("bad-region", f"{P}.region", "expected form", setp("region", "Mars-1")),
    Case(
        "version-unquoted",
        f"{P}.cluster.kubernetes_version",
        "YAML read it as the number 1.3 (an unquoted 1.30 becomes 1.3): quote it",
        setp("cluster.kubernetes_version", 1.3),
    ),
    Case(
        "account-unquoted",
        f"{P}.account_id",
        'leading zeros are lost): quote it, e.g. "011112222333"',
        setp("account_id", 11112222333),
    ),
    Case(
        "duplicate-zone-once", f"{P}.zones[2].name", "already used at zones[1].name", setp("zones.2.name", "training")
    ),
    Case(
        "egress-port-object",
        f"{P}.zones[1].egress.ports[0]",
        "end_port 400 is below port 443",
        setp("zones.1.egress.ports", [{"port": 443, "end_port": 400}]),
    ),
    Case(
        "unknown-region",
        f"{P}.region",
        "not an AWS region with EKS; did you mean 'us-east-2', 'us-east-1'",
        setp("region", "us-east-9"),
    ),
    Case(
        "instance-type-typo",
        f"{P}.node_pools[1].instance_types[0]",
        "did you mean 'g6e.12xlarge'",
        setp("node_pools.1.instance_types", ["g6e.12xlage"]),
    ),
    Case(
        "instance-type-invented",
        f"{P}.node_pools[2].instance_types[1]",
        "not an NVIDIA GPU instance type",
        setp("node_pools.2.instance_types", ["g6.xlarge", "p9.mega"]),
    ),
    Case(
        "instance-type-cpu",
        f"{P}.node_pools[2].instance_types[0]",
        "not an NVIDIA GPU instance type",
        setp("node_pools.2.instance_types", ["t3.medium"]),
    ),
    Case(
        "instance-type-no-such-size",
        f"{P}.node_pools[2].instance_types[0]",
        "g6 comes in xlarge, 2xlarge",
        setp("node_pools.2.instance_types", ["g6.3xlarge"]),
    ),
    Case(
        "instance-type-trainium",
        f"{P}.node_pools[0].instance_types[0]",
        "AWS Trainium needs its own AMI and device plugin",
        setp("node_pools.0.instance_types", ["trn1.32xlarge"]),
    ),
    Case("cidr-host-bits", f"{P}.network.cidr", "host bits", setp("network.cidr", "10.40.0.1/16")),
    Case("vpc-too-small", f"{P}.network.cidr", "/16 to /20", setp("network.cidr", "10.40.0.0/24")),
    Case("vpc-public", f"{P}.network.cidr", "private (RFC 1918)", setp("network.cidr", "52.0.0.0/16")),
    Case("vpc-tiny", f"{P}.network.cidr", "/16 to /20 (8 node subnets", setp("network.cidr", "10.40.0.0/28")),
    Case("vpc-21", f"{P}.network.cidr", "got /21", setp("network.cidr", "10.40.0.0/21")),
    Case("vpc-ipv6", f"{P}.network.cidr", "a created VPC is IPv4", setp("network.cidr", "fd00::/48")),
    Case(
        "route-default",
        f"{P}.network.transit_gateway.routes[0]",
        "a default route is never allowed",
        setp("network.transit_gateway.routes", ["0.0.0.0/0", "10.60.0.0/16"]),
    ),
    Case(
        "route-public",
        f"{P}.network.transit_gateway.routes[1]",
        "private networks only",
        setp("network.transit_gateway.routes", ["10.60.0.0/16", "52.0.0.0/8"]),
    ),
    Case(
        "route-own-vpc",
        f"{P}.network.transit_gateway.routes[1]",
        "overlaps the VPC's own CIDR 10.40.0.0/16",
        setp("network.transit_gateway.routes", ["10.60.0.0/16", "10.40.0.0/16", "10.100.0.0/24"]),
    ),
    Case("bad-retention", f"{P}.logging.retention_days", "retention periods", setp("logging.retention_days", 100)),
    Case(
        "long-token",
        f"{P}.identities[0].token_expiration_seconds",
        "less than or equal to 86400",
        setp("identities.0.token_expiration_seconds", 604800),
    ),
    Case(
        "short-token",
        f"{P}.identities[0].token_expiration_seconds",
        "greater than or equal to 600",
        setp("identities.0.token_expiration_seconds", 60),
    ),
    Case(
        "session-length-is-fixed",
        f"{P}.identities[0].max_session_seconds",
        "allowed keys here",
        setp("identities.0.max_session_seconds", 900),
    ),
    Case("tag-aws-prefix", f"{P}.tags", "reserved 'aws:' prefix", setp("tags", {"aws:owner": "me"})),
    # --- hostile strings -----------------------------------------------------------------------
    Case(
        "name-path-separator",
        f"{P}.zones[0].namespaces[0]",
        "lowercase ASCII",
        setp("zones.0.namespaces.0", "../etc/passwd"),
    ),
    Case("name-300-chars", f"{P}.zones[1].name", "300 characters long", setp("zones.1.name", "t" * 300)),
    Case("name-non-ascii", f"{P}.zones[1].name", "lowercase ASCII", setp("zones.1.name", "trainïng")),
    Case("name-escape-seq", f"{P}.buckets[1].name", "lowercase ASCII", setp("buckets.1.name", "\x1b[31mred\x1b[0m")),
    Case(
        "prefix-dotdot",
        f"{P}.identities[0].grants[0].prefix",
        "'..' segments",
        setp("identities.0.grants.0.prefix", "imaging/../../secrets"),
    ),
    Case(
        "prefix-wildcard",
        f"{P}.identities[0].grants[0].prefix",
        "no wildcards",
        setp("identities.0.grants.0.prefix", "imaging/*"),
    ),
    Case("reserved-namespace", f"{P}.zones[0].namespaces[0]", "reserved", setp("zones.0.namespaces.0", "kube-system")),
    # --- dangling references -------------------------------------------------------------------
    Case(
        "pool-zone-dangling",
        f"{P}.node_pools[0].zone",
        "no zone named 'gpu-farm'",
        setp("node_pools.0.zone", "gpu-farm"),
    ),
    Case(
        "grant-bucket-dangling",
        f"{P}.identities[0].grants[0].bucket",
        "no bucket named 'lake'",
        setp("identities.0.grants.0.bucket", "lake"),
    ),
    Case("flow-zone-dangling", f"{P}.flows[0].to", "no zone named 'gateway'", setp("flows.0.to", "gateway")),
    Case(
        "identity-namespace-foreign",
        f"{P}.identities[0].namespace",
        "not one of zone 'training'",
        setp("identities.0.namespace", "inference"),
    ),
    # --- contradictions and trust-model violations ---------------------------------------------
    Case(
        "efa-no-support",
        f"{P}.node_pools[0].instance_types[0]",
        "p5.48xlarge",
        setp("node_pools.0.instance_types", ["g6e.2xlarge"]),
    ),
    Case(
        "efa-in-inference",
        f"{P}.node_pools[1].efa",
        "only in training zones",
        chain(
            setp("node_pools.1.efa", True),
            setp("node_pools.1.instance_types", ["p5.48xlarge"]),
            setp("node_pools.1.availability_zone", "us-east-1a"),
        ),
    ),
    Case(
        "efa-no-az",
        f"{P}.node_pools[0].availability_zone",
        "needs one availability zone",
        delp("node_pools.0.availability_zone"),
    ),
    Case(
        "efa-az-other-region",
        f"{P}.node_pools[0].availability_zone",
        "not in region",
        setp("node_pools.0.availability_zone", "us-west-2a"),
    ),
    Case(
        "capacity-block-placement",
        f"{P}.node_pools[0].placement_group",
        "placement_group: false",
        setp("node_pools.0.capacity_type", "CAPACITY_BLOCK"),
    ),
    Case(
        "capacity-block-without-reservation",
        f"{P}.node_pools[0].capacity_reservation_id",
        "needs the Capacity Block's reservation id",
        chain(setp("node_pools.0.capacity_type", "CAPACITY_BLOCK"), setp("node_pools.0.placement_group", False)),
    ),
    Case(
        "spot-with-reservation",
        f"{P}.node_pools[1].capacity_reservation_id",
        "can't be used with SPOT",
        chain(
            setp("node_pools.1.capacity_type", "SPOT"),
            setp("node_pools.1.capacity_reservation_id", "cr-0123456789abcdef0"),
            setp("node_pools.1.availability_zone", "us-east-1a"),
        ),
    ),
    Case(
        "reservation-without-az",
        f"{P}.node_pools[1].availability_zone",
        "lives in one availability zone",
        setp("node_pools.1.capacity_reservation_id", "cr-0123456789abcdef0"),
    ),
    Case(
        "efa-zone-without-nccl-flow",
        f"{P}.flows",
        "NCCL bootstrap",
        setp("flows.1.ports", [{"port": 29500}]),
    ),
    Case(
        "flow-range-too-wide",
        f"{P}.flows[0].ports[0].end_port",
        "at most 1024 ports",
        setp("flows.0.ports", [{"port": 1024, "end_port": 65535}]),
    ),
    Case(
        "no-cluster-admin",
        f"{P}.cluster.admin_role_arns",
        "the IAM role that runs `pulumi up`",
        setp("cluster.admin_role_arns", []),
    ),
    Case(
        "cluster-admin-other-account",
        f"{P}.cluster.admin_role_arns[0]",
        "not in the stack's account",
        setp("cluster.admin_role_arns", ["arn:aws:iam::999999999999:role/platform-admin"]),
    ),
    Case(
        "audit-bucket-dedicated-key",
        f"{P}.buckets[0].dedicated_key",
        "encrypted with the platform's audit key",
        setp("buckets.0.dedicated_key", True),
    ),
    Case(
        "created-vpc-without-image-mirror",
        f"{P}.kubernetes.image_mirror",
        "no internet path",
        delp("kubernetes.image_mirror"),
    ),
    Case(
        "notebooks-direct-egress",
        f"{P}.zones[3].egress.cidrs[1]",
        "only through the egress proxy",
        setp("zones.3.egress.cidrs", ["10.40.255.0/24", "10.60.8.0/24"]),
    ),
    Case(
        "private-api-unreachable",
        f"{P}.cluster.endpoint.private_access_cidrs",
        "must run from a network that reaches it",
        setp("cluster.endpoint.private_access_cidrs", []),
    ),
    Case(
        "mirror-not-routed",
        f"{P}.zones[1].egress.cidrs[1]",
        "nothing routes there",
        setp("network.transit_gateway.routes", ["10.100.0.0/24"]),
    ),
    Case(
        "bad-transit-gateway-id",
        f"{P}.network.transit_gateway.id",
        "pattern ^tgw-",
        setp("network.transit_gateway.id", "tgw-../../etc"),
    ),
    Case(
        "bucket-named-like-access-logs",
        f"{P}.buckets[1].name",
        "server-access-log bucket the platform creates",
        setp("buckets.1.name", "audit-logs-access"),
    ),
    Case(
        "rbac-group-nobody-can-use",
        f"{P}.zones[1].access.data_scientist_groups[0]",
        "no IAM role is mapped to it",
        setp("zones.1.access.data_scientist_groups", ["ghost-team"]),
    ),
    Case(
        "system-group",
        f"{P}.cluster.group_access[0].groups[0]",
        "belong to Kubernetes",
        setp("cluster.group_access.0.groups", ["system:masters"]),
    ),
    Case(
        "admin-role-also-in-group-access",
        f"{P}.cluster.group_access[0].role_arn",
        "a role has one access entry",
        setp("cluster.group_access.0.role_arn", "arn:aws:iam::111122223333:role/platform-admin"),
    ),
    Case(
        "sizes-contradict",
        f"{P}.node_pools[0]",
        "min_size <= desired_size",
        chain(setp("node_pools.0.min_size", 5), setp("node_pools.0.desired_size", 2)),
    ),
    Case(
        "notebooks-prod-models",
        f"{P}.identities[2].grants[1].bucket",
        "no access to production model storage",
        append("identities.2.grants", {"bucket": "models-prod", "prefix": "radiology", "access": "read"}),
    ),
    Case(
        "inference-write",
        f"{P}.identities[1].grants[0].access",
        "read-only",
        setp("identities.1.grants.0.access", "write"),
    ),
    Case(
        "training-internet",
        f"{P}.zones[1].egress.allow_internet",
        "never get internet egress",
        setp("zones.1.egress.allow_internet", True),
    ),
    Case(
        "training-public-cidr",
        f"{P}.zones[1].egress.cidrs[1]",
        "must be private",
        setp("zones.1.egress.cidrs.1", "8.8.8.0/24"),
    ),
    Case(
        "public-endpoint-no-cidrs",
        f"{P}.cluster.endpoint.public_cidrs",
        "explicit list",
        setp("cluster.endpoint.public", True),
    ),
    Case(
        "public-endpoint-world",
        f"{P}.cluster.endpoint.public_cidrs[0]",
        "whole internet",
        chain(setp("cluster.endpoint.public", True), setp("cluster.endpoint.public_cidrs", ["0.0.0.0/0"])),
    ),
    Case("duplicate-zone", f"{P}.zones[3].name", "duplicate zone name", setp("zones.3.name", "training")),
    Case(
        "duplicate-namespace",
        f"{P}.zones[3].namespaces[0]",
        "duplicate namespace",
        setp("zones.3.namespaces.0", "inference"),
    ),
    Case(
        "two-audit-buckets",
        f"{P}.buckets",
        "exactly one bucket with purpose 'audit-logs'",
        setp("buckets.1.purpose", "audit-logs"),
    ),
    Case("no-platform-zone", f"{P}.zones", "exactly one zone of class 'platform'", setp("zones.0.class", "training")),
    Case(
        "existing-one-subnet",
        f"{P}.network.private_subnet_ids",
        "at least 2 items",
        setp(
            "network",
            {
                "mode": "existing",
                "vpc_id": "vpc-0a1b2c3d4e5f60718",
                "cidr": "10.20.0.0/16",
                "private_subnet_ids": ["subnet-0a1b2c3d4e5f60001"],
                "private_route_table_ids": ["rtb-0a1b2c3d4e5f60001"],
            },
        ),
    ),
    Case("aws-region-contradiction", f"{P}.region", "contradicts aws:region", None, extra={"aws:region": "eu-west-1"}),
    Case(
        "secure-value-in-schema",
        f"{P}.cluster.name",
        "not a `secure:` one",
        setp("cluster.name", {"secure": "v1:AAAA"}),
    ),
    # --- broken YAML ---------------------------------------------------------------------------
    Case(
        "yaml-undefined-alias",
        "(stack file)",
        "not valid YAML",
        raw="config:\n  gpu-enclave:platform:\n    environment: *nope\n",
    ),
    Case(
        "yaml-billion-laughs",
        "(stack file)",
        "expand to more than",
        raw="config:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
    ),
    Case("yaml-recursive-anchor", "(stack file)", "expand to more than", raw="config:\n  a: &a [1, *a]\n"),
    Case(
        "yaml-duplicate-key",
        "(stack file)",
        "duplicate key 'region'",
        raw="config:\n  gpu-enclave:platform:\n    region: us-east-1\n    region: us-west-2\n",
    ),
    Case("yaml-tab-indent", "(stack file)", "not valid YAML", raw="config:\n\tgpu-enclave:platform: {}\n"),
    Case(
        "yaml-not-utf8",
        "(stack file)",
        "not UTF-8",
        raw=b"config:\n  gpu-enclave:platform:\n    environment: \xff\xfe\n",
    ),
    Case("yaml-top-level-list", "(stack file)", "'config:' mapping", raw="- config\n- platform\n"),
    Case("missing-platform-key", P, "missing: set it", raw="config:\n  aws:region: us-east-1\n"),
    # --- what the pre-deploy review added ---------------------------------------------------------
    Case(
        "zone-without-node-pool",
        f"{P}.zones[3].name",
        "has no node pool",
        lambda d: d["node_pools"].__delitem__(2),
    ),
    Case(
        "kube-proxy-for-another-kubernetes",
        f"{P}.cluster",
        "is for Kubernetes 1.32",
        setp("cluster.addon_versions", {"kube_proxy": "v1.32.6-eksbuild.2"}),
    ),
    Case(
        "eks-addon-version-shape",
        f"{P}.cluster.addon_versions.coredns",
        "expected form (pattern ^v",
        setp("cluster.addon_versions", {"coredns": "latest"}),
    ),
    # --- issue 19: nothing coerced, nothing the provider would refuse, no parser limit unbounded ------------
    Case("size-true", f"{P}.node_pools[0].min_size", "must be a whole number", setp("node_pools.0.min_size", True)),
    Case(
        "size-float",
        f"{P}.node_pools[0].disk_size_gib",
        "must be a whole number",
        setp("node_pools.0.disk_size_gib", 200.0),
    ),
    Case("efa-quoted-yes", f"{P}.node_pools[0].efa", "must be true or false", setp("node_pools.0.efa", "yes")),
    Case("efa-yaml-yes", f"{P}.node_pools[0].efa", "must be true or false", raw=prod_text("efa: true", "efa: yes")),
    Case("quota-quoted", f"{P}.zones[1].quota.gpus", "must be a whole number", setp("zones.1.quota.gpus", "8")),
    Case(
        "egress-cidr-twice",
        f"{P}.zones[1].egress.cidrs[2]",
        "repeats item 0 of this list",
        append("zones.1.egress.cidrs", "10.40.255.0/24"),
    ),
    Case(
        "private-access-cidr-twice",
        f"{P}.cluster.endpoint.private_access_cidrs[1]",
        "repeats item 0 of this list",
        append("cluster.endpoint.private_access_cidrs", "10.100.0.0/24"),
    ),
    Case(
        "tgw-route-twice-written-differently",
        f"{P}.network.transit_gateway.routes[2]",
        "repeats item 0 of this list",
        raw=prod_text("routes: [10.60.0.0/16, 10.100.0.0/24]", "routes: [10.60.0.0/16, 10.100.0.0/24, 10.60.0.0/16]"),
    ),
    Case(
        "tgw-route-ipv6",
        f"{P}.network.transit_gateway.routes[2]",
        "must be an IPv4 network",
        append("network.transit_gateway.routes", "fd00::/8"),
    ),
    Case(
        "private-access-ipv6",
        f"{P}.cluster.endpoint.private_access_cidrs[1]",
        "must be an IPv4 network",
        append("cluster.endpoint.private_access_cidrs", "fd12:3456::/48"),
    ),
    Case(
        "bucket-name-too-long-for-s3",
        f"{P}.buckets[1].name",
        "AWS allows 63",
        chain(
            setp("environment", "production-eu-central-01"),
            lambda d: [
                g.update(bucket="datasets-of-radiology-xx")
                for i in d["identities"]
                for g in i["grants"]
                if g["bucket"] == "datasets"
            ],
            setp("buckets.1.name", "datasets-of-radiology-xx"),
        ),
    ),
    Case(
        "pool-name-too-long-for-iam-and-eks",
        f"{P}.node_pools[0].name",
        "AWS allows 63",
        chain(setp("environment", "production-eu-central-01"), setp("node_pools.0.name", "train-p5-on-demand-pool")),
    ),
    Case("yaml-nested-600", "(stack file)", "nested deeper than 64 levels", raw=nested(600)),
    Case("yaml-nested-30000", "(stack file)", "nested deeper than 64 levels", raw=nested(30_000)),
    Case(
        "yaml-huge-without-aliases",
        "(stack file)",
        "more than 200000 values",
        raw="config:\n  x:\n" + "".join(f"    k{i}: v\n" for i in range(200_001)),
    ),
    Case("yaml-over-4-mib", "(stack file)", "a stack or project file is at most", raw="# " + "x" * (4 * 1024 * 1024)),
]
