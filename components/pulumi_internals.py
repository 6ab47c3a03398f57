"""Every use of Pulumi's non-public Python API, in one place, pinned to the SDK version it was written for
(requirements.txt: pulumi==3.272.0). A Pulumi upgrade re-checks this file and nothing else.

- `sync_await` (pulumi.runtime.sync_await._sync_await): wait for a coroutine from synchronous program code,
  as the SDK's own synchronous invokes do. Used to read a StackReference's values that must be plain (a
  zone's peer namespaces, cluster-wide settings) and by the offline engine to run a program.
- `ensure_event_loop`, `run_pulumi_func`, `settings`, `mocks`, `UNKNOWN`: the offline engine (enclave.synth)
  runs the real program under Pulumi's mocks and reads the root stack's exports.
- `property_types`, `is_output_type`, `unwrap_type` (pulumi._types): the output properties of an SDK class
  (a resource, an output type, an invoke's result) by their engine names, so the offline engine answers any
  resource or invoke with values of the right shape.
- `SECRET_SIG_KEY`, `SECRET_SIG`, `RESOURCE_SIG` (pulumi.runtime.rpc): how the engine's wire marks a secret
  value and a reference to a resource.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

import pulumi
from pulumi import _types
from pulumi.runtime import mocks as mocks
from pulumi.runtime import settings as settings
from pulumi.runtime.rpc import UNKNOWN as UNKNOWN
from pulumi.runtime.rpc import _special_resource_sig as RESOURCE_SIG
from pulumi.runtime.rpc import _special_secret_sig as SECRET_SIG
from pulumi.runtime.rpc import _special_sig_key as SECRET_SIG_KEY
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


def property_types(cls: type) -> dict[str, Any]:
    """A resource class's, output type's or invoke result's properties: engine name -> type, Output[] and
    Optional[] unwrapped (the SDK's own reading of its getters' type hints)."""
    if isinstance(cls, type) and issubclass(cls, pulumi.Resource):
        return _types.resource_types(cls)
    return _types._types_from_py_properties(cls)  # type: ignore[arg-type]


def is_output_type(cls: Any) -> bool:
    return isinstance(cls, type) and _types.is_output_type(cls)


def unwrap_type(typ: Any) -> Any:
    return _types.unwrap_type(typ)


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
    "RESOURCE_SIG",
    "SECRET_SIG",
    "SECRET_SIG_KEY",
    "UNKNOWN",
    "NotKnown",
    "ensure_event_loop",
    "is_output_type",
    "known_value",
    "mocks",
    "property_types",
    "run_pulumi_func",
    "settings",
    "sync_await",
    "unwrap_type",
    "whole_numbers",
]
