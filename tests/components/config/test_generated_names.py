"""Every name the program generates fits the provider's limit whenever the stack file validates: prod with
every config name as long as validation lets it be is synthesized, and every physical name (auto-names with
Pulumi's 7-character suffix included) is checked against AWS's and Kubernetes' limits; one character more is
refused at validation, naming the config entry, the generated name and the limit."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from components.config import ConfigError, validate_platform
from components.config.names import generated_names
from components.platform import team_bucket_prefix
from enclave.synth import synth
from tests.conftest import stack_data, write_stack

# (resource type, property) -> the longest name AWS / Kubernetes accepts there
LIMITS = {
    ("aws:s3/bucket:Bucket", "bucket"): 63,
    ("aws:iam/role:Role", "name"): 64,
    ("aws:iam/policy:Policy", "name"): 128,
    ("aws:iam/rolePolicy:RolePolicy", "name"): 128,
    ("aws:cloudwatch/logGroup:LogGroup", "name"): 512,
    ("aws:cloudtrail/trail:Trail", "name"): 128,
    ("aws:eks/cluster:Cluster", "name"): 100,
    ("aws:eks/nodeGroup:NodeGroup", "nodeGroupName"): 63,
    ("aws:ec2/placementGroup:PlacementGroup", "name"): 255,
    ("aws:ec2/launchTemplate:LaunchTemplate", "name"): 128,
    ("aws:ec2/securityGroup:SecurityGroup", "name"): 255,
    ("aws:kms/alias:Alias", "name"): 256,
    ("aws:secretsmanager/secret:Secret", "name"): 512,
}
K8S_NAME, K8S_LABEL = 253, 63


def _long(base: str, length: int) -> str:
    text = (base + "-" + "abcdefghijklmnopqrstuvwxyz" * 3)[:length]
    return text[:-1] + "z" if text.endswith("-") else text


def longest_prod() -> dict[str, Any]:
    """Prod with every name as long as the schema and the generated-name budgets allow together."""
    data = copy.deepcopy(stack_data("prod"))
    data["environment"] = _long("prod", 24)
    zones = {z["name"]: _long(z["name"], 24) for z in data["zones"]}
    for z in data["zones"]:
        z["name"] = zones[z["name"]]
    for pool in data["node_pools"]:
        pool["zone"] = zones[pool["zone"]]
        pool["name"] = _long(pool["name"], 63 - len("-node-group-xxxxxxx") - 1 - 24)
    buckets = {}
    for b in data["buckets"]:
        b["zone"] = zones.get(b.get("zone", ""), b.get("zone"))
        room = 63 - len("-bucket-xxxxxxx") - 1 - 24 - (len("-access") if b["purpose"] == "audit-logs" else 0)
        replicated = b["purpose"] in ("datasets", "models") and b.get("stage", "production") == "production"
        room -= len("replica-") if replicated else 0  # prod's backups: `<environment>-replica-<bucket>-bucket-...`
        buckets[b["name"]] = _long(b["name"], room)
        b["name"] = buckets[b["name"]]
    for ident in data["identities"]:
        ident["zone"] = zones[ident["zone"]]
        ident["name"] = _long(ident["name"], 24)
        for grant in ident["grants"]:
            grant["bucket"] = buckets[grant["bucket"]]
    data["images"]["repositories"] = {zones[z]: names for z, names in data["images"]["repositories"].items()}
    for flow in data["flows"]:
        flow["from"], flow["to"] = zones[flow["from"]], zones[flow["to"]]
    for secret in data["secrets"]["secrets"]:
        secret["zone"] = zones[secret["zone"]]
        secret["name"] = _long(secret["name"], 63)
    # a team zone's bucket prefix `<environment>-<zone>-` leaves room for a one-letter bucket name
    data["team_zones"] = [_long("vision", 63 - len("-b-bucket-xxxxxxx") - 1 - 24)]
    return data


def physical_names(records: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """(what, name, limit) of every name-bearing property the program registered."""
    out = []
    for r in records:
        for (rtype, prop), limit in LIMITS.items():
            value = r["inputs"].get(prop) if r["type"] == rtype else None
            if isinstance(value, str):
                out.append((f"{rtype}.{prop} of {r['name']}", value, limit))
        meta = r["inputs"].get("metadata") if r["type"].startswith("kubernetes:") else None
        if isinstance(meta, dict):
            name = meta.get("name")
            limit = K8S_LABEL if r["type"].endswith(":Namespace") or r["type"].endswith(":Service") else K8S_NAME
            if isinstance(name, str):
                out.append((f"{r['type']} {r['name']}", name, limit))
            for key, value in (meta.get("labels") or {}).items():
                if isinstance(value, str):
                    out.append((f"label {key} of {r['name']}", value, K8S_LABEL))
    return out


def test_the_longest_names_validation_accepts_fit_every_provider_limit(tmp_path: Path) -> None:
    data = longest_prod()
    validate_platform(data)
    path = write_stack(tmp_path / "Pulumi.prod.yaml", data)
    result = synth("prod", config_file=path)
    names = physical_names(result.resources)
    assert len(names) > 100
    too_long = [(what, name, len(name), limit) for what, name, limit in names if len(name) > limit]
    assert not too_long, too_long
    # the budgets are tight: the longest bucket, node role and node group names reach their limits exactly
    lengths = {what.split(".")[0].split(" ")[0]: 0 for what, _, _ in names}
    for what, name, _ in names:
        key = what.split(".")[0].split(" ")[0]
        lengths[key] = max(lengths[key], len(name))
    assert lengths["aws:s3/bucket:Bucket"] == 63 and lengths["aws:eks/nodeGroup:NodeGroup"] == 63


@pytest.mark.parametrize(
    ("where", "edit"),
    [
        ("buckets[1].name", lambda d: _rename_bucket(d, 1, d["buckets"][1]["name"] + "q")),
        ("buckets[0].name", lambda d: _rename_bucket(d, 0, d["buckets"][0]["name"] + "q")),
        ("node_pools[0].name", lambda d: d["node_pools"][0].update(name=d["node_pools"][0]["name"] + "q")),
    ],
)
def test_one_character_more_is_refused_at_validation(where: str, edit: Any) -> None:
    data = longest_prod()
    edit(data)
    with pytest.raises(ConfigError) as info:
        validate_platform(data, "Pulumi.prod.yaml")
    [problem] = info.value.problems
    rendered = problem.render()
    assert f"gpu-enclave:platform.{where} = " in rendered and "x's are Pulumi's random suffix" in rendered
    assert re.search(r"AWS allows 6[34]: shorten this name or `environment` by 1 character$", rendered), rendered


def _rename_bucket(data: dict[str, Any], index: int, new: str) -> None:
    old = data["buckets"][index]["name"]
    data["buckets"][index]["name"] = new
    for ident in data["identities"]:
        for grant in ident["grants"]:
            if grant["bucket"] == old:
                grant["bucket"] = new


def test_every_generated_name_the_check_knows_is_one_the_program_makes(tmp_path: Path) -> None:
    """The check's formats are the program's: each name it predicts (its random suffix aside) is the prefix of a
    physical name the synthesized stack really has (a team zone's buckets are made by the team's own stack,
    components.TeamZone, with the same prefix: components.platform.team_bucket_prefix)."""
    data = longest_prod()
    cfg = validate_platform(data)
    path = write_stack(tmp_path / "Pulumi.prod.yaml", data)
    physical = [name for _, name, _ in physical_names(synth("prod", config_file=path).resources)]
    for g in generated_names(cfg):
        if g.loc[0] == "team_zones":
            assert g.name.startswith(team_bucket_prefix(cfg.environment, cfg.team_zones[int(g.loc[1])]))
            continue
        if not g.name.endswith("-xxxxxxx"):  # named explicitly (node roles): exactly that name
            assert g.name in physical, g
            continue
        stem = g.name.removesuffix("-xxxxxxx")
        assert any(re.fullmatch(re.escape(stem) + r"-[0-9a-f]{7}", name) for name in physical), g
