"""`enclave preview`: what a user runs before `pulumi up`. Exit 0 with no mandatory finding, 1 with any, 2 for
bad input (no traceback, nothing written); table, JSON and SARIF (valid against the SARIF 2.1.0 schema); every
finding says control, resource, config entry with its line, and the fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from catalog import CONTROLS
from enclave.cli import app
from enclave.synth import PROJECT_ROOT
from framework.rules import load_all
from tests.conftest import EXPIRES, stack_data, write_stack

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-2.1.0.json").read_text(encoding="utf-8"))
PROD_CONFIG = PROJECT_ROOT / "policy_packs" / "hipaa" / "config" / "prod.json"


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, ["preview", *args])


def prod_pack_config(tmp_path: Path, **changes: Any) -> Path:
    config = json.loads(PROD_CONFIG.read_text(encoding="utf-8"))
    config.update(changes)
    path = tmp_path / "pack-config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def weakened_prod(tmp_path: Path) -> Path:
    """prod with flow logs kept 90 days: valid config, below the prod pack's 365-day minimum (LOG-05)."""
    data = stack_data("prod")
    data["logging"]["retention_days"] = 90
    return write_stack(tmp_path / "Pulumi.prod.yaml", data)


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if line.strip().startswith(text))


def test_prod_passes_with_its_pack_config(synthed: Any) -> None:
    result = invoke("--stack", "prod")
    assert result.exit_code == 0, result.output
    assert "no findings" in result.output
    resources, policies = len(synthed("prod").resources), len(load_all()) + 1  # + the exemptions policy
    assert f"prod: pass - {resources} resources, {policies} policies (gpu-enclave-hipaa@0.1.0): 0 mandatory" in (
        result.output
    )
    assert "config/prod.json" in result.output


def test_a_weakened_stack_fails_and_says_what_to_edit(tmp_path: Path) -> None:
    stack = weakened_prod(tmp_path)
    result = invoke("--stack", "prod", "--config-file", str(stack), "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    # the flow logs and the container-log group the mesh-drop alarms read (issue 21) both keep retention_days
    assert report["summary"]["mandatory"] == 2 and "prod: FAIL" in result.stderr
    findings = {f["urn"].rpartition("::")[2]: f for f in report["diagnostics"]}
    assert set(findings) == {"prod-flow-logs", "prod-container-logs"}
    line = line_of(stack, "retention_days: 90")
    for name, finding in findings.items():
        assert finding["control"] == "LOG-05" and finding["policyName"] == "log-groups-retained"
        assert finding["enforcementLevel"] == "mandatory" and finding["severity"] == "high"
        assert finding["citations"] == ["164.312(b)"]
        assert f"LogGroup '{name}'" in finding["message"] and "kept 90 days" in finding["message"]
        assert "\nFix: " in finding["message"] and finding["remediation"]
        assert finding["config"] == {"file": str(stack), "line": line, "path": "logging.retention_days"}


def test_table_names_control_resource_config_line_and_fix(tmp_path: Path) -> None:
    stack = weakened_prod(tmp_path)
    out = tmp_path / "report.txt"
    result = invoke("--stack", "prod", "--config-file", str(stack), "--out", str(out))
    assert result.exit_code == 1
    text = out.read_text(encoding="utf-8")
    assert "LOG-05 Logs are kept for the organisation's retention period [high] 45 CFR 164.312(b)" in text
    assert "LogGroup 'prod-flow-logs'" in text
    assert f"edit {stack}:{line_of(stack, 'retention_days: 90')} logging.retention_days" in text
    assert "Fix: " in text and "prod: FAIL" in text


def test_sarif_is_valid_and_points_at_the_config_line(tmp_path: Path) -> None:
    stack = weakened_prod(tmp_path)
    out = tmp_path / "enclave.sarif"
    result = invoke("--stack", "prod", "--config-file", str(stack), "-f", "sarif", "-o", str(out))
    assert result.exit_code == 1
    sarif = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(sarif, SCHEMA)
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(CONTROLS), "a rule per control of the catalog, in id order"
    names = set()
    for res in run["results"]:
        assert res["ruleId"] == "LOG-05" and rules[res["ruleIndex"]]["id"] == "LOG-05" and res["level"] == "error"
        location = res["locations"][0]["physicalLocation"]
        assert location["region"]["startLine"] == line_of(stack, "retention_days: 90")
        names.add(res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].rpartition("::")[2])
    assert names == {"prod-flow-logs", "prod-container-logs"} and len(run["results"]) == 2


