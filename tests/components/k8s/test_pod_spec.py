"""The workload pod template: placement on the zone pool, hardening, secrets as 0400 files, NCCL window."""

from __future__ import annotations

import pytest

from components.config import NcclPorts, NodePool, Zone
from components.k8s.pod_spec import SECRET_FILE_MODE, workload_pod_template

TRAINING = Zone.model_validate({"name": "training", "class": "training", "namespaces": ["training"]})
EFA_POOL = NodePool(
    name="train-p5", zone="training", instance_types=["p5.48xlarge"], efa=True, availability_zone="us-east-1a"
)


def test_hardened_and_placed_on_the_zone_pool() -> None:
    tpl = workload_pod_template(
        TRAINING,
        EFA_POOL,
        name="train",
        image="nvcr.io/nvidia/pytorch:25.01",
        service_account="trainer",
        secrets=["hf-token"],
    )
    spec = tpl["spec"]
    assert spec["nodeSelector"] == {"enclave.dev/zone": "training", "enclave.dev/pool": "train-p5"}
    assert spec["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]
    (c,) = spec["containers"]
    sc = c["securityContext"]
    assert sc["runAsNonRoot"] and not sc["allowPrivilegeEscalation"] and sc["readOnlyRootFilesystem"]
    assert sc["capabilities"] == {"drop": ["ALL"]} and sc["seccompProfile"] == {"type": "RuntimeDefault"}
    secret_volume = next(v for v in spec["volumes"] if v["name"] == "secret-hf-token")
    assert secret_volume["secret"]["defaultMode"] == SECRET_FILE_MODE == 0o400
    assert all("valueFrom" not in e for e in c["env"]), "secrets are never environment variables"
    # S3 through the interface endpoint (TrustZone writes this ConfigMap; optional where there is none).
    assert c["envFrom"] == [{"configMapRef": {"name": "enclave-aws-endpoints", "optional": True}}]
    assert spec["automountServiceAccountToken"] is False


def test_efa_pods_exclude_only_the_nccl_window() -> None:
    tpl = workload_pod_template(
        TRAINING,
        EFA_POOL,
        name="train",
        image="i",
        service_account="trainer",
        efa_interfaces=32,
        nccl_ports=NcclPorts(start=50000, count=256),
    )
    ann = tpl["metadata"]["annotations"]
    assert ann["traffic.sidecar.istio.io/excludeInboundPorts"] == ",".join(str(p) for p in range(50000, 50256))
    assert "sidecar.istio.io/inject" not in ann, "the mesh stays on"
    assert tpl["spec"]["securityContext"]["sysctls"] == [
        {"name": "net.ipv4.ip_local_port_range", "value": "50000 50255"}
    ]
    assert tpl["spec"]["containers"][0]["resources"]["limits"]["vpc.amazonaws.com/efa"] == "32"


def test_refuses_foreign_pool_and_efa_on_plain_pool() -> None:
    plain = NodePool(name="nb", zone="notebooks", instance_types=["g6.xlarge"])
    with pytest.raises(ValueError, match="belongs to zone 'notebooks'"):
        workload_pod_template(TRAINING, plain, name="x", image="i", service_account="s")
    plain_training = NodePool(name="t", zone="training", instance_types=["g6.xlarge"])
    with pytest.raises(ValueError, match="has no EFA"):
        workload_pod_template(TRAINING, plain_training, name="x", image="i", service_account="s", efa_interfaces=1)


def test_efa_pods_must_use_the_stacks_window() -> None:
    with pytest.raises(ValueError, match=r"nccl_ports=cfg\.kubernetes\.nccl_ports"):
        workload_pod_template(TRAINING, EFA_POOL, name="t", image="i", service_account="s", efa_interfaces=32)


def test_sized_for_the_node_with_shared_memory_and_a_writable_home() -> None:
    tpl = workload_pod_template(
        TRAINING, EFA_POOL, name="t", image="i", service_account="s", gpus=8, cpu="180", memory="1800Gi",
        shm_size="256Gi",
    )  # fmt: skip
    (c,) = tpl["spec"]["containers"]
    assert c["resources"]["requests"] == {"nvidia.com/gpu": "8", "cpu": "180", "memory": "1800Gi"}
    assert c["resources"]["limits"] == {"nvidia.com/gpu": "8", "memory": "1800Gi"}, "no CPU limit (no throttling)"
    shm = next(v for v in tpl["spec"]["volumes"] if v["name"] == "dshm")
    assert shm["emptyDir"] == {"medium": "Memory", "sizeLimit": "256Gi"}
    assert {"name": "dshm", "mountPath": "/dev/shm"} in c["volumeMounts"]
    assert {"name": "HOME", "value": "/tmp"} in c["env"]


def test_rendezvous_goes_through_a_headless_service() -> None:
    from components.k8s.pod_spec import JOB_LABEL, rendezvous_service

    svc = rendezvous_service("llama-ft", TRAINING, "training")
    assert svc["spec"]["clusterIP"] == "None" and svc["spec"]["publishNotReadyAddresses"] is True
    assert svc["spec"]["ports"] == [{"name": "tcp-rendezvous", "port": 29500, "targetPort": 29500, "protocol": "TCP"}]
    pod = workload_pod_template(
        TRAINING, EFA_POOL, name="w", image="i", service_account="s", labels={JOB_LABEL: "llama-ft"}
    )
    labels = pod["metadata"]["labels"]
    assert all(labels[k] == v for k, v in svc["spec"]["selector"].items()), "the service selects the job's pods"
    with pytest.raises(ValueError, match="training zones"):
        rendezvous_service("x", TRAINING, "inference")
