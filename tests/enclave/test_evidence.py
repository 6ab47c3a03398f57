"""`enclave report`: every check of the pack is a row with its status (pass, fail, exempted, unverifiable), the
counts add up at every level, the CSV and report.json hold the same rows, the zones come from the rendered
NetworkPolicies and equal the declared flows, and the page fetches nothing."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from components.config import validate_platform
from enclave.cli import app
from enclave.evidence.crosscheck import NOT_INSTALLED, cross_check
from enclave.evidence.facts import NOT_GIT, generated_at, git_commit
from enclave.evidence.html import render_html
from enclave.evidence.model import build
from enclave.evidence.rows import NOT_ENFORCED, STATUSES, preview_checks
from enclave.evidence.svg import layout
from enclave.evidence.zones import ZoneGraph, zone_graph
from enclave.pack_catalog import PackCatalogError, load_catalog
from enclave.preview import Diagnostic, PreviewResult
from enclave.reach import default_nca, expected_connectivity
from enclave.render import collect
from enclave.synth import PROJECT_ROOT, SynthResult
from tests.conftest import EXPIRES, stack_data, write_stack

PACK = PROJECT_ROOT / "policy_packs" / "hipaa"
PROD_CONFIG = PACK / "config" / "prod.json"
EXEMPTION = {
    "control": "LOG-05", "name": "prod-flow-logs", "reason": "flow logs go to the SIEM, which keeps them six years",
    "owner": "security-operations", "expires": EXPIRES,
}  # fmt: skip


def report(*args: str) -> Any:
    return CliRunner().invoke(app, ["report", *args])


def load(out: Path) -> dict[str, Any]:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("prod") / "report"
    result = report("--stack", "prod", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def weak(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """prod in first-preview mode with short log retention (LOG-05 on the audit and container-log groups and
    RECOVER-01 fail, LOG-07 on the cluster and VPC: their copies land in a bucket locked 400 days), the flow logs
    exempted (exempted), the artifact alarms' patterns unknown (they name roles not
    created yet: DETECT-08 unverifiable on the sources; the replicas' name only the replication role, known up
    front), and the workload roles' trust unknown (IAM-01 and IAM-10 unverifiable,
    advisory in prod's pack config), as the ePHI buckets' policies (S3-06/07/08/11: they name the S3 endpoints,
    which exist only after the first up)."""
    tmp = tmp_path_factory.mktemp("weak")
    data = stack_data("prod")
    data["logging"]["retention_days"] = 90
    data["logging"]["audit_retention_days"] = 400
    stack = write_stack(tmp / "Pulumi.prod.yaml", data)
    config = json.loads(PROD_CONFIG.read_text(encoding="utf-8"))
    config["exemptions"] = {"entries": [EXEMPTION]}
    pack_config = tmp / "pack-config.json"
    pack_config.write_text(json.dumps(config), encoding="utf-8")
    out = tmp / "report"
    result = report("--stack", "prod", "--config-file", str(stack), "--pack-config", str(pack_config), "--preview",
                    "--out", str(out))  # fmt: skip
    assert result.exit_code == 1, result.output
    line = "prod: FAIL - 6 mandatory failures; 809 checks (766 pass, 6 fail, 1 exempted, 36 unverifiable)"
    assert line in result.stderr
    return out, stack


def checked(resources: list[dict[str, Any]], policies: list[dict[str, Any]]) -> int:
    """The checks the pack made, counted from its metadata: a resource-scoped policy per resource of its types,
    a stack-scoped one per resource of its subject types, or once when it has none (or the stack has none)."""
    types = Counter(r["type"] for r in resources)
    n = 0
    for p in policies:
        tags = p.get("tags", [])
        if "scope:resource" in tags:
            n += sum(types[t.removeprefix("type:")] for t in tags if t.startswith("type:"))
        elif "scope:stack" in tags:
            n += sum(types[t.removeprefix("subject:")] for t in tags if t.startswith("subject:")) or 1
    return n


def test_prod_every_check_passes_and_the_count_is_the_packs(prod: Path, synthed: Any) -> None:
    from enclave.preview import run_preview  # the pack's metadata, as the report read it

    data = load(prod)
    result = run_preview("prod")
    assert result.synth is not None
    expected = checked(result.synth.resources, result.policies)
    assert data["totals"]["all"] == {**dict.fromkeys(STATUSES, 0), "pass": expected, "total": expected}
    assert data["verdict"] == "met" and data["facts"]["blocking"] == 0
    assert all(s["verdict"] == "met" for s in data["safeguards"]), [
        s for s in data["safeguards"] if s["verdict"] != "met"
    ]
    assert len({r["check"] for r in data["rows"]}) == expected


def test_front_page_facts(prod: Path) -> None:
    facts = load(prod)["facts"]
    assert facts["stack"] == "prod" and facts["project"] == "gpu-enclave"
    assert facts["pack"] == "gpu-enclave-hipaa@0.1.0"
    assert facts["packConfig"].endswith("policy_packs/hipaa/config/prod.json")
    import hashlib

    assert facts["packConfigSha256"] == hashlib.sha256(PROD_CONFIG.read_bytes()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{40}( \(uncommitted changes\))?", facts["commit"]), facts["commit"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", facts["generated"])
    html = (prod / "index.html").read_text(encoding="utf-8")
    for key in ("stack", "project", "commit", "pack", "generated"):
        assert str(facts[key]) in html, key


def test_row_statuses_of_a_weakened_stack(weak: tuple[Path, Path]) -> None:
    out, stack = weak
    data = load(out)
    assert data["facts"]["preview"] and len(data["zones"]["zones"]) == 4  # zones from an update-mode render
    rows = [r for r in data["rows"] if r["status"] != "pass"]
    seen = {(r["control"], r["status"], r["level"], r["resource"].rsplit("::", 1)[-1]) for r in rows}
    assert seen == {
        ("LOG-05", "fail", "mandatory", "prod-logs"),
        ("LOG-05", "fail", "mandatory", "prod-control-plane-logs"),
        ("LOG-05", "fail", "mandatory", "prod-container-logs"),
        # the replicas' watches name only the replication role, whose ARN is named up front: judged, and pass
        *(("DETECT-08", "unverifiable", "advisory", f"prod-{b}-bucket")
          for b in ("checkpoints", "datasets", "models-prod", "models-staging")),
        # the log copies go to the audit bucket, whose lock is now 400 days: not the 2192 LOG-07 asks for
        ("LOG-07", "fail", "mandatory", "prod-cluster"),
        ("LOG-07", "fail", "mandatory", "prod-vpc"),
        ("LOG-05", "exempted", "advisory", "prod-flow-logs"),
        ("RECOVER-01", "fail", "mandatory", "prod-audit-logs-bucket"),
        *{(c, "unverifiable", "advisory", f"prod-{n}-role") for n in ("vpc-cni", "ebs-csi", "model-server", "notebook",
                                                                       "trainer", "model-promoter", "research-trainer",
                                                                       "falcosidekick")
          for c in ("IAM-01", "IAM-10")},
        # the ePHI buckets' policies name the S3 endpoints, which a first preview does not know yet
        *{(c, "unverifiable", "advisory", f"prod-{b}-{'policy' if c == 'S3-08' else 'bucket'}")
          for c in ("S3-06", "S3-07", "S3-08", "S3-11")
          for b in ("datasets", "checkpoints", "models-prod", "models-staging")},
    }  # fmt: skip
    for r in rows:
        assert r["source"] == "preview" and r["policy"] and r["message"] and r["remediation"], r
        assert r["config_file"] == str(stack) or Path(r["config_file"]).resolve() == stack.resolve(), r
        assert isinstance(r["config_line"], int) and r["config_line"] > 0, r
    [exempted] = {r["check"]: r for r in rows if r["status"] == "exempted"}.values()
    assert (exempted["exemption_reason"], exempted["exemption_owner"], exempted["exemption_expires"]) == (
        EXEMPTION["reason"], EXEMPTION["owner"], EXEMPTION["expires"])  # fmt: skip
    html = (out / "index.html").read_text(encoding="utf-8")
    assert f"exempted until {EXPIRES}, owner security-operations: " + EXEMPTION["reason"] in html
    line = next(r["config_line"] for r in rows if r["status"] == "fail" and r["control"] == "LOG-05")
    assert f":{line}</code>" in html


def meta(name: str, control: str, *tags: str, level: str = "MANDATORY") -> dict[str, Any]:
    return {"name": name, "displayName": f"{control}: title", "enforcementLevel": level,
            "severity": "POLICY_SEVERITY_HIGH", "tags": [f"control:{control}", *tags],
            "framework": {"specification": "164.312(b)"}}  # fmt: skip


def test_what_a_policy_checked_is_what_its_tags_say() -> None:
    """Resource policies: a row per resource of their types; stack policies: one `stack` row; a disabled policy
    none; a remediated resource passes and says so; a finding on a resource replaces its pass."""
    bucket = {"urn": "urn:pulumi:s::p::aws:s3/bucket:Bucket::b", "type": "aws:s3/bucket:Bucket", "name": "b"}
    key = {"urn": "urn:pulumi:s::p::aws:kms/key:Key::k", "type": "aws:kms/key:Key", "name": "k"}
    policies = [
        meta("buckets", "S3-01", "scope:resource", "type:aws:s3/bucket:Bucket"),
        meta("keys", "KMS-01", "scope:resource", "type:aws:kms/key:Key", "type:aws:kms/key:Other"),
        meta("whole", "LOG-01", "scope:stack"),
        meta("off", "LOG-02", "scope:stack"),
    ]
    finding = Diagnostic("buckets", "S3-01", "title", ["164.312(a)(2)(iv)"], "high", bucket["urn"], "S3-01 x\nbad",
                         "mandatory", remediation="fix it")  # fmt: skip
    result = PreviewResult(
        stack="s", project="p", preview=False, pack="pack@1", pack_config=None, resources=2, policies=policies,
        diagnostics=[finding], remediations=[{"policyName": "keys", "urn": key["urn"], "description": "rotation on"}],
        synth=SynthResult("s", "p", False, [bucket, key]),
    )  # fmt: skip
    levels = {"buckets": "mandatory", "keys": "remediate", "whole": "advisory", "off": "disabled"}
    rows = [(r.policy, r.name, r.status, r.level, r.message) for r in preview_checks(result, levels)]
    assert rows == [
        ("buckets", "b", "fail", "mandatory", "bad"),
        ("keys", "k", "pass", "remediate", "remediated by the pack: rotation on"),
        # below mandatory is not a pass: an advisory policy's clean stack and a disabled policy's unchecked one
        ("off", "stack", "not enforced", "disabled", "disabled in the pack config: not checked"),
        ("whole", "stack", "not enforced", "advisory", NOT_ENFORCED["advisory"]),
    ]


def test_the_page_escapes_what_it_shows() -> None:
    hostile = "<script>alert(1)</script>"
    result = PreviewResult(
        stack="s", project="p", preview=False, pack="pack@1", pack_config=None, resources=0,
        policies=[meta("whole", "LOG-01", "scope:stack")],
        diagnostics=[Diagnostic("whole", "LOG-01", "t", [], "high", "", hostile, "mandatory", remediation=hostile)],
        synth=SynthResult("s", "p", False, []),
    )  # fmt: skip
    facts = {"stack": hostile, "project": "p", "commit": NOT_GIT, "pack": "pack@1", "packConfig": None,
             "packConfigSha256": None, "preview": False, "resources": 0, "policies": 1, "generated": "now"}  # fmt: skip
    page = render_html(build(result, load_catalog(PACK), facts, ZoneGraph([]), "not run: test"))
    assert "<script" not in page and page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3
    assert 'id="no-zones"' in page


def test_counts_add_up_at_every_level(weak: tuple[Path, Path]) -> None:
    data = load(weak[0])
    rows = data["rows"]
    for sg in data["safeguards"]:
        mine = [r for r in rows if r["citation"] == sg["citation"]]
        counts = sg["counts"]
        assert sum(counts[s] for s in STATUSES) == counts["total"] == len(mine), sg["citation"]
        assert counts == {**Counter(r["status"] for r in mine), **{s: counts[s] for s in STATUSES if s not in
                          {r["status"] for r in mine}}, "total": len(mine)}  # fmt: skip
        assert {r["control"] for r in mine} <= set(sg["controls"])
    once = {r["check"]: r for r in rows}
    totals = data["totals"]["all"]
    assert totals["total"] == len(once) == sum(totals[s] for s in STATUSES)
    assert {s: totals[s] for s in STATUSES} == {s: sum(1 for r in once.values() if r["status"] == s) for s in STATUSES}
    verdicts = {s["citation"]: s["verdict"] for s in data["safeguards"]}
    assert verdicts["164.312(b)"] == "not met"  # LOG-05
    assert verdicts["164.312(d)"] == "not verified"  # IAM-01 unknown, nothing failed
    assert verdicts["164.312(a)(1)"] == "not verified"  # the ePHI buckets' perimeters, unknown in a first preview
    assert verdicts["164.312(a)(2)(iii)"] == "met"  # IAM-03: every session an hour, decided
    assert verdicts["164.312(e)(1)"] == "not verified"  # S3-06 (TLS only) on the same unknown bucket policies


def test_csv_and_json_hold_the_same_rows(weak: tuple[Path, Path]) -> None:
    out = weak[0]
    data = load(out)
    with (out / "findings.csv").open(encoding="utf-8", newline="") as handle:
        csv_rows = list(csv.DictReader(handle))
    as_text = [{k: "" if v is None else str(v) for k, v in r.items()} for r in data["rows"]]
    assert csv_rows == as_text
    assert list(csv_rows[0]) == list(data["rows"][0])


def test_html_counts_are_the_json_counts(weak: tuple[Path, Path]) -> None:
    out = weak[0]
    data = load(out)
    html = (out / "index.html").read_text(encoding="utf-8")
    for sg in data["safeguards"]:
        tag = re.search(rf'<tr class="safeguard-summary" data-citation="{re.escape(sg["citation"])}"[^>]*>', html)
        assert tag, sg["citation"]
        for status in STATUSES:
            assert f'data-{status.replace(" ", "-")}="{sg["counts"][status]}"' in tag.group(0), (sg["citation"], status)
    assert html.count('<tr class="row"') == len(data["rows"])  # every row shown, under each of its safeguards


def test_zone_graph_from_network_policies_equals_the_declared_flows(synthed: Any) -> None:
    for stack in ("dev", "staging", "prod"):
        graph = zone_graph(collect(synthed(stack)).all_objects())
        cfg = validate_platform(stack_data(stack))
        assert graph.connections == expected_connectivity(cfg), stack
        assert {z.name for z in graph.zones} == {z.name for z in cfg.zones}, stack
        assert {(f.src, f.dst) for f in graph.flows()} == {(f.source, f.target) for f in cfg.flows}, stack


def namespace(name: str, zone: str) -> dict[str, Any]:
    return {"kind": "Namespace", "metadata": {"name": name, "labels": {"enclave.dev/zone": zone}}}


def policy(ns: str, name: str, egress: list[Any] | None = None, ingress: list[Any] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    if egress is not None:
        spec["egress"] = egress
    if ingress is not None:
        spec["ingress"] = ingress
    return {"kind": "NetworkPolicy", "metadata": {"namespace": ns, "name": name}, "spec": spec}


def test_a_flow_needs_both_sides() -> None:
    to_b = {"to": [{"namespaceSelector": {"matchLabels": {"enclave.dev/zone": "b"}}}], "ports": [{"port": 80}]}
    from_a = {"from": [{"namespaceSelector": {"matchLabels": {"enclave.dev/zone": "a"}}}], "ports": [{"port": 80}]}
    objects = [namespace("a", "a"), namespace("b", "b"), policy("a", "deny"), policy("b", "deny")]
    assert zone_graph([*objects, policy("a", "out", egress=[to_b])]).flows() == []
    graph = zone_graph([*objects, policy("a", "out", egress=[to_b]), policy("b", "in", ingress=[from_a])])
    assert [(f.src, f.dst, f.ports) for f in graph.flows()] == [("a", "b", ("TCP:80",))]
    assert graph.egress("a") == [] and graph.egress("b") == []
    picture = layout(graph)
    assert [b.zone for b in picture.boxes] == ["a", "b"] and [(a.src, a.dst) for a in picture.arrows] == [("a", "b")]
    assert layout(graph) == picture  # deterministic


def test_the_page_fetches_nothing(prod: Path) -> None:
    html = (prod / "index.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<link" not in html and "@import" not in html and "<iframe" not in html
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    for match in re.finditer(r"<(\w+)[^>]*\s(src|href|xlink:href|action|data)=\"([^\"]*)\"", html):
        tag, attr, value = match.groups()
        if re.match(r"(https?:)?//", value):
            assert (tag, attr) == ("a", "href"), match.group(0)
        if attr == "src":
            raise AssertionError(f"no src attributes on the page: {match.group(0)}")
    assert '<a href="https://www.ecfr.gov/' in html  # the HIPAA reference, a plain link


def test_audit_findings_beside_the_preview(prod: Path, tmp_path: Path) -> None:
    audit = {
        "account": "111122223333", "region": "us-east-1",
        "findings": [{"control": "S3-03", "citations": ["164.312(a)(1)", "164.308(a)(4)"], "severity": "critical",
                      "resource": "arn:aws:s3:::prod-datasets", "message": "BlockPublicPolicy is off",
                      "level": "mandatory"}],
        "incomplete": [{"check": "S3-09 bucket logging", "reason": "AccessDenied on s3:GetBucketLogging"}],
        "drift": [{"kind": "weakened", "control": "EKS-03", "resource": "enclave-prod", "declared": {"public": False},
                   "live": {"public": True}, "message": "the API endpoint is public"}],
        "skipped": [{"control": "EKS-04", "reason": "--skip: not checked, not passed"}],
        "summary": {},
    }  # fmt: skip
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(audit), encoding="utf-8")
    out = tmp_path / "report"
    result = report("--stack", "prod", "--out", str(out), "--audit", str(path))
    assert result.exit_code == 1, result.output  # the live account's mandatory finding
    data = load(out)
    audit_rows = [r for r in data["rows"] if r["source"] == "audit"]
    assert {(r["control"], r["status"], r["citation"]) for r in audit_rows} == {
        ("S3-03", "fail", "164.312(a)(1)"), ("S3-03", "fail", "164.308(a)(4)"),
        ("S3-09", "not verified", "164.312(b)"), ("S3-09", "not verified", "164.308(a)(1)(ii)(D)"),
        ("EKS-03", "drift", "164.312(e)(1)"), ("EKS-03", "drift", "164.312(a)(1)"),
        ("EKS-04", "not verified", "164.312(a)(1)"), ("EKS-04", "not verified", "164.312(e)(1)"),
    }  # fmt: skip
    assert data["totals"]["audit"]["total"] == 4 and data["totals"]["audit"]["pass"] == 0
    assert data["totals"]["preview"] == load(prod)["totals"]["preview"]
    verdicts = {s["citation"]: s["verdict"] for s in data["safeguards"]}
    assert verdicts["164.312(a)(1)"] == "not met" and verdicts["164.312(b)"] == "not verified"
    assert data["facts"]["auditAccount"] == "111122223333"
    html = (out / "index.html").read_text(encoding="utf-8")
    assert '<td title="arn:aws:s3:::prod-datasets">arn:aws:s3:::prod-datasets' in html
    assert "BlockPublicPolicy is off" in html and "AccessDenied on s3:GetBucketLogging" in html


GOOD = {"account": "1", "region": "r", "findings": [], "incomplete": [], "drift": [], "summary": {}}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("{not json", "not valid JSON"),
        ("[]", "the document: must be a JSON object, got list"),
        (json.dumps({**GOOD, "findings": None}), "findings: must be a list, got null"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "drift"}), "drift: missing"),
        (json.dumps({**GOOD, "account": 1}), "the document.account: must be a string, got int"),
        (json.dumps({**GOOD, "findings": [{"control": "S3-03"}]}), "findings[0].severity: missing"),
        (json.dumps({**GOOD, "findings": [{"control": "XX-99", "citations": [], "severity": "high", "resource": "r",
                                           "message": "m", "level": "mandatory"}]}),
         "findings[0].control = 'XX-99': no such control in the pack's catalog"),
        (json.dumps({**GOOD, "findings": [{"control": "S3-03", "citations": [], "severity": "high", "resource": "r",
                                           "message": "m", "level": "urgent"}]}),
         "findings[0].level: 'urgent' is not one of mandatory, advisory, remediate, disabled"),
        (json.dumps({**GOOD, "drift": [{"kind": "missing", "control": "NOPE-01", "resource": "r", "message": "m"}]}),
         "drift[0].control = 'NOPE-01'"),
        (json.dumps({**GOOD, "incomplete": [{"check": "S3-09"}]}), "incomplete[0].reason: missing"),
        (json.dumps({**GOOD, "stack": "dev"}), "stack = 'dev', but this report is of stack 'prod'; audit the same"),
        (json.dumps({**GOOD, "skipped": {"EKS-04": "x"}}), "skipped: must be a list, got dict"),
        (json.dumps({**GOOD, "skipped": [{"control": "EKS-99", "reason": "r"}]}), "skipped[0].control = 'EKS-99'"),
    ],
)  # fmt: skip
def test_a_bad_audit_file_exits_2_and_writes_nothing(tmp_path: Path, content: str | None, expected: str) -> None:
    path = tmp_path / "audit.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    out = tmp_path / "report"
    result = report("--stack", "prod", "--out", str(out), "--audit", str(path))
    assert result.exit_code == 2, result.output
    assert f"--audit {path}: " in result.stderr and expected in result.stderr, result.stderr
    assert "Traceback" not in result.output and not out.exists()


def test_bad_out_and_pack_exit_2(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("x", encoding="utf-8")
    result = report("--stack", "prod", "--out", str(file))
    assert result.exit_code == 2 and "exists and is not a folder" in result.stderr
    pack = tmp_path / "pack"
    pack.mkdir()
    result = report("--stack", "prod", "--out", str(tmp_path / "r"), "--pack", str(pack))
    assert result.exit_code == 2 and "no catalog.py there" in result.stderr and not (tmp_path / "r").exists()


def test_pack_catalog_is_loaded_by_path(tmp_path: Path) -> None:
    catalog = load_catalog(PACK)
    assert catalog.CITATIONS["164.312(b)"] == "Audit controls" and "S3-03" in catalog.CONTROLS
    assert load_catalog(PACK) is catalog
    with pytest.raises(PackCatalogError, match=r"no catalog\.py"):
        load_catalog(tmp_path)


def test_git_facts(tmp_path: Path) -> None:
    assert git_commit(tmp_path) == NOT_GIT
    run = {"cwd": tmp_path, "check": True, "capture_output": True}
    subprocess.run(["git", "init", "-q"], **run)  # type: ignore[call-overload]
    (tmp_path / "a").write_text("1", encoding="utf-8")
    subprocess.run(["git", "add", "a"], **run)  # type: ignore[call-overload]
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a"], **run)  # type: ignore[call-overload]
    head = subprocess.run(["git", "rev-parse", "HEAD"], text=True, **run).stdout.strip()  # type: ignore[call-overload]
    assert git_commit(tmp_path) == head
    (tmp_path / "a").write_text("2", encoding="utf-8")
    assert git_commit(tmp_path) == f"{head} (uncommitted changes)"


def test_source_date_epoch_makes_the_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1000000000")
    assert generated_at() == "2001-09-09T01:46:40Z"


def test_the_picture_has_a_box_per_zone_and_an_arrow_per_flow(prod: Path) -> None:
    data = load(prod)
    html = (prod / "index.html").read_text(encoding="utf-8")
    assert [z["name"] for z in data["zones"]["zones"]] == ["platform", "training", "inference", "notebooks"]
    for zone in data["zones"]["zones"]:
        assert f'<g class="zone" data-zone="{zone["name"]}"' in html
    for flow in data["zones"]["flows"]:
        assert (
            f'<g class="flow" data-from="{flow["from"]}" data-to="{flow["to"]}" data-ports="{", ".join(flow["ports"])}"'
            in html
        )
    egress = {z["name"]: {e["to"] for e in z["egress"]} for z in data["zones"]["zones"]}
    assert egress["notebooks"] == {"10.40.255.0/24", "10.60.16.0/24", "kube-system", "istio-system"}


def test_the_analyzer_cross_check(prod: Path, synthed: Any) -> None:
    """The report runs what `enclave reach --analyze` runs: it agrees on prod; a declaration the policies do not
    carry out differs; without the tool it says `make tools`."""
    installed = default_nca().exists()
    assert load(prod)["zones"]["crossCheck"] == ("agrees with the declared flows" if installed else NOT_INSTALLED)
    data = stack_data("prod")
    data["flows"].append({"from": "notebooks", "to": "training", "ports": [{"port": 8888}]})
    status = cross_check(validate_platform(data), collect(synthed("prod")).all_objects())
    assert status == ("differs: - notebooks -> training: TCP:8888" if installed else NOT_INSTALLED)
    assert cross_check(None, []).startswith("not run: the stack has no gpu-enclave:platform config")


def test_same_inputs_and_source_date_epoch_give_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        assert report("--stack", "dev", "--out", str(out)).exit_code == 0
    for name in ("index.html", "findings.csv", "report.json"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    assert load(outs[0])["facts"]["generated"] == "2026-01-01T00:00:00Z"


def test_templates_ship_with_the_package() -> None:
    import tomllib

    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["enclave.evidence"]
    folder = PROJECT_ROOT / "enclave" / "evidence"
    shipped = {p for g in globs for p in folder.glob(g)}
    assert shipped == set((folder / "templates").iterdir()) and shipped
    assert "jinja2==3.1.6" in pyproject["project"]["dependencies"]


def test_the_detection_controls_have_their_rows(prod: Path) -> None:
    """Issue 21's proof: prod's report shows every DETECT control of the catalog (what notices: the alarm topic,
    the trail's notification, the alarms per signal, GuardDuty, Falco), each row a pass."""
    catalog = load_catalog(PACK)
    detect = {c for c in catalog.CONTROLS if c.startswith("DETECT-")}
    rows = [r for r in load(prod)["rows"] if r["control"].startswith("DETECT-")]
    assert {r["control"] for r in rows} == detect and len(detect) >= 12
    assert {r["status"] for r in rows} == {"pass"}
