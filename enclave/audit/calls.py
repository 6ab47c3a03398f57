"""Every AWS call the audit makes and the IAM action that authorizes it; the auditor role's policy is generated
from this table (`make auditor-policy`; a test fails when the shipped file is stale, another records every call
of a real audit and fails on one not listed here)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

POLICY_FILE = Path(__file__).with_name("auditor-policy.json")

# (boto3 service, API operation) -> IAM action. S3's actions are not its operation names.
CALLS: dict[tuple[str, str], str] = {
    ("sts", "GetCallerIdentity"): "sts:GetCallerIdentity",
    ("kms", "ListKeys"): "kms:ListKeys",
    ("kms", "ListAliases"): "kms:ListAliases",
    ("kms", "DescribeKey"): "kms:DescribeKey",
    ("kms", "GetKeyRotationStatus"): "kms:GetKeyRotationStatus",
    ("kms", "GetKeyPolicy"): "kms:GetKeyPolicy",
    ("kms", "ListResourceTags"): "kms:ListResourceTags",
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "GetBucketPolicy"): "s3:GetBucketPolicy",
    ("s3", "GetBucketAcl"): "s3:GetBucketAcl",
    ("s3", "GetBucketVersioning"): "s3:GetBucketVersioning",
    ("s3", "GetBucketOwnershipControls"): "s3:GetBucketOwnershipControls",
    ("s3", "GetBucketLogging"): "s3:GetBucketLogging",
    ("s3", "GetBucketTagging"): "s3:GetBucketTagging",
    ("s3", "GetObjectLockConfiguration"): "s3:GetBucketObjectLockConfiguration",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",
    ("s3", "GetBucketLocation"): "s3:GetBucketLocation",
    ("iam", "ListRoles"): "iam:ListRoles",
    ("iam", "ListRolePolicies"): "iam:ListRolePolicies",
    ("iam", "GetRolePolicy"): "iam:GetRolePolicy",
    ("iam", "ListAttachedRolePolicies"): "iam:ListAttachedRolePolicies",
    ("iam", "GetPolicy"): "iam:GetPolicy",
    ("iam", "GetPolicyVersion"): "iam:GetPolicyVersion",
    ("iam", "ListRoleTags"): "iam:ListRoleTags",
    ("iam", "ListUsers"): "iam:ListUsers",
    ("iam", "ListAccessKeys"): "iam:ListAccessKeys",
    ("iam", "GetAccountSummary"): "iam:GetAccountSummary",
    ("iam", "ListOpenIDConnectProviders"): "iam:ListOpenIDConnectProviders",
    ("iam", "GetOpenIDConnectProvider"): "iam:GetOpenIDConnectProvider",
    ("eks", "ListClusters"): "eks:ListClusters",
    ("eks", "DescribeCluster"): "eks:DescribeCluster",
    ("eks", "ListNodegroups"): "eks:ListNodegroups",
    ("eks", "DescribeNodegroup"): "eks:DescribeNodegroup",
    ("eks", "ListAddons"): "eks:ListAddons",
    ("eks", "DescribeAddon"): "eks:DescribeAddon",
    ("eks", "ListAccessEntries"): "eks:ListAccessEntries",
    ("eks", "ListAssociatedAccessPolicies"): "eks:ListAssociatedAccessPolicies",
    ("ec2", "DescribeLaunchTemplateVersions"): "ec2:DescribeLaunchTemplateVersions",
    ("ec2", "DescribeSecurityGroups"): "ec2:DescribeSecurityGroups",
    ("ec2", "DescribeVpcs"): "ec2:DescribeVpcs",
    ("ec2", "DescribeFlowLogs"): "ec2:DescribeFlowLogs",
    ("cloudtrail", "DescribeTrails"): "cloudtrail:DescribeTrails",
    ("cloudtrail", "GetTrailStatus"): "cloudtrail:GetTrailStatus",
    ("cloudtrail", "GetEventSelectors"): "cloudtrail:GetEventSelectors",
    ("cloudtrail", "ListTags"): "cloudtrail:ListTags",
    ("logs", "DescribeLogGroups"): "logs:DescribeLogGroups",
    ("logs", "ListTagsForResource"): "logs:ListTagsForResource",
    ("logs", "DescribeMetricFilters"): "logs:DescribeMetricFilters",
    ("logs", "DescribeSubscriptionFilters"): "logs:DescribeSubscriptionFilters",
    ("firehose", "ListDeliveryStreams"): "firehose:ListDeliveryStreams",
    ("firehose", "DescribeDeliveryStream"): "firehose:DescribeDeliveryStream",
    ("cloudwatch", "DescribeAlarms"): "cloudwatch:DescribeAlarms",
    ("sns", "ListTopics"): "sns:ListTopics",
    ("sns", "GetTopicAttributes"): "sns:GetTopicAttributes",
    ("events", "ListRules"): "events:ListRules",
    ("events", "ListTargetsByRule"): "events:ListTargetsByRule",
    ("guardduty", "ListDetectors"): "guardduty:ListDetectors",
    ("guardduty", "GetDetector"): "guardduty:GetDetector",
    ("secretsmanager", "ListSecrets"): "secretsmanager:ListSecrets",
    ("ecr", "DescribeRepositories"): "ecr:DescribeRepositories",
    ("ecr", "GetRepositoryPolicy"): "ecr:GetRepositoryPolicy",
    ("ecr", "ListTagsForResource"): "ecr:ListTagsForResource",
}
READ_PREFIXES = ("Get", "List", "Describe")


def is_read(action: str) -> bool:
    return action.split(":", 1)[1].startswith(READ_PREFIXES)


def auditor_policy() -> dict[str, Any]:
    """The least-privilege, read-only identity policy of the role `enclave audit` runs as."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EnclaveAuditReadOnly",
                "Effect": "Allow",
                "Action": sorted(set(CALLS.values())),
                "Resource": "*",
            }
        ],
    }


def policy_text() -> str:
    return json.dumps(auditor_policy(), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else POLICY_FILE
    out.write_text(policy_text(), encoding="utf-8")
    print(f"wrote {out} ({len(set(CALLS.values()))} actions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
