"""Falco runtime detection (components.k8s.falco): the chart's values, the GPU-workload rules file (checked
against Falco's rules-file schema: Falco itself cannot be installed here), and the admission policy of the
detection namespaces, evaluated with a real CEL implementation."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from components.config import validate_platform
from components.config.detection import Falco
from components.k8s.falco import (
    GUARDDUTY_NAMESPACE,
    GUARDDUTY_SA,
    SIDEKICK_SA,
    DetectionAgents,
    ZoneRuntime,
    detection_agents,
    detection_policy,
    falco_values,
    rules_yaml,
    zone_runtime,
)
from components.scheduling import GPU_TAINT, SYSTEM_TAINT
from tests.components.k8s.admission_eval import selects, vap_violations
from tests.conftest import stack_data

REGISTRY = "111122223333.dkr.ecr.us-east-1.amazonaws.com/mirror"
TOPIC = "arn:aws:sns:us-east-1:111122223333:enclave-prod-security-alarms"
ROLE = "arn:aws:iam::111122223333:role/prod-falcosidekick-role"
ZONES = [
    ZoneRuntime("training", "training", ("training",), (443, 9000)),
    ZoneRuntime("inference", "inference", ("inference",), (8080,), ((30000, 30010),)),
]
PRIORITIES = {"EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFORMATIONAL", "DEBUG"}
# Macros and lists of Falco's default rules file the GPU rules build on (falco_rules.yaml, loaded first).
DEFAULT_MACROS = {"spawned_process", "open_read", "open_write", "outbound", "container", "never_true"}


def values() -> dict[str, Any]:
    return falco_values(Falco(enabled=True), registry=REGISTRY, topic_arn=TOPIC, region="us-east-1",
                        role_arn=ROLE, rules=rules_yaml(ZONES, ["/models"]))  # fmt: skip


def test_values_run_modern_ebpf_on_every_node_from_the_mirror() -> None:
    v = values()
    assert v["driver"] == {"enabled": True, "kind": "modern_ebpf", "loader": {"enabled": False}}
    keys = {t["key"] for t in v["tolerations"] if t["operator"] == "Exists" and t["effect"] == "NoSchedule"}
    assert keys == {GPU_TAINT.key, SYSTEM_TAINT.key}
    assert "nodeSelector" not in v and "affinity" not in v
    assert v["image"]["registry"] == REGISTRY and v["falcosidekick"]["image"]["registry"] == REGISTRY
    assert v["image"]["tag"] == "0.44.1"
    assert v["falcoctl"]["artifact"] == {"install": {"enabled": False}, "follow": {"enabled": False}}


def test_values_send_alerts_to_the_topic_with_irsa() -> None:
    sidekick = values()["falcosidekick"]
    assert sidekick["enabled"] is True and sidekick["webui"] == {"enabled": False}
    aws = sidekick["config"]["aws"]
    assert aws["sns"]["topicarn"] == TOPIC and aws["useirsa"] is True and aws["rolearn"] == ROLE
    assert values()["falco"]["json_output"] is True


def _items() -> list[dict[str, Any]]:
    return yaml.safe_load(rules_yaml(ZONES, ["/models", "/opt/ml/model/"]))


def test_rules_file_follows_falcos_schema() -> None:
    """Each item is a list, a macro or a rule with exactly the keys Falco's rules-file schema allows and needs;
    every name a condition uses is defined before it (here or in Falco's default rules); parentheses balance."""
    defined = set(DEFAULT_MACROS)
    for item in _items():
        kinds = {"list", "macro", "rule"} & set(item)
        assert len(kinds) == 1, item
        kind = kinds.pop()
        if kind == "list":
            assert set(item) == {"list", "items"} and isinstance(item["items"], list) and item["items"], item
        elif kind == "macro":
            assert set(item) == {"macro", "condition"}, item
        else:
            assert set(item) == {"rule", "desc", "condition", "output", "priority", "tags"}, item
            assert item["priority"] in PRIORITIES and all(isinstance(t, str) for t in item["tags"])
        condition = item.get("condition", "")
        assert condition.count("(") == condition.count(")"), condition
        for name in re.findall(r"\b(enclave_\w+|spawned_process|open_read|open_write|outbound|never_true)\b",
                               condition):  # fmt: skip
            assert name in defined, f"{name} used before it is defined: {condition}"
        defined.add(item.get("list") or item.get("macro") or item["rule"])


def test_rules_cover_the_issues_gpu_signals() -> None:
    rules = {i["rule"]: i["condition"] for i in _items() if "rule" in i}
    assert "proc.name in (enclave_shells)" in rules["Shell in a zone pod"]
    assert "enclave_sa_token" in rules["Service account token read in a zone pod"]
    assert "enclave_cloud_credentials" in rules["Cloud credentials read by a tool in a zone pod"]
    assert "enclave_inference_namespaces" in rules["Write under a model path in an inference pod"]
    assert "enclave_training_namespaces" in rules["Exec into a training pod"]
    training = rules["Outbound connection off the declared egress of zone training"]
    assert "k8s.ns.name in (training)" in training and "fd.sport in (53, 443, 9000)" in training
    inference = rules["Outbound connection off the declared egress of zone inference"]
    assert "fd.sport in (53, 443, 8080)" in inference
    assert "not (fd.sport >= 30000 and fd.sport <= 30010)" in inference
    macros = {i["macro"]: i["condition"] for i in _items() if "macro" in i}
    assert macros["enclave_model_path"] == "fd.name startswith /models/ or fd.name startswith /opt/ml/model/"


def test_platform_zones_and_agents() -> None:
    cfg = validate_platform(stack_data("prod"))
    zones = {z.name: z for z in zone_runtime(cfg)}
    assert set(zones) == {z.name for z in cfg.zones}
    for z in cfg.zones:
        assert zones[z.name].namespaces == tuple(z.namespaces) and zones[z.name].zone_class == z.zone_class
        assert {p.port for p in z.egress.ports if p.end_port is None} <= set(zones[z.name].ports)
    agents = detection_agents(cfg)
    assert agents.accounts == {"falco": ("falco", SIDEKICK_SA), GUARDDUTY_NAMESPACE: (GUARDDUTY_SA,)}
    data = stack_data("prod")
    data["detection"]["guardduty"] = {"mode": "off"}
    data["detection"]["falco"] = {"enabled": False}
    assert not detection_agents(validate_platform(data))


AGENTS = DetectionAgents({"falco": ("falco", SIDEKICK_SA), GUARDDUTY_NAMESPACE: (GUARDDUTY_SA,)})


def _pod(account: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "x"}]}
    if account:
        spec["serviceAccountName"] = account
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


