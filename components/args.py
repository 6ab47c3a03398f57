"""The shape of every component's `...Args`: a frozen, keyword-only dataclass whose fields are documented
with `arg(...)`. The reference docs (docs/components.md) are generated from these fields."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Annotated, Any, NoReturn, TypeVar

import pulumi
from pydantic import BaseModel, TypeAdapter, ValidationError
from typing_extensions import dataclass_transform

DOC = "doc"
T = TypeVar("T")


def arg(doc: str, *, default: Any = dataclasses.MISSING, default_factory: Any = dataclasses.MISSING) -> Any:
    """A documented Args field. `doc` says what the value is, where it usually comes from (another
    component's output, a StackReference) and what the secure default is."""
    if default is not dataclasses.MISSING and default_factory is not dataclasses.MISSING:
        raise TypeError("arg(): give default or default_factory, not both")
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata={DOC: doc})
    return dataclasses.field(default=default, metadata={DOC: doc})


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(dataclasses.field, arg))
def args_type(cls: type[T]) -> type[T]:
    """Decorator: a frozen keyword-only dataclass (every field must be documented with `arg`)."""
    made = dataclasses.dataclass(frozen=True, kw_only=True)(cls)
    for f in dataclasses.fields(made):  # type: ignore[arg-type]
        if DOC not in f.metadata:
            raise TypeError(f"{cls.__name__}.{f.name}: document it with arg(...)")
    return made


def is_plain(value: object) -> bool:
    """False for a value only known later (a pulumi Output or another awaitable): AWS checks those at apply."""
    return not (isinstance(value, pulumi.Output) or inspect.isawaitable(value))


def schema_type(model: type[BaseModel], field: str) -> Any:
    """The annotated type of the stack schema's `model.field`, with its constraints (pattern, ge/le, ...)."""
    info = model.model_fields[field]
    return Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation


def check(args: object, field: str, annotation: Any, fix: str, *, value: Any = dataclasses.MISSING) -> None:
    """Validate the plain value of `args.field` (or `value`, one item of it) against `annotation`, e.g.
    `schema_type(Bucket, "stage")`: the constraints the stack file has for it, so a consumer can't pass a value the
    stack file would refuse. Raises ValueError naming the Args class, the field, the value, what is wrong and `fix`."""
    item = getattr(args, field) if value is dataclasses.MISSING else value
    if not is_plain(item):
        return
    try:
        TypeAdapter(annotation).validate_python(item)
    except ValidationError as exc:
        reasons = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        fail(args, field, f"{reasons}. {fix}", what=item)


def fail(args: object, field: str, reason: str, *, what: Any = dataclasses.MISSING) -> NoReturn:
    """Raise the ValueError of an invalid Args field: class, field, value (or `what`, the wrong part), reason."""
    shown = getattr(args, field) if what is dataclasses.MISSING else what
    raise ValueError(f"{type(args).__name__}.{field}={shown!r}: {reason}")
