"""Weakenings of the prod stack, each the kind of edit a real change could make: a property turned off, a
companion resource dropped, a policy statement loosened, a raw resource added beside the components. Each
names the control that must then fail (test_weakenings.py runs them through the pack with prod's config).

A weakening edits the synthesized records (what the engine would send), so it also stands for the same change
made in a user's own stack outside the components."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role"
REPLICA_SID = "DenyReplicaWritesButReplication"  # components.aws.data_perimeter


class Records:
    """The prod records, editable by resource name."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def find(self, name: str) -> dict[str, Any]:
        found = [r for r in self.records if r["name"] == name]
        assert len(found) == 1, f"{name}: {len(found)} records (the prod stack changed?)"
        return found[0]

    def inputs(self, name: str) -> dict[str, Any]:
        return self.find(name)["inputs"]

    def doc(self, name: str, edit: Callable[[dict[str, Any]], None], field: str = "policy") -> None:
        """Edit a JSON policy document held in a string property."""
        inputs = self.inputs(name)
        document = json.loads(inputs[field])
        edit(document)
        inputs[field] = json.dumps(document)

    def statements(self, name: str, keep: Callable[[dict[str, Any]], bool], field: str = "policy") -> None:
        def edit(d: dict[str, Any]) -> None:
            before = len(d["Statement"])
            d["Statement"] = [s for s in d["Statement"] if keep(s)]
            assert len(d["Statement"]) < before, f"{name}: no statement removed"

        self.doc(name, edit, field)

    def drop(self, name: str) -> None:
        self.records.remove(self.find(name))

    def add(self, name: str, rtype: str, inputs: dict[str, Any], **deps: list[str]) -> None:
        urn = f"urn:pulumi:prod::gpu-enclave::{rtype}::{name}"
        self.records.append(
            {
                "urn": urn,
                "type": rtype,
                "name": name,
                "inputs": inputs,
                "parent": "",
                "dependencies": sorted({u for us in deps.values() for u in us}),
                "propertyDependencies": deps,
            }
        )

    def urn(self, name: str) -> str:
        return str(self.find(name)["urn"])


@dataclass(frozen=True)
class Weakening:
    id: str
    control: str
    edit: Callable[[Records], None]
    # the resource the finding must name (a fragment of its URN); defaults to the first one edited
    on: str = ""


def _set(name: str, **values: Any) -> Callable[[Records], None]:
    return lambda w: w.inputs(name).update(values)


def _k8s_spec(name: str, **values: Any) -> Callable[[Records], None]:
    return lambda w: w.inputs(name)["spec"].update(values)


def _add_statement(name: str, statement: dict[str, Any], field: str = "policy") -> Callable[[Records], None]:
    return lambda w: w.doc(name, lambda d: d["Statement"].append(statement), field)


def _label(namespace: str, key: str, value: str | None) -> Callable[[Records], None]:
    def edit(w: Records) -> None:
        labels = w.inputs(f"cluster-namespace-{namespace}")["metadata"]["labels"]
        if value is None:
            labels.pop(key)
        else:
            labels[key] = value

    return edit


def _lt_interfaces(name: str, edit: Callable[[list[dict[str, Any]]], None]) -> Callable[[Records], None]:
    return lambda w: edit(w.inputs(name)["networkInterfaces"])


def _grant_without_context(w: Records) -> None:
    def edit(d: dict[str, Any]) -> None:
        for s in d["Statement"]:
            if any(str(a).startswith("kms:") for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])):
                for block in s["Condition"].values():
                    block.pop("kms:EncryptionContext:aws:s3:arn", None)

    w.doc("prod-trainer-grants", edit)


