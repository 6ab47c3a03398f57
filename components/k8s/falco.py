"""Runtime detection: Falco (modern eBPF) on every node, its rules for GPU workloads generated from the zones, and
falcosidekick publishing alerts to the security-alarm topic; the detection namespace's admission policy, which
admits there exactly the detection agents' service accounts (Falco's, falcosidekick's) and, in GuardDuty's
agent namespace, exactly GuardDuty's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..config import PlatformConfig
from ..config.detection import Falco
from ..scheduling import GPU_TAINT, POOL_LABEL, SYSTEM_POOL, SYSTEM_TAINT, SYSTEM_TOLERATION
from .labels import (
    MANAGED_BY,
    NAMESPACE_NAME_LABEL,
)
from .namespace_classes import privileged_namespace
from .network_policies import deny_all_but_dns
from .vap import POD_CREATE, SPEC_VARIABLES, WORKLOAD_TEMPLATES, Manifest, binding, cel_list, deny, policy

FALCO_REPO = "https://falcosecurity.github.io/charts"
DETECTION_CLASS = "detection"
DETECTION_POLICY = "enclave-detection-agents"
RELEASE = "falco"
FALCO_SA = "falco"  # the chart's service account: the release's full name
SIDEKICK_SA = "falco-falcosidekick"
SIDEKICK_PORT = 2801
# GuardDuty's managed agent add-on (aws-guardduty-agent): its DaemonSet's namespace and service account.
GUARDDUTY_NAMESPACE = "amazon-guardduty"
GUARDDUTY_SA = "aws-guardduty-agent"
RULES_FILE = "enclave-gpu-rules.yaml"
DETECTION_PSA_REASON = (
    "privileged: Falco loads its modern eBPF probe and reads every process of the node (BPF, PERFMON, SYS_PTRACE, "
    "host /proc), which baseline refuses; the enclave-detection-agents admission policy admits only the detection "
    "agents' service accounts here"
)
SHELLS = ("bash", "sh", "zsh", "dash", "ash", "ksh", "csh", "tcsh", "fish", "busybox")
CREDENTIAL_READERS = (*SHELLS, "cat", "head", "tail", "less", "more", "base64", "xxd", "od", "cp", "tar", "curl",
                      "wget", "nc", "ncat", "socat")  # fmt: skip
RUNTIME_PARENTS = ("runc", "runc:[0:PARENT]", "runc:[1:CHILD]", "runc:[2:INIT]", "containerd-shim",
                   "containerd-shim-runc-v2", "crun", "conmon")  # fmt: skip
# Ports every zone pod reaches besides its egress and flows: DNS, and AWS endpoints (STS for IRSA, S3) on 443.
ALWAYS_PORTS = (53, 443)


@dataclass(frozen=True)
class ZoneRuntime:
    """What the rules need of one zone: its namespaces, class, and the TCP ports it may open connections to."""

    name: str
    zone_class: str
    namespaces: tuple[str, ...]
    ports: tuple[int, ...]
    port_ranges: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class DetectionAgents:
    """Namespace -> the service accounts that alone may run pods there."""

    accounts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def namespaces(self) -> list[str]:
        return sorted(self.accounts)

    def __bool__(self) -> bool:
        return bool(self.accounts)


def detection_agents(cfg: PlatformConfig) -> DetectionAgents:
    """The detection namespaces of a platform and the only accounts that may run pods there: Falco's (when on)
    and GuardDuty's agent (when GuardDuty is on, its runtime monitoring installs the agent on every cluster)."""
    det = cfg.detection
    accounts: dict[str, tuple[str, ...]] = {}
    if det.falco.enabled and det.alarms:
        accounts[det.falco.namespace] = (FALCO_SA, SIDEKICK_SA)
    if det.guardduty.mode != "off":
        accounts[GUARDDUTY_NAMESPACE] = (GUARDDUTY_SA,)
    return DetectionAgents(accounts)


