"""The pack as the engine runs it: `python -m pulumi.policy <engine> policy_packs/hipaa` in its own process,
driven over gRPC (GetAnalyzerInfo, Configure, Remediate, Analyze, AnalyzeStack) with enclave.preview's engine
side. Covers what only the process shows: policy metadata, levels, exemptions, unverifiable levels,
remediation and a rule that raises. Every test runs twice: against that process, and against
`framework.server.serve` run in a thread of this process (same gRPC calls, same assertions), so that what the
server decides is seen by in-process tools too (mutation testing's coverage pass cannot see into another
process)."""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2_grpc

from catalog import CONTROLS
from enclave.preview import LEVELS, PACK_DIR, STARTUP_SECONDS, analyze, pack_process, policy_configs, read_port
from enclave.synth import SynthResult
from framework import server
from tests.conftest import EXPIRES
from tests.policy_packs.fixtures import UNKNOWN, doc, k8s, res, zone_namespace
from tests.policy_packs.harness import RULES

KEY = "aws:kms/key:Key"
BUCKET = "aws:s3/bucket:Bucket"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
V2 = {"httpTokens": "required", "httpPutResponseHopLimit": 1}
FUTURE, PAST = EXPIRES, "2020-01-01"


@dataclass(frozen=True)
class Seen:
    policy: str
    urn: str
    level: str
    message: str


@contextmanager
def engine_port() -> Iterator[int]:
    """The pack in its own process, started as the engine starts it."""
    with pack_process(PACK_DIR) as proc:
        yield read_port(proc)


@contextmanager
def thread_port() -> Iterator[int]:
    """`framework.server.serve` in a thread of this process, as the pack's __main__ calls it. Its engine is
    "gone" (the parent process id it polls changes) when the block ends; it must then stop within seconds."""
    out, engine_gone = io.BytesIO(), threading.Event()
    fake_os = SimpleNamespace(getppid=lambda: 2 if engine_gone.is_set() else 1)
    fake_sys = SimpleNamespace(stdout=SimpleNamespace(buffer=out, flush=lambda: None))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(server, "os", fake_os)
        patch.setattr(server, "sys", fake_sys)
        thread = threading.Thread(
            target=server.serve, args=("gpu-enclave-hipaa", RULES, CONTROLS, "in-process"), daemon=True
        )
        thread.start()
        for _ in range(int(STARTUP_SECONDS * 10)):
            if out.getvalue().endswith(b"\n") or not thread.is_alive():
                break
            time.sleep(0.1)
        printed = out.getvalue().decode()
        assert printed.strip().isdigit(), f"serve printed {printed!r}, not its port on a line"
        try:
            yield int(printed)
        finally:
            engine_gone.set()
            thread.join(10)
            assert not thread.is_alive(), "serve kept serving after its engine was gone"


@contextmanager
def connected(port: int) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield analyzer_pb2_grpc.AnalyzerStub(channel)


@pytest.fixture(scope="module", params=["process", "thread"])
def pack_mode(request: pytest.FixtureRequest) -> str:
    """How `stub` runs the pack (a test module may override this fixture with one mode)."""
    return str(request.param)


@pytest.fixture(scope="module")
def stub(pack_mode: str) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    with engine_port() if pack_mode == "process" else thread_port() as port, connected(port) as s:
        yield s


@pytest.fixture(scope="module")
def info(stub: analyzer_pb2_grpc.AnalyzerStub) -> Any:
    return stub.GetAnalyzerInfo(empty_pb2.Empty())


def through(
    stub: analyzer_pb2_grpc.AnalyzerStub, info: Any, records: list[dict[str, Any]], config: Mapping[str, Any]
) -> tuple[list[Seen], list[dict[str, str]]]:
    configs = policy_configs(info, config, "test config")
    raw, remediations = analyze(stub, SynthResult("test", "enclave", True, records), configs)
    return [Seen(d.policyName, urn, LEVELS[d.enforcementLevel], d.message) for urn, d in raw], remediations


def exemption(**fields: str) -> dict[str, str]:
    return {"reason": "the key is imported from the HSM team", "owner": "platform-security", **fields}


