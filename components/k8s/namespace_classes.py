"""Namespaces outside the trust zones: the agent namespaces where host agents run, and the refusal of pods in any
namespace that is neither a zone's, an agent namespace nor a system namespace.

- Agent namespaces enforce the `privileged` Pod Security level: the NVIDIA and EFA device plugins mount
  /var/lib/kubelet/device-plugins, node exporters use the host's network and PID namespaces and read /proc and
  /sys, the DCGM exporter needs the GPU devices; baseline refuses all of that. Baseline is warned and audited so
  every privileged agent shows. What confines them instead: a ValidatingAdmissionPolicy admits DaemonSets and
  their pods only, tolerating the taints of every pool (GPU, system), node conditions and the
  ExtendedResourceToleration plugin's own, never a keyless toleration nor a named node; a default-deny
  NetworkPolicy lets them resolve DNS and be scraped by the platform zone on the agent metrics ports only; no
  zone identity can be used there (identities belong to zone namespaces, ServiceAccounts to their namespace);
  their images come from the approved registries; only platform admins may write there (no persona binding).
- Everything else is refused: a namespace without the zone label, not listed as an agent or system namespace,
  admits no pod and no workload. Confining such pods to the system pool with restricted Pod Security instead
  would need a mutation of every namespace's labels that Pod Security reads only from the namespace itself;
  refusing them keeps a new, unlabelled namespace from becoming a way onto GPU nodes, privileged and as root.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..config import KubernetesConfig
from ..scheduling import NODE_CONDITION_TAINT_PREFIX, ZONE_LABEL
from .admission import POOL_TAINT_KEYS, requested
from .labels import (
    CLASS_LABEL,
    ISTIO_INJECTION,
    MANAGED_BY,
    NAMESPACE_NAME_LABEL,
    PSA_AUDIT,
    PSA_ENFORCE,
    PSA_REASON_ANNOTATION,
    PSA_WARN,
)
from .network_policies import deny_all_but_dns
from .vap import (
    IS_POD,
    POD_CREATE,
    SPEC_VARIABLES,
    WORKLOAD_TEMPLATES,
    Manifest,
    binding,
    cel_list,
    deny,
    policy,
)

AGENT_CLASS = "node-agents"
AGENTS_POLICY = "enclave-node-agents"
SCOPE_POLICY = "enclave-namespace-scope"
AGENT_PSA_REASON = (
    "privileged: node agents (device plugins, node and DCGM exporters, log shippers) need host paths, host "
    "networking and devices, which baseline refuses; the enclave-node-agents admission policy admits DaemonSets "
    "only, confined to the pools' taints; baseline is warned and audited"
)


def privileged_namespace(name: str, namespace_class: str, psa_version: str, reason: str) -> Manifest:
    """A namespace whose pods Pod Security lets run privileged (enforce `privileged`, baseline warned and
    audited), with the reason on it, of `namespace_class`, out of the mesh: its pods are host agents that cannot
    carry a sidecar (hostNetwork) and talk to the kubelet or the host only. What they may be is bounded by the
    class's own admission policy, not by Pod Security."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                **MANAGED_BY,
                CLASS_LABEL: namespace_class,
                PSA_ENFORCE: "privileged",
                f"{PSA_ENFORCE}-version": psa_version,
                PSA_WARN: "baseline",
                PSA_AUDIT: "baseline",
                ISTIO_INJECTION: "disabled",
            },
            "annotations": {PSA_REASON_ANNOTATION: reason},
        },
    }


def agent_namespace(name: str, psa_version: str) -> Manifest:
    return privileged_namespace(name, AGENT_CLASS, psa_version, AGENT_PSA_REASON)


def agent_network_policies(name: str, metrics_ports: list[int]) -> list[Manifest]:
    """Default deny, DNS to kube-dns, and the platform zone's scrapes on the metrics ports. hostNetwork agents
    are outside NetworkPolicy by nature; these bound the others."""

    out = deny_all_but_dns(name)
    if metrics_ports:
        out.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "allow-metrics-from-platform", "namespace": name, "labels": dict(MANAGED_BY)},
                "spec": {
                    "podSelector": {},
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [{"namespaceSelector": {"matchLabels": {CLASS_LABEL: "platform"}}}],
                            "ports": [{"protocol": "TCP", "port": p} for p in metrics_ports],
                        }
                    ],
                },
            }
        )
    return out


