"""Kubernetes objects however a stack declares them, the namespace each lands in and the pod spec of every workload.

A stack declares Kubernetes objects three ways, and the engine shows each differently:
- typed resources (`kubernetes:apps/v1:Deployment`): the object is the resource's inputs;
- yaml ConfigGroup / ConfigFile (v2: components the provider expands; v1: expanded by the SDK) and Helm Charts
  (helm.sh/v3 Chart, helm.sh/v4 Chart): the engine analyses the component with its own inputs and every object
  it expands into as a typed child (parent = the component). Where no child is visible (an offline synth, which
  cannot run the provider's expansion), a ConfigGroup's inline `objs` and `yaml` are read instead; anything else
  (files, a chart) is a container whose objects cannot be seen;
- a helm.sh/v3 Release: the provider installs the chart; nothing it renders reaches the engine. Only its namespace
  and values are visible.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from .model import Resource, Stack
from .types import NAMESPACE
from .values import MISSING, UNKNOWN, as_list

WORKLOAD_KINDS = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job",
                  "CronJob")  # fmt: skip
WORKLOAD_GROUPS = ("core", "apps", "batch", "extensions")
# Their type tokens at the versions Kubernetes serves (what pulumi-kubernetes registers).
WORKLOAD_TYPES = (
    "kubernetes:core/v1:Pod",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:core/v1:ReplicationController",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
)
CONFIG_GROUPS = (
    "kubernetes:yaml/v2:ConfigGroup",
    "kubernetes:yaml/v2:ConfigFile",
    "kubernetes:yaml:ConfigGroup",
    "kubernetes:yaml:ConfigFile",
    "kubernetes:kustomize/v2:Directory",
    "kubernetes:kustomize:Directory",
)
RELEASES = ("kubernetes:helm.sh/v3:Release",)
CHARTS = ("kubernetes:helm.sh/v3:Chart", "kubernetes:helm.sh/v4:Chart")
HELM = RELEASES + CHARTS
CONTAINERS = CONFIG_GROUPS + CHARTS
DEFAULT_NAMESPACE = "default"
# Kinds without a namespace (everything else is namespaced: an object that names none lands in the provider's).
CLUSTER_SCOPED = frozenset(
    {
        "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
        "StorageClass", "PriorityClass", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
        "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration", "APIService", "ClusterPolicy", "ClusterCleanupPolicy", "RuntimeClass",
        "IngressClass", "CSIDriver", "VolumeAttachment", "ClusterIssuer", "GatewayClass",
    }
)  # fmt: skip


def parse_type(token: str) -> tuple[str, str, str] | None:
    """(API group, version, kind) of a pulumi-kubernetes type token (`core` for the core group); None for other
    providers and for the provider's own components (yaml, helm, kustomize)."""
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "kubernetes" or "/" not in parts[1]:
        return None
    group, _, version = parts[1].rpartition("/")
    if group in ("yaml", "helm.sh", "kustomize") or not parts[2]:
        return None
    return group, version, parts[2]


def _group_of(api_version: Any) -> str:
    text = str(api_version or "v1")
    return text.rpartition("/")[0] or "core"


@dataclass(frozen=True)
class KubeObject:
    """One Kubernetes object: `resource` is what declares it (the typed resource, or the ConfigGroup holding it),
    `body` the object (apiVersion, kind, metadata, spec...)."""

    resource: Resource
    body: Mapping[str, Any]
    group: str
    kind: str
    inline: bool = False

    @property
    def urn(self) -> str:
        return self.resource.urn

    @property
    def name(self) -> Any:
        meta = self.body.get("metadata")
        value = meta.get("name", MISSING) if isinstance(meta, Mapping) else MISSING
        return value if isinstance(value, str) or value is UNKNOWN else None

    def label(self) -> str:
        if not self.inline:
            return self.resource.label()
        return f"{self.resource.label()}: {self.kind} {self.name!r}"

    def get(self, path: str) -> Any:
        from .values import get

        return get(self.body, path)


def _yaml_documents(text: str) -> list[Any]:
    try:
        return list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return [None]  # not YAML: one object that cannot be read


def _flatten(value: Any) -> Iterator[Any]:
    """Objects of a manifest, `kind: List` (and *List) items spread."""
    if isinstance(value, Mapping) and str(value.get("kind", "")).endswith("List") and "items" in value:
        for item in as_list(value.get("items")):
            yield from _flatten(item)
    elif value is not None:
        yield value


