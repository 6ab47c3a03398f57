"""Admission that keeps every zone workload inside the mesh, judged on Pods as the API server holds them after
every mutating plugin and webhook (the Istio injector included) and on the pod templates of workload kinds.

- Mesh identity (cluster-wide over zone namespaces): no container but the injected sidecar runs as UID or GID
  1337. Istio's iptables rules let traffic of its proxy's UID and GID leave uncaptured, so such a container would
  bypass mTLS, the authorization policies and REGISTRY_ONLY egress. No Pod Security level forbids the UID, and an
  image's own `USER 1337` would do the same, so every workload container must say who it runs as.
- Workload privileges (cluster-wide over zone namespaces): the runtime way round the same rule is a container
  that starts as root, or keeps CAP_SETUID/CAP_SETGID or a way to gain them (a setuid binary with privilege
  escalation allowed), and switches to 1337 after admission. Every container runs as non-root with
  allowPrivilegeEscalation false and SETUID/SETGID dropped (drop ALL does), wherever the namespace's Pod Security
  level does not already refuse it (baseline does not; restricted does, and the policy holds there too).
- Mesh membership (per zone): a zone pod carries the injected proxy (exactly the configured image), and no pod or
  template opts out of capture through Istio's annotations or labels: `sidecar.istio.io/inject: "false"`, any
  `traffic.sidecar.istio.io/*` exclusion but the ones the platform sets itself (the NCCL window of EFA training
  zones, the Multus fabric of training zones), `proxy.istio.io/config`, a custom injection template, another
  revision or interception mode. The injector's own annotations and labels are admitted with the values it
  writes for the platform's injection values.
"""

from __future__ import annotations

