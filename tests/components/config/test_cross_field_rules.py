"""Every cross-field rule of the stack config, each with a named case it accepts and a named case it refuses
(the refusal names the config path and says why), starting from a shipped stack file and edited.

The rules are enumerated from the code, so a rule added without cases fails
`test_every_cross_field_rule_has_a_pass_and_a_fail_case`:
- every `Problem(...)`, `_unknown(...)` and `_duplicates(...)` raised in components/config/references.py,
  promotion.py and perimeter.py (one rule each; a rule is told apart from others of its function by a fragment
  of its source);
- every pydantic `model_validator` of components/config (a rule across fields of one model);
- every `_check_*` function of components/config/loading.py that takes the PlatformConfig.
"""

from __future__ import annotations

import ast
import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.config import ConfigError, read_stack_file, validate_stack_file
from components.config.errors import format_loc
from enclave.synth import PROJECT_ROOT
from tests.conftest import stack_data, write_stack

from .bad_configs import Edit, append, chain, delp, setp

CONFIG_DIR = PROJECT_ROOT / "components" / "config"
REFERENCES = (CONFIG_DIR / "references.py", CONFIG_DIR / "references_k8s.py", CONFIG_DIR / "rollout.py")
PROMOTION = CONFIG_DIR / "promotion.py"
PERIMETER = CONFIG_DIR / "perimeter.py"
IMAGES = CONFIG_DIR / "images.py"
RULE_CALLS = ("Problem", "_unknown", "_duplicates")
RULE_HELPERS = ("_unknown", "_duplicates")  # build the Problem of their callers' rules
P = "gpu-enclave:platform"
IN_60_DAYS = (datetime.date.today() + datetime.timedelta(days=60)).isoformat()


@dataclass(frozen=True)
class Rule:
    """One cross-field rule: `site` is the references.py function raising it (with `fragment`, a piece of
    the call's source as ast.unparse prints it), or 'Model._validator', or 'loading._check_x'."""

    site: str
    fragment: str = ""


RULES: dict[str, Rule] = {
    # names
    "zone-names-unique": Rule("_check_names", "'zone name'"),
    "pool-names-unique": Rule("_check_names", "'node pool name'"),
    "bucket-names-unique": Rule("_check_names", "'bucket name'"),
    "identity-names-unique": Rule("_check_names", "'identity name'"),
    "namespaces-unique": Rule("_check_names", "'namespace')"),
    "service-accounts-unique": Rule("_check_names", "'namespace/service account pair'"),
    # zones
    "one-platform-zone": Rule("_check_zones", "exactly one zone of class 'platform'"),
    "reserved-namespaces": Rule("_check_zones", "namespace is reserved"),
    "no-internet-for-training-and-inference": Rule("_check_zones", "never get internet egress"),
    "egress-cidrs-private": Rule("_check_zones", "egress CIDRs must be private"),
    "notebook-cidrs-only-aws-endpoints": Rule("_check_zones", "notebooks reach the outside only through"),
    "notebook-hosts-need-proxy": Rule("_check_zones", "notebook egress hosts need an egress.proxy"),
    "no-proxy-for-inference": Rule("_check_zones", "inference zones have no outbound proxy"),
    "no-proxy-for-training": Rule("_check_zones", "training zones have no outbound proxy"),
    "no-direct-internet-for-notebooks": Rule("_check_zones", "notebooks reach the internet only through"),
    # pools
    "pools-run-nvidia-gpus": Rule("_check_instance_types", "{why}{hint}"),
    "pool-zone-exists": Rule("_check_pools", "_unknown(('node_pools', i, 'zone')"),
    "efa-training-only": Rule("_check_pools", "EFA is allowed only in training zones"),
    "efa-one-instance-type": Rule("_check_pools", "exactly one instance type"),
    "efa-instance-type-supported": Rule("_check_pools", "instance type has no EFA support"),
    "efa-one-availability-zone": Rule("_check_pools", "an EFA pool needs one availability zone"),
    "efa-availability-zone-in-region": Rule("_check_pools", "availability zone is not in region"),
    "reservation-without-placement-group": Rule("_check_pools", "conflict with a new cluster placement group"),
    "every-zone-has-nodes": Rule("_check_zone_nodes", "has no node pool"),
    "capacity-block-needs-reservation": Rule("_check_capacity", "a CAPACITY_BLOCK pool needs"),
    "no-reservation-with-spot": Rule("_check_capacity", "can't be used with SPOT capacity"),
    "reservation-needs-availability-zone": Rule("_check_capacity", "a capacity reservation lives in one"),
    # buckets
    "one-audit-bucket": Rule("_check_buckets", "exactly one bucket with purpose 'audit-logs'"),
    "access-log-bucket-name-free": Rule("_check_buckets", "is the server-access-log bucket"),
    "audit-bucket-uses-audit-key": Rule("_check_buckets", "encrypted with the platform's audit key"),
    "bucket-zone-exists": Rule("_check_buckets", "_unknown(('buckets', i, 'zone')"),
    "audit-bucket-in-platform-zone": Rule("_check_buckets", "belongs to the platform zone"),
    "object-lock-audit-only": Rule("_check_buckets", "object lock is for the audit-logs bucket only"),
    "audit-bucket-never-force-destroyed": Rule("_check_buckets", "can never be force-destroyed"),
    # identities
    "identity-zone-exists": Rule("_check_identities", "_unknown(('identities', i, 'zone')"),
    "identity-namespace-in-zone": Rule("_check_identities", "namespace is not one of zone"),
    "grant-bucket-exists": Rule("_check_identities", "_unknown((*loc, 'bucket')"),
    "no-workload-access-to-audit-bucket": Rule("_check_identities", "no access to the audit-logs bucket"),
    "inference-read-only": Rule("_check_identities", "inference identities are read-only"),
    "notebooks-no-production-models": Rule("_check_identities", "no access to production model storage"),
    "staging-never-writes-production": Rule("_check_identities", "a staging zone cannot write production"),
    # the promotion path (promotion.py)
    "notebooks-never-read-datasets": Rule("check_promotion", "notebook identities never read datasets"),
    "only-promotion-writes-what-notebooks-read": Rule(
        "check_promotion", "only a promotion identity writes what notebooks read"
    ),
    "notebooks-read-only-promoted": Rule("check_promotion", "no identity with promotion"),
    "promotion-identity-writes": Rule("_check_promoter", "give it a write grant"),
    "promotion-never-reads-datasets": Rule("_check_promoter", "a promotion identity never reads datasets"),
    "promotion-not-in-notebooks": Rule("_check_promoter", "is a notebooks zone"),
    "promotion-out-of-data-scientists-reach": Rule("_check_promoter", "can start pods there"),
    # the data perimeter (perimeter.py)
    "perimeter-names-its-deployer": Rule("check_perimeter", "list the role that runs"),
    "perimeter-roles-in-the-stack-account": Rule("check_perimeter", "the role is not in the stack's account"),
    "perimeter-endpoints-only-when-not-created": Rule("check_perimeter", "the stack creates the VPC's S3 endpoints"),
    "perimeter-names-existing-endpoints": Rule("check_perimeter", "the stack creates no S3 endpoint"),
    # images per zone (images.py)
    "node-roles-unlike-identity-roles": Rule("check_images", "rename the identity"),
    "image-zones-declared": Rule("check_images", "no zone named"),
    "image-zones-have-nodes": Rule("check_images", "no node could pull"),
    "image-repositories-unique": Rule("check_images", "lists a repository twice"),
    "images-name-their-pushers": Rule("check_images", "list the role your CI"),
    "image-pushers-in-the-stack-account": Rule("check_images", "the role is not in the stack's account"),
    # flows
    "flow-zones-exist": Rule("_check_flows", "_unknown(('flows', i, end)"),
    "flow-ports-declared-once": Rule("_check_flows", "is already declared"),
    "flow-port-ranges-bounded": Rule("_check_flows", "a port range spans at most"),
    "efa-zone-declares-nccl-window-tcp": Rule("_check_nccl_flow", "NCCL bootstrap"),
    # network
    "egress-destinations-routed": Rule("_check_routes", "nothing routes there"),
    "routes-outside-the-vpc": Rule("_check_routes", "overlaps the VPC's own CIDR"),
    "created-vpc-needs-image-mirror": Rule("_check_network", "kubernetes', 'image_mirror'"),
    "existing-vpc-cidr-private": Rule("_check_network", "the VPC CIDR must be a private"),
    # cluster
    "existing-cluster-issuer-in-region": Rule("_check_cluster", "the OIDC issuer is not in region"),
    "bound-groups-mapped-to-roles": Rule("_check_cluster", "no IAM role is mapped to it"),
    "one-access-entry-per-role": Rule("_check_cluster", "a role has one access entry"),
    "created-cluster-needs-admins": Rule("_check_cluster", "list at least the"),
    "admins-in-the-stack-account": Rule("_check_cluster", "the role is not in the stack's account"),
    "private-only-endpoint-needs-networks": Rule("_check_cluster", "the API endpoint is private only"),
    "private-endpoint-stays-on": Rule("_check_cluster", "the private API endpoint must stay on"),
    "public-endpoint-needs-cidrs": Rule("_check_cluster", "a public endpoint needs an explicit list"),
    "public-cidrs-need-public-endpoint": Rule("_check_cluster", "public_cidrs has no effect"),
    "public-endpoint-never-open-to-all": Rule("_check_cluster", "open to the whole internet (or a range wider"),
    # team zones
    "team-zones-unique": Rule("_check_names", "'team zone'"),
    "team-zone-not-a-platform-zone": Rule("_check_team_zones", "is a zone of this platform"),
    "team-zone-prefix-selects-no-platform-bucket": Rule("_check_team_zones", "would also select platform bucket"),
    # manager secrets
    "zone-secrets-unique": Rule("_check_secrets", "'zone secret'"),
    "zone-secrets-of-a-zone": Rule("_check_secrets", "secret.zone"),
    "zone-secrets-need-the-driver": Rule("_check_secrets", "set from_manager: true"),
    # model validators and the loader
    "system-pool-sizes-ordered": Rule("SystemPool._sizes"),
    "kube-proxy-matches-cluster-version": Rule("CreatedCluster._kube_proxy_matches"),
    "port-range-ascending": Rule("Port._range"),
    "approved-registries-unique": Rule("KubernetesConfig._registries_unique"),
    "writable-hosts-listed": Rule("Egress._writable_hosts_listed"),
    "rollout-accountable": Rule("Rollout._accountable"),
    "rollout-expires-in-production": Rule("check_rollouts", "needs an expiry date"),
    "agent-system-not-zone-namespaces": Rule("check_namespace_classes", "a zone namespace is never"),
    "agent-system-hold-workloads": Rule("check_namespace_classes", "hold no workloads"),
    "agent-system-listed-once": Rule("check_namespace_classes", "is listed twice"),
    "service-account-groups-bound": Rule("check_service_accounts", "is bound to no role of zone"),
    "service-accounts-exist": Rule("check_service_accounts", "no ServiceAccount"),
    "pool-sizes-ordered": Rule("NodePool._sizes"),
    "aws-region-agrees": Rule("loading._check_aws_region"),
    "alarm-endpoint-fits-protocol": Rule("Subscription._endpoint_fits_protocol"),
}


