"""The VPC's DNS: every query logged to an encrypted, retained log group, and a firewall that answers what the
platform resolves and NXDOMAIN for everything else, asked name by name as Route 53 Resolver would (the pack's
NET-07 evaluation, run on the synthesized resources)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.aws.dns import VpcDns, VpcDnsArgs, platform_domains
from components.config import validate_platform
from components.config.network import Dns
from enclave.synth import SynthResult
from framework.model import Resource, Stack
from framework.vpcs import stack_vpcs
from rules.ec2.vpc_dns_firewall_blocks_by_default import decide
from tests.components.harness import capture
from tests.components.wiring import deployed
from tests.conftest import STACKS, stack_data

Synth = Callable[..., SynthResult]
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
QUERY_LOG = "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig"
QUERY_LOG_VPC = "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation"
FIREWALL_VPC = "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
KEY = "aws:kms/key:Key"


def _stack(result: SynthResult) -> Stack:
    return Stack(
        Resource(r["type"], r["urn"], r["name"], r["inputs"], r["parent"], r["dependencies"], r["propertyDependencies"])
        for r in result.resources
    )


def _by_name(result: SynthResult, typ: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in result.by_type(typ) if r["name"] == name]
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_every_query_is_logged_to_the_audit_key_and_kept(synthed: Synth, stack: str) -> None:
    result = synthed(stack)
    cfg = validate_platform(stack_data(stack))
    group = _by_name(result, LOG_GROUP, f"{stack}-dns-queries")
    assert group["inputs"]["retentionInDays"] == cfg.logging.audit_retention_days
    audit_key = _by_name(result, KEY, f"{stack}-audit-key")
    assert group["propertyDependencies"]["kmsKeyId"] == [audit_key["urn"]], "encrypted with the audit key"
    (config,) = result.by_type(QUERY_LOG)
    assert config["propertyDependencies"]["destinationArn"] == [group["urn"]]
    (association,) = result.by_type(QUERY_LOG_VPC)
    assert association["propertyDependencies"]["resolverQueryLogConfigId"] == [config["urn"]]
    if cfg.network.mode == "existing":
        assert association["inputs"]["resourceId"] == cfg.network.vpc_id
    else:
        (vpc,) = result.by_type("aws:ec2/vpc:Vpc")
        assert association["propertyDependencies"]["resourceId"] == [vpc["urn"]]


@pytest.mark.parametrize("stack", STACKS)
def test_the_firewall_answers_what_the_platform_resolves_and_nothing_else(synthed: Synth, stack: str) -> None:
    """Every name the stack's zones and nodes resolve is answered (the cluster's API server, ECR, S3 and its
    interface endpoint, STS, the image mirror, the approved hosts and proxies); a tunnel's name is refused."""
    result = synthed(stack)
    cfg = validate_platform(stack_data(stack))
    view = _stack(result)
    (vpc,) = stack_vpcs(view)
    assert cfg.network.dns.firewall, f"{stack}: every shipped stack guards its VPC's DNS"
    region = cfg.region
    (cluster,) = result.by_type("aws:eks/cluster:Cluster")
    needed = [
        cluster["inputs"].get("endpoint") or f"0123456789ABCDEF.gr7.{region}.eks.amazonaws.com",
        f"api.ecr.{region}.amazonaws.com",
        f"{cfg.account_id}.dkr.ecr.{region}.amazonaws.com",
        f"s3.{region}.amazonaws.com",
        f"prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com",
        f"bucket.vpce-0a1b2c3d4e5f60718-abcdefgh.s3.{region}.vpce.amazonaws.com",
        f"sts.{region}.amazonaws.com",
        f"logs.{region}.amazonaws.com",
        f"ec2.{region}.amazonaws.com",
        f"eks-auth.{region}.api.aws",
        "kube-dns.kube-system.svc.cluster.local",
        *(z.egress.hosts for z in cfg.zones),
    ]
    names = [n for item in needed for n in ([item] if isinstance(item, str) else item)]
    names += [z.egress.proxy.host for z in cfg.zones if z.egress.proxy]
    refused = {n: decide(view, vpc, n) for n in names if decide(view, vpc, n) != "ALLOW"}
    assert refused == {}, f"{stack}: the firewall refuses names the platform needs"
    for probe in ("d4t4.tunnel.example-exfil.com", "pypi.org.evil.example.net", f"x.{region}.amazonaws.com.evil.io"):
        assert decide(view, vpc, probe) == "BLOCK", probe
    (association,) = result.by_type(FIREWALL_VPC)
    p = deployed(result)
    early = [ng["name"] for ng in result.by_type(NODE_GROUP) if not p.waits_for(ng, association)]
    assert early == [], f"{stack}: node groups that launch before the DNS firewall"


def test_platform_domains_name_the_region_the_hosts_and_the_extra_domains() -> None:
    data = stack_data("prod")
    data["network"]["dns"] = {"allowed_domains": ["corp.example.com", "*.corp.example.com"]}
    domains = platform_domains(validate_platform(data))
    expected = {"ec2.internal", "*.ec2.internal", "*.us-east-1.amazonaws.com", "huggingface.co",
                "egress-proxy.internal.example.com", "registry.internal.example.com",
                "111122223333.dkr.ecr.us-east-1.amazonaws.com", "corp.example.com", "*.corp.example.com"}  # fmt: skip
    assert expected <= set(domains)
    assert "*" not in domains and not any(d.count(".") == 1 and d.startswith("*.") for d in domains)
    other = stack_data("staging")
    assert "*.us-west-2.compute.internal" in platform_domains(validate_platform({**other, "region": "us-west-2"}))


@pytest.mark.parametrize("bad", ["*.com", "*", "corp", "Corp.Example.com"])
def test_a_bare_top_level_domain_or_a_bad_name_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="allowed_domains"):
        Dns.model_validate({"allowed_domains": [bad]})


def test_switched_off_the_component_creates_nothing() -> None:
    args = VpcDnsArgs(
        settings=Dns(query_logging=False, firewall=False),
        vpc_id="vpc-0a1b2c3d4e5f60718",
        allowed_domains=[],
        log_key_arn="arn:aws:kms:us-east-1:111122223333:key/k",
        log_group_name="/enclave/x/dns-queries",
    )
    c = capture(lambda: VpcDns("x", args))
    assert [r["type"] for r in c.resources] == ["enclave:aws:VpcDns"]
