"""Run the pack's rules in-process over synthesized (or fixture) resources, as its policies would: resource
rules on each resource of their types, stack rules once over the graph. Fast, for fixtures and weakenings;
tests/policy_packs/test_protocol.py runs the same pack over gRPC as the engine does."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from catalog import CONTROLS
from framework.model import Finding, Resource, Stack
from framework.pack import settings
from framework.rules import Rule, load_all

RULES: dict[str, Rule] = load_all("rules")


@dataclass(frozen=True)
class Hit:
    rule: str
    control: str
    urn: str
    message: str
    unverifiable: bool


def to_resource(record: Mapping[str, Any], providers: Mapping[str, Mapping[str, Any]] | None = None) -> Resource:
    """A synthesized record as the pack sees it; `providers` (URN -> record) give its provider's inputs, which the
    engine sends with every resource."""
    from framework.values import plain

    ref = str(record.get("provider") or "")
    provider = ref.rsplit("::", 1)[0] if "::" in ref else None
    provider_props = plain((providers or {}).get(provider or "", {}).get("inputs") or {})
    return Resource(
        type=record["type"],
        urn=record["urn"],
        name=record.get("name") or record["urn"].rsplit("::", 1)[-1],
        props=plain(record.get("inputs") or {}),
        parent=record.get("parent") or None,
        dependencies=list(record.get("dependencies") or []),
        property_dependencies={k: list(v) for k, v in (record.get("propertyDependencies") or {}).items()},
        provider=provider,
        provider_props=provider_props if isinstance(provider_props, dict) else {},
    )


def run(
    records: Iterable[Mapping[str, Any]],
    config: Mapping[str, Mapping[str, Any]] | None = None,
    only: Iterable[str] | None = None,
) -> list[Hit]:
    """Every finding of the selected rules (all by default) on `records`, with per-rule config."""
    records = list(records)
    providers = {r["urn"]: r for r in records if str(r.get("type", "")).startswith("pulumi:providers:")}
    resources = [to_resource(r, providers) for r in records]
    stack = Stack(resources)
    selected = [RULES[name] for name in (only or sorted(RULES))]
    hits: list[Hit] = []
    for rule in selected:
        cfg = settings(rule, (config or {}).get(rule.name))
        findings: list[Finding] = []
        if rule.stack:
            findings = rule.run(stack, cfg)
        else:
            for r in resources:
                if r.type in rule.resource_types:
                    findings += rule.run(r, cfg)
        hits += [Hit(rule.name, rule.control, f.urn, f.message, f.unverifiable) for f in findings]
    return hits


def failing(hits: Iterable[Hit], unverifiable: bool = False) -> set[str]:
    return {h.urn for h in hits if h.unverifiable is unverifiable}


__all__ = ["CONTROLS", "RULES", "Hit", "failing", "run", "to_resource"]
