"""GpuCluster: EKS from pulumi-aws primitives with secrets envelope encryption, all control-plane logs,
a private API endpoint, API access entries, an IAM OIDC provider for IRSA, the VPC CNI with its
network-policy agent on, and a Kubernetes provider for the zones. Or an existing cluster by name."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..args import arg, args_type, check, fail, schema_type
from ..config import CreatedCluster, ExistingCluster, Logging, PlatformConfig
from ..scheduling import POOL_LABEL, SYSTEM_POOL
from .iam_policy import alias_scoped_key, service_trust, trust_policy
from .logs import encrypted_log_group

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CLUSTER_ADMIN_POLICY = "arn:{partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
# The VPC CNI add-on with the network-policy agent: without it NetworkPolicies are accepted by the
# API server but never enforced. Policy event logs record denied flows (what to log, per the seeds).
VPC_CNI_CONFIGURATION = {"enableNetworkPolicy": "true", "nodeAgent": {"enablePolicyEventLogs": "true"}}


SECRETS_KEY_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]


def secrets_key_policy(key_arn: str | None, alias: str | None, account_id: str, region: str, partition: str) -> str:
    """What EKS envelope encryption needs on the secrets key, as the cluster role: by the key's alias when
    given (known in a first preview), else by its ARN."""
    statement: dict[str, Any] = {"Effect": "Allow", "Action": SECRETS_KEY_ACTIONS, "Resource": key_arn}
    if alias is not None:
        statement["Resource"], statement["Condition"] = alias_scoped_key(account_id, region, partition, alias)
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True)


def _issuer(identities: Sequence[aws.eks.outputs.ClusterIdentity]) -> str:
    oidcs = identities[0].oidcs or []
    issuer = oidcs[0].issuer if oidcs else None
    if not issuer:
        raise ValueError("the EKS cluster reported no OIDC issuer; IRSA cannot be configured")
    return issuer


def cni_log_policy(partition: str, region: str, account_id: str, group: str) -> str:
    """The VPC CNI's permissions to deliver its policy event log to the control-plane group `group`."""
    base = f"arn:{partition}:logs:{region}:{account_id}:log-group"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "FindLogGroups", "Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"},
                {"Sid": "PolicyEventLogGroup", "Effect": "Allow", "Action": "logs:CreateLogGroup",
                 "Resource": f"{base}:{group}"},
                {"Sid": "PolicyEventLogStreams", "Effect": "Allow",
                 "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                 "Resource": f"{base}:{group}:log-stream:aws-network-policy-agent-audit-*"},
            ],
        },
        sort_keys=True,
    )  # fmt: skip


def kubeconfig(name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that authenticates with short-lived `aws eks get-token` tokens (no static secrets)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", name, "--region", region],
                        }
                    },
                }
            ],
        }
    )


@args_type
class GpuClusterArgs:
    """An EKS cluster (private API endpoint, envelope-encrypted secrets, every control-plane log type to an
    encrypted group, API authentication with named admins, the VPC CNI on its own IRSA role), or an existing one
    to attach to."""

    settings: CreatedCluster | ExistingCluster = arg(
        "The cluster block of the stack file, validated: `CreatedCluster` (name, version, endpoint exposure, admins, "
        "group access, system pool, add-on versions) or `ExistingCluster` (name and OIDC issuer to attach to)."
    )
    region: str = arg("AWS region of the cluster, e.g. `us-east-1` (kubeconfig, key policy).")
    subnet_ids: Sequence[pulumi.Input[str]] = arg(
        "Private subnets of the control plane's interfaces (`Network.private_subnet_ids`); unused when attaching.",
        default=(),
    )
    secrets_key_arn: pulumi.Input[str] | None = arg(
        "ARN of the key for envelope encryption of Kubernetes secrets (`KmsKey.arn`). Required to create a cluster.",
        default=None,
    )
    secrets_key_alias: pulumi.Input[str] | None = arg(
        "The secrets key's alias, `alias/...` (`KmsKey.alias_name`): the cluster role's policy names the key by it, "
        "so the document is known in a first preview. Default none: the policy names the key's ARN.",
        default=None,
    )
    log_key_arn: pulumi.Input[str] | None = arg(
        "ARN of the key that encrypts the control-plane log group (the audit key: `KmsKey.arn`, its policy admitting "
        "`logs.<region>.amazonaws.com`). Required to create a cluster.",
        default=None,
    )
    log_retention_days: int = arg(
        "Days the control-plane log group (which holds the Kubernetes audit log) keeps events: a CloudWatch Logs "
        "retention period, default the stack file's audit retention (2192).",
        default=Logging.model_fields["audit_retention_days"].default,
    )
    tags: Mapping[str, str] | None = arg(
        "Tags on the cluster and its roles, log group and access entries.", default=None
    )
    cni_cloudwatch_logs: bool = arg(
        "The VPC CNI's network-policy agent also sends its policy event log (denied flows) to the control-plane log "
        "group `/aws/eks/<name>/cluster`, where a metric filter can count them (nodeAgent.enableCloudWatchLogs), and "
        "the CNI's role may write there (the permissions AWS documents for it, on that group only). Default off.",
        default=False,
    )

    def __post_init__(self) -> None:
        if not isinstance(self.settings, CreatedCluster | ExistingCluster):
            fail(
                self,
                "settings",
                "pass a validated CreatedCluster or ExistingCluster (the stack file's `cluster` block).",
                what=type(self.settings).__name__,
            )
        check(self, "region", schema_type(PlatformConfig, "region"), "Pass an AWS region such as 'us-east-1'.")
        check(
            self,
            "log_retention_days",
            schema_type(Logging, "audit_retention_days"),
            "Use a retention the stack file's logging.audit_retention_days accepts.",
        )
        if isinstance(self.settings, CreatedCluster):
            for field in ("secrets_key_arn", "log_key_arn"):
                if getattr(self, field) is None:
                    fail(self, field, "a created cluster encrypts its secrets and logs. Pass the key's ARN.")


