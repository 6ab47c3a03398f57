"""DATA-01: a node pool's volumes are encrypted with its own zone's key (tagged enclave:zone), so one zone's
key grants never open another zone's disks."""

from collections.abc import Iterator, Mapping

from framework import types as t
from framework.keys import KEY_RESOURCES
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN

ZONE_LABEL, ZONE_TAG = "enclave.dev/zone", "enclave:zone"


@stack_rule("node-volumes-use-zone-key", "DATA-01", "Each node pool's volumes use its own zone's key")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for group in stack.of_type(*t.EKS_NODE_GROUP):
        labels = group.get("labels")
        zone = labels.get(ZONE_LABEL) if isinstance(labels, Mapping) else None
        if labels is UNKNOWN or not isinstance(zone, str):
            continue  # unlabelled pools are NODE-05's finding
        for lt in stack.sources(group, "launchTemplate", *t.LAUNCH_TEMPLATE):
            keys = stack.sources(lt, "blockDeviceMappings", *KEY_RESOURCES)
            if not keys:
                yield Finding(
                    lt.urn,
                    f"{lt.label()}: its volume key is not a key of this stack, so its zone cannot be checked",
                    True,
                )
                continue
            zones = {k.tag(ZONE_TAG) for k in keys}
            if zones != {zone}:
                shown = ", ".join(sorted(str(z) for z in zones))
                yield Finding(
                    lt.urn,
                    f"{lt.label()} (pool of zone {zone}) encrypts volumes with a key of zone {shown}; use zone "
                    f"{zone}'s key",
                )
