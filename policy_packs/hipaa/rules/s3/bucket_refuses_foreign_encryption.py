"""S3-07: what the bucket policy does with an upload's encryption headers, evaluated request by request.

It must let an upload with no headers through (default encryption applies: boto3, the AWS CLI, s3fs, log
delivery and CloudTrail send none) and refuse one that asks for another algorithm, aws:kms without a key id,
a key of another account, or a customer-provided key. The access-log destination takes SSE-S3 only.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from framework import buckets
from framework import types as t
from framework.documents import statements
from framework.evaluator import Request, evaluate
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.upload_probes import KMS_BUCKET_DENY, LOG_BUCKET_DENY, MUST_DENY, MUST_PASS, request_context
from framework.values import UNKNOWN, parse_json


def _decision(doc: Any, name: str, headers: dict[str, str]) -> str:
    parsed = parse_json(doc)
    if not isinstance(parsed, Mapping) or "Statement" not in parsed:
        return "unreadable"
    # From a principal through an endpoint the policy's data perimeter admits (none without a perimeter).
    principal, context = request_context(dict(parsed))
    request = Request(
        "s3:PutObject", f"arn:aws:s3:::{name}/probe/object", principal_arn=principal,
        context={**context, "aws:SecureTransport": "true", **headers},
    )  # fmt: skip
    try:
        return evaluate(parsed, request)
    except (ValueError, TypeError, KeyError, AttributeError):
        return "unreadable"


@stack_rule(
    "s3-bucket-refuses-foreign-encryption",
    "S3-07",
    "Bucket policies refuse uploads that ask for weaker or foreign encryption, and only those",
    subjects=t.BUCKET,
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for bucket in stack.of_type(*t.BUCKET):
        yield from _check_bucket(stack, bucket)


def _check_bucket(stack: Stack, bucket: Resource) -> Iterator[Finding]:
    docs = buckets.policy_documents(stack, bucket)
    parsed = [statements(d) for d in docs]
    if any(p is UNKNOWN for p in parsed):
        yield Finding(bucket.urn, f"{bucket.label()}: its bucket policy is not known yet", True)
        return
    if not docs or not any(isinstance(p, list) and p for p in parsed):
        yield Finding(bucket.urn, f"{bucket.label()} has no bucket policy refusing other requested encryption")
        return
    name = buckets.name(bucket) or "bucket"
    sink = buckets.is_log_destination(stack, bucket)
    deny = {**MUST_DENY, **(LOG_BUCKET_DENY if sink else KMS_BUCKET_DENY)}
    outcome: dict[str, set[str]] = {}
    for doc in docs:
        for label, headers in {**MUST_PASS, **deny}.items():
            outcome.setdefault(label, set()).add(_decision(doc, name, headers))
    for label in MUST_PASS:
        if "Deny" in outcome[label]:
            yield Finding(
                bucket.urn,
                f"{bucket.label()}: the policy denies {label}; deny only headers that are present and wrong (a Null: "
                "false condition)",
            )
    for label in deny:
        if "Deny" not in outcome[label]:
            yield Finding(bucket.urn, f"{bucket.label()}: the policy does not deny {label}")
