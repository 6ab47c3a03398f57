"""DATA-01: a node pool's volumes are encrypted with its own zone's key (tagged enclave:zone), so one zone's
key grants never open another zone's disks. A key of another stack (a known ARN or alias) has its zone from the
pack config's `zoneKeys`; one it does not name is a finding, not a question left open: only a key whose value is
not known yet (a first preview) is unverifiable."""

import fnmatch
from collections.abc import Iterator, Mapping

from framework import types as t
from framework.keys import KEY_RESOURCES
from framework.model import Finding, Resource, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list

ZONE_LABEL, ZONE_TAG = "enclave.dev/zone", "enclave:zone"


def _given_keys(lt: Resource) -> list:
    return [
        m.get("ebs", {}).get("kmsKeyId") if isinstance(m.get("ebs"), Mapping) else UNKNOWN
        for m in as_list(lt.get("blockDeviceMappings"))
        if isinstance(m, Mapping) and "virtualName" not in m
    ] if lt.get("blockDeviceMappings") is not UNKNOWN else [UNKNOWN]  # fmt: skip


@stack_rule(
    "node-volumes-use-zone-key",
    "DATA-01",
    "Each node pool's volumes use its own zone's key",
    config={
        "zoneKeys": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "default": {},
            "description": "Zone -> ARN or alias patterns of keys other stacks create for it (e.g. a shared "
            "platform's zone keys): a pool of that zone may encrypt its volumes with them.",
        }
    },
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    zone_keys = {str(z): [str(p) for p in as_list(ps)] for z, ps in (config.get("zoneKeys") or {}).items()}
    for group in stack.of_type(*t.EKS_NODE_GROUP):
        labels = group.get("labels")
        zone = labels.get(ZONE_LABEL) if isinstance(labels, Mapping) else None
        if labels is UNKNOWN or not isinstance(zone, str):
            continue  # unlabelled pools are NODE-05's finding
        for lt in stack.sources(group, "launchTemplate", *t.LAUNCH_TEMPLATE):
            keys = stack.sources(lt, "blockDeviceMappings", *KEY_RESOURCES)
            if not keys:
                given = _given_keys(lt)
                if UNKNOWN in given:
                    yield Finding(
                        lt.urn, f"{lt.label()}: its volume key is not known yet and is not a key of this stack", True
                    )
                    continue
                foreign = [k for k in given if not any(fnmatch.fnmatchcase(str(k), p) for p in zone_keys.get(zone, []))]
                if foreign:
                    yield Finding(
                        lt.urn,
                        f"{lt.label()} (pool of zone {zone}) encrypts volumes with {', '.join(map(str, foreign))}, "
                        f"a key of no zone this stack or zoneKeys names; give zone {zone} its key in zoneKeys",
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