def test_analyzer_info_describes_every_policy(info: Any) -> None:
    version = re.search(r"^version:\s*(\S+)", (PACK_DIR / "PulumiPolicy.yaml").read_text(), re.M)
    assert info.name == "gpu-enclave-hipaa" and version and info.version == version[1]
    policies = {p.name: p for p in info.policies}
    assert set(policies) == set(RULES) | {"exemptions"}
    for name, rule in RULES.items():
        p, control = policies[name], CONTROLS[rule.control]
        assert p.displayName == f"{control.id}: {control.title}"
        assert f"control:{control.id}" in p.tags and p.remediation_steps == control.remediation
        scope = [t for t in p.tags if t.startswith(("scope:", "type:", "subject:"))]
        expected = (
            ["scope:stack", *(f"subject:{t}" for t in rule.subjects)]
            if rule.stack
            else ["scope:resource", *(f"type:{t}" for t in rule.resource_types)]
        )
        assert scope == expected, name
        assert p.framework.name == "HIPAA Security Rule" and p.framework.specification == ", ".join(control.citations)
        assert p.url.endswith(f"RULES.md#{control.anchor}")
        assert LEVELS[p.enforcementLevel] == "mandatory"
        schema = json_format.MessageToDict(p.configSchema)["properties"]
        assert schema["unverifiableLevel"]["enum"] == ["advisory", "mandatory", "disabled"]
        assert set(rule.config) <= set(schema)


def test_a_violation_is_mandatory_and_says_control_resource_and_fix(stub: Any, info: Any) -> None:
    seen, _ = through(stub, info, [res("audit-key", KEY, {"enableKeyRotation": False})], {})
    [hit] = [s for s in seen if s.policy == "kms-key-rotation-enabled"]
    assert hit.level == "mandatory" and hit.urn == "audit-key"
    description = RULES["kms-key-rotation-enabled"].description
    assert hit.message.startswith(f"{description}\nKMS-01 Customer-managed keys rotate automatically (45 CFR ")
    assert "45 CFR 164.312(a)(2)(iv)" in hit.message and "audit-key" in hit.message
    assert "\nFix: Set enable_key_rotation=True" in hit.message


def test_a_policy_level_from_the_pack_config(stub: Any, info: Any) -> None:
    key = res("k", KEY, {"enableKeyRotation": False})
    for level in ("advisory", "disabled"):
        seen, _ = through(stub, info, [key], {"kms-key-rotation-enabled": level})
        found = [s for s in seen if s.policy == "kms-key-rotation-enabled"]
        assert [s.level for s in found] == ([] if level == "disabled" else ["advisory"])
    seen, _ = through(stub, info, [key], {"all": "advisory"})
    assert {s.level for s in seen} == {"advisory"}


def test_unverifiable_findings_take_their_policys_level(stub: Any, info: Any) -> None:
    key = res("k", KEY, {"enableKeyRotation": UNKNOWN})
    expected = {"mandatory": ["mandatory"], "advisory": ["advisory"], "disabled": []}
    for level, levels in expected.items():
        config = {"kms-key-rotation-enabled": {"unverifiableLevel": level}}
        seen, _ = through(stub, info, [key], config)
        found = [s for s in seen if s.policy == "kms-key-rotation-enabled"]
        assert [s.level for s in found] == levels, level
        assert all("UNVERIFIABLE at preview: " in s.message for s in found)


def test_an_exemption_keeps_the_finding_visible_but_advisory(stub: Any, info: Any) -> None:
    keys = [res("imported", KEY, {"enableKeyRotation": False}), res("other", KEY, {"enableKeyRotation": False})]
    config = {"exemptions": {"entries": [exemption(control="KMS-01", name="imported", expires=FUTURE)]}}
    seen, _ = through(stub, info, keys, config)
    by_urn = {s.urn: s for s in seen if s.policy == "kms-key-rotation-enabled"}
    assert by_urn["imported"].level == "advisory"
    assert by_urn["imported"].message.split("\n")[1].startswith(f"EXEMPTED until {FUTURE} (owner platform-security)")
    assert by_urn["other"].level == "mandatory"
    assert not [s for s in seen if s.policy == "exemptions"], "a used, current exemption is not reported"


def test_an_expired_exemption_exempts_nothing_and_is_itself_mandatory(stub: Any, info: Any) -> None:
    config = {"exemptions": {"entries": [exemption(control="KMS-01", urn="imp*", expires=PAST)]}}
    seen, _ = through(stub, info, [res("imported", KEY, {"enableKeyRotation": False})], config)
    assert [s.level for s in seen if s.policy == "kms-key-rotation-enabled"] == ["mandatory"]
    [expired] = [s for s in seen if s.policy == "exemptions"]
    assert expired.level == "mandatory" and f"expired on {PAST}" in expired.message


