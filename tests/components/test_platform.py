"""Platform composition, read off the offline synth of the shipped stacks: what `pulumi up` would create
ties the components together the way the controls need (keys per zone, trail over every artifact bucket,
encrypted log groups, dedicated pools), in update and first-preview mode alike."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from components.config import validate_platform
from components.config.base import LOG_RETENTION_DAYS
from enclave.synth import SynthResult
from tests.components.harness import ACCOUNT
from tests.conftest import STACKS, stack_data

Synth = Callable[..., SynthResult]
ARTIFACTS = ("datasets", "models", "checkpoints")
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def one(result: SynthResult, typ: str, name: str) -> dict[str, Any]:
    found = [r for r in result.resources if r["type"] == typ and r["name"] == name]
    assert len(found) == 1, f"expected one {typ} named {name}, found {len(found)}"
    return found[0]


def test_prod_has_every_component_and_resource_family(synthed: Synth) -> None:
    types = {r["type"] for r in synthed("prod").resources}
    required = {
        "enclave:aws:Network",
        "enclave:aws:KmsKey",
        "enclave:aws:EncryptedBucket",
        "enclave:aws:GpuCluster",
        "enclave:aws:GpuNodePool",
        "enclave:aws:WorkloadIdentity",
        "enclave:aws:AuditTrail",
        "enclave:k8s:TrustZone",
        "enclave:k8s:ClusterAddons",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:ec2/flowLog:FlowLog",
        "aws:kms/key:Key",
        "aws:kms/alias:Alias",
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "aws:eks/cluster:Cluster",
        "aws:eks/addon:Addon",
        "aws:eks/accessEntry:AccessEntry",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/placementGroup:PlacementGroup",
        "aws:cloudtrail/trail:Trail",
        "kubernetes:core/v1:Namespace",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "kubernetes:security.istio.io/v1:PeerAuthentication",
        "kubernetes:helm.sh/v3:Release",
    }
    assert not required - types, f"missing from prod: {sorted(required - types)}"


@pytest.mark.parametrize("preview", [False, True])
def test_trail_logs_data_events_of_every_artifact_bucket(synthed: Synth, preview: bool) -> None:
    result = synthed("prod", preview)
    cfg = validate_platform(stack_data("prod"))
    artifact_urns = {
        one(result, "aws:s3/bucket:Bucket", f"prod-{b.name}-bucket")["urn"]
        for b in cfg.buckets
        if b.purpose in ARTIFACTS
    }
    # the backups' replicas too (a restore reads them; the trail is multi-region)
    artifact_urns |= {one(result, "aws:s3/bucket:Bucket", f"prod-replica-{b}-bucket")["urn"] for b in ("datasets",
                                                                                                       "models-prod")}
    trail = one(result, "aws:cloudtrail/trail:Trail", "prod-trail")
    assert len(artifact_urns) == 6
    # Correlated through property dependencies: in a first preview the bucket ARNs are unknown.
    assert set(trail["propertyDependencies"]["advancedEventSelectors"]) == artifact_urns, trail["urn"]
    audit = one(result, "aws:s3/bucket:Bucket", "prod-audit-logs-bucket")["urn"]
    assert trail["propertyDependencies"]["s3BucketName"] == [audit], trail["urn"]
    assert trail["inputs"]["isMultiRegionTrail"] is True and trail["inputs"]["enableLogFileValidation"] is True


@pytest.mark.parametrize("stack", STACKS)
def test_each_bucket_is_encrypted_with_its_zone_key(synthed: Synth, stack: str) -> None:
    result = synthed(stack, True)
    cfg = validate_platform(stack_data(stack))
    for bucket in cfg.buckets:
        sse = one(result, SSE, f"{stack}-{bucket.name}-encryption")
        key_name = f"{stack}-{bucket.name}-key" if bucket.dedicated_key else f"{stack}-{bucket.zone}-key"
        if bucket.purpose == "audit-logs":
            key_name = f"{stack}-audit-key"
        key = one(result, "aws:kms/key:Key", key_name)
        assert sse["propertyDependencies"]["rules"] == [key["urn"]], f"{sse['urn']} must use {key['urn']}"


def test_dedicated_bucket_key_is_the_only_key_its_readers_may_use(synthed: Synth) -> None:
    """prod's production model bucket has a key of its own: the inference identity's KMS statement names
    that key, not the inference zone key."""
    result = synthed("prod")
    own = one(result, "aws:kms/key:Key", "prod-models-prod-key")
    zone_key = one(result, "aws:kms/key:Key", "prod-inference-key")
    alias = one(result, "aws:kms/alias:Alias", "prod-models-prod-alias")
    assert alias["inputs"]["name"] == "alias/enclave/prod/models-prod"
    assert own["inputs"]["enableKeyRotation"] is True
    policy = [
        r
        for r in result.by_type("aws:iam/rolePolicy:RolePolicy")
        if r["parent"].endswith("WorkloadIdentity::prod-model-server")
    ]
    assert len(policy) == 1
    # The grant names the key by its alias (known in a first preview): the dedicated key's, not the zone key's.
    # (The zone key's alias is named too, but only for the zone's Secrets Manager secrets, through that service.)
    deps = policy[0]["propertyDependencies"]["policy"]
    assert alias["urn"] in deps and zone_key["urn"] not in deps
    statements = json.loads(policy[0]["inputs"]["policy"])["Statement"]
    (kms,) = [s for s in statements if "kms:Decrypt" in s["Action"] and "s3.us-east-1.amazonaws.com" in json.dumps(s)]
    assert kms["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": "alias/enclave/prod/models-prod"}
    (secrets,) = [s for s in statements if "kms:Decrypt" in s["Action"] and s is not kms]
    assert secrets["Condition"]["StringEquals"] == {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
    assert secrets["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": "alias/enclave/prod/inference"}


def _statements_for(policy: dict[str, Any], service: str) -> list[dict[str, Any]]:
    return [s for s in policy["Statement"] if s["Principal"].get("Service") == service]


def test_audit_key_gives_each_audit_service_only_what_it_writes_with(synthed: Synth) -> None:
    key = one(synthed("prod"), "aws:kms/key:Key", "prod-audit-key")
    policy = json.loads(key["inputs"]["policy"])
    account = "111122223333"
    for stmt in policy["Statement"]:
        service = stmt["Principal"].get("Service")
        if service and not service.startswith("logs."):
            assert stmt["Condition"]["StringEquals"]["aws:SourceAccount"] == account, stmt["Sid"]
    trail = _statements_for(policy, "cloudtrail.amazonaws.com")
    by_action = {tuple(s["Action"]): s for s in trail}
    assert set(by_action) == {("kms:GenerateDataKey*",), ("kms:DescribeKey",), ("kms:Decrypt",)}, key["urn"]
    context = by_action[("kms:GenerateDataKey*",)]["Condition"]["StringLike"]
    assert context == {
        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{account}:trail/enclave-prod"
    }, "the platform's trail only"
    assert not _statements_for(policy, "logging.s3.amazonaws.com"), "the access-log bucket is SSE-S3"
    # CloudWatch Logs' documented key policy has no aws:SourceAccount: the account is in the context ARN.
    (logs,) = _statements_for(policy, "logs.us-east-1.amazonaws.com")
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:us-east-1:{account}:*"}
    }
    assert len({s["Sid"] for s in policy["Statement"]}) == len(policy["Statement"]), "Sids are unique"


def test_audit_evidence_is_under_the_audit_key_only(synthed: Synth) -> None:
    """The trail, the audit bucket and every log group use the audit key; no zone key admits a service."""
    result = synthed("prod")
    audit_key = one(result, "aws:kms/key:Key", "prod-audit-key")["urn"]
    (trail,) = result.by_type("aws:cloudtrail/trail:Trail")
    assert trail["propertyDependencies"]["kmsKeyId"] == [audit_key], trail["urn"]
    for group in result.by_type("aws:cloudwatch/logGroup:LogGroup"):
        assert group["propertyDependencies"]["kmsKeyId"] == [audit_key], group["urn"]
    audit_sse = one(result, SSE, "prod-audit-logs-encryption")
    assert audit_sse["propertyDependencies"]["rules"] == [audit_key], audit_sse["urn"]
    alarm_key = one(result, "aws:kms/key:Key", "prod-alarms-key")["urn"]
    (topic,) = result.by_type("aws:sns/topic:Topic")
    assert topic["propertyDependencies"]["kmsMasterKeyId"] == [alarm_key], topic["urn"]
    for key in result.by_type("aws:kms/key:Key"):
        services = [s for s in json.loads(key["inputs"]["policy"])["Statement"] if "Service" in s["Principal"]]
        if key["urn"] == alarm_key:
            # the alarm publishers, each only for this account's alarm topic (the encryption context SNS sends)
            contexts = {s["Condition"]["StringEquals"]["kms:EncryptionContext:aws:sns:topicArn"] for s in services}
            assert contexts == {f"arn:aws:sns:us-east-1:{ACCOUNT}:enclave-prod-security-alarms"}, key["urn"]
        elif key["urn"] != audit_key:
            assert services == [], f"{key['urn']}: zone data keys admit no AWS service"


@pytest.mark.parametrize("stack", STACKS)
def test_every_log_group_is_encrypted_and_retained(synthed: Synth, stack: str) -> None:
    result = synthed(stack, True)
    cfg = validate_platform(stack_data(stack))
    groups = result.by_type("aws:cloudwatch/logGroup:LogGroup")
    assert groups
    for group in groups:
        assert group["propertyDependencies"]["kmsKeyId"], f"{group['urn']}: no CMK"
        # The trail's group, the control plane's (which holds the Kubernetes audit log), the DNS query log
        # (who asked for which name) and the log copies' delivery errors (a gap in the immutable copy must stay
        # explainable as long as the copies are kept) keep audit retention.
        name = group["inputs"]["name"]
        audit_suffixes = ("/dns-queries", "/log-copy-errors")
        audit = "cloudtrail" in name or name.startswith("/aws/eks/") or name.endswith(audit_suffixes)
        expected = cfg.logging.audit_retention_days if audit else cfg.logging.retention_days
        assert group["inputs"]["retentionInDays"] == expected, group["urn"]


@pytest.mark.parametrize("stack", STACKS)
def test_node_groups_are_dedicated_to_their_zone(synthed: Synth, stack: str) -> None:
    result = synthed(stack)
    cfg = validate_platform(stack_data(stack))
    groups = {r["name"]: r for r in result.by_type("aws:eks/nodeGroup:NodeGroup")}
    for pool in cfg.node_pools:
        ng = groups[f"{stack}-{pool.name}-node-group"]
        labels = ng["inputs"]["labels"]
        assert labels["enclave.dev/zone"] == pool.zone and labels["enclave.dev/pool"] == pool.name, ng["urn"]
        assert labels["enclave.dev/accelerator"] not in ("unknown", "mixed") or len(pool.instance_types) > 1
        assert ng["inputs"]["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
        assert ("vpc.amazonaws.com/efa.present" in labels) is pool.efa, ng["urn"]


@pytest.mark.parametrize("stack", STACKS)
def test_zone_pods_reach_s3_through_the_interface_endpoint(synthed: Synth, stack: str) -> None:
    """The NetworkPolicies allow S3 only as the endpoint subnets' CIDR, so SDKs in zone pods must use the
    S3 interface endpoint (AWS_ENDPOINT_URL_S3), not the public S3 addresses the gateway endpoint serves."""
    result = synthed(stack)
    cfg = validate_platform(stack_data(stack))
    endpoint = one(result, "aws:ec2/vpcEndpoint:VpcEndpoint", f"{stack}-vpce-s3-interface")
    assert endpoint["inputs"]["privateDnsEnabled"] is False
    maps = {r["inputs"]["metadata"]["namespace"]: r for r in result.by_type("kubernetes:core/v1:ConfigMap")}
    assert set(maps) == {ns for z in cfg.zones for ns in z.namespaces}
    for cm in maps.values():
        assert cm["inputs"]["metadata"]["name"] == "enclave-aws-endpoints"
        url = cm["inputs"]["data"]["AWS_ENDPOINT_URL_S3"]
        assert url.startswith("https://bucket.vpce-") and f".s3.{cfg.region}.vpce.amazonaws.com" in url, url
        assert "*" not in url
        assert cm["propertyDependencies"]["data"] == [endpoint["urn"]], cm["urn"]
    preview = synthed(stack, True)
    for cm in preview.by_type("kubernetes:core/v1:ConfigMap"):
        assert cm["propertyDependencies"]["data"] == [endpoint["urn"]], "correlated in a first preview too"


@pytest.mark.parametrize("stack", STACKS)
def test_values_the_provider_validates_before_any_api_call(synthed: Synth, stack: str) -> None:
    """The mocks run no provider validation; these ranges are the provider's (a preview would fail)."""
    result = synthed(stack)
    for role in result.by_type("aws:iam/role:Role"):
        duration = role["inputs"].get("maxSessionDuration", 3600)
        assert 3600 <= duration <= 43200, f"{role['urn']}: maxSessionDuration {duration} (IAM: 3600-43200)"
    for key in result.by_type("aws:kms/key:Key"):
        assert 7 <= key["inputs"]["deletionWindowInDays"] <= 30, key["urn"]
    for group in result.by_type("aws:cloudwatch/logGroup:LogGroup"):
        assert group["inputs"]["retentionInDays"] in LOG_RETENTION_DAYS, group["urn"]


