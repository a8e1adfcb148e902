"""The one bounded in-memory cache every memo and reuse store of a `Session` is built on.

A least-recently-used map with a fixed number of entries. The language server's threads share a
session, so each operation takes a lock: a lookup costs about a microsecond, far below what any entry
saves. Kept here, in the standard library's `OrderedDict`, rather than taken from a package: it is the
whole of what Advisor needs, and a dependency would be more code to trust than these lines.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar, overload

K = TypeVar("K")
V = TypeVar("V")
D = TypeVar("D")
_MISSING: object = object()


class BoundedCache(Generic[K, V]):
    """At most `limit` entries; adding one more forgets the entry used longest ago."""

    __slots__ = ("_entries", "_lock", "limit", "name")

    def __init__(self, name: str, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"cache {name!r}: the limit must be at least 1, not {limit}")
        self.name = name
        self.limit = limit
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    @overload
    def get(self, key: K) -> V | None: ...
    @overload
    def get(self, key: K, default: D) -> V | D: ...

    def get(self, key: K, default: object = None) -> object:
        """The entry for `key` (now the most recently used), or `default`."""
        with self._lock:
            found = self._entries.get(key, _MISSING)
            if found is _MISSING:
                return default
            self._entries.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> V:
        """Remember `value` for `key`; returns `value`."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            if len(self._entries) > self.limit:
                self._entries.popitem(last=False)
        return value

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The entry for `key`, made and remembered when missing (`make` runs outside the lock: two
        threads may both make it; the second one's is kept, both are equal)."""
        found = self.get(key)
        if found is None:
            found = self.put(key, make())
        return found

    def pop(self, key: K) -> V | None:
        with self._lock:
            return self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __repr__(self) -> str:
        return f"BoundedCache({self.name!r}, {len(self)}/{self.limit})"
