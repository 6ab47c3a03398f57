"""DETECT-07: each zone's refused egress in the mesh raises an alarm: a metric filter counts the zone's sidecars'
access-log records of connections REGISTRY_ONLY sends to Istio's BlackHoleCluster (or the block_all route, for
plain HTTP), as Container Insights' Fluent Bit ships them (Kubernetes metadata, the parsed line under
log_processed), and not other zones' records, allowed traffic, or an application printing the same words."""

from collections.abc import Iterator

from framework import signal_samples as samples
from framework import types as t
from framework.alarms import watched
from framework.kube import ZONE_LABEL
from framework.model import Finding, Stack
from framework.rules import Config, stack_rule


@stack_rule("mesh-drops-alarmed", "DETECT-07", "Each zone's mesh egress drops raise an alarm", subjects=t.NAMESPACE)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    groups = list(stack.of_type(*t.LOG_GROUP))
    for ns in stack.of_type(*t.NAMESPACE):
        labels = ns.get("metadata.labels")
        name = ns.get("metadata.name")
        if not isinstance(labels, dict) or ZONE_LABEL not in labels or not isinstance(name, str):
            continue
        positive = [samples.envoy_record(name, "BlackHoleCluster"),
                    samples.envoy_record(name, "-", route_name="block_all", code=502)]  # fmt: skip
        negative = [
            samples.envoy_record(name, "outbound|443||pypi.org"),
            samples.envoy_record(name, "PassthroughCluster"),
            samples.envoy_record(name, "BlackHoleCluster", container="app"),
            samples.envoy_record("enclave-probe-other-zone", "BlackHoleCluster"),
        ]
        verdict = watched(stack, None, positive, negative, groups=groups)
        if verdict.watched is None:
            yield Finding(ns.urn, f"{ns.label()}: {verdict.why}", True)
        elif not verdict.watched:
            yield Finding(
                ns.urn,
                f"{ns.label()}: no metric filter counts its sidecars' BlackHoleCluster / block_all access-log records "
                "(and nothing else) with an alarm that notifies someone",
            )
