"""DATA-08: every EBS StorageClass (the CSI driver's ebs.csi.aws.com or the legacy kubernetes.io/aws-ebs, as an object,
a Helm release's values or the add-on's default class) encrypts its volumes with a customer key, a zone's class with
that zone's key (tagged enclave:zone); and no class carrying a zone's key is the cluster default, where every
namespace's claims without a class would land. A provisioner the pack cannot judge is a finding unless the pack
config vouches for it."""

import fnmatch
from collections.abc import Iterator, Mapping

from framework.keys import KEY_RESOURCES, customer_key
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.storage import EBS_PROVISIONERS, StorageClassSpec, storage_classes
from framework.types import STORAGE_CLASS
from framework.values import MISSING, UNKNOWN, as_list, truthy

ZONE_TAG = "enclave:zone"


def _zone_problem(stack: Stack, c: StorageClassSpec, key: object, zone_keys: Mapping[str, list[str]]) -> str | None:
    """Why the class of zone `c.zone` is not on that zone's key; None when it is (or cannot be told yet)."""
    keys = stack.sources(c.holder, c.key_prop, *KEY_RESOURCES)
    if keys:
        zones = {str(k.tag(ZONE_TAG)) if k.tag(ZONE_TAG) is not MISSING else "(none)" for k in keys}
        if zones != {c.zone}:
            return f"encrypts with a key of zone {', '.join(sorted(zones))}; use zone {c.zone}'s key"
        return None
    if isinstance(key, str) and not any(fnmatch.fnmatchcase(key, p) for p in zone_keys.get(str(c.zone), [])):
        return f"encrypts with {key}, a key of no zone this stack or zoneKeys names; give zone {c.zone} its key"
    return None


def _judge(stack: Stack, c: StorageClassSpec, config: Config) -> Iterator[Finding]:
    urn, label = c.holder.urn, c.label()
    if c.provisioner is UNKNOWN:
        yield Finding(urn, f"{label}: its provisioner is not known yet", True)
        return
    if c.provisioner not in EBS_PROVISIONERS:
        if c.provisioner not in as_list(config.get("encryptedProvisioners")):
            yield Finding(
                urn,
                f"{label}: provisioner {c.provisioner!r} is not EBS, and nothing shows its volumes are encrypted with "
                "a customer key; list it in encryptedProvisioners once it is (e.g. an EFS file system with a KMS key)",
            )
        return
    params = c.parameters
    if params is UNKNOWN:
        yield Finding(urn, f"{label}: its parameters are not known yet", True)
        return
    encrypted = params.get("encrypted", MISSING)
    key = params.get("kmsKeyId", MISSING)
    if encrypted is UNKNOWN:
        yield Finding(urn, f"{label}: parameters.encrypted is not known yet", True)
    elif truthy(encrypted) is not True:
        shown = "not set" if encrypted is MISSING else repr(encrypted)
        yield Finding(urn, f"{label}: parameters.encrypted is {shown}; set 'true' and kmsKeyId a customer key")
        return
    is_customer = customer_key(stack, c.holder, key, c.key_prop)
    if is_customer is None:
        yield Finding(urn, f"{label}: parameters.kmsKeyId is not known yet", True)
        return
    if not is_customer:
        yield Finding(urn, f"{label}: parameters.kmsKeyId names no customer key (EBS then uses the account's default "
                           "EBS key, aws/ebs unless changed); set the zone's key ARN")  # fmt: skip
        return
    zone_keys = {str(z): [str(p) for p in as_list(ps)] for z, ps in (config.get("zoneKeys") or {}).items()}
    problem = _zone_problem(stack, c, key, zone_keys) if c.zone else None
    if problem:
        yield Finding(urn, f"{label} (class of zone {c.zone}) {problem}")
    if c.default is None:
        yield Finding(urn, f"{label}: whether it is the default class is not known yet", True)
    elif c.default and (c.zone or stack.sources(c.holder, c.key_prop, *KEY_RESOURCES)):
        yield Finding(
            urn,
            f"{label} is the default StorageClass and encrypts with a zone's key: every claim that names no class "
            "gets it; remove the storageclass.kubernetes.io/is-default-class annotation",
        )


@stack_rule(
    "storage-classes-encrypted",
    "DATA-08",
    "StorageClasses encrypt volumes with their zone's customer key",
    config={
        "zoneKeys": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "default": {},
            "description": "Zone -> ARN or alias patterns of keys other stacks create for it: a StorageClass of that "
            "zone may encrypt with them.",
        },
        "encryptedProvisioners": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Provisioners other than EBS whose volumes are encrypted with a customer key by "
            "construction (e.g. efs.csi.aws.com on a KMS-encrypted file system): said here, reviewed with the config.",
        },
    },
    subjects=STORAGE_CLASS,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    classes, unread = storage_classes(stack)
    for r, why in unread:
        yield Finding(r.urn, f"{r.label()}: the StorageClasses it makes cannot be told: {why}", "not known" in why)
    for c in classes:
        yield from _judge(stack, c, config)
