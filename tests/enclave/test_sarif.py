"""`enclave preview --format sarif` / `--out-dir` as GitHub code scanning reads it: valid SARIF 2.1.0 (absolute
rule links), one rule per control linking to the line of its heading in RULES.md, every result at the stack-file
line that made the resource (or the program), exemptions as suppressions; and `enclave summary`, the Markdown
job summary from the saved JSON. Three previews in all (module-scoped)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from catalog import CONTROLS
from enclave.cli import app
from enclave.sarif import SRCROOT, fingerprint, heading_lines, rules_uri
from enclave.summary import markdown
from enclave.synth import PROJECT_ROOT
from tests.conftest import EXPIRES, stack_data, write_stack

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-2.1.0.json").read_text(encoding="utf-8"))
RULES_MD = PROJECT_ROOT / "policy_packs" / "hipaa" / "RULES.md"
PROD_CONFIG = PROJECT_ROOT / "policy_packs" / "hipaa" / "config" / "prod.json"
CONSUMER = PROJECT_ROOT / "examples" / "consumer-stack"
NO_GITHUB = dict.fromkeys(("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_WORKSPACE"))
GITHUB = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/gpu-enclave",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    "GITHUB_WORKSPACE": str(PROJECT_ROOT),
}
RULES_URL = "https://github.com/acme/gpu-enclave/blob/v0.1.0/policy_packs/hipaa/RULES.md?plain=1"
EXEMPTION = {
    "control": "LOG-05",
    "name": "prod-flow-logs",
    "reason": "flow logs are exported to the SIEM, which keeps them six years",
    "owner": "security-operations",
    "expires": EXPIRES,
}

FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("uri")
def _absolute_uri(value: object) -> bool:
    """RFC 3986 absolute URI: a scheme, no spaces (jsonschema checks `uri` only with an optional package)."""
    return not isinstance(value, str) or (re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", value) is not None)


def validate(sarif: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(SCHEMA, format_checker=FORMATS).validate(sarif)


def preview(*args: str, env: dict[str, str | None]) -> Any:
    return CliRunner(env=env).invoke(app, ["preview", *args])


UNKNOWN_AT_FIRST_PREVIEW = {"IAM-01", "IAM-10", "S3-06", "S3-07", "S3-08", "S3-11", "DETECT-08"}


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if line.strip().startswith(text))


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """prod in a first preview, with flow logs kept 90 days and a pack config that wants audit groups kept 3653
    days: LOG-05 on the flow logs (exempted), the container-log group and the audit log groups, IAM-01
    unverifiable (advisory in prod); written with --out-dir, the stack file's folder as the checkout
    (GITHUB_WORKSPACE) so its path is relative, no other GitHub variables (file:// rule links)."""
    root = tmp_path_factory.mktemp("failing")
    data = stack_data("prod")
    data["logging"]["retention_days"] = 90
    stack = write_stack(root / "Pulumi.prod.yaml", data)
    config = json.loads(PROD_CONFIG.read_text(encoding="utf-8"))
    config["log-groups-retained"]["minAuditRetentionDays"] = 3653  # CloudWatch's longest
    config["exemptions"] = {"entries": [EXEMPTION]}
    pack_config = root / "pack-config.json"
    pack_config.write_text(json.dumps(config), encoding="utf-8")
    out = root / "out"
    result = preview("--stack", "prod", "--preview", "--config-file", str(stack), "--pack-config", str(pack_config),
                     "--out-dir", str(out), env={**NO_GITHUB, "GITHUB_WORKSPACE": str(root)})  # fmt: skip
    return {"result": result, "stack": stack, "root": root, "out": out,
            "sarif": json.loads((out / "prod.sarif").read_text(encoding="utf-8"))}  # fmt: skip


@pytest.fixture(scope="module")
def consumer(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The consumer example: a program of its own, so no finding has a config line."""
    out = tmp_path_factory.mktemp("consumer")
    result = preview("--project-dir", str(CONSUMER), "--stack", "research", "--pack-config",
                     str(CONSUMER / "policy-pack-config.json"), "-f", "markdown", "--out-dir", str(out),
                     "--rules-url", RULES_URL,
                     env={**NO_GITHUB, "GITHUB_WORKSPACE": str(PROJECT_ROOT)})  # fmt: skip
    return {"result": result, "sarif": json.loads((out / "research.sarif").read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def clean_dev_in_github() -> dict[str, Any]:
    result = preview("--stack", "dev", "-f", "sarif", env={**GITHUB})
    return {"result": result, "sarif": json.loads(result.stdout)}


def test_out_dir_writes_json_and_sarif_of_one_run(failing: dict[str, Any]) -> None:
    result = failing["result"]
    assert result.exit_code == 1, result.output
    assert "prod: FAIL" in result.output and "mandatory LOG-05" in result.stdout, "the plain lines still go to stdout"
    report = json.loads((failing["out"] / "prod.json").read_text(encoding="utf-8"))
    assert report["stack"] == "prod" and report["summary"]["exempted"] == 1 and report["summary"]["mandatory"] >= 1
    run = failing["sarif"]["runs"][0]
    assert len(run["results"]) == len(report["diagnostics"]) + len(report["unverifiable"])
    assert run["automationDetails"]["id"] == "enclave-preview/prod/"


def test_sarif_is_valid_with_absolute_rule_links(failing: dict[str, Any], consumer: dict[str, Any]) -> None:
    validate(failing["sarif"])
    validate(consumer["sarif"])
    with pytest.raises(jsonschema.ValidationError):  # the format check bites: a relative helpUri is refused
        broken = json.loads(json.dumps(failing["sarif"]))
        broken["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = "policy_packs/hipaa/RULES.md#L1"
        validate(broken)


def test_each_control_is_a_rule_linking_to_its_heading_in_rules_md(failing: dict[str, Any]) -> None:
    rules = failing["sarif"]["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(CONTROLS), "one rule per control of the catalog"
    text = RULES_MD.read_text(encoding="utf-8").splitlines()
    for rule in rules:
        control = CONTROLS[rule["id"]]
        uri = rule["helpUri"]
        assert uri.startswith(RULES_MD.as_uri() + "#L"), (rule["id"], uri)
        line = int(uri.rsplit("#L", 1)[1])
        heading = text[line - 1]
        assert heading.startswith("### ") and f'id="{control.anchor}"' in heading, (rule["id"], line, heading)
        assert f"{control.id}: {control.title}" in heading, (rule["id"], heading)
        assert rule["shortDescription"]["text"] == f"{control.id}: {control.title}"
        assert control.remediation in rule["help"]["text"] and control.remediation in rule["help"]["markdown"]
        assert rule["properties"]["citations"] == list(control.citations)
        assert rule["properties"]["severity"] == control.severity and rule["properties"]["security-severity"]


def test_results_point_at_the_stack_file_lines(failing: dict[str, Any]) -> None:
    run = failing["sarif"]["runs"][0]
    stack: Path = failing["stack"]
    assert run["originalUriBaseIds"][SRCROOT]["uri"] == failing["root"].resolve().as_uri() + "/"
    rules = run["tool"]["driver"]["rules"]
    log05 = [r for r in run["results"] if r["ruleId"] == "LOG-05"]
    by_name = {r["locations"][0]["logicalLocations"][0]["name"]: r for r in log05}
    # IAM-01, IAM-10, the ePHI buckets' policy rules and DETECT-08 are unverifiable in a first preview (their
    # documents and filter patterns name the OIDC issuer, the S3 endpoints and roles, which do not exist yet)
    assert {r["ruleId"] for r in run["results"]} == {"LOG-05", *UNKNOWN_AT_FIRST_PREVIEW}
    flow = by_name["prod-flow-logs"]
    assert rules[flow["ruleIndex"]]["id"] == "LOG-05"
    physical = flow["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": stack.name, "uriBaseId": SRCROOT}
    assert physical["region"]["startLine"] == line_of(stack, "retention_days: 90")
    # the container-log group the mesh-drop alarms read keeps retention_days too (issue 21): not exempted
    container = by_name["prod-container-logs"]
    assert container["level"] == "error" and "suppressions" not in container
    assert container["locations"][0]["physicalLocation"]["region"]["startLine"] == line_of(stack, "retention_days: 90")
    audit = [r for name, r in by_name.items() if name not in ("prod-flow-logs", "prod-container-logs")]
    assert audit, "the audit log groups fail the 3653-day minimum"
    for res in audit:
        assert res["level"] == "error" and "suppressions" not in res
        line = res["locations"][0]["physicalLocation"]["region"]["startLine"]
        assert line == line_of(stack, "audit_retention_days:"), res["locations"][0]
        assert res["properties"]["configPath"] == "logging.audit_retention_days"
    for res in run["results"]:
        logical = res["locations"][0]["logicalLocations"][0]
        assert logical["kind"] == "resource" and logical["fullyQualifiedName"] == res["properties"]["urn"]
        expected = fingerprint(res["ruleId"], logical["fullyQualifiedName"])
        assert res["partialFingerprints"] == {"enclaveFinding/v1": expected}
    assert len({fp for r in run["results"] for fp in r["partialFingerprints"].values()}) == len(run["results"])


def test_an_exemption_is_an_accepted_external_suppression(failing: dict[str, Any]) -> None:
    [flow] = [r for r in failing["sarif"]["runs"][0]["results"] if r["properties"]["urn"].endswith("::prod-flow-logs")]
    assert flow["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": EXEMPTION["reason"],
            "properties": {"owner": EXEMPTION["owner"], "expires": EXEMPTION["expires"]},
        }
    ]


def test_an_unverifiable_finding_keeps_its_level_and_says_so(failing: dict[str, Any]) -> None:
    unverifiable = [r for r in failing["sarif"]["runs"][0]["results"] if r["ruleId"] in ("IAM-01", "IAM-10")]
    assert unverifiable, "prod's first preview cannot read a workload role's trust (IAM-01, IAM-10)"
    for res in unverifiable:
        assert res["properties"]["unverifiable"] is True and res["properties"]["enforcementLevel"] == "advisory"
        assert res["level"] == "warning" and "UNVERIFIABLE at preview" in res["message"]["text"]
        assert res["locations"][0]["physicalLocation"]["region"]["startLine"] > 1
    for res in failing["sarif"]["runs"][0]["results"]:
        assert res["properties"]["unverifiable"] is (res["ruleId"] in UNKNOWN_AT_FIRST_PREVIEW)


def test_a_finding_without_a_config_line_points_at_the_programs_line(consumer: dict[str, Any]) -> None:
    assert consumer["result"].exit_code == 0, consumer["result"].output
    run = consumer["sarif"]["runs"][0]
    assert {r["ruleId"] for r in run["results"]} == {"IAM-05", "LOG-03", "DETECT-08"}
    program = (PROJECT_ROOT / "examples" / "consumer-stack" / "__main__.py").read_text(encoding="utf-8").splitlines()
    calls = {"IAM-05": "identity = WorkloadIdentity(", "LOG-03": "bucket = EncryptedBucket(",
             "DETECT-08": "bucket = EncryptedBucket("}  # fmt: skip
    for res in run["results"]:
        physical = res["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"] == {
            "uri": "examples/consumer-stack/__main__.py",
            "uriBaseId": SRCROOT,
        }, res["properties"]["urn"]
        # the consumer's own call of the component that made the resource
        assert program[physical["region"]["startLine"] - 1].startswith(calls[res["ruleId"]]), physical
        assert res["level"] == "warning" and res["properties"]["enforcementLevel"] == "advisory"


def test_rules_url_is_the_base_of_every_rule_link(consumer: dict[str, Any]) -> None:
    lines = heading_lines(RULES_MD)
    for rule in consumer["sarif"]["runs"][0]["tool"]["driver"]["rules"]:
        assert rule["helpUri"] == f"{RULES_URL}#L{lines[CONTROLS[rule['id']].anchor]}", rule["id"]


def test_format_markdown_is_the_summary_of_the_run(consumer: dict[str, Any]) -> None:
    text = consumer["result"].stdout
    assert text.startswith("## HIPAA policy preview\n")
    assert "| `research` | ✅ pass | 0 | 3 | 0 | 0 |" in text and "failing controls" not in text


def test_the_clean_dev_stack_in_github_actions(clean_dev_in_github: dict[str, Any]) -> None:
    assert clean_dev_in_github["result"].exit_code == 0, clean_dev_in_github["result"].output
    sarif = clean_dev_in_github["sarif"]
    validate(sarif)
    run = sarif["runs"][0]
    assert run["results"] == [] and run["originalUriBaseIds"][SRCROOT]["uri"] == PROJECT_ROOT.as_uri() + "/"
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(CONTROLS)
    lines = heading_lines(RULES_MD)
    base = f"https://github.com/acme/gpu-enclave/blob/{GITHUB['GITHUB_SHA']}/policy_packs/hipaa/RULES.md?plain=1#L"
    for rule in rules:
        assert rule["helpUri"] == base + str(lines[CONTROLS[rule["id"]].anchor]), rule["id"]


def test_rules_url_wins_and_outside_the_checkout_is_a_file_uri(tmp_path: Path) -> None:
    env = {**GITHUB}
    assert (
        rules_uri(RULES_MD, 87, "https://docs.example.com/RULES.md#old", env) == "https://docs.example.com/RULES.md#L87"
    )
    elsewhere = tmp_path / "RULES.md"
    assert rules_uri(elsewhere, 9, None, env) == f"{elsewhere.resolve().as_uri()}#L9"
    assert rules_uri(RULES_MD, None, None, {}) == RULES_MD.resolve().as_uri()


def test_summary_of_saved_reports(failing: dict[str, Any], tmp_path: Path) -> None:
    report = failing["out"] / "prod.json"
    clean = tmp_path / "dev.json"
    data = json.loads(report.read_text(encoding="utf-8"))
    zero = dict.fromkeys(("mandatory", "exempted", "unverifiable"), 0)
    dev = {**data, "stack": "dev", "diagnostics": [], "unverifiable": [], "summary": {**data["summary"], **zero}}
    clean.write_text(json.dumps(dev), encoding="utf-8")
    result = CliRunner().invoke(app, ["summary", str(clean), str(report)])
    assert result.exit_code == 0, result.output
    s = data["summary"]
    text = result.stdout
    assert "| `dev` | ✅ pass | 0 | 0 | 0 | 0 |" in text
    assert f"| `prod` | ❌ FAIL | {s['mandatory']} | {s['advisory']} | 1 | {s['unverifiable']} |" in text
    failing_rows = [line for line in text.splitlines() if line.startswith("| **")]
    assert failing_rows == [
        f"| **LOG-05** | {CONTROLS['LOG-05'].title} | {s['mandatory']} | "
        f"{failing_rows[0].split(' | ')[3].split(' (')[0]} (`{failing['stack']}:"
        f"{line_of(failing['stack'], 'audit_retention_days:')}` logging.audit_retention_days) |"
    ], text
    assert "prod-flow-logs" not in text, "the exempted finding does not fail the stack"


def test_summary_of_a_file_that_is_no_report_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("[]")
    for path in (bad, tmp_path / "missing.json"):
        result = CliRunner().invoke(app, ["summary", str(path)])
        assert result.exit_code == 2 and str(path) in result.output and "Traceback" not in result.output


def test_summary_cells_cannot_break_the_table() -> None:
    finding = {"control": "X-01", "title": "a | b\nc", "enforcementLevel": "mandatory", "urn": "urn:a::b|c",
               "config": {"file": "stacks/Pulumi.x.yaml", "line": 3, "path": "buckets[0] (data)"}}  # fmt: skip
    report = {"stack": "x", "summary": {"mandatory": 1}, "diagnostics": [finding], "unverifiable": []}
    rows = [line for line in markdown([report]).splitlines() if line.startswith("| **X-01**")]
    assert rows == ["| **X-01** | a \\| b c | 1 | b\\|c (`stacks/Pulumi.x.yaml:3` buckets[0] (data)) |"]
