"""S3-06: the bucket policy denies every request that does not use TLS.

Decided by asking the policy about plain-HTTP requests (aws:SecureTransport false) for every S3 action of the
IAM catalog that acts on a bucket or an object, from anyone, another account and this account: each must meet
an explicit Deny whatever else the requester chooses. A deny that can never match ('False' under StringEquals,
which compares case-sensitively), another bucket's ARN or a narrowed action list leaves requests through."""

from collections.abc import Iterator
from typing import Any

from framework import buckets
from framework import evaluator as ev
from framework import types as t
from framework.documents import OUTSIDER_ROLE, statements
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN

HOME_ROLE = "arn:aws:iam::000000000000:role/enclave-probe"
CALLERS: tuple[dict[str, Any], ...] = ({}, {"principal_arn": OUTSIDER_ROLE}, {"principal_arn": HOME_ROLE})


def _targets(name: str | None) -> list[tuple[str, Any]]:
    """(action, resource) for every catalog S3 action on a bucket or an object."""
    out = []
    for action in sorted(ev.service_actions("s3")):
        types = ev.resource_types(action)
        arn: Any = None
        if "object" in types:
            arn = f"arn:aws:s3:::{name}/enclave-probe" if name else ev.ANY
        elif "bucket" in types:
            arn = f"arn:aws:s3:::{name}" if name else ev.ANY
        if arn is not None:
            out.append((action, arn))
    return out


def plain_http_let_through(policies: list[list], name: str | None) -> list[str]:
    """The S3 actions for which some caller's plain-HTTP request meets no certain Deny."""
    found = [s.parsed for doc in policies for s in doc]
    through = []
    for action, arn in _targets(name):
        for who in CALLERS:
            request = ev.Request(action, arn, context={"aws:SecureTransport": "false"}, chosen=True, **who)
            if not ev.always_denies(found, request):
                through.append(ev.service_actions("s3")[action])
                break
    return through


@stack_rule(
    "s3-bucket-tls-only", "S3-06", "Bucket policies deny every request that does not use TLS", subjects=t.BUCKET
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for bucket in stack.of_type(*t.BUCKET):
        docs = [statements(d) for d in buckets.policy_documents(stack, bucket)]
        known = [d for d in docs if isinstance(d, list)]
        through = plain_http_let_through(known, buckets.name(bucket))
        if not through:
            continue
        if any(d is UNKNOWN for d in docs):
            yield Finding(bucket.urn, f"{bucket.label()}: its bucket policy is not known yet", True)
        elif not docs:
            yield Finding(bucket.urn, f"{bucket.label()} has no bucket policy, so plain HTTP is allowed")
        else:
            shown = ", ".join(through[:3]) + (f" and {len(through) - 3} more S3 actions" if len(through) > 3 else "")
            yield Finding(
                bucket.urn,
                f"{bucket.label()}: no policy statement certainly denies plain HTTP (aws:SecureTransport false) for "
                f"{shown}; deny s3:* on the bucket and its objects to Principal '*' under Bool "
                "aws:SecureTransport 'false'",
            )
