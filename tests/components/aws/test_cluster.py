"""GpuCluster: secrets encryption, control-plane logs, endpoint exposure, access entries, IRSA, VPC CNI."""

from __future__ import annotations

import json

import pytest

from components.aws.cluster import CLUSTER_ADMIN_POLICY, CONTROL_PLANE_LOG_TYPES, GpuCluster, GpuClusterArgs
from components.config import CreatedCluster, ExistingCluster
from tests.components.harness import Captured, capture

SECRETS_KEY = "arn:aws:kms:us-east-1:111122223333:key/secrets"
LOG_KEY = "arn:aws:kms:us-east-1:111122223333:key/logs"
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"


def build(preview: bool = False, secrets_key_alias: str | None = None, **overrides: object) -> Captured:
    fields: dict[str, object] = {
        "mode": "create",
        "name": "enclave-test",
        "admin_role_arns": ["arn:aws:iam::111122223333:role/platform-admin"],
    }
    fields.update(overrides)
    config = CreatedCluster.model_validate(fields)
    return capture(
        lambda: GpuCluster(
            "test",
            GpuClusterArgs(
                settings=config,
                region="us-east-1",
                subnet_ids=["subnet-0aaa", "subnet-0bbb"],
                secrets_key_arn=SECRETS_KEY,
                secrets_key_alias=secrets_key_alias,
                log_key_arn=LOG_KEY,
                log_retention_days=365,
            ),
        ),
        preview=preview,
    )


