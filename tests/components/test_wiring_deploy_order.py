"""Deploy order of a first `pulumi up`, read off the offline synth of every shipped stack: what must exist
before what (dependsOn, property dependencies and the provider each resource is created with, followed
transitively, as the engine schedules them). A missing edge is invisible in a preview and in every policy,
and fails only the first real deployment: a trail refused for want of its bucket policy, a ServiceAccount
created before its namespace, Istio objects before their CRDs, nodes before their CNI.

Breaks that prove the wiring tests. Each edit (under components/) was applied alone in a clone at 08a5e2c,
the new tests run, the test named failed (for each shipped stack, [dev] [staging] [prod], unless noted)
and the edit was reverted. Test ids are relative to tests/components/.

1    platform.py: ebs_autoscaling=platform (the pool zones' keys lose the Auto Scaling role)
     -> test_wiring_keys.py::test_every_node_volume_key_admits_the_autoscaling_service_linked_role
        (also test_key_policy_principals_per_key)
1b   aws/kms.py: CreateGrant condition kms:GrantIsForAWSResource "true" -> "false"
     -> test_wiring_keys.py::test_every_node_volume_key_admits_the_autoscaling_service_linked_role
2    platform.py: AuditTrail without depends_on=[the audit bucket's policy]
     -> test_wiring_deploy_order.py::test_trail_waits_for_the_audit_bucket_policy_that_admits_cloudtrail
3    platform.py: WorkloadIdentity without service_account_depends_on=[its namespace]
     -> test_wiring_deploy_order.py::test_irsa_service_accounts_wait_for_their_namespace
        (also test_every_namespaced_object_waits_for_whatever_creates_its_namespace)
4    k8s/trust_zone.py: deps = [ns_res] (mesh objects no longer wait for istio-base)
     -> test_wiring_deploy_order.py::test_istio_objects_wait_for_the_istio_crds
        (also test_custom_resources_wait_for_the_release_that_installs_their_crds)
5    k8s/rbac.py: the data-scientist RoleBinding bound to zone.access.ml_engineer_groups
     -> test_wiring_rbac.py::test_persona_role_bindings_bind_exactly_the_configured_groups
        ([prod] and [staging]; dev binds no persona)
6    config/references.py: NCCL rule counts every protocol (`if port.protocol == "TCP"` dropped)
     -> config/test_cross_field_rules.py::test_rule_refuses_naming_the_path[nccl-window-over-udp]
7    k8s/network_policies.py: INTERNET_EXCEPT = []
     -> test_wiring_network.py::test_internet_egress_never_reaches_private_ranges_or_instance_metadata
        (also test_each_zone_reaches_exactly_its_declared_egress_destinations[prod+platform-internet])
8    config/references.py: `if not endpoint.private:` -> `if False:` (private-endpoint rule gone)
     -> config/test_cross_field_rules.py::test_rule_refuses_naming_the_path[private-endpoint-off]
        (also [private-endpoint-off-public-on])
9    config/references.py: notebook hosts-need-an-egress.proxy rule -> `if False:`
     -> config/test_cross_field_rules.py::test_rule_refuses_naming_the_path[notebook-hosts-without-proxy]
9b   config/references.py: notebook egress CIDRs no longer held to the AWS endpoint block
     -> config/test_cross_field_rules.py::test_rule_refuses_naming_the_path[notebooks-to-the-mirror-directly]
10a  platform.py: node prerequisites without the VPC CNI add-on
     -> test_wiring_deploy_order.py::test_node_groups_wait_for_the_cni_and_the_endpoints_and_routes_nodes_boot_through
10b  platform.py: node prerequisites without VPC endpoints, route associations, transit routes
     -> test_wiring_deploy_order.py::test_node_groups_wait_for_the_cni_and_the_endpoints_and_routes_nodes_boot_through
10c  platform.py: node pools' ready without their zone's security group rules
     -> test_wiring_deploy_order.py::test_node_groups_wait_for_their_role_policies_and_security_group_rules
10d  aws/node_pool.py: NodeGroup no longer waits for its role's policy attachments
     -> test_wiring_deploy_order.py::test_node_groups_wait_for_their_role_policies_and_security_group_rules
10e  platform.py: ClusterAddons nodes_ready=[] (releases no longer wait for the system pool)
     -> test_wiring_deploy_order.py::test_cluster_addons_wait_for_the_system_pool_and_never_for_a_gpu_pool
10f  aws/cluster.py: CoreDNS and kube-proxy add-ons without depends_on=system_nodes
     -> test_wiring_deploy_order.py::test_cluster_addons_wait_for_the_system_pool_and_never_for_a_gpu_pool
10g  k8s/trust_zone.py: zone objects no longer wait for their Namespace
     -> test_wiring_deploy_order.py::test_every_zone_namespace_object_exists_after_the_namespace
        (also test_every_namespaced_object_waits_for_whatever_creates_its_namespace)
10h  aws/cluster.py: kubernetes provider without depends_on=[admin access policies, API rules]
     -> test_wiring_deploy_order.py::test_kubernetes_objects_wait_for_the_deployers_cluster_access
10i  aws/cluster.py: Cluster no longer waits for its control-plane log group
     -> test_wiring_deploy_order.py::test_cluster_waits_for_its_encrypted_control_plane_log_group
10j  aws/audit.py: Trail no longer waits for its CloudWatch delivery role policy
     -> test_wiring_deploy_order.py::test_trail_waits_for_its_cloudwatch_delivery_role_policy
10k  aws/bucket.py: BucketLogging without depends_on=log_bucket_ready
     -> test_wiring_deploy_order.py::test_bucket_access_logging_waits_for_the_log_bucket_policy
10l  aws/bucket.py: object lock configuration without depends_on=[versioning]
     -> test_wiring_deploy_order.py::test_object_lock_waits_for_versioning
10m  k8s/trust_zone.py: zone Kyverno policies no longer wait for the kyverno release
     -> test_wiring_deploy_order.py::test_custom_resources_wait_for_the_release_that_installs_their_crds
"""