def test_an_unused_exemption_is_reported(stub: Any, info: Any) -> None:
    config = {"exemptions": {"entries": [exemption(control="S3-09", type=BUCKET, expires=FUTURE)]}}
    seen, _ = through(stub, info, [res("k", KEY, {"enableKeyRotation": True})], config)
    [unused] = [s for s in seen if s.policy == "exemptions"]
    assert unused.level == "advisory" and "matched no finding: remove it" in unused.message


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (exemption(control="KMS-99", name="k", expires=FUTURE), "'KMS-99': no such control"),
        (exemption(control="KMS-01", expires=FUTURE), "a control-wide waiver is refused"),
        (exemption(control="KMS-01", name="k", expires="next week"), "'next week': a date YYYY-MM-DD"),
        ({**exemption(control="KMS-01", name="k", expires=FUTURE), "reason": "because"}, "reason: say why"),
        ({**exemption(control="KMS-01", name="k", expires=FUTURE), "owner": " "}, "owner: name who answers"),
    ],
)
def test_a_malformed_exemption_is_mandatory_and_exempts_nothing(
    stub: Any, info: Any, entry: dict[str, str], problem: str
) -> None:
    config = {"exemptions": {"entries": [entry]}}
    seen, _ = through(stub, info, [res("k", KEY, {"enableKeyRotation": False})], config)
    [invalid] = [s for s in seen if s.policy == "exemptions"]
    assert invalid.level == "mandatory" and "exemptions.entries[0]" in invalid.message and problem in invalid.message
    assert [s.level for s in seen if s.policy == "kms-key-rotation-enabled"] == ["mandatory"]


def test_a_malformed_exemption_stays_mandatory_when_the_config_lowers_the_exemptions_policy(
    stub: Any, info: Any
) -> None:
    for level in ("advisory", "disabled"):
        entry = exemption(control="KMS-99", name="k", expires=FUTURE)
        config = {"exemptions": {"enforcementLevel": level, "entries": [entry]}}
        seen, _ = through(stub, info, [res("k", KEY, {"enableKeyRotation": True})], config)
        [invalid] = [s for s in seen if s.policy == "exemptions"]
        assert invalid.level == "mandatory" and "'KMS-99': no such control" in invalid.message, level


def test_a_policy_below_the_minimum_level_fails_the_run_unless_a_current_waiver_names_it(stub: Any, info: Any) -> None:
    key = res("k", KEY, {"enableKeyRotation": False})
    waiver = {"policy": "kms-key-rotation-enabled", "level": "advisory", **exemption(expires=FUTURE)}
    gate = {"minimumLevel": "mandatory", "entries": []}
    seen, _ = through(stub, info, [key], {"kms-key-rotation-enabled": "advisory", "exemptions": gate})
    [floor] = [s for s in seen if s.policy == "exemptions"]
    assert floor.level == "mandatory" and "policy kms-key-rotation-enabled is advisory in this pack config, below " \
        "its minimumLevel mandatory" in floor.message  # fmt: skip
    config = {"kms-key-rotation-enabled": "advisory", "exemptions": {**gate, "levelWaivers": [waiver]}}
    seen, _ = through(stub, info, [key], config)
    assert not [s for s in seen if s.policy == "exemptions"], [s.message for s in seen]
    assert [s.level for s in seen if s.policy == "kms-key-rotation-enabled"] == ["advisory"]
    lapsed = {**config, "exemptions": {**gate, "levelWaivers": [{**waiver, "policy": "no-such-policy"}]}}
    seen, _ = through(stub, info, [key], lapsed)
    problems = sorted(s.message.splitlines()[-1] for s in seen if s.policy == "exemptions")
    assert any("invalid level waiver: exemptions.levelWaivers[0].policy = 'no-such-policy'" in p for p in problems)


def test_a_control_wide_exemption_is_refused_once_the_stack_is_known(stub: Any, info: Any) -> None:
    keys = [res(f"key{i}", KEY, {"enableKeyRotation": False}) for i in range(2)]
    config = {"exemptions": {"entries": [exemption(control="KMS-01", name="key*", expires=FUTURE)]}}
    seen, _ = through(stub, info, keys, config)
    [refused] = [s for s in seen if s.policy == "exemptions"]
    assert refused.level == "mandatory" and "covers all 2 resources KMS-01 checks" in refused.message
    found = [s for s in seen if s.policy == "kms-key-rotation-enabled" and s.level == "mandatory"]
    assert sorted(s.urn for s in found if "is refused (it waives its control wholesale)" in s.message) == [
        "key0", "key1"
    ]  # fmt: skip


def test_a_stage_entry_that_explains_no_finding_is_reported(stub: Any, info: Any) -> None:
    staged = {"zone": "notebooks", "namespaces": ["notebooks"], "stage": "warn", "owner": "ml-platform"}
    seen, _ = through(stub, info, [res("k", KEY, {"enableKeyRotation": True})], {"exemptions": {"stages": [staged]}})
    [unused] = [s for s in seen if s.policy == "exemptions"]
    assert unused.level == "advisory" and unused.message.endswith(
        "exemptions.stages[0]: zone notebooks is at stage warn with no expiry (owner ml-platform; "
        "exemptions.stages[0]) explained no finding: move it to enforce, or remove the entry"
    )


