"""S3-11: a bucket that may hold ePHI admits data access only from the principals its policy names, and from
those only through the VPC endpoints it names; judged by asking the bucket policy, not by reading its shape.

Every bucket is judged but the audit sinks (tagged audit-logs, or written by CloudTrail or S3 log delivery), so a
bucket nobody tagged counts as ePHI. Its policies (all of them: a Deny in any one refuses) are asked about:

- a stranger: a role of the account that the policy does not name, reading, writing and listing through an
  endpoint the policy admits: each must be an explicit Deny (an implicit one is not enough: the role's own IAM
  policies could allow it);
- every principal the policy names (its aws:PrincipalArn values and Allow principals) that it lets in through
  that endpoint, now reading from outside any endpoint and through another VPC's endpoint: each must be denied,
  unless the pack config lists it among `adminPrincipals` (the roles that deploy the stack from outside the VPC,
  break-glass roles).

AWS services calling for a principal (aws:ViaAWSService) and service principals are outside the question: the
policy may except them.
"""

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from framework import buckets
from framework import types as t
from framework.documents import statements
from framework.evaluator import PolicyError, Request, evaluate
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list, parse_json

CLOUDTRAIL = "cloudtrail.amazonaws.com"
PROBES = (("s3:GetObject", "object"), ("s3:PutObject", "object"), ("s3:ListBucket", "bucket"))
STRANGER = "enclave-perimeter-probe"
OTHER_ENDPOINT = {"aws:SourceVpce": "vpce-0ffffffffffffffff", "aws:SourceVpc": "vpc-0ffffffffffffffff"}
# The path "through the endpoint" when the policy names none: any endpoint, which OTHER_ENDPOINT must then differ from.
SOME_ENDPOINT = {"aws:SourceVpce": "vpce-0eeeeeeeeeeeeeeee", "aws:SourceVpc": "vpc-0eeeeeeeeeeeeeeee"}
DEFAULT_ACCOUNT = "111122223333"


def is_sink(stack: Stack, bucket: Resource, docs: list[Any]) -> bool:
    """An audit sink: tagged audit-logs, an access-log destination, or written by CloudTrail."""
    if bucket.tag("enclave:purpose") == "audit-logs" or buckets.is_log_destination(stack, bucket):
        return True
    found = [statements(d) for d in docs]
    return any(
        isinstance(f, list) and any(s.effect == "Allow" and CLOUDTRAIL in s.principals("Service") for s in f)
        for f in found
    )


def _decision(
    docs: list[Mapping[str, Any]], action: str, resource: str, principal: str, context: dict[str, str]
) -> str:
    req = Request(action, resource, principal_arn=principal, context={"aws:SecureTransport": "true", **context})
    decisions = [evaluate(d, req) for d in docs]
    return "Deny" if "Deny" in decisions else "Allow" if "Allow" in decisions else "ImplicitDeny"


def _who(principal: str) -> dict[str, str]:
    # The Request puts the principal's own keys (aws:PrincipalArn, PrincipalAccount, PrincipalIsAWSService) in.
    return {"aws:ViaAWSService": "false"}


def _admitted_path(docs: list[Mapping[str, Any]]) -> dict[str, str]:
    """The endpoint (and VPC) a perimeter Deny exempts: the first literal value each names under a negated
    operator; SOME_ENDPOINT when the policies name none."""
    found: dict[str, str] = {}
    for doc in docs:
        for s in statements(doc) or []:
            if s.effect != "Deny":
                continue
            for c in s.parsed.conditions:
                key = {"aws:sourcevpce": "aws:SourceVpce", "aws:sourcevpc": "aws:SourceVpc"}.get(c.key)
                literal = [v for v in c.values if "*" not in v and "?" not in v]
                if key and "Not" in c.base and literal and key not in found:
                    found[key] = literal[0]
    return found or dict(SOME_ENDPOINT)


@stack_rule(
    "s3-ephi-bucket-data-perimeter",
    "S3-11",
    "Buckets that may hold ePHI admit only their identities, only through the VPC's endpoints",
    subjects=t.BUCKET,
    config={
        "adminPrincipals": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "ARN patterns of the roles a bucket may admit from outside its VPC endpoints: the roles "
            "that run `pulumi up` from the CI runners and break-glass roles (data_perimeter in the stack file).",
        }
    },
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    admins = [str(p) for p in as_list(config.get("adminPrincipals", []))]
    for bucket in stack.of_type(*t.BUCKET):
        yield from _check_bucket(stack, bucket, admins)


def _check_bucket(stack: Stack, bucket: Resource, admins: list[str]) -> Iterator[Finding]:
    raw = buckets.policy_documents(stack, bucket)
    if any(statements(d) is UNKNOWN for d in raw):
        yield Finding(bucket.urn, f"{bucket.label()}: its bucket policy is not known yet (the VPC endpoints a "
                      "perimeter names exist only after the first `pulumi up`)", True)  # fmt: skip
        return
    if is_sink(stack, bucket, raw):
        return
    docs = [p for p in (parse_json(d) for d in raw) if isinstance(p, Mapping) and "Statement" in p]
    if not docs:
        yield Finding(bucket.urn, f"{bucket.label()} has no bucket policy, so no data perimeter: deny data access to "
                      "undeclared principals and outside the VPC's S3 endpoints (data_perimeter)")  # fmt: skip
        return
    arn = f"arn:aws:s3:::{buckets.name(bucket) or 'bucket'}"
    named = buckets.named_principals(docs)
    account = next((a.split(":")[4] for a in named if a.count(":") >= 5 and a.split(":")[4]), DEFAULT_ACCOUNT)
    inside = _admitted_path(docs)
    stranger = f"arn:aws:iam::{account}:role/{STRANGER}"
    try:
        let_in = [
            action for action, on in PROBES
            if _decision(docs, action, arn if on == "bucket" else f"{arn}/x", stranger, {**_who(stranger),
                         **inside}) != "Deny"
        ]  # fmt: skip
        outside: list[str] = []
        for principal in named:
            if any(fnmatchcase(principal, p) for p in admins):
                continue
            through = _decision(docs, "s3:GetObject", f"{arn}/x", principal, {**_who(principal), **inside})
            if through == "Deny":
                continue  # the policy refuses it even through the endpoint
            for elsewhere in ({}, OTHER_ENDPOINT):
                if _decision(docs, "s3:GetObject", f"{arn}/x", principal, {**_who(principal), **elsewhere}) != "Deny":
                    outside.append(principal)
                    break
    except (PolicyError, ValueError, TypeError, KeyError, AttributeError) as exc:
        yield Finding(bucket.urn, f"{bucket.label()}: its bucket policy cannot be evaluated ({exc})")
        return
    if let_in:
        yield Finding(
            bucket.urn,
            f"{bucket.label()}: a role the policy does not name is not refused {', '.join(let_in)} (through the VPC "
            "endpoint); deny data actions unless aws:PrincipalArn is one of the bucket's identities",
        )
    if outside:
        yield Finding(
            bucket.urn,
            f"{bucket.label()}: {', '.join(sorted(set(outside)))} can read it from outside the VPC's S3 endpoints; "
            "deny data actions unless aws:SourceVpce is one of them (admin roles: the pack config's adminPrincipals)",
        )