def _notebook_reads_models_prod(w: Records) -> None:
    bucket = w.inputs("prod-models-prod-bucket")["bucket"]
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/radiology/*"}
    w.doc("prod-notebook-grants", lambda d: d["Statement"].append(statement))


def _trainer_writes_promoted(w: Records) -> None:
    bucket = w.inputs("prod-models-staging-bucket")["bucket"]
    statement = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/promoted/*"}
    w.doc("prod-trainer-grants", lambda d: d["Statement"].append(statement))


def _notebook_reads_datasets(w: Records) -> None:
    bucket = w.inputs("prod-datasets-bucket")["bucket"]
    statement = {"Effect": "Allow", "Action": "s3:GetObject*", "Resource": f"arn:aws:s3:::{bucket}/imaging/*"}
    w.doc("prod-notebook-grants", lambda d: d["Statement"].append(statement))


def _inference_writes(w: Records) -> None:
    def edit(d: dict[str, Any]) -> None:
        first = d["Statement"][0]
        first["Action"] = [
            *([first["Action"]] if isinstance(first["Action"], str) else first["Action"]),
            "s3:PutObject",
        ]

    w.doc("prod-model-server-grants", edit)


def _alarms_from_any_account(w: Records) -> None:
    """The CloudWatch statement loses its account pin: any account's alarms could publish."""

    def edit(d: dict[str, Any]) -> None:
        for st in d["Statement"]:
            if st.get("Sid") == "CloudWatchAlarms":
                st.pop("Condition")

    w.doc("prod-topic-policy", edit)


def _undeclared_roles_only(w: Records) -> None:
    """The datasets alarm judges sessions of roles only: IAM users and the root user read unnoticed."""
    inputs = w.inputs("prod-undeclared-access-datasets-filter")
    bucket = w.inputs("prod-datasets-bucket")["bucket"]
    inputs["pattern"] = (
        f'{{ $.eventSource = "s3.amazonaws.com" && $.requestParameters.bucketName = "{bucket}" && '
        f'$.userIdentity.sessionContext.sessionIssuer.arn != "{ROLE}/prod-trainer-role" }}'
    )


def _mesh_identity_vap_dropped(w: Records) -> None:
    w.drop("cluster-validatingadmissionpolicy-enclave-mesh-identity")
    w.drop("cluster-validatingadmissionpolicybinding-enclave-mesh-identity")


def _placement_dropped(w: Records) -> None:
    w.drop("cluster-validatingadmissionpolicy-enclave-placement-notebooks")
    w.drop("cluster-validatingadmissionpolicybinding-enclave-placement-notebooks")
    w.drop("cluster-clusterpolicy-enclave-placement-notebooks")


def _drop_vap(name: str, binding: str | None = None) -> Callable[[Records], None]:
    def edit(w: Records) -> None:
        w.drop(f"cluster-validatingadmissionpolicy-{name}")
        w.drop(f"cluster-validatingadmissionpolicybinding-{binding or name}")

    return edit


def _scratch_namespace(w: Records) -> None:
    w.add("scratch", "kubernetes:core/v1:Namespace", {"apiVersion": "v1", "kind": "Namespace",
                                                       "metadata": {"name": "scratch"}})  # fmt: skip


def _placement_pods_only(w: Records) -> None:
    spec = w.inputs("cluster-validatingadmissionpolicy-enclave-placement-notebooks")["spec"]
    spec["matchConstraints"]["resourceRules"] = spec["matchConstraints"]["resourceRules"][:1]


def _kyverno_one_replica(w: Records) -> None:
    w.inputs("prod-kyverno")["values"]["admissionController"]["replicas"] = 1


def _istiod_no_seccomp(w: Records) -> None:
    w.inputs("prod-istiod")["values"].pop("sidecarInjectorWebhook")


def _read_only_host_opaque(w: Records) -> None:
    entry = w.inputs("training-serviceentry-egress-read-only")["spec"]
    entry["ports"] = [{"number": 443, "name": "tls", "protocol": "TLS"}]


def _replication_rule(bucket: str, **values: Any) -> Callable[[Records], None]:
    """An edit of the one replication rule of bucket `bucket` (its finding is on the source bucket)."""

    def edit(w: Records) -> None:
        (rule,) = w.inputs(f"prod-{bucket}-replication")["rules"]
        rule.update(values)

    return edit


def _replica_writer(arn: str) -> Callable[[Records], None]:
    """One more principal the models-prod replica's write Deny excepts."""

    def edit(w: Records) -> None:
        def add(d: dict[str, Any]) -> None:
            (stmt,) = [s for s in d["Statement"] if s.get("Sid") == REPLICA_SID]
            stmt["Condition"]["StringNotEqualsIfExists"]["aws:PrincipalArn"].append(arn)

        w.doc("prod-replica-models-prod-policy", add)

    return edit


def _replica_key_here(w: Records) -> None:
    """The replica key a key of the stack's own region: the models-prod bucket's own key, by ARN."""
    (rule,) = w.inputs("prod-models-prod-replication")["rules"]
    here = rule["destination"]["encryptionConfiguration"]["replicaKmsKeyId"].replace(":us-west-2:", ":us-east-1:")
    rule["destination"]["encryptionConfiguration"]["replicaKmsKeyId"] = here


def _public_bucket(w: Records) -> None:
    w.add("shadow-exports", "aws:s3/bucket:Bucket", {"bucket": "shadow-exports", "acl": "public-read"})


def _key_granted_to_partner(w: Records) -> None:
    # the training key opened to another account by a grant, beside a key policy that allows no such thing
    key = w.find("prod-training-key")["urn"]
    inputs = {
        "keyId": "0d3c9c5e-5b0e-4f55-9a5e-0123456789ab",
        "granteePrincipal": "arn:aws:iam::444455556666:role/partner-trainer",
        "operations": ["Decrypt", "DescribeKey"],
    }
    w.add("partner-grant", "aws:kms/grant:Grant", inputs, keyId=[key])


def _iam_user(w: Records) -> None:
    w.add("ci-deployer", "aws:iam/user:User", {"name": "ci-deployer"})
    w.add("ci-deployer-key", "aws:iam/accessKey:AccessKey", {"user": "ci-deployer"})


def _attach(role: str, policy: str) -> Callable[[Records], None]:
    def edit(w: Records) -> None:
        w.add(
            f"{role}-{policy.lower()}",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            {"role": w.inputs(role).get("name", role), "policyArn": f"arn:aws:iam::aws:policy/{policy}"},
            role=[w.urn(role)],
        )

    return edit


def _endpoint_open(w: Records) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["Statement"] = [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]

    w.doc("prod-vpce-s3", edit)


def _internet_route(w: Records) -> None:
    vpc = w.urn("prod-vpc")
    w.add("prod-igw", "aws:ec2/internetGateway:InternetGateway", {"vpcId": "vpc-02c7bcf3fd036b857"}, vpcId=[vpc])
    w.add(
        "prod-rt-us-east-1a-default",
        "aws:ec2/route:Route",
        {"routeTableId": "rtb-0d956523f1cabe33e", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-0123456789"},
    )


def _ssh_from_world(w: Records) -> None:
    w.add(
        "prod-training-nodes-ssh",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        {
            "securityGroupId": "sg-0223eaf4cb09fa25b",
            "ipProtocol": "tcp",
            "fromPort": 22,
            "toPort": 22,
            "cidrIpv4": "0.0.0.0/0",
        },
    )


def _inline_all_ports(w: Records) -> None:
    """Every TCP port from the training nodes, written inline on the notebooks' group (the legacy shape)."""
    training = w.urn("prod-training-nodes")
    group = w.find("prod-notebooks-nodes")
    group["inputs"]["ingress"] = [{"protocol": "tcp", "fromPort": 0, "toPort": 65535, "securityGroups": ["sg-0"]}]
    group["propertyDependencies"]["ingress"] = [training]


def _allow_dot_com(w: Records) -> None:
    """A team adds every .com name to the allow list (say, for a package index with many mirrors)."""
    w.inputs("prod-dns-allowed")["domains"].append("*.com")


def _flow_copy_to_scratch(w: Records) -> None:
    """The flow-log copy pointed at a bucket made beside the components, encrypted but with no object lock."""
    w.add("scratch-logs", "aws:s3/bucket:Bucket", {"bucket": "scratch-logs", "tags": {"enclave:purpose": "audit-logs"}})
    w.inputs("prod-flow-log-copy")["logDestination"] = "arn:aws:s3:::scratch-logs/flow-logs/"


def _perimeter_any_endpoint(w: Records) -> None:
    """The network half rewritten to 'any VPC endpoint': another account's endpoint lets a stolen credential in."""

    def edit(d: dict[str, Any]) -> None:
        (network,) = [s for s in d["Statement"] if s.get("Sid") == "DenyOutsideVpcEndpoints"]
        network["Condition"].pop("StringNotEqualsIfExists")
        network["Condition"]["StringNotLikeIfExists"] = {"aws:SourceVpce": "vpce-*"}

    w.doc("prod-checkpoints-policy", edit)


def _cluster_admin_for_team(w: Records) -> None:
    w.add(
        "prod-ml-research-admin",
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
        {
            "clusterName": "enclave-prod",
            "principalArn": f"{ROLE}/ml-research",
            "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            "accessScope": {"type": "cluster"},
        },
    )


def _workload_cluster_admin(w: Records) -> None:
    w.inputs("training-rolebinding-data-scientist")["roleRef"] = {
        "kind": "ClusterRole",
        "apiGroup": "rbac.authorization.k8s.io",
        "name": "cluster-admin",
    }


def _public_service_entry(w: Records) -> None:
    w.add(
        "training-serviceentry-paste",
        "kubernetes:networking.istio.io/v1:ServiceEntry",
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "ServiceEntry",
            "metadata": {"name": "paste", "namespace": "training"},
            "spec": {
                "hosts": ["pastebin.com"],
                "location": "MESH_EXTERNAL",
                "resolution": "DNS",
                "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}],
                "exportTo": ["."],
            },
        },
    )


def _egress_to_internet(w: Records) -> None:
    egress = w.inputs("training-networkpolicy-allow-egress-endpoints")["spec"]["egress"]
    egress[0]["to"].append({"ipBlock": {"cidr": "0.0.0.0/0"}})


def _ingress_from_anyone(w: Records) -> None:
    spec = w.inputs("training-networkpolicy-allow-from-training")["spec"]
    spec["ingress"] = [{}]


def _efa_sg_open(w: Records) -> None:
    rule = w.inputs("prod-train-p5-efa-ingress-self")
    rule.pop("referencedSecurityGroupId", None)
    rule["cidrIpv4"] = "10.0.0.0/8"


def _efa_on_inference(w: Records) -> None:
    nics = w.inputs("prod-infer-g6e-launch-template")["networkInterfaces"]
    nics.append({**nics[0], "interfaceType": "efa", "networkCardIndex": 1, "deviceIndex": 0})


def _efa_unplaced(w: Records) -> None:
    w.inputs("prod-train-p5-launch-template").pop("placement", None)


def _rbac_wildcard(w: Records) -> None:
    w.inputs("training-role-training-job")["rules"].append({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})


def _role_trust_any_sa(w: Records) -> None:
    def edit(d: dict[str, Any]) -> None:
        cond = d["Statement"][0]["Condition"]["StringEquals"]
        sub = next(k for k in cond if k.endswith(":sub"))
        cond.pop(sub)
        d["Statement"][0]["Condition"]["StringLike"] = {sub: "system:serviceaccount:*"}

    w.doc("prod-trainer-role", edit, "assumeRolePolicy")


def _trainer_star(w: Records) -> None:
    w.doc(
        "prod-trainer-grants", lambda d: d["Statement"].append({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    )


def _service_key_use_unscoped(w: Records) -> None:
    def edit(d: dict[str, Any]) -> None:
        for s in d["Statement"]:
            if s.get("Sid") == "CloudWatchLogsEncryptLogGroups":
                s.pop("Condition")

    w.doc("prod-audit-key", edit)


def _no_tls_deny(w: Records) -> None:
    w.statements("prod-datasets-policy", lambda s: "aws:SecureTransport" not in json.dumps(s.get("Condition", {})))


def _no_encryption_denies(w: Records) -> None:
    w.statements(
        "prod-datasets-policy", lambda s: "s3:x-amz-server-side-encryption" not in json.dumps(s.get("Condition", {}))
    )


def _authz_any_source(w: Records) -> None:
    w.inputs("training-authorizationpolicy-allow-from-training")["spec"]["rules"][0].pop("from")


def _mesh_access_log_off(w: Records) -> None:
    w.inputs("prod-istiod")["values"]["meshConfig"]["accessLogFile"] = ""


def _mesh_allow_any(w: Records) -> None:
    w.inputs("prod-istiod")["values"]["meshConfig"]["outboundTrafficPolicy"] = {"mode": "ALLOW_ANY"}


def _sidecar_allow_any(w: Records) -> None:
    w.inputs("training-sidecar-default")["spec"]["outboundTrafficPolicy"] = {"mode": "ALLOW_ANY"}


def _volume_key_of_other_zone(w: Records) -> None:
    lt = w.inputs("prod-notebooks-g6-launch-template")
    key = w.find("prod-training-key")
    lt["blockDeviceMappings"][0]["ebs"]["kmsKeyId"] = "arn:aws:kms:us-east-1:111122223333:key/other"
    deps = w.find("prod-notebooks-g6-launch-template")["propertyDependencies"]
    deps["blockDeviceMappings"] = [key["urn"]]


def _unencrypted_volume(w: Records) -> None:
    ebs = w.inputs("prod-system-launch-template")["blockDeviceMappings"][0]["ebs"]
    ebs["encrypted"] = "false"


TRAINING_CLASS = "cluster-storageclass-enclave-training"


def _class_on_other_zone_key(w: Records) -> None:
    deps = w.find(TRAINING_CLASS)["propertyDependencies"]
    deps["parameters"] = [w.urn("prod-inference-key")]


def _raw_default_gp2(w: Records) -> None:
    w.add(
        "gp2",
        "kubernetes:storage.k8s.io/v1:StorageClass",
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "gp2", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "kubernetes.io/aws-ebs",
            "parameters": {"type": "gp2", "fsType": "ext4"},
        },
    )


def _raw_shared_class(w: Records) -> None:
    """An encrypted class of no zone (DATA-08 is content): the zones' quotas do not name it, so all may claim it."""
    w.add(
        "fast",
        "kubernetes:storage.k8s.io/v1:StorageClass",
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "fast"},
            "provisioner": "ebs.csi.aws.com",
            "parameters": {"type": "io2", "encrypted": "true", "kmsKeyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k"},
        },
    )


def _quota_scoped(w: Records) -> None:
    w.inputs("training-resourcequota-storage-classes")["spec"]["scopeSelector"] = {
        "matchExpressions": [{"scopeName": "VolumeAttributesClass", "operator": "In", "values": ["gold"]}]
    }


def _quota_allows_inference(w: Records) -> None:
    hard = w.inputs("training-resourcequota-storage-classes")["spec"]["hard"]
    for k in [k for k in hard if k.startswith("enclave-inference.")]:
        hard[k] = "100Gi"


TRACKER_SECRET = "prod-training-experiment-tracker-token"
TRAINING_SPC = "training-secretproviderclass-enclave-training"


def _secret_on_inference_key(w: Records) -> None:
    """The training zone's secret encrypted with the inference zone's key."""
    record = w.find(TRACKER_SECRET)
    record["propertyDependencies"]["kmsKeyId"] = [w.urn("prod-inference-key")]
    record["dependencies"] = sorted({*record["dependencies"], w.urn("prod-inference-key")})


def _opaque_secret(w: Records) -> None:
    """A plain Kubernetes Secret with a credential in the training namespace."""
    w.add(
        "tracker-credentials",
        "kubernetes:core/v1:Secret",
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "tracker", "namespace": "training"},
            "type": "Opaque",
            "stringData": {"token": "not-a-real-token"},
        },
    )


def _secret_env_in_zone(w: Records) -> None:
    """A raw Deployment in training reading a Kubernetes Secret (made out of band) into its environment."""
    env = [{"name": "TRACKER_TOKEN", "valueFrom": {"secretKeyRef": {"name": "tracker", "key": "token"}}}]
    container = {"name": "trainer", "image": "trainer:1", "env": env}
    spec = {"template": {"metadata": {"labels": {"app": "tracker-sync"}}, "spec": {"containers": [container]}}}
    metadata = {"name": "tracker-sync", "namespace": "training"}
    w.add("tracker-sync", "kubernetes:apps/v1:Deployment",
          {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata, "spec": spec})  # fmt: skip


def _partner_pulls(doc: dict[str, Any]) -> None:
    """Another account's root allowed to pull, and spared by the zone's pull Deny (by aws:PrincipalAccount)."""
    fetch = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    partner = {"AWS": "arn:aws:iam::444455556666:root"}
    doc["Statement"].append({"Sid": "PartnerPull", "Effect": "Allow", "Action": fetch, "Principal": partner})
    for s in doc["Statement"]:
        if s["Sid"] == "PullOnlyByZoneNodes":
            s["Condition"]["StringNotEquals"] = {"aws:PrincipalAccount": "444455556666"}


WEAKENINGS: list[Weakening] = [
    # --- KMS -------------------------------------------------------------------------------------------------
    Weakening("key-rotation-off", "KMS-01", _set("prod-training-key", enableKeyRotation=False)),
    Weakening(
        "key-admin-to-a-team-role",
        "KMS-02",
        _add_statement(
            "prod-training-key",
            {
                "Sid": "TeamAdmin",
                "Effect": "Allow",
                "Principal": {"AWS": f"{ROLE}/ml-research"},
                "Action": "kms:*",
                "Resource": "*",
            },
        ),
    ),
    Weakening(
        "key-open-to-everyone",
        "KMS-02",
        _add_statement(
            "prod-inference-key",
            {"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"},
        ),
    ),
    Weakening(
        "key-policy-put-by-wildcard",  # kms:Put* is kms:PutKeyPolicy: the trainer may administer and use the key
        "KMS-02",
        _add_statement(
            "prod-training-key",
            {
                "Sid": "Trainer",
                "Effect": "Allow",
                "Principal": {"AWS": f"{ROLE}/prod-trainer-role"},
                "Action": ["KMS:Put*", "kms:Decrypt"],
                "Resource": "*",
            },
        ),
    ),
    Weakening("service-key-use-not-scoped", "KMS-03", _service_key_use_unscoped, on="prod-audit-key"),
    Weakening("key-deletion-window-7-days", "RECOVER-03", _set("prod-models-prod-key", deletionWindowInDays=7)),
    # --- S3 --------------------------------------------------------------------------------------------------
    Weakening(
        "bucket-sse-s3",
        "S3-01",
        lambda w: w.inputs("prod-datasets-encryption")["rules"][0].update(
            {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
        ),
        on="prod-datasets-bucket",
    ),
    Weakening(
        "bucket-encryption-dropped",
        "S3-01",
        lambda w: w.drop("prod-checkpoints-encryption"),
        on="prod-checkpoints-bucket",
    ),
    Weakening(
        "bucket-key-off",
        "S3-01",
        lambda w: w.inputs("prod-models-prod-encryption")["rules"][0].update({"bucketKeyEnabled": False}),
        on="prod-models-prod-bucket",
    ),
    Weakening(
        "sse-c-allowed",
        "S3-02",
        lambda w: w.inputs("prod-datasets-encryption")["rules"][0].pop("blockedEncryptionTypes"),
        on="prod-datasets",
    ),
    Weakening(
        "public-access-block-dropped",
        "S3-03",
        lambda w: w.drop("prod-datasets-public-access-block"),
        on="prod-datasets-bucket",
    ),
    Weakening(
        "public-policies-allowed", "S3-03", _set("prod-models-prod-public-access-block", blockPublicPolicy=False)
    ),
    Weakening(
        "object-acls-enabled",
        "S3-04",
        lambda w: w.inputs("prod-datasets-ownership").update({"rule": {"objectOwnership": "BucketOwnerPreferred"}}),
        on="prod-datasets",
    ),
    Weakening(
        "versioning-suspended",
        "S3-05",
        lambda w: w.inputs("prod-checkpoints-versioning").update({"versioningConfiguration": {"status": "Suspended"}}),
        on="prod-checkpoints",
    ),
    Weakening("tls-deny-removed", "S3-06", _no_tls_deny, on="prod-datasets"),
    Weakening(
        "perimeter-network-half-dropped",
        "S3-11",
        lambda w: w.statements("prod-datasets-policy", lambda st: st.get("Sid") != "DenyOutsideVpcEndpoints"),
        on="prod-datasets-bucket",
    ),
    Weakening(
        "perimeter-identity-half-dropped",
        "S3-11",
        lambda w: w.statements("prod-models-prod-policy", lambda st: st.get("Sid") != "DenyUndeclaredPrincipals"),
        on="prod-models-prod-bucket",
    ),
    Weakening("perimeter-any-endpoint", "S3-11", _perimeter_any_endpoint, on="prod-checkpoints-bucket"),
    Weakening(
        "tls-deny-never-matches",  # StringEquals compares case-sensitively: the request says "false"
        "S3-06",
        lambda w: w.doc(
            "prod-datasets-policy",
            lambda d: d["Statement"][0].update({"Condition": {"StringEquals": {"aws:SecureTransport": "False"}}}),
        ),
        on="prod-datasets",
    ),
    Weakening("encryption-denies-removed", "S3-07", _no_encryption_denies, on="prod-datasets"),
    Weakening(
        "bucket-readable-by-anyone",
        "S3-08",
        _add_statement(
            "prod-models-staging-policy",
            {
                "Sid": "Public",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::prod-models-staging-bucket-8aebef1/*",
            },
        ),
        on="prod-models-staging",
    ),
    Weakening("raw-public-bucket", "S3-08", _public_bucket, on="shadow-exports"),
    Weakening(
        "bucket-open-by-wildcard-source-account",  # '*' under StringLike names every account
        "S3-08",
        _add_statement(
            "prod-datasets-policy",
            {
                "Sid": "Partners",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::prod-datasets-bucket-efec5cf/*",
                "Condition": {"StringLike": {"aws:PrincipalAccount": "*"}},
            },
        ),
        on="prod-datasets-policy",
    ),
    Weakening("raw-bucket-unencrypted", "S3-01", _public_bucket, on="shadow-exports"),
    Weakening("access-logging-dropped", "S3-09", lambda w: w.drop("prod-datasets-logging"), on="prod-datasets-bucket"),
    Weakening("lifecycle-dropped", "S3-10", lambda w: w.drop("prod-checkpoints-lifecycle"), on="prod-checkpoints"),
    Weakening("bucket-force-destroy", "RECOVER-02", _set("prod-datasets-bucket", forceDestroy=True)),
    Weakening(
        "audit-lock-governance",
        "RECOVER-01",
        lambda w: w.inputs("prod-audit-logs-object-lock")["rule"]["defaultRetention"].update({"mode": "GOVERNANCE"}),
        on="prod-audit-logs",
    ),
    Weakening(
        "audit-lock-one-year",
        "RECOVER-01",
        lambda w: w.inputs("prod-audit-logs-object-lock")["rule"]["defaultRetention"].update({"days": 365}),
        on="prod-audit-logs",
    ),
    Weakening(
        "replication-dropped", "RECOVER-04", lambda w: w.drop("prod-datasets-replication"), on="prod-datasets-bucket"
    ),
    Weakening(
        "replication-rule-disabled",
        "RECOVER-04",
        _replication_rule("models-prod", status="Disabled"),
        on="prod-models-prod-bucket",
    ),
    Weakening(
        "replication-on-one-prefix",
        "RECOVER-04",
        _replication_rule("datasets", filter={"prefix": "imaging/"}),
        on="prod-datasets-bucket",
    ),
    Weakening(
        "replication-skips-sse-kms-objects",
        "RECOVER-04",
        _replication_rule("datasets", sourceSelectionCriteria={"replicaModifications": {"status": "Disabled"}}),
        on="prod-datasets-bucket",
    ),
    Weakening("replica-key-in-the-source-region", "RECOVER-04", _replica_key_here, on="prod-models-prod-bucket"),
    Weakening(
        "replica-unencrypted",
        "RECOVER-04",
        _replication_rule("datasets", destination={"bucket": "arn:aws:s3:::prod-replica-datasets-bucket-dcee590"}),
        on="prod-datasets-bucket",
    ),
    Weakening(
        "replica-writes-unguarded",
        "RECOVER-05",
        lambda w: w.statements("prod-replica-datasets-policy", lambda s: s.get("Sid") != REPLICA_SID),
        on="prod-replica-datasets-bucket",
    ),
    Weakening(
        "replica-writable-by-the-deployer",
        "RECOVER-05",
        _replica_writer(f"{ROLE}/platform-admin"),
        on="prod-replica-models-prod-bucket",
    ),
    # --- EKS -------------------------------------------------------------------------------------------------
    Weakening(
        "secrets-unencrypted", "EKS-01", lambda w: w.inputs("prod-cluster").pop("encryptionConfig"), on="prod-cluster"
    ),
    Weakening("audit-log-type-off", "EKS-02", _set("prod-cluster", enabledClusterLogTypes=["api", "authenticator"])),
    Weakening(
        "public-endpoint-to-world",
        "EKS-03",
        lambda w: w.inputs("prod-cluster")["vpcConfig"].update(
            {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}
        ),
        on="prod-cluster",
    ),
    Weakening("cni-policy-enforcement-off", "EKS-04", _set("prod-vpc-cni", configurationValues="{}")),
    Weakening(
        "config-map-auth",
        "EKS-05",
        lambda w: w.inputs("prod-cluster")["accessConfig"].update({"authenticationMode": "API_AND_CONFIG_MAP"}),
        on="prod-cluster",
    ),
    Weakening(
        "creator-bootstrap-admin",
        "EKS-05",
        lambda w: w.inputs("prod-cluster")["accessConfig"].update({"bootstrapClusterCreatorAdminPermissions": True}),
        on="prod-cluster",
    ),
    Weakening("team-role-cluster-admin", "EKS-06", _cluster_admin_for_team, on="prod-ml-research-admin"),
    Weakening("cluster-deletable", "RECOVER-02", _set("prod-cluster", deletionProtection=False)),
    # --- NODE / EFA ------------------------------------------------------------------------------------------
    Weakening(
        "imdsv1",
        "NODE-01",
        lambda w: w.inputs("prod-infer-g6e-launch-template")["metadataOptions"].update({"httpTokens": "optional"}),
        on="prod-infer-g6e-launch-template",
    ),
    Weakening(
        "imds-hop-limit-2",
        "NODE-01",
        lambda w: w.inputs("prod-system-launch-template")["metadataOptions"].update({"httpPutResponseHopLimit": 2}),
        on="prod-system-launch-template",
    ),
    Weakening("node-volume-unencrypted", "NODE-02", _unencrypted_volume, on="prod-system-launch-template"),
    Weakening(
        "node-public-ip",
        "NODE-03",
        _lt_interfaces(
            "prod-notebooks-g6-launch-template", lambda nics: nics[0].update({"associatePublicIpAddress": "true"})
        ),
        on="prod-notebooks-g6-launch-template",
    ),
    Weakening("subnet-public-ip-on-launch", "NODE-03", _set("prod-node-us-east-1b", mapPublicIpOnLaunch=True)),
    Weakening("gpu-pool-untainted", "NODE-04", _set("prod-infer-g6e-node-group", taints=[])),
    Weakening(
        "pool-zone-label-removed",
        "NODE-05",
        lambda w: w.inputs("prod-notebooks-g6-node-group")["labels"].pop("enclave.dev/zone"),
        on="prod-notebooks-g6-node-group",
    ),
    Weakening(
        "node-role-s3-full-access",
        "NODE-06",
        _attach("prod-train-p5-node-role", "AmazonS3FullAccess"),
        on="prod-train-p5",
    ),
    Weakening(
        "node-volume-key-of-another-zone", "DATA-01", _volume_key_of_other_zone, on="prod-notebooks-g6-launch-template"
    ),
    Weakening("efa-group-opened", "EFA-01", _efa_sg_open, on="prod-train-p5-launch-template"),
    Weakening("efa-on-inference", "EFA-02", _efa_on_inference, on="prod-infer-g6e-node-group"),
    Weakening("efa-pool-unplaced", "EFA-03", _efa_unplaced, on="prod-train-p5"),
    # --- IAM -------------------------------------------------------------------------------------------------
    Weakening("irsa-trust-any-service-account", "IAM-01", _role_trust_any_sa, on="prod-trainer-role"),
    Weakening("grant-on-everything", "IAM-02", _trainer_star, on="prod-trainer-grants"),
    Weakening("twelve-hour-sessions", "IAM-03", _set("prod-trainer-role", maxSessionDuration=43200)),
    Weakening("iam-user-with-key", "IAM-04", _iam_user, on="ci-deployer"),
    Weakening(
        "workload-role-without-service-account", "IAM-05", lambda w: w.drop("prod-trainer-sa"), on="prod-trainer-role"
    ),
    Weakening("oidc-extra-audience", "IAM-06", _set("prod-oidc", clientIdLists=["sts.amazonaws.com", "my-app"])),
    Weakening(
        "admin-policy-on-workload",
        "IAM-07",
        _attach("prod-trainer-role", "AdministratorAccess"),
        on="prod-trainer-role-administratoraccess",
    ),
    # images per zone: the inference repository keeps its Allow for the inference nodes but loses the Deny of pulls,
    # so every node of the account (AmazonEC2ContainerRegistryPullOnly) pulls inference images again
    Weakening(
        "inference-images-pull-deny-dropped",
        "IAM-08",
        lambda w: w.statements(
            "prod-inference-images-model-server-policy", lambda s: s["Sid"] != "PullOnlyByZoneNodes"
        ),
        on="prod-inference-images-model-server",
    ),
    Weakening(
        "notebook-nodes-spared-by-inference-images",
        "IAM-08",
        lambda w: w.doc(
            "prod-inference-images-model-server-policy",
            lambda d: [
                s["Condition"]["ArnNotEquals"]["aws:PrincipalArn"].append(
                    "arn:aws:iam::111122223333:role/prod-notebooks-g6-node"
                )
                for s in d["Statement"]
                if s["Sid"] == "PullOnlyByZoneNodes"
            ],
        ),
        on="prod-inference-images-model-server",
    ),
    Weakening(
        "inference-images-pulled-by-another-account",
        "IAM-08",
        lambda w: w.doc("prod-inference-images-model-server-policy", _partner_pulls),
        on="prod-inference-images-model-server",
    ),
    # not an IRSA role: the trust of the EKS service role opened to anyone, then to everyone but one principal
    Weakening(
        "cluster-role-trusts-anyone",
        "IAM-10",
        lambda w: w.doc("prod-cluster-role", lambda d: d["Statement"][0].update(Principal="*"), "assumeRolePolicy"),
    ),
    Weakening(
        "node-role-trusts-all-but-one",
        "IAM-10",
        lambda w: w.doc(
            "prod-system-node-role",
            lambda d: d["Statement"][0].update(NotPrincipal=d["Statement"][0].pop("Principal")),
            "assumeRolePolicy",
        ),
    ),
    # --- LOG / DETECT ----------------------------------------------------------------------------------------
    Weakening("trail-one-region", "LOG-01", _set("prod-trail", isMultiRegionTrail=False)),
    Weakening("trail-unvalidated", "LOG-01", _set("prod-trail", enableLogFileValidation=False)),
    Weakening("trail-unencrypted", "LOG-02", lambda w: w.inputs("prod-trail").pop("kmsKeyId"), on="prod-trail"),
    Weakening(
        "trail-no-data-events",
        "LOG-03",
        lambda w: w.inputs("prod-trail").update(
            {"advancedEventSelectors": w.inputs("prod-trail")["advancedEventSelectors"][:1]}
        ),
        on="bucket",
    ),
    Weakening(
        "log-group-unencrypted", "LOG-04", lambda w: w.inputs("prod-flow-logs").pop("kmsKeyId"), on="prod-flow-logs"
    ),
    Weakening("audit-logs-kept-a-year", "LOG-05", _set("prod-control-plane-logs", retentionInDays=365)),
    # both flow logs: the CloudWatch one the alarms read and its S3 copy (either alone still records the VPC)
    Weakening(
        "flow-logs-dropped",
        "LOG-06",
        lambda w: [w.drop(n) for n in ("prod-flow-log", "prod-flow-log-copy")],
        on="prod-vpc",
    ),
    Weakening("flow-log-accepts-only", "LOG-06", _set("prod-flow-log", trafficType="ACCEPT")),
    Weakening(
        "control-plane-copy-dropped", "LOG-07", lambda w: w.drop("prod-control-plane-log-copy"), on="prod-cluster"
    ),
    Weakening(
        "control-plane-copy-errors-only",
        "LOG-07",
        _set("prod-control-plane-log-copy", filterPattern="ERROR"),
        on="prod-cluster",
    ),
    Weakening("flow-log-copy-dropped", "LOG-07", lambda w: w.drop("prod-flow-log-copy"), on="prod-vpc"),
    Weakening("flow-log-copy-to-a-scratch-bucket", "LOG-07", _flow_copy_to_scratch, on="prod-vpc"),
    Weakening(
        "log-copy-stream-to-splunk", "LOG-07", _set("prod-log-copy-stream", destination="splunk"), on="prod-cluster"
    ),
    Weakening(
        "log-copy-stream-aws-owned-key",
        "LOG-08",
        _set("prod-log-copy-stream", serverSideEncryption={"enabled": True, "keyType": "AWS_OWNED_CMK"}),
    ),
    Weakening(
        "log-copy-stream-unencrypted", "LOG-08", lambda w: w.inputs("prod-log-copy-stream").pop("serverSideEncryption")
    ),
    Weakening(
        "log-copy-objects-aws-managed-key",
        "LOG-08",
        lambda w: w.inputs("prod-log-copy-stream")["extendedS3Configuration"].update({"kmsKeyArn": "alias/aws/s3"}),
    ),
    Weakening(
        "denied-flows-unlogged",
        "DETECT-01",
        _set("prod-vpc-cni", configurationValues=json.dumps({"enableNetworkPolicy": "true"})),
    ),
    Weakening("mesh-access-log-off", "DETECT-02", _mesh_access_log_off, on="prod-istiod"),
    Weakening(
        "trail-not-streamed",
        "DETECT-03",
        lambda w: w.inputs("prod-trail").pop("cloudWatchLogsGroupArn"),
        on="prod-trail",
    ),
    Weakening("alarm-topic-aws-key", "DETECT-04", _set("prod-topic", kmsMasterKeyId="alias/aws/sns")),
    Weakening("alarm-topic-any-account-publishes", "DETECT-04", _alarms_from_any_account, on="prod-topic-policy"),
    Weakening(
        "trail-notifies-nobody", "DETECT-05", lambda w: w.inputs("prod-trail").pop("snsTopicName"), on="prod-trail"
    ),
    Weakening(
        "denied-flows-not-in-cloudwatch",
        "DETECT-06",
        _set(
            "prod-vpc-cni",
            configurationValues=json.dumps(
                {"enableNetworkPolicy": "true", "nodeAgent": {"enablePolicyEventLogs": "true"}}
            ),
        ),
    ),
    Weakening(
        "denied-flow-alarm-silenced",
        "DETECT-06",
        _set("prod-denied-network-policy-flows-alarm", actionsEnabled=False),
        on="prod-vpc-cni",
    ),
    Weakening(
        "egress-refusals-counted-inside-too",
        "DETECT-07",
        lambda w: w.inputs("prod-egress-refused-filter").update(
            pattern=w.inputs("prod-egress-refused-filter")["pattern"].split(", dstaddr!=")[0]
            + ", dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action=REJECT, log_status, vpc_id, "
            "subnet_id, flow_direction=egress, pkt_srcaddr, pkt_dstaddr]"
        ),
        on="prod-flow-log",
    ),
    Weakening(
        "large-transfers-count-records",
        "DETECT-07",
        lambda w: w.inputs("prod-large-transfer-out-filter")["metricTransformation"].update(value="1"),
        on="prod-flow-log",
    ),
    Weakening(
        "mesh-drops-of-training-unwatched",
        "DETECT-07",
        lambda w: w.drop("prod-egress-refused-mesh-training-filter"),
        on="cluster-namespace-training",
    ),
    Weakening("undeclared-access-by-roles-only", "DETECT-08", _undeclared_roles_only, on="prod-datasets-bucket"),
    Weakening(
        "trail-stopping-unalarmed",
        "DETECT-09",
        _set("prod-trail-delivery-stopped-alarm", treatMissingData="notBreaching"),
        on="prod-trail",
    ),
    Weakening(
        "security-group-changes-unwatched",
        "DETECT-10",
        lambda w: w.drop("prod-security-group-changed-filter"),
        on="prod-trail",
    ),
    Weakening(
        "guardduty-without-runtime", "DETECT-11", lambda w: w.drop("prod-eks-runtime-monitoring"), on="prod-detector"
    ),
    Weakening(
        "guardduty-findings-go-nowhere",
        "DETECT-11",
        lambda w: w.drop("prod-findings-target-0"),
        on="prod-detector",
    ),
    Weakening("falco-removed", "DETECT-12", lambda w: w.drop("prod-falco"), on="prod-cluster"),
    Weakening(
        "falco-kernel-module",
        "DETECT-12",
        lambda w: w.inputs("prod-falco")["values"]["driver"].update(kind="kmod"),
        on="prod-falco",
    ),
    Weakening(
        "falco-off-the-gpu-nodes",
        "DETECT-12",
        lambda w: w.inputs("prod-falco")["values"].update(
            tolerations=[{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}]
        ),
        on="prod-falco",
    ),
    Weakening(
        "falco-alerts-nowhere",
        "DETECT-12",
        lambda w: w.inputs("prod-falco")["values"]["falcosidekick"].update(enabled=False),
        on="prod-falco",
    ),
    Weakening(
        "detection-namespace-open",
        "K8S-25",
        lambda w: w.drop("cluster-validatingadmissionpolicybinding-enclave-detection-agents"),
        on="cluster-namespace-falco",
    ),
    # --- NET -------------------------------------------------------------------------------------------------
    Weakening("internet-route", "NET-01", _internet_route),
    Weakening("ssh-from-the-world", "NET-02", _ssh_from_world, on="prod-training-nodes-ssh"),
    Weakening(
        "default-sg-opened",
        "NET-03",
        _set("prod-default-sg", ingress=[{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]),
        on="prod-default-sg",
    ),
    Weakening("s3-endpoint-open", "NET-04", _endpoint_open, on="prod-vpce-s3"),
    Weakening(
        "system-pool-every-protocol-into-training",
        "NET-05",
        _set("prod-training-nodes-from-platform-nodes-kubelet", ipProtocol="-1", fromPort=-1, toPort=-1),
    ),
    Weakening("inline-node-group-every-port", "NET-05", _inline_all_ports, on="prod-notebooks-nodes"),
    Weakening("dns-query-log-detached", "NET-06", lambda w: w.drop("prod-dns-query-log-vpc"), on="prod-vpc"),
    Weakening("dns-catch-all-only-alerts", "NET-07", _set("prod-dns-block-rest", action="ALERT"), on="prod-vpc"),
    Weakening("dns-allow-every-com-name", "NET-07", _allow_dot_com, on="prod-vpc"),
    Weakening("dns-firewall-fails-open", "NET-07", _set("prod-dns-firewall-config", firewallFailOpen="ENABLED")),
    # --- K8S -------------------------------------------------------------------------------------------------
    Weakening(
        "notebooks-privileged",
        "K8S-01",
        _label("notebooks", "pod-security.kubernetes.io/enforce", "privileged"),
        on="notebooks",
    ),
    Weakening("default-deny-dropped", "K8S-02", lambda w: w.drop("training-networkpolicy-default-deny"), on="training"),
    Weakening("egress-to-internet", "K8S-03", _egress_to_internet, on="allow-egress-endpoints"),
    Weakening("ingress-from-anyone", "K8S-04", _ingress_from_anyone, on="allow-from-training"),
    Weakening("workload-bound-cluster-admin", "K8S-05", _workload_cluster_admin, on="training-rolebinding"),
    Weakening("wildcard-role", "K8S-06", _rbac_wildcard, on="training-role-training-job"),
    Weakening("token-automount", "K8S-07", _set("prod-trainer-sa", automountServiceAccountToken=True)),
    Weakening("gpu-quota-dropped", "K8S-08", lambda w: w.drop("inference-resourcequota-accelerators"), on="inference"),
    Weakening(
        "registries-audit-only",
        "K8S-09",
        # rules[1]: the training zone's rule (one rule per zone with images per zone)
        lambda w: w.inputs("prod-approved-registries")["spec"]["rules"][1]["validate"].update(
            {"failureAction": "Audit"}
        ),
        on="training",
    ),
    Weakening("notebooks-placement-dropped", "K8S-10", _placement_dropped, on="notebooks"),
    Weakening("mesh-identity-guard-dropped", "K8S-11", _mesh_identity_vap_dropped),
    Weakening("agents-policy-dropped", "K8S-12", _drop_vap("enclave-node-agents"), on="node-agents"),
    Weakening("namespace-outside-zones", "K8S-13", _scratch_namespace, on="scratch"),
    Weakening("namespace-scope-dropped", "K8S-13", _drop_vap("enclave-namespace-scope"), on="inference"),
    Weakening("privileges-guard-dropped", "K8S-14", _drop_vap("enclave-workload-privileges"), on="training"),
    Weakening("placement-pods-only", "K8S-15", _placement_pods_only, on="notebooks"),
    Weakening("kyverno-one-replica", "K8S-16", _kyverno_one_replica, on="prod-kyverno"),
    Weakening("any-account-for-any-group", "K8S-17", _drop_vap("enclave-service-accounts-training"), on="training"),
    # --- MESH / DATA -----------------------------------------------------------------------------------------
    Weakening(
        "mtls-permissive",
        "MESH-01",
        lambda w: w.inputs("training-peerauthentication-default")["spec"].update({"mtls": {"mode": "PERMISSIVE"}}),
        on="training-peerauthentication",
    ),
    Weakening(
        "allow-nothing-dropped",
        "MESH-02",
        lambda w: w.drop("training-authorizationpolicy-allow-nothing"),
        on="training",
    ),
    Weakening("authorization-from-anyone", "MESH-02", _authz_any_source, on="allow-from-training"),
    Weakening("sidecar-allow-any", "MESH-03", _sidecar_allow_any, on="training-sidecar"),
    Weakening("mesh-default-allow-any", "MESH-03", _mesh_allow_any, on="prod-istiod"),
    Weakening("public-service-entry", "MESH-04", _public_service_entry, on="training-serviceentry-paste"),
    Weakening("sidecar-injection-off", "MESH-05", _label("inference", "istio-injection", None), on="inference"),
    Weakening("mesh-opt-out-allowed", "MESH-06", _drop_vap("enclave-mesh-inference"), on="inference"),
    Weakening("sidecar-without-seccomp", "MESH-07", _istiod_no_seccomp, on="prod-istiod"),
    Weakening("read-only-host-opaque", "MESH-08", _read_only_host_opaque, on="egress-read-only"),
    Weakening("kms-grant-not-pinned", "DATA-02", _grant_without_context, on="prod-trainer-grants"),
    Weakening("notebook-reads-production-models", "DATA-03", _notebook_reads_models_prod, on="prod-notebook-grants"),
    Weakening("inference-writes-models", "DATA-03", _inference_writes, on="prod-model-server-grants"),
    Weakening("training-key-granted-to-another-account", "KMS-02", _key_granted_to_partner, on="partner-grant"),
    Weakening("trainer-writes-promoted", "DATA-04", _trainer_writes_promoted, on="prod-notebook-role"),
    Weakening("notebook-reads-datasets", "DATA-04", _notebook_reads_datasets, on="prod-notebook-role"),
    Weakening(
        "storage-class-unencrypted",
        "DATA-08",
        lambda w: w.inputs(TRAINING_CLASS)["parameters"].update(encrypted="false"),
        on=TRAINING_CLASS,
    ),
    Weakening(
        "storage-class-aws-managed-key",
        "DATA-08",
        lambda w: w.inputs(TRAINING_CLASS)["parameters"].pop("kmsKeyId"),
        on=TRAINING_CLASS,
    ),
    Weakening("storage-class-of-another-zone-key", "DATA-08", _class_on_other_zone_key, on=TRAINING_CLASS),
    Weakening("legacy-gp2-default-class-added", "DATA-08", _raw_default_gp2, on="gp2"),
    Weakening(
        "ebs-addon-default-class",
        "DATA-08",
        _set("prod-ebs-csi", configurationValues='{"defaultStorageClass": {"enabled": true}}'),
    ),
    Weakening(
        "zone-quota-dropped",
        "DATA-09",
        lambda w: w.drop("training-resourcequota-storage-classes"),
        on="cluster-namespace-training",
    ),
    Weakening("zone-quota-scoped-to-nothing", "DATA-09", _quota_scoped, on="cluster-namespace-training"),
    Weakening("zone-quota-allows-another-class", "DATA-09", _quota_allows_inference, on="cluster-namespace-training"),
    Weakening("shared-class-claimable", "DATA-09", _raw_shared_class, on="cluster-namespace-training"),
    Weakening(
        "manager-secret-default-key",
        "DATA-10",
        lambda w: w.inputs(TRACKER_SECRET).pop("kmsKeyId"),
        on=TRACKER_SECRET,
    ),
    Weakening("manager-secret-other-zone-key", "DATA-10", _secret_on_inference_key, on=TRACKER_SECRET),
    Weakening(
        "manager-secret-rotation-required",
        "DATA-10",
        lambda w: w.inputs(TRACKER_SECRET)["tags"].update({"enclave:rotation": "required"}),
        on=TRACKER_SECRET,
    ),
    Weakening(
        "secret-provider-class-syncs-secret",
        "DATA-11",
        lambda w: w.inputs(TRAINING_SPC)["spec"].update(secretObjects=[{"secretName": "tracker", "type": "Opaque"}]),
        on=TRAINING_SPC,
    ),
    Weakening(
        "secret-provider-class-writable-files",
        "DATA-11",
        lambda w: w.inputs(TRAINING_SPC)["spec"]["parameters"].update(
            objects="- objectName: enclave/prod/training/experiment-tracker-token\n  objectType: secretsmanager\n"
        ),
        on=TRAINING_SPC,
    ),
    Weakening(
        "secrets-store-driver-syncs-secrets",
        "DATA-11",
        lambda w: w.inputs("prod-secrets-store-csi-driver")["values"].update(syncSecret={"enabled": True}),
    ),
    Weakening("opaque-secret-in-zone", "DATA-11", _opaque_secret, on="tracker-credentials"),
    Weakening("secret-env-in-zone-workload", "DATA-11", _secret_env_in_zone, on="tracker-sync"),
]

# Kubernetes weakenings in shapes the components never emit (issue 18), kept in their own module.
from tests.policy_packs.weakenings_k8s import K8S_WEAKENINGS  # noqa: E402

WEAKENINGS += K8S_WEAKENINGS
