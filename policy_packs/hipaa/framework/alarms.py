"""What a stack's metric filters and alarms watch, decided by what they would count: a filter watches a signal when
its pattern counts the signal's records (framework.signal_samples) and none of the look-alikes, on the log group the
source writes to, and an alarm on its metric notifies someone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from . import types as t
from .filter_patterns import PatternError, parse
from .model import Resource, Stack
from .values import UNKNOWN, as_list

STOPPED_OPERATORS = ("LessThanThreshold", "LessThanOrEqualToThreshold")


@dataclass(frozen=True)
class Verdict:
    """True: watched (by `how`); None: cannot tell yet (a value not known); False: not watched (`why`)."""

    watched: bool | None
    why: str = ""


def _group_names(stack: Stack, group: Resource | str | None) -> tuple[set[str], set[str]]:
    """(names, URNs) that designate a log group: its name and its resource (a filter may name it or depend on it)."""
    if group is None:
        return set(), set()
    if isinstance(group, str):
        urns = {g.urn for g in stack.of_type(*t.LOG_GROUP) if g.get("name") == group}
        return {group}, urns
    name = group.get("name")
    return ({name} if isinstance(name, str) else set()), {group.urn}


def on_group(stack: Stack, f: Resource, group: Resource | str | None) -> bool | None:
    names, urns = _group_names(stack, group)
    value = f.get("logGroupName")
    if isinstance(value, str):
        return value in names
    if any(f.depends_on(u, "logGroupName") or f.depends_on(u) for u in urns):
        return True
    return None if value is UNKNOWN else False


def alarms_of(stack: Stack, f: Resource, stopped: bool = False) -> list[Resource] | None:
    """The alarms on the filter's metric that notify someone (None when the metric is not known yet)."""
    spec = f.get("metricTransformation")
    name = spec.get("name") if isinstance(spec, dict) else UNKNOWN
    namespace = spec.get("namespace") if isinstance(spec, dict) else UNKNOWN
    if not isinstance(name, str) or not isinstance(namespace, str):
        return None
    out = []
    for a in stack.of_type(*t.METRIC_ALARM):
        if a.get("metricName") != name or a.get("namespace") != namespace:
            continue
        actions = a.get("alarmActions")
        if actions is not UNKNOWN and not as_list(actions):
            continue
        if a.get("actionsEnabled") is False:
            continue
        if stopped and (
            a.get("comparisonOperator") not in STOPPED_OPERATORS or a.get("treatMissingData") != "breaching"
        ):
            continue
        if not stopped and a.get("comparisonOperator") in STOPPED_OPERATORS:
            continue
        out.append(a)
    return out


Value = Callable[[Any, str, str], bool]  # (parsed pattern, record, the filter's metric value) -> right amount?


def counts(f: Resource, positive: Sequence[str], negative: Sequence[str], value: Value | None = None) -> bool | None:
    """Whether the filter counts every positive record and none of the negative ones (None: pattern unknown)."""
    pattern = f.get("pattern")
    if pattern is UNKNOWN:
        return None
    if pattern is None:
        pattern = ""
    if not isinstance(pattern, str):
        return False
    try:
        parsed = parse(pattern)
    except PatternError:
        return False
    if not all(parsed.matches(m) for m in positive) or any(parsed.matches(m) for m in negative):
        return False
    spec = f.get("metricTransformation")
    expression = spec.get("value") if isinstance(spec, dict) else UNKNOWN
    if value is None:
        return True
    if not isinstance(expression, str):
        return None if expression is UNKNOWN else False
    try:
        return all(value(parsed, m, expression) for m in positive)
    except (ValueError, TypeError, KeyError):  # a metric value CloudWatch would refuse counts nothing
        return False


def watched(
    stack: Stack,
    group: Resource | str | None,
    positive: Sequence[str],
    negative: Sequence[str] = (),
    *,
    stopped: bool = False,
    value: Value | None = None,
    groups: Iterable[Resource | str] = (),
) -> Verdict:
    """Is the signal of `positive` (and not `negative`) in `group` (or any of `groups`) counted and alarmed?"""
    targets = [group, *groups] if group is not None else list(groups)
    unknown = False
    for f in stack.of_type(*t.METRIC_FILTER):
        where = [on_group(stack, f, g) for g in targets]
        if True not in where:
            unknown = unknown or None in where
            continue
        verdict = counts(f, positive, negative, value)
        if verdict is None:
            unknown = True
            continue
        if not verdict:
            continue
        alarms = alarms_of(stack, f, stopped)
        if alarms is None:
            unknown = True
        elif alarms:
            return Verdict(True)
    if unknown:
        return Verdict(None, "a metric filter's pattern, log group or metric is not known yet")
    return Verdict(False)


def groups_of_trail(stack: Stack, trail: Resource) -> list[Resource | str]:
    """The log group a trail delivers to (by its ARN input's group name, or by dependency)."""
    out: list[Resource | str] = list(stack.sources(trail, "cloudWatchLogsGroupArn", *t.LOG_GROUP))
    arn = trail.get("cloudWatchLogsGroupArn")
    if isinstance(arn, str) and ":log-group:" in arn:
        out.append(arn.split(":log-group:", 1)[1].removesuffix(":*"))
    return out


def trail_groups(stack: Stack) -> list[Resource | str]:
    """Log groups the stack's trails deliver to."""
    return [g for trail in stack.of_type(*t.TRAIL) for g in groups_of_trail(stack, trail)]
