"""The trust zones as the rendered NetworkPolicies make them: which namespaces (zones) may reach which, on which
ports, and what each zone may reach outside the zones. Read from the Kubernetes objects, not from the stack
config, so the picture shows what will be enforced."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from components.k8s.labels import CLASS_LABEL, NAMESPACE_NAME_LABEL, ZONE_LABEL

from ..reach import Conn

ALL_PORTS = "all ports"
ANYWHERE = "0.0.0.0/0"
# Namespaces zones reach that the stack does not create (their labels are Kubernetes' own).
SYSTEM_NAMESPACES = ("kube-system", "istio-system")


@dataclass(frozen=True)
class Zone:
    name: str
    zone_class: str
    namespaces: tuple[str, ...]


@dataclass(frozen=True)
class Flow:
    """Pods of zone `src` may open `ports` to pods of zone `dst` (both sides' policies allow it)."""

    src: str
    dst: str
    ports: tuple[str, ...]


@dataclass
class ZoneGraph:
    zones: list[Zone]
    # namespace-level, the shape of reach.expected_connectivity: comparable with the declaration
    connections: set[Conn] = field(default_factory=set)

    def zone_of(self, namespace: str) -> str | None:
        return next((z.name for z in self.zones if namespace in z.namespaces), None)

    def flows(self) -> list[Flow]:
        """Zone-to-zone connections, ports merged over the zones' namespaces."""
        out: dict[tuple[str, str], set[str]] = {}
        for conn in self.connections:
            src, dst = self.zone_of(conn.src), self.zone_of(conn.dst)
            if src is not None and dst is not None:
                out.setdefault((src, dst), set()).update(conn.ports)
        order = {z.name: i for i, z in enumerate(self.zones)}
        return [
            Flow(s, d, tuple(sorted(p, key=port_key)))
            for (s, d), p in sorted(out.items(), key=lambda kv: (order[kv[0][0]], order[kv[0][1]]))
        ]

    def egress(self, zone: str) -> list[tuple[str, tuple[str, ...]]]:
        """(destination outside the zones: a CIDR or a system namespace, ports) the zone's pods may reach."""
        out: dict[str, set[str]] = {}
        for conn in self.connections:
            if self.zone_of(conn.src) == zone and self.zone_of(conn.dst) is None:
                out.setdefault(conn.dst, set()).update(conn.ports)
        ordered = sorted(out.items(), key=lambda kv: _dest_key(kv[0]))
        return [(dst, tuple(sorted(p, key=port_key))) for dst, p in ordered]

    def to_json(self) -> dict[str, Any]:
        return {
            "zones": [
                {"name": z.name, "class": z.zone_class, "namespaces": list(z.namespaces),
                 "egress": [{"to": dst, "ports": list(ports)} for dst, ports in self.egress(z.name)]}
                for z in self.zones
            ],
            "flows": [{"from": f.src, "to": f.dst, "ports": list(f.ports)} for f in self.flows()],
        }  # fmt: skip


def port_key(port: str) -> tuple[int, str]:
    number = port.split(":", 1)[-1].split("-", 1)[0]
    return (int(number) if number.isdigit() else 1 << 20, port)


def _dest_key(dest: str) -> tuple[int, str]:
    return (0 if dest[:1].isdigit() else 1, dest)


def _ports(rule: dict[str, Any]) -> set[str]:
    ports = rule.get("ports") or []
    if not ports:
        return {ALL_PORTS}
    out = set()
    for p in ports:
        proto = p.get("protocol", "TCP")
        if "port" not in p:
            out.add(f"{proto}:all")
        elif p.get("endPort") not in (None, p["port"]):
            out.add(f"{proto}:{p['port']}-{p['endPort']}")
        else:
            out.add(f"{proto}:{p['port']}")
    return out


def _both(a: set[str], b: set[str]) -> set[str]:
    """Ports both sides allow (a side that names no ports allows all)."""
    if ALL_PORTS in a:
        return set(b)
    if ALL_PORTS in b:
        return set(a)
    return a & b


def _matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    wanted = selector.get("matchLabels") or {}
    return all(labels.get(k) == v for k, v in wanted.items()) and not selector.get("matchExpressions")


def _peers(peers: list[dict[str, Any]] | None, own: str, labels: dict[str, dict[str, str]]) -> set[str]:
    """The namespaces or CIDRs a rule's `to` / `from` names (no peers: anywhere)."""
    if not peers:
        return {ANYWHERE, *labels}
    out: set[str] = set()
    for peer in peers:
        if "ipBlock" in peer:
            out.add(peer["ipBlock"]["cidr"])
        elif "namespaceSelector" in peer:
            out.update(ns for ns, nl in labels.items() if _matches(peer["namespaceSelector"], nl))
        else:  # a podSelector alone selects pods of the policy's own namespace
            out.add(own)
    return out


def zone_graph(objects: Iterable[dict[str, Any]]) -> ZoneGraph:
    """Zones from the Namespaces' zone labels; connections from the NetworkPolicies of their namespaces: a zone
    namespace reaches another when its egress and the other's ingress both allow it (default deny both ways),
    and reaches a CIDR or a system namespace when its egress allows it."""
    objects = list(objects)
    labels = {n: {NAMESPACE_NAME_LABEL: n} for n in SYSTEM_NAMESPACES}
    zones: dict[str, list[str]] = {}
    classes: dict[str, str] = {}
    for obj in objects:
        if obj.get("kind") != "Namespace":
            continue
        meta = obj["metadata"]
        ns_labels = {NAMESPACE_NAME_LABEL: meta["name"], **(meta.get("labels") or {})}
        labels[meta["name"]] = ns_labels
        if ZONE_LABEL in ns_labels:
            zones.setdefault(ns_labels[ZONE_LABEL], []).append(meta["name"])
            classes.setdefault(ns_labels[ZONE_LABEL], ns_labels.get(CLASS_LABEL, ""))
    zone_ns = {ns for names in zones.values() for ns in names}
    egress: dict[tuple[str, str], set[str]] = {}
    ingress: dict[tuple[str, str], set[str]] = {}
    for obj in objects:
        if obj.get("kind") != "NetworkPolicy" or obj["metadata"].get("namespace") not in zone_ns:
            continue
        ns, spec = obj["metadata"]["namespace"], obj.get("spec") or {}
        for rule in spec.get("egress") or []:
            for dst in _peers(rule.get("to"), ns, labels):
                egress.setdefault((ns, dst), set()).update(_ports(rule))
        for rule in spec.get("ingress") or []:
            for src in _peers(rule.get("from"), ns, labels):
                ingress.setdefault((src, ns), set()).update(_ports(rule))
    conns: dict[tuple[str, str], set[str]] = {}
    for (src, dst), ports in egress.items():
        allowed = _both(ports, ingress.get((src, dst), set())) if dst in zone_ns else ports
        if allowed:
            conns.setdefault((src, dst), set()).update(allowed)
    for (src, dst), ports in ingress.items():
        if src not in zone_ns:  # from outside the zones: no egress policy of ours limits the source
            conns.setdefault((src, dst), set()).update(ports)
    graph = [Zone(name, classes[name], tuple(sorted(ns))) for name, ns in zones.items()]
    order = ("platform", "training", "inference", "notebooks")
    graph.sort(key=lambda z: (order.index(z.zone_class) if z.zone_class in order else len(order), z.name))
    return ZoneGraph(graph, {Conn(s, d, frozenset(p)) for (s, d), p in conns.items()})
