"""Scheduling analyses for open buffers: debounced, one at a time per module, off the event loop,
and never publishing results for a version the editor has already moved past.

A change schedules its module after the debounce; a newer change cancels a run that has not started.
A started run is never interrupted (it lives in a worker thread) but it snapshots the buffers'
versions, and its results are only published for documents still at those versions. Runs of one
module are serialised by an asyncio lock; different modules run side by side on a small thread pool,
so a slow module does not hold up the buffer being typed in elsewhere.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.lsp import convert
from advisor.lsp.documents import Document, DocumentStore, LineIndex

if TYPE_CHECKING:
    from advisor.engine import ModuleOutcome, Options
    from advisor.model import Finding, Resource
    from advisor.pricing.costs import ResourceCost
    from lsprotocol import types as lsp

log = logging.getLogger("advisor.lsp")

EDITOR_THREADS = 2
FRESH_TIMEOUT = 20.0


@dataclass(slots=True)
class Snapshot:
    """What one run analyses: the module, its open buffers (texts and versions) and the options."""

    directory: str
    options: Options
    overlay: dict[str, str]
    versions: dict[str, int]
    skipped: dict[str, str]
    encoding: str
    doc_urls: dict[str, str]
    generation: int = 0


@dataclass(slots=True)
class ModuleResult:
    """One finished analysis with everything needed to answer requests about it later."""

    directory: str
    outcome: ModuleOutcome
    versions: dict[str, int]
    texts: dict[str, str]
    diagnostics: dict[str, list[lsp.Diagnostic]]
    seconds: float
    generation: int = 0
    _indexes: dict[str, LineIndex] = field(default_factory=dict)

    def index(self, path: str) -> LineIndex | None:
        path = os.path.normpath(path)
        idx = self._indexes.get(path)
        if idx is None:
            text = self.texts.get(path)
            if text is None:
                return None
            idx = self._indexes[path] = LineIndex(text)
        return idx

    def findings_in(self, path: str) -> list[Finding]:
        return [f for f in self.outcome.findings if os.path.normpath(f.span.path) == path]

    def resources_in(self, path: str) -> list[Resource]:
        return [r for r in self.outcome.resources if os.path.normpath(r.path) == path]

    def costs_by_address(self) -> dict[str, ResourceCost]:
        return {c.address: c for c in self.outcome.costs}


def compute(snap: Snapshot) -> ModuleResult:
    """Runs in a worker thread: the engine, then diagnostics in the client's encoding."""
    from advisor.engine import ModuleJob, analyze_module, read_text

    started = time.perf_counter()
    outcome = analyze_module(ModuleJob(snap.directory, snap.options, dict(snap.overlay)))
    texts = {p: t for p, t in snap.overlay.items() if p not in snap.skipped}
    wanted: set[str] = set(outcome.files)
    for f in outcome.findings:
        wanted.add(f.span.path)
        wanted.update(e.span.path for e in f.fix)
    wanted.update(e.path for e in [*outcome.errors, *outcome.read_errors])
    for path in wanted:
        path = os.path.normpath(path)
        if path not in texts and path not in snap.skipped and os.path.isfile(path):
            text, _ = read_text(path)
            if text is not None:
                texts[path] = text
    result = ModuleResult(snap.directory, outcome, dict(snap.versions), texts, {}, 0.0, snap.generation)
    diags: dict[str, list[lsp.Diagnostic]] = {os.path.normpath(p): [] for p in outcome.files}
    for p in snap.versions:
        diags.setdefault(p, [])
    for f in outcome.findings:
        path = os.path.normpath(f.span.path)
        diags.setdefault(path, []).append(
            convert.diagnostic(f, result.index(path), snap.encoding, snap.doc_urls)
        )
    for e in [*outcome.errors, *outcome.read_errors]:
        if e.span is not None:
            continue  # already a parse-error finding
        path = os.path.normpath(e.path)
        if os.path.isdir(path):
            log.error("%s: %s", path, e.message)
            continue
        diags.setdefault(path, []).append(convert.error_diagnostic(e, result.index(path), snap.encoding))
    for path, reason in snap.skipped.items():
        diags[path] = [convert.note_diagnostic(reason)]
    result.diagnostics = diags
    result.seconds = time.perf_counter() - started
    return result