def _daemonset(account: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "d"},
            "spec": {"template": {"spec": _pod(account)["spec"]}}}  # fmt: skip


@pytest.mark.parametrize(
    ("namespace", "obj", "admitted"),
    [
        ("falco", _pod("falco"), True),
        ("falco", _pod(SIDEKICK_SA), True),
        ("falco", _daemonset("falco"), True),
        (GUARDDUTY_NAMESPACE, _daemonset(GUARDDUTY_SA), True),
        ("falco", _pod(None), False),  # the default account
        ("falco", _pod("builder"), False),
        ("falco", _daemonset(GUARDDUTY_SA), False),  # another namespace's agent
        (GUARDDUTY_NAMESPACE, _pod("falco"), False),
    ],
)
def test_detection_policy_admits_exactly_the_agents(namespace: str, obj: dict[str, Any], admitted: bool) -> None:
    policy, binding = detection_policy(AGENTS)
    selector = binding["spec"]["matchResources"]["namespaceSelector"]
    assert selects(selector, {"kubernetes.io/metadata.name": namespace})
    assert not selects(selector, {"kubernetes.io/metadata.name": "training"})
    assert binding["spec"]["validationActions"] == ["Deny"] and policy["spec"]["failurePolicy"] == "Fail"
    assert (vap_violations(policy, obj, namespace=namespace) == []) is admitted
