"""What a finding says where its words come from a framework helper: the resource it is about, and why AWS
would refuse or weaken it (a message is what the engineer reads at 2 a.m.; these pin the parts that carry it)."""

from __future__ import annotations

from tests.policy_packs.fixtures import res
from tests.policy_packs.fixtures.log_copies import store, stream
from tests.policy_packs.harness import run


def test_a_key_policy_that_is_not_json_says_so() -> None:
    key = res("k", "aws:kms/key:Key", {"enableKeyRotation": True, "policy": "{Statement: [}"})
    [hit] = run([key], only=["kms-key-policy-administered-by-account"])
    assert hit.message == "Key 'k': the key policy is refused by AWS (the policy is not valid JSON)"


def test_a_stream_into_a_bucket_without_a_customer_key_names_the_bucket() -> None:
    records = [stream(extendedS3Configuration={"bucketArn": "arn:aws:s3:::audit"}), *store(algorithm="AES256")]
    [hit] = run(records, only=["firehose-streams-encrypted"])
    assert hit.message == (
        "FirehoseDeliveryStream 'stream' sets no kms_key_arn, and Bucket 'audit' encrypts with 'AES256', not SSE-KMS "
        "with a customer key"
    )
