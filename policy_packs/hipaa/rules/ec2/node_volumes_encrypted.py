"""NODE-02: every EBS volume is encrypted with a customer key: the volumes a launch template maps, an instance's
root and additional (ebsBlockDevices) volumes, and standalone aws.ebs.Volume resources (attached with
VolumeAttachment); node groups without a launch template get EKS's default (unencrypted unless the account
encrypts by default) and are refused."""

from collections.abc import Iterator, Mapping
from typing import Any

from framework import types as t
from framework.keys import customer_key
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING, UNKNOWN, as_list, truthy

EBS_VOLUME = ("aws:ebs/volume:Volume",)


def _volumes(r: Resource) -> Any:
    """(property, EBS settings) of every volume the resource makes: UNKNOWN when its mappings are unknown."""
    if r.type in EBS_VOLUME:
        return [("kmsKeyId", r.props)]
    if r.type in t.LAUNCH_TEMPLATE:
        mappings = r.get("blockDeviceMappings")
        if mappings is UNKNOWN:
            return UNKNOWN
        return [("blockDeviceMappings", m.get("ebs", m) if isinstance(m, Mapping) else m) for m in as_list(mappings)]
    out: list[tuple[str, object]] = []
    for prop in ("rootBlockDevice", "ebsBlockDevices"):
        value = r.get(prop)
        if value is UNKNOWN:
            return UNKNOWN
        out += [(prop, v) for v in as_list(value)]
    return out


@stack_rule(
    "node-volumes-encrypted",
    "NODE-02",
    "Node volumes are encrypted with a customer key",
    subjects=(*t.LAUNCH_TEMPLATE, *t.INSTANCE, *t.EKS_NODE_GROUP, *EBS_VOLUME),
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for lt in stack.of_type(*t.LAUNCH_TEMPLATE, *t.INSTANCE, *EBS_VOLUME):
        volumes = _volumes(lt)
        if volumes is UNKNOWN:
            yield Finding(lt.urn, f"{lt.label()}: its block device mappings are not known yet", True)
            continue
        if not any(prop == "rootBlockDevice" or lt.type not in t.INSTANCE for prop, _ in volumes):
            yield Finding(
                lt.urn, f"{lt.label()} maps no encrypted root volume; add one with encrypted 'true' and a KMS key"
            )
        for prop, ebs in volumes:
            if ebs is UNKNOWN:
                yield Finding(lt.urn, f"{lt.label()}: its {prop} are not known yet", True)
                continue
            if not isinstance(ebs, Mapping) or "virtualName" in ebs or ebs.get("noDevice"):
                continue  # an instance-store volume or a suppressed device: no EBS
            encrypted = ebs.get("encrypted", MISSING)
            key = customer_key(stack, lt, ebs.get("kmsKeyId", MISSING), prop)
            if encrypted is UNKNOWN or key is None:
                yield Finding(lt.urn, f"{lt.label()}: its volume encryption is not known yet", True)
            elif truthy(encrypted) is not True:
                yield Finding(lt.urn, f"{lt.label()}: a volume has encrypted {encrypted!r}; set 'true'")
            elif not key:
                yield Finding(
                    lt.urn, f"{lt.label()}: a volume names no customer kms_key_id (the AWS managed aws/ebs key)"
                )
    for group in stack.of_type(*t.EKS_NODE_GROUP):
        if group.get("launchTemplate") is MISSING:
            yield Finding(
                group.urn, f"{group.label()} has no launch template: its volumes use EKS's defaults, not a customer key"
            )
