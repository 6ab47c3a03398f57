"""ClusterAddons: what the zones rely on, as pinned Helm releases (Istio with REGISTRY_ONLY and its CNI
node agent, the NVIDIA and EFA device plugins on GPU nodes only, Kyverno with an approved-registry
policy), the mesh-wide STRICT mTLS policy, and the platform-admin binding."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..args import arg, args_type
from ..config import KubernetesConfig, RolloutStage
from ..scheduling import (
    ACCELERATOR_LABEL,
    EFA_LABEL,
    GPU_TOLERATION,
    POOL_LABEL,
    SYSTEM_POOL,
    SYSTEM_TOLERATION,
    ZONE_LABEL,
)
from .admission_images import registry_admission
from .admission_mesh import mesh_identity_policy, workload_privileges_policy
from .falco import DetectionAgents, detection_policy
from .helm import pinned_release
from .images import addon_images, nvidia_image_tag, sidecar_image
from .labels import MANAGED_BY
from .namespace_classes import agent_objects, scope_policy
from .rbac import platform_admin_binding
from .register import register
from .rollout import split_binding

ISTIO_REPO = "https://istio-release.storage.googleapis.com/charts"
NVIDIA_REPO = "https://nvidia.github.io/k8s-device-plugin"
EKS_CHARTS_REPO = "https://aws.github.io/eks-charts"
KYVERNO_REPO = "https://kyverno.github.io/kyverno/"

GPU_NODES_ONLY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": ACCELERATOR_LABEL, "operator": "Exists"}]}]
        }
    }
}


def system_pool_placement(system_pool: bool) -> dict[str, Any]:
    """`tolerations` and `nodeSelector` that put a controller on the system pool (tainted CriticalAddonsOnly);
    nothing when the cluster is not the platform's (no system pool)."""
    if not system_pool:
        return {}
    return {"tolerations": [dict(SYSTEM_TOLERATION)], "nodeSelector": {POOL_LABEL: SYSTEM_POOL}}


# Kyverno's webhooks fail closed (the placement mutation, the registry rule): with one replica, a node drain or
# a crash stops every pod creation in the zones. Three replicas spread over the system pool's nodes, at most one
# disrupted at a time (chart 3.5: admissionController.replicas, podDisruptionBudget, topologySpreadConstraints).
# Nodes that are cordoned or otherwise tainted against the pods do not count as spread domains (Honor), so a
# drain never leaves a replica unschedulable for the skew's sake.
KYVERNO_ADMISSION_LABELS = {
    "app.kubernetes.io/component": "admission-controller",
    "app.kubernetes.io/instance": "kyverno",
}
KYVERNO_ADMISSION_HA: dict[str, Any] = {
    "replicas": 3,
    "podDisruptionBudget": {"enabled": True, "minAvailable": 2},
    "topologySpreadConstraints": [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "DoNotSchedule",
            "nodeTaintsPolicy": "Honor",
            "labelSelector": {"matchLabels": KYVERNO_ADMISSION_LABELS},
        },
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": KYVERNO_ADMISSION_LABELS},
        },
    ],
}


def kyverno_values(
    kubernetes: KubernetesConfig, system_pool: bool, registry: str, kubectl_registry: str
) -> dict[str, Any]:
    """Every Kyverno image from `registry` with the pinned tag (the chart's hook image has a registry of its
    own, which `global.image.registry` does not override), every pod on the system pool."""
    tag = {"tag": kubernetes.addons.kyverno_image}
    return {
        "global": {"image": {"registry": registry}, **system_pool_placement(system_pool)},
        "admissionController": {
            "container": {"image": tag},
            "initContainer": {"image": tag},
            **KYVERNO_ADMISSION_HA,
        },
        "backgroundController": {"image": tag},
        "cleanupController": {"image": tag},
        "reportsController": {"image": tag},
        "crds": {"migration": {"image": tag}},
        "webhooksCleanup": {"image": {"registry": kubectl_registry, "tag": kubernetes.addons.kyverno_kubectl_image}},
    }


SECCOMP_TEMPLATE = "enclave-seccomp"
_RUNTIME_DEFAULT = """    securityContext:
      seccompProfile:
        type: RuntimeDefault"""
# Native sidecars (Kubernetes 1.33+ nodes, Istio's default there) put istio-proxy among the init containers.
SECCOMP_TEMPLATE_TEXT = f"""spec:
  initContainers:
  - name: istio-validation
{_RUNTIME_DEFAULT}
{{{{- if .NativeSidecars }}}}
  - name: istio-proxy
{_RUNTIME_DEFAULT}
{{{{- else }}}}
  containers:
  - name: istio-proxy
{_RUNTIME_DEFAULT}
{{{{- end }}}}
"""


