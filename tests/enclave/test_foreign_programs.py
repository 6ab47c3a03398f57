"""`enclave preview` on Pulumi programs no one here wrote (tests/enclave/foreign: web servers, default-VPC services,
static websites, Helm releases, EKS through pulumi_eks and through primitives, Fargate by hand and through
pulumi_awsx, secrets, a missing config value, a missing module, a program that raises), in both modes: exit 0 or 1
with the summary, or exit 2 with a message of a few lines; never a traceback; findings at the program's own line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from enclave.cli import app

FOREIGN = Path(__file__).parent / "foreign"
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-2.1.0.json").read_text(encoding="utf-8"))
ADMIN_PASSWORD = "Corr3ct-Horse-Battery"
# Each program's exit status and what its run must show; the same in a first preview and in update mode.
EXPECTED: dict[str, int] = {
    "webserver": 1,
    "internal-api": 1,
    "iam-lambda": 1,
    "static-website": 1,
    "k8s-guestbook": 1,
    "helm-release": 1,
    "eks-cluster": 1,
    "eks-primitives": 1,
    "fargate": 1,
    "awsx-fargate": 0,
    "secrets": 1,  # its Secrets Manager secret is on the AWS managed key (DATA-10)
    "own-component": 1,
    "missing-config": 2,
    "missing-module": 2,
    "program-exception": 2,
}
ENGINE_MARKS = ("Traceback", "site-packages", 'File "', "enclave/synth.py", "enclave/preview.py", "pulumi/runtime")


class Run:
    """One `enclave preview --out-dir` of a program: exit code, text, and the JSON and SARIF it wrote."""

    def __init__(self, program: str, preview: bool, out: Path, *extra: str) -> None:
        self.project = FOREIGN / program
        args = ["preview", "--stack", "demo", "--project-dir", str(self.project), "--out-dir", str(out), *extra]
        if program == "secrets":
            args += ["--config-secret", f"adminPassword={ADMIN_PASSWORD}"]
        result = CliRunner().invoke(app, args + (["--preview"] if preview else []))
        self.exit_code = result.exit_code
        self.output = result.output
        self.exception = result.exception
        self.report: dict[str, Any] = {}
        self.sarif: dict[str, Any] = {}
        if (out / "demo.json").is_file():
            self.report = json.loads((out / "demo.json").read_text(encoding="utf-8"))
            self.sarif = json.loads((out / "demo.sarif").read_text(encoding="utf-8"))

    def findings(self, control: str) -> list[dict[str, Any]]:
        return [d for d in self.report["diagnostics"] + self.report["unverifiable"] if d["control"] == control]

    def line_of(self, text: str, file: str = "__main__.py") -> int:
        lines = (self.project / file).read_text(encoding="utf-8").splitlines()
        return next(i for i, line in enumerate(lines, 1) if text in line)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    cache: dict[tuple[str, bool], Run] = {}

    def get(program: str, preview: bool) -> Run:
        key = (program, preview)
        if key not in cache:
            cache[key] = Run(program, preview, tmp_path_factory.mktemp(f"{program}-{preview}"))
        return cache[key]

    return get


def test_the_corpus_is_every_program_here() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in FOREIGN.iterdir() if (p / "Pulumi.yaml").is_file())
    assert len(EXPECTED) >= 12


@pytest.mark.parametrize("preview", [False, True], ids=["update", "preview"])
@pytest.mark.parametrize("program", sorted(EXPECTED))
def test_every_program_ends_in_a_verdict_or_a_short_message(runs: Any, program: str, preview: bool) -> None:
    run = runs(program, preview)
    assert run.exit_code == EXPECTED[program], f"{program}: {run.output}"
    assert not isinstance(run.exception, Exception) or isinstance(run.exception, SystemExit), run.exception
    assert not any(mark in run.output for mark in ENGINE_MARKS), f"{program}: the engine's frames shown:\n{run.output}"
    if run.exit_code == 2:
        lines = run.output.strip().splitlines()
        assert 0 < len(lines) < 10, run.output
        assert not run.report, "nothing is written on exit 2"
        return
    verdict = "FAIL" if run.exit_code else "pass"
    assert f"demo: {verdict} - " in run.output, run.output
    assert run.report["summary"]["mandatory"] + run.report["summary"]["unverifiableMandatory"] == (
        len([d for d in run.report["diagnostics"] + run.report["unverifiable"] if d["enforcementLevel"] == "mandatory"])
    )


@pytest.mark.parametrize("preview", [False, True], ids=["update", "preview"])
@pytest.mark.parametrize("program", sorted(p for p, code in EXPECTED.items() if code < 2))
def test_sarif_is_valid_and_points_at_the_program_lines(runs: Any, program: str, preview: bool) -> None:
    run = runs(program, preview)
    jsonschema.validate(run.sarif, SCHEMA)
    for d in run.report["diagnostics"] + run.report["unverifiable"]:
        assert d["config"] == {}, f"{d['urn']}: a foreign program has no stack-file entry to edit"
        file = Path(d["source"]["file"])
        assert file.resolve().is_relative_to(run.project.resolve()) and file.suffix == ".py", d
    for result in run.sarif["runs"][0]["results"]:
        location = result["locations"][0]["physicalLocation"]
        uri = location["artifactLocation"]["uri"]
        assert uri.endswith(".py") and "foreign/" + program in uri, uri
        assert location["region"]["startLine"] > 1, result


@pytest.mark.parametrize("preview", [False, True], ids=["update", "preview"])
def test_a_world_open_group_is_found_at_its_line(runs: Any, preview: bool) -> None:
    run = runs("webserver", preview)
    [net] = run.findings("NET-02")
    assert net["urn"].endswith("::web-secgrp") and not net.get("unverifiable", False)
    assert net in run.report["diagnostics"]
    assert net["source"]["line"] == run.line_of("group = aws.ec2.SecurityGroup(")
    assert f"edit {net['source']['file']}:{net['source']['line']}" in run.output
    assert run.report["invokes"]["placeholders"] == {"aws:ec2/getAmi:getAmi": 1}
    assert "placeholders answered 1 invokes (aws:ec2/getAmi:getAmi)" in run.output
    assert run.sarif["runs"][0]["properties"]["invokes"]["placeholders"] == {"aws:ec2/getAmi:getAmi": 1}


@pytest.mark.parametrize("preview", [False, True], ids=["update", "preview"])
def test_a_group_open_to_a_placeholder_cidr_is_unverifiable_never_a_pass(runs: Any, preview: bool) -> None:
    run = runs("internal-api", preview)
    [net] = run.findings("NET-02")
    assert net in run.report["unverifiable"] and net["enforcementLevel"] == "mandatory"
    assert net["urn"].endswith("::api")
    assert "ingress.0.cidrBlocks.0" in net["message"] and "aws:ec2/getVpc:getVpc" in net["message"]
    assert "--invokes FILE" in net["message"] and "admits 0.0.0.0/0" in net["message"]


@pytest.mark.parametrize("preview", [False, True], ids=["update", "preview"])
def test_a_policy_document_invoke_is_computed_not_guessed(runs: Any, preview: bool) -> None:
    run = runs("iam-lambda", preview)
    whole, unnamed = sorted(run.findings("IAM-02"), key=lambda d: "grants every action" not in d["message"])
    assert "statement Everything grants every action of dynamodb:*, s3:*" in whole["message"]
    assert "statement Everything allows s3:" in unnamed["message"] and "on a bucket it does not name" in (
        unnamed["message"])  # fmt: skip
    for finding in (whole, unnamed):
        assert finding["source"]["line"] == run.line_of('aws.iam.RolePolicy("handler-access"')
    assert run.report["invokes"] == {"placeholders": {}, "recorded": {}}


@pytest.mark.parametrize("preview", [False, True], ids=["update", "preview"])
def test_eks_from_primitives_is_judged_at_the_cluster_line(runs: Any, preview: bool) -> None:
    run = runs("eks-primitives", preview)
    controls = {d["control"] for d in run.report["diagnostics"]}
    assert {"EKS-01", "EKS-03"} <= controls
    [secrets] = run.findings("EKS-01")
    assert secrets["source"]["line"] == run.line_of("cluster = aws.eks.Cluster(")
    [cni] = [d for d in run.findings("NODE-06") if d["urn"].endswith("::eks-nodes-1")]
    assert cni["source"]["line"] == run.line_of('aws.iam.RolePolicyAttachment(f"{name}-{i}"')


@pytest.mark.parametrize("preview", [False, True], ids=["update", "preview"])
def test_components_of_other_packages_are_named_as_opaque(runs: Any, preview: bool) -> None:
    awsx = runs("awsx-fargate", preview)
    assert awsx.report["remoteComponents"] == {"awsx:ecs:FargateService": 1, "awsx:lb:ApplicationLoadBalancer": 1}
    assert "2 components of other packages (awsx:ecs:FargateService, awsx:lb:ApplicationLoadBalancer)" in awsx.output
    assert runs("eks-cluster", preview).report["remoteComponents"] == {"eks:index:Cluster": 1}
    assert runs("helm-release", preview).report["remoteComponents"] == {"kubernetes:helm.sh/v4:Chart": 1}


def test_a_fargate_service_is_judged_resource_by_resource(runs: Any) -> None:
    run = runs("fargate", False)
    [retention] = run.findings("LOG-05")
    assert "kept 7 days" in retention["message"]
    assert retention["source"]["line"] == run.line_of('logs = aws.cloudwatch.LogGroup("app"')
    assert [d["urn"].rsplit("::", 1)[1] for d in run.findings("NET-02")] == ["web"]


def test_a_component_of_the_programs_own_points_at_its_own_code(runs: Any) -> None:
    run = runs("own-component", False)
    unencrypted = [d for d in run.findings("S3-01") if d["urn"].endswith("::scratch")]
    assert unencrypted, run.output
    line = run.line_of("self.bucket = aws.s3.Bucket(name, opts=child)", "storage/bucket.py")
    assert unencrypted[0]["source"]["line"] == line and unencrypted[0]["source"]["file"].endswith("storage/bucket.py")
    assert "no server-side encryption configuration" in unencrypted[0]["message"]
    raw = [d["message"] for d in run.findings("S3-01") if d["urn"].endswith("::raw")]
    assert raw and not any("no server-side encryption configuration" in m for m in raw), raw


def test_missing_config_names_the_key_the_stack_file_and_the_option(runs: Any, tmp_path: Path) -> None:
    run = runs("missing-config", False)
    assert "missing-config:tableName" in run.output and "Pulumi.demo.yaml" in run.output
    assert "--config tableName=VALUE" in run.output and f"__main__.py:{run.line_of('require(')}" in run.output
    given = Run("missing-config", False, tmp_path, "--config", "tableName=orders")
    assert given.exit_code in (0, 1) and "demo: " in given.output, given.output


def test_a_missing_module_names_it_and_the_requirements(runs: Any) -> None:
    run = runs("missing-module", True)
    assert "pulumi_gcp" in run.output
    assert f"pip install -r {FOREIGN / 'missing-module' / 'requirements.txt'}" in run.output


def test_a_program_exception_shows_the_programs_frames_only(runs: Any) -> None:
    run = runs("program-exception", False)
    lines = run.output.strip().splitlines()
    assert lines[0] == "the program raised ValueError: unknown tier 'large'; one of small, medium"
    assert lines[1].startswith(f"  __main__.py:{run.line_of('instance_type(tier)')} in <module>: aws.ec2.Instance(")
    assert lines[2].startswith("  infra/sizes.py:8 in instance_type: raise ValueError(")
    assert len(lines) == 3


def test_computed_outputs_are_typed_in_update_mode_and_unknown_in_a_first_preview() -> None:
    from enclave.synth import is_unknown, synth

    guestbook, helm, awsx = FOREIGN / "k8s-guestbook", FOREIGN / "helm-release", FOREIGN / "awsx-fargate"
    update = synth("demo", project_dir=guestbook).outputs
    assert isinstance(update["frontend_ip"], str) and update["frontend_ip"].startswith("10."), update
    assert is_unknown(synth("demo", preview=True, project_dir=guestbook).outputs["frontend_ip"])
    release = synth("demo", project_dir=helm).outputs
    assert release["nginx_version"].startswith("ingress-nginx-") and " (revision 1)" in release["nginx_version"]
    assert synth("demo", project_dir=awsx).outputs["url"].startswith("http://lb-")


def test_a_secret_on_the_aws_managed_key_is_found_at_its_line(runs: Any) -> None:
    run = runs("secrets", False)
    [finding] = run.findings("DATA-10")
    assert "aws/secretsmanager" in finding["message"]
    assert finding["source"]["line"] == run.line_of('token = aws.secretsmanager.Secret("api-token")')