from __future__ import annotations

import pytest

from tests.conftest import STACKS

from .wiring import (
    BUCKET,
    BUCKET_POLICY,
    BUILT_IN_NAMESPACES,
    LOG_GROUP,
    NODE_GROUP,
    RELEASE,
    TRAIL,
    Deployed,
    Record,
    Synth,
    action_allowed,
    api_group,
    deployed,
    document,
    k8s_name,
    k8s_namespace,
    principals,
    statements,
)

CLUSTER = "aws:eks/cluster:Cluster"
ADDON = "aws:eks/addon:Addon"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"

# What a node needs to join without an internet path: EC2 (the CNI assigns addresses), ECR API and registry
# (image pulls), S3 (image layers) and STS (the CNI's IRSA role). AWS EKS user guide, "private clusters".
NODE_BOOTSTRAP_SERVICES = {"ec2", "ecr.api", "ecr.dkr", "s3", "sts"}
# The managed policies a node role needs to join the cluster and pull images (EKS user guide, "node IAM role").
NODE_ROLE_POLICIES = {"AmazonEKSWorkerNodePolicy"}
NODE_IMAGE_PULL_POLICIES = {"AmazonEC2ContainerRegistryReadOnly", "AmazonEC2ContainerRegistryPullOnly"}
# CRD API groups -> (a fragment of the chart repository, the chart) of the Helm release that installs them.
CRD_RELEASES = {"istio.io": ("istio", "base"), "kyverno.io": ("kyverno", "kyverno")}
BUILT_IN_GROUPS = {"", "apps", "batch", "policy", "autoscaling"}
CRITICAL_ADDONS_TAINT = "CriticalAddonsOnly"

pytestmark = pytest.mark.parametrize("stack", STACKS)