def istiod_values(hub: str, tag: str, placement: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        **(placement or {}),
        "meshConfig": {
            # Unknown destinations are refused by every sidecar unless a ServiceEntry names them.
            "outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"},
            "accessLogFile": "/dev/stdout",
        },
        # Traffic redirection by the istio-cni node agent instead of the istio-init container, which needs
        # NET_ADMIN/NET_RAW and so fails Pod Security Admission baseline and restricted in every zone.
        "pilot": {"cni": {"enabled": True}},
        "global": {"hub": hub, "tag": tag, "proxy": {"holdApplicationUntilProxyStarts": True}},
        # Istio 1.27's template sets no seccompProfile on the injected containers (global.proxy.seccompProfile
        # comes with 1.28), so a restricted namespace refuses every pod that sets seccomp per container rather
        # than per pod. A custom template, merged over `sidecar` by name, gives them RuntimeDefault.
        "sidecarInjectorWebhook": {
            "templates": {SECCOMP_TEMPLATE: SECCOMP_TEMPLATE_TEXT},
            "defaultTemplates": ["sidecar", SECCOMP_TEMPLATE],
        },
    }


def istio_cni_values(hub: str, tag: str) -> dict[str, Any]:
    """The node agent must run on every node, GPU nodes included: the chart's default tolerations (every
    NoSchedule and NoExecute taint) already do that, so they are left alone."""
    return {"global": {"hub": hub, "tag": tag}}


def _registry_rule(
    name: str, selector: dict[str, Any], allowed: Sequence[str], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    pattern = " | ".join(allowed)
    return {
        "name": name,
        "match": {
            "any": [
                {
                    "resources": {
                        # `kubectl debug` adds containers through the subresource.
                        "kinds": ["Pod", "Pod/ephemeralcontainers"],
                        "namespaceSelector": selector,
                    }
                }
            ]
        },
        "validate": {
            "failureAction": "Enforce",
            **overrides,
            "message": "images must come from an approved registry: " + ", ".join(allowed),
            "pattern": {
                "spec": {
                    "=(initContainers)": [{"image": pattern}],
                    "=(ephemeralContainers)": [{"image": pattern}],
                    "containers": [{"image": pattern}],
                }
            },
        },
    }


def registry_policy(
    registries: Sequence[str],
    exact_images: Sequence[str] = (),
    ecr: str | None = None,
    zone_images: str | None = None,
    zones: Sequence[str] = (),
    zone_stages: Mapping[str, RolloutStage] | None = None,
) -> dict[str, Any]:
    """Kyverno ClusterPolicy: pods in zone namespaces may only use images from `registries`, the account's registry
    `ecr`, plus the `exact_images` (name:tag, no wildcard) the platform injects itself, such as the Istio sidecar.
    With `zone_images` (the environment), each of `zones` may use only `<ecr>/<environment>/<zone>/` of the account's
    registry (one rule per zone), and a zone namespace of no listed zone none of it. Zones below enforce
    (`zone_stages`) are audited, not refused (each rule's failureActionOverrides)."""
    below = sorted(z for z, s in (zone_stages or {}).items() if s != "enforce")
    in_below = {"matchExpressions": [{"key": ZONE_LABEL, "operator": "In", "values": below}]}
    overrides = {"failureActionOverrides": [{"action": "Audit", "namespaceSelector": in_below}]} if below else {}
    shared = [f"{r}/*" for r in registries] + list(exact_images)
    zoned = {"key": ZONE_LABEL, "operator": "Exists"}
    if ecr is None or zone_images is None:
        own = [f"{ecr}/*"] if ecr else []
        rules = [_registry_rule("approved-registries", {"matchExpressions": [zoned]}, own + shared, overrides)]
    else:
        rules = [
            _registry_rule(
                f"approved-registries-{zone}",
                {"matchExpressions": [{"key": ZONE_LABEL, "operator": "In", "values": [zone]}]},
                [f"{ecr}/{zone_images}/{zone}/*", *shared],
                overrides,
            )
            for zone in zones
        ]
        others = {"matchExpressions": [zoned, {"key": ZONE_LABEL, "operator": "NotIn", "values": list(zones)}]}
        rules.append(_registry_rule("approved-registries-other-zones", others, shared, overrides))
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": "enclave-approved-registries", "labels": dict(MANAGED_BY)},
        "spec": {"background": True, "rules": rules},
    }


