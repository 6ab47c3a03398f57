"""What the API server does to a Pod before a ValidatingAdmissionPolicy sees it, for tests: defaulting and the
built-in mutating plugins in kube-apiserver's order (plugin/pkg/admission, AllOrderedPlugins: ServiceAccount,
DefaultTolerationSeconds, ExtendedResourceToleration), then the mutating webhooks in name order (Istio's
sidecar injector, then Kyverno), then every bound ValidatingAdmissionPolicy and, on request, Pod Security.

The Istio injector is modelled on the 1.27 injection template with the platform's injection values: istio-cni
(an istio-validation init container, no NET_ADMIN), native sidecars (ENABLE_NATIVE_SIDECARS=auto turns them on
where every node runs Kubernetes 1.33+, as the platform's clusters do), statusPort 15020, and the platform's
custom injection templates (sidecarInjectorWebhook.templates / defaultTemplates) applied as strategic merges."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .admission_eval import kyverno_mutate, selects, vap_violations

Manifest = dict[str, Any]
TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
STATUS_PORT = "15020"


def default_pod(pod: Manifest) -> Manifest:
    """SetDefaults_Pod: a container's limits fill its missing requests (Pods only, never templates)."""
    out = copy.deepcopy(pod)
    for c in [*out["spec"].get("containers", []), *out["spec"].get("initContainers", [])]:
        resources = c.get("resources") or {}
        limits = resources.get("limits") or {}
        if limits:
            requests = resources.setdefault("requests", {})
            for key, value in limits.items():
                requests.setdefault(key, value)
            c["resources"] = resources
    return out


def service_account_plugin(pod: Manifest, automount_by_sa: dict[str, bool]) -> None:
    """ServiceAccount: the `default` account when none is named; unless the pod (else its account) turns
    automount off, a projected `kube-api-access-<5>` volume mounted read-only in every init and app container."""
    spec = pod["spec"]
    spec.setdefault("serviceAccountName", "default")
    automount = spec.get("automountServiceAccountToken")
    if automount is None:
        automount = automount_by_sa.get(spec["serviceAccountName"], True)
    if not automount:
        return
    name = next((v["name"] for v in spec.get("volumes", []) if v["name"].startswith("kube-api-access-")),
                "kube-api-access-x7k2q")  # fmt: skip
    needs = False
    for c in [*spec.get("initContainers", []), *spec["containers"]]:
        if not any(m.get("mountPath") == TOKEN_PATH for m in c.get("volumeMounts", [])):
            c.setdefault("volumeMounts", []).append({"name": name, "readOnly": True, "mountPath": TOKEN_PATH})
            needs = True
    if needs and not any(v["name"] == name for v in spec.get("volumes", [])):
        spec.setdefault("volumes", []).append(
            {
                "name": name,
                "projected": {
                    "defaultMode": 420,
                    "sources": [
                        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
                        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                        {
                            "downwardAPI": {
                                "items": [
                                    {
                                        "path": "namespace",
                                        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                    }
                                ]
                            }
                        },
                    ],
                },
            }
        )


def _add_or_update(spec: dict[str, Any], toleration: dict[str, Any]) -> None:
    """helper.AddOrUpdateTolerationInPod: a toleration matching key, operator, value and effect is replaced."""
    tolerations = spec.setdefault("tolerations", [])
    ident = ("key", "operator", "value", "effect")
    for i, t in enumerate(tolerations):
        if all(t.get(k, "") == toleration.get(k, "") for k in ident):
            tolerations[i] = toleration
            return
    tolerations.append(toleration)


def default_toleration_seconds(pod: Manifest) -> None:
    """DefaultTolerationSeconds: not-ready and unreachable NoExecute for 300 s, unless already tolerated (a
    toleration with that key or no key, and effect NoExecute or none)."""
    spec = pod["spec"]
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(t.get("key", "") in (key, "") and t.get("effect", "") in ("NoExecute", "")
                   for t in spec.get("tolerations", [])):  # fmt: skip
            _add_or_update(spec, {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300})


def _extended(name: str) -> bool:
    """helper.IsExtendedResourceName: a domain-prefixed name outside kubernetes.io, not a quota `requests.` key."""
    return "/" in name and "kubernetes.io/" not in name and not name.startswith("requests.")


def extended_resource_toleration(pod: Manifest) -> None:
    """ExtendedResourceToleration: for every extended resource in the requests of an init or app container, in
    sorted order, the toleration key=<resource>, operator Exists, effect NoSchedule."""
    spec = pod["spec"]
    names = {
        r
        for c in [*spec["containers"], *spec.get("initContainers", [])]
        for r in ((c.get("resources") or {}).get("requests") or {})
        if _extended(r)
    }
    for name in sorted(names):
        _add_or_update(spec, {"key": name, "operator": "Exists", "effect": "NoSchedule"})