def platform_of(synthed: Synth, stack: str) -> Deployed:
    return deployed(synthed(stack))


def created_cluster(p: Deployed) -> Record | None:
    clusters = p.of_type(CLUSTER)
    assert len(clusters) == (1 if p.cfg.cluster.mode == "create" else 0), p.stack
    return clusters[0] if clusters else None


# ----- the audit trail -----------------------------------------------------------------------------------
def test_trail_waits_for_the_audit_bucket_policy_that_admits_cloudtrail(synthed: Synth, stack: str) -> None:
    """CreateTrail checks the bucket policy (InsufficientS3BucketPolicyException): the trail must be created
    after the policy that lets cloudtrail.amazonaws.com write into the audit bucket."""
    p = platform_of(synthed, stack)
    (trail,) = p.of_type(TRAIL)
    (bucket,) = p.property_deps(trail, "s3BucketName", BUCKET)
    assert bucket["name"] == f"{stack}-{p.cfg.audit_bucket.name}-bucket", "the trail writes to the audit bucket"
    (policy,) = p.users_of(bucket, BUCKET_POLICY, "bucket")
    writes = [
        s
        for s in statements(document(policy))
        if s["Effect"] == "Allow" and "cloudtrail.amazonaws.com" in principals(s) and action_allowed(s, "s3:PutObject")
    ]
    assert writes, f"{policy['name']} does not let CloudTrail write"
    assert p.waits_for(trail, policy), f"{trail['name']} is created before {policy['name']}: CreateTrail fails"


def test_trail_waits_for_its_cloudwatch_delivery_role_policy(synthed: Synth, stack: str) -> None:
    """CreateTrail checks that its CloudWatch Logs role may write the log group."""
    p = platform_of(synthed, stack)
    (trail,) = p.of_type(TRAIL)
    (role,) = p.property_deps(trail, "cloudWatchLogsRoleArn", ROLE)
    policies = [
        r
        for r in p.users_of(role, ROLE_POLICY, "role")
        if any(action_allowed(s, "logs:PutLogEvents") for s in statements(document(r)))
    ]
    assert policies, f"{role['name']} has no policy letting CloudTrail deliver to CloudWatch Logs"
    assert p.missing_waits([trail], policies) == []


# ----- namespaces -------------------------------------------------------------------------------------
def test_irsa_service_accounts_wait_for_their_namespace(synthed: Synth, stack: str) -> None:
    """Each identity's ServiceAccount exists, in its namespace, and is created after that namespace."""
    p = platform_of(synthed, stack)
    accounts = p.k8s_objects("ServiceAccount")
    assert {(k8s_namespace(r), k8s_name(r)) for r in accounts} == {
        (i.namespace, i.service_account) for i in p.cfg.identities
    }
    for account in accounts:
        namespace = p.namespace_resource(str(k8s_namespace(account)))
        assert namespace is not None, f"nothing creates namespace {k8s_namespace(account)}"
        assert p.waits_for(account, namespace), f"{account['name']} is created before {namespace['name']}"


def test_every_namespaced_object_waits_for_whatever_creates_its_namespace(synthed: Synth, stack: str) -> None:
    """A zone namespace's objects after the Namespace; objects in a namespace a Helm release creates (the
    mesh-wide policy in istio-system) after that release; nothing lands in a namespace nobody creates."""
    p = platform_of(synthed, stack)
    problems = []
    for r in p.kubernetes():
        ns = k8s_namespace(r)
        if ns is None or r["inputs"].get("kind") == "Namespace":
            continue
        creators = [c for c in [p.namespace_resource(ns)] if c is not None] + [
            rel
            for rel in p.of_type(RELEASE)
            if rel["inputs"].get("namespace") == ns and rel["inputs"].get("createNamespace")
        ]
        if not creators:
            if ns not in BUILT_IN_NAMESPACES:
                problems.append(f"{r['name']}: nothing creates namespace {ns}")
        elif not any(p.waits_for(r, c) for c in creators):
            problems.append(f"{r['name']} does not wait for namespace {ns} ({[c['name'] for c in creators]})")
    assert problems == []


