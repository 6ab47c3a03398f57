"""S3-07: what the bucket policy does with an upload's encryption headers, evaluated request by request.

It must let an upload with no headers through (default encryption applies: boto3, the AWS CLI, s3fs, log
delivery and CloudTrail send none) and refuse one that asks for another algorithm, aws:kms without a key id,
a key of another account, or a customer-provided key. The access-log destination takes SSE-S3 only.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from framework import buckets
from framework import evaluator as ev
from framework import types as t
from framework.documents import statements
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.upload_probes import KMS_BUCKET_DENY, LOG_BUCKET_DENY, MUST_DENY, MUST_PASS, request
from framework.values import UNKNOWN, parse_json


def _decision(doc: Any, name: str, headers: dict[str, str], given: Mapping[str, Any]) -> str:
    """'Deny' when the policy denies the probe whatever the perimeter keys, 'Allow'/'ImplicitDeny' otherwise."""
    probe = request(ev.Request, f"arn:aws:s3:::{name}/probe/object", headers, given)
    parsed = parse_json(doc)
    if not isinstance(parsed, Mapping) or "Statement" not in parsed:
        return "unreadable"
    try:
        return "Deny" if ev.always_denies(parsed, probe) else "NotDenied"
    except ev.PolicyError:
        return "unreadable"


@stack_rule(
    "s3-bucket-refuses-foreign-encryption",
    "S3-07",
    "Bucket policies refuse uploads that ask for weaker or foreign encryption, and only those",
    subjects=t.BUCKET,
    config={
        "uploadProbe": {
            "type": "object",
            "properties": {
                "principalArn": {"type": "string", "pattern": "^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:"},
                "context": {"type": "object", "additionalProperties": {"type": ["string", "array"]}},
            },
            "additionalProperties": False,
            "default": {},
            "description": "The probe uploads' principal and the request-context keys to pin (e.g. "
            "aws:SourceVpce: the stack's S3 endpoint, aws:PrincipalOrgID). Perimeter keys not pinned are "
            "satisfied: the probe is one of the bucket's own workloads.",
        }
    },
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    for bucket in stack.of_type(*t.BUCKET):
        yield from _check_bucket(stack, bucket, config.get("uploadProbe") or {})


def _check_bucket(stack: Stack, bucket: Resource, given: Mapping[str, Any]) -> Iterator[Finding]:
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
            outcome.setdefault(label, set()).add(_decision(doc, name, headers, given))
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