def zone_runtime(cfg: PlatformConfig) -> list[ZoneRuntime]:
    """Each zone's namespaces, class, and the TCP ports its pods may connect to: its egress ports, its egress
    proxy's, and the ports of the flows it starts."""
    out = []
    for z in cfg.zones:
        ports = [p for p in z.egress.ports if p.protocol == "TCP"]
        ports += [p for f in cfg.flows if f.source == z.name for p in f.ports if p.protocol == "TCP"]
        single = {p.port for p in ports if p.end_port is None}
        if z.egress.proxy is not None:
            single.add(z.egress.proxy.port)
        ranges = sorted({(p.port, p.end_port) for p in ports if p.end_port is not None})
        out.append(ZoneRuntime(z.name, z.zone_class, tuple(z.namespaces), tuple(sorted(single)), tuple(ranges)))
    return out


def _list(name: str, items: Sequence[Any]) -> dict[str, Any]:
    return {"list": name, "items": list(items)}


def _in(field_name: str, values: Sequence[Any]) -> str:
    return f"{field_name} in ({', '.join(str(v) for v in values)})"


def falco_rules(zones: Sequence[ZoneRuntime], model_paths: Sequence[str]) -> list[dict[str, Any]]:
    """The GPU-workload rules (Falco's rules-file YAML structure). They build on the macros of Falco's default
    rules file (spawned_process, open_read, open_write, outbound, container), loaded before this one."""
    zone_ns = sorted({ns for z in zones for ns in z.namespaces})
    training = sorted({ns for z in zones if z.zone_class == "training" for ns in z.namespaces})
    inference = sorted({ns for z in zones if z.zone_class == "inference" for ns in z.namespaces})
    out: list[dict[str, Any]] = [
        _list("enclave_zone_namespaces", zone_ns or ["enclave-no-zone"]),
        _list("enclave_training_namespaces", training or ["enclave-no-zone"]),
        _list("enclave_inference_namespaces", inference or ["enclave-no-zone"]),
        _list("enclave_shells", SHELLS),
        _list("enclave_credential_readers", CREDENTIAL_READERS),
        _list("enclave_runtime_parents", RUNTIME_PARENTS),
        {"macro": "enclave_zone_container",
         "condition": "container and k8s.ns.name in (enclave_zone_namespaces)"},
        {"macro": "enclave_model_path",
         "condition": " or ".join(f"fd.name startswith {p.rstrip('/')}/" for p in model_paths) or "never_true"},
        {"macro": "enclave_sa_token",
         "condition": "fd.name startswith /var/run/secrets/kubernetes.io/serviceaccount/"},
        {"macro": "enclave_cloud_credentials",
         "condition": "(fd.name endswith /.aws/credentials or fd.name endswith /.aws/config "
                      "or fd.name startswith /var/run/secrets/eks.amazonaws.com/serviceaccount/ "
                      "or fd.name startswith /var/run/secrets/pods.eks.amazonaws.com/serviceaccount/)"},
        {
            "rule": "Shell in a zone pod",
            "desc": "A shell started in a pod of a trust zone: zone images run their workload, not interactive shells.",
            "condition": "spawned_process and enclave_zone_container and proc.name in (enclave_shells)",
            "output": "Shell in zone pod (ns=%k8s.ns.name pod=%k8s.pod.name container=%container.name "
                      "user=%user.name shell=%proc.name parent=%proc.pname cmdline=%proc.cmdline "
                      "image=%container.image.repository)",
            "priority": "WARNING",
            "tags": ["enclave", "zone", "shell", "mitre_execution"],
        },
        {
            "rule": "Service account token read in a zone pod",
            "desc": "A Kubernetes service account token read in a zone pod: zone pods mount none on purpose.",
            "condition": "open_read and enclave_zone_container and enclave_sa_token",
            "output": "Service account token read (ns=%k8s.ns.name pod=%k8s.pod.name file=%fd.name proc=%proc.name "
                      "cmdline=%proc.cmdline image=%container.image.repository)",
            "priority": "WARNING",
            "tags": ["enclave", "zone", "credentials", "mitre_credential_access"],
        },
        {
            "rule": "Cloud credentials read by a tool in a zone pod",
            "desc": "AWS credential files or the IRSA web-identity token read by a shell or a copying tool (the "
                    "AWS SDK reads the token itself; a person or a script copying it does not need to).",
            "condition": "open_read and enclave_zone_container and enclave_cloud_credentials "
                         "and proc.name in (enclave_credential_readers)",
            "output": "Cloud credentials read (ns=%k8s.ns.name pod=%k8s.pod.name file=%fd.name proc=%proc.name "
                      "cmdline=%proc.cmdline image=%container.image.repository)",
            "priority": "CRITICAL",
            "tags": ["enclave", "zone", "credentials", "mitre_credential_access"],
        },
        {
            "rule": "Write under a model path in an inference pod",
            "desc": "Inference serves one approved model version read-only: a write under a model path is "
                    "tampering or a compromised server.",
            "condition": "open_write and container and k8s.ns.name in (enclave_inference_namespaces) "
                         "and enclave_model_path",
            "output": "Model path written (ns=%k8s.ns.name pod=%k8s.pod.name file=%fd.name proc=%proc.name "
                      "cmdline=%proc.cmdline image=%container.image.repository)",
            "priority": "CRITICAL",
            "tags": ["enclave", "inference", "model", "mitre_impact"],
        },
        {
            "rule": "Exec into a training pod",
            "desc": "A process started in a training pod by the container runtime that is not the container's "
                    "first process: what kubectl exec (or a debug session) does.",
            "condition": "spawned_process and container and k8s.ns.name in (enclave_training_namespaces) "
                         "and proc.vpid != 1 and proc.pname in (enclave_runtime_parents)",
            "output": "Exec into training pod (ns=%k8s.ns.name pod=%k8s.pod.name container=%container.name "
                      "user=%user.name proc=%proc.name cmdline=%proc.cmdline image=%container.image.repository)",
            "priority": "WARNING",
            "tags": ["enclave", "training", "exec", "mitre_execution"],
        },
    ]  # fmt: skip
    for z in zones:
        ports = sorted(set(z.ports) | set(ALWAYS_PORTS))
        ranges = "".join(f" and not (fd.sport >= {lo} and fd.sport <= {hi})" for lo, hi in z.port_ranges)
        out.append(
            {
                "rule": f"Outbound connection off the declared egress of zone {z.name}",
                "desc": f"A pod of zone {z.name} connected to a port neither its egress nor its flows declare "
                "(the sidecar's own connections are the application's, already judged).",
                "condition": f"outbound and container and k8s.ns.name in ({', '.join(z.namespaces)}) "
                f"and container.name != istio-proxy and not {_in('fd.sport', ports)}{ranges}",
                "output": f"Undeclared outbound port from zone {z.name} (ns=%k8s.ns.name pod=%k8s.pod.name "
                "connection=%fd.name proc=%proc.name cmdline=%proc.cmdline image=%container.image.repository)",
                "priority": "WARNING",
                "tags": ["enclave", "zone", "egress", "mitre_exfiltration"],
            }
        )
    return out


