"""validate, schema, diff, --version, render's summary and plain lines when piped."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml
from typer.testing import CliRunner

from enclave.cli import app
from enclave.schema import EDITOR_COMMENT, config_reference, stack_file_schema
from enclave.synth import PROJECT_ROOT
from tests.conftest import stack_data, write_stack


def invoke(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def test_validate_every_stack() -> None:
    result = invoke("validate")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "dev: valid (stacks/Pulumi.dev.yaml)",
        "prod: valid (stacks/Pulumi.prod.yaml)",
        "staging: valid (stacks/Pulumi.staging.yaml)",
    ]


def test_validate_reports_every_bad_stack_and_exits_2(tmp_path: Path) -> None:
    data = stack_data("prod")
    data["logging"]["retention_days"] = 17
    path = write_stack(tmp_path / "Pulumi.prod.yaml", data)
    result = invoke("validate", "--stack", "prod", "--config-file", str(path))
    assert result.exit_code == 2 and "logging.retention_days = 17" in result.output
    assert "1 of 1 stack files invalid" in result.output
    assert invoke("validate", "--config-file", str(path)).exit_code == 2  # a file needs its stack name
    assert invoke("validate", "--stack", "prod", "--all").exit_code == 2


def test_schema_is_current_and_shipped_stacks_point_at_it() -> None:
    shipped = json.loads((PROJECT_ROOT / "schema" / "stack.schema.json").read_text(encoding="utf-8"))
    assert shipped == stack_file_schema(), "schema/stack.schema.json is stale: run `make schema`"
    reference = (PROJECT_ROOT / "docs" / "config-reference.md").read_text(encoding="utf-8")
    assert reference == config_reference(), "docs/config-reference.md is stale: run `make schema`"
    jsonschema.Draft202012Validator.check_schema(shipped)
    for path in sorted((PROJECT_ROOT / "stacks").glob("Pulumi.*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert text.splitlines()[0] == EDITOR_COMMENT, path
        jsonschema.validate(yaml.safe_load(text), shipped)
    result = invoke("schema")
    assert result.exit_code == 0 and json.loads(result.stdout) == shipped


def test_schema_refuses_what_the_config_refuses() -> None:
    schema = stack_file_schema()
    doc = {"config": {"gpu-enclave:platform": {**stack_data("prod"), "regoin": "us-east-1"}}}
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    assert any("regoin" in e.message for e in errors)


def test_diff_lists_added_removed_and_changed() -> None:
    result = invoke("diff", "staging", "prod", "-f", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    added = {(a["type"], a["name"]) for a in report["added"]}
    assert ("aws:ec2/placementGroup:PlacementGroup", "train-p5-placement") in added
    changed = {(c["type"], c["name"]): c["changes"] for c in report["changed"]}
    retention = changed[("aws:cloudwatch/logGroup:LogGroup", "flow-logs")]
    assert {"path": "retentionInDays", "a": 90, "b": 365} in retention  # logging.retention_days 90 -> 365
    s = report["summary"]
    assert s["added"] == len(report["added"]) and s["changed"] == len(report["changed"]) and s["unchanged"] > 0
    lines = invoke("diff", "staging", "prod")
    assert lines.exit_code == 0 and any(line.startswith("+ ") for line in lines.stdout.splitlines())
    assert "staging -> prod:" in lines.output


def test_diff_of_a_stack_with_itself_is_empty() -> None:
    report = json.loads(invoke("diff", "dev", "dev", "-f", "json").stdout)
    assert report["added"] == report["removed"] == report["changed"] == []


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.startswith("enclave 0.1.0 (gpu-enclave; pulumi 3.272.0")


def test_render_says_what_it_wrote(tmp_path: Path) -> None:
    result = invoke("render", "--stack", "dev", "--out", str(tmp_path / "m"))
    assert result.exit_code == 0
    written = result.stdout.split()
    assert written and f"dev: wrote {len(written)} files to {tmp_path / 'm'}" in result.output


def test_preview_prints_plain_lines_when_piped(tmp_path: Path) -> None:
    data = stack_data("prod")
    data["logging"]["retention_days"] = 90
    path = write_stack(tmp_path / "Pulumi.prod.yaml", data)
    result = invoke("preview", "--stack", "prod", "--config-file", str(path))
    assert result.exit_code == 1
    first = result.stdout.splitlines()[0]
    assert first.startswith("mandatory LOG-05 prod-flow-logs: LogGroup 'prod-flow-logs'")
    assert "| edit " in first and "logging.retention_days" in first
    assert "┃" not in result.stdout and result.stdout.splitlines()[-1].startswith("prod: FAIL")


def test_flags_show_as_flags_in_help() -> None:
    result = CliRunner().invoke(app, ["synth", "--help"], env={"COLUMNS": "120"})
    line = next(line for line in result.stdout.splitlines() if "--preview" in line)
    assert "<bool>" not in line


def test_validate_a_project_with_its_own_program(tmp_path: Path) -> None:
    consumer = PROJECT_ROOT / "examples" / "consumer-stack"
    result = invoke("validate", "--project-dir", str(consumer))
    assert (
        result.exit_code == 0
        and result.stdout.strip() == "research: valid (examples/consumer-stack/Pulumi.research.yaml)"
    )
    bad = tmp_path / "Pulumi.research.yaml"
    bad.write_text((consumer / "Pulumi.research.yaml").read_text().replace("purpose: datasets", "purpose: dataset"))
    result = invoke("validate", "--project-dir", str(consumer), "--stack", "research", "--config-file", str(bad))
    assert result.exit_code == 2 and "enclave-consumer:bucket.purpose = 'dataset'" in result.output
