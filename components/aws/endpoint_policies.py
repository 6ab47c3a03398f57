"""VPC endpoint policies: the network half of a data perimeter (pure functions, no Pulumi).

Through the platform's endpoints, only this account's principals may act, and (where the service names a
resource) only on this account's resources: a pod holding another account's credentials cannot use them
here, and this account's credentials cannot copy data into another account's bucket, registry or log group.
The exceptions are what AWS itself needs, each as narrow as AWS documents it:

- S3: ECR serves image layers from an AWS-owned bucket (`prod-<region>-starport-layer-bucket`, ECR user
  guide, "Amazon ECR interface VPC endpoints"), fetched with ECR's own credentials;
- STS: IRSA's `AssumeRoleWithWebIdentity` carries no AWS principal, only the role it assumes (this account's);
  `GetCallerIdentity` names no resource;
- ECR: the EKS add-on images (VPC CNI, kube-proxy, CoreDNS, EFA device plugin) are pulled from AWS's regional
  EKS registry; `GetAuthorizationToken` names no resource;
- EC2 and EKS: their Describe/List calls (the VPC CNI's, the nodes') name no resource, so those endpoints are
  limited to this account's principals only.

`eks-auth` gets no policy: its support for endpoint policies is not documented, and a service without it
refuses a policy or ignores it.
"""

from __future__ import annotations

import json
from typing import Any

from ..k8s.images import eks_image_account

S3 = ("s3", "s3-interface")
PRINCIPAL_AND_RESOURCE = ("sts", "ecr.api", "ecr.dkr", "logs", *S3)
PRINCIPAL_ONLY = ("ec2", "eks")
ECR_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]


def _allow(sid: str, action: str | list[str], resource: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Principal": "*", "Action": action, "Resource": resource}
    if condition:
        stmt["Condition"] = condition
    return stmt


def endpoint_policy(service: str, account_id: str, region: str, partition: str = "aws") -> str | None:
    """The policy document of the endpoint for `service` (a key of Network.endpoints), or None for none."""
    principal = {"StringEquals": {"aws:PrincipalAccount": account_id}}
    if service in PRINCIPAL_ONLY:
        statements = [_allow("AccountPrincipals", "*", "*", principal)]
    elif service in PRINCIPAL_AND_RESOURCE:
        statements = [
            _allow(
                "AccountPrincipalsToAccountResources",
                "*",
                "*",
                {"StringEquals": {"aws:PrincipalAccount": account_id, "aws:ResourceAccount": account_id}},
            )
        ]
        if service in S3:
            layers = f"arn:{partition}:s3:::prod-{region}-starport-layer-bucket/*"
            statements.append(_allow("EcrImageLayers", "s3:GetObject", layers))
        elif service == "sts":
            statements += [
                _allow(
                    "WebIdentityToAccountRoles",
                    "sts:AssumeRoleWithWebIdentity",
                    "*",
                    {"StringEquals": {"aws:ResourceAccount": account_id}},
                ),
                _allow("AccountCallerIdentity", "sts:GetCallerIdentity", "*", principal),
            ]
        elif service.startswith("ecr."):
            eks_registry = f"arn:{partition}:ecr:{region}:{eks_image_account(region)}:repository/*"
            statements += [
                _allow("PullEksAddonImages", ECR_PULL_ACTIONS, eks_registry, principal),
                _allow("RegistryLogin", "ecr:GetAuthorizationToken", "*", principal),
            ]
    else:
        return None
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