def rules_yaml(zones: Sequence[ZoneRuntime], model_paths: Sequence[str]) -> str:
    return yaml.safe_dump(falco_rules(zones, model_paths), sort_keys=False, width=120)


def falco_values(
    settings: Falco,
    *,
    registry: str,
    topic_arn: Any,
    region: str,
    role_arn: Any,
    rules: str,
) -> dict[str, Any]:
    """The falco chart's values (chart 9.1.1): modern eBPF, every node (GPU and system taints tolerated by key),
    images from `registry`, no falcoctl (nodes reach no internet and nothing changes at run time: Falco's image
    carries its default rules and the container plugin; `customRules` adds the GPU rules), JSON alerts to
    falcosidekick, which publishes them to the alarm topic with its IRSA role. `topic_arn` and `role_arn` may be
    Outputs: the rest of the values stays known on a first preview."""
    tolerations = [
        {"key": GPU_TAINT.key, "operator": "Exists", "effect": "NoSchedule"},
        {"key": SYSTEM_TAINT.key, "operator": "Exists", "effect": "NoSchedule"},
    ]
    return {
        "image": {"registry": registry, "repository": "falcosecurity/falco", "tag": settings.image},
        "driver": {"enabled": True, "kind": "modern_ebpf", "loader": {"enabled": False}},
        "tolerations": tolerations,
        "podPriorityClassName": "system-node-critical",
        "falcoctl": {"artifact": {"install": {"enabled": False}, "follow": {"enabled": False}}},
        "collectors": {
            "containerEngine": {
                "enabled": True,
                "pluginRef": f"{registry}/falcosecurity/plugins/plugin/container:0.6.1",
            },
            "kubernetes": {"enabled": False},
        },
        "customRules": {RULES_FILE: rules},
        "falco": {"json_output": True, "json_include_output_property": True, "priority": "warning"},
        "falcosidekick": {
            "enabled": True,
            "fullfqdn": True,
            "image": {
                "registry": registry, "repository": "falcosecurity/falcosidekick", "tag": settings.sidekick_image
            },
            # falcosidekick is a controller: on the system pool, as istiod and Kyverno are.
            "nodeSelector": {POOL_LABEL: SYSTEM_POOL},
            "tolerations": [dict(SYSTEM_TOLERATION)],
            "webui": {"enabled": False},
            # The chart creates its ServiceAccount (falco-falcosidekick) and annotates it with rolearn for IRSA.
            "config": {"aws": {"region": region, "checkidentity": True, "useirsa": True, "rolearn": role_arn,
                               "sns": {"topicarn": topic_arn, "rawjson": True, "minimumpriority": "warning"}}},
        },
    }  # fmt: skip


