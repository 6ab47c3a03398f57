"""TrustZone manifests from the prod config: PSA, default-deny, the flow matrix and nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import PlatformConfig, validate_platform
from components.k8s.labels import PSA_AUDIT, PSA_ENFORCE, PSA_WARN, ZONE_LABEL
from components.k8s.trust_zone import zone_manifests
from components.k8s.zone_context import ZoneContext
from tests.conftest import stack_data


@pytest.fixture(scope="module")
def cfg() -> PlatformConfig:
    return validate_platform(stack_data("prod"))


def objects(cfg: PlatformConfig, zone: str, kind: str) -> list[dict[str, Any]]:
    return [
        o
        for objs in zone_manifests(ZoneContext.of_platform(cfg, cfg.zone(zone))).values()
        for o in objs
        if o["kind"] == kind
    ]


@pytest.mark.parametrize(
    ("zone", "enforce"),
    [("platform", "baseline"), ("training", "baseline"), ("inference", "restricted"), ("notebooks", "restricted")],
)
def test_psa_by_class(cfg: PlatformConfig, zone: str, enforce: str) -> None:
    for ns in objects(cfg, zone, "Namespace"):
        labels = ns["metadata"]["labels"]
        assert labels[PSA_ENFORCE] == enforce, ns["metadata"]["name"]
        assert labels[PSA_WARN] == labels[PSA_AUDIT] == "restricted"
        assert labels[f"{PSA_ENFORCE}-version"] == "v1.33", "pinned to the cluster's version"
        assert labels["istio-injection"] == "enabled" and labels[ZONE_LABEL] == zone


def test_every_namespace_starts_with_default_deny(cfg: PlatformConfig) -> None:
    for zone in cfg.zones:
        for ns, objs in zone_manifests(ZoneContext.of_platform(cfg, zone)).items():
            assert objs[0]["kind"] == "Namespace"
            deny = [o for o in objs if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "default-deny"]
            assert len(deny) == 1, ns
            assert deny[0]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def _allow_rules(cfg: PlatformConfig, zone: str) -> set[tuple[str, str, str]]:
    rules = set()
    for pol in objects(cfg, zone, "NetworkPolicy"):
        spec = pol["spec"]
        for rule in spec.get("ingress", []):
            for peer in rule["from"]:
                rules.add(("in", str(peer), str(rule["ports"])))
        for rule in spec.get("egress", []):
            for peer in rule["to"]:
                rules.add(("out", str(peer), str(rule["ports"])))
    return rules


@pytest.mark.parametrize("zone", ["platform", "training", "inference", "notebooks"])
def test_every_network_policy_names_its_policy_types(cfg: PlatformConfig, zone: str) -> None:
    # Left out, Kubernetes infers Ingress always and Egress only from egress rules: a policy meant to isolate egress
    # with no egress rules would isolate ingress only. Every policy says what it isolates: what its rules allow,
    # or both for the default deny.
    policies = objects(cfg, zone, "NetworkPolicy")
    assert policies
    for np in policies:
        spec, name = np["spec"], np["metadata"]["name"]
        ruled = sorted(kind.capitalize() for kind in ("ingress", "egress") if kind in spec)
        assert sorted(spec.get("policyTypes", [])) == (ruled or ["Egress", "Ingress"]), name


def test_inference_ingress_only_from_declared_flows(cfg: PlatformConfig) -> None:
    ingress = [r for r in _allow_rules(cfg, "inference") if r[0] == "in"]
    assert ingress == [
        (
            "in",
            str({"namespaceSelector": {"matchLabels": {ZONE_LABEL: "platform"}}}),
            str([{"protocol": "TCP", "port": 8080}]),
        )
    ]


def test_no_internet_egress_for_training_and_inference(cfg: PlatformConfig) -> None:
    for zone in ("training", "inference"):
        for pol in objects(cfg, zone, "NetworkPolicy"):
            for rule in pol["spec"].get("egress", []):
                for peer in rule["to"]:
                    cidr = peer.get("ipBlock", {}).get("cidr")
                    assert cidr is None or not cidr.endswith("/0"), (zone, pol["metadata"]["name"])


def test_notebooks_egress_only_to_proxy_dns_mesh_and_aws_endpoints(cfg: PlatformConfig) -> None:
    names = {p["metadata"]["name"] for p in objects(cfg, "notebooks", "NetworkPolicy")}
    assert names == {
        "default-deny", "allow-dns", "allow-mesh-control-plane", "allow-egress-proxy", "allow-egress-endpoints"
    }  # fmt: skip
    endpoints = next(
        p for p in objects(cfg, "notebooks", "NetworkPolicy") if p["metadata"]["name"] == "allow-egress-endpoints"
    )
    # Only the VPC's AWS endpoints (S3, STS for IRSA), never a mirror or the internet.
    assert endpoints["spec"]["egress"] == [
        {"to": [{"ipBlock": {"cidr": "10.40.255.0/24"}}], "ports": [{"protocol": "TCP", "port": 443}]}
    ]
    proxy = next(p for p in objects(cfg, "notebooks", "NetworkPolicy") if p["metadata"]["name"] == "allow-egress-proxy")
    assert proxy["spec"]["egress"] == [
        {"to": [{"ipBlock": {"cidr": "10.60.16.0/24"}}], "ports": [{"protocol": "TCP", "port": 3128}]}
    ]


def test_nccl_window_is_a_port_range(cfg: PlatformConfig) -> None:
    self_flow = next(
        p for p in objects(cfg, "training", "NetworkPolicy") if p["metadata"]["name"] == "allow-from-training"
    )
    assert {"protocol": "TCP", "port": 50000, "endPort": 51023} in self_flow["spec"]["ingress"][0]["ports"]


def test_istio_strict_allow_nothing_and_registry_only(cfg: PlatformConfig) -> None:
    for zone in cfg.zones:
        for ns, objs in zone_manifests(ZoneContext.of_platform(cfg, zone)).items():
            kinds = {(o["kind"], o["metadata"]["name"]): o for o in objs}
            assert kinds[("PeerAuthentication", "default")]["spec"] == {"mtls": {"mode": "STRICT"}}, ns
            assert kinds[("AuthorizationPolicy", "allow-nothing")]["spec"] == {}, ns
            sidecar = kinds[("Sidecar", "default")]["spec"]
            assert sidecar["outboundTrafficPolicy"] == {"mode": "REGISTRY_ONLY"}, ns


def test_authorization_uses_service_account_principals(cfg: PlatformConfig) -> None:
    pol = next(
        p for p in objects(cfg, "inference", "AuthorizationPolicy") if p["metadata"]["name"] == "allow-from-platform"
    )
    rule = pol["spec"]["rules"][0]
    assert rule["from"][0]["source"]["principals"] == [
        "cluster.local/ns/platform-system/sa/*",
        "cluster.local/ns/monitoring/sa/*",
    ]
    assert rule["to"][0]["operation"]["ports"] == ["8080"]


def test_rbac_has_no_wildcards_and_no_cluster_admin_for_service_accounts(cfg: PlatformConfig) -> None:
    for zone in cfg.zones:
        for role in objects(cfg, zone.name, "Role"):
            for rule in role["rules"]:
                assert "*" not in rule["verbs"] and "*" not in rule["resources"], role["metadata"]
        for binding in objects(cfg, zone.name, "RoleBinding"):
            assert binding["roleRef"]["kind"] == "Role"
    training = {r["metadata"]["name"]: r for r in objects(cfg, "training", "Role")}
    assert training["training-job"]["rules"] == [
        {"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
    ]


def test_quota_per_namespace(cfg: PlatformConfig) -> None:
    quota, storage = objects(cfg, "training", "ResourceQuota")  # accelerators; storage classes (test_storage.py)
    assert storage["metadata"]["name"] == "storage-classes"
    assert quota["spec"]["hard"] == {"requests.nvidia.com/gpu": "64", "requests.vpc.amazonaws.com/efa": "256"}
    assert len(objects(cfg, "training", "LimitRange")) == 1


def test_cilium_pins_notebook_egress_to_the_proxy_by_name() -> None:
    import jsonschema

    from tests.enclave.crd_schemas import schema_for

    data = stack_data("prod")
    data["kubernetes"]["cilium"] = True
    cfg = validate_platform(data)
    cnps = {z.name: objects(cfg, z.name, "CiliumNetworkPolicy") for z in cfg.zones}
    assert {z: len(v) for z, v in cnps.items()} == {"platform": 0, "training": 0, "inference": 0, "notebooks": 1}
    (cnp,) = cnps["notebooks"]
    jsonschema.validate(cnp, schema_for(cnp["apiVersion"], cnp["kind"]))
    proxy = cfg.zone("notebooks").egress.proxy
    assert proxy is not None
    dns, fqdn = cnp["spec"]["egress"]
    assert dns["toEndpoints"][0]["matchLabels"]["k8s:k8s-app"] == "kube-dns"
    # Only the proxy, on its own port: allow-listed hosts are reached through it, never directly.
    assert fqdn == {
        "toFQDNs": [{"matchName": proxy.host}],
        "toPorts": [{"ports": [{"port": str(proxy.port), "protocol": "TCP"}]}],
    }
    assert not objects(validate_platform(stack_data("prod")), "notebooks", "CiliumNetworkPolicy"), "off by default"


def test_sidecar_scope_has_dns_over_tcp_and_no_duplicates(cfg: PlatformConfig) -> None:
    for zone in cfg.zones:
        for sidecar in objects(cfg, zone.name, "Sidecar"):
            hosts = sidecar["spec"]["egress"][0]["hosts"]
            assert "kube-system/kube-dns.kube-system.svc.cluster.local" in hosts, zone.name
            assert len(hosts) == len(set(hosts)), hosts
            allow_list = [*zone.egress.hosts, *([zone.egress.proxy.host] if zone.egress.proxy else [])]
            assert all(f"./{h}" in hosts for h in allow_list), "the Sidecar names the zone's allow-list"
            assert f"{sidecar['metadata']['namespace']}/*" not in hosts, "./* already covers the own namespace"


def test_authorization_lists_only_ports_the_sidecar_sees(cfg: PlatformConfig) -> None:
    """The NCCL window bypasses the sidecar on EFA pods: AuthZ keeps rendezvous (29500) only; the
    NetworkPolicy still opens the window (test_nccl_window_is_a_port_range)."""
    policy = next(
        p for p in objects(cfg, "training", "AuthorizationPolicy") if p["metadata"]["name"] == "allow-from-training"
    )
    assert policy["spec"]["rules"][0]["to"] == [{"operation": {"ports": ["29500"]}}]


def test_personas_get_what_the_seed_table_gives_them(cfg: PlatformConfig) -> None:
    roles = {r["metadata"]["name"]: r["rules"] for r in objects(cfg, "training", "Role")}

    def can(role: str, verb: str, resource: str) -> bool:
        return any(resource in rule["resources"] and verb in rule["verbs"] for rule in roles[role])

    assert can("data-scientist", "create", "jobs") and can("data-scientist", "delete", "jobs")
    assert can("data-scientist", "get", "pods/log") and not can("data-scientist", "create", "roles")
    assert can("ml-engineer", "create", "deployments") and can("ml-engineer", "create", "services")
    assert not can("ml-engineer", "get", "secrets") and not can("ml-engineer", "delete", "namespaces")
    assert can("training-job", "get", "configmaps") and can("training-job", "get", "secrets")
    assert can("training-job", "list", "pods") and not can("training-job", "create", "pods")


def test_data_scientists_open_notebooks_through_port_forward_only(cfg: PlatformConfig) -> None:
    """Notebooks accept no zone traffic: their way in is `kubectl port-forward` (IAM-authenticated, RBAC,
    audited), for the notebook zone's data scientists and nobody else."""

    def forwarders(zone: str) -> set[str]:
        roles = {r["metadata"]["name"]: r for r in objects(cfg, zone, "Role")}
        allowed = {
            name
            for name, role in roles.items()
            if any("pods/portforward" in r["resources"] and "create" in r["verbs"] for r in role["rules"])
        }
        bound = {
            s["name"]
            for b in objects(cfg, zone, "RoleBinding")
            if b["roleRef"]["name"] in allowed
            for s in b["subjects"]
        }
        return bound

    assert forwarders("notebooks") == set(cfg.zone("notebooks").access.data_scientist_groups) == {"ml-research"}
    for zone in ("platform", "training", "inference"):
        assert forwarders(zone) == set(), f"{zone}: port-forward is the notebooks' way in only"


@pytest.mark.parametrize("zone", ["platform", "training", "inference", "notebooks"])
def test_namespaces_say_why_their_pod_security_level(cfg: PlatformConfig, zone: str) -> None:
    for ns in objects(cfg, zone, "Namespace"):
        reason = ns["metadata"]["annotations"]["enclave.dev/pod-security-reason"]
        level = ns["metadata"]["labels"][PSA_ENFORCE]
        assert reason.startswith(f"{level}:"), reason
        if level == "baseline":
            assert "restricted is warned and audited" in reason and len(reason) > 80, reason