@dataclass(frozen=True)
class Case:
    id: str
    rule: str
    edit: Edit | None = None  # None: the stack file as shipped
    stack: str = "prod"
    path: str | None = None  # fail cases: the config path the problem names
    message: str = ""  # fail cases: a fragment of the problem's explanation
    extra: dict[str, Any] | None = None  # other keys of the stack file's config (aws:region)


def rename_bucket(old: str, new: str) -> Edit:
    def edit(d: dict[str, Any]) -> None:
        for b in d["buckets"]:
            if b["name"] == old:
                b["name"] = new
        for ident in d["identities"]:
            for g in ident.get("grants", []):
                if g["bucket"] == old:
                    g["bucket"] = new

    return edit


PROXY = {"host": "egress-proxy.internal.example.com", "cidr": "10.60.16.0/24", "port": 3128}
RESERVATION = "cr-0123456789abcdef0"
EXISTING_CLUSTER = {
    "mode": "existing",
    "name": "shared-gpu",
    "oidc_issuer_url": "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF",
}

# prod: zones 0 platform, 1 training, 2 inference, 3 notebooks; pools 0 train-p5 (EFA), 1 infer-g6e,
# 2 notebooks-g6; buckets 0 audit-logs, 1 datasets, 2 checkpoints, 3 models-prod, 4 models-staging;
# identities 0 trainer, 1 model-server, 2 notebook, 3 model-promoter; flows 0 platform->inference, 1 training->training
# (rendezvous + NCCL window), 2 inference->platform.
PASS: list[Case] = [
    Case(
        "notebooks-observed-until-a-date",
        "rollout-accountable",
        setp("zones.3.rollout", {"stage": "observe", "owner": "ml-platform", "expires": IN_60_DAYS}),
    ),
    Case(
        "prod-zone-warned-until-a-date",
        "rollout-expires-in-production",
        setp("zones.3.rollout", {"stage": "warn", "owner": "ml-platform", "expires": IN_60_DAYS}),
    ),
    Case(
        "staging-zone-observed-without-expiry",
        "rollout-expires-in-production",
        setp("zones.3.rollout", {"stage": "observe", "owner": "ml-platform"}),
        stack="staging",
    ),
    Case(
        "mirror-writable",
        "writable-hosts-listed",
        setp("zones.1.egress.writable_hosts", ["pypi-mirror.internal.example.com"]),
    ),
    Case(
        "alarms-to-a-pager-and-a-topic",
        "alarm-endpoint-fits-protocol",
        setp(
            "detection.subscriptions",
            [
                {"protocol": "https", "endpoint": "https://events.pagerduty.com/integration/abc/enqueue"},
                {"protocol": "sns", "endpoint": "arn:aws:sns:us-east-1:444455556666:org-security"},
            ],
        ),
    ),
    Case(
        "agents-of-their-own",
        "agent-system-not-zone-namespaces",
        setp("kubernetes.system_namespaces", ["amazon-cloudwatch"]),
    ),
    Case(
        "agents-named-anew",
        "agent-system-hold-workloads",
        setp("kubernetes.node_agents", {"namespaces": ["gpu-agents"]}),
    ),
    Case(
        "two-agent-namespaces",
        "agent-system-listed-once",
        setp("kubernetes.node_agents", {"namespaces": ["gpu-agents", "log-agents"]}),
    ),
    Case(
        "engineers-run-the-trainer",
        "service-account-groups-bound",
        setp("zones.1.access.service_accounts", {"ml-engineering": ["trainer"]}),
    ),
    Case(
        "researchers-use-default",
        "service-accounts-exist",
        setp("zones.1.access.service_accounts", {"ml-research": ["default"]}),
    ),
    Case("zone-names-as-shipped", "zone-names-unique"),
    Case("renamed-pool", "pool-names-unique", setp("node_pools.2.name", "notebooks-g6-b")),
    Case("bucket-names-as-shipped", "bucket-names-unique"),
    Case("renamed-identity", "identity-names-unique", setp("identities.1.name", "server")),
    Case("another-new-namespace", "namespaces-unique", append("zones.0.namespaces", "platform-tools")),
    Case(
        "same-account-name-other-namespace",
        "service-accounts-unique",
        chain(
            setp("identities.2.service_account", "trainer"),
            setp("zones.3.access.service_accounts.ml-research", ["trainer"]),
        ),
    ),
    Case("one-platform-zone-as-shipped", "one-platform-zone"),
    Case("namespace-near-a-reserved-name", "reserved-namespaces", setp("zones.0.namespaces.1", "kube-tools")),
    Case(
        "platform-zone-internet",
        "no-internet-for-training-and-inference",
        setp("zones.0.egress", {"allow_internet": True}),
    ),
    Case("private-routed-mirror", "egress-cidrs-private", setp("zones.1.egress.cidrs.1", "10.60.9.0/24")),
    Case(
        "notebooks-part-of-endpoint-block",
        "notebook-cidrs-only-aws-endpoints",
        setp("zones.3.egress.cidrs", ["10.40.255.0/25"]),
    ),
    Case(
        "notebooks-without-hosts-or-proxy",
        "notebook-hosts-need-proxy",
        chain(delp("zones.3.egress.proxy"), delp("zones.3.egress.hosts")),
    ),
    Case("proxy-on-notebooks-as-shipped", "no-proxy-for-inference"),
    Case("training-through-mirrors-as-shipped", "no-proxy-for-training"),
    Case("notebooks-through-the-proxy-as-shipped", "no-direct-internet-for-notebooks"),
    Case(
        "another-nvidia-type",
        "pools-run-nvidia-gpus",
        setp("node_pools.1.instance_types", ["g6e.48xlarge", "g5.12xlarge"]),
    ),
    Case("pool-zones-as-shipped", "pool-zone-exists"),
    Case("efa-in-training-as-shipped", "efa-training-only"),
    Case("efa-single-type-as-shipped", "efa-one-instance-type"),
    Case("efa-on-p4d", "efa-instance-type-supported", setp("node_pools.0.instance_types", ["p4d.24xlarge"])),
    Case("efa-with-az-as-shipped", "efa-one-availability-zone"),
    Case(
        "efa-in-another-az-of-the-region",
        "efa-availability-zone-in-region",
        setp("node_pools.0.availability_zone", "us-east-1b"),
    ),
    Case("capacity-block-without-placement-group", "reservation-without-placement-group", stack="staging"),
    Case("platform-zone-needs-no-pool", "every-zone-has-nodes"),
    Case("capacity-block-with-reservation", "capacity-block-needs-reservation", stack="staging"),
    Case(
        "on-demand-with-reservation",
        "no-reservation-with-spot",
        setp("node_pools.0.capacity_type", "ON_DEMAND"),
        stack="staging",
    ),
    Case(
        "reservation-with-az",
        "reservation-needs-availability-zone",
        chain(
            setp("node_pools.1.capacity_reservation_id", RESERVATION),
            setp("node_pools.1.availability_zone", "us-east-1b"),
        ),
    ),
    Case("one-audit-bucket-as-shipped", "one-audit-bucket"),
    Case(
        "bucket-named-near-access-log-bucket",
        "access-log-bucket-name-free",
        rename_bucket("models-staging", "audit-logs-archive"),
    ),
    Case("dedicated-key-on-checkpoints", "audit-bucket-uses-audit-key", setp("buckets.2.dedicated_key", True)),
    Case("datasets-in-another-declared-zone", "bucket-zone-exists", setp("buckets.1.zone", "platform")),
    Case("audit-bucket-in-platform-as-shipped", "audit-bucket-in-platform-zone"),
    Case("object-lock-on-audit-bucket", "object-lock-audit-only", setp("buckets.0.object_lock_days", 2192)),
    Case("force-destroy-checkpoints", "audit-bucket-never-force-destroyed", setp("buckets.2.force_destroy", True)),
    Case("identity-zones-as-shipped", "identity-zone-exists"),
    Case(
        "identity-in-second-zone-namespace",
        "identity-namespace-in-zone",
        chain(append("zones.1.namespaces", "training-batch"), setp("identities.0.namespace", "training-batch")),
    ),
    Case("grant-buckets-as-shipped", "grant-bucket-exists"),
    Case("grants-as-shipped", "no-workload-access-to-audit-bucket"),
    Case("inference-reads-as-shipped", "inference-read-only"),
    Case("notebooks-read-staging-models", "notebooks-no-production-models"),
    Case(
        "staging-zone-writes-staging-bucket",
        "staging-never-writes-production",
        setp("identities.2.grants.0", {"bucket": "models-staging", "prefix": "scratch", "access": "write"}),
    ),
    Case("deployer-as-shipped", "perimeter-names-its-deployer"),
    Case("identity-names-as-shipped", "node-roles-unlike-identity-roles"),
    Case("image-zones-as-shipped", "image-zones-declared"),
    Case("image-zones-with-pools-as-shipped", "image-zones-have-nodes"),
    Case(
        "existing-cluster-without-platform-images",
        "image-zones-have-nodes",
        chain(setp("cluster", EXISTING_CLUSTER), delp("images.repositories.platform")),
    ),
    Case("image-repositories-as-shipped", "image-repositories-unique"),
    Case("image-pushers-as-shipped", "images-name-their-pushers"),
    Case("images-off-need-no-pushers", "images-name-their-pushers", setp("images", {"enabled": False})),
    Case(
        "second-pusher-in-the-account",
        "image-pushers-in-the-stack-account",
        append("images.push_role_arns", "arn:aws:iam::111122223333:role/model-promoter-ci"),
    ),
    Case("perimeter-off-needs-no-deployer", "perimeter-names-its-deployer", setp("data_perimeter", {"enabled": False})),
    Case(
        "break-glass-in-the-account",
        "perimeter-roles-in-the-stack-account",
        append("data_perimeter.break_glass_role_arns", "arn:aws:iam::111122223333:role/incident-response"),
    ),
    Case("created-endpoints-as-shipped", "perimeter-endpoints-only-when-not-created"),
    Case(
        "existing-vpc-names-its-endpoints",
        "perimeter-names-existing-endpoints",
        chain(
            setp("network.create_endpoints", False), setp("data_perimeter.s3_endpoint_ids", ["vpce-0a1b2c3d4e5f60718"])
        ),
        stack="dev",
    ),
    Case("notebooks-read-staging-models-as-shipped", "notebooks-never-read-datasets"),
    Case("only-the-promoter-writes-promoted-as-shipped", "only-promotion-writes-what-notebooks-read"),
    Case(
        "notebooks-read-inside-the-promoted-prefix",
        "notebooks-read-only-promoted",
        setp("identities.2.grants.0.prefix", "promoted/radiology-classifier"),
    ),
    Case("promoter-writes-as-shipped", "promotion-identity-writes"),
    Case("promoter-reads-candidates-only-as-shipped", "promotion-never-reads-datasets"),
    Case("promoter-in-the-platform-zone-as-shipped", "promotion-not-in-notebooks"),
    Case(
        "promoter-in-a-training-zone-without-data-scientists",
        "promotion-out-of-data-scientists-reach",
        chain(
            delp("zones.1.access.data_scientist_groups"),
            delp("zones.1.access.service_accounts"),
            setp("identities.3.zone", "training"),
            setp("identities.3.namespace", "training"),
        ),
    ),
    Case("flow-zones-as-shipped", "flow-zones-exist"),
    Case(
        "same-port-other-protocol",
        "flow-ports-declared-once",
        append("flows", {"from": "platform", "to": "inference", "ports": [{"port": 8080, "protocol": "UDP"}]}),
    ),
    Case("range-of-exactly-1024-ports", "flow-port-ranges-bounded", setp("flows.1.ports.1.end_port", 51023)),
    Case(
        "nccl-window-in-two-tcp-ranges",
        "efa-zone-declares-nccl-window-tcp",
        setp("flows.1.ports", [29500, {"port": 50000, "end_port": 50511}, {"port": 50512, "end_port": 51023}]),
    ),
    Case("egress-within-a-route", "egress-destinations-routed", setp("zones.1.egress.cidrs.1", "10.60.9.0/24")),
    Case(
        "route-to-another-network", "routes-outside-the-vpc", append("network.transit_gateway.routes", "10.80.0.0/16")
    ),
    Case("existing-vpc-needs-no-mirror", "created-vpc-needs-image-mirror", stack="dev"),
    Case("existing-vpc-private-as-shipped", "existing-vpc-cidr-private", stack="dev"),
    Case(
        "existing-cluster-in-region",
        "existing-cluster-issuer-in-region",
        # The platform zone's images need the system pool's nodes, which an existing cluster does not have.
        chain(setp("cluster", EXISTING_CLUSTER), delp("images.repositories.platform")),
    ),
    Case(
        "new-group-mapped-and-bound",
        "bound-groups-mapped-to-roles",
        chain(
            append(
                "cluster.group_access",
                {"role_arn": "arn:aws:iam::111122223333:role/ml-interns", "groups": ["ml-interns"]},
            ),
            append("zones.3.access.data_scientist_groups", "ml-interns"),
        ),
    ),
    Case(
        "second-team-role",
        "one-access-entry-per-role",
        append(
            "cluster.group_access", {"role_arn": "arn:aws:iam::111122223333:role/ml-ops", "groups": ["ml-engineering"]}
        ),
    ),
    Case("admins-as-shipped", "created-cluster-needs-admins"),
    Case(
        "second-admin-in-account",
        "admins-in-the-stack-account",
        append("cluster.admin_role_arns", "arn:aws:iam::111122223333:role/break-glass"),
    ),
    Case("public-endpoint-without-private-networks", "private-only-endpoint-needs-networks", stack="dev"),
    Case("private-endpoint-as-shipped", "private-endpoint-stays-on"),
    Case("public-endpoint-with-cidrs", "public-endpoint-needs-cidrs", stack="dev"),
    Case(
        "public-cidrs-with-public-endpoint",
        "public-cidrs-need-public-endpoint",
        chain(setp("cluster.endpoint.public", True), setp("cluster.endpoint.public_cidrs", ["198.51.100.0/24"])),
    ),
    Case(
        "public-endpoint-to-one-network",
        "public-endpoint-never-open-to-all",
        setp("cluster.endpoint.public_cidrs", ["198.51.100.7/32"]),
        stack="dev",
    ),
    Case("two-team-zones", "team-zones-unique", setp("team_zones", ["vision", "speech"])),
    Case(
        "one-name-in-two-zones",
        "zone-secrets-unique",
        setp("secrets.secrets", [{"zone": "training", "name": "token"}, {"zone": "inference", "name": "token"}]),
    ),
    Case(
        "a-secret-of-the-notebooks-zone",
        "zone-secrets-of-a-zone",
        setp("secrets.secrets", [{"zone": "notebooks", "name": "token"}]),
    ),
    Case(
        "no-driver-and-no-secrets",
        "zone-secrets-need-the-driver",
        setp("secrets", {"from_manager": False, "secrets": []}),
    ),
    Case("a-team-zone-of-its-own-name", "team-zone-not-a-platform-zone", setp("team_zones", ["vision"])),
    Case(
        "a-team-zone-apart-from-bucket-names",
        "team-zone-prefix-selects-no-platform-bucket",
        setp("team_zones", ["audio"]),
    ),
    Case(
        "system-pool-equal-sizes",
        "system-pool-sizes-ordered",
        setp("cluster.system_pool", {"min_size": 3, "desired_size": 3, "max_size": 3}),
    ),
    Case(
        "kube-proxy-of-an-older-cluster",
        "kube-proxy-matches-cluster-version",
        chain(
            setp("cluster.kubernetes_version", "1.32"),
            setp("cluster.addon_versions", {"kube_proxy": "v1.32.6-eksbuild.1"}),
        ),
    ),
    Case("one-port-range", "port-range-ascending", setp("flows.0.ports", [{"port": 8080, "end_port": 8080}])),
    Case(
        "two-registries",
        "approved-registries-unique",
        setp(
            "kubernetes.approved_registries",
            ["registry.internal.example.com/ml", "registry.internal.example.com/tools"],
        ),
    ),
    Case(
        "pool-equal-sizes",
        "pool-sizes-ordered",
        chain(setp("node_pools.1.min_size", 2), setp("node_pools.1.max_size", 2)),
    ),
    Case("aws-region-same", "aws-region-agrees", extra={"aws:region": "us-east-1"}),
]