@dataclass(slots=True)
class ModuleState:
    lock: asyncio.Lock
    pending: asyncio.Task[None] | None = None
    pending_now: bool = False  # the pending run has no debounce left to wait
    queued: asyncio.Task[None] | None = None  # a run waiting for the lock: it snapshots when it gets it
    running_versions: dict[str, int] | None = None
    result: ModuleResult | None = None
    published: set[str] = field(default_factory=set)  # URIs with non-empty pushed diagnostics
    closed: set[str] = field(default_factory=set)  # paths the user closed: not republished from disk
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class Analyzer:
    """Owns module states, the worker pool and the publication rules."""

    def __init__(
        self,
        docs: DocumentStore,
        options_for: Callable[[str], Options],
        publish: Callable[[str, int | None, list[lsp.Diagnostic]], None],
        on_result: Callable[[ModuleResult], None],
    ) -> None:
        self.docs = docs
        self.options_for = options_for
        self.publish = publish
        self.on_result = on_result
        self.encoding = "utf-16"
        self.push = True
        self.doc_urls: dict[str, str] = {}
        self.ready = asyncio.Event()
        self.modules: dict[str, ModuleState] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self.pool = concurrent.futures.ThreadPoolExecutor(
            EDITOR_THREADS, thread_name_prefix="advisor-analysis"
        )
        self.last_seconds = 0.0
        self.generation = 0  # bumped when settings, configs or files on disk change

    def lock_for(self, directory: str) -> asyncio.Lock:
        """The one lock of a module, shared by editor runs and the workspace scan; it lives as long
        as someone holds it."""
        lock = self._locks.get(directory)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[directory] = lock
        return lock

    def invalidate(self) -> None:
        """Something besides the buffers changed: the next run of every module must not be skipped."""
        self.generation += 1

    # -- scheduling ------------------------------------------------------------------------------------
    def schedule(self, directory: str, delay: float) -> None:
        state = self.modules.get(directory)
        if state is None:
            state = self.modules[directory] = ModuleState(self.lock_for(directory))
        if state.pending is not None and not state.pending.done():
            state.pending.cancel()
        state.pending = asyncio.get_running_loop().create_task(self._debounced(directory, state, delay))
        state.pending_now = delay <= 0

    def schedule_all(self, delay: float = 0.0) -> None:
        for directory in sorted({os.path.dirname(d.path) for d in self.docs if d.path is not None}):
            self.schedule(directory, delay)

    async def _debounced(self, directory: str, state: ModuleState, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        if not self.ready.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.ready.wait(), 5.0)
        # Once started, a run finishes even if a newer change cancels this waiter: the lock is held
        # by the inner task, so the next run cannot overlap it. A run already queued for the lock
        # will see the newest text when it gets there, so it is joined rather than duplicated.
        task = state.queued
        if task is None or task.done():
            task = state.queued = asyncio.ensure_future(self._run(directory, state))
        await asyncio.shield(task)

    async def _run(self, directory: str, state: ModuleState) -> None:
        async with state.lock:
            if state.queued is asyncio.current_task():
                state.queued = None
            if self.modules.get(directory) is not state:
                return  # the module was closed while this run waited
            snap = self.snapshot(directory)
            if not snap.versions:
                return
            last = state.result
            if last is not None and last.versions == snap.versions and last.generation == snap.generation:
                return  # nothing changed since the last run
            state.running_versions = snap.versions
            loop = asyncio.get_running_loop()
            try:
                result = await loop.run_in_executor(self.pool, compute, snap)
            except Exception:
                log.exception("analysis of %s failed", directory)
                return
            finally:
                state.running_versions = None
        self.last_seconds = result.seconds
        log.debug("analysed %s in %.1f ms", directory, result.seconds * 1000)
        if self.modules.get(directory) is not state:
            return
        state.result = result
        self._publish(directory, state, result)
        state.changed.set()
        state.changed = asyncio.Event()
        try:
            self.on_result(result)
        except Exception:
            log.exception("after analysis of %s", directory)

    def snapshot(self, directory: str) -> Snapshot:
        overlay: dict[str, str] = {}
        versions: dict[str, int] = {}
        skipped: dict[str, str] = {}
        for doc in self.docs.in_directory(directory):
            assert doc.path is not None
            reason = doc.skip_reason()
            if reason is not None:
                skipped[doc.path] = reason
                overlay[doc.path] = ""  # neither the buffer nor the file on disk is analysed
            else:
                overlay[doc.path] = doc.text
            versions[doc.path] = doc.version
        options = self.options_for(directory)
        return Snapshot(
            directory, options, overlay, versions, skipped, self.encoding, self.doc_urls, self.generation
        )

    # -- publication -----------------------------------------------------------------------------------
    def _publish(self, directory: str, state: ModuleState, result: ModuleResult) -> None:
        targets: dict[str, list[lsp.Diagnostic]] = {}
        for path, diags in result.diagnostics.items():
            if os.path.dirname(path) != directory:
                continue  # files of called modules belong to their own module's analysis
            doc = self.docs.by_path(path)
            if doc is not None:
                if result.versions.get(path) != doc.version:
                    continue  # stale: a newer run is on its way
                if self.push:
                    self.publish(doc.uri, doc.version, diags)
                continue
            if path in result.versions or path in state.closed:
                continue  # closed since the snapshot, or closed by the user earlier
            targets[convert.uri_for(path)] = diags
        for uri, diags in targets.items():
            if diags or uri in state.published:
                self.publish(uri, None, diags)
            if diags:
                state.published.add(uri)
            else:
                state.published.discard(uri)

    # -- documents ---------------------------------------------------------------------------------------
    def closed(self, doc: Document) -> None:
        """Forget a closed buffer; when its module has nothing open any more, forget the module."""
        if doc.path is None:
            return
        directory = os.path.dirname(doc.path)
        state = self.modules.get(directory)
        if state is None:
            return
        state.published.discard(doc.uri)
        if self.docs.in_directory(directory):
            state.closed.add(doc.path)
            return
        if state.pending is not None and not state.pending.done():
            state.pending.cancel()
        for uri in sorted(state.published):
            self.publish(uri, None, [])
        del self.modules[directory]

    def result_for(self, doc: Document) -> ModuleResult | None:
        if doc.path is None:
            return None
        state = self.modules.get(os.path.dirname(doc.path))
        return state.result if state is not None else None

    async def fresh(self, doc: Document, timeout: float = FRESH_TIMEOUT) -> ModuleResult | None:
        """The analysis of this document's current version, running one now if none is on its way."""
        if doc.path is None:
            return None
        directory = os.path.dirname(doc.path)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            state = self.modules.get(directory)
            if state is None:
                self.schedule(directory, 0.0)
                state = self.modules[directory]
            current = self.docs.get(doc.uri)
            if current is None:
                return state.result
            if state.result is not None and state.result.versions.get(doc.path) == current.version:
                return state.result
            running = state.running_versions or {}
            waiting = state.pending is not None and not state.pending.done() and state.pending_now
            if running.get(doc.path) != current.version and not waiting:
                self.schedule(directory, 0.0)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return state.result
            try:
                await asyncio.wait_for(state.changed.wait(), remaining)
            except asyncio.TimeoutError:
                return state.result

    def shutdown(self) -> None:
        for state in self.modules.values():
            if state.pending is not None:
                state.pending.cancel()
        self.pool.shutdown(wait=False, cancel_futures=True)


def describe(result: ModuleResult | None) -> dict[str, Any]:
    """A small summary for logs and command results."""
    if result is None:
        return {}
    o = result.outcome
    return {
        "directory": result.directory,
        "resources": len(o.resources),
        "findings": len(o.findings),
        "ms": round(result.seconds * 1000, 1),
    }