def test_every_zone_namespace_object_exists_after_the_namespace(synthed: Synth, stack: str) -> None:
    """Every namespace of every zone is created, and each of its objects (policies, mesh, RBAC, quotas,
    service accounts) after it."""
    p = platform_of(synthed, stack)
    for zone in p.cfg.zones:
        for ns in zone.namespaces:
            namespace = p.namespace_resource(ns)
            assert namespace is not None, f"zone {zone.name}: namespace {ns} is not created"
            objects = [r for r in p.kubernetes() if k8s_namespace(r) == ns]
            kinds = {r["inputs"]["kind"] for r in objects}
            assert {"NetworkPolicy", "PeerAuthentication", "Sidecar", "ResourceQuota"} <= kinds, (ns, kinds)
            assert p.missing_waits(objects, [namespace]) == []


# ----- CRDs ---------------------------------------------------------------------------------------------
def crd_release(p: Deployed, group_suffix: str) -> Record:
    repo, chart = CRD_RELEASES[group_suffix]
    found = [
        r
        for r in p.of_type(RELEASE)
        if r["inputs"].get("chart") == chart and repo in str((r["inputs"].get("repositoryOpts") or {}).get("repo"))
    ]
    assert len(found) == 1, f"{p.stack}: expected one release of chart {chart} ({repo}), found {len(found)}"
    return found[0]


def test_istio_objects_wait_for_the_istio_crds(synthed: Synth, stack: str) -> None:
    """PeerAuthentication, AuthorizationPolicy, Sidecar and ServiceEntry are Istio CRDs, installed by the
    istio `base` chart: applied before it, every one of them fails with 'no matches for kind'."""
    p = platform_of(synthed, stack)
    base = crd_release(p, "istio.io")
    istio = [r for r in p.kubernetes() if api_group(r).endswith("istio.io")]
    kinds = {r["inputs"]["kind"] for r in istio}
    assert {"PeerAuthentication", "AuthorizationPolicy", "Sidecar", "ServiceEntry"} <= kinds, kinds
    assert p.missing_waits(istio, [base]) == []
    # istiod itself needs the CRDs it watches.
    (istiod,) = [r for r in p.of_type(RELEASE) if r["inputs"].get("chart") == "istiod"]
    assert p.waits_for(istiod, base)


def test_custom_resources_wait_for_the_release_that_installs_their_crds(synthed: Synth, stack: str) -> None:
    """Every object of a non-built-in API group (Istio, Kyverno policies) waits for the release that installs
    its CRDs; an object of a group no release installs is reported."""
    p = platform_of(synthed, stack)
    problems = []
    for r in p.kubernetes():
        group = api_group(r)
        if group in BUILT_IN_GROUPS or group.endswith("k8s.io"):
            continue
        suffix = next((s for s in CRD_RELEASES if group == s or group.endswith("." + s)), None)
        if suffix is None:
            problems.append(f"{r['name']}: no release installs the CRDs of {group}")
        elif not p.waits_for(r, crd_release(p, suffix)):
            problems.append(f"{r['name']} ({group}) does not wait for the release of its CRDs")
    assert problems == []


# ----- nodes --------------------------------------------------------------------------------------------
def _endpoint_service(p: Deployed, endpoint: Record) -> str:
    return str(endpoint["inputs"]["serviceName"]).removeprefix(f"com.amazonaws.{p.cfg.region}.")


