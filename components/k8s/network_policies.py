"""NetworkPolicies of a trust zone: default-deny, DNS, the mesh control plane, the declared flow
matrix and the zone's egress allow-list. Nothing else is ever allowed."""

from __future__ import annotations

from typing import Any

from ..config import Port
from .labels import MANAGED_BY, NAMESPACE_NAME_LABEL, ZONE_LABEL
from .rollout import open_default, stage
from .zone_context import ZoneContext

Manifest = dict[str, Any]
INTERNET = "0.0.0.0/0"
# Kept out of an internet exception: private ranges and the instance metadata service.
INTERNET_EXCEPT = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"]
ISTIOD_XDS_PORT = 15012


def _policy(namespace: str, name: str, spec: dict[str, Any]) -> Manifest:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(MANAGED_BY)},
        "spec": {"podSelector": {}, **spec},
    }


def np_port(port: Port) -> dict[str, Any]:
    out: dict[str, Any] = {"protocol": port.protocol, "port": port.port}
    if port.end_port is not None and port.end_port != port.port:
        out["endPort"] = port.end_port
    return out


def _zone_peer(zone_name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {ZONE_LABEL: zone_name}}}


def deny_all_but_dns(namespace: str) -> list[Manifest]:
    """A namespace's default-deny policy and its DNS egress to kube-dns (every namespace of the platform's)."""
    return [
        _policy(namespace, "default-deny", {"policyTypes": ["Ingress", "Egress"]}),
        _policy(
            namespace,
            "allow-dns",
            {
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        ),
    ]


def network_policies(ctx: ZoneContext, namespace: str) -> list[Manifest]:
    """Every NetworkPolicy of one namespace of `zone`, named for what it allows."""
    rollout = stage(ctx.zone)
    deny, dns = deny_all_but_dns(namespace)
    out = [
        # below enforce, default-deny gives way to allow-all (warn: but the metadata service); the rest stays
        deny if rollout == "enforce" else open_default(namespace, rollout, _policy),
        dns,
        # Sidecars fetch config and certificates from istiod; without it STRICT mTLS cannot work.
        _policy(
            namespace,
            "allow-mesh-control-plane",
            {
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "istio-system"}},
                                "podSelector": {"matchLabels": {"app": "istiod"}},
                            }
                        ],
                        "ports": [{"protocol": "TCP", "port": ISTIOD_XDS_PORT}],
                    }
                ],
            },
        ),
    ]
    for flow in ctx.flows_into():
        out.append(
            _policy(
                namespace,
                f"allow-from-{flow.source}",
                {
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": [_zone_peer(flow.source)], "ports": [np_port(p) for p in flow.ports]}],
                },
            )
        )
    for flow in ctx.flows_out_of():
        out.append(
            _policy(
                namespace,
                f"allow-to-{flow.target}",
                {
                    "policyTypes": ["Egress"],
                    "egress": [{"to": [_zone_peer(flow.target)], "ports": [np_port(p) for p in flow.ports]}],
                },
            )
        )
    egress = ctx.zone.egress
    if egress.cidrs:
        out.append(
            _policy(
                namespace,
                "allow-egress-endpoints",
                {
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [{"ipBlock": {"cidr": cidr}} for cidr in egress.cidrs],
                            "ports": [np_port(p) for p in egress.ports],
                        }
                    ],
                },
            )
        )
    if egress.proxy is not None:
        out.append(
            _policy(
                namespace,
                "allow-egress-proxy",
                {
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [{"ipBlock": {"cidr": egress.proxy.cidr}}],
                            "ports": [{"protocol": "TCP", "port": egress.proxy.port}],
                        }
                    ],
                },
            )
        )
    if egress.allow_internet:
        out.append(
            _policy(
                namespace,
                "allow-internet-egress",
                {
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [{"ipBlock": {"cidr": INTERNET, "except": INTERNET_EXCEPT}}],
                            "ports": [{"protocol": "TCP", "port": 443}],
                        }
                    ],
                },
            )
        )
    return out
