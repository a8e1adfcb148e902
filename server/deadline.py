"""A time budget and a stop request for the current thread's work, checked where the work loops.

Python cannot interrupt a thread from outside, so an analysis that must end (the language server's
per-module time budget, a workspace scan the user cancelled) ends cooperatively: the caller runs the
work inside `bounded(...)`, and the long loops of the pipeline call `check_deadline()` at a few coarse
points (per folder walked, per file read, per module instance, per resource). Outside `bounded` the
check costs one context-variable lookup (50 ns); the batch commands never set a budget.

`Stopped` derives from `BaseException`, like `KeyboardInterrupt`, so the guards that turn a defect into
an error on one module (`except Exception`) let it through to the caller that asked for the limit.

Imports only the standard library: every layer may call `check_deadline()`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass


class Stopped(BaseException):
    """The work was stopped from outside: out of time, or cancelled."""


class OutOfTime(Stopped):
    """The thread's time budget is spent."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"stopped after {seconds:g} s")
        self.seconds = seconds


class Cancelled(Stopped):
    """Whoever asked for the work no longer wants it."""

    def __init__(self) -> None:
        super().__init__("cancelled")


@dataclass(frozen=True, slots=True)
class _Limit:
    until: float | None  # time.monotonic() at which the budget is spent
    seconds: float
    cancelled: Callable[[], bool] | None


# Each thread has a context of its own (a worker thread of an executor is not given its caller's), so
# the limit set by `bounded` is seen by that thread alone.
_limit: ContextVar[_Limit | None] = ContextVar("advisor_deadline", default=None)


@contextlib.contextmanager
def bounded(seconds: float | None = None, cancelled: Callable[[], bool] | None = None) -> Iterator[None]:
    """Run the block with a budget of `seconds` (None: no budget) and a `cancelled` callback, both
    seen by `check_deadline()` in this thread. An enclosing limit stays in force: the earlier end and
    either cancellation win."""
    outer = _limit.get()
    until = time.monotonic() + seconds if seconds is not None else None
    spent = seconds or 0.0
    if outer is not None and outer.until is not None and (until is None or outer.until < until):
        until, spent = outer.until, outer.seconds
    ask = cancelled
    if outer is not None and outer.cancelled is not None:
        first, second = outer.cancelled, cancelled
        ask = first if second is None else (lambda: first() or second())
    token = _limit.set(_Limit(until, spent, ask))
    try:
        yield
    finally:
        _limit.reset(token)


def check_deadline() -> None:
    """Raise `OutOfTime` or `Cancelled` if this thread's work has to stop; else return at once."""
    limit = _limit.get()
    if limit is None:
        return
    if limit.until is not None and time.monotonic() > limit.until:
        raise OutOfTime(limit.seconds)
    if limit.cancelled is not None and limit.cancelled():
        raise Cancelled()
