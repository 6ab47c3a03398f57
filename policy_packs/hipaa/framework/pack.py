"""The rules, as pulumi-policy policies: catalog metadata attached, findings turned into diagnostics.

Every finding becomes a diagnostic whose message names the control, its HIPAA citations, the resource and
what to change. Three kinds get a level of their own (set through `levels`, which the pack server applies):
an exempted finding is advisory and says by whom and until when; an unverifiable one takes the policy's
`unverifiableLevel`; a rule that raised reports itself at that level too, never silently.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from catalog import CONTROLS, FRAMEWORK, FRAMEWORK_REFERENCE, FRAMEWORK_VERSION, Control

from . import exemptions
from .model import Finding, Resource, Stack
from .rules import Rule
from .stages import STAGE_SCHEMA, StagedZone

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
COMMON_CONFIG: dict[str, dict[str, Any]] = {
    "unverifiableLevel": {
        "type": "string",
        "enum": ["advisory", "mandatory", "disabled"],
        "default": "mandatory",
        "description": "Level of a finding this policy cannot decide because a value is not known yet (a first "
        "preview). The same policy decides it during the update, when the value is known.",
    },
    "note": {"type": "string", "description": "Why this environment sets what it sets (shown in reports)."},
}
EXEMPTIONS_POLICY = "exemptions"
EXEMPTIONS_DESCRIPTION = "Exemptions are valid, current and used"
RULES_MD = "policy_packs/hipaa/RULES.md"


class _Levels:
    """Diagnostics whose level is not the policy's own, keyed as the server will see them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._levels: dict[tuple[str, str, str], str] = {}

    def set(self, policy: str, urn: str, message: str, level: str) -> None:
        with self._lock:
            self._levels[(policy, urn, message)] = level

    def pop(self, policy: str, urn: str, message: str) -> str | None:
        with self._lock:
            return self._levels.pop((policy, urn, message), None)


LEVEL_OVERRIDES = _Levels()