def _names(namespaces: list[str]) -> dict[str, Any]:
    return {"matchExpressions": [{"key": NAMESPACE_NAME_LABEL, "operator": "In", "values": list(namespaces)}]}


def agents_policy(namespaces: list[str]) -> list[Manifest]:
    """What agent namespaces admit: DaemonSets and their pods, tolerating pools' taints and nothing else."""
    extended = f"(has(t.operator) && t.operator == 'Exists' && has(t.effect) && t.effect == 'NoSchedule' && {requested('t.key')})"  # noqa: E501
    tolerations = (
        "!has(variables.spec.tolerations) || variables.spec.tolerations.all(t, has(t.key) && "
        f"(t.key in {cel_list(POOL_TAINT_KEYS)} || t.key.startsWith('{NODE_CONDITION_TAINT_PREFIX}') || {extended}))"
    )
    owned = (
        "has(object.metadata.ownerReferences) && object.metadata.ownerReferences.exists(o, o.kind == 'DaemonSet' "
        "&& has(o.controller) && o.controller)"
    )
    validations = [
        deny(
            "object.kind in ['Pod', 'DaemonSet']",
            "agent namespaces run node agents as DaemonSets only: put Deployments, StatefulSets, Jobs and the like "
            "in a trust zone",
        ),
        deny(f"!({IS_POD}) || ({owned})", "pods in agent namespaces are created by their DaemonSet only"),
        deny(
            tolerations,
            "node agents may tolerate the taints of the pools (" + ", ".join(POOL_TAINT_KEYS) + "), node "
            "conditions and the toleration of an extended resource they request, each by key: a toleration without "
            "a key tolerates every taint",
        ),
        deny("!has(variables.spec.nodeName)", "node agents may not name their node; their DaemonSet places them"),
    ]
    rules = [POD_CREATE, *WORKLOAD_TEMPLATES]
    return [policy(AGENTS_POLICY, rules, validations, SPEC_VARIABLES), binding(AGENTS_POLICY, _names(namespaces))]


def scope_policy(kubernetes: KubernetesConfig, detection: Sequence[str] = ()) -> list[Manifest]:
    """The refusal of pods and workloads in every namespace outside the zones, agent and system namespaces, and
    the `detection` namespaces (where enclave-detection-agents admits only the detection agents' accounts)."""
    exempt = [*kubernetes.all_system_namespaces, *kubernetes.node_agents.namespaces, *detection]
    validations = [
        deny(
            "false",
            "this namespace belongs to no trust zone and is neither an agent nor a system namespace: create pods "
            "and workloads in a zone's namespace, put node agents in kubernetes.node_agents.namespaces, and list "
            "the namespaces of add-ons you install yourself in kubernetes.system_namespaces (system namespaces: "
            + ", ".join(kubernetes.all_system_namespaces)
            + ")",
        )
    ]
    selector = {
        "matchExpressions": [
            {"key": ZONE_LABEL, "operator": "DoesNotExist"},
            {"key": NAMESPACE_NAME_LABEL, "operator": "NotIn", "values": exempt},
        ]
    }
    rules = [POD_CREATE, *WORKLOAD_TEMPLATES]
    return [policy(SCOPE_POLICY, rules, validations), binding(SCOPE_POLICY, selector)]


def agent_objects(kubernetes: KubernetesConfig, psa_version: str) -> list[Manifest]:
    """Every agent namespace (first) with its NetworkPolicies, then the agents policy and its binding."""
    agents = kubernetes.node_agents
    out: list[Manifest] = []
    for ns in agents.namespaces:
        out += [agent_namespace(ns, psa_version), *agent_network_policies(ns, list(agents.metrics_ports))]
    return out + agents_policy(list(agents.namespaces))