def test_a_malformed_exemption_list_is_refused_before_the_run(info: Any) -> None:
    from enclave.preview import PreviewInputError

    with pytest.raises(PreviewInputError, match=r"exemptions\.entries = 'all'"):
        policy_configs(info, {"exemptions": {"entries": "all"}}, "test config")
    with pytest.raises(PreviewInputError, match=r"exemptions\.entries\[0\] = .*'expires' is a required property"):
        policy_configs(info, {"exemptions": {"entries": [{"control": "KMS-01", "reason": "r", "owner": "o"}]}}, "c")


def test_remediation_fixes_the_inputs_and_the_fixed_resource_passes(stub: Any, info: Any) -> None:
    records = [
        res("k", KEY, {"enableKeyRotation": False}),
        res("ok", KEY, {"enableKeyRotation": True}),
        res("rsa", KEY, {"customerMasterKeySpec": "RSA_2048"}),
        zone_namespace("training", "training", "training"),
        res("lt-ok", TEMPLATE, {"metadataOptions": V2, "networkInterfaces": [{"deviceIndex": 0}]}),
        res(
            "lt-v1",
            TEMPLATE,
            {"metadataOptions": {"httpTokens": "optional"}, "networkInterfaces": [{"deviceIndex": 0}]},
        ),
    ]
    config = {
        "kms-key-rotation-enabled": "remediate",
        "namespaces-enforce-pod-security": "remediate",
        "instance-metadata-v2": "remediate",
    }
    seen, remediations = through(stub, info, records, config)
    # only what changed is a remediation: not the compliant key and template, not the key that cannot rotate
    assert {(r["policyName"], r["urn"]) for r in remediations} == {
        ("kms-key-rotation-enabled", "k"),
        ("namespaces-enforce-pod-security", "cluster/Namespace/training"),
        ("instance-metadata-v2", "lt-v1"),
    }
    assert not [s for s in seen if s.policy in config], [s.message for s in seen if s.policy in config]


def test_a_rule_that_raises_reports_itself_and_the_pack_keeps_serving(stub: Any, info: Any) -> None:
    # A key policy that is JSON but not a policy document, and a role whose trust policy is a number: rules
    # must report what they could not decide, never pass silently or take the pack down.
    hostile = [
        res("k", KEY, {"enableKeyRotation": True, "policy": '{"Statement": "not a list"}'}),
        res("r", "aws:iam/role:Role", {"assumeRolePolicy": 42, "maxSessionDuration": "an hour"}),
        k8s("Namespace", "v1", "odd", meta={"labels": ["not", "a", "map"]}),
    ]
    seen, _ = through(stub, info, hostile, {})
    assert seen, "hostile inputs produced no finding at all"
    assert {s.urn for s in seen} >= {"k", "r", "cluster/Namespace/odd"}
    seen, _ = through(stub, info, [res("k2", KEY, {"enableKeyRotation": False})], {})
    assert [s.urn for s in seen if s.policy == "kms-key-rotation-enabled"] == ["k2"]


def test_a_stack_rule_sees_dependencies_over_the_wire(stub: Any, info: Any) -> None:
    # S3-01 is decided from the encryption resource that names the bucket: with it the bucket passes, without
    # it the bucket fails; the link arrives as a property dependency, not a name.
    bucket = res("data", BUCKET, {"bucket": "enclave-data"})
    key = res("key", KEY, {"enableKeyRotation": True, "policy": doc()})
    sse = res(
        "data-sse",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        {
            "bucket": UNKNOWN,
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": UNKNOWN},
                    "bucketKeyEnabled": True,
                    "blockedEncryptionTypes": ["SSE-C"],
                }
            ],
        },
        bucket=["data"],
        rules=["key"],
    )
    rule = "s3-bucket-encrypted-with-customer-key"
    seen, _ = through(stub, info, [bucket, key, sse], {})
    assert not [s for s in seen if s.policy == rule], [s.message for s in seen if s.policy == rule]
    seen, _ = through(stub, info, [bucket, key], {})
    assert [s.urn for s in seen if s.policy == rule] == ["data"]


def secret(value: Any) -> dict[str, Any]:
    """A secret as the engine encodes it on the wire."""
    return {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": value}


def test_secret_values_are_decided_like_plain_ones(stub: Any, info: Any) -> None:
    records = [
        res("off", KEY, {"enableKeyRotation": secret(False)}),
        res("on", KEY, {"enableKeyRotation": secret(True)}),
        res("tpl", TEMPLATE, {"metadataOptions": secret({"httpTokens": "optional", "httpPutResponseHopLimit": 1})}),
    ]
    seen, _ = through(stub, info, records, {})
    assert [s.urn for s in seen if s.policy == "kms-key-rotation-enabled"] == ["off"]
    assert [s.urn for s in seen if s.policy == "instance-metadata-v2"] == ["tpl"]
