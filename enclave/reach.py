"""Expected reachability from the declared flow matrix, representative pods per zone, and a parser
for network-config-analyzer's connectivity CSV, so the two can be compared exactly."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.config import PlatformConfig, Port
from components.k8s.labels import NAMESPACE_NAME_LABEL, ZONE_LABEL
from components.k8s.network_policies import ISTIOD_XDS_PORT
from components.k8s.rbac import zone_rbac
from components.k8s.zone_context import ZoneContext

from .synth import PROJECT_ROOT

ALL = "All connections"


@dataclass(frozen=True, order=True)
class Conn:
    """Pods of namespace `src` (or a CIDR) may open `ports` ("TCP:443", "TCP:50000-50063") to `dst`."""

    src: str
    dst: str
    ports: frozenset[str]

    def __str__(self) -> str:
        return f"{self.src} -> {self.dst}: {', '.join(sorted(self.ports))}"


def _port_strings(ports: list[Port]) -> set[str]:
    out = set()
    for p in ports:
        end = p.end_port if p.end_port is not None and p.end_port != p.port else None
        out.add(f"{p.protocol}:{p.port}-{end}" if end else f"{p.protocol}:{p.port}")
    return out


def expected_connectivity(cfg: PlatformConfig) -> set[Conn]:
    """Every connection a zone namespace may open or accept, per the stack config. Nothing else."""
    out: dict[tuple[str, str], set[str]] = {}

    def add(src: str, dst: str, ports: set[str]) -> None:
        out.setdefault((src, dst), set()).update(ports)

    for zone in cfg.zones:
        for ns in zone.namespaces:
            add(ns, "kube-system", {"TCP:53", "UDP:53"})
            add(ns, "istio-system", {f"TCP:{ISTIOD_XDS_PORT}"})
            for cidr in zone.egress.cidrs:
                add(ns, cidr, _port_strings(zone.egress.ports))
            if zone.egress.proxy is not None:
                add(ns, zone.egress.proxy.cidr, {f"TCP:{zone.egress.proxy.port}"})
            if zone.egress.allow_internet:
                add(ns, "0.0.0.0/0", {"TCP:443"})
    for flow in cfg.flows:
        for src in cfg.zone(flow.source).namespaces:
            for dst in cfg.zone(flow.target).namespaces:
                add(src, dst, _port_strings(flow.ports))
    return {Conn(s, d, frozenset(p)) for (s, d), p in out.items()}


def access_paths(cfg: PlatformConfig) -> list[str]:
    """Ways into zone pods that no NetworkPolicy governs, from the zones' RBAC: `kubectl port-forward` through
    the API server (IAM-authenticated, audited) for the groups bound to a role that may create pods/portforward.
    Port-forwarded traffic enters the pod on loopback, so the analyzer never sees it."""
    out = []
    for zone in cfg.zones:
        for ns in zone.namespaces:
            objects = zone_rbac(ZoneContext.of_platform(cfg, zone), ns)
            forwarders = {
                o["metadata"]["name"]
                for o in objects
                if o["kind"] == "Role"
                and any("pods/portforward" in r["resources"] and "create" in r["verbs"] for r in o["rules"])
            }
            groups = sorted(
                s["name"]
                for o in objects
                if o["kind"] == "RoleBinding" and o["roleRef"]["name"] in forwarders
                for s in o["subjects"]
                if s["kind"] == "Group"
            )
            if groups:
                out.append(f"kube-apiserver -> {ns}: kubectl port-forward, groups {', '.join(groups)}")
    return out


def representative_pods(cfg: PlatformConfig) -> list[dict[str, Any]]:
    """One workload pod per zone namespace, plus the DNS and istiod pods zones depend on."""
    pods = []
    for zone in cfg.zones:
        for ns in zone.namespaces:
            pods.append(_pod(f"{ns}-workload", ns, {"app": "workload", ZONE_LABEL: zone.name}))
    pods.append(_pod("coredns", "kube-system", {"k8s-app": "kube-dns"}))
    pods.append(_pod("istiod", "istio-system", {"app": "istiod"}))
    return pods


def _pod(name: str, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [{"name": "main", "image": "registry.invalid/workload:1"}]},
    }


def system_namespaces() -> list[dict[str, Any]]:
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": {NAMESPACE_NAME_LABEL: n}}}
        for n in ("kube-system", "istio-system")
    ]


def _split_list(cell: str) -> list[str]:
    cell = cell.strip()
    if cell.startswith("[") and cell.endswith("]"):
        return [c.strip() for c in cell[1:-1].split(",") if c.strip()]
    return [cell] if cell else []


def _parse_conn(cell: str) -> frozenset[str]:
    if cell.strip() == ALL:
        return frozenset({ALL})
    match = re.fullmatch(r"\{protocols:(?P<protos>[A-Z, ]+),dst_ports:(?P<ports>[0-9,\- ]+)\}", cell.strip())
    if not match:
        raise ValueError(f"unrecognised nca connection cell: {cell!r}")
    protos = [p.strip() for p in match["protos"].split(",") if p.strip()]
    ports = [p.strip() for p in match["ports"].split(",") if p.strip()]
    return frozenset(f"{proto}:{port}" for proto in protos for port in ports)


def parse_nca_csv(text: str) -> set[Conn]:
    """nca `--connectivity -o csv` rows -> one Conn per (source, destination) pair."""
    out: dict[tuple[str, str], set[str]] = {}
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows:
        if len(row) < 6 or row[5] == "connection" or not (row[1] or row[2]) or not (row[3] or row[4]):
            continue
        src_ns, src_pods, dst_ns, dst_pods, conn = row[1], row[2], row[3], row[4], row[5]
        sources = _split_list(src_ns) or _split_list(src_pods)
        targets = _split_list(dst_ns) or _split_list(dst_pods)
        ports = _parse_conn(conn)
        for s in sources:
            for d in targets:
                out.setdefault((s, d), set()).update(ports)
    return {Conn(s, d, frozenset(p)) for (s, d), p in out.items()}


@dataclass(frozen=True)
class Analysis:
    """What network-config-analyzer computed for the rendered NetworkPolicies, next to the declaration."""

    csv: str
    found: set[Conn]
    expected: set[Conn]

    @property
    def undeclared(self) -> set[Conn]:
        """Connectivity the analyzer finds that the flow matrix does not declare (a hole)."""
        return self.found - self.expected

    @property
    def missing(self) -> set[Conn]:
        """Declared connectivity the analyzer does not find (a flow that will not work)."""
        return self.expected - self.found

    @property
    def matches(self) -> bool:
        return self.found == self.expected

    def lines(self) -> list[str]:
        """One line per (source, destination): `=` found and declared, `+` undeclared, `-` missing."""
        marks = {c: "=" for c in self.found & self.expected}
        marks.update({c: "+" for c in self.undeclared})
        marks.update({c: "-" for c in self.missing})
        return [f"{mark} {conn}" for conn, mark in sorted(marks.items())]


def analyze(cfg: PlatformConfig, objects: list[dict[str, Any]], nca: Path, workdir: Path) -> Analysis:
    """Run `nca --connectivity` on the zone NetworkPolicies and Namespaces in `objects`, with one
    representative pod per zone namespace, and compare with the declared flow matrix. Only connections
    from or to a zone namespace count (system namespaces have no policies of ours)."""
    policies = [o for o in objects if o["kind"] in ("NetworkPolicy", "Namespace")]
    namespaces = [o for o in policies if o["kind"] == "Namespace"] + system_namespaces()
    workdir.mkdir(parents=True, exist_ok=True)
    files = {
        "policies": yaml.safe_dump_all(policies, sort_keys=False),
        "pods": yaml.safe_dump({"apiVersion": "v1", "kind": "PodList", "items": representative_pods(cfg)}),
        "namespaces": yaml.safe_dump({"apiVersion": "v1", "kind": "NamespaceList", "items": namespaces}),
    }
    for name, text in files.items():
        (workdir / f"{name}.yaml").write_text(text, encoding="utf-8")
    cmd = [str(nca), "--connectivity", str(workdir / "policies.yaml"), "--pod_list", str(workdir / "pods.yaml"),
           "--ns_list", str(workdir / "namespaces.yaml"), "-o", "csv"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    zone_ns = {ns for z in cfg.zones for ns in z.namespaces}
    found = {c for c in parse_nca_csv(proc.stdout) if c.src in zone_ns or c.dst in zone_ns}
    return Analysis(csv=proc.stdout, found=found, expected=expected_connectivity(cfg))


def tool_path(venv: str, exe: str) -> Path:
    """An executable of the pinned scanner venvs `make tools` installs (ENCLAVE_TOOLS_DIR, default .tools/)."""
    return Path(os.environ.get("ENCLAVE_TOOLS_DIR", PROJECT_ROOT / ".tools")) / venv / "bin" / exe


def default_nca() -> Path:
    return tool_path("network-config-analyzer", "nca")
