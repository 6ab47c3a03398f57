"""No green that was not earned (issue 19): the gate cannot be switched off quietly through its own config.

A control-wide exemption is refused (the README: "a control-wide waiver is refused"), exemptions cannot run
for years or carry unknown keys, a disabled or advisory-only policy is reported as not enforced in every output
and a stack's pack config can forbid it, the pack config's JSON is read strictly (duplicate keys, numbers out of
range), findings about the pack config point at the pack config, and saved reports whose counts disagree with
their findings are refused."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from google.protobuf import json_format
from typer.testing import CliRunner

from enclave.cli import app
from enclave.preview import PACK_DIR, pack_config_for, read_pack_config
from enclave.synth import PROJECT_ROOT
from tests.conftest import EXPIRES, stack_data, write_stack

PROD_CONFIG = PACK_DIR / "config" / "prod.json"
SARIF_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-2.1.0.json").read_text(encoding="utf-8"))


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def prod_config(tmp_path: Path, name: str = "pack-config.json", **changes: Any) -> Path:
    config = json.loads(PROD_CONFIG.read_text(encoding="utf-8"))
    config.update(changes)
    path = tmp_path / name
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


def line_of(path: Path, text: str, nth: int = 1) -> int:
    hits = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line]
    return hits[nth - 1]


def entry(**fields: str) -> dict[str, str]:
    return {"reason": "the bucket holds no ePHI and is emptied nightly", "owner": "ml-platform", "expires": EXPIRES,
            **fields}  # fmt: skip


def weakened(tmp_path: Path) -> Path:
    """prod with versioning-free... no: with force_destroy on every artifact bucket (RECOVER-02 on each)."""
    data = stack_data("prod")
    for bucket in data["buckets"]:
        if bucket["purpose"] != "audit-logs":
            bucket["force_destroy"] = True
    return write_stack(tmp_path / "Pulumi.prod.yaml", data)


# ----- exemptions ---------------------------------------------------------------------------------------------
def test_a_control_wide_waiver_is_refused_and_exempts_nothing(tmp_path: Path) -> None:
    """`name: "*"`, a URN pattern that covers every resource a control checks, and one covering more resources
    than maxResources are refused (mandatory, at the pack config's entry); the findings the last one had exempted
    before the stack was known are reported again, mandatory: a refused exemption exempts nothing."""
    stack = weakened(tmp_path)
    config = prod_config(tmp_path, exemptions={"minimumLevel": "mandatory", "maxResources": 3, "entries": [
        entry(control="RECOVER-02", name="*"),
        entry(control="S3-05", urn="*prod*"),
        entry(control="RECOVER-02", name="prod-*-bucket"),
    ]})  # fmt: skip
    result = invoke("preview", "--stack", "prod", "--config-file", str(stack), "--pack-config", str(config),
                    "-f", "json")  # fmt: skip
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    gate = {d["config"]["path"]: d for d in report["diagnostics"] if d["policyName"] == "exemptions"}
    star, everything, many = (gate[f"exemptions.entries[{i}]"] for i in range(3))
    assert "name='*' matches every resource: a control-wide waiver is refused" in star["message"]
    assert "urn=*prod* covers all 9 resources S3-05 checks: a control-wide waiver is refused" in everything["message"]
    assert "covers 9 resources RECOVER-02 checks, more than maxResources (3)" in many["message"]
    for d, nth in ((star, 1), (everything, 1), (many, 2)):
        assert d["enforcementLevel"] == "mandatory" and d["config"]["file"] == str(config)
        control = "RECOVER-02" if d is not everything else "S3-05"
        lines = config.read_text(encoding="utf-8").splitlines()
        opening = max(i for i in range(line_of(config, f'"control": "{control}"', nth)) if lines[i - 1].strip() == "{")
        assert d["config"]["line"] == opening, "the entry's own line in the pack config"
    stands = [d for d in report["diagnostics"] if d["control"] == "RECOVER-02" and not d["exempted"]]
    assert {d["urn"].rsplit("::", 1)[1] for d in stands} == {
        f"prod-{b}-bucket" for b in ("datasets", "checkpoints", "models-prod", "models-staging")
    }
    assert all(d["enforcementLevel"] == "mandatory" and "is refused" in d["message"] for d in stands)


def test_an_exemption_covers_at_most_max_resources(tmp_path: Path) -> None:
    stack = weakened(tmp_path)
    named = entry(control="RECOVER-02", name="prod-[dcm]*-bucket")  # four of the six buckets
    config = prod_config(tmp_path, exemptions={"entries": [named], "maxResources": 3})
    result = invoke("preview", "--stack", "prod", "--config-file", str(stack), "--pack-config", str(config),
                    "-f", "json")  # fmt: skip
    report = json.loads(result.stdout)
    [refused] = [d for d in report["diagnostics"] if d["policyName"] == "exemptions"]
    assert "covers 4 resources RECOVER-02 checks, more than maxResources (3)" in refused["message"]
    config = prod_config(tmp_path, exemptions={"entries": [named], "maxResources": 4})
    result = invoke("preview", "--stack", "prod", "--config-file", str(stack), "--pack-config", str(config),
                    "-f", "json")  # fmt: skip
    report = json.loads(result.stdout)
    assert report["summary"]["exempted"] == 4 and report["summary"]["mandatory"] == 0, report["summary"]


def test_an_exemption_runs_at_most_max_waiver_days(tmp_path: Path) -> None:
    stack = weakened(tmp_path)
    far = entry(control="RECOVER-02", name="prod-datasets-bucket", expires="9999-12-31")
    config = prod_config(tmp_path, exemptions={"entries": [far]})
    result = invoke("preview", "--stack", "prod", "--config-file", str(stack), "--pack-config", str(config))
    assert result.exit_code == 1
    latest = (datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=365)).isoformat()
    assert f"expires = '9999-12-31': at most 365 days ahead (maxWaiverDays), i.e. {latest} or sooner" in result.output
    assert f"edit {config}:" in result.output, "the finding points at the pack config, not the stack file"


@pytest.mark.parametrize(
    ("exemptions", "expected"),
    [
        ({"entries": [entry(control="S3-05", name="b", approved_by="me")]}, "exemptions.entries[0] = {'reason'"),
        ({"entries": [], "maxWaiverDays": 100000}, "exemptions.maxWaiverDays = 100000: 100000 is greater than"),
        ({"entries": [], "minimumLevel": "sometimes"}, "exemptions.minimumLevel = 'sometimes'"),
        ({"entries": [], "levelWaivers": [{"policy": "x"}]}, "exemptions.levelWaivers[0] = {'policy': 'x'}"),
    ],
    ids=["unknown-key", "waiver-days-unbounded", "minimum-not-a-level", "waiver-incomplete"],
)
def test_a_malformed_gate_setting_is_exit_2_at_its_line(tmp_path: Path, exemptions: Any, expected: str) -> None:
    config = prod_config(tmp_path, exemptions=exemptions)
    result = invoke("preview", "--stack", "prod", "--pack-config", str(config))
    assert result.exit_code == 2, result.output
    assert expected in result.output and f"{config}:" in result.output, result.output
    if "approved_by" in json.dumps(exemptions):
        assert "'approved_by' was unexpected" in result.output


# ----- disabled and advisory-only policies: reported everywhere, refused below a stack's minimum ---------------
def test_a_disabled_pack_is_not_a_passed_pack(tmp_path: Path) -> None:
    """`{"all": "disabled"}`: exit 0 (nothing failed) but every output says nothing was enforced."""
    config = tmp_path / "off.json"
    config.write_text('{"all": "disabled"}', encoding="utf-8")
    out = tmp_path / "out"
    result = invoke("preview", "--stack", "dev", "--pack-config", str(config), "--out-dir", str(out))
    assert result.exit_code == 0, result.output
    policies = len(json.loads((out / "dev.json").read_text())["notEnforced"])
    assert policies >= 76
    assert f"NOT ENFORCED: {policies} of {policies} policies (0 advisory-only, {policies} disabled)" in result.output
    assert result.output.count("not enforced: ") == policies
    report = json.loads((out / "dev.json").read_text())
    assert report["summary"]["disabledPolicies"] == policies and report["packConfigOrigin"] == "named"
    log = json.loads((out / "dev.sarif").read_text())
    jsonschema.Draft202012Validator(SARIF_SCHEMA).validate(log)  # the notifications are valid SARIF 2.1.0
    sarif = log["runs"][0]
    notices = sarif["invocations"][0]["toolConfigurationNotifications"]
    assert len(notices) == policies and all("not enforced" in n["message"]["text"] for n in notices)
    summary = invoke("summary", str(out / "dev.json"))
    assert summary.exit_code == 0 and f"| ⚠️ {policies} |" in summary.output and "not enforced" in summary.output
    evidence = tmp_path / "evidence"
    result = invoke("report", "--stack", "dev", "--pack-config", str(config), "--out", str(evidence))
    assert result.exit_code == 0
    data = json.loads((evidence / "report.json").read_text())
    statuses = {r["status"] for r in data["rows"] if r["source"] == "preview"}
    assert statuses == {"not enforced"}, statuses
    assert len(data["notEnforced"]) == policies and 'id="not-enforced"' in (evidence / "index.html").read_text()
    assert all(s["verdict"] != "met" for s in data["safeguards"])


def test_prod_refuses_a_policy_below_mandatory_unless_a_waiver_names_it(tmp_path: Path) -> None:
    lowered = prod_config(tmp_path, **{"efa-pools-placed-together": "advisory"})
    result = invoke("preview", "--stack", "prod", "--pack-config", str(lowered))
    assert result.exit_code == 1, result.output
    assert "policy efa-pools-placed-together is advisory in this pack config, below its minimumLevel mandatory" in (
        result.output
    )
    assert f"edit {lowered}:{line_of(lowered, 'efa-pools-placed-together')} efa-pools-placed-together" in result.output
    waiver = {"policy": "efa-pools-placed-together", "level": "advisory", "owner": "ml-platform", "expires": EXPIRES,
              "reason": "p5 capacity blocks come without a placement group this quarter"}  # fmt: skip
    gate = {**json.loads(PROD_CONFIG.read_text())["exemptions"], "levelWaivers": [waiver]}
    waived = prod_config(tmp_path, "waived.json", **{"efa-pools-placed-together": "advisory"}, exemptions=gate)
    result = invoke("preview", "--stack", "prod", "--pack-config", str(waived))
    assert result.exit_code == 0, result.output
    assert "NOT ENFORCED: 1 of" in result.output and "not enforced: efa-pools-placed-together (EFA-03)" in result.output


def test_the_floor_holds_when_the_config_lowers_the_gate_itself(tmp_path: Path) -> None:
    """`all: disabled` in a config whose exemptions keep minimumLevel: every policy below it, the exemptions
    policy included, is a mandatory finding: the config cannot switch off the check of its own levels."""
    config = prod_config(tmp_path, all="disabled")
    result = invoke("preview", "--stack", "prod", "--pack-config", str(config), "-f", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    floor = [d for d in report["diagnostics"] if "below its minimumLevel mandatory" in d["message"]]
    assert len(floor) == report["summary"]["disabledPolicies"] and all(
        d["enforcementLevel"] == "mandatory" for d in floor
    )


# ----- the pack config's JSON ---------------------------------------------------------------------------------
def test_a_duplicate_key_in_the_pack_config_is_refused_with_both_lines(tmp_path: Path) -> None:
    text = PROD_CONFIG.read_text(encoding="utf-8").replace('"all": "mandatory",', '"all": "mandatory",\n  "x": 1,', 1)
    text = text.rstrip().removesuffix("}") + ',\n  "all": "disabled"\n}\n'
    config = tmp_path / "dup.json"
    config.write_text(text, encoding="utf-8")
    result = invoke("preview", "--stack", "prod", "--pack-config", str(config))
    assert result.exit_code == 2
    first, second = line_of(config, '"all": "mandatory"'), line_of(config, '"all": "disabled"')
    assert f"--pack-config {config}: duplicate key 'all' at lines {first} and {second}" in result.output


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1e40", "is greater than the maximum of 3653"), ("0", "is less than the minimum of 1"),
     ("NaN", "NaN is not a JSON number"), ("1e999", "beyond a double's range"), ('"365"', "is not of type 'integer'")],
)  # fmt: skip
def test_a_threshold_out_of_range_is_refused(tmp_path: Path, value: str, expected: str) -> None:
    text = PROD_CONFIG.read_text(encoding="utf-8").replace('"minRetentionDays": 365', f'"minRetentionDays": {value}')
    config = tmp_path / "bounds.json"
    config.write_text(text, encoding="utf-8")
    result = invoke("preview", "--stack", "prod", "--pack-config", str(config))
    assert result.exit_code == 2 and expected in result.output, result.output
    assert "Traceback" not in result.output


def test_every_numeric_setting_of_every_policy_is_bounded(tmp_path: Path) -> None:
    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2_grpc

    from enclave.preview import pack_process, read_port

    with pack_process(PACK_DIR) as proc, grpc.insecure_channel(f"127.0.0.1:{read_port(proc)}") as channel:
        info = analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(empty_pb2.Empty())
    seen = 0

    def walk(where: str, schema: dict[str, Any]) -> None:
        nonlocal seen
        if schema.get("type") in ("integer", "number"):
            seen += 1
            assert "minimum" in schema and "maximum" in schema, f"{where} is unbounded"
        for key, sub in schema.get("properties", {}).items():
            walk(f"{where}.{key}", sub)
        if isinstance(schema.get("items"), dict):
            walk(f"{where}[]", schema["items"])

    for policy in info.policies:
        walk(policy.name, json_format.MessageToDict(policy.configSchema))
    assert seen >= 7


# ----- which pack config runs ---------------------------------------------------------------------------------
def test_a_packs_own_config_is_used_only_inside_its_project(tmp_path: Path) -> None:
    project = tmp_path / "consumer"
    shutil.copytree(PROJECT_ROOT / "examples" / "consumer-stack", project)
    (project / "Pulumi.research.yaml").rename(project / "Pulumi.dev.yaml")
    assert pack_config_for("dev", PACK_DIR, project, None) == (None, "none")
    assert pack_config_for("dev", PACK_DIR, PROJECT_ROOT, None) == (PACK_DIR / "config" / "dev.json", "project")
    named = tmp_path / "mine.json"
    assert pack_config_for("dev", PACK_DIR, project, named) == (named, "named")
    result = invoke("preview", "--stack", "dev", "--project-dir", str(project), "--pack", str(PACK_DIR))
    assert result.exit_code == 1, result.output  # every policy mandatory: the example's cluster-wide findings fail
    assert "no pack config (every policy at the pack's default level)" in result.output
    assert "config/dev.json" not in result.output


# ----- saved reports: the verdict recomputed, an inconsistent file refused -------------------------------------
@pytest.fixture(scope="module")
def failing_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("failing")
    stack = weakened(tmp)
    result = invoke("preview", "--stack", "prod", "--config-file", str(stack), "-f", "json")
    assert result.exit_code == 1
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda r: r.update(diagnostics=[]), "summary.mandatory = 4 but the report lists 0"),
        (lambda r: r["summary"].update(mandatory=0), "summary.mandatory = 0 but the report lists 4"),
        (lambda r: r["summary"].update(mandatory=-4), "summary.mandatory = -4: a count is a whole number"),
        (lambda r: r["summary"].update(advisory="0"), "summary.advisory = '0': a count is a whole number"),
        (lambda r: r["diagnostics"][0].update(enforcementLevel="advisory"), "summary.mandatory = 4 but the report"),
        (lambda r: r["diagnostics"][0].update(exempted="yes"), "diagnostics[0].exempted = 'yes': true or false"),
        (lambda r: r.update(diagnostics={"a": 1}), "diagnostics must be a list of findings, got dict"),
        (lambda r: r.update(notEnforced=[]) or r["summary"].update(disabledPolicies=3), "summary.disabledPolicies"),
    ],
    ids=["findings-removed", "count-lowered", "negative", "not-a-number", "level-edited", "exempted-not-bool",
         "diagnostics-not-a-list", "not-enforced-removed"],
)  # fmt: skip
def test_summary_and_report_refuse_an_edited_report(
    failing_report: dict[str, Any], tmp_path: Path, edit: Any, expected: str
) -> None:
    report = json.loads(json.dumps(failing_report))
    edit(report)
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    result = invoke("summary", str(path))
    assert result.exit_code == 2, result.output
    assert expected in result.output and "edited or is damaged" in result.output, result.output


def test_the_summary_verdict_comes_from_the_findings(failing_report: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(failing_report), encoding="utf-8")
    result = invoke("summary", str(path))
    assert result.exit_code == 0 and "| `prod` | ❌ FAIL | 4 | 0 | 0 | 0 | 0 |" in result.output, result.output


def test_the_pack_config_reader_is_the_one_every_command_uses() -> None:
    assert read_pack_config(PROD_CONFIG)["exemptions"]["minimumLevel"] == "mandatory"
