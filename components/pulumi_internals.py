"""Every use of Pulumi's non-public Python API, in one place, pinned to the SDK version it was written for
(requirements.txt: pulumi==3.272.0). A Pulumi upgrade re-checks this file and nothing else.

- `sync_await` (pulumi.runtime.sync_await._sync_await): wait for a coroutine from synchronous program code,
  as the SDK's own synchronous invokes do. Used to read a StackReference's values that must be plain (a
  zone's peer namespaces, cluster-wide settings) and by the offline engine to run a program.
- `ensure_event_loop`, `run_pulumi_func`, `settings`, `mocks`, `UNKNOWN`: the offline engine (enclave.synth)
  runs the real program under Pulumi's mocks and reads the root stack's exports.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

import pulumi
from pulumi.runtime import mocks as mocks
from pulumi.runtime import settings as settings
from pulumi.runtime.rpc import UNKNOWN as UNKNOWN
from pulumi.runtime.stack import run_pulumi_func as run_pulumi_func
from pulumi.runtime.sync_await import _ensure_event_loop as ensure_event_loop
from pulumi.runtime.sync_await import _sync_await

T = TypeVar("T")


def sync_await(awaitable: Awaitable[T]) -> T:
    return _sync_await(awaitable)


def whole_numbers(value: Any) -> Any:
    """Values off Pulumi's wire (protobuf Struct: every number a double) with whole numbers back to ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value


class NotKnown(Exception):
    """A value that must be plain at program time is not known (yet)."""


def known_value(value: pulumi.Input[T], what: str) -> T:
    """The resolved value of `value`, for program code that needs it plain (names that shape other
    resources). Raises NotKnown, naming `what`, when it is unknown (a first preview of a resource's output);
    a StackReference's outputs are always known."""
    output = pulumi.Output.from_input(value)
    if not sync_await(output.is_known()):
        raise NotKnown(f"{what} is not known yet; it must be (read it from a deployed stack)")
    result: Any = sync_await(output.future())
    return result  # type: ignore[no-any-return]


__all__ = [
    "UNKNOWN",
    "NotKnown",
    "ensure_event_loop",
    "known_value",
    "mocks",
    "run_pulumi_func",
    "settings",
    "sync_await",
    "whole_numbers",
]
