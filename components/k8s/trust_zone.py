"""TrustZone: everything Kubernetes needs for one zone of the stack config (namespaces with PSA,
NetworkPolicies, Istio mTLS/authz/sidecar, RBAC, quotas, and the Multus secondary network of training
zones when configured), all generated from the flow matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..config import PlatformConfig, Zone
from .admission import zone_admission
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


def aws_endpoint_objects(cfg: PlatformConfig, namespace: str, s3_endpoint_url: pulumi.Input[str]) -> list[Manifest]:
    """The `enclave-aws-endpoints` ConfigMap (AWS_ENDPOINT_URL_S3, loaded by the pod-spec helper) and, since
    under REGISTRY_ONLY the sidecar forwards only to registered hosts, the ServiceEntry of STS (IRSA) and
    the S3 endpoint: SDK calls reach S3 through the endpoint subnets the NetworkPolicies allow (and pin
    them to, on 443) rather than public S3 addresses."""
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": AWS_ENDPOINTS_CONFIGMAP, "namespace": namespace, "labels": dict(MANAGED_BY)},
        "data": {"AWS_ENDPOINT_URL_S3": s3_endpoint_url, "AWS_REGION": cfg.region},
    }
    return [config_map, aws_endpoints_service_entry(namespace, cfg.region, s3_endpoint_url)]


class TrustZone(pulumi.ComponentResource):
    namespaces: dict[str, k8s.core.v1.Namespace]
    objects: list[pulumi.CustomResource]
    admission: list[pulumi.CustomResource]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        zone: Zone,
        *,
        provider: k8s.Provider,
        mesh_ready: Sequence[pulumi.Resource] = (),
        admission_ready: Sequence[pulumi.Resource] = (),
        s3_endpoint_url: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`mesh_ready`: resources (the Istio CRDs release) that must exist before mesh objects;
        `admission_ready`: the Kyverno release, before the zone's placement mutation (components.k8s.admission).
        `s3_endpoint_url`: the S3 interface endpoint (https://bucket.vpce-...); when given, every namespace
        gets `aws_endpoint_objects`."""
        super().__init__("enclave:k8s:TrustZone", name, None, opts)
        self.namespaces = {}
        self.objects = []
        self.admission = [
            register(
                m, provider=provider, parent=self, depends_on=admission_ready if "kyverno.io" in m["apiVersion"] else ()
            )
            for m in zone_admission(cfg, zone)
        ]
        for ns, manifests in zone_manifests(cfg, zone).items():
            ns_res = register(manifests[0], provider=provider, parent=self)
            assert isinstance(ns_res, k8s.core.v1.Namespace)
            self.namespaces[ns] = ns_res
            extra = [] if s3_endpoint_url is None else aws_endpoint_objects(cfg, ns, s3_endpoint_url)
            for manifest in [*manifests[1:], *extra]:
                # Objects of CRDs installed by add-ons wait for them (Istio's CRDs come with istio-base).
                crd = "istio.io" in manifest["apiVersion"] or "cilium.io" in manifest["apiVersion"]
                deps = [ns_res, *(mesh_ready if crd else [])]
                self.objects.append(register(manifest, provider=provider, parent=self, depends_on=deps))
        self.register_outputs({"namespaces": list(self.namespaces)})
