"""`enclave reach`: the declared connectivity, and the access paths no NetworkPolicy governs."""

from __future__ import annotations

from typer.testing import CliRunner

from components.config import validate_platform
from enclave.cli import app
from enclave.reach import access_paths
from tests.conftest import stack_data


def test_notebooks_way_in_is_listed_with_its_groups() -> None:
    cfg = validate_platform(stack_data("prod"))
    assert access_paths(cfg) == ["kube-apiserver -> notebooks: kubectl port-forward, groups ml-research"]


def test_no_way_in_without_data_scientist_groups() -> None:
    data = stack_data("prod")
    data["zones"][3]["access"] = {}
    data["cluster"]["group_access"] = [g for g in data["cluster"]["group_access"] if g["groups"] != ["ml-research"]]
    for zone in data["zones"]:
        zone.get("access", {}).pop("data_scientist_groups", None)
        zone.get("access", {}).get("service_accounts", {}).pop("ml-research", None)
    assert access_paths(validate_platform(data)) == []


def test_cli_prints_connections_then_access_paths() -> None:
    result = CliRunner().invoke(app, ["reach", "--stack", "prod"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1] == "kube-apiserver -> notebooks: kubectl port-forward, groups ml-research"
    assert "notebooks -> 10.60.16.0/24: TCP:3128" in lines
    assert not any(line.startswith("inference -> notebooks") for line in lines), "no zone reaches notebooks"
