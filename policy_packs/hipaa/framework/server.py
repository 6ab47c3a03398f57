"""The pack's gRPC server: pulumi-policy's analyzer with two additions, and the only place that touches the
SDK's internals (pulumi-policy 1.21.0, pinned in requirements.txt; tests/policy_packs check the pin).

- Configure also hands the `exemptions` policy's entries to every rule (pulumi-policy gives each policy only
  its own config, and exemptions name controls across policies).
- Analyze / AnalyzeStack set the level of the diagnostics the rules asked for (framework.pack.LEVEL_OVERRIDES):
  exempted findings advisory, unverifiable ones at their policy's `unverifiableLevel`.

`serve` mirrors `pulumi_policy.PolicyPack`: start the server on 127.0.0.1, print the port, block.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel, Policy
from pulumi_policy import policy as sdk
from pulumi_policy.version import VERSION as SDK_VERSION

from . import exemptions
from .pack import EXEMPTIONS_POLICY, LEVEL_OVERRIDES

EXPECTED_SDK = "1.21.0"
_PROTO_LEVEL = {"advisory": 0, "mandatory": 1, "remediate": 2, "disabled": 3}  # pulumirpc.EnforcementLevel


class Servicer(sdk._PolicyAnalyzerServicer):
    def __init__(self, controls: Iterable[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._controls = list(controls)

    def Configure(self, request: Any, context: Any) -> Any:
        entries = None
        if EXEMPTIONS_POLICY in request.policyConfig:
            entries = json_format.MessageToDict(request.policyConfig[EXEMPTIONS_POLICY].properties).get("entries")
        exemptions.REGISTRY.configure(entries, self._controls)
        return super().Configure(request, context)

    def _relevel(self, response: Any, urn: str = "") -> Any:
        for diagnostic in response.diagnostics:
            level = LEVEL_OVERRIDES.pop(diagnostic.policyName, diagnostic.urn or urn, diagnostic.message)
            if level is not None:
                diagnostic.enforcementLevel = _PROTO_LEVEL[level]
        return response

    def Analyze(self, request: Any, context: Any) -> Any:
        return self._relevel(super().Analyze(request, context), request.urn)

    def AnalyzeStack(self, request: Any, context: Any) -> Any:
        return self._relevel(super().AnalyzeStack(request, context))


def serve(name: str, policies: list[Policy], controls: Iterable[str], description: str) -> None:
    if SDK_VERSION != EXPECTED_SDK:
        raise RuntimeError(f"this pack's server is written against pulumi-policy {EXPECTED_SDK}, not {SDK_VERSION}")
    servicer = Servicer(
        controls, name, "0.0.1", policies, EnforcementLevel.MANDATORY, None, description, None, None, "aws", None, None
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=sdk._GRPC_CHANNEL_OPTIONS)
    analyzer_pb2_grpc.add_AnalyzerServicer_to_server(servicer, server)
    port = server.add_insecure_port(address="127.0.0.1:0")
    server.start()
    sys.stdout.buffer.write(f"{port}\n".encode())
    sys.stdout.flush()
    try:
        while True:
            time.sleep(86400)
    except KeyboardInterrupt:
        server.stop(0)