def inline_objects(container: Resource) -> tuple[list[Mapping[str, Any]], list[str]]:
    """A ConfigGroup's inline objects (`objs`, `yaml`) and what of it cannot be read (files, unknowns, text that is
    no object)."""
    found: list[Mapping[str, Any]] = []
    opaque: list[str] = []
    for key in ("objs", "yaml"):
        value = container.get(key)
        if value is MISSING or value is None:
            continue
        if value is UNKNOWN:
            opaque.append(f"{key} (not known yet)")
            continue
        docs: list[Any] = []
        for item in as_list(value):
            docs += _yaml_documents(item) if isinstance(item, str) else [item]
        for doc in docs:
            for obj in _flatten(doc):
                if isinstance(obj, Mapping) and isinstance(obj.get("kind"), str):
                    found.append(obj)
                else:
                    opaque.append(f"{key} (an entry that is no Kubernetes object)")
    for key in ("files", "file", "directory", "chart"):
        value = container.get(key)
        if value is not MISSING and value is not None and value != []:
            opaque.append(f"{key} {value!r}" if value is not UNKNOWN else f"{key} (not known yet)")
    return found, opaque


def objects(stack: Stack) -> list[KubeObject]:
    """Every Kubernetes object the stack declares: typed resources, and the inline objects of containers whose
    children the engine does not show."""
    out: list[KubeObject] = []
    parents = {r.parent for r in stack.resources if r.parent}
    for r in stack.resources:
        parsed = parse_type(r.type)
        if parsed is not None:
            out.append(KubeObject(r, r.props, parsed[0], parsed[2]))
        elif r.type in CONFIG_GROUPS and r.urn not in parents:
            found, _ = inline_objects(r)
            out += [KubeObject(r, o, _group_of(o.get("apiVersion")), str(o["kind"]), inline=True) for o in found]
    return out


def unexpanded(stack: Stack) -> list[tuple[Resource, list[str]]]:
    """Containers (ConfigGroups, Charts) with no visible child and something the pack cannot read, and what."""
    parents = {r.parent for r in stack.resources if r.parent}
    out = []
    for r in stack.of_type(*CONTAINERS):
        if r.urn in parents:
            continue
        _, opaque = inline_objects(r)
        if opaque:
            out.append((r, opaque))
    return out


def is_workload(obj: KubeObject) -> bool:
    return obj.kind in WORKLOAD_KINDS and obj.group in WORKLOAD_GROUPS


def workloads(stack: Stack) -> list[KubeObject]:
    return [o for o in objects(stack) if is_workload(o)]


def provider_namespace(r: Resource) -> str:
    """The namespace the provider puts an object that names none in (its `namespace` input, else `default`)."""
    value = r.provider_props.get("namespace")
    return value if isinstance(value, str) and value else DEFAULT_NAMESPACE


def namespace(obj: KubeObject, stack: Stack) -> Any:
    """Where a namespaced object lands: metadata.namespace; the provider's namespace when it names none; the name of
    the Namespace its metadata depends on when the value is not known yet; else UNKNOWN."""
    value = obj.get("metadata.namespace")
    if isinstance(value, str) and value:
        return value
    if value is UNKNOWN:
        deps = stack.sources(obj.resource, "metadata", *NAMESPACE) if not obj.inline else []
        names = {str(n.get("metadata.name")) for n in deps if isinstance(n.get("metadata.name"), str)}
        return names.pop() if len(names) == 1 else UNKNOWN
    return provider_namespace(obj.resource)


def helm_namespace(release: Resource) -> Any:
    value = release.get("namespace")
    if isinstance(value, str) and value:
        return value
    if value is UNKNOWN:
        return UNKNOWN
    return provider_namespace(release)


def chart_name(release: Resource) -> Any:
    """The chart a Release or Chart installs, by its own name: `oci://host/charts/kyverno`, `kyverno/kyverno`,
    `https://.../kyverno-3.5.2.tgz` and `kyverno` all give `kyverno`."""
    chart = release.get("chart")
    if not isinstance(chart, str):
        return chart
    base = chart.rstrip("/").rsplit("/", 1)[-1].split(":", 1)[0]
    if base.endswith(".tgz"):
        stem = base[: -len(".tgz")]
        head, _, tail = stem.rpartition("-")
        base = head if head and tail[:1].isdigit() else stem
    return base


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def pod_template(obj: KubeObject) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """(metadata, spec) of the pods a workload makes: a Pod's own, a CronJob's through its job template, any other
    kind's pod template."""
    body = obj.body
    if obj.kind == "Pod":
        return mapping(body.get("metadata")), mapping(body.get("spec"))
    spec = mapping(body.get("spec"))
    if obj.kind == "CronJob":
        spec = mapping(mapping(spec.get("jobTemplate")).get("spec"))
    template = mapping(spec.get("template"))
    return mapping(template.get("metadata")), mapping(template.get("spec"))


def containers(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Init, app and ephemeral containers of a pod spec."""
    return [
        c
        for key in ("initContainers", "containers", "ephemeralContainers")
        for c in as_list(spec.get(key))
        if isinstance(c, Mapping)
    ]
