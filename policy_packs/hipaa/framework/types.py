"""Resource type tokens the rules look at (pulumi-aws v7 with its V2 aliases, pulumi-kubernetes v4)."""

from __future__ import annotations


def _s3(name: str, v2: bool = True) -> tuple[str, ...]:
    kind = name[0].upper() + name[1:]
    first = f"aws:s3/{name}:{kind}"
    return (first, f"aws:s3/{name}V2:{kind}V2") if v2 else (first,)


BUCKET = _s3("bucket")
BUCKET_SSE = _s3("bucketServerSideEncryptionConfiguration")
BUCKET_PAB = _s3("bucketPublicAccessBlock", v2=False)
BUCKET_OWNERSHIP = _s3("bucketOwnershipControls", v2=False)
BUCKET_VERSIONING = _s3("bucketVersioning")
BUCKET_POLICY = _s3("bucketPolicy", v2=False)
BUCKET_LOGGING = _s3("bucketLogging")
BUCKET_LIFECYCLE = _s3("bucketLifecycleConfiguration")
BUCKET_LOCK = _s3("bucketObjectLockConfiguration")
BUCKET_ACL = _s3("bucketAcl")
BUCKET_REPLICATION = _s3("bucketReplicationConfig", v2=False)

KMS_KEY = ("aws:kms/key:Key",)
# every way to make a key: generated, imported material, and their multi-Region replicas
KMS_KEYS = (*KMS_KEY, "aws:kms/externalKey:ExternalKey", "aws:kms/replicaKey:ReplicaKey",
            "aws:kms/replicaExternalKey:ReplicaExternalKey")  # fmt: skip
KMS_KEY_POLICY = ("aws:kms/keyPolicy:KeyPolicy",)
KMS_GRANT = ("aws:kms/grant:Grant",)

EKS_CLUSTER = ("aws:eks/cluster:Cluster",)
EKS_ADDON = ("aws:eks/addon:Addon",)
EKS_NODE_GROUP = ("aws:eks/nodeGroup:NodeGroup",)
EKS_ACCESS_POLICY = ("aws:eks/accessPolicyAssociation:AccessPolicyAssociation",)
EKS_ACCESS_ENTRY = ("aws:eks/accessEntry:AccessEntry",)

LAUNCH_TEMPLATE = ("aws:ec2/launchTemplate:LaunchTemplate",)
INSTANCE = ("aws:ec2/instance:Instance",)
SUBNET = ("aws:ec2/subnet:Subnet",)
VPC = ("aws:ec2/vpc:Vpc",)
SECURITY_GROUP = ("aws:ec2/securityGroup:SecurityGroup",)
SG_INGRESS = ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",)
SG_EGRESS = ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",)
SG_RULE = ("aws:ec2/securityGroupRule:SecurityGroupRule",)
DEFAULT_SG = ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",)
VPC_ENDPOINT = ("aws:ec2/vpcEndpoint:VpcEndpoint",)
VPC_ENDPOINT_POLICY = ("aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy",)
FLOW_LOG = ("aws:ec2/flowLog:FlowLog",)
RESOLVER_QUERY_LOG_CONFIG = ("aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig",)
RESOLVER_QUERY_LOG_ASSOCIATION = ("aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation",)
DNS_FIREWALL_DOMAIN_LIST = ("aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList",)
DNS_FIREWALL_RULE_GROUP = ("aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup",)
DNS_FIREWALL_RULE = ("aws:route53/resolverFirewallRule:ResolverFirewallRule",)
DNS_FIREWALL_ASSOCIATION = ("aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation",)
DNS_FIREWALL_CONFIG = ("aws:route53/resolverFirewallConfig:ResolverFirewallConfig",)
ROUTE = ("aws:ec2/route:Route",)
ROUTE_TABLE = ("aws:ec2/routeTable:RouteTable",)
INTERNET_GATEWAYS = (
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
)

