"""The pack's gate, called directly: exemption entries and level waivers as the pack itself checks them (the
engine validates the config's schema first, but a config it did not validate must not widen the gate), the
floor of `minimumLevel`, a control-wide waiver found once the stack is known, and a rule that raises.
test_protocol drives the same gate over gRPC; these pin the exact messages and the edge cases."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import pytest

from catalog import CONTROLS
from framework import exemptions
from framework.exemptions import Exemption, LevelWaiver, Registry, level_problems, parse, parse_waivers, too_broad
from framework.model import Finding, Resource, Stack
from framework.pack import run_resource, run_stack
from framework.rules import Rule
from tests.conftest import EXPIRES
from tests.policy_packs.harness import RULES

REASON = "the key is imported from the HSM team"
FUTURE = datetime.date.fromisoformat(EXPIRES)
TODAY = exemptions.today()


def entry(**fields: Any) -> dict[str, Any]:
    return {"control": "KMS-01", "reason": REASON, "owner": "platform-security", "expires": EXPIRES, **fields}


def waiver(**fields: Any) -> dict[str, Any]:
    return {"policy": "kms-key-rotation-enabled", "level": "advisory", "reason": REASON, "owner": "sec",
            "expires": EXPIRES, **fields}  # fmt: skip


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        (entry(name="k", scope="all"), "exemptions.entries[0]: unknown key 'scope'; an entry has only control, "
         "expires, name, owner, reason, type, urn"),
        (entry(type=""), "exemptions.entries[0]: name what it exempts with urn, type or name (a control-wide waiver "
         "is refused)"),
        (entry(name="**"), "exemptions.entries[0]: name='**' matches every resource: a control-wide waiver is refused; "
         "name the resources it exempts"),
        (entry(name="k", expires="2999-01-01"), "exemptions.entries[0].expires = '2999-01-01': at most 365 days ahead"),
        ("KMS-01", "exemptions.entries[0]: must be an object with control, a target, reason, owner and expires"),
    ],
)  # fmt: skip
def test_an_entry_the_engine_did_not_validate_is_refused_with_what_to_change(given: Any, problem: str) -> None:
    valid, problems = parse([given], CONTROLS)
    assert not valid and len(problems) == 1 and problems[0].startswith(problem), problems


def test_an_entry_by_type_exempts_that_type_only() -> None:
    [e], problems = parse([entry(type="aws:kms/key:Key")], CONTROLS)
    assert not problems and (e.type, e.urn, e.name, e.expires) == ("aws:kms/key:Key", None, None, FUTURE)
    assert e.target() == "type=aws:kms/key:Key"
    assert e.matches("KMS-01", "urn:k", "aws:kms/key:Key", "k") and not e.matches("KMS-01", "urn:b", "aws:s3/b:B", "b")


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        (waiver(note="x"), "exemptions.levelWaivers[0]: unknown key 'note'; an entry has only expires, level, owner, "
         "policy, reason"),
        (waiver(policy="no-such-policy"), "exemptions.levelWaivers[0].policy = 'no-such-policy': no such policy"),
        (waiver(level="mandatory"), "exemptions.levelWaivers[0].level = 'mandatory': advisory or disabled"),
        (waiver(owner=""), "exemptions.levelWaivers[0].owner: name who answers for it"),
        ([], "exemptions.levelWaivers[0]: must be an object with policy, level, reason, owner and expires"),
    ],
)  # fmt: skip
def test_a_level_waiver_is_checked_as_an_entry_is(given: Any, problem: str) -> None:
    valid, problems = parse_waivers([given], RULES)
    assert not valid and len(problems) == 1 and problems[0].startswith(problem), problems


def test_the_floor_holds_unless_a_current_waiver_names_the_policy_and_its_level() -> None:
    [w], problems = parse_waivers([waiver()], RULES)
    assert not problems and (w.policy, w.level, w.owner, w.expires) == ("kms-key-rotation-enabled", "advisory",
                                                                          "sec", FUTURE)  # fmt: skip
    levels = {"kms-key-rotation-enabled": "advisory", "s3-bucket-versioned": "mandatory"}
    assert level_problems(levels, "mandatory", [w], TODAY) == []
    assert level_problems(levels, "advisory", [], TODAY) == []
    [below] = level_problems(levels, "mandatory", [], TODAY)
    assert below.startswith("policy kms-key-rotation-enabled is advisory in this pack config, below its minimumLevel")
    # a waiver at advisory does not cover the policy disabled: the floor stands, and the waiver waives nothing
    assert level_problems({**levels, "kms-key-rotation-enabled": "disabled"}, "mandatory", [w], TODAY) == [
        "policy kms-key-rotation-enabled is disabled in this pack config, below its minimumLevel mandatory: make it "
        "mandatory, or add an exemptions.levelWaivers entry {policy: kms-key-rotation-enabled, level: disabled, "
        "reason, owner, expires}",
        "exemptions.levelWaivers[0]: waives kms-key-rotation-enabled at advisory, but it is disabled: remove the "
        "waiver",
    ]
    expired = LevelWaiver(0, "kms-key-rotation-enabled", "advisory", REASON, "sec", TODAY - datetime.timedelta(1))
    [late] = level_problems(levels, "mandatory", [expired], TODAY)
    assert late.startswith("exemptions.levelWaivers[0]: the waiver of kms-key-rotation-enabled at advisory (owner sec)")
    unused = LevelWaiver(0, "s3-bucket-versioned", "advisory", REASON, "sec", FUTURE)
    assert level_problems(levels, "disabled", [unused], TODAY) == [
        "exemptions.levelWaivers[0]: waives s3-bucket-versioned at advisory, but it is mandatory: remove the waiver"
    ]


STACK = [(f"urn:key{i}", "aws:kms/key:Key", f"key{i}") for i in range(3)] + [("urn:b", "aws:s3/bucket:Bucket", "b")]


def test_a_waiver_covering_all_its_control_checks_or_too_many_is_refused() -> None:
    every = Exemption(0, "KMS-01", REASON, "sec", FUTURE, name="key*")
    assert too_broad(every, STACK, {"aws:kms/key:Key"}, 20) == (
        "exemptions.entries[0]: name=key* covers all 3 resources KMS-01 checks: a control-wide waiver is refused; "
        "name the resources it exempts"
    )
    assert too_broad(every, STACK, {"aws:kms/key:Key"}, 1) is not None
    assert too_broad(every, STACK[:1], {"aws:kms/key:Key"}, 20) is None  # one resource is no control-wide waiver
    some = Exemption(0, "KMS-01", REASON, "sec", FUTURE, urn="urn:key[01]")
    assert too_broad(some, STACK, {"aws:kms/key:Key"}, 20) is None
    assert too_broad(some, STACK, {"aws:kms/key:Key"}, 1) == (
        "exemptions.entries[0]: urn=urn:key[01] covers 2 resources KMS-01 checks, more than maxResources (1): name "
        "fewer resources, or raise maxResources with a reason in the pack config"
    )
    # a stack rule's control (None: the stack as a whole) counts every resource
    assert too_broad(some, STACK, None, 20) is None and too_broad(every, STACK, None, 20) is None


@pytest.fixture
def registry() -> Registry:
    return Registry()


def test_the_registry_checks_stage_entries_against_today(registry: Registry) -> None:
    zone = {"zone": "notebooks", "namespaces": ["notebooks"], "stage": "warn", "owner": "ml-platform"}
    late = (TODAY + datetime.timedelta(days=30)).isoformat()
    registry.configure([], CONTROLS, max_days=10, stages=[{**zone, "expires": late}, zone])
    assert [z.zone for z in registry.stages] == ["notebooks"]
    assert registry.stage_problems == [
        f"exemptions.stages[0].expires = '{late}': at most 10 days ahead (maxWaiverDays), i.e. "
        f"{(TODAY + datetime.timedelta(days=10)).isoformat()} or sooner"
    ]


def test_a_refused_waiver_exempts_nothing_more_and_gives_back_what_it_exempted(registry: Registry) -> None:
    registry.configure([entry(name="key*")], CONTROLS)
    [e] = registry.entries
    assert registry.match("KMS-01", "urn:key0", "aws:kms/key:Key", "key0") is e
    registry.record(e.index, "kms-key-rotation-enabled", "urn:key0", "the finding")
    registry.refuse_broad(STACK, {"KMS-01": {"aws:kms/key:Key"}})
    assert registry.refused == {0} and "covers all 3 resources" in registry.problems[-1]
    assert registry.match("KMS-01", "urn:key1", "aws:kms/key:Key", "key1") is None
    assert registry.revoked() == [("exemptions.entries[0]", "kms-key-rotation-enabled", "urn:key0", "the finding")]


def raising(stack: bool) -> Rule:
    base = RULES["kms-key-rotation-enabled"]

    def boom(*_: Any) -> list[Finding]:
        raise KeyError("enableKeyRotation")

    return dataclasses.replace(base, check=boom, stack=stack)


def test_a_rule_that_raises_is_reported_on_its_resource_as_undecided() -> None:
    seen: list[tuple[str, str | None]] = []
    resource = Resource(type="aws:kms/key:Key", urn="urn:k", name="k", props={})
    run_resource(raising(False), resource, {}, lambda text, urn: seen.append((text, urn)))
    [(text, urn)] = seen
    assert urn == "urn:k"
    assert "UNVERIFIABLE at preview: rule kms-key-rotation-enabled could not decide (KeyError: 'enableKeyRotation')" \
        in text  # fmt: skip
    seen.clear()
    run_stack(raising(True), Stack([resource]), {}, lambda text, urn: seen.append((text, urn)))
    [(text, urn)] = seen
    assert not urn and "could not decide (KeyError: 'enableKeyRotation')" in text