def test_node_groups_wait_for_the_cni_and_the_endpoints_and_routes_nodes_boot_through(
    synthed: Synth, stack: str
) -> None:
    """Nodes launched before the VPC CNI add-on (the node role has no CNI permissions), before the VPC
    endpoints (no internet path: image pulls, EC2, STS) or before their subnets' routes join NotReady or
    never join, and the node group create times out."""
    p = platform_of(synthed, stack)
    groups = p.of_type(NODE_GROUP)
    assert groups
    before: list[Record] = []
    if created_cluster(p) is not None:
        cni = [a for a in p.of_type(ADDON) if a["inputs"]["addonName"] == "vpc-cni"]
        assert len(cni) == 1, "a created cluster installs the VPC CNI add-on"
        before += cni
    endpoints = [e for e in p.of_type(ENDPOINT) if _endpoint_service(p, e) in NODE_BOOTSTRAP_SERVICES]
    assert {_endpoint_service(p, e) for e in endpoints} == NODE_BOOTSTRAP_SERVICES
    before += endpoints
    assert p.missing_waits(groups, before) == []
    for group in groups:
        subnets = {s["urn"] for s in p.property_deps(group, "subnetIds", SUBNET)}
        associations = [
            a
            for a in p.of_type(ROUTE_TABLE_ASSOCIATION)
            if subnets & set(a["propertyDependencies"].get("subnetId", []))
        ]
        tables = {u for a in associations for u in a["propertyDependencies"].get("routeTableId", [])}
        routes = [r for r in p.of_type(ROUTE) if tables & set(r["propertyDependencies"].get("routeTableId", []))]
        if p.cfg.network.mode == "create":
            assert associations, f"{group['name']}: its subnets have no route table"
        assert p.missing_waits([group], associations + routes) == []


def test_node_groups_wait_for_their_role_policies_and_security_group_rules(synthed: Synth, stack: str) -> None:
    """A node joins only with the worker-node and image-pull policies on its role, through security groups
    whose rules exist (its own group's rules, the cluster group's rule admitting it to the API): the launch
    template replaces the cluster security group, so without them nodes cannot reach the control plane."""
    p = platform_of(synthed, stack)
    cluster = created_cluster(p)
    for group in p.of_type(NODE_GROUP):
        (role,) = p.property_deps(group, "nodeRoleArn", ROLE)
        attachments = p.users_of(role, ROLE_POLICY_ATTACHMENT, "role")
        policies = {str(a["inputs"]["policyArn"]).rsplit("/", 1)[-1] for a in attachments}
        assert policies >= NODE_ROLE_POLICIES and policies & NODE_IMAGE_PULL_POLICIES, (group["name"], policies)
        assert p.missing_waits([group], attachments) == []
        (template,) = p.property_deps(group, "launchTemplate", LAUNCH_TEMPLATE)
        groups = {g["urn"] for g in p.property_deps(template, "networkInterfaces", SECURITY_GROUP)}
        assert groups, f"{template['name']} attaches no security group"
        rules = []
        for rule in p.of_type(INGRESS_RULE) + p.of_type(EGRESS_RULE):
            on = set(rule["propertyDependencies"].get("securityGroupId", []))
            referenced = set(rule["propertyDependencies"].get("referencedSecurityGroupId", []))
            if on & groups or (cluster is not None and cluster["urn"] in on and referenced & groups):
                rules.append(rule)
        if cluster is not None:
            api = [r for r in rules if cluster["urn"] in r["propertyDependencies"].get("securityGroupId", [])]
            assert api, f"{group['name']}: no rule of the cluster security group admits its nodes to the API"
        assert p.missing_waits([group], rules) == []


def test_cluster_addons_wait_for_the_system_pool_and_never_for_a_gpu_pool(synthed: Synth, stack: str) -> None:
    """istiod, Kyverno and CoreDNS run on the system pool: an atomic Helm install (or an EKS add-on) whose
    pods have no node times out and rolls back. A GPU pool short of capacity must not hold them back."""
    p = platform_of(synthed, stack)
    groups = p.of_type(NODE_GROUP)
    system = [g for g in groups if any(t["key"] == CRITICAL_ADDONS_TAINT for t in g["inputs"].get("taints", []))]
    gpu = [g for g in groups if g not in system]
    if created_cluster(p) is None:
        assert system == []
        return
    assert len(system) == 1, "a created cluster has one system pool"
    releases = p.of_type(RELEASE)
    coredns = [a for a in p.of_type(ADDON) if a["inputs"]["addonName"] == "coredns"]
    assert releases and len(coredns) == 1
    assert p.missing_waits([*releases, *coredns], system) == []
    held_back = [f"{r['name']} -> {g['name']}" for r in releases + coredns for g in gpu if p.waits_for(r, g)]
    assert held_back == []


