"""Every rule against its pass and fail fixtures: exactly the expected URNs fail (or are unverifiable)."""

from __future__ import annotations

import copy
import importlib
import pkgutil

import pytest

from framework.pack import settings
from tests.policy_packs import fixtures
from tests.policy_packs.fixtures import Case
from tests.policy_packs.harness import RULES, run

CASES: dict[str, list[Case]] = {}
for _info in pkgutil.iter_modules(fixtures.__path__):
    for _rule, _cases in importlib.import_module(f"{fixtures.__name__}.{_info.name}").CASES.items():
        assert _rule not in CASES, f"{_rule}: fixtures in two modules"
        CASES[_rule] = _cases

PARAMS = [pytest.param(rule, c, id=f"{rule}::{c.name}") for rule, cases in sorted(CASES.items()) for c in cases]


def test_every_rule_has_a_passing_and_a_failing_fixture() -> None:
    assert set(CASES) == set(RULES), (
        f"rules without fixtures: {sorted(set(RULES) - set(CASES))}; fixtures without rules: "
        f"{sorted(set(CASES) - set(RULES))}"
    )
    for rule, cases in CASES.items():
        assert any(not c.failing and not c.unverifiable for c in cases), f"{rule}: no passing fixture"
        assert any(c.failing for c in cases), f"{rule}: no failing fixture"


SUBJECT_RULES = sorted(name for name, rule in RULES.items() if rule.subjects)


def test_stack_rules_name_subjects_only_where_they_judge_resources_one_by_one() -> None:
    """A stack rule's `subjects` (the evidence report counts a pass per subject resource) must be types it really
    judges: some failing fixture of the rule fails a resource of one of them; no resource rule names any."""
    assert len(SUBJECT_RULES) >= 19
    for name, rule in RULES.items():
        assert not (rule.subjects and not rule.stack), f"{name}: a resource rule with subjects"
        if not rule.subjects:
            continue
        failed_types = {r["type"] for case in CASES[name] for r in case.resources if r["urn"] in case.failing}
        assert failed_types & set(rule.subjects), f"{name}: no failing fixture fails one of {rule.subjects}"


@pytest.mark.parametrize(("rule", "fixture"), PARAMS)
def test_rule_fails_exactly_the_expected_resources(rule: str, fixture: Case) -> None:
    hits = run(fixture.resources, {rule: dict(fixture.config)}, only=[rule])
    failing = {h.urn for h in hits if not h.unverifiable}
    unverifiable = {h.urn for h in hits if h.unverifiable}
    messages = "\n".join(f"  {h.urn}: {'(unverifiable) ' if h.unverifiable else ''}{h.message}" for h in hits)
    assert failing == set(fixture.failing), f"{rule} / {fixture.name}: failing {sorted(failing)}\n{messages}"
    assert unverifiable == set(fixture.unverifiable), (
        f"{rule} / {fixture.name}: unverifiable {sorted(unverifiable)}\n{messages}"
    )
    for h in hits:
        name = h.urn.rsplit("/", 1)[-1]
        assert name in h.message, f"{rule}: the finding on {h.urn} does not name it: {h.message}"


REMEDIABLE = [
    pytest.param(rule, c, id=f"{rule}::{c.name}")
    for rule, cases in sorted(CASES.items())
    if RULES[rule].remediate is not None
    for c in cases
    if c.failing
]


@pytest.mark.parametrize(("rule", "fixture"), REMEDIABLE)
def test_a_remediation_fixes_what_it_changes(rule: str, fixture: Case) -> None:
    """What a remediation rewrites then passes its rule; what it declines (returns None) it leaves alone."""
    fix = RULES[rule].remediate
    assert fix is not None
    cfg = settings(RULES[rule], fixture.config)
    changed, records = set(), []
    for record in fixture.resources:
        new = fix(copy.deepcopy(record["inputs"]), cfg) if record["urn"] in fixture.failing else None
        if new is not None:
            changed.add(record["urn"])
        records.append({**record, "inputs": new} if new is not None else record)
    hits = run(records, {rule: dict(fixture.config)}, only=[rule])
    assert not [h for h in hits if h.urn in changed], [h.message for h in hits if h.urn in changed]


def test_remediations_fix_most_failing_fixtures() -> None:
    declined = [
        (rule, c.name)
        for rule, cases in CASES.items()
        if RULES[rule].remediate is not None
        for c in cases
        for r in c.resources
        if r["urn"] in c.failing
        and RULES[rule].remediate(copy.deepcopy(r["inputs"]), settings(RULES[rule], c.config)) is None
    ]
    # neither a namespace of no zone nor an agent namespace (privileged on purpose) has levels to write in
    assert declined == [
        ("namespaces-enforce-pod-security", "a namespace of no zone"),
        ("namespaces-enforce-pod-security", "an agent namespace warning at privileged only"),
    ]
