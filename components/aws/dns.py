"""VpcDns: Route 53 Resolver query logging and a default-deny DNS Firewall for one VPC.

Pods and nodes resolve through CoreDNS and the VPC's Route 53 Resolver. Without these, a pod that can send a
DNS query can send data out in its labels to any authoritative server on the internet (a DNS tunnel), even
with no network path of its own, and nothing records it. Query logging records every name asked (which pod IP,
which name, the answer); the firewall answers only names the platform needs and NXDOMAIN for everything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from ..args import arg, args_type, check, fail, schema_type
from ..config import Logging, PlatformConfig
from ..config.network import Dns
from .logs import encrypted_log_group

ALLOW_PRIORITY = 100
BLOCK_PRIORITY = 1000
# Rule group associations take priorities strictly between 100 and 9900 (Route 53 Resolver API).
ASSOCIATION_PRIORITY = 101
EVERY_NAME = "*"
CLUSTER_DOMAIN = "cluster.local"


def _with_apex(domain: str) -> list[str]:
    """A domain and its subdomains (a DNS Firewall wildcard matches subdomains only)."""
    return [domain, f"*.{domain}"]


def node_domain(region: str) -> str:
    """The EC2 private DNS domain of the region's instances (node names, the nodes' search domain)."""
    return "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"


def aws_domains(region: str) -> list[str]:
    """The names nodes and pods resolve to reach AWS in `region` through the VPC: regional service endpoints
    (STS, ECR, S3 and its ECR layer bucket, Logs, EC2, the EKS API), the cluster's API server name
    (`<id>.<zone>.<region>.eks.amazonaws.com`), interface endpoints' own names (the S3 endpoint pods use) and
    EKS Pod Identity's `eks-auth.<region>.api.aws`. All are AWS's own zones: a query for them reaches AWS's
    name servers, never one an attacker runs."""
    return [
        *_with_apex(f"{region}.amazonaws.com"),
        f"*.{region}.eks.amazonaws.com",
        f"*.{region}.vpce.amazonaws.com",
        f"eks-auth.{region}.api.aws",
    ]


def _host(registry: str) -> str:
    return registry.split("/", 1)[0]


def platform_domains(cfg: PlatformConfig) -> list[str]:
    """Every name the stack's zones and nodes resolve, sorted: the cluster's (its DNS domain, the nodes'
    names), the region's AWS endpoints, the zones' approved hosts and egress proxies, the image mirror, the
    approved registries, and `network.dns.allowed_domains`."""
    names = {*_with_apex(CLUSTER_DOMAIN), *_with_apex(node_domain(cfg.region)), *aws_domains(cfg.region)}
    for zone in cfg.zones:
        names.update(zone.egress.hosts)
        if zone.egress.proxy is not None:
            names.add(zone.egress.proxy.host)
    kubernetes = cfg.kubernetes
    registries = [*kubernetes.approved_registries, *([kubernetes.image_mirror] if kubernetes.image_mirror else [])]
    names.update(_host(r) for r in registries)
    names.update(cfg.network.dns.allowed_domains)
    return sorted(names)


@args_type
class VpcDnsArgs:
    """Route 53 Resolver query logging to an encrypted log group, and a DNS Firewall that answers only
    `allowed_domains`, for one VPC."""

    settings: Dns = arg(
        "The `network.dns` block of the stack file: which of query logging and the firewall to create, and further "
        "allowed names."
    )
    vpc_id: pulumi.Input[str] = arg("The VPC whose Resolver is logged and guarded (`Network.vpc_id`).")
    allowed_domains: Sequence[str] = arg(
        "Names the firewall answers (`platform_domains(cfg)` for the platform: the cluster's, the AWS endpoints', "
        "the approved hosts'); every other name gets NXDOMAIN."
    )
    log_key_arn: pulumi.Input[str] = arg(
        "ARN of the key that encrypts the query-log group (the audit key; its policy admits CloudWatch Logs)."
    )
    log_group_name: str = arg("Name of the query-log group, e.g. `/enclave/prod/dns-queries`.")
    log_retention_days: int = arg(
        "Days the query-log group keeps records: a CloudWatch Logs retention period, default the stack file's audit "
        "retention (2192, six years; the platform passes logging.audit_retention_days).",
        default=Logging.model_fields["audit_retention_days"].default,
    )
    tags: Mapping[str, str] | None = arg("Tags on every resource, beside `Name`.", default=None)

    def __post_init__(self) -> None:
        if not isinstance(self.settings, Dns):
            fail(self, "settings", "pass a validated Dns (the stack file's `network.dns` block).",
                 what=type(self.settings).__name__)  # fmt: skip
        check(
            self,
            "log_retention_days",
            schema_type(Logging, "audit_retention_days"),
            "Use a retention the stack file's logging.audit_retention_days accepts.",
        )


class VpcDns(pulumi.ComponentResource):
    """`query_log_group`, `query_log_config`, `query_log_association` (None when query logging is off);
    `allowed_list`, `every_name_list`, `rule_group`, `allow_rule`, `block_rule`, `firewall_config`,
    `firewall_association` (None when the firewall is off)."""

    query_log_group: aws.cloudwatch.LogGroup | None
    query_log_config: aws.route53.ResolverQueryLogConfig | None
    query_log_association: aws.route53.ResolverQueryLogConfigAssociation | None
    rule_group: aws.route53.ResolverFirewallRuleGroup | None
    firewall_association: aws.route53.ResolverFirewallRuleGroupAssociation | None

    def __init__(self, name: str, args: VpcDnsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("enclave:aws:VpcDns", name, None, opts)
        self._name, self._tags = name, dict(args.tags or {})
        self.query_log_group = self.query_log_config = self.query_log_association = None
        self.rule_group = self.firewall_association = None
        if args.settings.query_logging:
            self._query_logging(args)
        if args.settings.firewall:
            self._firewall(args)
        self.register_outputs({})

    def _child(self, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=list(depends_on) or None)

    def _tagged(self, resource_name: str) -> dict[str, str]:
        return {**self._tags, "Name": resource_name}

    def _query_logging(self, args: VpcDnsArgs) -> None:
        name = self._name
        self.query_log_group = encrypted_log_group(
            f"{name}-dns-queries",
            log_group_name=args.log_group_name,
            kms_key_arn=args.log_key_arn,
            retention_days=args.log_retention_days,
            parent=self,
            tags=self._tagged(f"{name}-dns-queries"),
        )
        # Resolver delivers through CloudWatch Logs' log delivery, which adds the log group's resource policy for
        # it on creation (the deployer needs logs:PutResourcePolicy); the group's own key encrypts what arrives.
        self.query_log_config = aws.route53.ResolverQueryLogConfig(
            f"{name}-dns-query-log",
            name=f"{name}-dns-queries",
            destination_arn=self.query_log_group.arn,
            tags=self._tagged(f"{name}-dns-query-log"),
            opts=self._child(),
        )
        self.query_log_association = aws.route53.ResolverQueryLogConfigAssociation(
            f"{name}-dns-query-log-vpc",
            resolver_query_log_config_id=self.query_log_config.id,
            resource_id=args.vpc_id,
            opts=self._child(),
        )

    def _firewall(self, args: VpcDnsArgs) -> None:
        name = self._name
        self.allowed_list = aws.route53.ResolverFirewallDomainList(
            f"{name}-dns-allowed",
            name=f"{name}-allowed",
            domains=sorted(set(args.allowed_domains)),
            tags=self._tagged(f"{name}-dns-allowed"),
            opts=self._child(),
        )
        self.every_name_list = aws.route53.ResolverFirewallDomainList(
            f"{name}-dns-every-name",
            name=f"{name}-every-name",
            domains=[EVERY_NAME],
            tags=self._tagged(f"{name}-dns-every-name"),
            opts=self._child(),
        )
        self.rule_group = aws.route53.ResolverFirewallRuleGroup(
            f"{name}-dns-firewall", name=f"{name}-dns-firewall", tags=self._tagged(f"{name}-dns-firewall"),
            opts=self._child(),
        )  # fmt: skip
        # Allowed names first; their CNAME chains are trusted (AWS's endpoints and CDNs answer through aliases),
        # so the answer to an allowed name is never cut short by the catch-all below.
        self.allow_rule = aws.route53.ResolverFirewallRule(
            f"{name}-dns-allow-known",
            name="allow-known-names",
            firewall_rule_group_id=self.rule_group.id,
            firewall_domain_list_id=self.allowed_list.id,
            action="ALLOW",
            priority=ALLOW_PRIORITY,
            firewall_domain_redirection_action="TRUST_REDIRECTION_DOMAIN",
            opts=self._child(),
        )
        self.block_rule = aws.route53.ResolverFirewallRule(
            f"{name}-dns-block-rest",
            name="block-every-other-name",
            firewall_rule_group_id=self.rule_group.id,
            firewall_domain_list_id=self.every_name_list.id,
            action="BLOCK",
            block_response="NXDOMAIN",
            priority=BLOCK_PRIORITY,
            opts=self._child(),
        )
        # Fail closed: if the firewall cannot answer, Resolver refuses the query rather than letting it through.
        self.firewall_config = aws.route53.ResolverFirewallConfig(
            f"{name}-dns-firewall-config", resource_id=args.vpc_id, firewall_fail_open="DISABLED", opts=self._child()
        )
        # The association goes on last, once both rules are in the group: the VPC never runs on half a group.
        self.firewall_association = aws.route53.ResolverFirewallRuleGroupAssociation(
            f"{name}-dns-firewall-vpc",
            name=f"{name}-dns-firewall",
            firewall_rule_group_id=self.rule_group.id,
            vpc_id=args.vpc_id,
            priority=ASSOCIATION_PRIORITY,
            tags=self._tagged(f"{name}-dns-firewall-vpc"),
            opts=self._child(depends_on=[self.allow_rule, self.block_rule]),
        )
