"""ClusterAddons: what the zones rely on, as pinned Helm releases (Istio with REGISTRY_ONLY, the NVIDIA
and EFA device plugins on GPU nodes only, Kyverno with an approved-registry policy), the mesh-wide
STRICT mTLS policy, an optional Multus RDMA network, and the platform-admin binding."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..config import PlatformConfig
from .labels import MANAGED_BY, ZONE_LABEL
from .pod_spec import GPU_TOLERATION
from .rbac import platform_admin_binding
from .register import register

ISTIO_REPO = "https://istio-release.storage.googleapis.com/charts"
NVIDIA_REPO = "https://nvidia.github.io/k8s-device-plugin"
EKS_CHARTS_REPO = "https://aws.github.io/eks-charts"
KYVERNO_REPO = "https://kyverno.github.io/kyverno/"
ACCELERATOR_LABEL = "enclave.dev/accelerator"
EFA_LABEL = "vpc.amazonaws.com/efa.present"

GPU_NODES_ONLY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": ACCELERATOR_LABEL, "operator": "Exists"}]}]
        }
    }
}


def istiod_values() -> dict[str, Any]:
    return {
        "meshConfig": {
            # Unknown destinations are refused by every sidecar unless a ServiceEntry names them.
            "outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"},
            "accessLogFile": "/dev/stdout",
        },
        "global": {"proxy": {"holdApplicationUntilProxyStarts": True}},
    }


def registry_policy(registries: list[str]) -> dict[str, Any]:
    """Kyverno ClusterPolicy: pods in zone namespaces may only use images from `registries`."""
    pattern = " | ".join(f"{r}/*" for r in registries)
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": "enclave-approved-registries", "labels": dict(MANAGED_BY)},
        "spec": {
            "background": True,
            "rules": [
                {
                    "name": "approved-registries",
                    "match": {
                        "any": [
                            {
                                "resources": {
                                    "kinds": ["Pod"],
                                    "namespaceSelector": {
                                        "matchExpressions": [{"key": ZONE_LABEL, "operator": "Exists"}]
                                    },
                                }
                            }
                        ]
                    },
                    "validate": {
                        "failureAction": "Enforce",
                        "message": "images must come from an approved registry: " + ", ".join(registries),
                        "pattern": {
                            "spec": {
                                "=(initContainers)": [{"image": pattern}],
                                "=(ephemeralContainers)": [{"image": pattern}],
                                "containers": [{"image": pattern}],
                            }
                        },
                    },
                }
            ],
        },
    }


def multus_network(cfg: PlatformConfig, namespace: str) -> dict[str, Any] | None:
    multus = cfg.kubernetes.multus
    if multus is None:
        return None
    config = {
        "cniVersion": "0.3.1",
        "name": multus.name,
        "type": multus.cni_type,
        "ipam": {"type": "whereabouts", "range": multus.cidr},
    }
    return {
        "apiVersion": "k8s.cni.cncf.io/v1",
        "kind": "NetworkAttachmentDefinition",
        "metadata": {
            "name": multus.name,
            "namespace": namespace,
            "labels": dict(MANAGED_BY),
            "annotations": {"k8s.v1.cni.cncf.io/resourceName": multus.resource_name},
        },
        "spec": {"config": json.dumps(config, sort_keys=True)},
    }


class ClusterAddons(pulumi.ComponentResource):
    istio_base: k8s.helm.v3.Release
    istiod: k8s.helm.v3.Release
    nvidia_device_plugin: k8s.helm.v3.Release
    efa_device_plugin: k8s.helm.v3.Release
    kyverno: k8s.helm.v3.Release

    def __init__(
        self, name: str, cfg: PlatformConfig, *, provider: k8s.Provider, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("enclave:k8s:ClusterAddons", name, None, opts)
        versions = cfg.kubernetes.addons
        child = pulumi.ResourceOptions(parent=self, provider=provider)

        def release(
            res: str,
            chart: str,
            repo: str,
            version: str,
            namespace: str,
            values: dict[str, Any],
            depends_on: list[pulumi.Resource] | None = None,
        ) -> k8s.helm.v3.Release:
            return k8s.helm.v3.Release(
                f"{name}-{res}",
                name=res,
                chart=chart,
                version=version,
                repository_opts={"repo": repo},
                namespace=namespace,
                create_namespace=True,
                atomic=True,
                values=values,
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=depends_on or [])),
            )

        self.istio_base = release(
            "istio-base", "base", ISTIO_REPO, versions.istio, "istio-system", {"defaultRevision": "default"}
        )
        self.istiod = release(
            "istiod", "istiod", ISTIO_REPO, versions.istio, "istio-system", istiod_values(), [self.istio_base]
        )
        self.mesh_wide_mtls = register(
            {
                "apiVersion": "security.istio.io/v1",
                "kind": "PeerAuthentication",
                "metadata": {"name": "default", "namespace": "istio-system", "labels": dict(MANAGED_BY)},
                "spec": {"mtls": {"mode": "STRICT"}},
            },
            provider=provider,
            parent=self,
            depends_on=[self.istio_base],
        )
        self.nvidia_device_plugin = release(
            "nvidia-device-plugin",
            "nvidia-device-plugin",
            NVIDIA_REPO,
            versions.nvidia_device_plugin,
            "nvidia-device-plugin",
            {"tolerations": [GPU_TOLERATION], "affinity": GPU_NODES_ONLY},
        )
        self.efa_device_plugin = release(
            "aws-efa-k8s-device-plugin",
            "aws-efa-k8s-device-plugin",
            EKS_CHARTS_REPO,
            versions.efa_device_plugin,
            "kube-system",
            {"tolerations": [GPU_TOLERATION], "nodeSelector": {EFA_LABEL: "true"}},
        )
        self.kyverno = release("kyverno", "kyverno", KYVERNO_REPO, versions.kyverno, "kyverno", {})
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        own_ecr = pulumi.Output.concat(account, ".dkr.ecr.", cfg.region, ".amazonaws.com")
        policy = own_ecr.apply(lambda ecr: registry_policy([ecr, *cfg.kubernetes.approved_registries]))
        self.registry_policy = k8s.apiextensions.CustomResource(
            f"{name}-approved-registries",
            api_version="kyverno.io/v1",
            kind="ClusterPolicy",
            metadata=policy["metadata"],
            spec=policy["spec"],
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.kyverno])),
        )
        admin = platform_admin_binding(cfg)
        if admin is not None:
            register(admin, provider=provider, parent=self)
        self.register_outputs({})
