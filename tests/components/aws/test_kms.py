"""KmsKey: rotation, deletion window, alias, and a key policy that never gives kms:* to '*'."""

from __future__ import annotations

import json

import pulumi
import pytest

from components.aws.kms import AUTOSCALING_SLR, KmsKey, KmsKeyArgs, ServiceUse, key_policy
from tests.components.harness import capture


def test_key_settings_and_alias() -> None:
    c = capture(lambda: KmsKey("zone", KmsKeyArgs(alias="enclave/prod/training", description="training data")))
    key = c.one("aws:kms/key:Key")["inputs"]
    assert key["enableKeyRotation"] is True
    assert key["deletionWindowInDays"] == 30
    assert key["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    alias = c.one("aws:kms/alias:Alias")
    assert alias["inputs"]["name"] == "alias/enclave/prod/training"
    assert alias["propertyDependencies"]["targetKeyId"] == [c.urn("aws:kms/key:Key")]


def test_policy_known_in_preview_and_names_the_account() -> None:
    c = capture(lambda: KmsKey("zone", KmsKeyArgs(alias="a/b", description="d")), preview=True)
    doc = json.loads(c.one("aws:kms/key:Key")["inputs"]["policy"])
    admin = doc["Statement"][0]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}


def test_no_statement_gives_anything_to_star() -> None:
    doc = json.loads(
        key_policy(
            "111122223333",
            "aws",
            [ServiceUse("logs.us-east-1.amazonaws.com", conditions={"ArnLike": {"k": "v"}})],
            ["arn:aws:iam::111122223333:role/x"],
            ebs_autoscaling=True,
        )
    )
    for stmt in doc["Statement"]:
        assert stmt["Principal"] not in ("*", {"AWS": "*"}), stmt
        if stmt["Action"] == "kms:*":
            assert stmt["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    service = next(s for s in doc["Statement"] if s["Sid"] == "ServiceUse0")
    assert service["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}, "ArnLike": {"k": "v"}}
    grant = next(s for s in doc["Statement"] if s["Sid"] == "AutoScalingVolumeGrants")
    assert grant["Principal"] == {"AWS": f"arn:aws:iam::111122223333:{AUTOSCALING_SLR}"}
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_usage_roles_may_come_from_other_resources() -> None:
    role = "arn:aws:iam::111122223333:role/reader"
    c = capture(
        lambda: KmsKey(
            "zone", KmsKeyArgs(alias="a/b", description="d", usage_role_arns=[pulumi.Output.from_input(role)])
        )
    )
    doc = json.loads(c.one("aws:kms/key:Key")["inputs"]["policy"])
    (named,) = [s for s in doc["Statement"] if s["Sid"] == "NamedPrincipalUse"]
    assert named["Principal"] == {"AWS": [role]}


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("alias", "alias/enclave/x", "KmsKeyArgs.alias='alias/enclave/x'"),
        ("alias", "aws/s3", "reserved"),
        ("deletion_window_in_days", 3, "KmsKeyArgs.deletion_window_in_days=3: KMS accepts 7 to 30"),
        ("usage_role_arns", ["role/x"], "not an ARN"),
    ],
)
def test_args_refuse_what_kms_would(field: str, value: object, match: str) -> None:
    fields: dict[str, object] = {"alias": "a/b", "description": "d", field: value}
    with pytest.raises(ValueError, match=match):
        KmsKeyArgs(**fields)  # type: ignore[arg-type]
