"""MESH-04: ServiceEntries name only approved external hosts and stay in their namespace (exportTo ['.']).

A host unknown in a first preview is approved when it comes from a VPC endpoint of the stack (its DNS name,
a PrivateLink address), which the ServiceEntry's dependencies show."""

import fnmatch
from collections.abc import Iterator

from framework import types as t
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list

DEFAULT_HOSTS = ["sts.*.amazonaws.com", "*.vpce.amazonaws.com"]


@stack_rule(
    "service-entries-approved-hosts",
    "MESH-04",
    "External hosts only from the approved list",
    config={
        "approvedExternalHosts": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_HOSTS,
            "description": "Host patterns ServiceEntries may name: the environment's reviewed egress allow-list.",
        }
    },
    subjects=t.SERVICE_ENTRY,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    approved = [str(p) for p in config.get("approvedExternalHosts") or []]
    for entry in stack.of_type(*t.SERVICE_ENTRY):
        spec_hosts = entry.get("spec.hosts")
        location = entry.get("spec.location")
        if location == "MESH_INTERNAL":
            continue
        from_endpoint = bool(stack.sources(entry, "spec", *t.VPC_ENDPOINT))
        for host in as_list(spec_hosts) if spec_hosts is not UNKNOWN else [UNKNOWN]:
            if host is UNKNOWN:
                if not from_endpoint:
                    yield Finding(entry.urn, f"{entry.label()}: a host is not known yet", True)
            elif not any(fnmatch.fnmatchcase(str(host), p) for p in approved):
                yield Finding(
                    entry.urn, f"{entry.label()} lets pods reach {host}, which approvedExternalHosts does not list"
                )
        export = entry.get("spec.exportTo")
        if export is not UNKNOWN and as_list(export) != ["."]:
            yield Finding(
                entry.urn, f"{entry.label()} is exported to {export or 'every namespace'}; set exportTo ['.']"
            )
