"""DATA-11: zone workloads read secrets from the manager as read-only files, never from Kubernetes Secrets.

Judged on what the stack declares: a Secret with data (or stringData) in a zone namespace puts a value in etcd and
in every reader of Secrets there; a SecretProviderClass in a zone namespace must not copy its objects into a Secret
(secretObjects), must be the AWS provider's (another provider's parameters the pack cannot read), and may name only
secrets under its zone's path (enclave/<env>/<zone>/, by name or ARN), each mounted with a filePermission that grants
no write or execute bit (ASCP's default, 0644, is not said); and the secrets-store-csi-driver chart (or the AWS
provider chart's bundled driver) must not enable syncSecret, which gives the driver RBAC to write Secrets anywhere.
Every workload of a zone or of an unclassified namespace (judged strictly) is judged by its pods: a `secret` volume
(or a projected volume's `secret` source), an env `valueFrom.secretKeyRef` or an `envFrom.secretRef` in any of its
containers (init and ephemeral too) reads a Kubernetes Secret; a Secrets Store CSI volume must be `readOnly: true`
and mounted read-only. `imagePullSecrets` are the kubelet's, not the workload's, and are not judged here. An object
whose namespace is not known yet, or whose parameters are not, is unverifiable."""

import re
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from framework import types as t
from framework.kube import NAMESPACE_CLASS_CONFIG, judged_workloads, zone_namespaces
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import MISSING, UNKNOWN, as_list, contains_unknown, truthy
from framework.workloads import WORKLOAD_TYPES, KubeObject, containers, mapping, namespace, objects, pod_template

from ..mesh.helm import releases, value_at, values

SPC_GROUP = "secrets-store.csi.x-k8s.io"
DRIVER_CHARTS = {
    "secrets-store-csi-driver": "syncSecret.enabled",
    "secrets-store-csi-driver-provider-aws": "secrets-store-csi-driver.syncSecret.enabled",
}
WRITE_OR_EXECUTE = 0o333
CSI_DRIVER = "secrets-store.csi.k8s.io"


def _zone_path(name: str, zone: str) -> bool:
    path = name.split(":secret:", 1)[1] if name.startswith("arn:") and ":secret:" in name else name
    return re.match(rf"^enclave/[^/]+/{re.escape(zone)}/[^/]", path) is not None


def _objects(parameters: Any) -> Any:
    """ASCP's objects: a list, UNKNOWN, or None when it is no YAML list of objects."""
    raw = parameters.get("objects", MISSING) if isinstance(parameters, Mapping) else MISSING
    if raw is UNKNOWN:
        return UNKNOWN
    if not isinstance(raw, str):
        return None
    try:
        parsed = yaml.safe_load(raw)
    except yaml.YAMLError:
        return None
    return parsed if isinstance(parsed, list) and all(isinstance(o, Mapping) for o in parsed) else None


def _permission_problem(value: Any) -> str | None:
    if value is MISSING or value is None:
        return "no filePermission (ASCP then writes 0644)"
    text = str(value).strip()
    if not re.fullmatch(r"0?[0-7]{3}", text):
        return f"filePermission {value!r} is no octal mode"
    return f"filePermission {text} grants write or execute" if int(text, 8) & WRITE_OR_EXECUTE else None


def _provider_class(obj: KubeObject, zone: str) -> Iterator[Finding]:
    label = obj.label()
    spec = obj.get("spec")
    if spec is UNKNOWN or contains_unknown(obj.get("spec.secretObjects")):
        yield Finding(obj.urn, f"{label}: its spec is not known yet", True)
        return
    if as_list(obj.get("spec.secretObjects")):
        yield Finding(
            obj.urn,
            f"{label} copies its objects into Kubernetes Secrets (secretObjects); remove "
            "secretObjects and mount the files",
        )
    provider = obj.get("spec.provider")
    if provider is UNKNOWN:
        yield Finding(obj.urn, f"{label}: its provider is not known yet", True)
        return
    if provider != "aws":
        yield Finding(
            obj.urn,
            f"{label}: provider {provider!r} is not AWS's; the pack cannot tell what it mounts or "
            "with which permissions",
        )
        return
    found = _objects(obj.get("spec.parameters"))
    if found is UNKNOWN:
        yield Finding(obj.urn, f"{label}: parameters.objects is not known yet", True)
        return
    if found is None:
        yield Finding(obj.urn, f"{label}: parameters.objects is not a YAML list of objects")
        return
    for o in found:
        name = o.get("objectName")
        if not isinstance(name, str) or not _zone_path(name, zone):
            yield Finding(
                obj.urn, f"{label} (zone {zone}) mounts {name!r}, outside the zone's path enclave/<env>/{zone}/"
            )
        problem = _permission_problem(o.get("filePermission", MISSING))
        if problem:
            yield Finding(obj.urn, f"{label}: object {name!r} has {problem}; set filePermission '0444' or stricter")


def _secret(obj: KubeObject, zone: str, where: str) -> Iterator[Finding]:
    data = [obj.get("data"), obj.get("stringData")]
    if any(d is UNKNOWN for d in data):
        yield Finding(obj.urn, f"{obj.label()}: its data is not known yet", True)
    elif any(isinstance(d, Mapping) and d for d in data):
        yield Finding(
            obj.urn,
            f"{obj.label()} holds secret data in {where}: keep the value in Secrets Manager under "
            f"enclave/<env>/{zone}/ and mount it through the zone's SecretProviderClass",
        )


