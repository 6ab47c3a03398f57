"""TrustZone: everything Kubernetes needs for one zone of the stack config (namespaces with PSA,
NetworkPolicies, Istio mTLS/authz/sidecar, RBAC, quotas, and the Multus secondary network of training
zones when configured), all generated from the flow matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..args import arg, args_type
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
from .storage import claim_quota
from .zone_context import ZoneContext

Manifest = dict[str, Any]


def zone_manifests(ctx: ZoneContext) -> dict[str, list[Manifest]]:
    """Namespace name -> every object of that namespace (the Namespace first). Pure: no Pulumi."""
    out: dict[str, list[Manifest]] = {}
    zone = ctx.zone
    for ns in zone.namespaces:
        out[ns] = [
            namespace(zone, ns, ctx.psa_version),
            *network_policies(ctx, ns),
            *mesh_objects(ctx, ns),
            *zone_rbac(ctx, ns),
            quota(zone, ns),
            *claim_quota(ctx, ns),
            limit_range(ns),
        ]
        nad = multus_network(ctx, ns)
        if nad is not None:
            out[ns].append(nad)
    return out


def aws_endpoint_objects(region: str, namespace: str, s3_endpoint_url: pulumi.Input[str]) -> list[Manifest]:
    """The `enclave-aws-endpoints` ConfigMap (AWS_ENDPOINT_URL_S3, loaded by the pod-spec helper) and, since
    under REGISTRY_ONLY the sidecar forwards only to registered hosts, the ServiceEntry of STS (IRSA) and
    the S3 endpoint: SDK calls reach S3 through the endpoint subnets the NetworkPolicies allow (and pin
    them to, on 443) rather than public S3 addresses."""
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": AWS_ENDPOINTS_CONFIGMAP, "namespace": namespace, "labels": dict(MANAGED_BY)},
        "data": {"AWS_ENDPOINT_URL_S3": s3_endpoint_url, "AWS_REGION": region},
    }
    return [config_map, aws_endpoints_service_entry(namespace, region, s3_endpoint_url)]


@args_type
class TrustZoneArgs:
    """One trust zone's Kubernetes objects on a running cluster."""

    context: ZoneContext = arg(
        "What the zone's objects are generated from: the zone, its flows, the namespaces of the zones they "
        "name, its pools (ZoneContext.of_platform for a zone of a platform config)."
    )
    provider: k8s.Provider = arg("Kubernetes provider of the cluster (GpuCluster.kubernetes_provider).")
    mesh_ready: Sequence[pulumi.Resource] = arg(
        "What must exist before the zone's Istio objects: the release that installs the Istio CRDs "
        "(ClusterAddons.istio_base). Empty only when the CRDs already exist (a running platform).",
        default=(),
    )
    admission_ready: Sequence[pulumi.Resource] = arg(
        "What must exist before the zone's Kyverno placement mutation: the Kyverno release "
        "(ClusterAddons.kyverno). Empty only when Kyverno already runs.",
        default=(),
    )
    s3_endpoint_url: pulumi.Input[str] | None = arg(
        "The S3 interface endpoint (https://bucket.vpce-...): every namespace gets the AWS endpoints ConfigMap "
        "and ServiceEntry. None when the VPC has no S3 interface endpoint.",
        default=None,
    )


class TrustZone(pulumi.ComponentResource):
    namespaces: dict[str, k8s.core.v1.Namespace]
    objects: list[pulumi.CustomResource]
    admission: list[pulumi.CustomResource]

    def __init__(self, name: str, args: TrustZoneArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("enclave:k8s:TrustZone", name, None, opts)
        ctx, provider = args.context, args.provider
        self.namespaces = {}
        self.objects = []
        self.admission = [
            register(
                m,
                provider=provider,
                parent=self,
                depends_on=args.admission_ready if "kyverno.io" in m["apiVersion"] else (),
            )
            for m in zone_admission(ctx)
        ]
        for ns, manifests in zone_manifests(ctx).items():
            ns_res = register(manifests[0], provider=provider, parent=self)
            assert isinstance(ns_res, k8s.core.v1.Namespace)
            self.namespaces[ns] = ns_res
            url = args.s3_endpoint_url
            extra = [] if url is None else aws_endpoint_objects(ctx.region, ns, url)
            for manifest in [*manifests[1:], *extra]:
                # Objects of CRDs installed by add-ons wait for them (Istio's CRDs come with istio-base).
                crd = "istio.io" in manifest["apiVersion"] or "cilium.io" in manifest["apiVersion"]
                deps = [ns_res, *(args.mesh_ready if crd else [])]
                self.objects.append(register(manifest, provider=provider, parent=self, depends_on=deps))
        self.register_outputs({"namespaces": list(self.namespaces)})
