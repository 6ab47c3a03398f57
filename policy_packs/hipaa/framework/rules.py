"""Rules: the check code, knowing nothing of HIPAA (the catalog attaches that), registered by name.

A resource rule sees one resource of the types it names; a stack rule sees the whole stack. Simple property
checks are data (`property_rule` with `Expect`s); everything else is a function returning findings.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import Finding, Resource, Stack
from .values import MISSING, UNKNOWN

Config = Mapping[str, Any]
ResourceCheck = Callable[[Resource, Config], Iterable[Finding]]
StackCheck = Callable[[Stack, Config], Iterable[Finding]]
# (inputs, the rule's settings) -> fixed inputs, or None where it cannot fix them
Remediation = Callable[[dict[str, Any], Config], dict[str, Any] | None]


@dataclass(frozen=True)
class Rule:
    """`name`: the policy name, for the state it wants; `control`: its catalog id; `config`: JSON-schema
    properties of its own settings (each with a default); `subjects`: a stack rule's resource types it decides
    about one by one (each bucket, each trail...), empty when it judges the stack as a whole."""

    name: str
    control: str
    description: str
    check: Callable[..., Iterable[Finding]]
    resource_types: tuple[str, ...] = ()
    stack: bool = False
    config: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    remediate: Remediation | None = None
    subjects: tuple[str, ...] = ()

    def run(self, target: Resource | Stack, config: Config) -> list[Finding]:
        return list(self.check(target, config))


REGISTRY: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.name in REGISTRY:
        raise ValueError(f"rule {rule.name!r} is registered twice")
    if not rule.stack and not rule.resource_types:
        raise ValueError(f"resource rule {rule.name!r} names no resource types")
    REGISTRY[rule.name] = rule
    return rule


def resource_rule(
    name: str,
    control: str,
    description: str,
    types: Iterable[str],
    config: Mapping[str, dict[str, Any]] | None = None,
    remediate: Remediation | None = None,
) -> Callable[[ResourceCheck], ResourceCheck]:
    def wrap(fn: ResourceCheck) -> ResourceCheck:
        register(Rule(name, control, description, fn, tuple(types), False, dict(config or {}), remediate))
        return fn

    return wrap


def stack_rule(
    name: str,
    control: str,
    description: str,
    config: Mapping[str, dict[str, Any]] | None = None,
    subjects: Iterable[str] = (),
) -> Callable[[StackCheck], StackCheck]:
    def wrap(fn: StackCheck) -> StackCheck:
        register(Rule(name, control, description, fn, (), True, dict(config or {}), subjects=tuple(subjects)))
        return fn

    return wrap


@dataclass(frozen=True)
class Expect:
    """One property a resource must have: `ok(value)` decides a known value; `wanted` says what is expected
    and `fix` what to change, in the message."""

    path: str
    ok: Callable[[Any], bool]
    wanted: str
    fix: str
    # True where an unknown value already satisfies the check: the property is set, to something this stack
    # creates (a log group's or role's ARN), which is all the control asks.
    unknown_ok: bool = False


def property_rule(
    name: str,
    control: str,
    description: str,
    types: Iterable[str],
    expects: Iterable[Expect],
    remediate: Remediation | None = None,
) -> Rule:
    """A rule that is nothing but property checks: one finding per property that is wrong or missing, an
    unverifiable one per property not known yet."""
    expected = tuple(expects)

    def check(r: Resource, _config: Config) -> Iterator[Finding]:
        for e in expected:
            value = r.get(e.path)
            if value is UNKNOWN:
                if not e.unknown_ok:
                    yield Finding(r.urn, f"{r.label()}: {e.path} is not known yet; it must be {e.wanted}", True)
            elif not _safe_ok(e, value):
                shown = "not set" if value is MISSING else f"{value!r}"
                yield Finding(r.urn, f"{r.label()}: {e.path} is {shown}; it must be {e.wanted}. {e.fix}")

    return register(Rule(name, control, description, check, tuple(types), False, {}, remediate))


def _safe_ok(e: Expect, value: Any) -> bool:
    try:
        return bool(e.ok(value))
    except (TypeError, ValueError, AttributeError, KeyError):
        return False


def load_all(package: str = "rules") -> dict[str, Rule]:
    """Import every module under `package` (each registers its rules); the registry, by name."""
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        importlib.import_module(info.name)
    return dict(REGISTRY)
