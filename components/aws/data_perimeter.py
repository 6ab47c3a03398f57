"""The resource-side data perimeter of an ePHI bucket: two Deny statements of its bucket policy (pure functions,
plus the Args that name who and which endpoints).

- **Identity**: data actions by any principal but the bucket's declared identities and the admin roles
  (deployment, break-glass) are denied, wherever they come from. AWS service principals are excepted: they
  act only where a bucket policy Allow lets them (CloudTrail, log delivery, replication), and this one grants
  them nothing on an ePHI bucket.
- **Network**: data actions that do not come through one of the stack's S3 VPC endpoints (`aws:SourceVpce`) are
  denied, except for the admin roles (the deployer works from the CI runners, outside the VPC), AWS services
  calling on a principal's behalf (`aws:ViaAWSService`) and service principals.

So a zone's credentials, stolen from a pod and used from a laptop, a CI job or another account's VPC, reach no
object; and a role of the account the stack did not declare is refused even inside the VPC. Only data actions
(objects, listings, uploads, replication) are denied: the bucket's configuration stays with IAM, so auditors
and AWS Config still read it. The `IfExists` forms make each condition hold when its key is absent (a request
through no endpoint carries no aws:SourceVpce; a service principal no aws:PrincipalArn), as AWS's data perimeter
examples write them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from ..args import arg, args_type, fail, is_plain

DATA_ACTIONS = (
    "s3:GetObject*",
    "s3:PutObject*",
    "s3:DeleteObject*",
    "s3:ListBucket*",
    "s3:ListMultipartUploadParts",
    "s3:AbortMultipartUpload",
    "s3:RestoreObject",
    "s3:Replicate*",
)
IDENTITY_SID = "DenyUndeclaredPrincipals"
NETWORK_SID = "DenyOutsideVpcEndpoints"


def perimeter_statements(
    bucket_arn: str, endpoint_ids: Sequence[str], principal_arns: Sequence[str], admin_role_arns: Sequence[str]
) -> list[dict[str, Any]]:
    """The two Deny statements of the perimeter of `bucket_arn`."""
    admitted = sorted({*principal_arns, *admin_role_arns})
    not_a_service = {"aws:PrincipalIsAWSService": "false"}
    target = {"Principal": "*", "Action": list(DATA_ACTIONS), "Resource": [bucket_arn, f"{bucket_arn}/*"]}
    identity: dict[str, Any] = {
        "Sid": IDENTITY_SID,
        "Effect": "Deny",
        **target,
        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalArn": admitted}, "BoolIfExists": not_a_service},
    }
    network: dict[str, Any] = {
        "Sid": NETWORK_SID,
        "Effect": "Deny",
        **target,
        "Condition": {
            "StringNotEqualsIfExists": {"aws:SourceVpce": sorted(set(endpoint_ids))},
            "BoolIfExists": {**not_a_service, "aws:ViaAWSService": "false"},
        },
    }
    if admin_role_arns:
        network["Condition"]["ArnNotLikeIfExists"] = {"aws:PrincipalArn": sorted(set(admin_role_arns))}
    return [identity, network]


@args_type
class BucketPerimeterArgs:
    """Who may use an ePHI bucket's data, and through which S3 VPC endpoints."""

    endpoint_ids: Sequence[pulumi.Input[str]] = arg(
        "The S3 VPC endpoints (gateway and interface) data requests must come through (`Network.endpoints['s3']` "
        "and `['s3-interface']` ids, or an existing VPC's)."
    )
    principal_arns: Sequence[pulumi.Input[str]] = arg(
        "The bucket's declared identities: the role ARNs of the workloads granted a prefix of it (their names are "
        "known before they exist: `WorkloadIdentityArgs.role_name`)."
    )
    admin_role_arns: Sequence[str] = arg(
        "Roles admitted from anywhere: the roles that run `pulumi up`, and break-glass roles. Default none.",
        default=(),
    )

    def __post_init__(self) -> None:
        if not self.endpoint_ids:
            fail(self, "endpoint_ids", "a perimeter admits requests through at least one S3 VPC endpoint.")
        for field in ("principal_arns", "admin_role_arns"):
            for arn in getattr(self, field):
                if is_plain(arn) and not (isinstance(arn, str) and arn.startswith("arn:") and ":role/" in arn):
                    fail(self, field, f"{arn!r} is not a role ARN. Pass arn:aws:iam::<account>:role/<name>.")
        for vpce in self.endpoint_ids:
            if is_plain(vpce) and not (isinstance(vpce, str) and vpce.startswith("vpce-")):
                fail(self, "endpoint_ids", f"{vpce!r} is not a VPC endpoint id. Pass e.g. 'vpce-0a1b2c3d4e5f60718'.")
