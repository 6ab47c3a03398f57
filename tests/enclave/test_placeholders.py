"""Invoke placeholders never decide a policy: for each kind (a marked string, an address or CIDR, a number, a
boolean, a placeholder inside a JSON document) a rule that reads one reports UNVERIFIABLE, and the same program
with the invoke's real answer recorded (--invokes) gets a definite verdict. Also: the --invokes file's errors,
--config / --config-secret, and secrets that reach no file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from enclave.cli import app
from enclave.fakes import FakeCloud, policy_document
from enclave.placeholders import PROBES, for_pack, marked_paths
from enclave.shapes import PLACEHOLDER_NUMBERS, Context, invoke_placeholder, resource_outputs
from enclave.synth import synth

FOREIGN = Path(__file__).parent / "foreign"


def program(tmp_path: Path, body: str, config: str = "") -> Path:
    """A project in tmp_path: Pulumi.yaml, Pulumi.demo.yaml and a __main__.py of `body` (aws imported)."""
    (tmp_path / "Pulumi.yaml").write_text("name: kinds\nruntime: python\n", encoding="utf-8")
    (tmp_path / "Pulumi.demo.yaml").write_text(f"config:\n  aws:region: us-east-1\n{config}", encoding="utf-8")
    (tmp_path / "__main__.py").write_text(f"import json\n\nimport pulumi\nimport pulumi_aws as aws\n\n{body}", "utf-8")
    return tmp_path


def preview(project: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    out = project / "out"
    result = CliRunner().invoke(
        app, ["preview", "--stack", "demo", "--project-dir", str(project), "--out-dir", str(out), *extra]
    )
    report = json.loads((out / "demo.json").read_text(encoding="utf-8")) if (out / "demo.json").is_file() else {}
    return result.exit_code, report, result.output


def findings(report: dict[str, Any], control: str, name: str) -> list[dict[str, Any]]:
    every = report["diagnostics"] + report["unverifiable"]
    return [d for d in every if d["control"] == control and d["urn"].endswith(f"::{name}")]


def recorded(project: Path, answers: dict[str, Any]) -> Path:
    path = project / "invokes.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    return path


# One program per placeholder kind: the invoke, what the program does with its answer, the control that reads it,
# the resource, and a real answer under which that control decides (pass: no finding; fail: a definite one).
KINDS = {
    "address": (
        "vpc = aws.ec2.get_vpc(id='vpc-0abc')\n"
        "aws.ec2.SecurityGroup('db', vpc_id=vpc.id, ingress=[{'protocol': 'tcp', 'from_port': 5432, "
        "'to_port': 5432, 'cidr_blocks': [vpc.cidr_block]}])\n",
        "NET-02",
        "db",
        {"aws:ec2/getVpc:getVpc": [{"args": {"id": "vpc-0abc"}, "result": {"cidrBlock": "10.20.0.0/16"}}]},
        "pass",
    ),
    "string": (
        "key = aws.kms.get_alias(name='alias/logs')\n"
        "aws.cloudwatch.LogGroup('app', retention_in_days=400, kms_key_id=key.target_key_arn)\n",
        "LOG-04",
        "app",
        {
            "aws:kms/getAlias:getAlias": [
                {
                    "result": {
                        "targetKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                    }
                }
            ]
        },
        "pass",
    ),
    "number": (
        "existing = aws.cloudwatch.get_log_group(name='/shared/app')\n"
        "aws.cloudwatch.LogGroup('copy', retention_in_days=existing.retention_in_days, kms_key_id="
        "'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab')\n",
        "LOG-05",
        "copy",
        {
            "aws:cloudwatch/getLogGroup:getLogGroup": [
                {"args": {"name": "/shared/app"}, "result": {"retentionInDays": 30}}
            ]
        },
        "fail",
    ),
    "boolean": (
        "account = aws.s3.get_account_public_access_block()\n"
        "bucket = aws.s3.Bucket('data')\n"
        "aws.s3.BucketPublicAccessBlock('data', bucket=bucket.id, block_public_acls=account.block_public_acls, "
        "block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)\n",
        "S3-03",
        "data",
        {"aws:s3/getAccountPublicAccessBlock:getAccountPublicAccessBlock": [{"result": {"blockPublicAcls": True}}]},
        "pass",
    ),
    "json-document": (
        "reader = aws.iam.get_role(name='reader')\n"
        "bucket = aws.s3.Bucket('shared')\n"
        "aws.s3.BucketPolicy('shared', bucket=bucket.id, policy=bucket.arn.apply(lambda arn: json.dumps({"
        "'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'AWS': reader.arn}, "
        "'Action': 's3:GetObject', 'Resource': f'{arn}/*'}]})))\n",
        "S3-08",
        "shared",
        {
            "aws:iam/getRole:getRole": [
                {"args": {"name": "reader"}, "result": {"arn": "arn:aws:iam::123456789012:role/reader"}}
            ]
        },
        "pass",
    ),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_rule_reading_a_placeholder_reports_unverifiable_never_pass(tmp_path: Path, kind: str) -> None:
    body, control, name, answers, verdict = KINDS[kind]
    project = program(tmp_path, body)
    for mode in ([], ["--preview"]):
        code, report, output = preview(project, *mode)
        assert code == 1, output
        found = findings(report, control, name)
        assert found, f"{kind}: {control} passed {name} on a placeholder:\n{output}"
        assert all(d in report["unverifiable"] for d in found), found
        # In a first preview the bucket's ARN is unknown too: the JSON document is, whatever the placeholder.
        assert any("--invokes FILE" in d["message"] for d in found) or (mode and kind == "json-document"), found
    code, report, output = preview(project, "--invokes", str(recorded(project, answers)))
    decided = findings(report, control, name)
    assert not [d for d in decided if d in report["unverifiable"]], f"{kind}: still unverifiable with real answers"
    assert bool(decided) == (verdict == "fail"), f"{kind}: {decided}"
    assert report["invokes"]["recorded"], report["invokes"]


def test_placeholder_marks_are_found_wherever_the_program_puts_them() -> None:
    ctx = Context("aws:ec2/getVpc:getVpc", "x", "us-east-1", "123456789012")
    answer = invoke_placeholder("aws:ec2/getVpc:getVpc", {"default": True}, ctx)
    assert answer is not None and answer["default"] is True, "an argument of the same name is echoed, not marked"
    assert answer["id"].startswith("vpc-placeholder-") and answer["arn"].startswith("arn:aws:ec2:us-east-1:")
    assert answer["cidrBlock"].startswith("198.1") and answer["enableDnsSupport"] == -0.0
    marked = marked_paths(
        {
            "name": f"{answer['id']}-suffix",
            "subnet": "198.19.4.0/26",
            "count": PLACEHOLDER_NUMBERS.start + 1,
            "flag": -0.0,
            "policy": json.dumps({"Resource": answer["arn"]}),
            "real": ["10.0.0.0/16", 3, False, 0.0, "placeholder"],
        }
    )
    assert marked == {"name": "string", "subnet": "string", "count": "number", "flag": "boolean", "policy": "string"}
    sent = for_pack(
        {"a": {"b": [answer["id"], "x"]}, "n": PLACEHOLDER_NUMBERS.start}, {"a.b.0": "string", "n": "number"}
    )
    assert sent == {"a": {"b": [PROBES[0][0], "x"]}, "n": PROBES[0][1]}


def test_outputs_come_from_the_sdk_types() -> None:
    import pulumi_kubernetes as k8s

    ctx = Context("kubernetes:core/v1:Service", "frontend", "us-east-1", "123456789012")
    status = resource_outputs(k8s.core.v1.Service, ctx, {"spec": {}})["status"]
    ingress = status["loadBalancer"]["ingress"][0]
    assert ingress["ip"].startswith("10.") and ingress["hostname"].endswith(".us-east-1.example.com")
    assert "spec" not in resource_outputs(k8s.core.v1.Service, ctx, {"spec": {}}), "inputs are kept, not replaced"


def test_policy_document_is_computed_as_the_provider_does() -> None:
    answer = policy_document(
        {
            "statements": [
                {
                    "sid": "Read",
                    "actions": ["s3:GetObject", "s3:ListBucket"],
                    "resources": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                    "principals": [{"type": "AWS", "identifiers": ["arn:aws:iam::1:root"]}],
                    "conditions": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["true"]}],
                }
            ]
        }
    )
    assert json.loads(answer["json"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Read",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                "Principal": {"AWS": "arn:aws:iam::1:root"},
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            }
        ],
    }
    assert json.loads(answer["minifiedJson"]) == json.loads(answer["json"])
    assert FakeCloud(region="us-east-1").invoke("aws:iam/getPolicyDocument:getPolicyDocument", {}) == policy_document(
        {}
    )


BAD_INVOKES = [
    ("[]", "must be a JSON object of invoke token -> answers"),
    ('{"getAmi": []}', "entry 'getAmi' is not an invoke token"),
    ('{"aws:ec2/getAmi:getAmi": [{"args": {}}]}', 'entry aws:ec2/getAmi:getAmi[0]: needs "result"'),
    ('{"aws:ec2/getAmi:getAmi": [{"result": {}, "when": 1}]}', "entry aws:ec2/getAmi:getAmi[0]: unknown key 'when'"),
    ('{"aws:ec2/getAmi:getAmi": {"args": [], "result": {}}}', '[0]: "args" must be an object'),
    ('{"aws:ec2/getAmi:getAmi": [{"result": {"image_id": "ami-1"}}]}', "result.image_id is not a property"),
    ("{not json", "not valid JSON"),
]


@pytest.mark.parametrize(("text", "message"), BAD_INVOKES)
def test_a_bad_invokes_file_is_exit_2_naming_file_entry_and_fix(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "answers.json"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["preview", "--stack", "demo", "--project-dir", str(FOREIGN / "webserver"), "--invokes", str(path)]
    )
    assert result.exit_code == 2, result.output
    assert f"--invokes {path}" in result.output and message in result.output, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) < 10


@pytest.mark.parametrize("option", ["--config", "--config-secret"])
def test_a_malformed_config_option_is_exit_2(option: str) -> None:
    result = CliRunner().invoke(
        app, ["synth", "--stack", "demo", "--project-dir", str(FOREIGN / "webserver"), option, "x"]
    )
    assert result.exit_code == 2 and f"{option} 'x': expected KEY=VALUE" in result.output


def test_config_on_the_command_line_is_set_as_pulumi_config_set_would() -> None:
    base = synth("demo", project_dir=FOREIGN / "webserver")
    given = synth("demo", project_dir=FOREIGN / "webserver", config_values={"instanceType": "m7i.large"})
    [server] = [r for r in given.resources if r["name"] == "web-server-www"]
    assert server["inputs"]["instanceType"] == "m7i.large"
    assert next(r for r in base.resources if r["name"] == "web-server-www")["inputs"]["instanceType"] == "t3.micro"
    aws = synth("demo", project_dir=FOREIGN / "webserver", config_values={"aws:region": "eu-central-1"})
    assert ":eu-central-1:" in aws.outputs["public_dns"] or "eu-central-1" in aws.outputs["public_dns"]


SECRET = "Tr0ub4dor&3-not-for-files"


@pytest.mark.parametrize("mode", [[], ["--preview"]], ids=["update", "preview"])
def test_secrets_are_marked_and_their_plaintext_reaches_no_file(tmp_path: Path, mode: list[str]) -> None:
    project = FOREIGN / "secrets"
    secret = ["--config-secret", f"adminPassword={SECRET}"]
    synth_out = tmp_path / "synth.json"
    first = CliRunner().invoke(
        app, ["synth", "--stack", "demo", "--project-dir", str(project), "-o", str(synth_out), *secret, *mode]
    )
    assert first.exit_code == 0, first.output
    table = tmp_path / "table.txt"
    run = CliRunner().invoke(
        app,
        ["preview", "--stack", "demo", "--project-dir", str(project), "--out-dir", str(tmp_path), "-o", str(table),
         *secret, *mode],
    )  # fmt: skip
    # The program's one finding: its Secrets Manager secret sits on the AWS managed key. The gate fails on it and
    # still writes every file, none of which may hold the plaintext.
    assert run.exit_code == 1, run.output
    assert "1 mandatory, 0 advisory" in run.output, run.output
    report = json.loads((tmp_path / "demo.json").read_text(encoding="utf-8"))
    assert [(d["control"], d["urn"].rsplit("::", 1)[1]) for d in report["diagnostics"]] == [("DATA-10", "api-token")]
    for path in (synth_out, tmp_path / "demo.json", tmp_path / "demo.sarif", table):
        assert SECRET not in path.read_text(encoding="utf-8"), f"{path} holds the secret's plaintext"
    assert SECRET not in first.output + run.output
    data = json.loads(synth_out.read_text(encoding="utf-8"))
    by_name = {r["type"].rsplit(":", 1)[1] + "/" + r["name"]: r for r in data["resources"]}
    marker = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "[secret]"}
    assert by_name["Instance/db"]["inputs"]["password"] == marker
    assert by_name["SecretVersion/api-token"]["inputs"]["secretString"] == marker
    assert by_name["Secret/db"]["inputs"]["stringData"] == marker
    assert by_name["Instance/db"]["inputs"]["username"] == "app", "what is not secret stays readable"
    if not mode:
        assert by_name["Parameter/connection"]["inputs"]["value"] == marker, "additional_secret_outputs: input too"
        assert data["outputs"]["connection"] == marker and data["outputs"]["password"] == marker
    in_memory = synth("demo", project_dir=project, secret_values={"adminPassword": SECRET})
    [db] = [r for r in in_memory.resources if r["type"] == "aws:rds/instance:Instance"]
    assert db["inputs"]["password"]["value"] == SECRET, "the pack is sent the value, as the engine sends it"
