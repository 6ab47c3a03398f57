"""The pack's gRPC server: pulumi-policy's analyzer with two additions, and the only place that touches the
SDK's internals (pulumi-policy 1.21.0, pinned in requirements.txt; tests/policy_packs check the pin).

- Configure also hands the `exemptions` policy's entries to every rule (pulumi-policy gives each policy only
  its own config, and exemptions name controls across policies), and checks every policy's level against the
  pack config's `minimumLevel` (reported at AnalyzeStack as mandatory, whatever level the config gives the
  exemptions policy itself: the floor cannot be switched off by the config it polices).
- Analyze / AnalyzeStack set the level of the diagnostics the rules asked for (framework.pack.LEVEL_OVERRIDES):
  exempted findings advisory, unverifiable ones at their policy's `unverifiableLevel`; and they run only the
  rules that apply, decoding each request once.

`serve` mirrors `pulumi_policy.PolicyPack`: start the server on 127.0.0.1, print the port, block.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterable, Mapping
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import json_format
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel, Policy
from pulumi_policy import policy as sdk
from pulumi_policy.version import VERSION as SDK_VERSION

from . import PACK_DIR, exemptions
from .model import Resource, Stack
from .pack import (
    EXEMPTIONS_POLICY,
    LEVEL_OVERRIDES,
    check_exemptions,
    policies,
    reinstate,
    run_resource,
    run_stack,
    settings,
)
from .rules import Rule
from .values import plain

EXPECTED_SDK = "1.21.0"
_PROTO_LEVEL = {name.lower(): number for name, number in proto.EnforcementLevel.items()}  # pulumirpc


class Servicer(sdk._PolicyAnalyzerServicer):  # the one use of the SDK's internals (see above)
    """pulumi-policy's analyzer, with the additions above and a faster Analyze / AnalyzeStack: the SDK decodes
    a resource's properties once per policy and builds the stack graph once per stack policy; here each is
    done once per request, and only the rules for the resource's type run. Findings, messages and levels are
    the same as through the SDK's own path (framework.pack.run_resource / run_stack serve both)."""

    def __init__(self, rules: Mapping[str, Rule], policies: list[Policy], controls: Iterable[str], name: str,
                 description: str) -> None:  # fmt: skip
        super().__init__(
            name, _version(), policies, EnforcementLevel.MANDATORY, None, description, None, None, "aws", None, None
        )
        self._rules = dict(rules)
        self._controls = list(controls)
        self._policies = {p.name: p for p in policies}
        self._by_type: dict[str, list[Rule]] = {}
        for rule in self._rules.values():
            for rtype in rule.resource_types:
                self._by_type.setdefault(rtype, []).append(rule)
        self._stack_rules = [r for _, r in sorted(self._rules.items()) if r.stack]

    def Configure(self, request: Any, context: Any) -> Any:
        gate: dict[str, Any] = {}
        if EXEMPTIONS_POLICY in request.policyConfig:
            gate = json_format.MessageToDict(request.policyConfig[EXEMPTIONS_POLICY].properties)
        response = super().Configure(request, context)
        levels = {name: self._get_enforcement_level(p).value for name, p in self._policies.items()}
        max_days, max_resources = _bounded(gate, "maxWaiverDays"), _bounded(gate, "maxResources")
        waivers, floor = exemptions.parse_waivers(gate.get("levelWaivers"), self._policies, max_days)
        floor = [f"invalid level waiver: {p}" for p in floor]
        floor += exemptions.level_problems(
            levels, str(gate.get("minimumLevel", "disabled")), waivers, exemptions.today()
        )
        exemptions.REGISTRY.configure(
            gate.get("entries"), self._controls, max_days, max_resources, floor, stages=gate.get("stages")
        )
        return response

    def _relevel(self, response: Any, urn: str = "") -> Any:
        for diagnostic in response.diagnostics:
            level = LEVEL_OVERRIDES.pop(diagnostic.policyName, diagnostic.urn or urn, diagnostic.message)
            if level is not None:
                diagnostic.enforcementLevel = _PROTO_LEVEL[level]
        return response

    def _level(self, name: str) -> EnforcementLevel:
        level = self._get_enforcement_level(self._policies[name])
        return EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level

    def _reporter(self, response: Any, name: str) -> Any:
        policy = self._policies[name]
        return self._create_report_violation(response, name, policy.description, self._level(name), policy.severity)

    def Analyze(self, request: Any, context: Any) -> Any:
        response = proto.AnalyzeResponse()
        rules = [r for r in self._by_type.get(request.type, []) if self._level(r.name) != EnforcementLevel.DISABLED]
        if rules:
            resource = Resource(
                type=request.type,
                urn=request.urn,
                name=request.name,
                props=plain(json_format.MessageToDict(request.properties)),
                parent=request.options.parent or None,
                **_provider(request),
            )
            for rule in rules:
                config = settings(rule, self._get_policy_config(rule.name))
                run_resource(rule, resource, config, self._reporter(response, rule.name))
        return self._relevel(response, request.urn)

    def _checked(self) -> dict[str, set[str] | None]:
        """Per control, the resource types its rules check (None where a rule judges the stack as a whole)."""
        out: dict[str, set[str] | None] = {}
        for rule in self._rules.values():
            types = set(rule.subjects if rule.stack else rule.resource_types)
            known = out.get(rule.control, set())
            out[rule.control] = None if known is None or (rule.stack and not types) else known | types
        return out

    def AnalyzeStack(self, request: Any, context: Any) -> Any:
        response = proto.AnalyzeResponse()
        exemptions.REGISTRY.refuse_broad([(r.urn, r.type, r.name) for r in request.resources], self._checked())
        descriptions = {name: p.description for name, p in self._policies.items()}
        reinstate(lambda name: self._reporter(response, name), descriptions)
        stack = Stack(
            Resource(
                type=r.type,
                urn=r.urn,
                name=r.name,
                props=plain(json_format.MessageToDict(r.properties)),
                parent=r.parent or None,
                dependencies=list(r.dependencies),
                property_dependencies={k: list(v.urns) for k, v in r.propertyDependencies.items()},
                **_provider(r),
            )
            for r in request.resources
        )
        for rule in self._stack_rules:
            if self._level(rule.name) != EnforcementLevel.DISABLED:
                config = settings(rule, self._get_policy_config(rule.name))
                run_stack(rule, stack, config, self._reporter(response, rule.name))
        # Exemptions last: they report which ones matched a finding of the rules above. Refused exemptions and
        # waivers are mandatory even where the config disables or lowers the exemptions policy.
        check_exemptions(self._reporter(response, EXEMPTIONS_POLICY), self._level(EXEMPTIONS_POLICY).value)
        return self._relevel(response)