def _render_go_if(template: str, context: dict[str, bool]) -> str:
    """The one Go template construct the platform's injection templates use: {{- if .X }} ... {{- else }} ...
    {{- end }} on a boolean of the injection context."""
    pattern = re.compile(r"\{\{-? if \.(\w+) -?\}\}(.*?)(?:\{\{-? else -?\}\}(.*?))?\{\{-? end -?\}\}", re.S)
    return pattern.sub(lambda m: m[2] if context[m[1]] else (m[3] or ""), template)


def _merge_named(target: list[dict[str, Any]], patch: list[dict[str, Any]]) -> None:
    for item in patch:
        existing = next((t for t in target if t.get("name") == item["name"]), None)
        if existing is None:
            target.append(copy.deepcopy(item))
        else:
            _merge(existing, item)


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """Strategic merge of an injection template: maps recursively, container lists by name."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        elif isinstance(value, list) and key in ("containers", "initContainers"):
            _merge_named(target.setdefault(key, []), value)
        else:
            target[key] = copy.deepcopy(value)


def _exclude_inbound(pod_value: str) -> str:
    """Istio's excludeInboundPort: the status port appended to the pod's own list unless already in it."""
    ports = [p.strip() for p in pod_value.split(",") if p.strip()]
    return pod_value if STATUS_PORT in ports else ",".join([*ports, STATUS_PORT])


@dataclass
class IstioInjector:
    """The sidecar injector webhook (istiod) with the platform's istiod values."""

    values: dict[str, Any]
    native_sidecars: bool = True

    @property
    def image(self) -> str:
        g = self.values["global"]
        return f"{g['hub']}/proxyv2:{g['tag']}"

    def wants(self, pod: Manifest, namespace_labels: dict[str, str]) -> bool:
        meta = pod["metadata"]
        labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
        if namespace_labels.get("istio-injection") != "enabled" or pod["spec"].get("hostNetwork"):
            return False
        if "sidecar.istio.io/status" in annotations:  # already injected
            return False
        choice = labels.get("sidecar.istio.io/inject", annotations.get("sidecar.istio.io/inject", "true"))
        return str(choice).lower() not in ("false", "n", "no", "off")

    def _security(self) -> dict[str, Any]:
        return {
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsGroup": 1337,
            "runAsUser": 1337,
            "runAsNonRoot": True,
        }

    def inject(self, pod: Manifest) -> Manifest:
        out = copy.deepcopy(pod)
        meta, spec = out["metadata"], out["spec"]
        annotations = meta.setdefault("annotations", {})
        exclude_in = _exclude_inbound(annotations.get("traffic.sidecar.istio.io/excludeInboundPorts", ""))
        args = ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*",
                "-x", annotations.get("traffic.sidecar.istio.io/excludeOutboundIPRanges", ""), "-b", "*",
                "-d", f"15090,15021,{exclude_in}"]  # fmt: skip
        if "traffic.sidecar.istio.io/excludeOutboundPorts" in annotations:
            args += ["-o", annotations["traffic.sidecar.istio.io/excludeOutboundPorts"]]
        if "traffic.sidecar.istio.io/excludeInterfaces" in annotations:
            args += ["-c", annotations["traffic.sidecar.istio.io/excludeInterfaces"]]
        validation = {"name": "istio-validation", "image": self.image,
                      "args": [*args, "--log_output_level=default:info", "--run-validation", "--skip-rule-apply"],
                      "securityContext": self._security()}  # fmt: skip
        proxy: dict[str, Any] = {
            "name": "istio-proxy",
            "image": self.image,
            "ports": [{"containerPort": 15090, "protocol": "TCP", "name": "http-envoy-prom"}],
            "args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local"],
            "securityContext": {k: v for k, v in self._security().items()},
            "volumeMounts": [{"name": n, "mountPath": p} for n, p in (
                ("istiod-ca-cert", "/var/run/secrets/istio"), ("istio-data", "/var/lib/istio/data"),
                ("istio-envoy", "/etc/istio/proxy"), ("istio-token", "/var/run/secrets/tokens"),
                ("istio-podinfo", "/etc/istio/pod"))],
        }  # fmt: skip
        app = [c["name"] for c in spec["containers"]]
        if self.native_sidecars:
            proxy["restartPolicy"] = "Always"
            spec["initContainers"] = [validation, proxy, *spec.get("initContainers", [])]
        else:
            spec["initContainers"] = [validation, *spec.get("initContainers", [])]
            spec["containers"] = [*spec["containers"], proxy]
        spec.setdefault("volumes", []).extend([
            {"name": "istio-envoy", "emptyDir": {"medium": "Memory"}}, {"name": "istio-data", "emptyDir": {}},
            {"name": "istio-podinfo", "downwardAPI": {"items": [
                {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                {"path": "annotations", "fieldRef": {"fieldPath": "metadata.annotations"}}]}},
            {"name": "istio-token", "projected": {"sources": [{"serviceAccountToken": {
                "audience": "istio-ca", "expirationSeconds": 43200, "path": "istio-token"}}]}},
            {"name": "istiod-ca-cert", "configMap": {"name": "istio-ca-root-cert"}},
        ])  # fmt: skip
        injected = {
            "istio.io/rev": "default",
            "kubectl.kubernetes.io/default-container": app[0],
            "kubectl.kubernetes.io/default-logs-container": app[0],
            "sidecar.istio.io/interceptionMode": "REDIRECT",
            "traffic.sidecar.istio.io/includeInboundPorts": "*",
            "traffic.sidecar.istio.io/includeOutboundIPRanges": "*",
            "traffic.sidecar.istio.io/excludeInboundPorts": exclude_in,
        }
        for key in injected:
            if key.startswith("kubectl.") and key in annotations:
                continue
            annotations[key] = injected[key]
        annotations["sidecar.istio.io/status"] = json.dumps(
            {"initContainers": ["istio-validation", *(["istio-proxy"] if self.native_sidecars else [])],
             "containers": [] if self.native_sidecars else ["istio-proxy"],
             "volumes": ["istio-envoy", "istio-data", "istio-podinfo", "istio-token", "istiod-ca-cert"]})  # fmt: skip
        labels = meta.setdefault("labels", {})
        labels.setdefault("security.istio.io/tlsMode", "istio")
        labels.setdefault("service.istio.io/canonical-name", labels.get("app", meta.get("name", "")))
        labels.setdefault("service.istio.io/canonical-revision", "latest")
        webhook = self.values.get("sidecarInjectorWebhook", {})
        for template_name in webhook.get("defaultTemplates", []):
            if template_name == "sidecar":
                continue
            text = _render_go_if(webhook["templates"][template_name], {"NativeSidecars": self.native_sidecars})
            _merge(out, yaml.safe_load(text))
        return out


@dataclass
class ApiServer:
    """A cluster's admission chain: the policies it holds, its namespaces' labels, its ServiceAccounts."""

    objects: list[Manifest]
    namespaces: dict[str, dict[str, str]]
    injector: IstioInjector | None = None
    automount_by_sa: dict[str, bool] = field(default_factory=dict)

    def _of(self, kind: str) -> list[Manifest]:
        return [o for o in self.objects if o["kind"] == kind]

    def mutate(self, obj: Manifest, namespace: str, user: dict[str, Any] | None = None) -> Manifest:
        """What the mutating phase makes of a CREATE of `obj` (only Pods are mutated)."""
        if obj["kind"] != "Pod":
            return copy.deepcopy(obj)
        pod = default_pod(obj)
        pod["metadata"].setdefault("namespace", namespace)
        service_account_plugin(pod, self.automount_by_sa)
        default_toleration_seconds(pod)
        extended_resource_toleration(pod)
        labels = self.namespaces.get(namespace, {})
        if self.injector is not None and self.injector.wants(pod, labels):
            pod = self.injector.inject(pod)
        for kyverno in self._of("ClusterPolicy"):
            pod = kyverno_mutate(kyverno, pod, labels)
        return pod

    def validate(
        self, obj: Manifest, namespace: str, operation: str = "CREATE", user: dict[str, Any] | None = None
    ) -> list[str]:
        """Messages of every ValidatingAdmissionPolicy bound (Deny) to the namespace that refuses `obj`."""
        labels = {"kubernetes.io/metadata.name": namespace, **self.namespaces.get(namespace, {})}
        policies = {p["metadata"]["name"]: p for p in self._of("ValidatingAdmissionPolicy")}
        out: list[str] = []
        for b in self._of("ValidatingAdmissionPolicyBinding"):
            spec = b["spec"]
            selector = spec.get("matchResources", {}).get("namespaceSelector", {})
            if "Deny" not in spec["validationActions"] or not selects(selector, labels):
                continue
            out += vap_violations(policies[spec["policyName"]], obj, operation, namespace, labels, user)
        return out

    def create(self, obj: Manifest, namespace: str, user: dict[str, Any] | None = None) -> tuple[Manifest, list[str]]:
        """What reaches etcd for a CREATE of `obj` in `namespace`, and the refusals (empty: admitted)."""
        mutated = self.mutate(obj, namespace, user)
        return mutated, self.validate(mutated, namespace, "CREATE", user)


def restricted_seccomp_violations(pod: Manifest) -> list[str]:
    """Pod Security `restricted`, seccomp check (pkg/security/podsecurity, check_seccompProfile_restricted): the
    pod's profile, or every container's own, is RuntimeDefault or Localhost; none is Unconfined."""
    spec = pod["spec"]
    allowed = ("RuntimeDefault", "Localhost")
    pod_level = (spec.get("securityContext") or {}).get("seccompProfile", {}).get("type")
    out = []
    for c in [*spec.get("initContainers", []), *spec["containers"], *spec.get("ephemeralContainers", [])]:
        own = (c.get("securityContext") or {}).get("seccompProfile", {}).get("type")
        effective = own or pod_level
        if effective not in allowed:
            out.append(f"container {c['name']!r} must set securityContext.seccompProfile.type to RuntimeDefault")
    return out