def test_cluster_encrypts_secrets_and_logs_everything() -> None:
    c = build()
    cluster = c.one("aws:eks/cluster:Cluster")
    inputs = cluster["inputs"]
    assert inputs["encryptionConfig"] == {"provider": {"keyArn": SECRETS_KEY}, "resources": ["secrets"]}, cluster["urn"]
    assert inputs["enabledClusterLogTypes"] == list(CONTROL_PLANE_LOG_TYPES), cluster["urn"]
    assert len(CONTROL_PLANE_LOG_TYPES) == 5
    assert inputs["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    assert inputs["deletionProtection"] is True


def test_log_group_exists_before_the_cluster() -> None:
    c = build()
    group = c.one("aws:cloudwatch/logGroup:LogGroup")
    assert group["inputs"]["name"] == "/aws/eks/enclave-test/cluster", group["urn"]
    assert group["inputs"]["kmsKeyId"] == LOG_KEY and group["inputs"]["retentionInDays"] == 365
    assert group["urn"] in c.one("aws:eks/cluster:Cluster")["dependencies"]


def test_private_endpoint_only_by_default() -> None:
    vpc = build().one("aws:eks/cluster:Cluster")["inputs"]["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True and vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc
    assert vpc["subnetIds"] == ["subnet-0aaa", "subnet-0bbb"]


def test_public_endpoint_only_with_named_cidrs() -> None:
    vpc = build(endpoint={"public": True, "public_cidrs": ["203.0.113.0/28"]}).one("aws:eks/cluster:Cluster")
    assert vpc["inputs"]["vpcConfig"]["publicAccessCidrs"] == ["203.0.113.0/28"], vpc["urn"]


def test_secrets_key_policy_is_scoped_to_the_key() -> None:
    c = build()
    doc = c.doc("aws:iam/rolePolicy:RolePolicy", "test-secrets-key")
    (stmt,) = doc["Statement"]
    assert stmt["Resource"] == SECRETS_KEY
    assert set(stmt["Action"]) == {"kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"}
    # By alias, the document is known in a first preview and still names one key.
    aliased = build(preview=True, secrets_key_alias="alias/enclave/test/eks-secrets")
    policy = aliased.one("aws:iam/rolePolicy:RolePolicy", "test-secrets-key")["inputs"]["policy"]
    (stmt,) = json.loads(policy)["Statement"]
    assert stmt["Resource"] == "arn:aws:kms:us-east-1:111122223333:key/*"
    assert stmt["Condition"] == {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/enclave/test/eks-secrets"}}
    trust = c.doc("aws:iam/role:Role", "test-cluster-role", "assumeRolePolicy")
    assert trust["Statement"][0]["Principal"] == {"Service": "eks.amazonaws.com"}


def test_access_entries_for_admin_roles() -> None:
    c = build()
    entry = c.one("aws:eks/accessEntry:AccessEntry")
    assert entry["inputs"]["principalArn"] == "arn:aws:iam::111122223333:role/platform-admin"
    assoc = c.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert assoc["inputs"]["policyArn"] == CLUSTER_ADMIN_POLICY.format(partition="aws")
    assert assoc["inputs"]["accessScope"] == {"type": "cluster"}
    assert entry["urn"] in assoc["dependencies"]
    # The deployer reaches the Kubernetes API only through this association (no creator bootstrap).
    assert c.one("aws:eks/cluster:Cluster")["inputs"]["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": False,
    }
    provider = c.one("pulumi:providers:kubernetes")
    assert assoc["urn"] in provider["dependencies"], "Kubernetes resources must wait for the admin access policy"


def test_oidc_provider_for_irsa() -> None:
    c = build()
    oidc = c.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc["inputs"]["clientIdLists"] == ["sts.amazonaws.com"]
    assert oidc["inputs"]["url"].startswith("https://oidc.eks.us-east-1.amazonaws.com/id/")
    assert oidc["propertyDependencies"]["url"] == [c.urn("aws:eks/cluster:Cluster")]


def test_vpc_cni_enforces_network_policy_with_its_own_identity() -> None:
    c = build()
    addon = c.one("aws:eks/addon:Addon")
    assert addon["inputs"]["addonName"] == "vpc-cni"
    assert json.loads(addon["inputs"]["configurationValues"])["enableNetworkPolicy"] == "true"
    role = c.one("aws:iam/role:Role", "test-vpc-cni-role")
    cond = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert any(v == "system:serviceaccount:kube-system:aws-node" for v in cond.values()), cond
    assert addon["propertyDependencies"]["serviceAccountRoleArn"] == [role["urn"]]
    attached = [a["inputs"]["policyArn"] for a in c.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")]
    assert "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy" in attached


def test_kubernetes_provider_uses_short_lived_tokens() -> None:
    provider = build().one("pulumi:providers:kubernetes")
    config = json.loads(provider["inputs"]["kubeconfig"])
    exec_ = config["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws" and exec_["args"][:2] == ["eks", "get-token"]
    assert "token" not in config["users"][0]["user"]


@pytest.mark.parametrize("preview", [True, False])
def test_same_resources_in_both_modes(preview: bool) -> None:
    names = sorted(r["urn"] for r in build(preview=preview).resources)
    assert names == sorted(r["urn"] for r in build(preview=not preview).resources)


def test_existing_cluster_is_attached_not_managed() -> None:
    config = ExistingCluster(mode="existing", name="shared", oidc_issuer_url=ISSUER)
    holder: dict[str, GpuCluster] = {}

    def run() -> None:
        holder["c"] = GpuCluster("dev", GpuClusterArgs(settings=config, region="us-east-1", log_retention_days=30))

    c = capture(run)
    assert [r["type"] for r in c.resources] == ["enclave:aws:GpuCluster", "pulumi:providers:kubernetes"]
    kubeconfig = json.loads(c.one("pulumi:providers:kubernetes")["inputs"]["kubeconfig"])
    assert kubeconfig["clusters"][0]["cluster"]["server"].endswith(".eks.amazonaws.com")


def test_private_endpoint_admits_only_the_named_networks_on_443() -> None:
    c = build(endpoint={"private": True, "public": False, "private_access_cidrs": ["10.100.0.0/24"]})
    (rule,) = c.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule["inputs"]["cidrIpv4"] == "10.100.0.0/24"
    assert (rule["inputs"]["ipProtocol"], rule["inputs"]["fromPort"], rule["inputs"]["toPort"]) == ("tcp", 443, 443)
    assert rule["propertyDependencies"]["securityGroupId"] == [c.urn("aws:eks/cluster:Cluster")]
    provider = c.one("pulumi:providers:kubernetes")
    assert rule["urn"] in provider["dependencies"], "Kubernetes resources wait until the runner can reach the API"
    assert build().of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") == []


def test_team_roles_act_only_as_their_kubernetes_groups() -> None:
    role = "arn:aws:iam::111122223333:role/ml-research"
    c = build(group_access=[{"role_arn": role, "groups": ["ml-research"]}])
    entries = {e["inputs"]["principalArn"]: e for e in c.of_type("aws:eks/accessEntry:AccessEntry")}
    team = entries[role]
    assert team["inputs"]["kubernetesGroups"] == ["ml-research"] and team["inputs"]["type"] == "STANDARD"
    associations = c.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert [a["inputs"]["principalArn"] for a in associations] == ["arn:aws:iam::111122223333:role/platform-admin"]


def test_a_created_cluster_needs_both_keys() -> None:
    config = CreatedCluster.model_validate({"mode": "create", "name": "enclave-test"})
    with pytest.raises(ValueError, match=r"GpuClusterArgs.secrets_key_arn=None: a created cluster encrypts"):
        GpuClusterArgs(settings=config, region="us-east-1", log_key_arn=LOG_KEY)
    with pytest.raises(ValueError, match=r"GpuClusterArgs.log_key_arn=None"):
        GpuClusterArgs(settings=config, region="us-east-1", secrets_key_arn=SECRETS_KEY)
    with pytest.raises(ValueError, match=r"GpuClusterArgs.log_retention_days=100"):
        GpuClusterArgs(
            settings=config,
            region="us-east-1",
            secrets_key_arn=SECRETS_KEY,
            log_key_arn=LOG_KEY,
            log_retention_days=100,
        )
