"""No rule raises, whatever shape its inputs take. Each example takes a rule's fixture stack and replaces a
random part of one resource's inputs (inside JSON policy documents too) with a random JSON value or the
engine's unknown sentinel; the rule must return findings, never an exception (the pack would report the
crash as "could not decide", a message that tells the user nothing).

30 examples per rule in CI; `ENCLAVE_FUZZ_EXAMPLES=500 pytest tests/policy_packs/test_fuzz.py` searches deeper."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framework.model import Stack
from framework.pack import settings as rule_settings
from tests.policy_packs.fixtures import UNKNOWN
from tests.policy_packs.harness import RULES, to_resource
from tests.policy_packs.test_fixtures import CASES

Path = tuple[Any, ...]
JSON_TEXT = "#json"  # a path step into a string that holds a JSON document

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from([UNKNOWN, "*", "", "arn:aws:iam::*:root", "Allow", "Deny", "0.0.0.0/0", "true", "[]", "{}"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, (*prefix, i))
    elif isinstance(value, str) and value[:1] in "{[":
        try:
            doc = json.loads(value)
        except ValueError:
            return
        yield from paths(doc, (*prefix, JSON_TEXT))


def replace(value: Any, path: Path, new: Any) -> Any:
    if not path:
        return new
    step, rest = path[0], path[1:]
    if step == JSON_TEXT:
        return json.dumps(replace(json.loads(value), rest, new))
    out = copy.copy(value)
    out[step] = replace(value[step], rest, new) if rest else new
    return out


def rules_with_cases() -> list[Any]:
    return [pytest.param(name, id=name) for name in sorted(CASES)]


@pytest.mark.parametrize("rule_name", rules_with_cases())
@settings(
    max_examples=int(os.environ.get("ENCLAVE_FUZZ_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_rule_raises_on_odd_inputs(rule_name: str, data: st.DataObject) -> None:
    rule = RULES[rule_name]
    case = data.draw(st.sampled_from(CASES[rule_name]), label="fixture")
    records = copy.deepcopy(case.resources)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        record = data.draw(st.sampled_from(records), label="resource")
        path = data.draw(st.sampled_from(list(paths(record["inputs"]))[1:] or [("extra",)]), label="path")
        record["inputs"] = replace(record["inputs"], path, data.draw(values, label="value"))
    resources = [to_resource(r) for r in records]
    config = rule_settings(rule, case.config)
    if rule.stack:
        findings = rule.run(Stack(resources), config)
    else:
        findings = [f for r in resources if r.type in rule.resource_types for f in rule.run(r, config)]
    for f in findings:
        assert isinstance(f.message, str) and f.message, f
