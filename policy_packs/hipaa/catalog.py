"""The control catalog: stable ids, titles, HIPAA Security Rule citations, severity and remediation.

Kept apart from the rule code (rules/) as cdk-nag keeps its packs apart from its rules: a rule checks a
state; this catalog says which HIPAA safeguard that state serves, how bad its absence is and how to fix it.
RULES.md, the evidence report and `enclave audit` all read these ids, so an id never changes meaning.
Citations are sections of 45 CFR Part 164 (Security Rule, Subpart C). A control *implements* a safeguard it
cites, unless it lists the citation in `supports`: then it only contributes to it (a placement group is not
transmission security; a lifecycle rule is not risk management), and RULES.md and the evidence report say so
rather than overclaim.
"""

from __future__ import annotations

from dataclasses import dataclass

FRAMEWORK = "HIPAA Security Rule"
FRAMEWORK_VERSION = "45 CFR Part 164, Subpart C"
FRAMEWORK_REFERENCE = "https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-C"

SEVERITIES = ("low", "medium", "high", "critical")

# What each cited paragraph is (for RULES.md and the report's safeguard headings).
CITATIONS = {
    "164.308(a)(1)(ii)(B)": "Risk management",
    "164.308(a)(1)(ii)(D)": "Information system activity review",
    "164.308(a)(4)": "Information access management",
    "164.308(a)(5)(ii)(B)": "Protection from malicious software",
    "164.308(a)(6)(ii)": "Response and reporting",
    "164.308(a)(7)(ii)(A)": "Data backup plan",
    "164.308(a)(7)(ii)(B)": "Disaster recovery plan",
    "164.312(a)(1)": "Access control",
    "164.312(a)(2)(i)": "Unique user identification",
    "164.312(a)(2)(iii)": "Automatic logoff",
    "164.312(a)(2)(iv)": "Encryption and decryption",
    "164.312(b)": "Audit controls",
    "164.312(c)(1)": "Integrity",
    "164.312(c)(2)": "Mechanism to authenticate ePHI",
    "164.312(d)": "Person or entity authentication",
    "164.312(e)(1)": "Transmission security",
    "164.312(e)(2)(i)": "Integrity controls (transmission)",
    "164.312(e)(2)(ii)": "Encryption (transmission)",
}


@dataclass(frozen=True)
class Control:
    id: str
    family: str
    title: str
    citations: tuple[str, ...]
    severity: str
    remediation: str
    supports: tuple[str, ...] = ()  # citations the control only contributes to (the rest it implements)

    def strength(self, citation: str) -> str:
        """'implements' or 'supports': what the control does for one safeguard it cites."""
        return "supports" if citation in self.supports else "implements"

    @property
    def anchor(self) -> str:
        """The control's heading anchor in RULES.md."""
        return self.id.lower()


FAMILIES = {
    "KMS": "Key management",
    "S3": "Object storage",
    "EKS": "Cluster control plane",
    "NODE": "GPU nodes",
    "EFA": "EFA and RDMA",
    "IAM": "Identity",
    "LOG": "Logging",
    "NET": "Network perimeter",
    "K8S": "Kubernetes trust zones",
    "MESH": "Service mesh",
    "DETECT": "Detection",
    "RECOVER": "Recovery",
    "DATA": "Data access",
}


def _c(
    cid: str, title: str, citations: tuple[str, ...], severity: str, remediation: str, supports: tuple[str, ...] = ()
) -> Control:
    return Control(cid, cid.split("-")[0], title, citations, severity, remediation, supports)