def test_sarif_of_the_repository_stack_uses_a_relative_path() -> None:
    result = invoke("--stack", "dev", "-f", "sarif")
    assert result.exit_code == 0
    sarif = json.loads(result.stdout)
    jsonschema.validate(sarif, SCHEMA)
    assert sarif["runs"][0]["results"] == []
    assert sarif["runs"][0]["properties"]["summary"]["mandatory"] == 0


def test_an_exemption_keeps_the_finding_but_not_the_failure(tmp_path: Path) -> None:
    entry = {
        "control": "LOG-05",
        "name": "prod-flow-logs",
        "reason": "flow logs are exported to the SIEM, which keeps them six years",
        "owner": "security-operations",
        "expires": EXPIRES,
    }
    # the container-log group also keeps retention_days (issue 21): it is shipped to the same SIEM
    logs = {**entry, "name": "prod-container-logs", "reason": "container logs are exported to the SIEM too"}
    pack_config = prod_pack_config(tmp_path, exemptions={"entries": [entry, logs]})
    result = invoke("--stack", "prod", "--config-file", str(weakened_prod(tmp_path)), "--pack-config",
                    str(pack_config), "-f", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["exempted"] == 2 and report["summary"]["mandatory"] == 0
    [finding] = [f for f in report["diagnostics"] if f["urn"].endswith("::prod-flow-logs")]
    assert finding["exempted"] and finding["message"].startswith(
        f"EXEMPTED until {EXPIRES} (owner security-operations)"
    )
    assert finding["exemption"] == {"expires": EXPIRES, "owner": "security-operations", "reason": entry["reason"]}


def test_dev_remediates_nothing_it_does_not_change() -> None:
    result = invoke("--stack", "dev", "-f", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["remediations"] == [] and report["summary"]["mandatory"] == 0


def test_a_consumer_stack_with_its_own_pack_config() -> None:
    project = PROJECT_ROOT / "examples" / "consumer-stack"
    args = ("--project-dir", str(project), "--stack", "research", "-f", "json")
    result = invoke(*args, "--pack-config", str(project / "policy-pack-config.json"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {d["control"] for d in report["diagnostics"]} == {"IAM-05", "LOG-03", "DETECT-08"}
    assert {d["enforcementLevel"] for d in report["diagnostics"]} == {"advisory"}
    # no stack-file entry made them: each points at the consumer's own call of the component that did
    lines = (project / "__main__.py").read_text(encoding="utf-8").splitlines()
    calls = {"IAM-05": "identity = WorkloadIdentity(", "LOG-03": "bucket = EncryptedBucket(",
             "DETECT-08": "bucket = EncryptedBucket("}  # fmt: skip
    for d in report["diagnostics"]:
        assert d["config"] == {}, d
        assert d["source"]["file"] == "examples/consumer-stack/__main__.py", d
        assert lines[d["source"]["line"] - 1].startswith(calls[d["control"]]), d
    # without it, the same three findings are mandatory: every policy defaults to mandatory
    assert invoke(*args).exit_code == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object of policy names"),
        ('{"s3-bucket-versioned": "strict"}', "s3-bucket-versioned = 'strict': one of advisory, mandatory"),
        ('{"no-such-policy": "advisory"}', "no policy named no-such-policy"),
        ('{"log-groups-retained": {"minRetentionDays": "a year"}}', "log-groups-retained.minRetentionDays = 'a year'"),
        ('{"log-groups-retained": {"minRetentionDay": 365}}', "minRetentionDay is not a setting of this policy"),
        ('{"exemptions": {"entries": [{"control": "S3-09"}]}}', "exemptions.entries"),
    ],
)
def test_a_bad_pack_config_exits_2_and_names_the_problem(tmp_path: Path, content: str | None, expected: str) -> None:
    path = tmp_path / "pack.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    out = tmp_path / "report.json"
    result = invoke("--stack", "dev", "--pack-config", str(path), "-f", "json", "-o", str(out))
    assert result.exit_code == 2, result.output
    assert expected in result.output and str(path) in result.output and "Traceback" not in result.output
    assert not out.exists(), "nothing is written for bad input"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--stack", "qa"), "no stack 'qa'"),
        (("--stack", "dev", "--pack", "components"), "not a policy pack"),
        (("--stack", "dev", "--format", "xml"), "'xml' is not one of"),
    ],
)
def test_bad_arguments_exit_2(args: tuple[str, ...], expected: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert expected in result.output and "Traceback" not in result.output


def test_an_invalid_stack_config_exits_2_with_file_and_line(tmp_path: Path) -> None:
    data = stack_data("prod")
    data["logging"]["retention_days"] = 17
    path = write_stack(tmp_path / "Pulumi.prod.yaml", data)
    result = invoke("--stack", "prod", "--config-file", str(path))
    assert result.exit_code == 2
    assert "logging.retention_days" in result.output and "Traceback" not in result.output
