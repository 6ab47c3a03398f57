"""DATA-02: a KMS grant that S3 uses on a workload's behalf (kms:ViaService s3) names the bucket through the
encryption context, so it cannot decrypt another bucket's objects under the same key.

Decided by evaluating each statement: one that lets S3 use a key (kms:ViaService s3.<region>) but not another
service is a grant through S3, and a request through S3 for a bucket it does not name (its encryption context
aws:s3:arn) must be refused; a wildcard bucket pattern, `kms:*` or NotAction count for what they grant."""

from collections.abc import Iterator

from framework import evaluator as ev
from framework import types as t
from framework.documents import Statement, problem, statements
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.values import UNKNOWN

CRYPTO = ev.actions_matching("kms:Decrypt", "kms:GenerateDataKey*", "kms:Encrypt", "kms:ReEncrypt*")
CONTEXT = "kms:EncryptionContext:aws:s3:arn"
S3, OTHER = "s3.us-east-1.amazonaws.com", "ec2.us-east-1.amazonaws.com"


def _request(action: str, via: str, bucket: str) -> ev.Request:
    return ev.Request(action, ev.ANY, chosen=True, context={"kms:ViaService": via, CONTEXT: bucket})


def unpinned(s: Statement) -> list[str]:
    """The crypto actions S3 may use for a bucket the statement does not name."""
    out = []
    for action in sorted(s.action_set() & CRYPTO):
        through_s3 = ev.applies(s.parsed, _request(action, S3, "arn:aws:s3:::enclave-unnamed-bucket")) is not False
        only_s3 = ev.applies(s.parsed, _request(action, OTHER, "arn:aws:s3:::enclave-unnamed-bucket")) is False
        if through_s3 and only_s3:
            out.append(ev.service_actions("kms")[action])
    return out


@resource_rule(
    "kms-grants-pinned-to-bucket", "DATA-02", "KMS grants through S3 are pinned to their bucket", t.IDENTITY_POLICIES
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    found = statements(r.get("policy"))
    if found is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: the policy document is not known yet", True)
        return
    if found is None:
        yield Finding(r.urn, f"{r.label()}: the policy is refused by AWS ({problem(r.get('policy'))})")
    for s in found if isinstance(found, list) else []:
        if s.effect != "Allow":
            continue
        actions = unpinned(s)
        if actions:
            yield Finding(
                r.urn,
                f"{r.label()}: statement {s.label} lets S3 use the key ({', '.join(actions)}) for any bucket; add "
                f"{CONTEXT} naming the bucket",
            )
