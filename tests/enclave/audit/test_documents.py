"""Policy documents as the audit reads them: every legal shape normalized, anything else MalformedPolicy."""

from __future__ import annotations

import json
from typing import Any

import pytest

from enclave.audit.documents import MalformedPolicy, parse
from enclave.audit.drift import Declared, _match


def test_legal_shapes_are_normalized() -> None:
    (s,) = parse({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}})
    assert s.public and s.actions == ["s3:GetObject"] and s.resources == ["*"]
    (s,) = parse(
        json.dumps(
            {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "NotAction": "s3:Delete*", "Resource": "*"}]}
        )
    )
    assert s.public and s.allows_action("s3:GetObject") and not s.allows_action("s3:DeleteBucket")
    (s,) = parse("%7B%22Statement%22%3A%7B%22Effect%22%3A%22Deny%22%2C%22Action%22%3A%22s3%3A%2A%22%7D%7D")
    assert s.effect == "Deny" and s.allows_action("s3:PutObject")  # URL-encoded, as IAM returns documents
    (s,) = parse(
        {
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": False}},
                }
            ]
        }
    )
    assert s.condition_values("aws:securetransport") == ["false"]


@pytest.mark.parametrize(
    "document",
    [
        "{'Statement': nope",
        [],
        {"Statement": []},
        {"Statement": ["Allow"]},
        {"Statement": [{"Effect": "allow", "Action": "*"}]},
        {"Statement": [{"Effect": "Allow"}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "s3:*"}]},
        {"Statement": [{"Effect": "Allow", "Action": 5}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "Principal": ["*"]}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "Condition": {"Bool": "aws:SecureTransport"}}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "Condition": {"Bool": {"k": {"nested": 1}}}}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "Condition": ["x"]}]},
    ],
)
def test_anything_else_is_malformed(document: Any) -> None:
    with pytest.raises(MalformedPolicy):
        parse(document)


def test_drift_matches_exact_and_auto_named_names() -> None:
    live = {"prod-datasets-bucket-1a2b3c4": {}, "enclave-prod": {}, "prod-datasets-bucket-extra-1a2b3c4": {}}
    assert _match(Declared("bucket", "prod-datasets-bucket-efec5cf", "prod-datasets-bucket"), live) == (
        "prod-datasets-bucket-1a2b3c4"
    )
    assert _match(Declared("cluster", "enclave-prod", "prod-cluster"), live) == "enclave-prod"
    assert _match(Declared("bucket", "prod-models-bucket-efec5cf", "prod-models-bucket"), live) is None


def test_throttled_past_retries_is_incomplete_never_a_pass() -> None:
    import boto3
    from botocore.stub import Stubber

    from enclave.audit import kms
    from enclave.audit.catalog import load_catalog
    from enclave.audit.context import Context, Thresholds
    from enclave.audit.model import AuditResult, Incomplete
    from enclave.audit.run import _guarded
    from enclave.audit.session import Reader
    from enclave.preview import default_pack
    from enclave.synth import PROJECT_ROOT

    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1")
    result = AuditResult(account="123456789012", region="us-east-1")
    reader = Reader(session, result)
    catalog = load_catalog(default_pack(PROJECT_ROOT))
    ctx = Context(reader, catalog, result, Thresholds.from_catalog(catalog))
    with Stubber(reader.client("kms")) as stub:
        stub.add_client_error("list_keys", "ThrottlingException", "Rate exceeded", 400)
        _guarded(ctx, "KMS keys", kms.read)
        kms.check(ctx)
    assert result.incomplete == [Incomplete("KMS keys", "kms:ListKeys: ThrottlingException: Rate exceeded")]
    assert result.findings == [] and result.exit_code() == 2
