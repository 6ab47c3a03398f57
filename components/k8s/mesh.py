"""Istio objects of a trust zone: STRICT mTLS, allow-nothing plus flow-matrix ALLOW policies with
service-account principals, a REGISTRY_ONLY Sidecar, ServiceEntries for the egress allow-list, and
(for Cilium clusters) FQDN egress policies."""

from __future__ import annotations

from typing import Any

from ..config import Port, Zone
from .labels import MANAGED_BY
from .rollout import staged_mesh
from .zone_context import ZoneContext

Manifest = dict[str, Any]
TRUST_DOMAIN = "cluster.local"
MAX_LISTED_PORTS = 1024


def _meta(namespace: str, name: str) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": dict(MANAGED_BY)}


def port_strings(ports: list[Port]) -> list[str]:
    """Istio operations take single ports: ranges are listed port by port (bounded by config)."""
    out: list[str] = []
    for p in ports:
        last = p.end_port if p.end_port is not None else p.port
        out += [str(n) for n in range(p.port, min(last, p.port + MAX_LISTED_PORTS - 1) + 1)]
    return out


def peer_authentication(namespace: str) -> Manifest:
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "PeerAuthentication",
        "metadata": _meta(namespace, "default"),
        "spec": {"mtls": {"mode": "STRICT"}},
    }


def authorization_policies(ctx: ZoneContext, namespace: str) -> list[Manifest]:
    """An empty ALLOW policy (allow nothing), then one ALLOW per declared inbound flow."""
    out: list[Manifest] = [
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "AuthorizationPolicy",
            "metadata": _meta(namespace, "allow-nothing"),
            "spec": {},
        }
    ]
    zone = ctx.zone
    for flow in ctx.flows_into():
        principals = [f"{TRUST_DOMAIN}/ns/{ns}/sa/*" for ns in ctx.namespaces_of(flow.source)]
        ports = port_strings(flow.ports)
        if flow.source == zone.name and ctx.efa:
            # The NCCL window bypasses the sidecar on EFA pods, so no authorization rule would ever see it:
            # it is guarded by the NetworkPolicy alone (and listing it would only mislead).
            window = {str(n) for n in ctx.kubernetes.nccl_ports.numbers}
            ports = [p for p in ports if p not in window]
            if not ports:
                continue
        out.append(
            {
                "apiVersion": "security.istio.io/v1",
                "kind": "AuthorizationPolicy",
                "metadata": _meta(namespace, f"allow-from-{flow.source}"),
                "spec": {
                    "action": "ALLOW",
                    "rules": [
                        {
                            "from": [{"source": {"principals": principals}}],
                            "to": [{"operation": {"ports": ports}}],
                        }
                    ],
                },
            }
        )
    return out


KUBE_DNS_HOST = "kube-system/kube-dns.kube-system.svc.cluster.local"


def sidecar(ctx: ZoneContext, namespace: str) -> Manifest:
    """Egress scope: the namespace's own services and ServiceEntries (`./*`: the allow-listed hosts, the
    proxy, the AWS endpoints), istiod, kube-dns (DNS over TCP is captured by the sidecar) and the
    namespaces of declared flows. Everything else is refused (REGISTRY_ONLY)."""
    hosts = ["./*", "istio-system/*", KUBE_DNS_HOST]
    zone = ctx.zone
    for flow in ctx.flows_out_of():
        hosts += [f"{ns}/*" for ns in ctx.namespaces_of(flow.target) if ns != namespace and f"{ns}/*" not in hosts]
    # The allow-list and the proxy, named although `./*` already holds their ServiceEntries: the Sidecar
    # should read as the zone's egress allow-list.
    hosts += [f"./{h}" for h in [*zone.egress.hosts, *([zone.egress.proxy.host] if zone.egress.proxy else [])]]
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Sidecar",
        "metadata": _meta(namespace, "default"),
        "spec": {"egress": [{"hosts": hosts}], "outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}},
    }


READ_METHODS = ("GET", "HEAD")
HTTP_PORT = 80


def service_entries(zone: Zone, namespace: str) -> list[Manifest]:
    """The zone's approved hosts and its egress proxy. A writable host (egress.writable_hosts) is reached over TLS
    passthrough on 443: the sidecar sees no request, so any method passes. Every other host is read-only: it is
    registered on port 80 only, plain HTTP that the sidecar itself encrypts to the host's 443 (TLS origination,
    read_only_hosts), so the sidecar sees each request and passes GET and HEAD only; a direct HTTPS connection
    to it matches no registered port and REGISTRY_ONLY drops it. Applications use http://<host> URLs."""
    out: list[Manifest] = []
    writable = [h for h in zone.egress.hosts if h in zone.egress.writable_hosts]
    read_only = [h for h in zone.egress.hosts if h not in zone.egress.writable_hosts]
    if writable:
        out.append(
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "ServiceEntry",
                "metadata": _meta(namespace, "egress-allow-list"),
                "spec": {
                    "hosts": writable,
                    "location": "MESH_EXTERNAL",
                    "resolution": "DNS",
                    "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}],
                    "exportTo": ["."],
                },
            }
        )
    if read_only:
        out.append(
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "ServiceEntry",
                "metadata": _meta(namespace, "egress-read-only"),
                "spec": {
                    "hosts": read_only,
                    "location": "MESH_EXTERNAL",
                    "resolution": "DNS",
                    "ports": [{"number": HTTP_PORT, "name": "http", "protocol": "HTTP", "targetPort": 443}],
                    "exportTo": ["."],
                },
            }
        )
        out += [m for host in read_only for m in read_only_host(namespace, host)]
    if zone.egress.proxy is not None:
        out.append(
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "ServiceEntry",
                "metadata": _meta(namespace, "egress-proxy"),
                "spec": {
                    "hosts": [zone.egress.proxy.host],
                    "location": "MESH_EXTERNAL",
                    "resolution": "DNS",
                    "ports": [{"number": zone.egress.proxy.port, "name": "tcp-proxy", "protocol": "TCP"}],
                    "exportTo": ["."],
                },
            }
        )
    return out