ROLE = ("aws:iam/role:Role",)
ROLE_POLICY = ("aws:iam/rolePolicy:RolePolicy",)
IDENTITY_POLICIES = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
POLICY_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
)
# long-lived identities and every credential or grant that makes one usable
IAM_USERS = (
    "aws:iam/user:User",
    "aws:iam/accessKey:AccessKey",
    "aws:iam/userLoginProfile:UserLoginProfile",
    "aws:iam/serviceSpecificCredential:ServiceSpecificCredential",
    "aws:iam/signingCertificate:SigningCertificate",
    "aws:iam/sshKey:SshKey",
    "aws:iam/virtualMfaDevice:VirtualMfaDevice",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/userPoliciesExclusive:UserPoliciesExclusive",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
    "aws:iam/userGroupMembership:UserGroupMembership",
    "aws:iam/groupMembership:GroupMembership",
)
IAM_POLICY = ("aws:iam/policy:Policy",)
POD_IDENTITY = ("aws:eks/podIdentityAssociation:PodIdentityAssociation",)
OIDC_PROVIDER = ("aws:iam/openIdConnectProvider:OpenIdConnectProvider",)

TRAIL = ("aws:cloudtrail/trail:Trail",)
SECRETSMANAGER_SECRET = ("aws:secretsmanager/secret:Secret",)
SECRETSMANAGER_ROTATION = ("aws:secretsmanager/secretRotation:SecretRotation",)
LOG_GROUP = ("aws:cloudwatch/logGroup:LogGroup",)
LOG_SUBSCRIPTION = ("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",)
FIREHOSE_STREAM = ("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",)
METRIC_FILTER = ("aws:cloudwatch/logMetricFilter:LogMetricFilter",)
METRIC_ALARM = ("aws:cloudwatch/metricAlarm:MetricAlarm",)
SNS_TOPIC = ("aws:sns/topic:Topic",)
SNS_TOPIC_POLICY = ("aws:sns/topicPolicy:TopicPolicy",)
EVENT_RULE = ("aws:cloudwatch/eventRule:EventRule",)
EVENT_TARGET = ("aws:cloudwatch/eventTarget:EventTarget",)
GUARDDUTY_DETECTOR = ("aws:guardduty/detector:Detector",)
GUARDDUTY_FEATURE = ("aws:guardduty/detectorFeature:DetectorFeature",)


def k8s(api_version: str, kind: str) -> str:
    """pulumi-kubernetes' type token for an API kind (custom resources included)."""
    group, _, version = api_version.rpartition("/")
    path = f"core/{version}" if not group else f"{group}/{version}"
    return f"kubernetes:{path}:{kind}"


NAMESPACE = (k8s("v1", "Namespace"),)
SERVICE_ACCOUNT = (k8s("v1", "ServiceAccount"),)
RESOURCE_QUOTA = (k8s("v1", "ResourceQuota"),)
STORAGE_CLASS = (k8s("storage.k8s.io/v1", "StorageClass"), k8s("storage.k8s.io/v1beta1", "StorageClass"))
NETWORK_POLICY = (k8s("networking.k8s.io/v1", "NetworkPolicy"),)
K8S_SECRET = (k8s("v1", "Secret"),)
SECRET_PROVIDER_CLASS = tuple(k8s(f"secrets-store.csi.x-k8s.io/{v}", "SecretProviderClass") for v in ("v1", "v1alpha1"))
ROLES = (k8s("rbac.authorization.k8s.io/v1", "Role"), k8s("rbac.authorization.k8s.io/v1", "ClusterRole"))
BINDINGS = (
    k8s("rbac.authorization.k8s.io/v1", "RoleBinding"),
    k8s("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
)
ISTIO_VERSIONS = ("v1", "v1beta1")
PEER_AUTHENTICATION = tuple(k8s(f"security.istio.io/{v}", "PeerAuthentication") for v in ISTIO_VERSIONS)
AUTHORIZATION_POLICY = tuple(k8s(f"security.istio.io/{v}", "AuthorizationPolicy") for v in ISTIO_VERSIONS)
SIDECAR = tuple(k8s(f"networking.istio.io/{v}", "Sidecar") for v in (*ISTIO_VERSIONS, "v1alpha3"))
SERVICE_ENTRY = tuple(k8s(f"networking.istio.io/{v}", "ServiceEntry") for v in (*ISTIO_VERSIONS, "v1alpha3"))
KYVERNO_POLICIES = (k8s("kyverno.io/v1", "ClusterPolicy"), k8s("kyverno.io/v1", "Policy"))
VAP = (k8s("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"),)
VAP_BINDING = (k8s("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"),)
HELM_RELEASE = ("kubernetes:helm.sh/v3:Release",)

ECR_REPOSITORY = ("aws:ecr/repository:Repository",)
ECR_REPOSITORY_POLICY = ("aws:ecr/repositoryPolicy:RepositoryPolicy",)