FAIL: list[Case] = [
    Case(
        "observe-without-owner",
        "rollout-accountable",
        setp("zones.3.rollout", {"stage": "observe"}),
        path=f"{P}.zones[3].rollout",
        message="needs an owner",
    ),
    Case(
        "observe-expired",
        "rollout-accountable",
        setp("zones.3.rollout", {"stage": "observe", "owner": "ml-platform", "expires": "2020-01-31"}),
        path=f"{P}.zones[3].rollout",
        message="expires = '2020-01-31' is in the past",
    ),
    Case(
        "enforce-with-an-owner",
        "rollout-accountable",
        setp("zones.3.rollout", {"owner": "ml-platform"}),
        path=f"{P}.zones[3].rollout",
        message="owner and expires are for a zone below enforce",
    ),
    Case(
        "prod-zone-observed-without-expiry",
        "rollout-expires-in-production",
        setp("zones.3.rollout", {"stage": "observe", "owner": "ml-platform"}),
        path=f"{P}.zones[3].rollout.expires",
        message="needs an expiry date",
    ),
    Case(
        "identity-named-like-a-node-role",
        "node-roles-unlike-identity-roles",
        setp("identities.0.name", "infer-g6e-node"),
        path=f"{P}.identities[0].name",
        message="node pool 'infer-g6e'",
    ),
    Case(
        "images-of-an-unknown-zone",
        "image-zones-declared",
        setp("images.repositories.vision", ["detector"]),
        path=f"{P}.images.repositories.vision",
        message="no zone named 'vision'",
    ),
    Case(
        "platform-images-on-an-existing-cluster",
        "image-zones-have-nodes",
        setp("cluster", EXISTING_CLUSTER),
        path=f"{P}.images.repositories.platform",
        message="no node could pull",
    ),
    Case(
        "a-repository-twice",
        "image-repositories-unique",
        setp("images.repositories.training", ["trainer", "trainer"]),
        path=f"{P}.images.repositories.training",
        message="lists a repository twice",
    ),
    Case(
        "repositories-without-pushers",
        "images-name-their-pushers",
        delp("images.push_role_arns"),
        path=f"{P}.images.push_role_arns",
        message="list the role your CI pushes",
    ),
    Case(
        "pusher-of-another-account",
        "image-pushers-in-the-stack-account",
        setp("images.push_role_arns", ["arn:aws:iam::444455556666:role/image-publisher"]),
        path=f"{P}.images.push_role_arns[0]",
        message="not in the stack's account 111122223333",
    ),
    Case(
        "perimeter-without-deployer",
        "perimeter-names-its-deployer",
        delp("data_perimeter.deployment_role_arns"),
        path=f"{P}.data_perimeter.deployment_role_arns",
        message="list the role that runs `pulumi up`",
    ),
    Case(
        "break-glass-of-another-account",
        "perimeter-roles-in-the-stack-account",
        setp("data_perimeter.break_glass_role_arns", ["arn:aws:iam::444455556666:role/break-glass"]),
        path=f"{P}.data_perimeter.break_glass_role_arns[0]",
        message="not in the stack's account 111122223333",
    ),
    Case(
        "endpoint-ids-beside-created-endpoints",
        "perimeter-endpoints-only-when-not-created",
        setp("data_perimeter.s3_endpoint_ids", ["vpce-0a1b2c3d4e5f60718"]),
        path=f"{P}.data_perimeter.s3_endpoint_ids",
        message="the stack creates the VPC's S3 endpoints",
    ),
    Case(
        "existing-vpc-without-endpoints",
        "perimeter-names-existing-endpoints",
        setp("network.create_endpoints", False),
        stack="dev",
        path=f"{P}.data_perimeter.s3_endpoint_ids",
        message="the stack creates no S3 endpoint",
    ),
    Case(
        "notebook-reads-datasets",
        "notebooks-never-read-datasets",
        setp("identities.2.grants.0", {"bucket": "datasets", "prefix": "imaging/v3", "access": "read"}),
        path=f"{P}.identities[2].grants[0].bucket",
        message="notebook identities never read datasets",
    ),
    Case(
        "notebook-reads-the-trainers-candidates",
        "only-promotion-writes-what-notebooks-read",
        setp("identities.2.grants.0.prefix", "candidates"),
        path=f"{P}.identities[2].grants[0].prefix",
        message="identity 'trainer' (zone training) writes models-staging/candidates",
    ),
    Case(
        "notebook-reads-what-nobody-promotes",
        "notebooks-read-only-promoted",
        setp("identities.2.grants.0.prefix", "reference"),
        path=f"{P}.identities[2].grants[0].prefix",
        message="no identity with promotion: true writes models-staging/reference",
    ),
    Case(
        "promoter-without-a-write-grant",
        "promotion-identity-writes",
        setp("identities.3.grants", [{"bucket": "models-staging", "prefix": "candidates", "access": "read"}]),
        path=f"{P}.identities[3].grants",
        message="give it a write grant",
    ),
    Case(
        "promoter-reads-datasets",
        "promotion-never-reads-datasets",
        append("identities.3.grants", {"bucket": "datasets", "prefix": "imaging/v3", "access": "read"}),
        path=f"{P}.identities[3].grants[2].bucket",
        message="a promotion identity never reads datasets",
    ),
    Case(
        "promoter-in-the-notebooks-zone",
        "promotion-not-in-notebooks",
        chain(setp("identities.3.zone", "notebooks"), setp("identities.3.namespace", "notebooks")),
        path=f"{P}.identities[3].promotion",
        message="is a notebooks zone",
    ),
    Case(
        "promoter-where-data-scientists-start-pods",
        "promotion-out-of-data-scientists-reach",
        chain(setp("identities.3.zone", "training"), setp("identities.3.namespace", "training")),
        path=f"{P}.identities[3].zone",
        message="data scientists of zone 'training' (ml-research) can start pods there",
    ),
    Case(
        "writable-host-not-listed",
        "writable-hosts-listed",
        setp("zones.1.egress.writable_hosts", ["huggingface.co"]),
        path=f"{P}.zones[1].egress",
        message="are not in hosts",
    ),
    Case(
        "alarms-over-plain-http",
        "alarm-endpoint-fits-protocol",
        setp("detection.subscriptions", [{"protocol": "https", "endpoint": "http://pager.example.com/hook"}]),
        path=f"{P}.detection.subscriptions[0]",
        message="plain http would carry alarms unencrypted",
    ),
    Case(
        "zone-namespace-as-agents",
        "agent-system-not-zone-namespaces",
        setp("kubernetes.node_agents", {"namespaces": ["monitoring"]}),
        path=f"{P}.kubernetes.node_agents.namespaces[0]",
        message="is a namespace of zone 'platform'",
    ),
    Case(
        "default-as-system",
        "agent-system-hold-workloads",
        setp("kubernetes.system_namespaces", ["default"]),
        path=f"{P}.kubernetes.system_namespaces[0]",
        message="hold no workloads",
    ),
    Case(
        "agents-also-system",
        "agent-system-listed-once",
        setp("kubernetes.system_namespaces", ["node-agents"]),
        path=f"{P}.kubernetes.system_namespaces[0]",
        message="already an agent namespace",
    ),
    Case(
        "unbound-group",
        "service-account-groups-bound",
        setp("zones.1.access.service_accounts", {"platform-admins": ["trainer"]}),
        path=f"{P}.zones[1].access.service_accounts.platform-admins",
        message="is bound to no role of zone 'training'",
    ),
    Case(
        "another-zone-account",
        "service-accounts-exist",
        setp("zones.1.access.service_accounts", {"ml-research": ["notebook"]}),
        path=f"{P}.zones[1].access.service_accounts.ml-research[0]",
        message="no ServiceAccount 'notebook' in zone 'training'",
    ),
    Case(
        "duplicate-zone-name",
        "zone-names-unique",
        setp("zones.2.name", "training"),
        path=f"{P}.zones[2].name",
        message="already used at zones[1].name",
    ),
    Case(
        "duplicate-pool-name",
        "pool-names-unique",
        setp("node_pools.2.name", "train-p5"),
        path=f"{P}.node_pools[2].name",
        message="already used at",
    ),
    Case(
        "duplicate-bucket-name",
        "bucket-names-unique",
        setp("buckets.2.name", "datasets"),
        path=f"{P}.buckets[2].name",
        message="already used at",
    ),
    Case(
        "duplicate-identity-name",
        "identity-names-unique",
        setp("identities.1.name", "trainer"),
        path=f"{P}.identities[1].name",
        message="already used at",
    ),
    Case(
        "namespace-in-two-zones",
        "namespaces-unique",
        setp("zones.2.namespaces", ["training"]),
        path=f"{P}.zones[2].namespaces[0]",
        message="already used at",
    ),
    Case(
        "service-account-twice",
        "service-accounts-unique",
        chain(setp("identities.2.namespace", "training"), setp("identities.2.service_account", "trainer")),
        path=f"{P}.identities[2].service_account",
        message="namespace/service account pair",
    ),
    Case(
        "second-platform-zone",
        "one-platform-zone",
        setp("zones.3.class", "platform"),
        path=f"{P}.zones",
        message="exactly one zone of class 'platform'",
    ),
    Case(
        "zone-in-kube-system",
        "reserved-namespaces",
        setp("zones.0.namespaces.1", "kube-system"),
        path=f"{P}.zones[0].namespaces[1]",
        message="reserved",
    ),
    Case(
        "training-internet",
        "no-internet-for-training-and-inference",
        setp("zones.1.egress.allow_internet", True),
        path=f"{P}.zones[1].egress.allow_internet",
        message="never get internet egress",
    ),
    Case(
        "inference-internet",
        "no-internet-for-training-and-inference",
        setp("zones.2.egress.allow_internet", True),
        path=f"{P}.zones[2].egress.allow_internet",
        message="never get internet egress",
    ),
    Case(
        "public-egress-cidr",
        "egress-cidrs-private",
        setp("zones.1.egress.cidrs.1", "52.0.0.0/16"),
        path=f"{P}.zones[1].egress.cidrs[1]",
        message="must be private",
    ),
    Case(
        "notebooks-to-the-mirror-directly",
        "notebook-cidrs-only-aws-endpoints",
        setp("zones.3.egress.cidrs.0", "10.60.8.0/24"),
        path=f"{P}.zones[3].egress.cidrs[0]",
        message="only through the egress proxy",
    ),
    Case(
        "notebook-hosts-without-proxy",
        "notebook-hosts-need-proxy",
        delp("zones.3.egress.proxy"),
        path=f"{P}.zones[3].egress.hosts",
        message="need an egress.proxy",
    ),
    Case(
        "proxy-on-inference",
        "no-proxy-for-inference",
        setp("zones.2.egress.proxy", PROXY),
        path=f"{P}.zones[2].egress.proxy",
        message="no outbound proxy",
    ),
    Case(
        "proxy-on-training",
        "no-proxy-for-training",
        setp("zones.1.egress.proxy", PROXY),
        path=f"{P}.zones[1].egress.proxy",
        message="training zones have no outbound proxy",
    ),
    Case(
        "internet-for-notebooks",
        "no-direct-internet-for-notebooks",
        setp("zones.3.egress.allow_internet", True),
        path=f"{P}.zones[3].egress.allow_internet",
        message="only through the egress proxy",
    ),
    Case(
        "trainium-pool",
        "pools-run-nvidia-gpus",
        setp("node_pools.1.instance_types.0", "trn1.32xlarge"),
        path=f"{P}.node_pools[1].instance_types[0]",
        message="pools run NVIDIA GPUs",
    ),
    Case(
        "pool-in-unknown-zone",
        "pool-zone-exists",
        setp("node_pools.1.zone", "serving"),
        path=f"{P}.node_pools[1].zone",
        message="no zone named 'serving'",
    ),
    Case(
        "efa-on-notebooks",
        "efa-training-only",
        setp("node_pools.2.efa", True),
        path=f"{P}.node_pools[2].efa",
        message="EFA is allowed only in training zones",
    ),
    Case(
        "efa-two-types",
        "efa-one-instance-type",
        setp("node_pools.0.instance_types", ["p5.48xlarge", "p5en.48xlarge"]),
        path=f"{P}.node_pools[0].instance_types",
        message="exactly one instance type",
    ),
    Case(
        "efa-on-g6",
        "efa-instance-type-supported",
        setp("node_pools.0.instance_types", ["g6.xlarge"]),
        path=f"{P}.node_pools[0].instance_types[0]",
        message="no EFA support",
    ),
    Case(
        "efa-without-az",
        "efa-one-availability-zone",
        delp("node_pools.0.availability_zone"),
        path=f"{P}.node_pools[0].availability_zone",
        message="needs one availability zone",
    ),
    Case(
        "efa-az-of-another-region",
        "efa-availability-zone-in-region",
        setp("node_pools.0.availability_zone", "us-west-2a"),
        path=f"{P}.node_pools[0].availability_zone",
        message="not in region 'us-east-1'",
    ),
    Case(
        "capacity-block-in-placement-group",
        "reservation-without-placement-group",
        setp("node_pools.0.placement_group", True),
        stack="staging",
        path=f"{P}.node_pools[0].placement_group",
        message="placement group",
    ),
    Case(
        "notebooks-without-pool",
        "every-zone-has-nodes",
        delp("node_pools.2"),
        path=f"{P}.zones[3].name",
        message="has no node pool",
    ),
    Case(
        "capacity-block-without-reservation",
        "capacity-block-needs-reservation",
        delp("node_pools.0.capacity_reservation_id"),
        stack="staging",
        path=f"{P}.node_pools[0].capacity_reservation_id",
        message="CAPACITY_BLOCK pool needs",
    ),
    Case(
        "spot-with-reservation",
        "no-reservation-with-spot",
        setp("node_pools.0.capacity_type", "SPOT"),
        stack="staging",
        path=f"{P}.node_pools[0].capacity_reservation_id",
        message="SPOT",
    ),
    Case(
        "reservation-without-az",
        "reservation-needs-availability-zone",
        setp("node_pools.1.capacity_reservation_id", RESERVATION),
        path=f"{P}.node_pools[1].availability_zone",
        message="lives in one availability zone",
    ),
    Case(
        "two-audit-buckets",
        "one-audit-bucket",
        setp("buckets.2.purpose", "audit-logs"),
        path=f"{P}.buckets",
        message="exactly one bucket with purpose 'audit-logs'",
    ),
    Case(
        "bucket-named-like-access-log-bucket",
        "access-log-bucket-name-free",
        rename_bucket("models-staging", "audit-logs-access"),
        path=f"{P}.buckets[4].name",
        message="server-access-log bucket",
    ),
    Case(
        "audit-bucket-dedicated-key",
        "audit-bucket-uses-audit-key",
        setp("buckets.0.dedicated_key", True),
        path=f"{P}.buckets[0].dedicated_key",
        message="audit key",
    ),
    Case(
        "bucket-in-unknown-zone",
        "bucket-zone-exists",
        setp("buckets.1.zone", "research"),
        path=f"{P}.buckets[1].zone",
        message="no zone named 'research'",
    ),
    Case(
        "audit-bucket-in-training",
        "audit-bucket-in-platform-zone",
        setp("buckets.0.zone", "training"),
        path=f"{P}.buckets[0].zone",
        message="belongs to the platform zone",
    ),
    Case(
        "object-lock-on-datasets",
        "object-lock-audit-only",
        setp("buckets.1.object_lock_days", 30),
        path=f"{P}.buckets[1].object_lock_days",
        message="audit-logs bucket only",
    ),
    Case(
        "audit-bucket-force-destroy",
        "audit-bucket-never-force-destroyed",
        setp("buckets.0.force_destroy", True),
        path=f"{P}.buckets[0].force_destroy",
        message="never be force-destroyed",
    ),
    Case(
        "identity-in-unknown-zone",
        "identity-zone-exists",
        setp("identities.0.zone", "research"),
        path=f"{P}.identities[0].zone",
        message="no zone named 'research'",
    ),
    Case(
        "identity-in-other-zones-namespace",
        "identity-namespace-in-zone",
        setp("identities.0.namespace", "inference"),
        path=f"{P}.identities[0].namespace",
        message="not one of zone 'training'",
    ),
    Case(
        "grant-on-unknown-bucket",
        "grant-bucket-exists",
        setp("identities.0.grants.0.bucket", "dataset"),
        path=f"{P}.identities[0].grants[0].bucket",
        message="no bucket named 'dataset'",
    ),
    Case(
        "grant-on-audit-bucket",
        "no-workload-access-to-audit-bucket",
        setp("identities.0.grants.0.bucket", "audit-logs"),
        path=f"{P}.identities[0].grants[0].bucket",
        message="no access to the audit-logs bucket",
    ),
    Case(
        "inference-writes",
        "inference-read-only",
        setp("identities.1.grants.0.access", "write"),
        path=f"{P}.identities[1].grants[0].access",
        message="read-only",
    ),
    Case(
        "notebooks-read-production-models",
        "notebooks-no-production-models",
        setp("identities.2.grants.0.bucket", "models-prod"),
        path=f"{P}.identities[2].grants[0].bucket",
        message="no access to production model storage",
    ),
    Case(
        "staging-zone-writes-production",
        "staging-never-writes-production",
        setp("identities.2.grants.0", {"bucket": "checkpoints", "prefix": "runs", "access": "write"}),
        path=f"{P}.identities[2].grants[0].access",
        message="cannot write production artifacts",
    ),
    Case(
        "flow-from-unknown-zone",
        "flow-zones-exist",
        setp("flows.0.from", "gateway"),
        path=f"{P}.flows[0].from",
        message="no zone named 'gateway'",
    ),
    Case(
        "flow-port-twice",
        "flow-ports-declared-once",
        append("flows", {"from": "platform", "to": "inference", "ports": [8080]}),
        path=f"{P}.flows[3].ports[0]",
        message="already declared at flows[0].ports[0]",
    ),
    Case(
        "range-of-1025-ports",
        "flow-port-ranges-bounded",
        setp("flows.1.ports.1.end_port", 51024),
        path=f"{P}.flows[1].ports[1].end_port",
        message="spans at most 1024",
    ),
    Case(
        "nccl-window-over-udp",
        "efa-zone-declares-nccl-window-tcp",
        setp("flows.1.ports.1.protocol", "UDP"),
        path=f"{P}.flows",
        message="NCCL bootstrap window",
    ),
    Case(
        "nccl-window-cut-short",
        "efa-zone-declares-nccl-window-tcp",
        setp("flows.1.ports.1.end_port", 50999),
        path=f"{P}.flows",
        message="NCCL bootstrap window",
    ),
    Case(
        "nccl-window-declared-between-other-zones",
        "efa-zone-declares-nccl-window-tcp",
        setp("flows.1.to", "inference"),
        path=f"{P}.flows",
        message="zone 'training' runs an EFA pool",
    ),
    Case(
        "egress-to-unrouted-network",
        "egress-destinations-routed",
        setp("zones.1.egress.cidrs.1", "10.70.8.0/24"),
        path=f"{P}.zones[1].egress.cidrs[1]",
        message="nothing routes there",
    ),
    Case(
        "route-into-the-vpc",
        "routes-outside-the-vpc",
        append("network.transit_gateway.routes", "10.40.0.0/20"),
        path=f"{P}.network.transit_gateway.routes[2]",
        message="overlaps the VPC's own CIDR",
    ),
    Case(
        "created-vpc-without-mirror",
        "created-vpc-needs-image-mirror",
        delp("kubernetes.image_mirror"),
        path=f"{P}.kubernetes.image_mirror",
        message="no internet path",
    ),
    Case(
        "existing-vpc-public-cidr",
        "existing-vpc-cidr-private",
        setp("network.cidr", "52.20.0.0/16"),
        stack="dev",
        path=f"{P}.network.cidr",
        message="private (RFC 1918)",
    ),
    Case(
        "existing-cluster-other-region",
        "existing-cluster-issuer-in-region",
        setp(
            "cluster",
            {
                **EXISTING_CLUSTER,
                "oidc_issuer_url": EXISTING_CLUSTER["oidc_issuer_url"].replace("us-east-1", "us-west-2"),
            },
        ),
        path=f"{P}.cluster.oidc_issuer_url",
        message="not in region 'us-east-1'",
    ),
    Case(
        "bound-group-without-role",
        "bound-groups-mapped-to-roles",
        setp("zones.1.access.data_scientist_groups", ["ml-researchers"]),
        path=f"{P}.zones[1].access.data_scientist_groups[0]",
        message="no IAM role is mapped to it",
    ),
    Case(
        "admin-role-as-team-role",
        "one-access-entry-per-role",
        append(
            "cluster.group_access",
            {"role_arn": "arn:aws:iam::111122223333:role/platform-admin", "groups": ["platform-admins"]},
        ),
        path=f"{P}.cluster.group_access[3].role_arn",
        message="one access entry",
    ),
    Case(
        "no-admins",
        "created-cluster-needs-admins",
        setp("cluster.admin_role_arns", []),
        path=f"{P}.cluster.admin_role_arns",
        message="access entries only",
    ),
    Case(
        "admin-of-another-account",
        "admins-in-the-stack-account",
        setp("cluster.admin_role_arns.0", "arn:aws:iam::999999999999:role/platform-admin"),
        path=f"{P}.cluster.admin_role_arns[0]",
        message="not in the stack's account",
    ),
    Case(
        "private-only-endpoint-unreachable",
        "private-only-endpoint-needs-networks",
        setp("cluster.endpoint.private_access_cidrs", []),
        path=f"{P}.cluster.endpoint.private_access_cidrs",
        message="private only",
    ),
    Case(
        "private-endpoint-off",
        "private-endpoint-stays-on",
        setp("cluster.endpoint.private", False),
        path=f"{P}.cluster.endpoint.private",
        message="must stay on",
    ),
    Case(
        "private-endpoint-off-public-on",
        "private-endpoint-stays-on",
        setp("cluster.endpoint.private", False),
        stack="dev",
        path=f"{P}.cluster.endpoint.private",
        message="must stay on",
    ),
    Case(
        "public-endpoint-without-cidrs",
        "public-endpoint-needs-cidrs",
        setp("cluster.endpoint.public_cidrs", []),
        stack="dev",
        path=f"{P}.cluster.endpoint.public_cidrs",
        message="explicit list",
    ),
    Case(
        "public-cidrs-while-private",
        "public-cidrs-need-public-endpoint",
        setp("cluster.endpoint.public_cidrs", ["198.51.100.0/24"]),
        path=f"{P}.cluster.endpoint.public_cidrs",
        message="no effect",
    ),
    Case(
        "public-endpoint-open-to-all",
        "public-endpoint-never-open-to-all",
        setp("cluster.endpoint.public_cidrs", ["0.0.0.0/0"]),
        stack="dev",
        path=f"{P}.cluster.endpoint.public_cidrs[0]",
        message="whole internet",
    ),
    Case(
        "public-endpoint-open-to-all-in-two-halves",
        "public-endpoint-never-open-to-all",
        setp("cluster.endpoint.public_cidrs", ["198.51.100.0/24", "0.0.0.0/1", "128.0.0.0/1"]),
        stack="dev",
        path=f"{P}.cluster.endpoint.public_cidrs[1]",
        message="wider than /16",
    ),
    Case(
        "a-secret-listed-twice",
        "zone-secrets-unique",
        setp("secrets.secrets", [{"zone": "training", "name": "token"}, {"zone": "training", "name": "token"}]),
        path=f"{P}.secrets.secrets[1]",
        message="zone secret",
    ),
    Case(
        "a-secret-of-no-zone",
        "zone-secrets-of-a-zone",
        setp("secrets.secrets", [{"zone": "vision", "name": "token"}]),
        path=f"{P}.secrets.secrets[0].zone",
        message="no zone named 'vision'",
    ),
    Case(
        "secrets-without-the-driver",
        "zone-secrets-need-the-driver",
        setp("secrets.from_manager", False),
        path=f"{P}.secrets.from_manager",
        message="set from_manager: true",
    ),
    Case(
        "a-team-zone-listed-twice",
        "team-zones-unique",
        setp("team_zones", ["vision", "vision"]),
        path=f"{P}.team_zones[1]",
        message="team zone",
    ),
    Case(
        "a-team-zone-named-like-the-training-zone",
        "team-zone-not-a-platform-zone",
        setp("team_zones", ["training"]),
        path=f"{P}.team_zones[0]",
        message="is a zone of this platform",
    ),
    Case(
        "a-team-zone-whose-prefix-selects-the-audit-bucket",
        "team-zone-prefix-selects-no-platform-bucket",
        setp("team_zones", ["audit"]),
        path=f"{P}.team_zones[0]",
        message="audit log's own",
    ),
    Case(
        "system-pool-sizes-reversed",
        "system-pool-sizes-ordered",
        setp("cluster.system_pool", {"min_size": 3, "desired_size": 2}),
        path=f"{P}.cluster.system_pool",
        message="min_size <= desired_size <= max_size",
    ),
    Case(
        "kube-proxy-of-another-version",
        "kube-proxy-matches-cluster-version",
        setp("cluster.addon_versions", {"kube_proxy": "v1.32.6-eksbuild.1"}),
        path=f"{P}.cluster",
        message="is for Kubernetes 1.32",
    ),
    Case(
        "port-range-descending",
        "port-range-ascending",
        setp("flows.0.ports", [{"port": 8080, "end_port": 8000}]),
        path=f"{P}.flows[0].ports[0]",
        message="below port 8080",
    ),
    Case(
        "registry-twice",
        "approved-registries-unique",
        setp(
            "kubernetes.approved_registries", ["registry.internal.example.com/ml", "registry.internal.example.com/ml"]
        ),
        path=f"{P}.kubernetes",
        message="lists a registry twice",
    ),
    Case(
        "pool-sizes-reversed",
        "pool-sizes-ordered",
        chain(setp("node_pools.1.min_size", 3), setp("node_pools.1.desired_size", 2)),
        path=f"{P}.node_pools[1]",
        message="min_size <= desired_size <= max_size",
    ),
    Case(
        "aws-region-contradicts",
        "aws-region-agrees",
        extra={"aws:region": "us-west-2"},
        path=f"{P}.region",
        message="contradicts aws:region",
    ),
]


