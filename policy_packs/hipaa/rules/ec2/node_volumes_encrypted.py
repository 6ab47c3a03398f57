"""NODE-02: every EBS volume a launch template maps is encrypted with a customer key; node groups without a
launch template get EKS's default (unencrypted unless the account encrypts by default) and are refused."""

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.keys import customer_key
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING, UNKNOWN, as_list, truthy


@stack_rule(
    "node-volumes-encrypted",
    "NODE-02",
    "Node volumes are encrypted with a customer key",
    subjects=(*t.LAUNCH_TEMPLATE, *t.INSTANCE, *t.EKS_NODE_GROUP),
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for lt in stack.of_type(*t.LAUNCH_TEMPLATE, *t.INSTANCE):
        mappings = lt.get("blockDeviceMappings") if lt.type in t.LAUNCH_TEMPLATE else lt.get("rootBlockDevice")
        if mappings is UNKNOWN:
            yield Finding(lt.urn, f"{lt.label()}: its block device mappings are not known yet", True)
            continue
        ebs_list = [m.get("ebs", m) if isinstance(m, Mapping) else m for m in as_list(mappings)]
        if not ebs_list:
            yield Finding(
                lt.urn, f"{lt.label()} maps no encrypted root volume; add one with encrypted 'true' and a KMS key"
            )
        for ebs in ebs_list:
            if not isinstance(ebs, Mapping):
                continue
            encrypted = ebs.get("encrypted", MISSING)
            prop = "blockDeviceMappings" if lt.type in t.LAUNCH_TEMPLATE else "rootBlockDevice"
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
