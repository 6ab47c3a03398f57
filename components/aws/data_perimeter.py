"""The resource-side data perimeter of an ePHI bucket: two Deny statements of its bucket policy (pure functions,
plus the Args that name who and which endpoints).

- **Identity**: data actions by any principal but the bucket's declared identities, the admin roles
  (deployment, break-glass) and the replication role are denied, wherever they come from. AWS service principals
  are excepted: they act only where a bucket policy Allow lets them (CloudTrail, log delivery), and this one
  grants them nothing on an ePHI bucket.
- **Network**: data actions that do not come through one of the stack's S3 VPC endpoints (`aws:SourceVpce`) are
  denied, except for the admin roles (the deployer works from the CI runners, outside the VPC), AWS services
  calling on a principal's behalf (`aws:ViaAWSService`) and service principals. A bucket with no endpoint (a
  replica in another region, where the stack has no VPC) admits no network path at all.
- **Replication**: S3 replicates as the replication role, which it assumes: those requests come from S3's own
  network, carry no aws:SourceVpce and are not `aws:ViaAWSService` (a service role, not a forward access
  session: AWS data perimeter guidance), so the role is excepted from the network Deny; in exchange a third Deny
  refuses it every action on the bucket but replication's own (`REPLICATION_ACTIONS`), wherever it comes from.
- **Replica** (`replica`): writes (uploads, deletes, replication) by any principal but the replication role are
  denied, the admin roles' included: a backup nobody else can overwrite or delete (their reads stay, to restore).

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
REPLICATION_SID = "DenyReplicationRoleBeyondReplication"
REPLICA_SID = "DenyReplicaWritesButReplication"
# What S3 does as the replication role: read the source's configuration, listing and object versions (with their
# ACLs, tags, retention and legal hold), and write replicas, their deletes and tags (S3 user guide, "Setting up
# permissions for live replication").
REPLICATION_ACTIONS = (
    "s3:GetReplicationConfiguration",
    "s3:GetBucketVersioning",
    "s3:ListBucket",
    "s3:GetObjectVersionForReplication",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersionTagging",
    "s3:GetObjectRetention",
    "s3:GetObjectLegalHold",
    "s3:ReplicateObject",
    "s3:ReplicateDelete",
    "s3:ReplicateTags",
)
WRITE_ACTIONS = ("s3:PutObject*", "s3:DeleteObject*", "s3:Replicate*", "s3:RestoreObject", "s3:AbortMultipartUpload")


def perimeter_statements(
    bucket_arn: str,
    endpoint_ids: Sequence[str],
    principal_arns: Sequence[str],
    admin_role_arns: Sequence[str],
    replication_role_arns: Sequence[str] = (),
    replica: bool = False,
) -> list[dict[str, Any]]:
    """The Deny statements of the perimeter of `bucket_arn`: identity and network, and with replication roles the
    Deny that holds them to replication (and on a `replica`, the Deny of every other writer)."""
    replicators = sorted(set(replication_role_arns))
    admitted = sorted({*principal_arns, *admin_role_arns, *replicators})
    not_a_service = {"aws:PrincipalIsAWSService": "false"}
    resources = [bucket_arn, f"{bucket_arn}/*"]
    target = {"Principal": "*", "Action": list(DATA_ACTIONS), "Resource": resources}
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
        "Condition": {"BoolIfExists": {**not_a_service, "aws:ViaAWSService": "false"}},
    }
    if endpoint_ids:
        network["Condition"]["StringNotEqualsIfExists"] = {"aws:SourceVpce": sorted(set(endpoint_ids))}
    exempt = sorted({*admin_role_arns, *replicators})
    if exempt:
        network["Condition"]["ArnNotLikeIfExists"] = {"aws:PrincipalArn": exempt}
    out = [identity, network]
    if replicators:
        out.append(
            {
                "Sid": REPLICATION_SID,
                "Effect": "Deny",
                "Principal": "*",
                "NotAction": list(REPLICATION_ACTIONS),
                "Resource": resources,
                "Condition": {"ArnLike": {"aws:PrincipalArn": replicators}},
            }
        )
    if replica:
        out.append(
            {
                "Sid": REPLICA_SID,
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(WRITE_ACTIONS),
                "Resource": resources,
                "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalArn": replicators}},
            }
        )
    return out


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
    replication_role_arns: Sequence[pulumi.Input[str]] = arg(
        "The S3 replication role of the bucket (source or replica): admitted from anywhere (S3 calls from its own "
        "network), for replication's actions only. Default none.",
        default=(),
    )
    replica: bool = arg(
        "The bucket is a replica: only the replication role may write to it (uploads, deletes), admins included. "
        "Needs `replication_role_arns`. Default off.",
        default=False,
    )

    def __post_init__(self) -> None:
        if not self.endpoint_ids and self.principal_arns:
            fail(self, "endpoint_ids", "a perimeter with declared identities admits them through at least one S3 VPC "
                 "endpoint; only a bucket no workload uses (a replica) may name none.")  # fmt: skip
        if self.replica and not self.replication_role_arns:
            fail(self, "replica", "a replica is written by its replication role: pass replication_role_arns.")
        for field in ("principal_arns", "admin_role_arns", "replication_role_arns"):
            for arn in getattr(self, field):
                if is_plain(arn) and not (isinstance(arn, str) and arn.startswith("arn:") and ":role/" in arn):
                    fail(self, field, f"{arn!r} is not a role ARN. Pass arn:aws:iam::<account>:role/<name>.")
        for vpce in self.endpoint_ids:
            if is_plain(vpce) and not (isinstance(vpce, str) and vpce.startswith("vpce-")):
                fail(self, "endpoint_ids", f"{vpce!r} is not a VPC endpoint id. Pass e.g. 'vpce-0a1b2c3d4e5f60718'.")
