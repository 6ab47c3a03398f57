"""Kubernetes weakenings of prod in shapes the components never emit (issue 18): raw workloads in `default` and
unlabelled namespaces, inline manifests, Helm releases, peers written on other labels or as address blocks, principal
wildcards, admission opt-outs, duplicated companions, admin by group mapping or by verb, quotas that match no pod."""

from __future__ import annotations

from typing import Any

from tests.policy_packs.weakenings import Records, Weakening

APPS, BATCH = "kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:Job"


def _workload(kind: str, name: str, namespace: str | None, spec: dict[str, Any], **meta: Any) -> dict[str, Any]:
    api = "batch/v1" if kind == "Job" else "apps/v1"
    metadata: dict[str, Any] = {"name": name, **meta}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": metadata,
        "spec": {"template": {"metadata": {"labels": {"app": name}}, "spec": spec}},
    }


def _privileged_in_default(w: Records) -> None:
    spec = {
        "hostNetwork": True,
        "containers": [{"name": "debug", "image": "busybox", "securityContext": {"privileged": True}}],
    }
    w.add("debug-toolbox", APPS, _workload("Deployment", "debug-toolbox", "default", spec))


def _root_job_unlabelled(w: Records) -> None:
    w.add(
        "team-a",
        "kubernetes:core/v1:Namespace",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}},
    )
    spec = {
        "restartPolicy": "Never",
        "containers": [
            {"name": "etl", "image": "registry.internal.example.com/ml/etl", "securityContext": {"runAsUser": 0}}
        ],
    }
    w.add("etl", BATCH, _workload("Job", "etl", "team-a", spec))


def _inline_manifest_in_default(w: Records) -> None:
    manifest = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: notebook-proxy}\n"
        "spec:\n  template:\n    spec:\n      containers: [{name: p, image: registry.internal.example.com/ml/p}]\n"
    )
    w.add("legacy-manifests", "kubernetes:yaml/v2:ConfigGroup", {"yaml": manifest})


def _release_into_training(w: Records) -> None:
    w.add(
        "scanner",
        "kubernetes:helm.sh/v3:Release",
        {"chart": "oci://ghcr.io/acme/charts/scanner", "namespace": "training", "values": {}},
    )


def _status_preset(w: Records) -> None:
    spec = {"containers": [{"name": "srv", "image": "registry.internal.example.com/ml/srv"}]}
    w.add("shadow-server", APPS, _workload("Deployment", "shadow-server", "inference", spec))
    template = w.inputs("shadow-server")["spec"]["template"]
    template["metadata"]["annotations"] = {"sidecar.istio.io/status": '{"containers":["istio-proxy"]}'}


def _peer_by_team_label(w: Records) -> None:
    rule = w.inputs("training-networkpolicy-allow-from-training")["spec"]["ingress"][0]
    rule["from"] = [{"namespaceSelector": {"matchLabels": {"team": "ml"}}}]


def _egress_over_pod_subnets(w: Records) -> None:
    rule = w.inputs("training-networkpolicy-allow-egress-endpoints")["spec"]["egress"][0]
    rule["to"].append({"ipBlock": {"cidr": "10.40.0.0/16"}})


def _authorization_any_principal(w: Records) -> None:
    w.add(
        "inference-allow-mesh",
        "kubernetes:security.istio.io/v1:AuthorizationPolicy",
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "AuthorizationPolicy",
            "metadata": {"name": "allow-mesh", "namespace": "inference"},
            "spec": {
                "action": "ALLOW",
                "rules": [
                    {
                        "from": [{"source": {"principals": ["cluster.local/*"]}}],
                        "to": [{"operation": {"ports": ["8080"]}}],
                    }
                ],
            },
        },
    )


def _aws_auth_into_admins(w: Records) -> None:
    roles = "- rolearn: arn:aws:iam::111122223333:role/ml-research\n  username: research\n  groups: [platform-admins]\n"
    w.add(
        "aws-auth",
        "kubernetes:core/v1:ConfigMap",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "aws-auth", "namespace": "kube-system"},
            "data": {"mapRoles": roles},
        },
    )


def _escalating_role(w: Records) -> None:
    rbac = "rbac.authorization.k8s.io/v1"
    w.add(
        "training-role-grant",
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        {
            "apiVersion": rbac,
            "kind": "Role",
            "metadata": {"name": "grant", "namespace": "training"},
            "rules": [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["bind"]}],
        },
    )
    w.add(
        "training-rolebinding-grant",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        {
            "apiVersion": rbac,
            "kind": "RoleBinding",
            "metadata": {"name": "grant", "namespace": "training"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "grant"},
            "subjects": [{"kind": "Group", "name": "ml-research"}],
        },
    )


def _quota_for_jobs_only(w: Records) -> None:
    w.inputs("training-resourcequota-accelerators")["spec"]["scopes"] = ["Terminating"]


def _namespace_patch(w: Records) -> None:
    labels = {"pod-security.kubernetes.io/enforce": "privileged"}
    w.add(
        "inference-relabel",
        "kubernetes:core/v1:NamespacePatch",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "inference", "labels": labels}},
    )