@pytest.mark.parametrize("stack", STACKS)
def test_sidecars_may_reach_sts_and_the_s3_endpoint(synthed: Synth, stack: str) -> None:
    """REGISTRY_ONLY forwards only to registered hosts: without this entry IRSA (STS) and S3 calls from
    zone pods end in Envoy's BlackHoleCluster although the NetworkPolicy allows them."""
    result = synthed(stack)
    cfg = validate_platform(stack_data(stack))
    endpoint = one(result, "aws:ec2/vpcEndpoint:VpcEndpoint", f"{stack}-vpce-s3-interface")
    entries = [
        r
        for r in result.by_type("kubernetes:networking.istio.io/v1:ServiceEntry")
        if r["inputs"]["metadata"]["name"] == "aws-endpoints"
    ]
    assert {e["inputs"]["metadata"]["namespace"] for e in entries} == {ns for z in cfg.zones for ns in z.namespaces}
    for entry in entries:
        spec = entry["inputs"]["spec"]
        sts, s3 = spec["hosts"]
        assert sts == f"sts.{cfg.region}.amazonaws.com"
        assert re.fullmatch(rf"\*\.vpce-0[0-9a-f]+-[0-9a-f]{{8}}\.s3\.{cfg.region}\.vpce\.amazonaws\.com", s3), s3
        assert spec["resolution"] == "NONE" and spec["exportTo"] == ["."]
        assert spec["ports"] == [{"number": 443, "name": "tls", "protocol": "TLS"}]
        assert endpoint["urn"] in entry["propertyDependencies"]["spec"]


