"""Whole stacks in styles the components never emit, as Pulumi programs using pulumi-kubernetes directly, each with
the exact Kubernetes and mesh findings the pack must give (test_corpus_k8s.py runs them under mocks, as the SDK
registers them, and sends them over gRPC as the engine does).

- `plain_kubernetes`: a program of raw pulumi-kubernetes objects: Deployments in `default` and in an unlabelled
  namespace (one through a provider whose default namespace it is), a host-network DaemonSet, a Job from Docker Hub,
  inline yaml manifests, a Helm release.
- `team_network`: a team's zone written by hand: its namespace labelled as a zone, raw NetworkPolicies (one by a team
  label, one over every private range, one compliant to the platform zone), Istio policies (a cluster.local/*
  principal, two namespace-wide PeerAuthentications that disagree), a quota only for BestEffort pods, a role that
  can bind, aws-auth mapping a role into system:masters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

SAFE = {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
ECR = "111122223333.dkr.ecr.us-east-1.amazonaws.com"
IMAGE = f"{ECR}/team/app:1.4"


def _pod(image: str = IMAGE, **spec: Any) -> dict[str, Any]:
    return {
        "automountServiceAccountToken": False,
        "containers": [{"name": "app", "image": image, "securityContext": dict(SAFE)}],
        **spec,
    }


def _template(app: str, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": app}}, "spec": _pod(**spec)}


def plain_kubernetes() -> None:
    apps_ns = k8s.core.v1.Namespace("apps", metadata={"name": "apps"})
    in_apps = k8s.Provider("in-apps", namespace="apps")
    # No namespace anywhere: the cluster's `default`.
    k8s.apps.v1.Deployment(
        "web",
        metadata={"name": "web"},
        spec={"selector": {"matchLabels": {"app": "web"}}, "template": _template("web")},
    )
    # No namespace, but its provider's default is `apps` (unlabelled): root and escalation allowed.
    k8s.apps.v1.Deployment(
        "api",
        metadata={"name": "api"},
        spec={
            "selector": {"matchLabels": {"app": "api"}},
            "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {"containers": [{"name": "api", "image": IMAGE, "securityContext": {"runAsUser": 0}}]},
            },
        },
        opts=pulumi.ResourceOptions(provider=in_apps),
    )
    k8s.apps.v1.DaemonSet(
        "sniffer",
        metadata={"name": "sniffer", "namespace": apps_ns.metadata["name"]},
        spec={"selector": {"matchLabels": {"app": "sniffer"}}, "template": _template("sniffer", hostNetwork=True)},
    )
    k8s.batch.v1.Job(
        "migrate",
        metadata={"name": "migrate", "namespace": "apps"},
        spec={"template": {"spec": _pod("postgres:16", restartPolicy="Never")}},
    )
    k8s.yaml.v2.ConfigGroup(
        "legacy",
        yaml=(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: apps}\n"
            "spec:\n  containers:\n  - {name: sh, image: " + IMAGE + ", securityContext: {privileged: true}}\n"
        ),
    )
    k8s.helm.v3.Release("metrics", chart="oci://ghcr.io/acme/charts/exporter", namespace="apps")


PLAIN_KUBERNETES = {
    ("K8S-13", "apps"),
    ("K8S-01", "apps"),  # a namespace outside every zone
    ("K8S-13", "web"),
    ("K8S-13", "api"),
    ("K8S-13", "sniffer"),
    ("K8S-13", "migrate"),
    ("K8S-13", "legacy"),
    ("K8S-13", "metrics"),  # workloads and a release outside every zone
    ("K8S-12", "sniffer"),  # a DaemonSet outside the agent namespaces
    ("K8S-14", "api"),
    ("K8S-14", "legacy"),  # root / no securityContext at all
    ("K8S-21", "sniffer"),
    ("K8S-21", "legacy"),
    ("K8S-21", "metrics"),  # host network, privileged, unseen chart
    ("K8S-09", "migrate"),  # docker.io/library/postgres
    ("K8S-07", "legacy"),
    ("K8S-07", "api"),  # pods mounting the default account's token
}


def team_network() -> None:
    ns = k8s.core.v1.Namespace(
        "serve",
        metadata={
            "name": "serve",
            "labels": {
                "enclave.dev/zone": "vision",
                "enclave.dev/zone-class": "inference",
                **{f"pod-security.kubernetes.io/{m}": "restricted" for m in ("enforce", "warn", "audit")},
            },
        },
    )
    name = ns.metadata["name"]
    k8s.networking.v1.NetworkPolicy(
        "deny",
        metadata={"name": "deny", "namespace": name},
        spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    )
    k8s.networking.v1.NetworkPolicy(
        "from-team",
        metadata={"name": "from-team", "namespace": name},
        spec={
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [
                {"from": [{"namespaceSelector": {"matchLabels": {"team": "vision"}}}], "ports": [{"port": 8080}]}
            ],
        },
    )
    k8s.networking.v1.NetworkPolicy(
        "to-private",
        metadata={"name": "to-private", "namespace": name},
        spec={
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 443}]}],
        },
    )
    k8s.networking.v1.NetworkPolicy(
        "to-platform",
        metadata={"name": "to-platform", "namespace": name},
        spec={
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchExpressions": [
                                    {"key": "enclave.dev/zone", "operator": "In", "values": ["platform"]}
                                ]
                            }
                        }
                    ],
                    "ports": [{"port": 9090}],
                }
            ],
        },
    )
    k8s.apiextensions.CustomResource(
        "mesh-any",
        api_version="security.istio.io/v1",
        kind="AuthorizationPolicy",
        metadata={"name": "mesh-any", "namespace": name},
        spec={
            "action": "ALLOW",
            "rules": [
                {"from": [{"source": {"principals": ["cluster.local/*"]}}], "to": [{"operation": {"ports": ["8080"]}}]}
            ],
        },
    )
    for pa, mode in (("strict", "STRICT"), ("permissive", "PERMISSIVE")):
        k8s.apiextensions.CustomResource(
            pa,
            api_version="security.istio.io/v1",
            kind="PeerAuthentication",
            metadata={"name": pa, "namespace": name},
            spec={"mtls": {"mode": mode}},
        )
    k8s.core.v1.ResourceQuota(
        "gpus",
        metadata={"name": "gpus", "namespace": name},
        spec={"hard": {"requests.nvidia.com/gpu": "4"}, "scopes": ["BestEffort"]},
    )
    k8s.rbac.v1.Role(
        "grant",
        metadata={"name": "grant", "namespace": name},
        rules=[
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["bind", "create"]}
        ],
    )
    k8s.rbac.v1.RoleBinding(
        "grant",
        metadata={"name": "grant", "namespace": name},
        role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "grant"},
        subjects=[{"kind": "Group", "name": "vision-devs"}],
    )
    k8s.core.v1.ConfigMap(
        "aws-auth",
        metadata={"name": "aws-auth", "namespace": "kube-system"},
        data={"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/vision-ci\n  groups: [system:masters]\n"},
    )


TEAM_NETWORK = {
    ("K8S-04", "from-team"),  # selects namespaces by a team label
    ("K8S-20", "from-team"),
    ("K8S-20", "to-private"),
    ("K8S-20", "mesh-any"),  # outside the zone matrix
    ("MESH-02", "mesh-any"),  # cluster.local/* names no namespace
    ("MESH-01", "permissive"),  # PERMISSIVE, and disagreeing with its companion
    ("MESH-01", "strict"),  # its companion disagrees
    ("MESH-01", "serve"),  # so the namespace may get PERMISSIVE (Istio applies the older of the two)
    ("K8S-08", "serve"),  # a BestEffort-scoped quota matches no GPU pod
    ("K8S-05", "grant"),  # bind is an administrator's verb
    ("EKS-06", "aws-auth"),  # system:masters
    # the zone's own guards are the platform stack's (this stack declares none of them):
    ("K8S-15", "serve"),
    ("K8S-09", "serve"),
    ("K8S-10", "serve"),
    ("K8S-11", "serve"),
    ("K8S-13", "serve"),
    ("K8S-14", "serve"),
    ("MESH-02", "serve"),
    ("MESH-03", "serve"),
    ("MESH-05", "serve"),
    ("MESH-06", "serve"),
}
CONFIG = {
    "zone-flows-inside-the-matrix": {"zoneClasses": {"platform": "platform"}},
    "eks-cni-enforces-network-policy": {"networkPolicyEnforcedBy": "the platform stack's vpc-cni add-on"},
}
APPROVED = {"workload-images-approved": {"approvedRegistries": [f"{ECR}/*"]}}
CORPUS: dict[str, tuple[Callable[[], None], set[tuple[str, str]], dict[str, Any]]] = {
    "plain_kubernetes": (plain_kubernetes, PLAIN_KUBERNETES, APPROVED),
    "team_network": (team_network, TEAM_NETWORK, CONFIG),
}