def _host_name(host: str) -> str:
    return "read-only-" + host.replace("*", "wildcard").replace(".", "-")[:50]


def read_only_host(namespace: str, host: str) -> list[Manifest]:
    """The TLS origination to a read-only host's 443 (DestinationRule) and the route that passes GET and HEAD
    and answers every other method 405 (VirtualService), both enforced by the calling pod's own sidecar, which
    the workload cannot reconfigure (admission refuses UID 1337, root, and capture-changing annotations)."""
    destination = {"host": host, "port": {"number": HTTP_PORT}}
    tls: dict[str, Any] = {"mode": "SIMPLE"}
    if not host.startswith("*"):
        tls["sni"] = host
    return [
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "DestinationRule",
            "metadata": _meta(namespace, _host_name(host)),
            "spec": {
                "host": host,
                "exportTo": ["."],
                "trafficPolicy": {"portLevelSettings": [{"port": {"number": HTTP_PORT}, "tls": tls}]},
            },
        },
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "VirtualService",
            "metadata": _meta(namespace, _host_name(host)),
            "spec": {
                "hosts": [host],
                "exportTo": ["."],
                "http": [
                    {
                        "name": "read",
                        "match": [{"method": {"exact": m}} for m in READ_METHODS],
                        "route": [{"destination": destination}],
                    },
                    {
                        "name": "refuse-writes",
                        "fault": {"abort": {"httpStatus": 405, "percentage": {"value": 100.0}}},
                        "route": [{"destination": destination}],
                    },
                ],
            },
        },
    ]


def aws_endpoints_service_entry(namespace: str, region: str, s3_endpoint_url: Any) -> Manifest:
    """STS and the S3 interface endpoint as mesh-external TLS hosts of `namespace`. `s3_endpoint_url` is
    `https://bucket.<endpoint dns>` (an Output in a program); SDKs address `<bucket>.bucket.<endpoint dns>`,
    hence the wildcard, which needs resolution NONE (Envoy forwards to the address the client resolved)."""
    s3_hosts = (
        s3_endpoint_url.apply(_s3_wildcard) if hasattr(s3_endpoint_url, "apply") else _s3_wildcard(s3_endpoint_url)
    )
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "ServiceEntry",
        "metadata": _meta(namespace, "aws-endpoints"),
        "spec": {
            "hosts": [f"sts.{region}.amazonaws.com", s3_hosts],
            "location": "MESH_EXTERNAL",
            "resolution": "NONE",
            "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}],
            "exportTo": ["."],
        },
    }


def _s3_wildcard(url: str) -> str:
    return "*." + url.removeprefix("https://").removeprefix("bucket.")


def cilium_fqdn_policy(zone: Zone, namespace: str) -> Manifest | None:
    """For clusters that run Cilium: notebook egress pinned to the egress proxy by DNS name (the
    NetworkPolicy can only name its CIDR). DNS goes to kube-dns only, where Cilium inspects it; the
    allow-listed hosts are reached through the proxy, which enforces the same list, never directly.
    Other zone classes get none: their egress is CIDR-bound (training, inference) or cluster-only."""
    if zone.zone_class != "notebooks" or zone.egress.proxy is None:
        return None
    proxy = zone.egress.proxy
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": _meta(namespace, "egress-fqdn-proxy"),
        "spec": {
            "endpointSelector": {},
            "egress": [
                {
                    "toEndpoints": [
                        {
                            "matchLabels": {
                                "k8s:io.kubernetes.pod.namespace": "kube-system",
                                "k8s:k8s-app": "kube-dns",
                            }
                        }
                    ],
                    "toPorts": [
                        {"ports": [{"port": "53", "protocol": "ANY"}], "rules": {"dns": [{"matchPattern": "*"}]}}
                    ],
                },
                {
                    "toFQDNs": [{"matchName": proxy.host}],
                    "toPorts": [{"ports": [{"port": str(proxy.port), "protocol": "TCP"}]}],
                },
            ],
        },
    }


def mesh_objects(ctx: ZoneContext, namespace: str) -> list[Manifest]:
    rollout = ctx.zone.rollout.stage
    out = [
        staged_mesh(m, rollout)
        for m in [peer_authentication(namespace), *authorization_policies(ctx, namespace), sidecar(ctx, namespace)]
    ]
    out += service_entries(ctx.zone, namespace)
    if ctx.kubernetes.cilium:
        cnp = cilium_fqdn_policy(ctx.zone, namespace)
        if cnp is not None:
            out.append(cnp)
    return out
