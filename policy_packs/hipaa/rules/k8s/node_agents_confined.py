"""K8S-12: node agents run in agent namespaces only, confined there: an agent namespace is no zone, and a policy
that fails closed admits DaemonSets and their pods only, tolerating taints by key, with no named node; a DaemonSet
(runs on every node its template fits) anywhere else but a system namespace is a finding."""

from collections.abc import Iterator

from framework import types as t
from framework.kube import NAMESPACE_CLASS_CONFIG, ZONE_LABEL, labels, name_of, namespace_of, zone_namespaces
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule

from .admission_guards import bound_to, guards

DAEMONSET = (t.k8s("apps/v1", "DaemonSet"),)
TERMS = ("DaemonSet", "tolerations", "nodeName")


@stack_rule(
    "node-agents-confined",
    "K8S-12",
    "Node agents run only in agent namespaces, confined to the pools' taints",
    config=NAMESPACE_CLASS_CONFIG,
    subjects=t.NAMESPACE + DAEMONSET,
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    agents = set(config.get("agentNamespaces") or [])
    policies = guards(stack, TERMS, ("pods", "daemonsets"))
    for ns in stack.of_type(*t.NAMESPACE):
        name = name_of(ns)
        if name not in agents:
            continue
        if ZONE_LABEL in labels(ns):
            yield Finding(ns.urn, f"agent namespace {name} carries the zone label: an agent namespace is no zone")
        if not bound_to(stack, policies, str(name)):
            yield Finding(
                ns.urn,
                f"agent namespace {name}: no admission policy (failurePolicy Fail, Deny) limits it to "
                "DaemonSets tolerating the pools' taints by key, without a named node",
            )
    zones = zone_namespaces(stack)
    allowed = agents | set(config.get("systemNamespaces") or [])
    for ds in stack.of_type(*DAEMONSET):
        where = namespace_of(ds)
        if where not in allowed:
            kind = f"zone {zones[where].zone}" if where in zones else "no agent namespace"
            yield Finding(
                ds.urn,
                f"{ds.label()} in namespace {where} ({kind}) runs on every node its template fits: "
                "put node agents in an agent namespace (kubernetes.node_agents.namespaces)",
            )
