"""MESH-08: approved external hosts are read-only unless the pack config says otherwise. A ServiceEntry port the
sidecar cannot read (TLS, HTTPS, TCP, unnamed) lets every method through, so it is a finding unless its host is
listed writable or is an external proxy whose own rules decide; an HTTP port must have a VirtualService for the
host whose every route passes only GET/HEAD or refuses the request."""

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any

from framework import types as t
from framework.kube import namespace_of
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN, as_list

from ..k8s.zone_workloads_unprivileged import mapping

VIRTUAL_SERVICE = tuple(t.k8s(f"networking.istio.io/{v}", "VirtualService") for v in ("v1", "v1beta1", "v1alpha3"))
READ = {"GET", "HEAD"}
HTTP = {"HTTP", "HTTP2", "GRPC"}
DEFAULT_WRITABLE = ["sts.*.amazonaws.com", "*.vpce.amazonaws.com"]


def _route_read_only(route: Mapping[str, Any]) -> bool:
    abort = mapping(mapping(route.get("fault")).get("abort"))
    share = mapping(abort.get("percentage")).get("value")
    if (abort and (share is None or float(share) >= 100)) or route.get("directResponse"):
        return True
    matches = [m for m in as_list(route.get("match")) if isinstance(m, Mapping)]
    return bool(matches) and all(
        isinstance(m.get("method"), Mapping) and m["method"].get("exact") in READ for m in matches
    )


def _read_only(stack: Stack, host: str, namespace: str | None) -> bool:
    for vs in stack.of_type(*VIRTUAL_SERVICE):
        if host in as_list(vs.get("spec.hosts")) and namespace_of(vs) == namespace:
            routes = [r for r in as_list(vs.get("spec.http")) if isinstance(r, Mapping)]
            if routes and all(_route_read_only(r) for r in routes):
                return True
    return False


@stack_rule(
    "external-hosts-read-only",
    "MESH-08",
    "Approved external hosts are read-only unless declared writable",
    config={
        "writableExternalHosts": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_WRITABLE,
            "description": "Host patterns that may accept writes (AWS endpoints by default).",
        },
        "externalProxies": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Egress proxies outside the cluster: the mesh sees only their tunnel, their "
            "own rules must keep approved hosts read-only (reviewed outside this pack).",
        },
    },
    subjects=t.SERVICE_ENTRY,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    exempt = [str(p) for p in [*(config.get("writableExternalHosts") or []), *(config.get("externalProxies") or [])]]
    for entry in stack.of_type(*t.SERVICE_ENTRY):
        if entry.get("spec.location") == "MESH_INTERNAL" or stack.sources(entry, "spec", *t.VPC_ENDPOINT):
            continue
        hosts, ports = entry.get("spec.hosts"), entry.get("spec.ports")
        if UNKNOWN in (hosts, ports):
            yield Finding(entry.urn, f"{entry.label()}: its hosts or ports are not known yet", True)
            continue
        for host in [str(h) for h in as_list(hosts)]:
            if any(fnmatch.fnmatchcase(host, p) for p in exempt):
                continue
            for port in [p for p in as_list(ports) if isinstance(p, Mapping)]:
                protocol = str(port.get("protocol", "")).upper()
                if protocol not in HTTP:
                    yield Finding(
                        entry.urn,
                        f"{entry.label()} lets pods reach {host} on {port.get('number')} over "
                        f"{protocol or 'an unnamed protocol'}, which the sidecar cannot read: every "
                        "method passes. Register it as HTTP with TLS origination and a GET/HEAD "
                        "route, or list it in writableExternalHosts",
                    )
                elif not _read_only(stack, host, namespace_of(entry)):
                    yield Finding(
                        entry.urn,
                        f"{entry.label()}: {host} is reached over HTTP with no VirtualService "
                        "passing only GET and HEAD",
                    )
