"""K8S-04: NetworkPolicy allow rules name their peers and their ports: no rule without ports (all ports), no
rule without peers (everyone), no peer whose namespaceSelector names no zone, zone class or namespace (an empty
selector selects every namespace; one on any other label selects whatever namespaces carry it, today or later)."""

from collections.abc import Iterator, Mapping

from framework.flows import pinned
from framework.kube import CLASS_LABEL, NAMESPACE_NAME_LABEL, ZONE_LABEL
from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import NETWORK_POLICY
from framework.values import MISSING, UNKNOWN, as_list

NAMING = (ZONE_LABEL, CLASS_LABEL, NAMESPACE_NAME_LABEL)


def _selects_all(selector: object) -> bool:
    return isinstance(selector, Mapping) and not selector.get("matchLabels") and not selector.get("matchExpressions")


@resource_rule(
    "network-policies-name-peers-and-ports",
    "K8S-04",
    "Zone-to-zone traffic only from named zones on named ports",
    NETWORK_POLICY,
)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        rules = r.get(f"spec.{direction}")
        if rules is UNKNOWN:
            yield Finding(r.urn, f"{r.label()}: its {direction} rules are not known yet", True)
            continue
        for i, rule in enumerate(as_list(rules)):
            if not isinstance(rule, Mapping):
                continue
            where = f"{r.label()}: {direction} rule {i}"
            if not as_list(rule.get("ports", MISSING)):
                yield Finding(r.urn, f"{where} opens every port; list the ports of the declared flow")
            peers = as_list(rule.get(peers_key, MISSING))
            if not peers:
                yield Finding(r.urn, f"{where} has no {peers_key}: it applies to every peer")
            for peer in peers:
                if not isinstance(peer, Mapping) or "namespaceSelector" not in peer:
                    continue
                selector = peer["namespaceSelector"]
                if _selects_all(selector):
                    yield Finding(
                        r.urn, f"{where} selects every namespace; name the zone (namespaceSelector matchLabels)"
                    )
                elif isinstance(selector, Mapping) and all(pinned(selector, k) is None for k in NAMING):
                    yield Finding(
                        r.urn,
                        f"{where} selects namespaces by {selector}, which names no zone: any namespace labelled so "
                        f"is let in; select by {', '.join(NAMING)} (matchLabels or In)",
                    )
