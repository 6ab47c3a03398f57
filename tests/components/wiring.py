"""Reading a synthesized platform as what `pulumi up` would deploy: resources by type and name, decoded
policy documents, and the deploy graph (who waits for whom on a first `pulumi up`).

The wiring tests (tests/components/test_wiring_*.py) go through this module only: they never construct a
component, so they hold whatever the components' constructors look like. The break list that proves them
is in test_wiring_deploy_order.py's docstring.
"""

from __future__ import annotations

import copy
import ipaddress
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from components.config import PlatformConfig, validate_platform
from enclave.synth import SynthResult, synth
from tests.conftest import stack_data, write_stack

Record = dict[str, Any]
Synth = Callable[..., SynthResult]

KUBERNETES_TYPE = "kubernetes:"
NAMESPACE = "kubernetes:core/v1:Namespace"
RELEASE = "kubernetes:helm.sh/v3:Release"
KEY = "aws:kms/key:Key"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
TRAIL = "aws:cloudtrail/trail:Trail"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
# Namespaces every cluster has before anything is deployed.
BUILT_IN_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


@dataclass
class Deployed:
    """One stack's synth output, indexed, with its validated config."""

    result: SynthResult
    cfg: PlatformConfig
    by_urn: dict[str, Record] = field(init=False)
    _children: dict[str, list[str]] = field(init=False)
    _closure: dict[str, frozenset[str]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.by_urn = {r["urn"]: r for r in self.result.resources}
        self._children = {}
        for r in self.result.resources:
            self._children.setdefault(r["parent"], []).append(r["urn"])

    # ----- finding resources -------------------------------------------------------------------
    @property
    def stack(self) -> str:
        return self.result.stack

    @property
    def account(self) -> str:
        assert self.cfg.account_id, f"{self.stack}: the shipped stacks name their account"
        return self.cfg.account_id

    def of_type(self, typ: str) -> list[Record]:
        return [r for r in self.result.resources if r["type"] == typ]

    def one(self, typ: str, name: str) -> Record:
        found = [r for r in self.of_type(typ) if r["name"] == name]
        assert len(found) == 1, f"{self.stack}: expected one {typ} named {name}, found {[r['urn'] for r in found]}"
        return found[0]

    def kubernetes(self) -> list[Record]:
        """Every Kubernetes object (Helm releases and providers aside)."""
        return [r for r in self.result.resources if r["type"].startswith(KUBERNETES_TYPE) and r["type"] != RELEASE]

    def k8s_objects(self, kind: str, namespace: str | None = None) -> list[Record]:
        return [
            r
            for r in self.kubernetes()
            if r["inputs"].get("kind") == kind and (namespace is None or k8s_namespace(r) == namespace)
        ]

    def namespace_resource(self, name: str) -> Record | None:
        found = [r for r in self.of_type(NAMESPACE) if r["inputs"]["metadata"]["name"] == name]
        assert len(found) <= 1, f"{self.stack}: namespace {name} created twice"
        return found[0] if found else None

    def property_deps(self, record: Record, prop: str, typ: str | None = None) -> list[Record]:
        """The resources `record`'s input `prop` was computed from (of type `typ`)."""
        urns = record["propertyDependencies"].get(prop, [])
        return [self.by_urn[u] for u in urns if u in self.by_urn and (typ is None or self.by_urn[u]["type"] == typ)]

    def users_of(self, target: Record, typ: str, prop: str) -> list[Record]:
        """Resources of `typ` whose input `prop` was computed from `target` (e.g. the policy of a bucket)."""
        return [r for r in self.of_type(typ) if target["urn"] in r["propertyDependencies"].get(prop, [])]

    # ----- the deploy graph --------------------------------------------------------------------
    def _custom_descendants(self, urn: str) -> set[str]:
        out: set[str] = set()
        for child in self._children.get(urn, []):
            if self.by_urn[child]["custom"]:
                out.add(child)
            out |= self._custom_descendants(child)
        return out

    def direct_waits(self, urn: str) -> set[str]:
        """What the engine waits for before creating `urn`: its dependencies (a component standing for every
        resource in it) and its provider, which is configured only once its own inputs exist."""
        record = self.by_urn[urn]
        deps = set(record["dependencies"])
        for urns in record["propertyDependencies"].values():
            deps |= set(urns)
        provider = record.get("provider") or ""
        if provider:
            deps.add(provider.rsplit("::", 1)[0])
        out: set[str] = set()
        for dep in deps:
            dep_record = self.by_urn.get(dep)
            if dep_record is not None and not dep_record["custom"]:
                out |= self._custom_descendants(dep)
            else:
                out.add(dep)
        out.discard(urn)
        return out

    def waits_for_all(self, urn: str) -> frozenset[str]:
        """Everything created before `urn` on a first `pulumi up` (transitively)."""
        if urn not in self._closure:
            seen: set[str] = set()
            todo = list(self.direct_waits(urn))
            while todo:
                dep = todo.pop()
                if dep in seen:
                    continue
                seen.add(dep)
                if dep in self.by_urn:
                    todo.extend(self.direct_waits(dep))
            self._closure[urn] = frozenset(seen)
        return self._closure[urn]

    def waits_for(self, record: Record, target: Record) -> bool:
        return target["urn"] in self.waits_for_all(record["urn"])

    def missing_waits(self, records: Iterable[Record], targets: Iterable[Record]) -> list[str]:
        """'a -> b' for each record that is not created after each target: empty when all wait."""
        targets = list(targets)
        return [
            f"{r['type']} {r['name']} -> {t['type']} {t['name']}"
            for r in records
            for t in targets
            if not self.waits_for(r, t)
        ]


_DEPLOYED: dict[int, Deployed] = {}


def deployed(result: SynthResult, data: dict[str, Any] | None = None) -> Deployed:
    """The indexed view of a synth result (built once per result: closures are cached on it)."""
    key = id(result)
    if key not in _DEPLOYED:
        cfg = validate_platform(data if data is not None else stack_data(result.stack))
        _DEPLOYED[key] = Deployed(result, cfg)
    return _DEPLOYED[key]


_EDITED: dict[str, tuple[SynthResult, dict[str, Any]]] = {}


def deployed_edit(
    stack: str, label: str, edit: Callable[[dict[str, Any]], None], folder: Callable[[], Path]
) -> Deployed:
    """A shipped stack edited by `edit`, synthesized once per session under `label` (its stack file written
    into `folder()`)."""
    if label not in _EDITED:
        data = copy.deepcopy(stack_data(stack))
        edit(data)
        path = write_stack(folder() / f"Pulumi.{stack}.yaml", data)
        _EDITED[label] = (synth(stack, config_file=path), data)
    result, data = _EDITED[label]
    return deployed(result, data)


# ----- reading inputs --------------------------------------------------------------------------------
def k8s_namespace(record: Record) -> str | None:
    meta = record["inputs"].get("metadata") or {}
    namespace = meta.get("namespace")
    return namespace if isinstance(namespace, str) else None


def k8s_name(record: Record) -> str:
    return str(record["inputs"]["metadata"]["name"])


def api_group(record: Record) -> str:
    api_version = str(record["inputs"].get("apiVersion", ""))
    return api_version.split("/")[0] if "/" in api_version else ""


def document(record: Record, key: str = "policy") -> dict[str, Any]:
    """A JSON policy document input, decoded."""
    value = record["inputs"][key]
    doc = json.loads(value) if isinstance(value, str) else value
    assert isinstance(doc, dict), f"{record['urn']}: {key} is not a JSON document"
    return doc


def statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    found = doc.get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def principals(stmt: dict[str, Any]) -> set[str]:
    """'*' or every AWS/Service principal a statement names."""
    principal = stmt.get("Principal")
    if principal == "*":
        return {"*"}
    if not isinstance(principal, dict):
        return set()
    return {p for kind in ("AWS", "Service", "Federated") for p in as_list(principal.get(kind))}


def action_allowed(stmt: dict[str, Any], action: str) -> bool:
    return any(fnmatchcase(action.lower(), pattern.lower()) for pattern in as_list(stmt.get("Action")))


# ----- NetworkPolicy evaluation --------------------------------------------------------------------------
@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: tuple[tuple[str, str], ...]
    namespace_labels: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Target:
    """Where a connection goes: a pod, or an address outside the cluster."""

    protocol: str
    port: int
    pod: Pod | None = None
    address: str | None = None

    def __str__(self) -> str:
        where = f"{self.pod.namespace}/{dict(self.pod.labels)}" if self.pod else self.address
        return f"{where} {self.protocol}/{self.port}"


def _selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


def _peer_matches(peer: dict[str, Any], target: Target, policy_namespace: str) -> bool:
    """Does an egress peer (`to` entry) of a policy in `policy_namespace` take in `target`?"""
    if "ipBlock" in peer:
        if target.address is None:
            return False
        block = peer["ipBlock"]
        addr = ipaddress.ip_address(target.address)
        if addr not in ipaddress.ip_network(block["cidr"]):
            return False
        return not any(addr in ipaddress.ip_network(e) for e in block.get("except") or [])
    return target.pod is not None and _pod_matches(peer, target.pod, policy_namespace)


def _pod_matches(peer: dict[str, Any], pod: Pod, policy_namespace: str) -> bool:
    """A selector peer: with a namespaceSelector, pods of the namespaces it selects; without, pods of the
    policy's own namespace."""
    if "ipBlock" in peer:
        return False
    if "namespaceSelector" in peer:
        if not _selects(peer["namespaceSelector"], dict(pod.namespace_labels)):
            return False
    elif pod.namespace != policy_namespace:
        return False
    return _selects(peer.get("podSelector"), dict(pod.labels))


def _port_matches(ports: list[dict[str, Any]] | None, protocol: str, port: int) -> bool:
    if not ports:
        return True
    for p in ports:
        if p.get("protocol", "TCP") != protocol:
            continue
        if "port" not in p:
            return True
        start = p["port"]
        if not isinstance(start, int):
            continue  # a named port: no workload here names one
        if start <= port <= p.get("endPort", start):
            return True
    return False


class Policies:
    """The NetworkPolicies of a synthesized platform, evaluated as a NetworkPolicy enforcer does."""

    def __init__(self, platform: Deployed) -> None:
        self.platform = platform
        self.by_namespace: dict[str, list[dict[str, Any]]] = {}
        for r in platform.k8s_objects("NetworkPolicy"):
            namespace = k8s_namespace(r)
            assert namespace is not None
            self.by_namespace.setdefault(namespace, []).append(r["inputs"]["spec"])

    def namespace_labels(self, namespace: str) -> tuple[tuple[str, str], ...]:
        labels = {"kubernetes.io/metadata.name": namespace}
        ns = self.platform.namespace_resource(namespace)
        if ns is not None:
            labels.update(ns["inputs"]["metadata"].get("labels") or {})
        return tuple(sorted(labels.items()))

    def pod(self, namespace: str, labels: dict[str, str]) -> Pod:
        return Pod(namespace, tuple(sorted(labels.items())), self.namespace_labels(namespace))

    def _selecting(self, pod: Pod, kind: str) -> list[dict[str, Any]]:
        """The policies that isolate `pod` for `kind` (Ingress or Egress). Without policyTypes a policy is an
        Ingress policy, and an Egress one too when it has egress rules."""
        out = []
        for spec in self.by_namespace.get(pod.namespace, []):
            types = spec.get("policyTypes") or ["Ingress", *(["Egress"] if "egress" in spec else [])]
            if kind in types and _selects(spec.get("podSelector"), dict(pod.labels)):
                out.append(spec)
        return out

    def egress_allowed(self, source: Pod, target: Target) -> bool:
        selecting = self._selecting(source, "Egress")
        if not selecting:
            return True
        for spec in selecting:
            for rule in spec.get("egress") or []:
                peers = rule.get("to")
                if not _port_matches(rule.get("ports"), target.protocol, target.port):
                    continue
                if not peers or any(_peer_matches(p, target, source.namespace) for p in peers):
                    return True
        return False

    def ingress_allowed(self, source: Pod, target: Target) -> bool:
        assert target.pod is not None
        selecting = self._selecting(target.pod, "Ingress")
        if not selecting:
            return True
        for spec in selecting:
            for rule in spec.get("ingress") or []:
                if not _port_matches(rule.get("ports"), target.protocol, target.port):
                    continue
                peers = rule.get("from")
                if not peers or any(_pod_matches(p, source, target.pod.namespace) for p in peers):
                    return True
        return False

    def connects(self, source: Pod, target: Target) -> bool:
        if not self.egress_allowed(source, target):
            return False
        return target.pod is None or self.ingress_allowed(source, target)
