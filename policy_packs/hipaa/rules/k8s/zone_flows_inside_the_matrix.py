"""K8S-20: no NetworkPolicy and no Istio ALLOW AuthorizationPolicy admits a flow between zone classes that the zone
matrix (pack config `allowedFlows`, the source documents' matrix by default) does not pair, whatever the shape that
admits it: a namespaceSelector on any label, an empty selector or peer list, an ipBlock over the pods' addresses, a
principal or namespace wildcard, a policy in the mesh root namespace. Within one namespace or one zone every flow is
the zone's own; `system`, `agent` and `detection` stand for the namespaces the pack config lists as such."""

from collections.abc import Iterator

from framework import types as t
from framework.flows import ANY, Universe, allowed, authorization_flows, network_flows
from framework.kube import NAMESPACE_CLASS_CONFIG
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN

# The seeds' trust-zone table (DESIGN.md): every zone reaches the platform zone (DNS, metrics); the platform zone's
# gateway reaches inference; nothing else crosses zones. Every zone, the node agents and the detection agents
# (Falco's, GuardDuty's) reach the cluster's system namespaces (kube-dns, istiod); the platform zone scrapes the agents.
DEFAULT_FLOWS = [
    *({"from": c, "to": "platform"} for c in ("training", "inference", "notebooks")),
    {"from": "platform", "to": "inference"},
    *({"from": c, "to": "system"} for c in ("platform", "training", "inference", "notebooks", "agent", "detection")),
    {"from": "platform", "to": "agent"},
]
MAX_SHOWN = 4
FLOW_SCHEMA = {
    "type": "object",
    "required": ["from", "to"],
    "properties": {"from": {"type": "string"}, "to": {"type": "string"}},
}


def _matrix(config: Config) -> set[tuple[str, str]]:
    given = config.get("allowedFlows")
    flows = given if isinstance(given, list) else DEFAULT_FLOWS
    return {(str(f.get("from")), str(f.get("to"))) for f in flows if isinstance(f, dict)}


@stack_rule(
    "zone-flows-inside-the-matrix",
    "K8S-20",
    "Zone-to-zone flows stay inside the zone matrix",
    config={
        **NAMESPACE_CLASS_CONFIG,
        "allowedFlows": {
            "type": "array",
            "items": FLOW_SCHEMA,
            "default": DEFAULT_FLOWS,
            "description": "Flows the zone matrix allows between zone classes (and `system`, `agent`, `detection`); "
            "within one zone every flow is allowed.",
        },
        "zoneClasses": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "default": {},
            "description": "Class of zones this stack names but does not create (a team stack's view of the platform "
            'zones), e.g. {"platform": "platform"}.',
        },
        "podCidrs": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Address ranges pods take (the node subnets under the VPC CNI). Default: the subnets of "
            "the stack's node groups, else its VPC, else every private range.",
        },
        "meshRootNamespace": {
            "type": "string",
            "default": "istio-system",
            "description": "Istio's root namespace: an AuthorizationPolicy there applies to every namespace.",
        },
    },
    subjects=t.NETWORK_POLICY + t.AUTHORIZATION_POLICY,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    universe = Universe(stack, config)
    matrix = _matrix(config)
    root = str(config.get("meshRootNamespace") or "istio-system")
    for policy in [*stack.of_type(*t.NETWORK_POLICY), *stack.of_type(*t.AUTHORIZATION_POLICY)]:
        spec = policy.get("spec")
        if spec is UNKNOWN:
            yield Finding(policy.urn, f"{policy.label()}: its spec is not known yet", True)
            continue
        flows = (
            network_flows(universe, policy)
            if policy.type in t.NETWORK_POLICY
            else authorization_flows(universe, policy, root)
        )
        outside: dict[tuple[str, str], str] = {}
        for src, dst, how in flows:
            if not allowed(src, dst, matrix):
                wide = " (namespaces outside every zone included)" if ANY in (src, dst) else ""
                outside.setdefault((src.describe(), dst.describe() + wide), how)
        if outside:
            shown = "; ".join(f"{s} -> {d} ({how})" for (s, d), how in list(outside.items())[:MAX_SHOWN])
            more = f"; and {len(outside) - MAX_SHOWN} more" if len(outside) > MAX_SHOWN else ""
            yield Finding(
                policy.urn,
                f"{policy.label()} admits flows the zone matrix (allowedFlows) has not: {shown}{more}. Name the peer "
                "zone by its enclave.dev/zone label or the namespace by kubernetes.io/metadata.name, and declare the "
                "flow in the stack's flows",
            )