CONTROLS: dict[str, Control] = {
    c.id: c
    for c in (
        # --- KMS -------------------------------------------------------------------------------------------
        _c("KMS-01", "Customer-managed keys rotate automatically", ("164.312(a)(2)(iv)",), "high",
           "Set enable_key_rotation=True on the aws.kms.Key (components.KmsKey always does)."),
        _c("KMS-02", "Only the account administers a key; other principals may only use it",
           ("164.312(a)(1)", "164.308(a)(4)"), "critical",
           "Grant kms:* (or kms:*-like admin actions) only to arn:<partition>:iam::<account>:root; give named "
           "roles and services usage actions only, and never a Principal of '*' without conditions."),
        _c("KMS-03", "AWS services use a key only on this account's behalf", ("164.312(a)(1)",), "high",
           "Add aws:SourceAccount (or an encryption-context condition naming the account) to every key-policy "
           "statement for a service principal (confused-deputy protection)."),
        # --- S3 --------------------------------------------------------------------------------------------
        _c("S3-01", "Buckets encrypt with a customer-managed KMS key and an S3 Bucket Key",
           ("164.312(a)(2)(iv)",), "high",
           "Give the bucket an aws.s3.BucketServerSideEncryptionConfiguration with sse_algorithm 'aws:kms', "
           "kms_master_key_id a customer key, bucket_key_enabled True (components.EncryptedBucket does). Only "
           "the S3 access-log destination may use SSE-S3: log delivery supports nothing else."),
        _c("S3-02", "Customer-provided keys (SSE-C) are refused", ("164.312(a)(2)(iv)",), "medium",
           "Set blocked_encryption_types=['SSE-C'] on the encryption rule."),
        _c("S3-03", "Public access is blocked on every bucket", ("164.312(a)(1)", "164.308(a)(4)"), "critical",
           "Give the bucket an aws.s3.BucketPublicAccessBlock with all four flags true."),
        _c("S3-04", "Object ACLs are disabled (BucketOwnerEnforced)", ("164.312(a)(1)",), "high",
           "Give the bucket an aws.s3.BucketOwnershipControls with object_ownership 'BucketOwnerEnforced'."),
        _c("S3-05", "Every object version is kept (versioning enabled)",
           ("164.312(c)(1)", "164.308(a)(7)(ii)(A)"), "high",
           "Give the bucket an aws.s3.BucketVersioning with status 'Enabled'."),
        _c("S3-06", "Only TLS reaches a bucket", ("164.312(e)(1)", "164.312(e)(2)(ii)"), "high",
           "Add a bucket-policy statement that denies s3:* on the bucket and its objects to Principal '*' when "
           "aws:SecureTransport is 'false'."),
        _c("S3-07", "Uploads cannot ask for weaker or foreign encryption", ("164.312(a)(2)(iv)",), "high",
           "Deny s3:PutObject when x-amz-server-side-encryption is present and not aws:kms, when it is aws:kms "
           "with no key id, when the key id is outside this account, and when an SSE-C header is present; never "
           "deny an upload that sends no header (default encryption applies)."),
        _c("S3-08", "Buckets grant nothing to the public", ("164.312(a)(1)",), "critical",
           "Remove Allow statements for Principal '*' (or AWS '*') that no aws:SourceAccount, aws:SourceArn or "
           "aws:PrincipalAccount condition limits, and any public ACL or grant."),
        _c("S3-09", "Server access logs of every bucket are recorded", ("164.312(b)", "164.308(a)(1)(ii)(D)"),
           "medium", "Give the bucket an aws.s3.BucketLogging that writes to the access-log bucket."),
        _c("S3-10", "Old object versions and incomplete uploads expire", ("164.308(a)(1)(ii)(B)",), "low",
           "Give the bucket an aws.s3.BucketLifecycleConfiguration that expires noncurrent versions and aborts "
           "incomplete multipart uploads (fewer stale copies of ePHI to protect: it supports risk management, it "
           "does not implement it).", supports=("164.308(a)(1)(ii)(B)",)),
        _c("S3-11", "Buckets that may hold ePHI admit only their identities, only through the VPC's endpoints",
           ("164.312(a)(1)", "164.308(a)(4)"), "high",
           "Add two Deny statements to the bucket policy for the data actions (objects, listings, uploads): unless "
           "aws:PrincipalArn is one of the bucket's declared identities or an admin role, and unless aws:SourceVpce "
           "is one of the stack's S3 endpoints (admin roles, aws:ViaAWSService and service principals excepted); "
           "components.EncryptedBucket's `perimeter` (data_perimeter in the stack file) writes both."),
        # --- EKS -------------------------------------------------------------------------------------------
        _c("EKS-01", "Kubernetes secrets are envelope-encrypted with a customer key", ("164.312(a)(2)(iv)",),
           "high", "Set encryption_config {resources: ['secrets'], provider.key_arn: <customer key>} on the cluster."),
        _c("EKS-02", "Every control-plane log type is recorded", ("164.312(b)", "164.308(a)(1)(ii)(D)"), "high",
           "Enable api, audit, authenticator, controllerManager and scheduler in enabled_cluster_log_types."),
        _c("EKS-03", "The API endpoint is private, or public only to named networks",
           ("164.312(e)(1)", "164.312(a)(1)"), "critical",
           "Keep endpoint_private_access true; leave the public endpoint off (cluster.endpoint.public: false) or "
           "list your admin networks in public_access_cidrs, never 0.0.0.0/0."),
        _c("EKS-04", "NetworkPolicies are enforced by the CNI", ("164.312(a)(1)", "164.312(e)(1)"), "critical",
           "Install the vpc-cni add-on with configuration {enableNetworkPolicy: 'true'} (or a CNI that enforces "
           "NetworkPolicy, declared in the pack config); without it the API server accepts policies that nothing "
           "enforces."),
        _c("EKS-05", "Access through IAM access entries only, with no creator bootstrap", ("164.312(a)(2)(i)",
           "164.308(a)(4)"), "high",
           "Set access_config {authentication_mode: 'API', bootstrap_cluster_creator_admin_permissions: false} "
           "and list admins in cluster.admin_role_arns."),
        _c("EKS-06", "Cluster administration only for the named principals", ("164.308(a)(4)", "164.312(a)(1)"),
           "critical",
           "Associate the AmazonEKSClusterAdminPolicy / AmazonEKSAdminPolicy access policies, and map into "
           "administrators' groups (system:masters, or a group bound to an admin role; access entries or aws-auth), "
           "only the roles in the pack config's clusterAdminPrincipals; give teams groups (cluster.group_access) "
           "bound to namespace Roles instead."),
        # --- NODE ------------------------------------------------------------------------------------------
        _c("NODE-01", "Instance metadata needs IMDSv2 tokens with a hop limit of 1", ("164.312(a)(1)",), "high",
           "Set metadata_options {http_tokens: 'required', http_put_response_hop_limit: 1} on the launch template, "
           "so pods cannot reach the node role's credentials."),
        _c("NODE-02", "Node volumes are encrypted with a customer key", ("164.312(a)(2)(iv)",), "high",
           "Give every EBS mapping of the launch template encrypted 'true' and kms_key_id a customer key."),
        _c("NODE-03", "Nodes and subnets hand out no public IP addresses", ("164.312(e)(1)",), "high",
           "Set associate_public_ip_address 'false' on every launch-template interface and "
           "map_public_ip_on_launch False on subnets."),
        _c("NODE-04", "GPU pools are tainted, and so is the system pool", ("164.308(a)(4)",), "medium",
           "Taint GPU node groups nvidia.com/gpu=true:NoSchedule and the system pool CriticalAddonsOnly=true:"
           "NoSchedule, so only pods that tolerate them (and admission allows) land there."),
        _c("NODE-05", "Node pools are dedicated to one zone and closed to other zones' nodes",
           ("164.312(a)(1)", "164.308(a)(4)"), "high",
           "Label each node group enclave.dev/zone and enclave.dev/pool, and give its interfaces the zone's node "
           "security group instead of the cluster security group (components.NodeSecurityGroups)."),
        _c("NODE-06", "The node role holds only what the kubelet needs", ("164.308(a)(4)", "164.312(a)(1)"),
           "high",
           "Attach only AmazonEKSWorkerNodePolicy and AmazonEC2ContainerRegistryPullOnly to node roles; the VPC "
           "CNI gets AmazonEKS_CNI_Policy through its own IRSA role."),
        # --- EFA -------------------------------------------------------------------------------------------
        _c("EFA-01", "EFA security groups admit only themselves", ("164.312(e)(1)",), "high",
           "Give the EFA security group exactly one ingress and one egress rule, both all traffic referencing the "
           "group itself; EFA's OS-bypass traffic is not IP, so nothing else can filter it."),
        _c("EFA-02", "EFA only in training pools", ("164.312(e)(1)", "164.308(a)(4)"), "high",
           "RDMA bypasses TLS and the mesh: attach EFA interfaces only to node pools of training zones."),
        _c("EFA-03", "EFA pools are placed on one network segment", ("164.312(e)(1)",), "low",
           "Use a cluster placement group, or target a capacity reservation / Capacity Block, for EFA pools. A "
           "placement group is not transmission security: it keeps RDMA traffic on one spine, which supports the "
           "EFA-01 isolation, nothing more.", supports=("164.312(e)(1)",)),
        # --- IAM -------------------------------------------------------------------------------------------
        _c("IAM-01", "Workload roles trust exactly one ServiceAccount, with audience sts",
           ("164.312(a)(2)(i)", "164.312(d)"), "critical",
           "Trust the cluster's OIDC provider with StringEquals on <issuer>:sub = "
           "system:serviceaccount:<namespace>:<name> (one value, no wildcard) and <issuer>:aud = "
           "sts.amazonaws.com (components.WorkloadIdentity)."),
        _c("IAM-02", "Policies name their actions and resources: no wildcards on data",
           ("164.308(a)(4)", "164.312(a)(1)"), "high",
           "Replace '*', 's3:*', 'kms:*' actions and '*' resources with the actions and the bucket prefix / key "
           "the workload needs; a key may be named by alias (key/* with kms:ResourceAliases)."),
        _c("IAM-03", "Role sessions last at most an hour", ("164.312(a)(2)(iii)",), "medium",
           "Set max_session_duration to 3600 (or the pack config's maxSessionSeconds) or less."),
        _c("IAM-04", "No IAM users or long-lived access keys", ("164.312(a)(2)(i)", "164.312(d)"), "high",
           "Use roles (IRSA for workloads, SSO permission sets for people) instead of aws.iam.User and "
           "aws.iam.AccessKey."),
        _c("IAM-05", "Every workload role belongs to a ServiceAccount the stack creates", ("164.308(a)(4)",),
           "medium",
           "Create the role with its ServiceAccount (components.WorkloadIdentity), or remove the role: a web "
           "identity role no ServiceAccount names is a credential nobody reviews."),
        _c("IAM-06", "The cluster's OIDC provider serves only the STS audience", ("164.312(d)",), "medium",
           "Set client_id_lists=['sts.amazonaws.com'] on the OpenIdConnectProvider."),
        _c("IAM-07", "No administrator managed policies on roles", ("164.308(a)(4)",), "critical",
           "Detach AdministratorAccess, PowerUserAccess, IAMFullAccess and other *FullAccess policies; grant the "
           "actions the role needs."),
        _c("IAM-08", "Each zone's images are pulled only by that zone's nodes", ("164.308(a)(4)", "164.312(a)(1)"),
           "high",
           "Give each zone's ECR repository a policy that denies ecr:BatchGetImage and ecr:GetDownloadUrlForLayer "
           "unless aws:PrincipalArn is one of the zone's node roles (an Allow alone excludes nobody: the nodes' "
           "AmazonEC2ContainerRegistryPullOnly allows pulls on every repository), and tag the repository "
           "enclave:zone; components.ZoneRepositories (images.repositories in the stack file) writes both. It "
           "limits which workloads' code a zone runs, which supports the zone's access control rather than guarding "
           "ePHI itself."),
        _c("IAM-10", "Every role's trust names who may assume it", ("164.312(a)(1)", "164.312(d)"), "critical",
           "In each Allow statement of the role's trust policy (assume_role_policy) name the principals in "
           "Principal: an AWS account or role ARN, a service (ec2.amazonaws.com) or an OIDC provider ARN; never "
           "'*' (a condition does not name anyone) and never NotPrincipal, which admits everyone it does not list."),
        # --- LOG -------------------------------------------------------------------------------------------
        _c("LOG-01", "CloudTrail records every region with validated log files",
           ("164.312(b)", "164.312(c)(2)"), "high",
           "Set is_multi_region_trail, include_global_service_events, enable_log_file_validation and "
           "enable_logging to true on the trail."),
        _c("LOG-02", "CloudTrail logs are encrypted with a customer key", ("164.312(a)(2)(iv)", "164.312(b)"),
           "high", "Set kms_key_id on the trail to a customer key."),
        _c("LOG-03", "Reads and writes of every artifact bucket are recorded", ("164.312(b)",
           "164.308(a)(1)(ii)(D)"), "high",
           "Add an advanced event selector for S3 object data events (reads and writes, no readOnly field) whose "
           "resources.ARN prefixes cover every datasets, models and checkpoints bucket."),
        _c("LOG-04", "Log groups are encrypted with a customer key", ("164.312(a)(2)(iv)", "164.312(b)"),
           "high", "Set kms_key_id on every CloudWatch log group (components.aws.logs.encrypted_log_group)."),
        _c("LOG-05", "Logs are kept for the organisation's retention period", ("164.312(b)",), "high",
           "Set retention_in_days to at least the pack config's minRetentionDays, and on audit groups (the trail's, "
           "the EKS control plane's) to at least minAuditRetentionDays (logging.audit_retention_days). Six years "
           "is the organisation's retention policy: 164.312(b) asks that activity be recorded, not for how long."),
        _c("LOG-06", "Every VPC records its flow logs", ("164.312(b)",), "medium",
           "Create an aws.ec2.FlowLog with traffic_type 'ALL' for the VPC (network.flow_logs: true)."),
        _c("LOG-07", "Control-plane and flow logs are copied to an immutable store", ("164.312(b)", "164.312(c)(1)"),
           "high",
           "Subscribe every EKS control-plane log group (/aws/eks/<cluster>/cluster) with an empty filter pattern to a "
           "Kinesis Data Firehose stream that delivers to a bucket with object lock in COMPLIANCE mode for at least "
           "the audit retention and SSE-KMS with a customer key, and give every VPC a flow log of ALL traffic "
           "delivered to such a bucket (logging.immutable_copies: the audit bucket)."),
        _c("LOG-08", "Log delivery streams are encrypted with a customer key", ("164.312(a)(2)(iv)", "164.312(b)"),
           "high",
           "Give every Kinesis Data Firehose stream server_side_encryption {enabled: true, key_type: "
           "CUSTOMER_MANAGED_CMK, key_arn: a customer key} (unless a Kinesis or MSK stream is its source) and deliver "
           "it to S3 with kms_key_arn a customer key (components.aws.log_copies.LogCopies)."),
        # --- NET -------------------------------------------------------------------------------------------
        _c("NET-01", "No path to or from the internet", ("164.312(e)(1)",), "critical",
           "Remove internet and NAT gateways, egress-only gateways and default routes (0.0.0.0/0, ::/0); reach AWS "
           "through VPC endpoints and the company network through named transit-gateway routes."),
        _c("NET-02", "Security groups admit nothing from anywhere", ("164.312(e)(1)",), "critical",
           "Replace ingress from 0.0.0.0/0 or ::/0 with the security groups or private networks that need it."),
        _c("NET-03", "The VPC's default security group allows nothing", ("164.312(e)(1)",), "medium",
           "Adopt the default security group with aws.ec2.DefaultSecurityGroup and no ingress or egress."),
        _c("NET-04", "VPC endpoints keep data inside the account", ("164.312(a)(1)", "164.312(e)(1)"), "high",
           "Give every endpoint that supports it a policy limited to this account's principals "
           "(aws:PrincipalAccount) and, for S3, STS, ECR and Logs, its resources (aws:ResourceAccount), with only "
           "the exceptions AWS needs (components.aws.endpoint_policies)."),
        _c("NET-05", "Node groups admit each other on named ports only", ("164.312(e)(1)", "164.312(a)(1)"),
           "high",
           "Replace an ingress rule that admits every protocol (-1) or every port from another group of nodes with "
           "one rule per port the source needs: the kubelet (TCP 10250) and the node agents' metrics for the "
           "system pool (components.aws.node_security.SYSTEM_TO_ZONE), the declared flows' ports between zones."),
        _c("NET-06", "Every VPC logs its DNS queries", ("164.312(b)", "164.308(a)(1)(ii)(D)"), "medium",
           "Create an aws.route53.ResolverQueryLogConfig to an encrypted log group (or bucket) and an "
           "aws.route53.ResolverQueryLogConfigAssociation with the VPC (network.dns.query_logging)."),
        _c("NET-07", "Every VPC's DNS Firewall refuses unknown names", ("164.312(e)(1)",), "high",
           "Associate an aws.route53.ResolverFirewallRuleGroup with the VPC whose rules ALLOW the names the "
           "platform needs (the cluster's, the region's AWS endpoints, the approved hosts) and end with a BLOCK "
           "rule for the domain list ['*']; keep the VPC's ResolverFirewallConfig fail-closed (DISABLED) "
           "(network.dns.firewall)."),
        # --- K8S -------------------------------------------------------------------------------------------
        _c("K8S-01", "Zone namespaces enforce Pod Security", ("164.312(a)(1)",), "high",
           "Label zone namespaces pod-security.kubernetes.io/enforce (restricted for inference and notebooks, at "
           "least baseline elsewhere) with warn and audit restricted."),
        _c("K8S-02", "Every zone namespace denies by default", ("164.312(a)(1)", "164.312(e)(1)"), "critical",
           "Add a NetworkPolicy with podSelector {} and policyTypes [Ingress, Egress] and no rules to the namespace."),
        _c("K8S-03", "No zone reaches the internet directly", ("164.312(e)(1)",), "critical",
           "Remove NetworkPolicy egress to public addresses (0.0.0.0/0 or any non-private range); notebooks go "
           "through the egress proxy (egress.proxy), everything else through private mirrors and endpoints."),
        _c("K8S-04", "Zone-to-zone traffic only from named zones on named ports", ("164.312(a)(1)",), "high",
           "Write NetworkPolicy ingress and egress rules with a namespaceSelector naming one zone and explicit "
           "ports (the stack's flows), never an empty peer or port list."),
        _c("K8S-05", "No cluster-admin for service accounts; cluster admin only for named groups",
           ("164.308(a)(4)",), "critical",
           "Bind cluster-admin, admin and edit, and any role granting escalate, bind, impersonate or '*', only to the "
           "groups in the pack config's platformAdminGroups, never to a ServiceAccount or a user; give workloads "
           "namespace Roles."),
        _c("K8S-06", "Roles name their verbs and resources", ("164.308(a)(4)",), "high",
           "Replace '*' in verbs, resources ('*/exec' too) and apiGroups with what the persona needs "
           "(components.k8s.rbac); an aggregationRule selects only roles labelled for the persona, never the "
           "ClusterRoles Kubernetes bootstraps."),
        _c("K8S-07", "ServiceAccounts do not mount API tokens", ("164.312(a)(1)",), "medium",
           "Set automount_service_account_token False on ServiceAccounts and automountServiceAccountToken false on "
           "workloads' pod templates (a ServiceAccount the stack does not declare mounts by default); mount a "
           "projected token on purpose where a workload needs the API."),
        _c("K8S-08", "Every zone namespace has a GPU quota", ("164.308(a)(1)(ii)(B)",), "medium",
           "Add a ResourceQuota with requests.nvidia.com/gpu to every zone namespace, without scopes or with scopes "
           "that together match every GPU pod (it keeps one zone from starving another: it supports risk "
           "management, it does not implement it).", supports=("164.308(a)(1)(ii)(B)",)),
        _c("K8S-09", "Pods pull images from approved registries only", ("164.308(a)(5)(ii)(B)",), "high",
           "Keep the Kyverno ClusterPolicy that validates every container image of zone pods (Enforce, no '*' "
           "pattern, no exclude block, PolicyException or Audit override for a zone) against the account's ECR and "
           "kubernetes.approved_registries; run declared workloads from the registries the pack config's "
           "approvedRegistries lists."),
        _c("K8S-10", "Zones stay on their own nodes", ("164.312(a)(1)", "164.308(a)(4)"), "high",
           "Give every zone the placement ValidatingAdmissionPolicy and its binding (components.k8s.admission): "
           "the zone's node selector, only its pools' tolerations, no spec.nodeName."),
        _c("K8S-11", "Workloads cannot take the mesh proxy's identity", ("164.312(e)(1)", "164.312(a)(1)"),
           "high",
           "Keep the enclave-mesh-identity ValidatingAdmissionPolicy and its binding to zone namespaces: no "
           "container but the sidecar runs as UID or GID 1337."),
        _c("K8S-12", "Node agents run only in agent namespaces, confined to the pools' taints",
           ("164.312(a)(1)", "164.308(a)(4)"), "high",
           "Run node agents as DaemonSets in the agent namespaces (kubernetes.node_agents.namespaces) with the "
           "enclave-node-agents admission policy: DaemonSet pods only, tolerations by key of the pools' taints, no "
           "named node; never a DaemonSet in a zone or an unlisted namespace."),
        _c("K8S-13", "No namespace and no workload outside the trust zones", ("164.312(a)(1)", "164.308(a)(4)"),
           "critical",
           "Put every namespace in a zone (enclave.dev/zone) or list it as a system or agent namespace (stack: "
           "kubernetes.system_namespaces / node_agents; pack config: systemNamespaces / agentNamespaces), and keep "
           "the enclave-namespace-scope admission policy that refuses pods everywhere else."),
        _c("K8S-14", "Zone workloads run non-root, without escalation or SETUID/SETGID", ("164.312(a)(1)",),
           "high",
           "Keep the enclave-workload-privileges admission policy bound to every zone namespace; give containers "
           "runAsNonRoot true, allowPrivilegeEscalation false and capabilities.drop [ALL] (the workload pod "
           "template does)."),
        _c("K8S-15", "Workload pod templates are judged at admission like pods", ("164.312(a)(1)",), "medium",
           "Match deployments, statefulsets, daemonsets, replicasets, jobs and cronjobs (CREATE, UPDATE) in every "
           "admission policy that judges zone pods, and judge their images (enclave-approved-registries)."),
        _c("K8S-16", "Kyverno's admission controller is highly available", ("164.308(a)(7)(ii)(B)",), "medium",
           "Run Kyverno's admission controller with at least 3 replicas, a PodDisruptionBudget and topology spread "
           "over the system pool's nodes (admissionController.replicas, podDisruptionBudget, "
           "topologySpreadConstraints)."),
        _c("K8S-17", "Workloads run only as the ServiceAccounts their creator's group may use",
           ("164.308(a)(4)", "164.312(a)(1)"), "high",
           "Name in zones[].access.service_accounts the accounts each group may run workloads as, and keep the "
           "enclave-service-accounts-<zone> admission policy (RBAC cannot limit serviceAccountName)."),
        _c("K8S-20", "Zone-to-zone flows stay inside the zone matrix", ("164.312(a)(1)", "164.312(e)(1)"), "critical",
           "Write NetworkPolicy and AuthorizationPolicy peers that name a zone (enclave.dev/zone) or a namespace "
           "(kubernetes.io/metadata.name) the zone matrix pairs with this one, never a selector on another label, an "
           "empty selector or peer list, an ipBlock over the pod subnets or a principal/namespace wildcard; declare "
           "flows in the stack's `flows` and the matrix in the pack config's allowedFlows."),
        _c("K8S-21", "Workloads never reach into their node", ("164.312(a)(1)", "164.308(a)(4)"), "critical",
           "Give pods in zones (and anywhere outside the agent and system namespaces) no privileged container, no "
           "hostNetwork/hostPID/hostIPC, no hostPath volume or host port and no added capability but "
           "NET_BIND_SERVICE; render Helm charts with kubernetes.helm.v4.Chart (its objects are judged) instead of a "
           "helm.v3.Release in such a namespace; node agents go in an agent namespace."),
        _c("K8S-22", "Each Kubernetes object is declared once", ("164.312(a)(1)", "164.312(c)(1)"), "high",
           "Declare every Kubernetes object (kind, namespace, name) in one resource of the stack: remove the second "
           "resource, the manifest's copy or the *Patch of an object the stack declares, so what the cluster holds "
           "does not depend on the order of apply."),
        _c("K8S-25", "Detection namespaces admit only the detection agents' service accounts",
           ("164.312(a)(1)", "164.308(a)(4)"), "high",
           "Bind (Deny, failurePolicy Fail) an admission policy to each detection namespace that admits pods and "
           "workloads only as Falco's, falcosidekick's or GuardDuty's agent service account "
           "(components.k8s.falco.detection_policy); the namespace-scope refusal exempts these namespaces only "
           "because this holds."),
        # --- MESH ------------------------------------------------------------------------------------------
        _c("MESH-01", "Mutual TLS is STRICT everywhere",
           ("164.312(e)(1)", "164.312(e)(2)(i)", "164.312(e)(2)(ii)", "164.312(d)"), "critical",
           "Keep one STRICT PeerAuthentication in istio-system and in every zone namespace (one per target: Istio "
           "applies the oldest of several); never PERMISSIVE or DISABLE, not even for one port, nor a mode left "
           "UNSET whose parent (the namespace's policy, the mesh root's, Istio's PERMISSIVE default) is not STRICT."),
        _c("MESH-02", "Authorization allows nothing but named principals", ("164.312(a)(1)",), "high",
           "Keep an empty ALLOW AuthorizationPolicy (allow-nothing, no selector) in every zone namespace or in "
           "Istio's root namespace (meshRootNamespace); ALLOW rules name source principals and ports."),
        _c("MESH-03", "Outbound traffic goes only to registered destinations", ("164.312(e)(1)",), "high",
           "Set outboundTrafficPolicy REGISTRY_ONLY in istiod's meshConfig and in every zone namespace's one "
           "namespace-wide Sidecar (two for the same workloads leave Istio's behaviour undefined)."),
        _c("MESH-04", "External hosts only from the approved list", ("164.312(e)(1)",), "high",
           "Declare ServiceEntries only for hosts in the pack config's approvedExternalHosts, exported to their "
           "own namespace only (exportTo: ['.'])."),
        _c("MESH-05", "Zone pods carry the sidecar, installed without NET_ADMIN", ("164.312(e)(1)",), "high",
           "Label zone namespaces istio-injection=enabled and enable the Istio CNI agent (pilot.cni.enabled); "
           "keep istiod's global.proxy.autoInject enabled and no sidecarInjectorWebhook.neverInjectSelector."),
        _c("MESH-06", "Zone pods cannot opt out of the mesh", ("164.312(e)(1)", "164.312(a)(1)"), "high",
           "Keep the enclave-mesh-<zone> admission policy (the injected proxy required; no sidecar.istio.io/inject "
           "false, traffic.sidecar.istio.io/* beyond the platform's NCCL window, proxy.istio.io/config) and remove "
           "such annotations from workloads."),
        _c("MESH-07", "Injected mesh containers carry a seccomp profile", ("164.312(a)(1)",), "medium",
           "Give istio-validation and istio-proxy seccompProfile RuntimeDefault: global.proxy.seccompProfile "
           "(Istio 1.28+) or a default injection template (components.k8s.addons.SECCOMP_TEMPLATE)."),
        _c("MESH-08", "Approved external hosts are read-only unless declared writable", ("164.312(e)(1)",), "high",
           "Register read-only hosts as HTTP with TLS origination and a VirtualService passing GET and HEAD only; "
           "list a host in egress.writable_hosts (stack) and writableExternalHosts (pack config) only when it must "
           "accept writes."),
        # --- DETECT ----------------------------------------------------------------------------------------
        _c("DETECT-01", "Denied network flows are logged", ("164.312(b)", "164.308(a)(1)(ii)(D)"), "medium",
           "Set nodeAgent.enablePolicyEventLogs 'true' in the vpc-cni add-on configuration."),
        _c("DETECT-02", "Mesh access logs are written", ("164.312(b)",), "medium",
           "Set meshConfig.accessLogFile (e.g. /dev/stdout) in istiod's values."),
        _c("DETECT-03", "The trail streams to CloudWatch Logs, where alarms can watch it",
           ("164.308(a)(1)(ii)(D)",), "medium",
           "Set cloud_watch_logs_group_arn and cloud_watch_logs_role_arn on the trail. Streaming makes activity "
           "review possible; no alarm is checked here, so the control supports review and claims nothing for "
           "incident response (164.308(a)(6)(ii)).", supports=("164.308(a)(1)(ii)(D)",)),
        _c("DETECT-04", "Security alarms go to an encrypted topic only this account's alarm services publish to",
           ("164.308(a)(6)(ii)", "164.312(a)(2)(iv)"), "high",
           "Encrypt the topic with a customer key whose policy lets CloudWatch, EventBridge, CloudTrail and GuardDuty "
           "use it for this topic only (kms:EncryptionContext:aws:sns:topicArn), and give it a policy whose every "
           "statement pins its publisher with aws:SourceAccount / aws:SourceArn (components.aws.alarms.AlarmTopic; "
           "detection.alarms)."),
        _c("DETECT-05", "The trail notifies the security-alarm topic", ("164.308(a)(1)(ii)(D)",), "low",
           "Set sns_topic_name on the trail to the alarm topic's ARN (AuditTrailArgs.sns_topic_arn).",
           supports=("164.308(a)(1)(ii)(D)",)),
        _c("DETECT-06", "Denied NetworkPolicy flows raise an alarm",
           ("164.308(a)(1)(ii)(D)", "164.308(a)(6)(ii)"), "medium",
           "Set nodeAgent.enableCloudWatchLogs 'true' on the vpc-cni add-on (with the CloudWatch Logs permissions AWS "
           "documents, on its role), and put a metric filter counting 'PolicyVerdict: DENY' lines on "
           "/aws/eks/<cluster>/cluster with an alarm to the alarm topic (detection.alarms)."),
        _c("DETECT-07", "Refused egress and large transfers out raise alarms",
           ("164.308(a)(1)(ii)(D)", "164.308(a)(6)(ii)"), "high",
           "Write flow logs in components.aws.signals.FLOW_LOG_FORMAT and put metric filters on their group for "
           "REJECTed egress to addresses outside the VPC and for the bytes of accepted egress out of it (per source "
           "subnet), and per zone for the sidecars' BlackHoleCluster / block_all drops, each with an alarm "
           "(detection.alarms, detection.thresholds)."),
        _c("DETECT-08", "Artifact access by an undeclared principal raises an alarm",
           ("164.308(a)(1)(ii)(D)", "164.308(a)(6)(ii)", "164.312(b)"), "high",
           "Put a metric filter on the trail's log group per artifact bucket counting its S3 data events by any "
           "principal but its identities' roles, with an alarm to the alarm topic (detection.alarms)."),
        _c("DETECT-09", "A trail or flow log that stops delivering raises an alarm",
           ("164.312(b)", "164.308(a)(6)(ii)"), "high",
           "Count every record of the trail's and the flow log's groups with a metric filter and alarm when fewer "
           "than the threshold arrive, treating missing data as breaching "
           "(detection.thresholds.log_delivery_stopped)."),
        _c("DETECT-10", "Security configuration changes by anyone but the deployment roles raise an alarm",
           ("164.308(a)(1)(ii)(D)", "164.308(a)(6)(ii)"), "high",
           "Put metric filters on the trail's log group for KMS key-policy, trail, bucket-policy, security-group and "
           "EKS access-entry changes by principals other than the deployment roles (detection.deployment_role_arns, "
           "default cluster.admin_role_arns), each with an alarm; name those roles in deploymentRoles."),
        _c("DETECT-11", "GuardDuty watches EKS audit logs, runtime and S3, and its findings reach the alarm topic",
           ("164.308(a)(5)(ii)(B)", "164.308(a)(6)(ii)", "164.308(a)(1)(ii)(D)"), "high",
           "Create a detector with the EKS_AUDIT_LOGS, EKS_RUNTIME_MONITORING (EKS_ADDON_MANAGEMENT) and "
           "S3_DATA_EVENTS features and an EventBridge rule sending 'GuardDuty Finding' events to the alarm topic "
           "(detection.guardduty.mode: create), or set managedByOrganization with a note where the organisation "
           "runs it."),
        _c("DETECT-12", "Runtime detection (Falco) watches every node and alerts the alarm topic",
           ("164.308(a)(5)(ii)(B)", "164.308(a)(6)(ii)", "164.308(a)(1)(ii)(D)"), "high",
           "Install Falco's chart at an exact version with the modern eBPF driver, tolerating the GPU and system "
           "taints, without node selector, in its own namespace, with falcosidekick publishing to the alarm topic "
           "(detection.falco.enabled; components.k8s.runtime_detection), or set runtimeDetectionElsewhere with a "
           "note."),
        # --- RECOVER ---------------------------------------------------------------------------------------
        _c("RECOVER-01", "The audit log store is immutable", ("164.312(c)(1)", "164.312(b)"), "high",
           "Give the bucket the trail writes to object lock in COMPLIANCE mode for at least the audit retention."),
        _c("RECOVER-02", "Data and clusters cannot be destroyed by accident", ("164.308(a)(7)(ii)(A)",), "medium",
           "Keep force_destroy False on buckets and deletion_protection True on clusters."),
        _c("RECOVER-03", "Keys wait at least 30 days before deletion", ("164.308(a)(7)(ii)(B)",), "medium",
           "Set deletion_window_in_days to 30 (or the pack config's minimum)."),
        _c("RECOVER-04", "Model and dataset buckets are replicated to another region under a customer key",
           ("164.308(a)(7)(ii)(A)", "164.308(a)(7)(ii)(B)", "164.312(a)(2)(iv)"), "high",
           "Give every production datasets and models bucket an Enabled replication rule that selects the whole "
           "bucket, replicates SSE-KMS objects (sse_kms_encrypted_objects 'Enabled') and names as replica_kms_key_id "
           "the ARN of a customer key in another region (backups.enabled and backups.region in the stack file)."),
        _c("RECOVER-05", "Backup replicas are written only by their replication role",
           ("164.308(a)(7)(ii)(A)", "164.312(c)(1)"), "high",
           "Give every replication destination a bucket policy that denies s3:PutObject*, s3:DeleteObject* and "
           "s3:Replicate* unless aws:PrincipalArn is the replication role (admin roles included), and that does not "
           "deny that role's s3:ReplicateObject (components.BucketBackups writes it)."),
        # --- DATA ------------------------------------------------------------------------------------------
        _c("DATA-01", "Each node pool's volumes use its own zone's key", ("164.312(a)(2)(iv)", "164.308(a)(4)"),
           "medium",
           "Encrypt a pool's root volumes with the KMS key of the pool's zone (tagged enclave:zone), not another "
           "zone's."),
        _c("DATA-02", "KMS grants are pinned to their bucket", ("164.312(a)(1)",), "high",
           "Limit kms:Decrypt / GenerateDataKey grants with kms:ViaService s3.<region>.amazonaws.com and "
           "kms:EncryptionContext:aws:s3:arn naming the bucket."),
        _c("DATA-03", "Inference is read-only; notebooks never reach production models",
           ("164.308(a)(4)", "164.312(a)(1)"), "high",
           "Give inference ServiceAccounts' roles read grants only, and notebook roles no grant on a production "
           "models bucket (tagged enclave:purpose=models, enclave:stage=production)."),
        _c("DATA-04", "Notebooks read no datasets, and nothing a training identity writes",
           ("164.308(a)(4)", "164.312(a)(1)"), "high",
           "Give notebook roles no grant on a datasets bucket, and read grants only on a prefix that only promotion "
           "roles write (components: identities[].promotion); training roles, and any role that reads datasets, "
           "write candidates elsewhere."),
        _c("DATA-08", "Persistent volumes are encrypted with their zone's customer key",
           ("164.312(a)(2)(iv)",), "high",
           "Give every EBS StorageClass (ebs.csi.aws.com, or the legacy kubernetes.io/aws-ebs) parameters encrypted "
           "'true' and kmsKeyId the ARN of its zone's key (storage.encrypted_volumes makes enclave-<zone> so); mark no "
           "class on a zone's key default, and leave the add-on's defaultStorageClass off."),
        _c("DATA-09", "Each zone claims volumes of its own StorageClass only", ("164.308(a)(4)", "164.312(a)(1)"),
           "high",
           "Give every zone namespace a ResourceQuota (no scopes) with <class>.storageclass.storage.k8s.io/"
           "requests.storage: '0' for every StorageClass but the zone's own (the platform's storage-classes quota)."),
        _c("DATA-10", "Secrets Manager secrets are encrypted with their zone's customer key, rotated where required",
           ("164.312(a)(2)(iv)", "164.308(a)(4)"), "high",
           "Set kms_key_id on every aws.secretsmanager.Secret (and each replica) to the key of the secret's zone "
           "(tagged enclave:zone; secrets.secrets makes enclave/<env>/<zone>/<name> so), never aws/secretsmanager; "
           "give a secret tagged enclave:rotation=required (or named in rotationRequired) a SecretRotation every "
           "maxRotationDays days or less."),
        _c("DATA-11", "Zone workloads read secrets from the manager as read-only files, not Kubernetes Secrets",
           ("164.312(a)(1)", "164.312(a)(2)(iv)"), "high",
           "Keep secret values out of Kubernetes: no Secret with data in a zone namespace, no secretObjects in a "
           "SecretProviderClass, syncSecret.enabled false on the secrets-store-csi-driver chart; give each "
           "SecretProviderClass of a zone only objects under the zone's path (enclave/<env>/<zone>/) with a "
           "filePermission that grants no write or execute (the platform's enclave-<zone> classes); let no zone "
           "workload's pods read a Secret (secret or projected secret volumes, secretKeyRef, envFrom secretRef) and "
           "mount the Secrets Store volume readOnly: true, read-only in every container."),
    )
}  # fmt: skip