from ..config import KubernetesConfig
from .images import mesh_sidecar_image
from .labels import ZONE_LABEL
from .multus import SECONDARY_INTERFACE
from .vap import (
    EPHEMERAL_UPDATE,
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
from .zone_context import ZoneContext

MESH_UID = 1337  # Istio's proxy UID and GID (values.global.proxy: runAsUser/runAsGroup)
SIDECAR_CONTAINERS = ("istio-proxy", "istio-validation")
STATUS_PORT = "15020"  # values.global.proxy.statusPort: the injector always excludes it from inbound capture
ZONE_NAMESPACES = {"matchExpressions": [{"key": ZONE_LABEL, "operator": "Exists"}]}
ALL_REQUESTS = [POD_CREATE, EPHEMERAL_UPDATE, *WORKLOAD_TEMPLATES]


def _effective(container: str, field: str, unset: str = "-1") -> str:
    """CEL: the container's securityContext `field`, else the pod's, else `unset`."""
    return (
        f"(has({container}.securityContext) && has({container}.securityContext.{field}) ? "
        f"{container}.securityContext.{field} : "
        f"(has(variables.spec.securityContext) && has(variables.spec.securityContext.{field}) ? "
        f"variables.spec.securityContext.{field} : {unset}))"
    )


def _all_containers(check: str) -> str:
    return f"variables.containers.all(c, {check})"


def mesh_identity_policy(sidecar_image: str) -> list[Manifest]:
    """The cluster-wide UID/GID 1337 refusal for zone namespaces, and its binding. The injected sidecar and
    its validation init container (exactly the configured proxy image, with the injector's own entrypoint:
    no `command`) are the only containers allowed to run as 1337."""
    name = "enclave-mesh-identity"
    sidecar = f"(c.name in {cel_list(SIDECAR_CONTAINERS)} && c.image == '{sidecar_image}' && !has(c.command))"
    user, group = _effective("c", "runAsUser"), _effective("c", "runAsGroup")
    workload_ok = f"({user} >= 0 && {user} != {MESH_UID} && {group} >= 0 && {group} != {MESH_UID})"
    message = (
        f"every workload container (init, ephemeral and the pod templates of workloads included) must run with "
        f"an explicit runAsUser and runAsGroup (container or pod securityContext) other than {MESH_UID}: traffic "
        f"of UID/GID {MESH_UID}, Istio's proxy identity, leaves the pod uncaptured by the sidecar (no mTLS, no "
        "authorization, no egress control). Set securityContext.runAsUser and runAsGroup, e.g. 1000, as the "
        "workload pod template does"
    )
    validations = [
        deny(_all_containers(f"{sidecar} || {workload_ok}"), message),
        deny(
            "!has(variables.spec.securityContext) || !has(variables.spec.securityContext.supplementalGroups) "
            f"|| !({MESH_UID} in variables.spec.securityContext.supplementalGroups)",
            f"supplementalGroups may not include {MESH_UID}, Istio's proxy group",
        ),
    ]
    return [policy(name, ALL_REQUESTS, validations, SPEC_VARIABLES), binding(name, ZONE_NAMESPACES)]


def workload_privileges_policy() -> list[Manifest]:
    """The cluster-wide refusal, in zone namespaces, of containers that could become the proxy's UID after
    admission: root, privilege escalation, SETUID/SETGID kept or added."""
    name = "enclave-workload-privileges"
    non_root = f"{_effective('c', 'runAsNonRoot', 'false')} == true && {_effective('c', 'runAsUser', '-1')} != 0"
    no_escalation = (
        "has(c.securityContext) && has(c.securityContext.allowPrivilegeEscalation) && "
        "c.securityContext.allowPrivilegeEscalation == false"
    )
    caps = "has(c.securityContext) && has(c.securityContext.capabilities)"
    dropped = (
        f"{caps} && has(c.securityContext.capabilities.drop) && ('ALL' in c.securityContext.capabilities.drop || "
        "('SETUID' in c.securityContext.capabilities.drop && 'SETGID' in c.securityContext.capabilities.drop))"
    )
    not_added = (
        f"!({caps}) || !has(c.securityContext.capabilities.add) || "
        "!c.securityContext.capabilities.add.exists(a, a in ['ALL', 'SETUID', 'SETGID', 'CAP_SETUID', 'CAP_SETGID'])"
    )
    why = (
        f"a container that can become root or change its UID can switch to {MESH_UID} after admission and leave "
        "the mesh"
    )
    validations = [
        deny(
            _all_containers(non_root),
            "every container must run as non-root: set securityContext.runAsNonRoot true (pod or container) and a "
            f"runAsUser other than 0; {why}",
        ),
        deny(
            _all_containers(no_escalation),
            "every container must set securityContext.allowPrivilegeEscalation false (a setuid binary would "
            f"otherwise give it root); {why}",
        ),
        deny(
            _all_containers(f"({dropped}) && ({not_added})"),
            "every container must drop ALL capabilities (at least SETUID and SETGID) and add none of them back: "
            f"securityContext.capabilities.drop ['ALL']; {why}",
        ),
    ]
    return [policy(name, ALL_REQUESTS, validations, SPEC_VARIABLES), binding(name, ZONE_NAMESPACES)]


def allowed_istio_annotations(ctx: ZoneContext) -> dict[str, list[str] | None]:
    """Istio annotation -> the values a pod of this zone may carry (None: any value). Everything else in an
    istio.io domain is refused. The injector's own annotations carry the values it writes for the platform's
    injection values (istio-cni, statusPort 15020, no global exclusions); the workload pod template's exclusions
    are the NCCL window (EFA training zones) and the Multus fabric (training zones, when configured)."""
    k: KubernetesConfig = ctx.kubernetes
    excluded_inbound = [STATUS_PORT]
    excluded_outbound: list[str] = []
    if ctx.efa:
        window = ",".join(str(p) for p in k.nccl_ports.numbers)
        # The injector appends its status port to the pod's own list (excludeInboundPort in Istio's funcmap).
        excluded_inbound += [window, f"{window},{STATUS_PORT}"]
        excluded_outbound.append(window)
    out: dict[str, list[str] | None] = {
        "sidecar.istio.io/status": None,  # written by the injector (the proxy's presence is checked separately)
        "sidecar.istio.io/inject": ["true"],
        "istio.io/rev": ["default"],
        "sidecar.istio.io/interceptionMode": ["REDIRECT"],
        "traffic.sidecar.istio.io/includeInboundPorts": ["*"],
        "traffic.sidecar.istio.io/includeOutboundIPRanges": ["*"],
        "traffic.sidecar.istio.io/excludeInboundPorts": excluded_inbound,
        "sidecar.istio.io/proxyCPU": None,
        "sidecar.istio.io/proxyMemory": None,
        "sidecar.istio.io/proxyCPULimit": None,
        "sidecar.istio.io/proxyMemoryLimit": None,
    }
    if excluded_outbound:
        out["traffic.sidecar.istio.io/excludeOutboundPorts"] = excluded_outbound
    if k.multus is not None and ctx.zone.zone_class == "training":
        out["traffic.sidecar.istio.io/excludeOutboundIPRanges"] = [k.multus.cidr]
        out["traffic.sidecar.istio.io/excludeInterfaces"] = [SECONDARY_INTERFACE]
    return out


# Labels the injector writes (security.istio.io/tlsMode, service.istio.io/canonical-*) or that opt in.
ALLOWED_ISTIO_LABELS: dict[str, list[str] | None] = {
    "security.istio.io/tlsMode": ["istio"],
    "service.istio.io/canonical-name": None,
    "service.istio.io/canonical-revision": None,
    "sidecar.istio.io/inject": ["true"],
    "istio.io/rev": ["default"],
}


def _only_allowed(field: str, allowed: dict[str, list[str] | None]) -> str:
    """CEL: every key of variables.meta.<field> in an istio.io domain is allowed, with an allowed value."""
    checks = []
    for key, values in allowed.items():
        value = f"variables.meta.{field}[k]"
        checks.append(f"k == '{key}'" + ("" if values is None else f" && {value} in {cel_list(values)}"))
    allowed_expr = " || ".join(f"({c})" for c in checks)
    return f"!has(variables.meta.{field}) || variables.meta.{field}.all(k, !k.contains('istio.io/') || {allowed_expr})"


def mesh_membership_policy(ctx: ZoneContext) -> list[Manifest]:
    """The zone's refusal of pods that leave the mesh, and its binding to the zone's namespaces."""
    name = f"enclave-mesh-{ctx.name}"
    image = mesh_sidecar_image(ctx.kubernetes, ctx.region)
    allowed = allowed_istio_annotations(ctx)
    proxy = f"c.name == 'istio-proxy' && c.image == '{image}'"
    # Istio 1.27 injects a native sidecar (an init container that keeps running) where every node runs
    # Kubernetes 1.33+, and a regular container elsewhere.
    carries_proxy = (
        f"variables.spec.containers.exists(c, {proxy}) || (has(variables.spec.initContainers) && "
        f"variables.spec.initContainers.exists(c, {proxy} && has(c.restartPolicy) && c.restartPolicy == 'Always'))"
    )
    shown = ", ".join(f"{k}={'|'.join(v) if v and len(', '.join(v)) < 60 else '...'}" for k, v in allowed.items())
    validations = [
        deny(
            f"!({IS_POD}) || {carries_proxy}",
            f"pods of zone {ctx.name} carry the Istio sidecar ({image}), injected because their namespace has "
            "istio-injection=enabled: a pod that opts out of injection (sidecar.istio.io/inject label or annotation "
            "'false', a pre-set sidecar.istio.io/status, another istio.io/rev) talks past mTLS, the "
            "authorization policies and REGISTRY_ONLY egress",
        ),
        deny(
            _only_allowed("annotations", allowed),
            f"pods of zone {ctx.name} may carry no Istio annotation that changes what the sidecar captures "
            "(traffic.sidecar.istio.io/*, proxy.istio.io/config, sidecar.istio.io/inject 'false', interception "
            f"mode, custom templates) beyond what the platform and the injector set: {shown}",
        ),
        deny(
            _only_allowed("labels", ALLOWED_ISTIO_LABELS),
            f"pods of zone {ctx.name} may carry no Istio label that opts out of the mesh (sidecar.istio.io/inject "
            "'false', another istio.io/rev, security.istio.io/tlsMode other than 'istio')",
        ),
    ]
    rules = [POD_CREATE, *WORKLOAD_TEMPLATES]
    return [policy(name, rules, validations, SPEC_VARIABLES), binding(name, {"matchLabels": {ZONE_LABEL: ctx.name}})]
