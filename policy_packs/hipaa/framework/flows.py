"""Which namespaces a NetworkPolicy or an Istio AuthorizationPolicy lets talk to which, decided as Kubernetes and Istio
decide it, and the class of each end (a zone class, `system`, `agent`, or `unclassified`).

A peer is judged by what it can select, not by how it is written: a namespaceSelector on any label selects every
namespace the stack shows that carries it and, beyond the stack, any namespace at all unless it pins a name, a zone
or a zone class; an ipBlock that overlaps the pods' addresses admits every pod; a principal or namespace pattern with
a wildcard over the namespace admits every namespace. A namespace the stack does not create is classified by the
pack config (system and agent namespaces; zones of other stacks by `zoneClasses`), else `unclassified`.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .kube import CLASS_LABEL, NAMESPACE_NAME_LABEL, ZONE_LABEL, namespace_class, selector_matches, zone_namespaces
from .model import Resource, Stack
from .types import EKS_NODE_GROUP, SUBNET, VPC
from .values import UNKNOWN, as_list, strings
from .workloads import mapping, objects

UNCLASSIFIED = "unclassified"
PRIVATE = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fd00::/8")
VPC_CIDR_ASSOCIATION = ("aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation",)
SPIFFE = re.compile(r"^(?P<domain>[^/]*)/ns/(?P<ns>[^/]+)/sa/(?P<sa>[^/]+)$")


@dataclass(frozen=True)
class End:
    """One end of a flow: a namespace (None: any namespace, the stack's and every other), its zone and class."""

    namespace: str | None
    zone: str | None
    klass: str

    def describe(self) -> str:
        if self.namespace is None:
            return "any namespace"
        zone = f"zone {self.zone}, " if self.zone else ""
        return f"namespace {self.namespace} ({zone}{self.klass})"


ANY = End(None, None, "any")


class Universe:
    """The namespaces the stack shows (with their labels), classified; zone classes of other stacks from config;
    the address ranges pods take."""

    def __init__(self, stack: Stack, config: Mapping[str, Any]) -> None:
        self.config = config
        self.zones = zone_namespaces(stack)
        self.labels: dict[str, dict[str, Any]] = {}
        for obj in objects(stack):
            if obj.kind == "Namespace" and obj.group == "core" and isinstance(obj.name, str):
                found = mapping(obj.get("metadata.labels"))
                self.labels[obj.name] = {**found, NAMESPACE_NAME_LABEL: obj.name}
        given = config.get("zoneClasses")
        self.zone_classes: dict[str, str] = dict(given) if isinstance(given, Mapping) else {}
        for ns in self.zones.values():
            if ns.zone_class:
                self.zone_classes.setdefault(ns.zone, ns.zone_class)
        self.pod_cidrs = pod_cidrs(stack, config)

    def end(self, name: str) -> End:
        if name in self.zones:
            zone = self.zones[name]
            return End(name, zone.zone, zone.zone_class or self.zone_classes.get(zone.zone) or UNCLASSIFIED)
        kind = namespace_class(name, self.zones, self.config)
        return End(name, None, kind or UNCLASSIFIED)

    def selected(self, selector: Any) -> list[End]:
        """The namespaces a namespaceSelector selects; ANY among them when it can select namespaces the stack does
        not show without pinning their name, zone or class."""
        if not isinstance(selector, Mapping):
            return [ANY]
        out = [self.end(n) for n, labels in sorted(self.labels.items()) if selector_matches(selector, labels)]
        names, zones, classes = (pinned(selector, key) for key in (NAMESPACE_NAME_LABEL, ZONE_LABEL, CLASS_LABEL))
        known = {e.namespace for e in out}
        if names is not None:
            out += [self.end(n) for n in sorted(names - known) if n not in self.labels]
        elif zones is not None:
            out += [End(f"<{z} namespace>", z, self.zone_classes.get(z, UNCLASSIFIED)) for z in sorted(zones)]
        elif classes is not None:
            out += [End(f"<{c} namespace>", None, c) for c in sorted(classes)]
        else:
            out.append(ANY)
        return out

    def covers_pods(self, block: Any) -> bool | None:
        """Whether an ipBlock (cidr minus except) overlaps the pods' addresses; None when it is not known yet."""
        if not isinstance(block, Mapping):
            return False
        cidr = block.get("cidr")
        if cidr is UNKNOWN:
            return None
        try:
            net = ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            return True  # not a network: judged strictly
        holes = [ipaddress.ip_network(str(e), strict=False) for e in strings(block.get("except")) if _is_net(e)]
        for pods in self.pod_cidrs:
            if pods.version != net.version or not pods.overlaps(net):
                continue
            part = pods if pods.subnet_of(net) else net  # type: ignore[arg-type]
            if not any(part.version == h.version and part.subnet_of(h) for h in holes):  # type: ignore[arg-type]
                return True
        return False

    def glob(self, pattern: str) -> list[End]:
        """Namespaces a name pattern with Istio's wildcards (prefix, suffix or `*`) matches: the stack's that match,
        and ANY, since a pattern matches namespaces the stack does not show."""
        return [self.end(n) for n in sorted(self.labels) if fnmatch.fnmatchcase(n, pattern)] + [ANY]


def _is_net(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def pinned(selector: Mapping[str, Any], key: str) -> set[str] | None:
    """The values a label selector requires of `key` (matchLabels, or In), None when it requires none."""
    wanted = mapping(selector.get("matchLabels"))
    values: set[str] | None = {str(wanted[key])} if key in wanted else None
    for e in as_list(selector.get("matchExpressions")):
        if isinstance(e, Mapping) and e.get("key") == key and e.get("operator") == "In":
            given = set(strings(e.get("values")))
            values = given if values is None else values & given
    return values


def pod_cidrs(stack: Stack, config: Mapping[str, Any]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Where pods take their addresses (the VPC CNI gives them the addresses of their nodes' subnets): the pack
    config's podCidrs; else the subnets of the stack's node groups; else the stack's VPC ranges; else every private
    range (judged strictly)."""
    given = [c for c in strings(config.get("podCidrs")) if _is_net(c)]
    if given:
        return [ipaddress.ip_network(c, strict=False) for c in given]
    found: list[Any] = []
    groups = stack.of_type(*EKS_NODE_GROUP)
    resolved = bool(groups)
    for group in groups:
        subnets = stack.sources(group, "subnetIds", *SUBNET)
        # Every subnet id it names must come from a subnet of the stack (a literal id is another stack's subnet).
        if not subnets or len(subnets) < len(set(map(str, as_list(group.get("subnetIds"))))):
            resolved = False
        for s in subnets:
            cidr = s.get("cidrBlock")
            if isinstance(cidr, str) and _is_net(cidr):
                found.append(ipaddress.ip_network(cidr, strict=False))
            else:
                resolved = False
    if resolved and found:
        return found
    vpcs = [r.get("cidrBlock") for r in [*stack.of_type(*VPC), *stack.of_type(*VPC_CIDR_ASSOCIATION)]]
    ranges = [ipaddress.ip_network(c, strict=False) for c in vpcs if isinstance(c, str) and _is_net(c)]
    return ranges or [ipaddress.ip_network(c) for c in PRIVATE]


# --- NetworkPolicy -------------------------------------------------------------------------------------------


def _policy_namespace(policy: Resource, default: str = "default") -> str:
    value = policy.get("metadata.namespace")
    if isinstance(value, str) and value:
        return value
    provider = policy.provider_props.get("namespace")
    return provider if isinstance(provider, str) and provider else default


def network_peers(universe: Universe, own: str, peers: Any) -> Iterator[tuple[End, str]]:
    """The ends a rule's `from`/`to` list admits, with how the peer names them."""
    listed = [p for p in as_list(peers) if p is not None]
    if not listed or peers is UNKNOWN:
        yield ANY, "no peer list (every source and destination)"
        return
    for i, peer in enumerate(listed):
        if not isinstance(peer, Mapping) or not peer:
            yield ANY, f"peer {i} (empty)"
            continue
        if "ipBlock" in peer:
            covered = universe.covers_pods(peer["ipBlock"])
            if covered is not False:
                shown = mapping(peer["ipBlock"]).get("cidr")
                yield ANY, f"peer {i} ipBlock {shown} (overlaps the pods' addresses)"
            continue
        if "namespaceSelector" in peer:
            selector = peer["namespaceSelector"]
            for end in universe.selected(selector if selector is not None else {}):
                yield end, f"peer {i} namespaceSelector {selector}"
        else:  # podSelector only: the policy's own namespace
            yield universe.end(own), f"peer {i} (its own namespace)"


def network_flows(universe: Universe, policy: Resource) -> Iterator[tuple[End, End, str]]:
    """(source, destination, how) for every flow a NetworkPolicy admits."""
    spec = policy.get("spec")
    if not isinstance(spec, Mapping):
        return
    own = _policy_namespace(policy)
    here = universe.end(own)
    types = strings(spec.get("policyTypes"))
    if not types:
        types = ["Ingress", *(["Egress"] if "egress" in spec else [])]
    if "Ingress" in types:
        for i, rule in enumerate(as_list(spec.get("ingress"))):
            if isinstance(rule, Mapping):
                for end, how in network_peers(universe, own, rule.get("from")):
                    yield end, here, f"ingress rule {i}, {how}"
    if "Egress" in types:
        for i, rule in enumerate(as_list(spec.get("egress"))):
            if isinstance(rule, Mapping):
                for end, how in network_peers(universe, own, rule.get("to")):
                    yield here, end, f"egress rule {i}, {how}"


# --- AuthorizationPolicy -------------------------------------------------------------------------------------


def principal_namespace(pattern: str) -> str | None:
    """The namespace a principal pattern pins (`<trust domain>/ns/<ns>/sa/<sa>`, matched exactly or with Istio's one
    `*` at its start or end), None when a wildcard reaches into the namespace segment or it names none."""
    if "*" not in pattern:
        found = SPIFFE.match(pattern)
        return found["ns"] if found else None
    if pattern.count("*") > 1 or pattern == "*":
        return None
    if pattern.endswith("*"):
        found = re.match(r"^[^/]*/ns/([^/]+)/", pattern[:-1])
        return found[1] if found else None
    if pattern.startswith("*"):
        found = re.search(r"/ns/([^/]+)/sa/[^/]+$", pattern[1:])
        return found[1] if found else None
    return None


def principal_ends(universe: Universe, pattern: str) -> list[End]:
    """Namespaces whose workloads a principal pattern matches."""
    found = principal_namespace(pattern)
    return [universe.end(found)] if found else [ANY]


def _namespace_ends(universe: Universe, pattern: str) -> list[End]:
    return [universe.end(pattern)] if "*" not in pattern else universe.glob(pattern)


def _intersect(a: list[End] | None, b: list[End]) -> list[End]:
    if a is None:
        return b
    if any(e is ANY for e in a):
        return b if not any(e is ANY for e in b) else [*{e for e in a + b if e is not ANY}, ANY]
    if any(e is ANY for e in b):
        return a
    names = {e.namespace for e in b}
    return [e for e in a if e.namespace in names]


WHEN_KEYS: dict[str, Callable[[Universe, str], list[End]]] = {
    "source.namespace": _namespace_ends,
    "source.principal": principal_ends,
}


def source_ends(universe: Universe, source: Mapping[str, Any], when: Iterable[Any] = ()) -> list[End]:
    """The namespaces one `from.source` (and the rule's `when` on source.namespace / source.principal) admits."""
    found: list[End] | None = None
    for key, parse in (("principals", principal_ends), ("namespaces", _namespace_ends)):
        values = strings(source.get(key))
        if key in source:
            found = _intersect(found, [e for v in values for e in parse(universe, v)])
    for key in ("ipBlocks", "remoteIpBlocks"):
        if key in source:
            covering = any(universe.covers_pods({"cidr": c}) is not False for c in strings(source.get(key)))
            found = _intersect(found, [ANY] if covering else [])
    for condition in when:
        if not isinstance(condition, Mapping) or "values" not in condition:
            continue
        reader = WHEN_KEYS.get(str(condition.get("key")))
        if reader is not None:
            found = _intersect(found, [e for v in strings(condition.get("values")) for e in reader(universe, v)])
    return [ANY] if found is None else found


def authorization_flows(universe: Universe, policy: Resource, root: str) -> Iterator[tuple[End, End, str]]:
    """(source, destination, how) for every flow an ALLOW AuthorizationPolicy admits (in the mesh root namespace it
    applies to every namespace)."""
    spec = policy.get("spec")
    if not isinstance(spec, Mapping) or str(spec.get("action", "ALLOW")) != "ALLOW":
        return
    own = _policy_namespace(policy)
    here = ANY if own == root else universe.end(own)
    for i, rule in enumerate(as_list(spec.get("rules"))):
        if not isinstance(rule, Mapping):
            continue
        when = as_list(rule.get("when"))
        sources = [f for f in as_list(rule.get("from")) if isinstance(f, Mapping)]
        if not sources:
            for end in source_ends(universe, {}, when):
                yield end, here, f"rule {i} (no source: any caller)"
            continue
        for j, f in enumerate(sources):
            source = mapping(f.get("source"))
            for end in source_ends(universe, source, when):
                yield end, here, f"rule {i} source {j} {dict(source)}"


def allowed(src: End, dst: End, matrix: set[tuple[str, str]]) -> bool:
    """A flow the matrix admits: within one namespace or one zone, or between classes the matrix pairs. ANY is every
    class (an unclassified namespace included)."""
    if src is not ANY and dst is not ANY:
        if src.namespace == dst.namespace or (src.zone is not None and src.zone == dst.zone):
            return True
        return (src.klass, dst.klass) in matrix
    return False