def settings(rule: Rule, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The rule's config: its defaults, overlaid by what the pack config gives."""
    out = {k: copy.deepcopy(v["default"]) for k, v in {**COMMON_CONFIG, **rule.config}.items() if "default" in v}
    out.update(given or {})
    return out


def message(control: Control, finding: Finding) -> str:
    citations = ", ".join(f"45 CFR {c}" for c in control.citations)
    kind = "UNVERIFIABLE at preview: " if finding.unverifiable else ""
    return f"{control.id} {control.title} ({citations})\n{kind}{finding.message}\nFix: {control.remediation}"


def emit(rule: Rule, finding: Finding, resource: Resource | None, config: Mapping[str, Any], report: Any) -> None:
    control = CONTROLS[rule.control]
    text = message(control, finding)
    level: str | None = None
    target = resource
    exemption = (
        exemptions.REGISTRY.match(control.id, finding.urn, target.type, target.name) if target is not None else None
    )
    if exemption is not None and not exemption.expired(exemptions.today()):
        # kept, in case the exemption turns out to waive its control wholesale once the stack is known
        exemptions.REGISTRY.record(exemption.index, rule.name, finding.urn, text)
        text = f"EXEMPTED until {exemption.expires.isoformat()} (owner {exemption.owner}): {exemption.reason}\n" + text
        level = "advisory"
    else:
        zones = exemptions.REGISTRY.staged(control.id, target)
        if zones:
            text, level = _staged(zones, text)
        if level is None and finding.unverifiable:
            level = str(config.get("unverifiableLevel", "mandatory"))
            if level == "disabled":
                return
    if level is not None:
        LEVEL_OVERRIDES.set(rule.name, finding.urn, f"{rule.description}\n{text}", level)
    report(text, finding.urn)


def _staged(zones: list[StagedZone], text: str) -> tuple[str, str | None]:
    """A finding a zone's stage explains: exempted (advisory) until the earliest expiry of its zones; with a zone
    that has no expiry, or is past it, the finding keeps its level and says what to set."""
    why = "; ".join(z.describe() for z in zones)
    today = exemptions.today()
    if any(z.expires is None for z in zones):
        return (f"NOT EXEMPTED: {why}: a zone below enforce without an expiry leaves this finding mandatory; set "
                f"its rollout.expires (YYYY-MM-DD) in the stack config\n{text}", None)  # fmt: skip
    expires = min(z.expires for z in zones if z.expires is not None)
    if today > expires:
        return (f"NOT EXEMPTED: {why}: expired on {expires.isoformat()}; move the zone to stage enforce, or renew "
                f"rollout.expires with its owner\n{text}", None)  # fmt: skip
    owners = ", ".join(sorted({z.owner for z in zones}))
    return f"EXEMPTED until {expires.isoformat()} (owner {owners}): {why}\n{text}", "advisory"


def _crash(rule: Rule, urn: str, exc: BaseException) -> Finding:
    return Finding(urn, f"rule {rule.name} could not decide ({type(exc).__name__}: {exc})", unverifiable=True)


def run_resource(rule: Rule, resource: Resource, config: Mapping[str, Any], report: Any) -> None:
    """Run a resource rule on one resource and report its findings (the SDK path and the server's fast path)."""
    try:
        findings = rule.run(resource, config)
    except Exception as exc:  # a rule must never turn a resource into a silent pass
        findings = [_crash(rule, resource.urn, exc)]
    for finding in findings:
        emit(rule, finding, resource, config, report)


def run_stack(rule: Rule, stack: Stack, config: Mapping[str, Any], report: Any) -> None:
    """Run a stack rule and report its findings."""
    try:
        findings = rule.run(stack, config)
    except Exception as exc:  # as above: reported, never swallowed
        findings = [_crash(rule, "", exc)]
    for finding in findings:
        emit(rule, finding, stack.by_urn.get(finding.urn), config, report)


def _resource_validate(rule: Rule) -> Any:
    def validate(args: ResourceValidationArgs, report: Any) -> None:
        if args.resource_type not in rule.resource_types:
            args.not_applicable(f"{rule.name} checks {', '.join(rule.resource_types)}")
        run_resource(rule, Resource.from_policy_args(args), settings(rule, args.get_config()), report)

    return validate


def _stack_validate(rule: Rule) -> Any:
    def validate(args: StackValidationArgs, report: Any) -> None:
        stack = Stack(Resource.from_policy_resource(r) for r in args.resources)
        run_stack(rule, stack, settings(rule, args.get_config()), report)

    return validate


def _remediate(rule: Rule) -> Any:
    assert rule.remediate is not None
    fix = rule.remediate

    def remediate(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
        if args.resource_type not in rule.resource_types:
            return None
        raw = _raw(args.props)
        fixed = fix(copy.deepcopy(raw), settings(rule, args.get_config()))
        # Nothing to change is no remediation (the engine would report one for any properties returned).
        return None if fixed is None or _comparable(fixed) == _comparable(raw) else fixed

    return remediate


_PROXIES = frozenset({"_DictProxy", "_ListProxy", "_DictSecretsProxy", "_ListSecretsProxy"})


def _raw(value: Any) -> Any:
    """pulumi-policy's proxies unwrapped; unknown sentinels and Secret wrappers kept (a remediation hands them
    back as they came, so the engine keeps a secret secret)."""
    if type(value).__name__ in _PROXIES:
        return _raw(value["__target"])
    if isinstance(value, Secret):
        return Secret(_raw(value.value))
    if isinstance(value, Mapping):
        return {k: _raw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_raw(v) for v in value]
    return value


def _comparable(value: Any) -> Any:
    if isinstance(value, Secret):
        return {"__secret": _comparable(value.value)}
    if isinstance(value, Mapping):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


def _schema(rule: Rule) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={**COMMON_CONFIG, **rule.config})


def _scope_tags(rule: Rule) -> list[str]:
    if rule.stack:
        return ["scope:stack", *(f"subject:{t}" for t in rule.subjects)]
    return ["scope:resource", *(f"type:{t}" for t in rule.resource_types)]


def to_policy(rule: Rule) -> Policy:
    control = CONTROLS[rule.control]
    common: dict[str, Any] = {
        "config_schema": _schema(rule),
        "display_name": f"{control.id}: {control.title}",
        "severity": Severity(control.severity),
        "framework": PolicyComplianceFramework(
            name=FRAMEWORK,
            version=FRAMEWORK_VERSION,
            reference=FRAMEWORK_REFERENCE,
            specification=", ".join(control.citations),
        ),
        # scope and resource types let a reader of the pack's metadata (the evidence report) tell which
        # resources a policy checked, and so which passed: the engine reports only violations.
        "tags": [f"control:{control.id}", f"family:{control.family}", *_scope_tags(rule)],
        "remediation_steps": control.remediation,
        "url": f"{RULES_MD}#{control.anchor}",
    }
    if rule.stack:
        return StackValidationPolicy(rule.name, rule.description, validate=_stack_validate(rule), **common)
    return ResourceValidationPolicy(
        rule.name,
        rule.description,
        validate=_resource_validate(rule),
        remediate=_remediate(rule) if rule.remediate else None,
        **common,
    )


def reinstate(reporter: Any, descriptions: Mapping[str, str]) -> None:
    """The findings a refused (control-wide) exemption had exempted before the stack was known, reported again
    at mandatory: a refused exemption exempts nothing. `reporter(policy)` reports for that policy."""
    for entry, policy, urn, text in exemptions.REGISTRY.revoked():
        again = f"{entry} is refused (it waives its control wholesale), so this finding stands:\n{text}"
        LEVEL_OVERRIDES.set(policy, urn, f"{descriptions.get(policy, '')}\n{again}", "mandatory")
        reporter(policy)(again, urn)


def _exemptions_validate(_args: StackValidationArgs, report: Any) -> None:
    check_exemptions(report)


def check_exemptions(report: Any, level: str = "mandatory") -> None:
    """Report malformed, refused, expired and unused exemptions and policies below the config's minimum level
    (after every rule has run). Malformed, refused and expired ones are mandatory even when `level` (the
    exemptions policy's own) is lower: a config cannot switch off the check of its own waivers."""

    def mandatory(text: str) -> None:
        if level != "mandatory":
            LEVEL_OVERRIDES.set(EXEMPTIONS_POLICY, "", f"{EXEMPTIONS_DESCRIPTION}\n{text}", "mandatory")
        report(text, None)

    registry = exemptions.REGISTRY
    for problem in registry.floor:
        mandatory(problem)
    for problem in registry.problems:
        mandatory(f"invalid exemption: {problem}")
    for problem in registry.stage_problems:
        mandatory(f"invalid stage entry: {problem}")
    today = exemptions.today()
    for e in registry.entries:
        if e.expired(today):
            mandatory(
                f"{e.where}: exemption of {e.control} for {e.target()} (owner {e.owner}) expired on "
                f"{e.expires.isoformat()}: renew it with a new date and reason, or fix the finding"
            )
    for e in registry.entries:
        if e.index not in registry.matched and e.index not in registry.refused and not e.expired(today):
            text = (
                f"{e.where}: exemption of {e.control} for {e.target()} (owner {e.owner}) matched no finding: remove it"
            )
            if level != "disabled":
                LEVEL_OVERRIDES.set(EXEMPTIONS_POLICY, "", f"{EXEMPTIONS_DESCRIPTION}\n{text}", "advisory")
                report(text, None)
    for z in registry.stages:
        if z.index not in registry.stages_matched and level != "disabled":
            text = f"{z.where}: {z.describe()} explained no finding: move it to enforce, or remove the entry"
            LEVEL_OVERRIDES.set(EXEMPTIONS_POLICY, "", f"{EXEMPTIONS_DESCRIPTION}\n{text}", "advisory")
            report(text, None)


def exemptions_policy() -> Policy:
    return StackValidationPolicy(
        EXEMPTIONS_POLICY,
        EXEMPTIONS_DESCRIPTION,
        validate=_exemptions_validate,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema(
            properties={
                "entries": exemptions.ENTRY_SCHEMA,
                "stages": STAGE_SCHEMA,
                **exemptions.GATE_SCHEMA,
                **COMMON_CONFIG,
            }
        ),
        display_name=EXEMPTIONS_DESCRIPTION,
        tags=["exemptions"],
        remediation_steps="Give every exemption a control, a target, a reason, an owner and a future expiry date.",
    )


def policies(rules: Mapping[str, Rule]) -> list[Policy]:
    """Every rule's policy, in name order, then the exemptions policy (last: it reports what matched)."""
    return [to_policy(rules[name]) for name in sorted(rules)] + [exemptions_policy()]