def staged(manifests: list[dict[str, Any]], stages: Mapping[str, RolloutStage]) -> list[dict[str, Any]]:
    """Cluster-wide admission objects with each zone-wide binding split for the zones below enforce."""
    out: list[dict[str, Any]] = []
    for m in manifests:
        zone_wide = m["kind"] == "ValidatingAdmissionPolicyBinding" and any(
            e.get("key") == ZONE_LABEL
            for e in m["spec"]["matchResources"]["namespaceSelector"].get("matchExpressions", [])
        )
        out += split_binding(m, ZONE_LABEL, stages) if zone_wide else [m]
    return out


@args_type
class ClusterAddonsArgs:
    """The cluster-wide add-ons every trust zone relies on."""

    kubernetes: KubernetesConfig = arg(
        "Pinned add-on versions and images, approved registries, platform-admin groups (the stack schema's "
        "`kubernetes` block; its defaults are the secure ones)."
    )
    region: str = arg("AWS region of the cluster (EKS's regional image registries).")
    provider: k8s.Provider = arg("Kubernetes provider of the cluster (GpuCluster.kubernetes_provider).")
    system_pool: bool = arg(
        "The cluster has the platform's system pool (tainted CriticalAddonsOnly): controllers are placed on it.",
        default=True,
    )
    psa_version: str = arg(
        "The Pod Security Standards version the agent namespaces pin (`v<kubernetes version>`).", default="latest"
    )
    zone_images: str | None = arg(
        "The environment when each zone pulls only its own images (`images.enabled`): a zone namespace admits from "
        "the account's ECR only `<environment>/<zone>/`. Default None: the whole account's ECR.",
        default=None,
    )
    zones: Sequence[str] = arg(
        "Every zone of the cluster (the platform's and the team zones): with `zone_images`, the Kyverno rule gets one "
        "rule per zone (the admission policy reads the zone from the namespace's label). Default none.",
        default=(),
    )
    nodes_ready: Sequence[pulumi.Resource] = arg(
        "The node groups the releases' pods run on: every release waits for them (an atomic Helm install whose "
        "pods have no node times out and rolls back).",
        default=(),
    )
    detection_agents: DetectionAgents = arg(
        "Namespaces of the detection agents (Falco's, GuardDuty's) and their service accounts: exempt from the "
        "namespace-scope refusal, because the enclave-detection-agents policy admits only those accounts there "
        "(components.k8s.falco.detection_policy).",
        default=DetectionAgents(),
    )
    zone_stages: Mapping[str, RolloutStage] = arg(
        "Zone -> adoption stage of the zones below enforce (README: Adopt in stages): the cluster-wide admission "
        "bindings and the Kyverno registry policy only audit and warn there (warn zones: the mesh identity is "
        "denied). Empty: every zone enforces.",
        default_factory=dict,
    )


