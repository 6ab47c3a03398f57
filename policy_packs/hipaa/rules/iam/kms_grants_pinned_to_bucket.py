"""DATA-02: a KMS grant that S3 uses on a workload's behalf (kms:ViaService s3) names the bucket through the
encryption context, so it cannot decrypt another bucket's objects under the same key."""

from collections.abc import Iterator

from framework import types as t
from framework.documents import statements
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.values import UNKNOWN

CRYPTO = ("kms:decrypt", "kms:generatedatakey", "kms:encrypt", "kms:reencrypt")
CONTEXT = "kms:encryptioncontext:aws:s3:arn"


@resource_rule(
    "kms-grants-pinned-to-bucket", "DATA-02", "KMS grants through S3 are pinned to their bucket", t.IDENTITY_POLICIES
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    found = statements(r.get("policy"))
    if found is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: the policy document is not known yet", True)
        return
    if found is None:
        yield Finding(r.urn, f"{r.label()}: the policy is not a valid JSON policy document (AWS would refuse it)")
    for s in found if isinstance(found, list) else []:
        if s.effect != "Allow" or not any(a.lower().startswith(CRYPTO) or a.lower() == "kms:*" for a in s.actions()):
            continue
        via = [str(v) for v in s.condition_values("kms:ViaService")]
        if any(v.startswith("s3.") for v in via) and CONTEXT not in s.condition_keys():
            yield Finding(
                r.urn,
                f"{r.label()}: statement {s.sid or '(no Sid)'} lets S3 use the key for any bucket; add {CONTEXT} "
                "naming the bucket",
            )