def _validate(case: Case, tmp_path: Path) -> None:
    """The case's stack file, written and read back as a stack file, validated as the program does."""
    data = stack_data(case.stack)
    if case.edit is not None:
        case.edit(data)
    path = write_stack(tmp_path / f"Pulumi.{case.stack}.yaml", data, case.extra)
    validate_stack_file(read_stack_file(path), path.name)


@pytest.mark.parametrize("case", PASS, ids=[c.id for c in PASS])
def test_rule_accepts(case: Case, tmp_path: Path) -> None:
    _validate(case, tmp_path)


@pytest.mark.parametrize("case", FAIL, ids=[c.id for c in FAIL])
def test_rule_refuses_naming_the_path(case: Case, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        _validate(case, tmp_path)
    assert case.path is not None, f"{case.id}: a fail case names the path of its problem"
    found = [(format_loc(p.loc, p.root), p.message, p.render()) for p in info.value.problems]
    hits = [f for f in found if f[0] == case.path and case.message in f[1]]
    assert hits, f"{case.id}: expected a problem at {case.path} saying {case.message!r}; got:\n{info.value.render()}"
    assert all(case.path in rendered for _, _, rendered in hits)
    assert f"Pulumi.{case.stack}.yaml" in info.value.render()


# ----- the rules, enumerated from the code -------------------------------------------------------------
# Mutation testing (bench/mutation.py) runs these tests on a copy where each function keeps its own name and body
# and has copies beside it (`x_<name>__mutmut_orig`, and its mutants `x_<name>__mutmut_<n>`): they are not rules.
MUTMUT_COPY = re.compile(r"^x_\w+__mutmut_(?:orig|\d+)$")


def _functions(tree: ast.Module) -> Iterator[ast.FunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and not MUTMUT_COPY.match(node.name):
            yield node


def reference_sites() -> list[tuple[str, str]]:
    """(function, source) of every rule raised in references.py, references_k8s.py, promotion.py and perimeter.py."""
    out = []
    for path in (*REFERENCES, PROMOTION, PERIMETER, IMAGES):
        for fn in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            if fn.name in RULE_HELPERS:
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in RULE_CALLS:
                    out.append((fn.name, ast.unparse(node)))
    return out


def validator_sites() -> list[str]:
    """'Model._method' of every pydantic model_validator, and 'loading._check_x' of every loader check that
    takes the whole PlatformConfig."""
    out = []
    for path in sorted(CONFIG_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
            for fn in [n for n in cls.body if isinstance(n, ast.FunctionDef)]:
                if any("model_validator" in ast.unparse(d) for d in fn.decorator_list):
                    out.append(f"{cls.name}.{fn.name}")
        if path.name == "loading.py":
            for fn in _functions(tree):
                takes_config = any(
                    ast.unparse(a.annotation or ast.Constant("")) == "PlatformConfig" for a in fn.args.args
                )
                if fn.name.startswith("_check") and takes_config:
                    out.append(f"loading.{fn.name}")
    return out


def test_every_cross_field_rule_has_a_pass_and_a_fail_case() -> None:
    sites = reference_sites()
    validators = validator_sites()
    assert len(sites) >= 50 and len(validators) >= 6, "the enumeration found the rules"
    unmatched, ambiguous = [], []
    covered: dict[str, int] = {}
    for fn, source in sites:
        rules = [name for name, r in RULES.items() if r.site == fn and r.fragment and r.fragment in source]
        if not rules:
            unmatched.append(f"{fn}: {source[:100]}")
        elif len(rules) > 1:
            ambiguous.append(f"{fn}: {rules}")
        for name in rules:
            covered[name] = covered.get(name, 0) + 1
    for site in validators:
        rules = [name for name, r in RULES.items() if r.site == site]
        if not rules:
            unmatched.append(site)
        for name in rules:
            covered[name] = covered.get(name, 0) + 1
    assert unmatched == [], "rules without cases (add a Rule and its PASS and FAIL cases):\n" + "\n".join(unmatched)
    assert ambiguous == []
    assert {n for n, c in covered.items() if c != 1} == set(), "a Rule must name exactly one rule in the code"
    assert set(RULES) - set(covered) == set(), "Rules naming nothing in the code"
    for name in RULES:
        assert any(c.rule == name for c in PASS), f"{name}: no case it accepts"
        assert any(c.rule == name for c in FAIL), f"{name}: no case it refuses"
    assert {c.rule for c in PASS + FAIL} <= set(RULES)
    ids = [c.id for c in PASS + FAIL]
    assert len(ids) == len(set(ids)), "case ids are unique"