class ClusterAddons(pulumi.ComponentResource):
    istio_base: k8s.helm.v3.Release
    istio_cni: k8s.helm.v3.Release
    istiod: k8s.helm.v3.Release
    nvidia_device_plugin: k8s.helm.v3.Release
    efa_device_plugin: k8s.helm.v3.Release
    kyverno: k8s.helm.v3.Release

    def __init__(
        self,
        name: str,
        args: ClusterAddonsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Every release waits for `args.nodes_ready` itself: a component's own depends_on would not reach
        its children."""
        super().__init__("enclave:k8s:ClusterAddons", name, None, opts)
        provider, nodes_ready, kubernetes = args.provider, args.nodes_ready, args.kubernetes
        versions = kubernetes.addons
        child = pulumi.ResourceOptions(parent=self, provider=provider)

        def release(
            res: str,
            chart: str,
            repo: str,
            version: str,
            namespace: str,
            values: dict[str, Any],
            depends_on: list[pulumi.Resource] | None = None,
            create_namespace: bool = True,
        ) -> k8s.helm.v3.Release:
            return pinned_release(
                f"{name}-{res}", release=res, chart=chart, repo=repo, version=version, namespace=namespace,
                values=values, parent=self, provider=provider, depends_on=[*nodes_ready, *(depends_on or [])],
                create_namespace=create_namespace,
            )  # fmt: skip

        self.istio_base = release(
            "istio-base", "base", ISTIO_REPO, versions.istio, "istio-system", {"defaultRevision": "default"}
        )
        images = addon_images(kubernetes, args.region)
        hub = images.istio_hub
        self.istio_cni = release(
            "istio-cni", "cni", ISTIO_REPO, versions.istio, "istio-system", istio_cni_values(hub, versions.istio),
            [self.istio_base],
        )  # fmt: skip
        self.istiod = release(
            "istiod", "istiod", ISTIO_REPO, versions.istio, "istio-system",
            istiod_values(hub, versions.istio, system_pool_placement(args.system_pool)),
            [self.istio_base, self.istio_cni],
        )  # fmt: skip
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
        # Namespaces outside the zones: the agent namespaces (the device plugins run in the first) and the
        # refusal of pods everywhere else that is not a system namespace.
        agents: list[pulumi.Resource] = []
        for manifest in agent_objects(kubernetes, args.psa_version):
            namespaced = manifest["kind"] == "NetworkPolicy"
            agents.append(
                register(manifest, provider=provider, parent=self, depends_on=agents[:1] if namespaced else ())
            )
        self.agent_namespaces = [a for a in agents if isinstance(a, k8s.core.v1.Namespace)]
        agent_ns = kubernetes.node_agents.namespaces[0]
        detection = args.detection_agents
        scope = [*scope_policy(kubernetes, detection.namespaces), *(detection_policy(detection) if detection else [])]
        self.namespace_scope = [register(m, provider=provider, parent=self) for m in scope]
        self.nvidia_device_plugin = release(
            "nvidia-device-plugin",
            "nvidia-device-plugin",
            NVIDIA_REPO,
            versions.nvidia_device_plugin,
            agent_ns,
            {
                "tolerations": [GPU_TOLERATION],
                "affinity": GPU_NODES_ONLY,
                "image": {"repository": images.nvidia_device_plugin, "tag": nvidia_image_tag(kubernetes)},
            },
            [self.agent_namespaces[0]],
            create_namespace=False,
        )
        self.efa_device_plugin = release(
            "aws-efa-k8s-device-plugin",
            "aws-efa-k8s-device-plugin",
            EKS_CHARTS_REPO,
            versions.efa_device_plugin,
            agent_ns,
            {
                "tolerations": [GPU_TOLERATION],
                "nodeSelector": {EFA_LABEL: "true"},
                "image": {"repository": images.efa_device_plugin, "tag": versions.efa_device_plugin_image},
            },
            [self.agent_namespaces[0]],
            create_namespace=False,
        )
        self.kyverno = release(
            "kyverno", "kyverno", KYVERNO_REPO, versions.kyverno, "kyverno",
            kyverno_values(kubernetes, args.system_pool, images.kyverno_registry, images.kubectl_registry),
        )  # fmt: skip
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        own_ecr = pulumi.Output.concat(account, ".dkr.ecr.", args.region, ".amazonaws.com")
        sidecar = sidecar_image(hub, versions.istio)
        policy = own_ecr.apply(
            lambda ecr: registry_policy(
                kubernetes.approved_registries,
                [sidecar],
                ecr=ecr,
                zone_images=args.zone_images,
                zones=args.zones,
                zone_stages=args.zone_stages,
            )
        )
        self.registry_policy = k8s.apiextensions.CustomResource(
            f"{name}-approved-registries",
            api_version="kyverno.io/v1",
            kind="ClusterPolicy",
            metadata=policy["metadata"],
            spec=policy["spec"],
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.kyverno])),
        )

        # The same allow-list, judged without a webhook and on workloads' pod templates too.
        def image_admission(ecr: str) -> list[dict[str, Any]]:
            return registry_admission(
                ecr, kubernetes.approved_registries, [sidecar], kubernetes.node_agents.namespaces, args.zone_images
            )

        images_policy, *images_bindings = image_admission("")
        images_policy["spec"] = own_ecr.apply(lambda ecr: image_admission(ecr)[0]["spec"])
        stages = args.zone_stages
        self.registry_admission = [
            register(m, provider=provider, parent=self) for m in staged([images_policy, *images_bindings], stages)
        ]
        self.mesh_identity = [
            register(m, provider=provider, parent=self)
            for m in staged(
                [*mesh_identity_policy(sidecar_image(hub, versions.istio)), *workload_privileges_policy()], stages
            )
        ]
        admin = platform_admin_binding(kubernetes.platform_admin_groups)
        if admin is not None:
            register(admin, provider=provider, parent=self)
        self.register_outputs({})
