"""IAM documents, built in one place (pure functions, no Pulumi): every role trust policy (AWS services with
their confused-deputy conditions, IRSA web identities) and the least-privilege S3/KMS permissions generated
from bucket/prefix grants."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

READ_OBJECT_ACTIONS = ("s3:GetObject",)
WRITE_OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")
READ_KMS_ACTIONS = ("kms:Decrypt",)
WRITE_KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
S3_CONTEXT_KEY = "kms:EncryptionContext:aws:s3:arn"
WRITE_ACTIONS = frozenset(
    {
        "s3:PutObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
        "kms:GenerateDataKey",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
    }
)


@dataclass(frozen=True)
class ResolvedGrant:
    """A grant with its bucket resolved to its ARN and its key to its alias (`alias/...`)."""

    bucket_arn: str
    key_alias: str
    prefix: str
    access: Literal["read", "write"]


def alias_scoped_key(account_id: str, region: str, partition: str, alias: str) -> tuple[str, dict[str, Any]]:
    """(Resource, Condition) naming one KMS key by its alias: this account's keys in this region, only the one
    that carries `alias` (kms:ResourceAliases). Unlike the key's ARN, the alias is known before the key exists,
    so the policy document is complete in a first preview."""
    return (
        f"arn:{partition}:kms:{region}:{account_id}:key/*",
        {"ForAnyValue:StringEquals": {"kms:ResourceAliases": alias}},
    )


def document(*statements: dict[str, Any]) -> str:
    """A policy document as IAM stores it: version 2012-10-17, keys sorted (stable diffs)."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def service_trust(
    service: str,
    *,
    sid: str | None = None,
    source_account: str | None = None,
    source_arn_like: str | Sequence[str] | None = None,
) -> str:
    """A role only `service` may assume; with `source_account` / `source_arn_like`, only on behalf of this
    account's resources (aws:SourceAccount, aws:SourceArn: no confused deputy)."""
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if sid is not None:
        statement["Sid"] = sid
    condition: dict[str, Any] = {}
    if source_account is not None:
        condition["StringEquals"] = {"aws:SourceAccount": source_account}
    if source_arn_like is not None:
        like = source_arn_like if isinstance(source_arn_like, str) else sorted(source_arn_like)
        condition["ArnLike"] = {"aws:SourceArn": like}
    if condition:
        statement["Condition"] = condition
    return document(statement)


def trust_policy(oidc_provider_arn: str, issuer_url: str, namespace: str, service_account: str) -> dict[str, Any]:
    """Only `system:serviceaccount:<namespace>:<service_account>` tokens with aud sts.amazonaws.com."""
    issuer = issuer_url.removeprefix("https://")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "IrsaOneServiceAccount",
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        f"{issuer}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }


def _sid(*parts: str) -> str:
    return "G" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def grants_policy(
    grants: Sequence[ResolvedGrant], region: str, account_id: str, partition: str = "aws"
) -> dict[str, Any] | None:
    """The permissions policy for `grants`, or None when there is nothing to grant.

    Objects: only under `<bucket>/<prefix>/*`. Listing: the bucket, constrained by s3:prefix.
    KMS: the bucket's own key only (by its alias), only when called by S3 in this region (kms:ViaService), and
    only for this bucket's data (kms:EncryptionContext:aws:s3:arn), so the grant cannot decrypt another bucket's
    objects under the same key.

    The context names the bucket, never a prefix: every bucket here encrypts with an S3 Bucket Key, and then the
    encryption context S3 sends to KMS is the bucket's ARN, not the object's (S3 user guide, "Using Amazon S3
    Bucket Keys", the changes to note before enabling one). A condition on
    `<bucket>/<prefix>/*` never matches such a call, so it scoped nothing; it is gone. Prefix scoping lives where
    it works: the object statement's Resource here, and the bucket policy. An upload that turns the bucket key off
    for its object (x-amz-server-side-encryption-bucket-key-enabled: false) would send the object ARN as context:
    KMS refuses it, so such an object cannot be written through these grants (fail closed).
    """
    statements: list[dict[str, Any]] = []
    for g in sorted(set(grants), key=lambda g: (g.bucket_arn, g.prefix, g.access)):
        write = g.access == "write"
        statements.append(
            {
                "Sid": _sid("obj", g.bucket_arn, g.prefix, g.access),
                "Effect": "Allow",
                "Action": list(WRITE_OBJECT_ACTIONS if write else READ_OBJECT_ACTIONS),
                "Resource": f"{g.bucket_arn}/{g.prefix}/*",
            }
        )
        statements.append(
            {
                "Sid": _sid("list", g.bucket_arn, g.prefix, g.access),
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": g.bucket_arn,
                "Condition": {"StringLike": {"s3:prefix": [g.prefix, f"{g.prefix}/*"]}},
            }
        )
        key, alias_condition = alias_scoped_key(account_id, region, partition, g.key_alias)
        statements.append(
            {
                "Sid": _sid("kms", g.bucket_arn, g.prefix, g.access),
                "Effect": "Allow",
                "Action": list(WRITE_KMS_ACTIONS if write else READ_KMS_ACTIONS),
                "Resource": key,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com", S3_CONTEXT_KEY: g.bucket_arn},
                    **alias_condition,
                },
            }
        )
    if not statements:
        return None
    return {"Version": "2012-10-17", "Statement": statements}


SECRET_READ_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")
SECRET_CONTEXT_KEY = "kms:EncryptionContext:SecretARN"


def secrets_read_statements(
    path: str, key_alias: str, region: str, account_id: str, partition: str = "aws"
) -> list[dict[str, Any]]:
    """Read the secrets under one Secrets Manager path (`enclave/<env>/<zone>`) and nothing else: their values and
    metadata, and decryption with the zone's key (by alias) only when Secrets Manager asks for one of them
    (kms:ViaService, and the SecretARN encryption context Secrets Manager sends, under the same path)."""
    secrets = f"arn:{partition}:secretsmanager:{region}:{account_id}:secret:{path}/*"
    key, alias_condition = alias_scoped_key(account_id, region, partition, key_alias)
    return [
        {"Sid": _sid("secrets", path), "Effect": "Allow", "Action": list(SECRET_READ_ACTIONS), "Resource": secrets},
        {
            "Sid": _sid("secrets-kms", path),
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": key,
            "Condition": {
                "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"},
                "StringLike": {SECRET_CONTEXT_KEY: secrets},
                **alias_condition,
            },
        },
    ]
