"""Many modules at once: a process pool for big trees, each worker ending with the process that
started it, and a defect on one module reported on that module while the run goes on."""

from __future__ import annotations

import contextlib
import os
import pickle
from collections.abc import Callable

from advisor.engine.module import fresh_outcome
from advisor.engine.records import Analysis, ModuleJob
from advisor.iac.files import is_terraform_file
from advisor.model import ParseError

# Worker processes pay for themselves only on enough text: forking, importing the pipeline in each
# worker and sending outcomes back cost about as much as analysing this many bytes in one process.
PARALLEL_MIN_BYTES = 256 * 1024


def compute(jobs: list[ModuleJob], max_jobs: int, on_module: Callable[[str], None] | None) -> list[Analysis]:
    workers = max_jobs or min(os.cpu_count() or 1, 8)
    if len(jobs) < 2 or workers <= 1 or (not max_jobs and _bytes_to_read(jobs) < PARALLEL_MIN_BYTES):
        out = []
        for j in jobs:
            out.append(_safe_analyze(j))
            if on_module:
                on_module(j.directory)
        return out
    import concurrent.futures as cf
    import multiprocessing

    ctx = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    # The pool is made and its workers forked by this thread, which outlives them (see `_die_with_parent`).
    with cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        results = []
        for record in pool.map(_pickled_in_worker, jobs, chunksize=max(1, len(jobs) // (workers * 8))):
            outcome = pickle.loads(record)
            results.append(outcome)
            if on_module:
                on_module(outcome.directory)
        return results


def _bytes_to_read(jobs: list[ModuleJob]) -> int:
    """The size of the files the jobs read first: each template, or each module folder's own files."""
    total = 0
    for job in jobs:
        if job.template is not None:
            with contextlib.suppress(OSError):
                total += os.path.getsize(job.template)
            continue
        try:
            with os.scandir(job.directory) as entries:
                for e in entries:
                    if is_terraform_file(e.name) and e.is_file():
                        total += e.stat().st_size
        except OSError:
            pass
    return total


def _safe_analyze(job: ModuleJob) -> Analysis:
    """A bug on one module is reported as an error on that module; the run goes on."""
    try:
        return fresh_outcome(job, pickled=False)[0]
    except Exception as exc:  # the last line of defence for a whole-tree run
        return _internal_error(job, exc)


def _pickled_in_worker(job: ModuleJob) -> bytes:
    """`_safe_analyze` in a worker process: its answer as the pickled record (see `module.fresh_outcome`)."""
    try:
        return fresh_outcome(job, pickled=True)[1]
    except Exception as exc:
        return pickle.dumps(_internal_error(job, exc), pickle.HIGHEST_PROTOCOL)


PARENT_POLL_SECONDS = 0.5


def _die_with_parent(parent: int) -> None:
    """Worker initializer: the worker ends as soon as the process that started it is gone.

    A forked worker inherits the ends of the pool's pipes that its siblings and parent hold, so it never
    sees them close: killed with SIGKILL or SIGTERM, the command would leave its workers computing and
    holding memory for nothing. On Linux the kernel sends the worker SIGKILL when its parent dies
    (`PR_SET_PDEATHSIG`; strictly, when the thread that forked it ends: `_compute`'s, which waits for
    the pool). The parent may have died before that was set, so the parent's pid is checked after.
    Elsewhere, or if `prctl` fails, a daemon thread checks for the parent twice a second.
    """
    import signal
    import sys

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            pr_set_pdeathsig = 1
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:
                    os._exit(1)  # the parent died before the signal was asked for
                return
        except (OSError, AttributeError):
            pass
    import threading

    threading.Thread(target=_watch_parent, args=(parent,), name="advisor-parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    """Exit the worker when its parent is gone (the portable fallback of `_die_with_parent`)."""
    import multiprocessing
    import time

    # A forked worker (the pool forks wherever it can) is re-parented when its parent dies; its
    # multiprocessing sentinel would not tell, its siblings hold it open. A spawned one (Windows) has
    # no fork-time parent pid to compare, but a sentinel only its parent holds.
    spawned = None if hasattr(os, "fork") else multiprocessing.parent_process()
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        gone = not spawned.is_alive() if spawned is not None else os.getppid() != parent
        if gone:
            os._exit(1)


ISSUES_URL = "https://github.com/advisor-iac/advisor/issues"


def _internal_error(job: ModuleJob, exc: Exception) -> Analysis:
    """A defect met on one module: an error on that module that marks the analysis incomplete (exit
    code 3), says the fault is Advisor's and how to report it. `ADVISOR_DEBUG=1` prints the traceback
    on stderr; the report itself never carries one."""
    import traceback

    detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
    if os.environ.get("ADVISOR_DEBUG"):
        traceback.print_exception(type(exc), exc, exc.__traceback__)
    message = (
        f"internal error of Advisor while analysing this module ({detail}); it was not analysed. "
        f"This is a defect in Advisor, not in these files: please report it at {ISSUES_URL} "
        "(run with ADVISOR_DEBUG=1 for the traceback)"
    )
    err = ParseError(job.template or job.directory, message, incomplete=True)
    return Analysis(job.directory, read_errors=[err])
