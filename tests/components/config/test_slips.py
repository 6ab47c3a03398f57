"""Common slips get one clear problem each: a duplicate name is one problem, not an echo in every rule that
looks the name up; ports take the same shapes wherever they are listed."""

from __future__ import annotations

import pytest

from components.config import ConfigError, validate_platform
from components.k8s.network_policies import np_port
from tests.conftest import stack_data


def problems(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate_platform(data, "Pulumi.prod.yaml")
    return [p.render() for p in info.value.problems]


@pytest.mark.parametrize(
    ("section", "index", "other"),
    [("zones", 2, "training"), ("node_pools", 2, "train-p5"), ("buckets", 2, "datasets"), ("identities", 1, "trainer")],
)
def test_a_duplicate_name_is_one_problem(section: str, index: int, other: str) -> None:
    data = stack_data("prod")
    data[section][index]["name"] = other
    found = problems(data)
    assert len(found) == 1, found
    assert f"{section}[{index}].name" in found[0] and "already used at" in found[0]


def test_ports_are_numbers_or_objects_in_flows_and_egress() -> None:
    data = stack_data("prod")
    data["flows"][0]["ports"] = [8080, {"port": 9000, "end_port": 9010, "protocol": "UDP"}]
    data["zones"][1]["egress"]["ports"] = [443, {"port": 8443, "end_port": 8444}]
    cfg = validate_platform(data)
    flow_ports = [np_port(p) for p in cfg.flows[0].ports]
    egress_ports = [np_port(p) for p in cfg.zones[1].egress.ports]
    assert flow_ports == [{"protocol": "TCP", "port": 8080}, {"protocol": "UDP", "port": 9000, "endPort": 9010}]
    assert egress_ports == [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 8443, "endPort": 8444}]


@pytest.mark.parametrize("bad", [True, "443", 0, 70000, {"prt": 443}])
def test_a_bad_port_names_itself(bad: object) -> None:
    data = stack_data("prod")
    data["zones"][1]["egress"]["ports"] = [bad]
    found = problems(data)
    assert found and all("zones[1].egress.ports[0]" in f for f in found), found
