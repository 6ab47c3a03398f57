"""What each zone's pods can really reach, read off the offline synth: the NetworkPolicies of every zone
namespace are evaluated as an enforcing CNI evaluates them, against probes derived from the stack file
(its egress CIDRs and ports, its proxy, its flows) and against destinations no stack file may open (the
instance metadata service, other zones' addresses in the VPC, the company network, the internet).

Besides the shipped stacks, prod is synthesized once with internet egress on its platform zone (the only
zone class besides notebooks the config lets have it): an internet exception must still keep out every
private range and the metadata service. See test_wiring_deploy_order.py for the break list.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from components.config import Zone
from tests.conftest import STACKS

from .wiring import Deployed, Pod, Policies, Synth, Target, deployed, deployed_edit, k8s_namespace

WORKLOAD = {"app": "workload"}
KUBE_DNS = ("kube-system", {"k8s-app": "kube-dns"})
ISTIOD = ("istio-system", {"app": "istiod"})
ISTIOD_XDS = 15012
METADATA = ["169.254.169.254", "169.254.170.23", "fd00:ec2::254"]
INTERNET = ["1.1.1.1", "8.8.8.8", "52.216.0.10"]
PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
PROBE_PORTS = [22, 53, 80, 443, 3128, 8080, 9090, 10250, 15012, 29500]


def _platform_internet(data: dict[str, Any]) -> None:
    (platform,) = [z for z in data["zones"] if z["class"] == "platform"]
    platform.setdefault("egress", {})["allow_internet"] = True


VARIANTS: dict[str, tuple[str, Callable[[dict[str, Any]], None]]] = {
    "prod+platform-internet": ("prod", _platform_internet)
}
PLATFORMS = [*STACKS, *VARIANTS]

Platforms = Callable[[str], Deployed]


@pytest.fixture(scope="session")
def platforms(synthed: Synth, tmp_path_factory: pytest.TempPathFactory) -> Platforms:
    def get(name: str) -> Deployed:
        if name in STACKS:
            return deployed(synthed(name))
        stack, edit = VARIANTS[name]
        folder: Callable[[], Path] = lambda: tmp_path_factory.mktemp(name.replace("+", "-"))  # noqa: E731
        return deployed_edit(stack, name, edit, folder)

    return get


def _hosts(cidr: str) -> list[str]:
    """The first and last usable address of a block (its only address for a /32)."""
    net = ipaddress.ip_network(cidr)
    if net.num_addresses <= 2:
        return [str(net[0])]
    return [str(net[1]), str(net[-2])]


def _inside(address: str, cidrs: list[str]) -> bool:
    addr = ipaddress.ip_address(address)
    return any(addr.version == ipaddress.ip_network(c).version and addr in ipaddress.ip_network(c) for c in cidrs)


def _zone_pods(p: Deployed, policies: Policies) -> Iterator[tuple[Zone, Pod]]:
    for zone in p.cfg.zones:
        for ns in zone.namespaces:
            yield zone, policies.pod(ns, WORKLOAD)


def expected_egress(p: Deployed, policies: Policies, zone: Zone) -> tuple[list[Target], list[Target]]:
    """(must reach, must not reach) outside the zone matrix, from the stack file alone."""
    egress = zone.egress
    allowed: list[Target] = [
        Target("UDP", 53, pod=policies.pod(KUBE_DNS[0], KUBE_DNS[1])),
        Target("TCP", 53, pod=policies.pod(KUBE_DNS[0], KUBE_DNS[1])),
        Target("TCP", ISTIOD_XDS, pod=policies.pod(ISTIOD[0], ISTIOD[1])),
    ]
    denied: list[Target] = [
        Target("TCP", 443, pod=policies.pod(KUBE_DNS[0], KUBE_DNS[1])),
        Target("TCP", 443, pod=policies.pod(ISTIOD[0], ISTIOD[1])),
    ]
    declared = list(egress.cidrs)
    for cidr in egress.cidrs:
        for address in _hosts(cidr):
            for port in egress.ports:
                allowed += [Target(port.protocol, n, address=address) for n in {port.port, port.end_port or port.port}]
            assert all(not (p.port <= 22 <= (p.end_port or p.port)) for p in egress.ports)
            denied.append(Target("TCP", 22, address=address))
    if egress.proxy is not None:
        declared.append(egress.proxy.cidr)
        for address in _hosts(egress.proxy.cidr):
            allowed.append(Target("TCP", egress.proxy.port, address=address))
            if not _inside(address, egress.cidrs):
                denied.append(Target("TCP", 22, address=address))
    # Never: the metadata services (node credentials), on any port.
    denied += [Target(proto, port, address=a) for a in METADATA for proto, port in (("TCP", 80), ("TCP", 443))]
    # Never: private addresses the stack file does not name (other zones' nodes and pods in the VPC, the
    # company network behind the transit gateway, other private ranges).
    others = [p.cfg.network.cidr, *PRIVATE_RANGES]
    if p.cfg.network.mode == "create" and p.cfg.network.transit_gateway is not None:
        others += p.cfg.network.transit_gateway.routes
    for cidr in others:
        net = ipaddress.ip_network(cidr)
        for address in [str(net[10]), str(net[net.num_addresses // 2 + 10])]:
            if not _inside(address, declared):
                denied += [Target("TCP", port, address=address) for port in (443, 10250)]
    # The internet: only on 443 and only where the stack file says so; DNS only through kube-dns.
    for address in INTERNET:
        https = Target("TCP", 443, address=address)
        (allowed if egress.allow_internet else denied).append(https)
        denied += [Target("TCP", 80, address=address), Target("UDP", 53, address=address)]
    return allowed, denied


@pytest.mark.parametrize("name", PLATFORMS)
def test_each_zone_reaches_exactly_its_declared_egress_destinations(platforms: Platforms, name: str) -> None:
    p = platforms(name)
    policies = Policies(p)
    wrong = []
    for zone, pod in _zone_pods(p, policies):
        allowed, denied = expected_egress(p, policies, zone)
        wrong += [f"{pod.namespace} cannot reach {t}" for t in allowed if not policies.connects(pod, t)]
        wrong += [f"{pod.namespace} reaches {t}" for t in denied if policies.connects(pod, t)]
    assert wrong == []


def test_internet_egress_never_reaches_private_ranges_or_instance_metadata(platforms: Platforms) -> None:
    """A zone allowed the internet reaches public addresses on 443, and still none of the private ranges
    (other zones' pods and nodes, the company network) and not the metadata service."""
    p = platforms("prod+platform-internet")
    policies = Policies(p)
    (zone,) = [z for z in p.cfg.zones if z.egress.allow_internet]
    for ns in zone.namespaces:
        pod = policies.pod(ns, WORKLOAD)
        assert policies.connects(pod, Target("TCP", 443, address="1.1.1.1"))
        for cidr in PRIVATE_RANGES:
            for address in _hosts(cidr):
                assert not policies.connects(pod, Target("TCP", 443, address=address)), f"{ns} -> {address}"
        for address in METADATA[:2]:
            assert not policies.connects(pod, Target("TCP", 80, address=address)), f"{ns} -> {address}"
    others = [z for z in p.cfg.zones if not z.egress.allow_internet]
    for other in others:
        for ns in other.namespaces:
            assert not policies.connects(policies.pod(ns, WORKLOAD), Target("TCP", 443, address="1.1.1.1"))


@pytest.mark.parametrize("name", PLATFORMS)
def test_zone_to_zone_connections_are_exactly_the_declared_flows(platforms: Platforms, name: str) -> None:
    """Pods of zone A open a connection to pods of zone B (B = A included) on a port exactly when a flow
    from A to B declares it: egress of A and ingress of B both allow it, and nothing else is open."""
    p = platforms(name)
    policies = Policies(p)
    ports = set(PROBE_PORTS)
    for flow in p.cfg.flows:
        for declared_port in flow.ports:
            start, end = declared_port.port, declared_port.end_port or declared_port.port
            ports |= {start, end, start - 1, end + 1, (start + end) // 2}
    wrong = []
    for src_zone, src in _zone_pods(p, policies):
        for dst_zone, dst in _zone_pods(p, policies):
            for protocol in ("TCP", "UDP"):
                for port in sorted(ports):
                    declared = any(
                        f.source == src_zone.name
                        and f.target == dst_zone.name
                        and any(x.protocol == protocol and x.port <= port <= (x.end_port or x.port) for x in f.ports)
                        for f in p.cfg.flows
                    )
                    if policies.connects(src, Target(protocol, port, pod=dst)) != declared:
                        verb = "cannot reach" if declared else "reaches"
                        wrong.append(f"{src.namespace} {verb} {dst.namespace} {protocol}/{port}")
    assert wrong == []


@pytest.mark.parametrize("name", PLATFORMS)
def test_mesh_egress_names_exactly_the_configured_hosts(platforms: Platforms, name: str) -> None:
    """Each zone namespace's sidecars refuse unknown destinations (REGISTRY_ONLY), and the external hosts
    registered for it (AWS's own endpoints aside) are exactly the stack file's hosts and proxy."""
    p = platforms(name)
    for zone in p.cfg.zones:
        for ns in zone.namespaces:
            sidecars = p.k8s_objects("Sidecar", ns)
            assert len(sidecars) == 1, ns
            assert sidecars[0]["inputs"]["spec"]["outboundTrafficPolicy"]["mode"] == "REGISTRY_ONLY"
            entries = [e for e in p.k8s_objects("ServiceEntry", ns) if k8s_namespace(e) == ns]
            hosts = {
                h
                for e in entries
                for h in e["inputs"]["spec"]["hosts"]
                if isinstance(h, str) and not h.endswith(".amazonaws.com")
            }
            expected = set(zone.egress.hosts) | ({zone.egress.proxy.host} if zone.egress.proxy else set())
            assert hosts == expected, f"{ns}: registered {sorted(hosts)}, configured {sorted(expected)}"
            assert all(e["inputs"]["spec"].get("exportTo") == ["."] for e in entries), f"{ns}: exported"
