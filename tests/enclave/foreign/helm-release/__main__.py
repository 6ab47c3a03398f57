"""An ingress controller and cert-manager from their Helm charts."""

import pulumi
import pulumi_kubernetes as k8s

namespace = k8s.core.v1.Namespace("ingress", metadata={"name": pulumi.Config().get("namespace") or "ingress"})

nginx = k8s.helm.v3.Release(
    "ingress-nginx",
    chart="ingress-nginx",
    version="4.11.3",
    namespace=namespace.metadata.name,
    repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://kubernetes.github.io/ingress-nginx"),
    values={"controller": {"service": {"type": "LoadBalancer"}, "metrics": {"enabled": True}}},
)
cert_manager = k8s.helm.v4.Chart(
    "cert-manager",
    chart="cert-manager",
    version="v1.16.1",
    namespace=namespace.metadata.name,
    repository_opts={"repo": "https://charts.jetstack.io"},
    values={"crds": {"enabled": True}},
)

pulumi.export("nginx_version", nginx.status.apply(lambda s: f"{s.chart} {s.app_version} (revision {s.revision})"))
pulumi.export("nginx_status", nginx.status.status)