def detection_namespace(name: str, psa_version: str) -> Manifest:
    return privileged_namespace(name, DETECTION_CLASS, psa_version, DETECTION_PSA_REASON)


def detection_network_policies(name: str, endpoint_cidrs: Sequence[str]) -> list[Manifest]:
    """Default deny and DNS; Falco's pods reach falcosidekick; falcosidekick reaches the VPC's AWS endpoints (STS
    for IRSA, SNS) on 443."""
    out = deny_all_but_dns(name)
    sidekick = {"app.kubernetes.io/name": "falcosidekick"}
    out.append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "falco-to-falcosidekick", "namespace": name, "labels": dict(MANAGED_BY)},
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"podSelector": {}}], "ports": [{"protocol": "TCP", "port": SIDEKICK_PORT}]}],
                "egress": [
                    {
                        "to": [{"podSelector": {"matchLabels": sidekick}}],
                        "ports": [{"protocol": "TCP", "port": SIDEKICK_PORT}],
                    }
                ],
            },
        }
    )
    if endpoint_cidrs:
        out.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "falcosidekick-to-aws", "namespace": name, "labels": dict(MANAGED_BY)},
                "spec": {
                    "podSelector": {"matchLabels": sidekick},
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [{"ipBlock": {"cidr": c}} for c in endpoint_cidrs],
                            "ports": [{"protocol": "TCP", "port": 443}],
                        }
                    ],
                },
            }
        )
    return out


def detection_policy(agents: DetectionAgents) -> list[Manifest]:
    """The detection namespaces admit pods and workloads only as the detection agents' own service accounts
    (namespace -> accounts); the namespace-scope refusal exempts these namespaces because this holds there."""
    allowed = "{" + ", ".join(f"'{ns}': {cel_list(list(sas))}" for ns, sas in sorted(agents.accounts.items())) + "}"
    account = "(has(variables.spec.serviceAccountName) ? variables.spec.serviceAccountName : 'default')"
    validations = [
        deny(
            f"request.namespace in {allowed} && {account} in {allowed}[request.namespace]",
            "detection namespaces run the detection agents only ("
            + "; ".join(f"{ns}: {', '.join(sas)}" for ns, sas in sorted(agents.accounts.items()))
            + "): put other workloads in a trust zone",
        )
    ]
    selector = {"matchExpressions": [{"key": NAMESPACE_NAME_LABEL, "operator": "In", "values": agents.namespaces}]}
    rules = [POD_CREATE, *WORKLOAD_TEMPLATES]
    return [policy(DETECTION_POLICY, rules, validations, SPEC_VARIABLES), binding(DETECTION_POLICY, selector)]
