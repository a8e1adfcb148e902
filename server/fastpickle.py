"""Fast pickling and copying for slotted dataclasses, which the caches store and the language server
copies by the thousand.

A frozen slotted dataclass pickles (and `copy.copy` copies) through a Python-level `__getstate__` that
walks `fields()` for every object; rebuilding from the field values with a C-level getter is several
times faster.
"""

from __future__ import annotations

import dataclasses
import operator
from typing import Any, TypeVar

T = TypeVar("T")


def by_fields(cls: type[T]) -> type[T]:
    """Pickle and copy instances as `cls(*field values)` (every field must be an `__init__` argument)."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    getter = operator.attrgetter(*names)
    single = len(names) == 1

    def __reduce__(self: Any) -> tuple[Any, tuple[Any, ...]]:
        values = getter(self)
        return (cls, (values,) if single else values)

    def __copy__(self: Any) -> Any:
        values = getter(self)
        return cls(values) if single else cls(*values)  # type: ignore[call-arg]

    cls.__reduce__ = __reduce__  # type: ignore[method-assign,assignment]
    cls.__copy__ = __copy__  # type: ignore[attr-defined]
    return cls
