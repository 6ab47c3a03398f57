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
