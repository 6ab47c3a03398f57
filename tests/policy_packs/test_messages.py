"""What a finding says where its words come from a framework helper: the resource it is about, and why AWS
would refuse or weaken it (a message is what the engineer reads at 2 a.m.; these pin the parts that carry it)."""

from __future__ import annotations

from tests.policy_packs.fixtures import doc, res
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


def test_a_public_statement_written_with_not_action_says_what_it_leaves_out() -> None:
    policy = doc({"Effect": "Allow", "Principal": "*", "NotAction": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*"})
    [hit] = run([res("bp", "aws:s3/bucketPolicy:BucketPolicy", {"bucket": "b", "policy": policy})],
                only=["s3-bucket-not-public"])  # fmt: skip
    assert "allows every action but s3:DeleteObject to " in hit.message, hit.message


def test_a_bucket_or_key_policy_aws_refuses_says_why() -> None:
    bucket = res("bp", "aws:s3/bucketPolicy:BucketPolicy", {"bucket": "b", "policy": "{'Version': '2012-10-17'}"})
    [hit] = run([bucket], only=["s3-bucket-not-public"])
    assert hit.message == "BucketPolicy 'bp': the bucket policy is refused by AWS (the policy is not valid JSON)"
    key = res("k", "aws:kms/key:Key", {"enableKeyRotation": True, "policy": '{"Statement": {"Effect": "Allow"}}'})
    [hit] = run([key], only=["kms-service-use-scoped-to-account"])
    assert hit.message == "Key 'k': the key policy is refused by AWS (Statement[0]: has neither Action nor NotAction)"
