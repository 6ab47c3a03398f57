"""The pack server's fast Analyze / AnalyzeStack give exactly what pulumi-policy's own path gives (each policy
decoding the request itself): same policies, URNs, messages and levels, on every fixture and on the prod stack
in both modes. In-process, with the pack config applied through Configure as the engine sends it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import policy as sdk

from catalog import CONTROLS
from enclave.preview import PACK_DIR, _request, _stack_resource, policy_configs, read_pack_config
from enclave.synth import SynthResult
from framework.pack import policies
from framework.server import Servicer
from tests.policy_packs.harness import RULES
from tests.policy_packs.test_fixtures import CASES

Key = tuple[str, str, str, int]


def servicer(config: Mapping[str, Any]) -> Servicer:
    s = Servicer(RULES, policies(RULES), CONTROLS, "gpu-enclave-hipaa", "test")
    info = s.GetAnalyzerInfo(empty_pb2.Empty(), None)
    configs = policy_configs(info, config, "test config")
    s.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=configs), None)
    return s


def keys(response: Any, urn: str = "") -> Counter[Key]:
    return Counter((d.policyName, d.urn or urn, d.message, d.enforcementLevel) for d in response.diagnostics)


def compare(s: Servicer, records: list[dict[str, Any]]) -> int:
    """Both paths over `records`; returns how many diagnostics they agreed on."""
    agreed = 0
    for record in records:
        request = _request(record, record["inputs"], None)
        fast = keys(s.Analyze(request, None), record["urn"])
        slow = keys(s._relevel(sdk._PolicyAnalyzerServicer.Analyze(s, request, None), record["urn"]), record["urn"])
        assert fast == slow, f"{record['urn']}: fast {sorted(fast - slow)} vs SDK {sorted(slow - fast)}"
        agreed += sum(fast.values())
    stack = analyzer_pb2.AnalyzeStackRequest(resources=[_stack_resource(r, r["inputs"], None) for r in records])
    fast = keys(s.AnalyzeStack(stack, None))
    slow = keys(s._relevel(sdk._PolicyAnalyzerServicer.AnalyzeStack(s, stack, None)))
    assert fast == slow, f"stack: fast {sorted(fast - slow)} vs SDK {sorted(slow - fast)}"
    return agreed + sum(fast.values())


def test_fast_path_matches_the_sdk_on_every_fixture() -> None:
    agreed = 0
    for rule, cases in CASES.items():
        for case in cases:
            agreed += compare(servicer({rule: dict(case.config)}), case.resources)
    assert agreed > 200, f"only {agreed} diagnostics compared: the fixtures no longer exercise the paths"


@pytest.mark.parametrize("preview", [False, True], ids=["update", "preview"])
def test_fast_path_matches_the_sdk_on_prod(synthed: Callable[[str, bool], SynthResult], preview: bool) -> None:
    result = synthed("prod", preview)
    config = read_pack_config(PACK_DIR / "config" / "prod.json")
    compare(servicer(config), result.resources)
    # dev's looser config (advisory and remediate levels) through the same comparison
    compare(servicer(read_pack_config(PACK_DIR / "config" / "dev.json")), result.resources)