def _volume_problems(volume: Mapping[str, Any], mounts: list[tuple[str, Any]]) -> Iterator[tuple[str, bool]]:
    """(problem, unverifiable) for one pod volume: a Secret read as files, or a Secrets Store volume not read-only."""
    name = volume.get("name")
    if "secret" in volume:
        yield f"volume {name!r} mounts Kubernetes Secret {mapping(volume['secret']).get('secretName')!r}", False
    sources = mapping(volume.get("projected")).get("sources")
    if sources is UNKNOWN:
        yield f"projected volume {name!r}: its sources are not known yet", True
    for source in as_list(sources):
        if isinstance(source, Mapping) and "secret" in source:
            secret = mapping(source["secret"]).get("name")
            yield f"projected volume {name!r} mounts Kubernetes Secret {secret!r}", False
    csi = volume.get("csi")
    if csi is UNKNOWN:
        yield f"volume {name!r}: its CSI source is not known yet", True
    elif isinstance(csi, Mapping) and csi.get("driver") in (CSI_DRIVER, UNKNOWN):
        if csi.get("readOnly") is UNKNOWN or csi.get("driver") is UNKNOWN:
            yield f"volume {name!r}: its CSI driver or readOnly is not known yet", True
        elif csi.get("readOnly") is not True:
            yield f"Secrets Store volume {name!r} is not readOnly: true", False
        for container, read_only in mounts:
            if read_only is UNKNOWN:
                yield f"container {container!r} mounts {name!r} with readOnly not known yet", True
            elif read_only is not True:
                yield (
                    f"container {container!r} mounts Secrets Store volume {name!r} writable (readOnly not true)",
                    False,
                )


def _env_problems(container: Mapping[str, Any]) -> Iterator[tuple[str, bool]]:
    name = container.get("name")
    for key in ("env", "envFrom"):
        if container.get(key) is UNKNOWN:
            yield f"container {name!r}: its {key} is not known yet", True
    for var in as_list(container.get("env")):
        ref = mapping(mapping(var).get("valueFrom")).get("secretKeyRef") if isinstance(var, Mapping) else None
        if ref is UNKNOWN or (isinstance(ref, Mapping) and ref):
            secret = mapping(ref).get("name", "(not known yet)")
            yield f"container {name!r} reads Kubernetes Secret {secret!r} into env {mapping(var).get('name')!r}", False
    for source in as_list(container.get("envFrom")):
        ref = mapping(source).get("secretRef") if isinstance(source, Mapping) else None
        if ref is UNKNOWN or (isinstance(ref, Mapping) and ref):
            yield f"container {name!r} reads every key of Kubernetes Secret {mapping(ref).get('name')!r} as env", False


def _workload(w: KubeObject, where: str) -> Iterator[Finding]:
    _, spec = pod_template(w)
    volumes, pods = spec.get("volumes"), containers(spec)
    if volumes is UNKNOWN or any(spec.get(k) is UNKNOWN for k in ("containers", "initContainers")):
        yield Finding(w.urn, f"{w.label()} in {where}: its pod volumes or containers are not known yet", True)
        return
    mounts: dict[str, list[tuple[str, Any]]] = {}  # by volume name (as text: odd inputs are not hashable)
    for c in pods:
        for m in as_list(c.get("volumeMounts")):
            if isinstance(m, Mapping):
                mounts.setdefault(str(m.get("name")), []).append((str(c.get("name")), m.get("readOnly")))
    problems = [
        p
        for v in as_list(volumes)
        if isinstance(v, Mapping)
        for p in _volume_problems(v, mounts.get(str(v.get("name")), []))
    ]
    problems += [p for c in pods for p in _env_problems(c)]
    hard = [p for p, unknown in problems if not unknown]
    if hard:
        yield Finding(
            w.urn,
            f"{w.label()} in {where}: " + "; ".join(hard) + ": keep the value in Secrets Manager under the zone's path "
            "and mount it read-only through the zone's SecretProviderClass (csi driver secrets-store.csi.k8s.io, "
            "readOnly: true)",
        )
    elif problems:
        yield Finding(w.urn, f"{w.label()} in {where}: " + "; ".join(p for p, _ in problems), True)


@stack_rule(
    "zone-secrets-from-manager-files",
    "DATA-11",
    "Zone workloads read secrets from the manager as read-only files, not Kubernetes Secrets",
    config=NAMESPACE_CLASS_CONFIG,
    subjects=(*t.K8S_SECRET, *t.SECRET_PROVIDER_CLASS, *WORKLOAD_TYPES),
)
def check(stack: Stack, config: Config) -> Iterator[Finding]:
    zones = zone_namespaces(stack)
    for w, where in judged_workloads(stack, config):
        yield from _workload(w, where)
    for obj in objects(stack):
        is_secret = obj.kind == "Secret" and obj.group == "core"
        is_spc = obj.kind == "SecretProviderClass" and obj.group == SPC_GROUP
        if not (is_secret or is_spc):
            continue
        where = namespace(obj, stack)
        if where is UNKNOWN:
            yield Finding(obj.urn, f"{obj.label()}: its namespace is not known yet", True)
            continue
        zone_ns = zones.get(str(where))
        if zone_ns is None:
            continue  # outside the zones (K8S-13 judges what may live there)
        if is_secret:
            yield from _secret(obj, zone_ns.zone, f"zone {zone_ns.zone} (namespace {where})")
        else:
            yield from _provider_class(obj, zone_ns.zone)
    for chart, path in DRIVER_CHARTS.items():
        for release in releases(stack, chart):
            data = values(release)
            if data is UNKNOWN:
                yield Finding(release.urn, f"{release.label()}: its values are not known yet", True)
            elif truthy(value_at(data, path)):
                yield Finding(
                    release.urn,
                    f"{release.label()}: {path} is on: the driver may write Kubernetes Secrets "
                    "in every namespace; set it false",
                )