# ----- the cluster --------------------------------------------------------------------------------------
def test_kubernetes_objects_wait_for_the_deployers_cluster_access(synthed: Synth, stack: str) -> None:
    """The cluster has no creator bootstrap: the deployer reaches the API only through its admin access
    policy (and, private endpoint only, the security group rule for its network). Every Kubernetes object
    and release must be created after both."""
    p = platform_of(synthed, stack)
    cluster = created_cluster(p)
    if cluster is None:
        return
    admins = set(p.cfg.cluster.admin_role_arns)  # type: ignore[union-attr]
    access = [a for a in p.of_type(ACCESS_POLICY) if a["inputs"]["principalArn"] in admins]
    assert len(access) == len(admins)
    networks = set(p.cfg.cluster.endpoint.private_access_cidrs)  # type: ignore[union-attr]
    api_rules = [
        r
        for r in p.of_type(INGRESS_RULE)
        if r["inputs"].get("cidrIpv4") in networks
        and r["inputs"].get("fromPort") == 443
        and cluster["urn"] in r["propertyDependencies"].get("securityGroupId", [])
    ]
    assert len(api_rules) == len(networks)
    assert p.missing_waits([*p.kubernetes(), *p.of_type(RELEASE)], [cluster, *access, *api_rules]) == []


def test_cluster_waits_for_its_encrypted_control_plane_log_group(synthed: Synth, stack: str) -> None:
    """EKS creates /aws/eks/<name>/cluster itself (unencrypted, never expiring) unless it already exists."""
    p = platform_of(synthed, stack)
    cluster = created_cluster(p)
    if cluster is None:
        return
    name = cluster["inputs"]["name"]
    (group,) = [g for g in p.of_type(LOG_GROUP) if g["inputs"]["name"] == f"/aws/eks/{name}/cluster"]
    assert group["inputs"].get("kmsKeyId") and group["inputs"].get("retentionInDays")
    assert p.waits_for(cluster, group)


# ----- buckets ------------------------------------------------------------------------------------------
def test_bucket_access_logging_waits_for_the_log_bucket_policy(synthed: Synth, stack: str) -> None:
    """Server access logs are delivered by logging.s3.amazonaws.com under the target bucket's policy."""
    p = platform_of(synthed, stack)
    loggings = p.of_type("aws:s3/bucketLogging:BucketLogging")
    assert loggings
    for logging in loggings:
        (target,) = p.property_deps(logging, "targetBucket", BUCKET)
        (policy,) = p.users_of(target, BUCKET_POLICY, "bucket")
        assert any(
            "logging.s3.amazonaws.com" in principals(s) and action_allowed(s, "s3:PutObject")
            for s in statements(document(policy))
            if s["Effect"] == "Allow"
        ), f"{policy['name']} does not admit S3 log delivery"
        assert p.waits_for(logging, policy), f"{logging['name']} before {policy['name']}"


def test_object_lock_waits_for_versioning(synthed: Synth, stack: str) -> None:
    """S3 refuses an object lock configuration on a bucket without versioning."""
    p = platform_of(synthed, stack)
    locks = p.of_type("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert len(locks) == 1, "the audit bucket is locked"
    for lock in locks:
        (bucket,) = p.property_deps(lock, "bucket", BUCKET)
        versioning = p.users_of(bucket, "aws:s3/bucketVersioning:BucketVersioning", "bucket")
        assert len(versioning) == 1
        assert p.waits_for(lock, versioning[0])
