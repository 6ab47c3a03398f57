"""Whole stacks written in styles the components never emit, each with the exact findings the pack must give on
its AWS resources (test_corpus.py runs them over gRPC as the engine runs the pack).

- `team_raw`: a team's stack of raw pulumi-aws resources (legacy BucketV2 with inline settings as pulumi-aws 7
  sends them, an imported key, an IAM user with a console password, duplicated versioning).
- `plain_eks`: a program using only pulumi-aws and pulumi-kubernetes: a cluster, a CUSTOM-AMI GPU pool, an
  instance-profile role, security-group rules that add up to the internet, EKS Pod Identity.
- `perimeter`: a data bucket with the recommended data-perimeter denies (network and identity) beside TLS and
  encryption denies, and endpoint policies written with upper-case keys and single-object statements: compliant,
  no finding.
- `github_deploy`: a GitHub Actions OIDC deploy role and SAML access, with a customer-managed policy.
"""

from __future__ import annotations

import json
from typing import Any

from tests.policy_packs.fixtures import UNKNOWN, doc, k8s, res

ACCOUNT = "111122223333"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0f1e2d3c-0000-4000-8000-000000000001"


def one(statement: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statement})


def _tls(bucket: str) -> dict[str, Any]:
    arn = f"arn:aws:s3:::{bucket}"
    return {"Sid": "Tls", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "S3:*", "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"AWS:SecureTransport": "False"}}}  # fmt: skip


def _encryption_denies(bucket: str) -> list[dict[str, Any]]:
    obj = f"arn:aws:s3:::{bucket}/*"
    alg, key = "s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id"
    return [
        {"Sid": "Alg", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": obj,
         "Condition": {"Null": {alg: "false"}, "StringNotEquals": {alg: "aws:kms"}}},
        {"Sid": "NoKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": obj,
         "Condition": {"StringEquals": {alg: "aws:kms"}, "Null": {key: "true"}}},
        {"Sid": "Key", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": obj,
         "Condition": {"Null": {key: "false"}, "StringNotLike": {key: f"arn:aws:kms:us-east-1:{ACCOUNT}:key/*"}}},
        {"Sid": "SseC", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": obj,
         "Condition": {"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}}},
    ]  # fmt: skip


def _sse_rule() -> dict[str, Any]:
    return {
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN},
        "bucketKeyEnabled": True,
        "blockedEncryptionTypes": ["SSE-C"],
    }


def _companions(bucket: str, *, versioning: bool = True) -> list[dict[str, Any]]:
    """The companions a careful team writes by hand for bucket `bucket` (named, not by dependency)."""
    out = [
        res(f"{bucket}-pab", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            {"bucket": bucket, "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
             "restrictPublicBuckets": True}),
        res(f"{bucket}-own", "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            {"bucket": bucket, "rule": {"objectOwnership": "BucketOwnerEnforced"}}),
        res(f"{bucket}-log", "aws:s3/bucketLoggingV2:BucketLoggingV2", {"bucket": bucket, "targetBucket": "logs"}),
        res(f"{bucket}-life", "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
            {"bucket": bucket, "rules": [
                {"id": "n", "status": "Enabled", "noncurrentVersionExpiration": {"noncurrentDays": 30},
                 "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7}}]}),
    ]  # fmt: skip
    if versioning:
        out.append(
            res(f"{bucket}-ver", "aws:s3/bucketVersioningV2:BucketVersioningV2",
                {"bucket": bucket, "versioningConfiguration": {"status": "Enabled"}})
        )  # fmt: skip
    return out


def team_raw() -> list[dict[str, Any]]:
    bucket = "team-vision-weights"
    return [
        res("weights", "aws:s3/bucketV2:BucketV2", {
            "bucket": bucket,
            "tags": {"enclave:purpose": "models", "enclave:stage": "staging"},
            "serverSideEncryptionConfiguration": {"rule": _sse_rule()},  # as pulumi-aws 7 sends it: one rule
            "policy": doc(_tls(bucket), *_encryption_denies(bucket)),
        }),
        *_companions(bucket, versioning=False),
        # two versioning resources for one bucket: which holds depends on the order of apply
        res("weights-ver-a", "aws:s3/bucketVersioning:BucketVersioning",
            {"bucket": bucket, "versioningConfiguration": {"status": "Enabled"}}),
        res("weights-ver-b", "aws:s3/bucketVersioning:BucketVersioning",
            {"bucket": bucket, "versioningConfiguration": {"status": "Suspended"}}),
        # an imported key whose policy gives a role kms:Put* besides use, as one statement object
        res("hsm-key", "aws:kms/externalKey:ExternalKey", {
            "deletionWindowInDays": 30,
            "policy": one({"Sid": "Team", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/team"},
                           "Action": ["kms:Put*", "kms:Decrypt", "kms:Encrypt"], "Resource": "*"}),
        }),
        res("alice", "aws:iam/user:User", {"name": "alice"}),
        res("alice-console", "aws:iam/userLoginProfile:UserLoginProfile", {"user": "alice"}),
        res("team-readonly", "aws:iam/policy:Policy", {"policy": doc(
            {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::team-*/*"})}),
    ]  # fmt: skip


TEAM_RAW = {
    ("S3-05", "weights"),  # two versioning resources
    ("KMS-01", "hsm-key"),  # imported material cannot rotate
    ("KMS-02", "hsm-key"),  # the role administers (kms:PutKeyPolicy) and uses the key
    ("IAM-04", "alice"),
    ("IAM-04", "alice-console"),
    ("IAM-02", "team-readonly"),  # s3:Get* on every team-* bucket
    ("LOG-03", "weights"),  # a models bucket no trail records
    ("S3-11", "weights"),  # no data perimeter: any role of the account, from anywhere
    ("DETECT-08", "weights"),  # and no alarm counts its access by undeclared principals
}


def plain_eks() -> list[dict[str, Any]]:
    cluster = res("cluster", "aws:eks/cluster:Cluster", {
        "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False, "subnetIds": [UNKNOWN]},
        "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
        "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
        "deletionProtection": True,
        "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KEY_ARN}},
    })  # fmt: skip
    lt = res("gpu-lt", "aws:ec2/launchTemplate:LaunchTemplate", {
        "instanceType": "p5.48xlarge",
        "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1},
        "vpcSecurityGroupIds": [UNKNOWN],  # groups at the top of the template: EKS adds no cluster group
        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": KEY_ARN}}],
    }, vpcSecurityGroupIds=["nodes-sg"])  # fmt: skip
    pool = res("gpu", "aws:eks/nodeGroup:NodeGroup", {
        "amiType": "CUSTOM",  # a GPU pool all the same: p5 instances
        "labels": {"enclave.dev/zone": "training", "enclave.dev/pool": "gpu"},
        "taints": [],
        "launchTemplate": {"id": UNKNOWN, "version": UNKNOWN},
        "nodeRoleArn": UNKNOWN,
    }, launchTemplate=["gpu-lt"], nodeRoleArn=["node-role"])  # fmt: skip
    node_role = res("node-role", "aws:iam/role:Role", {
        "assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                 "Action": "sts:AssumeRole"}),
        "managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                              "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
                              "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"],
    })  # fmt: skip
    sg = res("nodes-sg", "aws:ec2/securityGroup:SecurityGroup", {"vpcId": UNKNOWN})
    halves = [
        res(f"nodes-from-{n}", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            {"securityGroupId": UNKNOWN, "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": cidr},
            securityGroupId=["nodes-sg"])
        for n, cidr in (("low", "0.0.0.0/1"), ("high", "128.0.0.0/1"))
    ]  # fmt: skip
    notebooks = k8s("Namespace", "v1", "notebooks", meta={"labels": {
        "enclave.dev/zone": "notebooks", "enclave.dev/zone-class": "notebooks"}})  # fmt: skip
    models = res("models", "aws:s3/bucket:Bucket", {"bucket": "acme-models"})  # untagged: the strictest class
    nb_role = res("nb-role", "aws:iam/role:Role", {
        "assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
                                 "Action": ["sts:AssumeRole", "sts:TagSession"]}),
        "inlinePolicies": [{"name": "read", "policy": doc(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-models/*"})}],
    })  # fmt: skip
    assoc = res("nb-pod-identity", "aws:eks/podIdentityAssociation:PodIdentityAssociation",
                {"clusterName": UNKNOWN, "namespace": "notebooks", "serviceAccount": "jupyter", "roleArn": UNKNOWN},
                roleArn=["nb-role"], clusterName=["cluster"])  # fmt: skip
    route = res(
        "to-inspection",
        "aws:ec2/route:Route",
        {"routeTableId": UNKNOWN, "destinationCidrBlock": "0.0.0.0/0", "transitGatewayId": "tgw-0abc"},
    )
    return [cluster, lt, pool, node_role, sg, *halves, notebooks, models, nb_role, assoc, route]


PLAIN_EKS = {
    ("NODE-04", "gpu"),  # p5 instances under a CUSTOM AMI, untainted
    ("NET-02", "nodes-sg"),  # two /1 rules: the whole internet
    ("DATA-03", "nb-role"),  # a notebook identity (Pod Identity) reads an untagged bucket
    ("DATA-04", "nb-role"),  # the same bucket may hold datasets: a notebook reads no datasets
    ("S3-01", "models"), ("S3-02", "models"), ("S3-03", "models"), ("S3-04", "models"), ("S3-05", "models"),
    ("S3-06", "models"), ("S3-07", "models"), ("S3-09", "models"), ("S3-10", "models"),
    ("LOG-03", "models"),  # an untagged bucket may hold artifacts: no trail records it
    ("S3-11", "models"),  # an untagged bucket is judged as ePHI: no data perimeter
    ("RECOVER-04", "models"),  # ... and as production data: no replica in another region
    ("DATA-01", "gpu-lt"),  # a key of no zone the stack or zoneKeys names
    ("DETECT-11", "cluster"),  # no GuardDuty detector watches it (nor does the pack config say the org's does)
    ("DETECT-12", "cluster"),  # and no Falco release watches its nodes
    ("DETECT-07", "cluster/Namespace/notebooks"),  # a zone whose mesh egress drops no alarm counts
    ("DETECT-08", "models"),  # an untagged bucket may hold artifacts: no alarm on undeclared access
    ("DATA-09", "cluster/Namespace/notebooks"),  # no class of its zone, claims not held at 0: the cluster default
    ("LOG-07", "cluster"),  # control-plane logs in CloudWatch only: no subscription filter copies them anywhere
}  # fmt: skip


def perimeter() -> list[dict[str, Any]]:
    bucket = "acme-datasets"
    deny = {"Sid": "Perimeter", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"StringNotEqualsIfExists": {"aws:SourceVpce": "vpce-0123456789abcdef0"},
                          "BoolIfExists": {"aws:ViaAWSService": "false"}}}  # fmt: skip
    # the identity half (S3-11), its key in upper case: only the team's trainer, whoever else the account holds
    identities = {"Sid": "Identities", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ["s3:Get*", "s3:Put*",
                  "s3:List*"], "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                  "Condition": {"StringNotEqualsIfExists": {"AWS:PRINCIPALARN": f"arn:aws:iam::{ACCOUNT}:role/trainer"},
                                "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}  # fmt: skip
    endpoint = res("s3-endpoint", "aws:ec2/vpcEndpoint:VpcEndpoint", {
        "serviceName": "com.amazonaws.us-east-1.s3", "vpcEndpointType": "Gateway",
        "policy": one({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {
            "StringEquals": {"AWS:PRINCIPALACCOUNT": ACCOUNT, "AWS:RESOURCEACCOUNT": ACCOUNT}}}),
    })  # fmt: skip
    return [
        res("datasets", "aws:s3/bucketV2:BucketV2", {
            "bucket": bucket, "tags": {"enclave:purpose": "datasets", "enclave:stage": "production"},
            "serverSideEncryptionConfiguration": {"rule": _sse_rule()},
        }),
        *_companions(bucket),
        res("datasets-policy", "aws:s3/bucketPolicy:BucketPolicy",
            {"bucket": bucket, "policy": doc(_tls(bucket), deny, identities, *_encryption_denies(bucket))}),
        res("trail", "aws:cloudtrail/trail:Trail", {
            "isMultiRegionTrail": True, "enableLogFileValidation": True, "kmsKeyId": KEY_ARN, "s3BucketName": "audit",
            "cloudWatchLogsGroupArn": UNKNOWN, "cloudWatchLogsRoleArn": UNKNOWN,
            "advancedEventSelectors": [{"fieldSelectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                {"field": "resources.ARN", "startsWiths": [f"arn:aws:s3:::{bucket}/"]}]}],
        }),
        endpoint,
    ]  # fmt: skip


PERIMETER = {
    # The perimeter prevents; nothing notices (issue 21): the trail notifies no topic, no alarm counts its
    # delivery, its security-configuration changes, or reads of the datasets bucket by an undeclared principal.
    ("DETECT-05", "trail"),
    ("DETECT-09", "trail"),
    ("DETECT-10", "trail"),
    ("DETECT-08", "datasets"),
    ("RECOVER-04", "datasets"),  # and the production datasets live in one region only
}


def github_deploy() -> list[dict[str, Any]]:
    issuer = "token.actions.githubusercontent.com"
    provider = res(
        "github",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        {"url": f"https://{issuer}", "clientIdLists": ["sts.amazonaws.com"]},
    )
    deploy = res("deploy", "aws:iam/role:Role", {
        "maxSessionDuration": 3600,
        "assumeRolePolicy": one({"Effect": "Allow",
                                 "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer}"},
                                 "Action": "sts:AssumeRoleWithWebIdentity",
                                 "Condition": {"StringEquals": {f"{issuer}:aud": "sts.amazonaws.com",
                                                                f"{issuer}:sub": "repo:acme/infra:environment:prod"}}}),
    })  # fmt: skip
    saml = res("sso-admins", "aws:iam/role:Role", {
        "assumeRolePolicy": doc({"Effect": "Allow",
                                 "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/okta"},
                                 "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                                 "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}),
        "managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
    })  # fmt: skip
    deploy_policy = res("deploy-policy", "aws:iam/policy:Policy", {"policy": doc(
        {"Effect": "Allow", "Action": ["eks:DescribeCluster", "ecr:GetAuthorizationToken"], "Resource": "*"},
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"})})  # fmt: skip
    attach = res(
        "deploy-attach",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"role": UNKNOWN, "policyArn": UNKNOWN},
        role=["deploy"],
        policyArn=["deploy-policy"],
    )
    return [provider, deploy, saml, deploy_policy, attach]


GITHUB_DEPLOY = {
    ("IAM-07", "sso-admins"),  # AdministratorAccess on the SAML role
    ("IAM-02", "deploy-policy"),  # NotAction: every action of every service but IAM and Organizations
}

CORPUS = {
    "team_raw": (team_raw, TEAM_RAW),
    "plain_eks": (plain_eks, PLAIN_EKS),
    "perimeter": (perimeter, PERIMETER),
    "github_deploy": (github_deploy, GITHUB_DEPLOY),
}
