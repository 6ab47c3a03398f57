"""KMS-03: a key-policy statement for an AWS service carries a condition that keeps the service acting for
this account (confused-deputy protection)."""

from collections.abc import Iterator

from framework.documents import statements
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import KMS_KEY, KMS_KEY_POLICY
from framework.values import UNKNOWN

SCOPING = ("aws:sourceaccount", "aws:sourcearn", "kms:calleraccount", "kms:viaservice")


@resource_rule(
    "kms-service-use-scoped-to-account",
    "KMS-03",
    "AWS services may use a KMS key only on this account's behalf",
    (*KMS_KEY, *KMS_KEY_POLICY),
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    found = statements(r.get("policy"))
    if found is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: the key policy is not known yet", True)
        return
    if found is None:
        yield Finding(r.urn, f"{r.label()}: the key policy is not a valid JSON policy document (AWS would refuse it)")
    if not isinstance(found, list):
        return
    for s in found:
        services = s.principals("Service")
        if s.effect != "Allow" or not services:
            continue
        keys = s.condition_keys()
        if not (keys & set(SCOPING) or any(k.startswith("kms:encryptioncontext:") for k in keys)):
            yield Finding(
                r.urn,
                f"{r.label()}: statement {s.sid or '(no Sid)'} lets {', '.join(services)} use the key for any "
                "account; add aws:SourceAccount or an encryption-context condition naming this account",
            )
