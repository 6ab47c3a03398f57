"""KMS-01 (imported keys): a key whose material is imported (ExternalKey, ReplicaExternalKey) cannot rotate
automatically; KMS-01 fails it, so its manual rotation is an exemption with an owner and an expiry."""

from collections.abc import Iterator

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule

IMPORTED = ("aws:kms/externalKey:ExternalKey", "aws:kms/replicaExternalKey:ReplicaExternalKey")


@resource_rule("kms-imported-keys-not-rotated", "KMS-01", "Keys with imported material do not rotate", IMPORTED)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    yield Finding(
        r.urn,
        f"{r.label()} holds imported key material, which KMS cannot rotate automatically; use an aws.kms.Key "
        "(KMS-generated material), or exempt it with the owner and schedule of its manual rotation",
    )