@pytest.mark.parametrize("stack", STACKS)
def test_nodes_launch_after_their_network_and_cni_and_carry_the_platform_tags(synthed: Synth, stack: str) -> None:
    result = synthed(stack)
    cfg = validate_platform(stack_data(stack))
    endpoints = {r["urn"] for r in result.by_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    cni = [r["urn"] for r in result.by_type("aws:eks/addon:Addon") if r["inputs"]["addonName"] == "vpc-cni"]
    assert len(cni) == 1 and endpoints
    for ng in result.by_type("aws:eks/nodeGroup:NodeGroup"):
        deps = set(ng["dependencies"])
        assert cni[0] in deps, f"{ng['urn']}: nodes would start before the VPC CNI has its IRSA role"
        assert endpoints <= deps, f"{ng['urn']}: nodes would bootstrap before the VPC endpoints exist"
    for lt in result.by_type("aws:ec2/launchTemplate:LaunchTemplate"):
        for spec in lt["inputs"]["tagSpecifications"]:
            assert spec["tags"]["enclave:environment"] == stack, lt["urn"]
            assert all(spec["tags"].get(k) == v for k, v in cfg.tags.items()), lt["urn"]


@pytest.mark.parametrize("stack", STACKS)
def test_eks_addons_are_pinned_and_coredns_waits_for_the_system_pool(synthed: Synth, stack: str) -> None:
    result = synthed(stack, True)
    cfg = validate_platform(stack_data(stack))
    assert cfg.cluster.mode == "create"
    versions = cfg.cluster.addon_versions
    addons = {r["inputs"]["addonName"]: r for r in result.by_type("aws:eks/addon:Addon")}
    assert {name: a["inputs"]["addonVersion"] for name, a in addons.items()} == {
        "vpc-cni": versions.vpc_cni,
        "coredns": versions.coredns,
        "kube-proxy": versions.kube_proxy,
        "aws-ebs-csi-driver": cfg.storage.ebs_csi_driver,
    }
    system = one(result, "aws:eks/nodeGroup:NodeGroup", f"{stack}-system-node-group")["urn"]
    for name in ("coredns", "kube-proxy", "aws-ebs-csi-driver"):
        assert system in addons[name]["dependencies"], f"{addons[name]['urn']} must wait for the system pool"
    assert json.loads(addons["coredns"]["inputs"]["configurationValues"]) == {
        "nodeSelector": {"enclave.dev/pool": "system"}
    }
