"""TrustZone: everything Kubernetes needs for one zone of the stack config (namespaces with PSA,
NetworkPolicies, Istio mTLS/authz/sidecar, RBAC, quotas, and the Multus secondary network of training
zones when configured), all generated from the flow matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..config import PlatformConfig, Zone
from .labels import MANAGED_BY
from .mesh import aws_endpoints_service_entry, mesh_objects
from .multus import multus_network
from .namespaces import namespace
from .network_policies import network_policies
from .pod_spec import AWS_ENDPOINTS_CONFIGMAP
from .quotas import limit_range, quota
from .rbac import zone_rbac
from .register import register

Manifest = dict[str, Any]


def zone_manifests(cfg: PlatformConfig, zone: Zone) -> dict[str, list[Manifest]]:
    """Namespace name -> every object of that namespace (the Namespace first). Pure: no Pulumi."""
    out: dict[str, list[Manifest]] = {}
    cluster = cfg.cluster
    psa_version = f"v{cluster.kubernetes_version}" if cluster.mode == "create" else "latest"
    for ns in zone.namespaces:
        out[ns] = [
            namespace(zone, ns, psa_version),
            *network_policies(cfg, zone, ns),
            *mesh_objects(cfg, zone, ns),
            *zone_rbac(cfg, zone, ns),
            quota(zone, ns),
            limit_range(ns),
        ]
        nad = multus_network(cfg, zone, ns)
        if nad is not None:
            out[ns].append(nad)
    return out


class TrustZone(pulumi.ComponentResource):
    namespaces: dict[str, k8s.core.v1.Namespace]
    objects: list[pulumi.CustomResource]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        zone: Zone,
        *,
        provider: k8s.Provider,
        mesh_ready: Sequence[pulumi.Resource] = (),
        s3_endpoint_url: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`mesh_ready`: resources (the Istio CRDs release) that must exist before mesh objects.
        `s3_endpoint_url`: the S3 interface endpoint (https://bucket.vpce-...). When given, every namespace
        gets the `enclave-aws-endpoints` ConfigMap (AWS_ENDPOINT_URL_S3) that the pod-spec helper loads, so
        SDKs reach S3 through the endpoint subnets the NetworkPolicies allow rather than public S3 addresses."""
        super().__init__("enclave:k8s:TrustZone", name, None, opts)
        self.namespaces = {}
        self.objects = []
        for ns, manifests in zone_manifests(cfg, zone).items():
            ns_res = register(manifests[0], provider=provider, parent=self)
            assert isinstance(ns_res, k8s.core.v1.Namespace)
            self.namespaces[ns] = ns_res
            for manifest in manifests[1:]:
                # Objects of CRDs installed by add-ons wait for them (Istio's CRDs come with istio-base).
                crd = "istio.io" in manifest["apiVersion"] or "cilium.io" in manifest["apiVersion"]
                deps = [ns_res, *(mesh_ready if crd else [])]
                self.objects.append(register(manifest, provider=provider, parent=self, depends_on=deps))
            if s3_endpoint_url is not None:
                self.objects.append(
                    k8s.core.v1.ConfigMap(
                        f"{name}-{ns}-aws-endpoints",
                        metadata={"name": AWS_ENDPOINTS_CONFIGMAP, "namespace": ns, "labels": dict(MANAGED_BY)},
                        data={"AWS_ENDPOINT_URL_S3": s3_endpoint_url, "AWS_REGION": cfg.region},
                        opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[ns_res]),
                    )
                )
                # Under REGISTRY_ONLY the sidecar forwards only to registered hosts: register STS (IRSA) and
                # the S3 endpoint's names, so SDK calls leave through Envoy (the NetworkPolicy still pins
                # them to the endpoint subnets on 443).
                entry = aws_endpoints_service_entry(ns, cfg.region, s3_endpoint_url)
                self.objects.append(
                    k8s.apiextensions.CustomResource(
                        f"{name}-{ns}-aws-endpoints-entry",
                        api_version=entry["apiVersion"],
                        kind=entry["kind"],
                        metadata=entry["metadata"],
                        spec=entry["spec"],
                        opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[ns_res, *mesh_ready]),
                    )
                )
        self.register_outputs({"namespaces": list(self.namespaces)})
