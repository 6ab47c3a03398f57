"""The offline synth engine: the JSON contract, both modes, and what the captured registrations say."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from enclave.cli import app
from enclave.synth import PROJECT_ROOT, RESOURCE_KEYS, SynthResult, is_unknown, synth
from tests.conftest import STACKS, stack_data

Synth = Callable[..., SynthResult]
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
ARN = re.compile(r"^arn:aws:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+")


MAIN_PLATFORM_LINE = next(
    i for i, line in enumerate((PROJECT_ROOT / "__main__.py").read_text().splitlines(), 1) if "Platform(" in line
)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("preview", [False, True])
def test_contract_shape(synthed: Synth, stack: str, preview: bool) -> None:
    result = synthed(stack, preview)
    doc = json.loads(json.dumps(result.to_json()))
    assert set(doc) == {"stack", "project", "preview", "resources", "outputs"}
    # The stack's exports, what a StackReference of another stack reads: known at update, not all in a preview.
    assert {"cluster_name", "oidc_issuer_url", "kms_key_arns", "namespaces"} <= set(doc["outputs"])
    assert preview or not any(is_unknown(v) for v in doc["outputs"].values())
    assert doc["stack"] == stack and doc["project"] == "gpu-enclave" and doc["preview"] is preview
    assert doc["resources"], "a stack registers resources"
    for res in doc["resources"]:
        assert tuple(res) == RESOURCE_KEYS, res["urn"]
        assert res["urn"].startswith(f"urn:pulumi:{stack}::gpu-enclave::"), res["urn"]
        assert res["urn"].endswith("::" + res["name"]), res["urn"]
        # the platform's program line (every resource comes from the Platform(...) call), no invoke placeholder
        assert res["source"] == {"file": "__main__.py", "line": MAIN_PLATFORM_LINE}, res["urn"]
        assert res["placeholders"] == {}, res["urn"]


@pytest.mark.parametrize("stack", STACKS)
def test_parents_form_a_tree_under_the_stack(synthed: Synth, stack: str) -> None:
    result = synthed(stack)
    urns = result.by_urn()
    stack_urn = f"urn:pulumi:{stack}::gpu-enclave::pulumi:pulumi:Stack::gpu-enclave-{stack}"
    seen: set[str] = set()
    for res in result.resources:
        assert res["parent"] == stack_urn or res["parent"] in seen, f"{res['urn']}: parent listed after child"
        assert res["parent"] == stack_urn or not urns[res["parent"]]["custom"], (
            f"{res['urn']}: parent must be a component"
        )
        seen.add(res["urn"])
    platform = [r for r in result.resources if r["type"] == "enclave:index:Platform"]
    assert len(platform) == 1 and platform[0]["parent"] == stack_urn


@pytest.mark.parametrize("stack", STACKS)
def test_every_aws_resource_uses_the_explicit_provider(synthed: Synth, stack: str) -> None:
    result = synthed(stack)
    providers = result.by_type("pulumi:providers:aws")
    region = stack_data(stack)["region"]
    main = [p for p in providers if p["inputs"]["region"] == region]
    # a second one, in the backups' region, for the replicas (prod), pinned to the same account and tags
    backups = [p for p in providers if p["inputs"]["region"] != region]
    assert len(main) == 1 and len(backups) == int(stack_data(stack).get("backups", {}).get("enabled", False))
    for extra in backups:
        assert extra["inputs"]["allowedAccountIds"] == main[0]["inputs"]["allowedAccountIds"]
        assert extra["inputs"]["defaultTags"] == main[0]["inputs"]["defaultTags"]
    urns = tuple(p["urn"] + "::" for p in providers)
    for res in result.resources:
        if res["custom"] and res["type"].startswith("aws:"):
            assert res["provider"].startswith(urns), f"{res['urn']}: provider {res['provider']}"
            if res["provider"].startswith(tuple(p["urn"] + "::" for p in backups)):
                assert "replica" in res["name"], f"{res['urn']}: only the replicas are in the backups region"


def test_provider_pins_region_account_and_tags(synthed: Synth) -> None:
    provider = next(p for p in synthed("prod").by_type("pulumi:providers:aws") if p["name"] == "prod-aws")["inputs"]
    assert provider["region"] == "us-east-1"
    assert json.loads(provider["allowedAccountIds"]) == ["111122223333"]
    tags = json.loads(provider["defaultTags"])["tags"]
    assert tags["enclave:environment"] == "prod" and tags["data-classification"] == "phi"


def _one(result: SynthResult, typ: str, name: str) -> dict:
    found = [r for r in result.resources if r["type"] == typ and r["name"] == name]
    assert len(found) == 1, f"expected one {typ} named {name}, found {len(found)}"
    return found[0]


def test_property_dependencies_link_bucket_resources(synthed: Synth) -> None:
    for preview in (False, True):
        result = synthed("prod", preview)
        bucket = _one(result, "aws:s3/bucket:Bucket", "prod-datasets-bucket")
        key = _one(result, "aws:kms/key:Key", "prod-training-key")
        sse = _one(
            result,
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "prod-datasets-encryption",
        )
        assert sse["propertyDependencies"]["bucket"] == [bucket["urn"]]
        assert sse["propertyDependencies"]["rules"] == [key["urn"]]
        assert set(sse["dependencies"]) == {bucket["urn"], key["urn"]}
        policy = _one(result, "aws:s3/bucketPolicy:BucketPolicy", "prod-datasets-policy")
        pab = _one(
            result, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "prod-datasets-public-access-block"
        )
        assert pab["urn"] in policy["dependencies"], "the policy waits for the public access block"
        assert pab["urn"] not in policy["propertyDependencies"].get("policy", [])
        logging = _one(result, "aws:s3/bucketLogging:BucketLogging", "prod-datasets-logging")
        access = _one(result, "aws:s3/bucket:Bucket", "prod-audit-logs-access-bucket")
        assert logging["propertyDependencies"]["targetBucket"] == [access["urn"]]
        access_policy = _one(result, "aws:s3/bucketPolicy:BucketPolicy", "prod-audit-logs-access-policy")
        assert access_policy["urn"] in logging["dependencies"], "logging waits until delivery is allowed"


def test_preview_leaves_computed_outputs_unknown(synthed: Synth) -> None:
    preview, update = synthed("prod", True), synthed("prod", False)
    sse_type = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    sse_p = _one(preview, sse_type, "prod-datasets-encryption")["inputs"]
    sse_u = _one(update, sse_type, "prod-datasets-encryption")["inputs"]
    # The bucket's auto-name is assigned in Check, which a preview runs too: known in both modes.
    assert sse_p["bucket"] == sse_u["bucket"] and sse_u["bucket"].startswith("prod-datasets-bucket-")
    assert is_unknown(sse_p["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"])
    assert sse_p["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == UNKNOWN
    key_arn = sse_u["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
    assert re.match(r"^arn:aws:kms:us-east-1:111122223333:key/[0-9a-f-]{36}$", key_arn), key_arn
    # Invokes (caller identity, partition) are answered in preview too: the key policy is known.
    policy_p = _one(preview, "aws:kms/key:Key", "prod-training-key")["inputs"]["policy"]
    assert not is_unknown(policy_p) and "111122223333" in policy_p
    bucket_policy = _one(preview, "aws:s3/bucketPolicy:BucketPolicy", "prod-audit-logs-policy")["inputs"]["policy"]
    assert not is_unknown(bucket_policy), "built from the bucket's name, known in a first preview"
    # An ePHI bucket's data perimeter names the stack's S3 endpoints, which exist only after the first up.
    fenced = _one(preview, "aws:s3/bucketPolicy:BucketPolicy", "prod-datasets-policy")["inputs"]["policy"]
    assert (
        is_unknown(fenced)
        and "vpce-" in _one(update, "aws:s3/bucketPolicy:BucketPolicy", "prod-datasets-policy")["inputs"]["policy"]
    )
    trail = _one(preview, "aws:cloudtrail/trail:Trail", "prod-trail")["inputs"]
    assert is_unknown(trail["kmsKeyId"]), "a new key's ARN is unknown until it exists"


def test_preview_leaves_nested_computed_outputs_unknown_and_their_dependencies_kept(synthed: Synth) -> None:
    """The cluster security group is a computed field inside vpcConfig: in a first preview it is unknown, and
    what uses it still depends on the cluster (policies correlate through that, never through ids)."""
    preview = synthed("prod", True)
    cluster = _one(preview, "aws:eks/cluster:Cluster", "prod-cluster")
    rule = _one(preview, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "prod-api-from-10.100.0.0-24")
    assert is_unknown(rule["inputs"]["securityGroupId"])
    assert rule["propertyDependencies"]["securityGroupId"] == [cluster["urn"]]


def test_update_mode_values_are_shaped_like_aws(synthed: Synth) -> None:
    update = synthed("prod", False)
    policy = json.loads(_one(update, "aws:s3/bucketPolicy:BucketPolicy", "prod-datasets-policy")["inputs"]["policy"])
    for stmt in policy["Statement"]:
        for resource in [stmt["Resource"]] if isinstance(stmt["Resource"], str) else stmt["Resource"]:
            assert resource.startswith("arn:aws:s3:::prod-datasets-bucket-"), resource
    logging = _one(update, "aws:s3/bucketLogging:BucketLogging", "prod-datasets-logging")["inputs"]
    assert logging["targetBucket"].startswith("prod-audit-logs-access-bucket-")
    assert ARN.match(json.loads(json.dumps(policy))["Statement"][0]["Resource"][0])


def test_synth_is_deterministic() -> None:
    first = synth("staging", preview=False).to_json()
    second = synth("staging", preview=False).to_json()
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_secure_values_are_secret_and_unreadable(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "stacks" / "Pulumi.dev.yaml").read_text()
    text = text.replace("config:\n", "config:\n  gpu-enclave:alertWebhook:\n    secure: v1:AAAABBBBCCCC\n", 1)
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(text)
    from components.config import OFFLINE_SECRET, read_stack_file

    parsed = read_stack_file(path)
    assert parsed.config["gpu-enclave:alertWebhook"] == OFFLINE_SECRET
    assert parsed.secret_keys == ["gpu-enclave:alertWebhook"]
    assert synth("dev", config_file=path).resources, "an unused secret does not stop the program"


def test_cli_writes_contract_json(tmp_path: Path) -> None:
    out = tmp_path / "prod.json"
    result = CliRunner().invoke(app, ["synth", "--stack", "prod", "--preview", "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["preview"] is True and doc["stack"] == "prod"
    assert f"{len(doc['resources'])} resources" in result.output


def test_cli_stdout_and_unknown_stack() -> None:
    ok = CliRunner().invoke(app, ["synth", "--stack", "dev"])
    assert ok.exit_code == 0
    assert json.loads(ok.stdout)["stack"] == "dev"
    bad = CliRunner().invoke(app, ["synth", "--stack", "qa"])
    assert bad.exit_code == 2
    assert "no stack 'qa'" in bad.output and "dev, prod, staging" in bad.output


def test_synth_runs_where_an_event_loop_is_running() -> None:
    """A notebook (or playwright's sync API) runs an event loop in the calling thread: synth must not pump that
    loop while the program waits on its own (it hung there). Run in a daemon thread so a hang fails, not blocks."""
    import asyncio
    import threading

    done: list[int] = []

    async def notebook_cell() -> None:
        done.append(len(synth("dev").resources))

    worker = threading.Thread(target=lambda: asyncio.run(notebook_cell()), daemon=True)
    worker.start()
    worker.join(timeout=300)
    assert not worker.is_alive(), "synth hung inside a running event loop"
    assert done and done[0] > 100, done
    assert asyncio.events._get_running_loop() is None
