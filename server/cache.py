"""The one bounded in-memory cache every memo and reuse store of a `Session` is built on.

A least-recently-used map with a fixed number of entries, on the standard library's `OrderedDict`.
The language server's threads share a session: each `OrderedDict` operation is atomic (it runs in C
under the interpreter lock), and the two that can meet a key another thread removed meanwhile
(`move_to_end`, `popitem`) treat it as already done, so no lock is taken. A lookup is the hot path
of every keystroke (hundreds per edit): it costs about a fifth of a microsecond. Kept here rather than
taken from a package: it is the whole of what Advisor needs, and a dependency would be more code to
trust than these lines.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar, overload

K = TypeVar("K")
V = TypeVar("V")
D = TypeVar("D")
_MISSING: object = object()


class BoundedCache(Generic[K, V]):
    """At most `limit` entries; adding one more forgets the entry used longest ago, or with
    `recency=False` the one added longest ago (a lookup then costs one dictionary lookup: for memos
    looked up hundreds of times per keystroke whose entries are all alike in worth)."""

    __slots__ = ("_entries", "limit", "name", "recency")

    def __init__(self, name: str, limit: int, *, recency: bool = True) -> None:
        if limit < 1:
            raise ValueError(f"cache {name!r}: the limit must be at least 1, not {limit}")
        self.name = name
        self.limit = limit
        self.recency = recency
        self._entries: OrderedDict[K, V] = OrderedDict()

    @overload
    def get(self, key: K) -> V | None: ...
    @overload
    def get(self, key: K, default: D) -> V | D: ...

    def get(self, key: K, default: object = None) -> object:
        """The entry for `key` (now the most recently used), or `default`."""
        found = self._entries.get(key, _MISSING)
        if found is _MISSING:
            return default
        if not self.recency:
            return found
        with contextlib.suppress(KeyError):  # another thread evicted it meanwhile
            self._entries.move_to_end(key)
        return found

    def put(self, key: K, value: V) -> V:
        """Remember `value` for `key`; returns `value`."""
        entries = self._entries
        entries[key] = value
        if self.recency:
            with contextlib.suppress(KeyError):
                entries.move_to_end(key)
        while len(entries) > self.limit:
            try:
                entries.popitem(last=False)
            except KeyError:  # emptied by another thread meanwhile
                break
        return value

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The entry for `key`, made and remembered when missing (`make` runs outside the lock: two
        threads may both make it; the second one's is kept, both are equal)."""
        found = self.get(key)
        if found is None:
            found = self.put(key, make())
        return found

    def pop(self, key: K) -> V | None:
        return self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __repr__(self) -> str:
        return f"BoundedCache({self.name!r}, {len(self)}/{self.limit})"
