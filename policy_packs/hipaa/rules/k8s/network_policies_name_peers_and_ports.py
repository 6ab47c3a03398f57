"""K8S-04: NetworkPolicy allow rules name their peers and their ports: no rule without ports (all ports), no
rule without peers (everyone), no peer that selects every namespace."""

from collections.abc import Iterator, Mapping

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import NETWORK_POLICY
from framework.values import MISSING, UNKNOWN, as_list


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
                if (
                    isinstance(peer, Mapping)
                    and "namespaceSelector" in peer
                    and _selects_all(peer["namespaceSelector"])
                ):
                    yield Finding(
                        r.urn, f"{where} selects every namespace; name the zone (namespaceSelector matchLabels)"
                    )