class GpuCluster(pulumi.ComponentResource):
    """The cluster of one environment. Attributes other components use: `name`, `oidc_provider_arn`,
    `oidc_issuer_url`, `cluster_security_group_id`, `kubernetes_provider`."""

    cluster: aws.eks.Cluster | None
    role: aws.iam.Role | None
    log_group: aws.cloudwatch.LogGroup | None
    oidc_provider: aws.iam.OpenIdConnectProvider | None
    vpc_cni: aws.eks.Addon | None
    cni_role: aws.iam.Role | None
    node_addons: list[aws.eks.Addon]
    access_entries: list[aws.eks.AccessEntry]
    access_policies: list[aws.eks.AccessPolicyAssociation]
    name: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    kubernetes_provider: k8s.Provider

    @property
    def kubeconfig(self) -> pulumi.Output[str]:
        """The cluster's kubeconfig: endpoint, CA and `aws eks get-token` (no credential in it)."""
        return self._kubeconfig

    def __init__(self, name: str, args: GpuClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("enclave:aws:GpuCluster", name, None, opts)
        config, self.region = args.settings, args.region
        self.cluster = self.role = self.log_group = self.oidc_provider = None
        self.vpc_cni = self.cni_role = None
        self.node_addons = []
        self._name = name
        self._config = config
        self._cni_logs = args.cni_cloudwatch_logs
        self.cni_log_policy: aws.iam.RolePolicy | None = None
        self.access_entries = []
        self.access_policies = []
        self.api_access_rules: list[aws.vpc.SecurityGroupIngressRule] = []
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        if isinstance(config, ExistingCluster):
            self._attach(config, partition, account)
        else:
            assert args.secrets_key_arn is not None and args.log_key_arn is not None  # GpuClusterArgs checks them
            self._create(
                name,
                config,
                partition,
                account,
                args.subnet_ids,
                args.secrets_key_arn,
                args.secrets_key_alias,
                args.log_key_arn,
                args.log_retention_days,
                dict(args.tags or {}),
            )
        self.kubernetes_provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self._kubeconfig,
            # Server-side apply: field ownership is tracked, conflicts surface instead of being overwritten.
            enable_server_side_apply=True,
            # With API authentication and no creator bootstrap, the deployer reaches the API only through its
            # access entry: every Kubernetes resource waits until the admin policies are associated.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self.access_policies, *self.api_access_rules]),
        )
        self.register_outputs(
            {"name": self.name, "oidc_provider_arn": self.oidc_provider_arn, "oidc_issuer_url": self.oidc_issuer_url}
        )

    def _attach(self, config: ExistingCluster, partition: pulumi.Output[str], account: pulumi.Output[str]) -> None:
        region = self.region
        found = aws.eks.get_cluster_output(name=config.name, opts=pulumi.InvokeOutputOptions(parent=self))
        self.name = pulumi.Output.from_input(config.name)
        self.oidc_issuer_url = pulumi.Output.from_input(config.oidc_issuer_url)
        issuer = config.oidc_issuer_url.removeprefix("https://")
        self.oidc_provider_arn = pulumi.Output.concat("arn:", partition, ":iam::", account, ":oidc-provider/", issuer)
        self.cluster_security_group_id = found.vpc_config.cluster_security_group_id
        self.endpoint = found.endpoint
        self._kubeconfig = pulumi.Output.all(found.endpoint, found.certificate_authorities[0].data).apply(
            lambda a: kubeconfig(config.name, a[0], a[1], region)
        )

    def _create(
        self,
        name: str,
        config: CreatedCluster,
        partition: pulumi.Output[str],
        account: pulumi.Output[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        secrets_key_arn: pulumi.Input[str],
        secrets_key_alias: pulumi.Input[str] | None,
        log_key_arn: pulumi.Input[str],
        log_retention_days: int,
        tags: dict[str, str],
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        # EKS writes control-plane logs to exactly this group; creating it first (encrypted, expiring)
        # keeps EKS from creating an unencrypted one that never expires.
        self.log_group = encrypted_log_group(
            f"{name}-control-plane-logs",
            log_group_name=f"/aws/eks/{config.name}/cluster",
            kms_key_arn=log_key_arn,
            retention_days=log_retention_days,
            parent=self,
            tags=tags,
        )
        self.role = aws.iam.Role(
            f"{name}-cluster-role",
            assume_role_policy=service_trust("eks.amazonaws.com"),
            tags=tags,
            opts=child,
        )
        policy_attachment = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy",
            role=self.role.name,
            policy_arn=pulumi.Output.concat("arn:", partition, ":iam::aws:policy/AmazonEKSClusterPolicy"),
            opts=child,
        )
        # Envelope encryption calls KMS as the cluster role: allow exactly what EKS needs on this key.
        secrets_key_access = aws.iam.RolePolicy(
            f"{name}-secrets-key",
            role=self.role.id,
            # By alias when given: the key's ARN (unknown in a first preview) then stays out of the document.
            policy=(
                pulumi.Output.all(secrets_key_alias, account, partition).apply(
                    lambda a: secrets_key_policy(None, a[0], a[1], self.region, a[2])
                )
                if secrets_key_alias is not None
                else pulumi.Output.from_input(secrets_key_arn).apply(
                    lambda arn: secrets_key_policy(arn, None, "", self.region, "")
                )
            ),
            opts=child,
        )
        endpoint = config.endpoint
        vpc_config: aws.eks.ClusterVpcConfigArgsDict = {
            "subnet_ids": list(subnet_ids),
            "endpoint_private_access": endpoint.private,
            "endpoint_public_access": endpoint.public,
        }
        if endpoint.public:
            vpc_config["public_access_cidrs"] = list(endpoint.public_cidrs)
        self.cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=config.name,
            version=config.kubernetes_version,
            role_arn=self.role.arn,
            vpc_config=vpc_config,
            encryption_config={"provider": {"key_arn": secrets_key_arn}, "resources": ["secrets"]},
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False},
            deletion_protection=config.deletion_protection,
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.log_group, policy_attachment, secrets_key_access]
            ),
        )
        self.name = self.cluster.name
        self.oidc_issuer_url = self.cluster.identities.apply(_issuer)
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=self.oidc_issuer_url,
            client_id_lists=["sts.amazonaws.com"],
            tags=tags,
            opts=child,
        )
        self.oidc_provider_arn = self.oidc_provider.arn
        self.cluster_security_group_id = self.cluster.vpc_config.cluster_security_group_id  # type: ignore[assignment]
        # The private endpoint answers only inside the VPC and through the cluster security group: let the
        # named networks (the runner of `pulumi up`, the VPN) in on 443, and nothing else.
        self.api_access_rules = [
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-api-from-{cidr.replace('/', '-')}",
                security_group_id=self.cluster_security_group_id,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_ipv4=cidr,
                description=f"Kubernetes API (private endpoint) from {cidr}",
                tags=tags,
                opts=child,
            )
            for cidr in endpoint.private_access_cidrs
        ]
        self._install_vpc_cni(name, config.addon_versions.vpc_cni, partition)
        for i, principal in enumerate(config.admin_role_arns):
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{i}",
                cluster_name=self.cluster.name,
                principal_arn=principal,
                type="STANDARD",
                tags=tags,
                opts=child,
            )
            association = aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{i}-policy",
                cluster_name=self.cluster.name,
                principal_arn=principal,
                policy_arn=partition.apply(lambda p: CLUSTER_ADMIN_POLICY.format(partition=p)),
                access_scope={"type": "cluster"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
            )
            self.access_entries.append(entry)
            self.access_policies.append(association)
        # Team roles act as Kubernetes groups; the zones' RoleBindings to those groups are all they get.
        for access in config.group_access:
            role_name = access.role_arn.rsplit("/", 1)[-1]
            self.access_entries.append(
                aws.eks.AccessEntry(
                    f"{name}-group-{role_name}",
                    cluster_name=self.cluster.name,
                    principal_arn=access.role_arn,
                    type="STANDARD",
                    kubernetes_groups=list(access.groups),
                    tags=tags,
                    opts=child,
                )
            )
        region = self.region
        self.endpoint = self.cluster.endpoint
        self._kubeconfig = pulumi.Output.all(
            self.cluster.name, self.cluster.endpoint, self.cluster.certificate_authority.data
        ).apply(lambda a: kubeconfig(a[0], a[1], a[2], region))

    def _install_vpc_cni(self, name: str, version: str, partition: pulumi.Output[str]) -> None:
        assert self.cluster is not None
        child = pulumi.ResourceOptions(parent=self)
        # The CNI's AWS permissions go to its own service account (IRSA), not to every node's role.
        self.cni_role = aws.iam.Role(
            f"{name}-vpc-cni-role",
            assume_role_policy=pulumi.Output.all(self.oidc_provider_arn, self.oidc_issuer_url).apply(
                lambda a: json.dumps(trust_policy(a[0], a[1], "kube-system", "aws-node"), sort_keys=True)
            ),
            max_session_duration=3600,
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-vpc-cni-policy",
            role=self.cni_role.name,
            policy_arn=pulumi.Output.concat("arn:", partition, ":iam::aws:policy/AmazonEKS_CNI_Policy"),
            opts=child,
        )
        self.vpc_cni = aws.eks.Addon(
            f"{name}-vpc-cni",
            cluster_name=self.cluster.name,
            addon_name="vpc-cni",
            addon_version=version,
            service_account_role_arn=self.cni_role.arn,
            configuration_values=json.dumps(self._cni_configuration(), sort_keys=True),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment, *self._cni_log_access(name, partition)]),
        )

    def _cni_configuration(self) -> Mapping[str, object]:
        if not self._cni_logs:
            return VPC_CNI_CONFIGURATION
        agent = {**VPC_CNI_CONFIGURATION["nodeAgent"], "enableCloudWatchLogs": "true"}  # type: ignore[dict-item]
        return {**VPC_CNI_CONFIGURATION, "nodeAgent": agent}

    def _cni_log_access(self, name: str, partition: pulumi.Output[str]) -> list[pulumi.Resource]:
        """The network-policy agent (in the aws-node pod, on the CNI's IRSA role) finds, and if need be creates,
        the control-plane log group, then writes its own streams to it (AWS's EKS guide, cni-network-policy
        setup: DescribeLogGroups, CreateLogGroup, CreateLogStream, PutLogEvents); here on that group only, except
        DescribeLogGroups, which IAM authorises on no resource (Resource "*")."""
        if not self._cni_logs or self.cni_role is None or self.log_group is None:
            return []
        region = self.region
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        doc = pulumi.Output.all(partition, account, self.log_group.name).apply(
            lambda a: cni_log_policy(a[0], region, a[1], a[2])
        )
        self.cni_log_policy = aws.iam.RolePolicy(
            f"{name}-vpc-cni-policy-logs", role=self.cni_role.name, policy=doc, opts=pulumi.ResourceOptions(parent=self)
        )
        return [self.cni_log_policy]

    def install_node_addons(self, system_nodes: Sequence[pulumi.Resource]) -> list[aws.eks.Addon]:
        """CoreDNS and kube-proxy as EKS managed add-ons at the pinned versions (created clusters only), once
        the system pool exists: CoreDNS runs there (its default tolerations include CriticalAddonsOnly), and
        EKS reports an add-on whose pods cannot schedule as degraded, which fails the create."""
        config = self._config
        if self.cluster is None or not isinstance(config, CreatedCluster):
            return []
        versions = config.addon_versions
        coredns_values = {"nodeSelector": {POOL_LABEL: SYSTEM_POOL}}
        for addon, version, values in (
            ("coredns", versions.coredns, coredns_values),
            ("kube-proxy", versions.kube_proxy, None),
        ):
            self.node_addons.append(
                aws.eks.Addon(
                    f"{self._name}-{addon}",
                    cluster_name=self.cluster.name,
                    addon_name=addon,
                    addon_version=version,
                    configuration_values=json.dumps(values, sort_keys=True) if values else None,
                    resolve_conflicts_on_create="OVERWRITE",
                    resolve_conflicts_on_update="OVERWRITE",
                    opts=pulumi.ResourceOptions(parent=self, depends_on=list(system_nodes)),
                )
            )
        return self.node_addons
