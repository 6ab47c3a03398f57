"""The shape of every component's `...Args`: a frozen, keyword-only dataclass whose fields are documented
with `arg(...)`. The reference docs (docs/components.md) are generated from these fields."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

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
