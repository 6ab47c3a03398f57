"""KMS-03: a key-policy statement for an AWS service keeps the service acting for this account (confused-deputy
protection), decided by evaluating it: the service acting for another account (its aws:SourceAccount,
aws:SourceArn and encryption-context ARNs of that account) must not get in. A condition that names every
account (`aws:SourceAccount: "*"` under StringLike) or only a network scopes nothing; kms:ViaService alone names
a service, not an account."""

from collections.abc import Iterator

from framework.documents import open_to_outsiders, problem, statements
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import KMS_KEY_POLICY, KMS_KEYS
from framework.values import UNKNOWN


@resource_rule(
    "kms-service-use-scoped-to-account",
    "KMS-03",
    "AWS services may use a KMS key only on this account's behalf",
    (*KMS_KEYS, *KMS_KEY_POLICY),
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    found = statements(r.get("policy"))
    if found is UNKNOWN:
        yield Finding(r.urn, f"{r.label()}: the key policy is not known yet", True)
        return
    if found is None:
        yield Finding(r.urn, f"{r.label()}: the key policy is refused by AWS ({problem(r.get('policy'))})")
    if not isinstance(found, list):
        return
    for s in found:
        services = [who for who in open_to_outsiders(s) if who.endswith("acting for other accounts")]
        if services:
            yield Finding(
                r.urn,
                f"{r.label()}: statement {s.label} lets {'; '.join(services)} use the key; add aws:SourceAccount "
                "(or an encryption-context condition) whose value names this account",
            )