def _provider(message: Any) -> dict[str, Any]:
    """The `provider` / `provider_props` fields of a Resource from a request or stack resource (as the SDK's
    PolicyProviderResource gives them: URN and properties)."""
    if not message.HasField("provider") or not message.provider.urn:
        return {}
    props = plain(json_format.MessageToDict(message.provider.properties))
    return {"provider": message.provider.urn, "provider_props": props if isinstance(props, dict) else {}}


def _bounded(gate: Mapping[str, Any], key: str) -> int:
    """An integer gate setting within its schema's bounds (the engine validates the schema; this keeps a
    config it did not validate from widening the gate)."""
    schema = exemptions.GATE_SCHEMA[key]
    value = gate.get(key, schema["default"])
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a protobuf Struct carries every number as a double
    if not isinstance(value, int) or isinstance(value, bool):
        return int(schema["default"])
    return max(int(schema["minimum"]), min(int(schema["maximum"]), value))


def _version() -> str:
    """The pack's version from PulumiPolicy.yaml (what the CLI reports too)."""
    text = (PACK_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8")
    found = re.search(r"^version:\s*([\w.+-]+)\s*$", text, flags=re.M)
    return found[1] if found else "0.0.0"


def serve(name: str, rules: Mapping[str, Rule], controls: Iterable[str], description: str) -> None:
    if SDK_VERSION != EXPECTED_SDK:
        raise RuntimeError(f"this pack's server is written against pulumi-policy {EXPECTED_SDK}, not {SDK_VERSION}")
    servicer = Servicer(rules, policies(rules), controls, name, description)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=sdk._GRPC_CHANNEL_OPTIONS)
    analyzer_pb2_grpc.add_AnalyzerServicer_to_server(servicer, server)
    port = server.add_insecure_port(address="127.0.0.1:0")
    server.start()
    sys.stdout.buffer.write(f"{port}\n".encode())
    sys.stdout.flush()
    # Serve until the engine that started the pack is gone (its parent changes): a pack whose engine was
    # killed outright must not serve on, orphaned, forever.
    parent = os.getppid()
    try:
        while os.getppid() == parent:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    server.stop(0)