def _second_peer_authentication(w: Records) -> None:
    w.add(
        "training-peerauthentication-legacy",
        "kubernetes:security.istio.io/v1:PeerAuthentication",
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "PeerAuthentication",
            "metadata": {"name": "legacy", "namespace": "training"},
            "spec": {"mtls": {"mode": "PERMISSIVE"}},
        },
    )


def _second_sidecar(w: Records) -> None:
    w.add(
        "inference-sidecar-extra",
        "kubernetes:networking.istio.io/v1:Sidecar",
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "Sidecar",
            "metadata": {"name": "extra", "namespace": "inference"},
            "spec": {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}, "egress": [{"hosts": ["*/*"]}]},
        },
    )


def _hub_image_with_token(w: Records) -> None:
    container = {
        "name": "srv",
        "image": "vllm/vllm-openai:latest",
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    w.add("hub-server", APPS, _workload("Deployment", "hub-server", "inference", {"containers": [container]}))


def _exec_on_every_resource(w: Records) -> None:
    """'*/exec': the exec subresource of every resource, a wildcard the authorizer expands."""
    w.inputs("training-role-training-job")["rules"].append(
        {"apiGroups": [""], "resources": ["*/exec"], "verbs": ["create"]}
    )


def _allow_nothing_for_some_pods(w: Records) -> None:
    """The allow-nothing policy narrowed by a selector: pods without the label fall back to allow-all."""
    w.inputs("training-authorizationpolicy-allow-nothing")["spec"] = {"selector": {"matchLabels": {"app": "trainer"}}}


def _never_inject_selector(w: Records) -> None:
    """A selector the injector honours in every namespace: pods carrying the label skip the sidecar."""
    webhook = w.inputs("prod-istiod")["values"]["sidecarInjectorWebhook"]
    webhook["neverInjectSelector"] = [{"matchLabels": {"mesh": "skip"}}]


def _mesh_root_mode_unset(w: Records) -> None:
    """The mesh root's mode left UNSET: Istio's default, PERMISSIVE, for every namespace inheriting it."""
    w.inputs("istio-system-peerauthentication-default")["spec"]["mtls"] = {"mode": "UNSET"}


def _allow_nothing_dry_run(w: Records) -> None:
    """The allow-nothing policy put in dry-run (a zone's observe stage, without the stage declared)."""
    meta = w.inputs("training-authorizationpolicy-allow-nothing")["metadata"]
    meta["annotations"] = {**meta.get("annotations", {}), "istio.io/dry-run": "true"}


def _egress_rule_without_peers(w: Records) -> None:
    """An egress rule with ports and no `to`: every destination on 443, the internet too."""
    w.inputs("training-networkpolicy-allow-egress-endpoints")["spec"]["egress"].append({"ports": [{"port": 443}]})


K8S_WEAKENINGS = [
    Weakening("allow-nothing-in-dry-run", "MESH-02", _allow_nothing_dry_run, on="training"),
    Weakening("egress-rule-without-peers", "K8S-03", _egress_rule_without_peers, on="allow-egress-endpoints"),
    Weakening("mesh-root-mtls-unset", "MESH-01", _mesh_root_mode_unset, on="istio-system-peerauthentication-default"),
    Weakening("never-inject-selector", "MESH-05", _never_inject_selector, on="prod-istiod"),
    Weakening("allow-nothing-for-some-pods", "MESH-02", _allow_nothing_for_some_pods, on="training"),
    Weakening("exec-on-every-resource", "K8S-06", _exec_on_every_resource, on="training-role-training-job"),
    Weakening("docker-hub-image", "K8S-09", _hub_image_with_token, on="hub-server"),
    Weakening("workload-mounts-token", "K8S-07", _hub_image_with_token, on="hub-server"),
    Weakening("namespace-patched-privileged", "K8S-22", _namespace_patch, on="inference-relabel"),
    Weakening("second-peer-authentication", "MESH-01", _second_peer_authentication, on="peerauthentication-default"),
    Weakening("second-namespace-sidecar", "MESH-03", _second_sidecar, on="inference-sidecar"),
    Weakening("team-role-in-aws-auth-admins", "EKS-06", _aws_auth_into_admins, on="aws-auth"),
    Weakening("role-that-can-bind", "K8S-05", _escalating_role, on="training-rolebinding-grant"),
    Weakening("gpu-quota-for-jobs-only", "K8S-08", _quota_for_jobs_only, on="training"),
    Weakening("raw-job-no-namespace-inline", "K8S-13", _inline_manifest_in_default, on="legacy-manifests"),
    Weakening("root-job-in-unlabelled-namespace", "K8S-14", _root_job_unlabelled, on="etl"),
    Weakening("peer-by-team-label", "K8S-20", _peer_by_team_label, on="allow-from-training"),
    Weakening("egress-over-pod-subnets", "K8S-20", _egress_over_pod_subnets, on="allow-egress-endpoints"),
    Weakening("authorization-any-principal", "K8S-20", _authorization_any_principal, on="inference-allow-mesh"),
    Weakening("privileged-deployment-in-default", "K8S-21", _privileged_in_default, on="debug-toolbox"),
    Weakening("helm-release-into-a-zone", "K8S-21", _release_into_training, on="scanner"),
    Weakening("sidecar-status-preset", "MESH-06", _status_preset, on="shadow-server"),
]
