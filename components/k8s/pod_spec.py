"""The pod template every zone workload should use: on its zone's GPU pool, hardened, secrets as
0400 files, and (for EFA training) the narrow NCCL sidecar exclusion."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..config import Multus, NcclPorts, NodePool, Zone
from ..scheduling import GPU_RESOURCE, GPU_TOLERATION, POOL_LABEL, ZONE_LABEL
from .multus import SECONDARY_INTERFACE, secondary_network_request
from .secrets_store import secrets_volume

SECRET_FILE_MODE = 0o400
SECRETS_DIR = "/var/run/secrets/enclave"
# Where the zone's Secrets Manager secrets appear, one file per secret (named after it).
MANAGER_SECRETS_DIR = f"{SECRETS_DIR}/manager"
# Written by TrustZone in every zone namespace when the network has an S3 interface endpoint.
AWS_ENDPOINTS_CONFIGMAP = "enclave-aws-endpoints"


def _container_security() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def nccl_annotations(ports: NcclPorts) -> dict[str, str]:
    """Only the NCCL bootstrap window bypasses Envoy (NCCL breaks behind sidecars: nccl #1638,
    kubeflow/trainer #1636); every other port stays in the mesh."""
    listed = ",".join(str(p) for p in ports.numbers)
    return {
        "traffic.sidecar.istio.io/excludeInboundPorts": listed,
        "traffic.sidecar.istio.io/excludeOutboundPorts": listed,
    }


def workload_pod_template(
    zone: Zone,
    pool: NodePool,
    *,
    name: str,
    image: str,
    service_account: str,
    command: Sequence[str] = (),
    gpus: int = 1,
    efa_interfaces: int = 0,
    secrets: Sequence[str] = (),
    secret_provider_class: str | None = None,
    env: Mapping[str, str] | None = None,
    nccl_ports: NcclPorts | None = None,
    secondary_network: Multus | None = None,
    cpu: str | None = None,
    memory: str | None = None,
    shm_size: str = "8Gi",
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A PodTemplateSpec (dict) for a workload of `zone` on `pool`.

    Secrets are mounted read-only as files with defaultMode 0400 under /var/run/secrets/enclave/<name>,
    never as environment variables. (The kubelet adds group read for the pod's fsGroup, so the files are
    0440 root:1000: readable by the workload's non-root user, by no other user.)

    `secret_provider_class` (the zone's, `Secrets.provider_class(zone)`) mounts the zone's Secrets Manager secrets
    read-only under /var/run/secrets/enclave/manager/<name>, through the Secrets Store CSI driver and the pod's own
    IRSA role; only the workload container mounts them (not the mesh sidecar). Prefer it to `secrets`: no
    Kubernetes Secret holds the value.

    `efa_interfaces` > 0 needs an EFA pool of a training zone and the stack's `kubernetes.nccl_ports`
    (the window its NetworkPolicy opens); `secondary_network` (the stack's `kubernetes.multus`) attaches
    one RDMA virtual function, training only.

    Size `cpu` (request) and `memory` (request and limit) for the node: without them the namespace's
    LimitRange requests 500m / 1Gi and sets no limit. `/dev/shm` is a memory-backed volume of `shm_size`
    (NCCL shared-memory transport, DataLoader workers; the runtime default is 64Mi). HOME is /tmp, the
    only writable path besides the volumes, because the root filesystem is read-only.
    """
    if pool.zone != zone.name:
        raise ValueError(f"pool {pool.name!r} belongs to zone {pool.zone!r}, not {zone.name!r}")
    if efa_interfaces and not pool.efa:
        raise ValueError(f"pool {pool.name!r} has no EFA; request efa_interfaces=0 or use an EFA pool")
    if efa_interfaces and nccl_ports is None:
        raise ValueError(
            "EFA pods need nccl_ports=cfg.kubernetes.nccl_ports: the window the zone's NetworkPolicy opens"
        )
    if secondary_network is not None and zone.zone_class != "training":
        raise ValueError(f"zone {zone.name!r} is {zone.zone_class}: the RDMA secondary network is for training only")
    limits: dict[str, str] = {GPU_RESOURCE: str(gpus)}
    if efa_interfaces:
        limits["vpc.amazonaws.com/efa"] = str(efa_interfaces)
    annotations: dict[str, str] = {}
    if secondary_network is not None:
        network_annotations, network_limits = secondary_network_request(secondary_network)
        annotations.update(network_annotations)
        limits.update(network_limits)
        # IP traffic on the secondary interface would otherwise be captured by the sidecar and, being in
        # no registry, dropped: the fabric network stays out of the mesh like EFA does.
        annotations["traffic.sidecar.istio.io/excludeOutboundIPRanges"] = secondary_network.cidr
        annotations["traffic.sidecar.istio.io/excludeInterfaces"] = SECONDARY_INTERFACE
    requests: dict[str, str] = dict(limits)
    if cpu is not None:
        requests["cpu"] = cpu
    if memory is not None:
        requests["memory"] = limits["memory"] = memory
    mounts: list[dict[str, Any]] = [{"name": "tmp", "mountPath": "/tmp"}, {"name": "dshm", "mountPath": "/dev/shm"}]
    volumes: list[dict[str, Any]] = [
        {"name": "tmp", "emptyDir": {}},
        {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": shm_size}},
    ]
    for secret in secrets:
        volumes.append({"name": f"secret-{secret}", "secret": {"secretName": secret, "defaultMode": SECRET_FILE_MODE}})
        mounts.append({"name": f"secret-{secret}", "mountPath": f"{SECRETS_DIR}/{secret}", "readOnly": True})
    if secret_provider_class is not None:
        volumes.append(secrets_volume(secret_provider_class))
        mounts.append({"name": "manager-secrets", "mountPath": MANAGER_SECRETS_DIR, "readOnly": True})
    container: dict[str, Any] = {
        "name": name,
        "image": image,
        "resources": {"limits": limits, "requests": requests},
        "securityContext": _container_security(),
        "volumeMounts": mounts,
        "env": [{"name": k, "value": v} for k, v in sorted({"HOME": "/tmp", **(env or {})}.items())],
        # AWS_ENDPOINT_URL_S3: S3 through the interface endpoint the zone's NetworkPolicy allows.
        "envFrom": [{"configMapRef": {"name": AWS_ENDPOINTS_CONFIGMAP, "optional": True}}],
    }
    if command:
        container["command"] = list(command)
    pod_security: dict[str, Any] = {
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "runAsGroup": 1000,
        "fsGroup": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if efa_interfaces and nccl_ports is not None:
        ports = nccl_ports
        annotations.update(nccl_annotations(ports))
        # Bind NCCL's ephemeral sockets inside the excluded window (a namespaced, PSA-safe sysctl).
        pod_security["sysctls"] = [{"name": "net.ipv4.ip_local_port_range", "value": f"{ports.start} {ports.end}"}]
    return {
        "metadata": {
            "labels": {**(labels or {}), ZONE_LABEL: zone.name, POOL_LABEL: pool.name},
            "annotations": annotations,
        },
        "spec": {
            "serviceAccountName": service_account,
            "automountServiceAccountToken": False,
            "nodeSelector": {ZONE_LABEL: zone.name, POOL_LABEL: pool.name},
            "tolerations": [dict(GPU_TOLERATION)],
            "securityContext": pod_security,
            "containers": [container],
            "volumes": volumes,
        },
    }


JOB_LABEL = "enclave.dev/job"
RENDEZVOUS_PORT = 29500


def rendezvous_service(job: str, zone: Zone, namespace: str, port: int = RENDEZVOUS_PORT) -> dict[str, Any]:
    """A headless Service for a distributed job's rendezvous (torch.distributed, MASTER_PORT).

    Under REGISTRY_ONLY the sidecar forwards only to known services: `<job>.<namespace>.svc:<port>` (or
    a pod's `<hostname>.<job>` name) through this Service reaches the worker, a bare pod IP does not. Give
    the job's pods `labels={JOB_LABEL: job}` in `workload_pod_template`. The port must be one the zone's
    flow matrix opens between its workers (a training -> training flow)."""
    if zone.zone_class != "training" or namespace not in zone.namespaces:
        raise ValueError(f"rendezvous services are for training zones' own namespaces, not {zone.name}/{namespace}")
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": job, "namespace": namespace, "labels": {ZONE_LABEL: zone.name, JOB_LABEL: job}},
        "spec": {
            "clusterIP": "None",
            # Workers rendezvous before they are ready.
            "publishNotReadyAddresses": True,
            "selector": {ZONE_LABEL: zone.name, JOB_LABEL: job},
            "ports": [{"name": "tcp-rendezvous", "port": port, "targetPort": port, "protocol": "TCP"}],
        },
    }
