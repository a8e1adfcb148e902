"""Scheduling analyses for open buffers: debounced, one at a time per module, off the event loop,
and never publishing results for a version the editor has already moved past.

A change schedules its module after the debounce; a newer change cancels a run that has not started.
A started run is never interrupted (it lives in a worker thread) but it snapshots the buffers'
versions, and its results are only published for documents still at those versions. Runs of one
module are serialised by an asyncio lock; different modules run side by side on a small thread pool,
so a slow module does not hold up the buffer being typed in elsewhere.

A run has a time budget (the user's `analysisTimeoutSeconds`, 10 s by default). The engine checks it at
coarse points (`advisor.deadline`): a module that uses it up is stopped, and its documents get a warning
that says so instead of findings. A run that passes its budget by `OVERDUE_GRACE` without reaching a
check point is reported the same way and left to finish on its thread. Whatever the budget, long runs
never hold up the others: when every editor thread has been busy for over `LONG_RUN` seconds, a new
run (or one still waiting for a thread) goes to one of `SPARE_THREADS` spare threads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import gc
import json
import logging
import os
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from advisor.lsp import convert
from advisor.lsp.documents import Document, DocumentStore, LineIndex

if TYPE_CHECKING:
    from advisor.engine import Analysis, Options
    from advisor.model import Finding, Resource
    from advisor.pricing.costs import ResourceCost

log = logging.getLogger("advisor.lsp")
T = TypeVar("T")

# Two threads: with the GIL they add no throughput, but a slow module no longer queues the runs
# of a small one behind it. Runs of the same unit never overlap (see ModuleState.lock).
EDITOR_THREADS = 2
FRESH_TIMEOUT = 20.0
OVERDUE_GRACE = 5.0  # seconds past its budget after which a run is reported stopped while it goes on
LONG_RUN = 2.0  # seconds after which a run on an editor thread no longer counts as about to finish
SPARE_THREADS = 4
STOPPED = "analysis-stopped"  # the code of the warning on a module whose analysis was stopped


@dataclass(frozen=True, slots=True)
class Unit:
    """What one analysis covers: a Terraform module directory, or one CloudFormation template.

    `key` identifies it (the directory, or the template's path) for scheduling and locking."""

    key: str
    directory: str
    template: str | None = None

    def owns(self, path: str) -> bool:
        """Whether diagnostics for `path` are this unit's to publish."""
        if self.template is not None:
            return path == self.template
        return os.path.dirname(path) == self.directory and unit_of(path) == self


def unit_of(path: str) -> Unit | None:
    """The unit a file is analysed in, or None for files Advisor does not read."""
    from advisor.iac.files import is_template_candidate, is_terraform_file, is_terragrunt_file, is_tfvars_file

    path = os.path.normpath(path)
    name = os.path.basename(path)
    if is_terraform_file(name) or is_tfvars_file(name) or is_terragrunt_file(name):  # a Terragrunt root
        directory = os.path.dirname(path)
        return Unit(directory, directory)
    if is_template_candidate(name):
        return Unit(path, os.path.dirname(path), path)
    return None


@dataclass(slots=True)
class Snapshot:
    """What one run analyses: the unit, its open buffers (texts and versions) and the options."""

    unit: Unit
    options: Options
    overlay: dict[str, str]
    versions: dict[str, int]
    skipped: dict[str, str]
    encoding: str
    doc_urls: dict[str, str]
    generation: int = 0
    budget: float | None = None  # seconds the analysis may take (see `advisor.deadline`)
    cancelled: Callable[[], bool] | None = None  # the scan's: stop as soon as it returns True
    # the previous run's diagnostics by finding: findings the engine reused are the same objects
    converted: dict[int, tuple[Finding, convert.Json]] = field(default_factory=dict)


@dataclass(slots=True)
class ModuleView:
    """One finished analysis of a unit as the editor sees it: the engine's outcome with the texts it was
    run on, its diagnostics in the client's encoding, and what is needed to answer requests about it later."""

    unit: Unit
    outcome: Analysis
    versions: dict[str, int]
    texts: dict[str, str]
    diagnostics: dict[str, list[convert.Json]]
    seconds: float
    generation: int = 0
    _indexes: dict[str, LineIndex] = field(default_factory=dict)
    _costs: dict[str, ResourceCost] | None = None
    _not_priced: set[str] | None = None
    _findings_by_path: dict[str, list[Finding]] | None = None
    _resources_by_path: dict[str, list[Resource]] | None = None
    _lens: dict[str, tuple[Any, ...]] | None = None
    converted: dict[int, tuple[Finding, convert.Json]] = field(default_factory=dict)
    options: Options | None = None  # what the run was given (its config decides e.g. explanations)

    def index(self, path: str) -> LineIndex | None:
        path = _normpath(path)
        idx = self._indexes.get(path)
        if idx is None:
            text = self.texts.get(path)
            if text is None:
                return None
            idx = self._indexes[path] = LineIndex(text)
        return idx

    def findings_by_path(self) -> dict[str, list[Finding]]:
        if self._findings_by_path is None:
            self._findings_by_path = _by_path(self.outcome.findings, lambda f: f.span.path)
        return self._findings_by_path

    def findings_in(self, path: str) -> list[Finding]:
        return self.findings_by_path().get(path, [])

    def resources_in(self, path: str) -> list[Resource]:
        if self._resources_by_path is None:
            self._resources_by_path = _by_path(self.outcome.resources, lambda r: r.path)
        return self._resources_by_path.get(path, [])

    def lens_signature(self, path: str) -> tuple[Any, ...]:
        """What the code lenses and inlay hints of a file show: resources, lines and costs."""
        if self._lens is None:
            costs = {
                p: [(c.address, c.monthly_cost) for c in group]
                for p, group in _by_path(self.outcome.costs, lambda c: c.path).items()
            }
            # module call lenses show the called resources' costs and findings, wherever they are
            modules = (
                [(c.address, c.monthly_cost) for c in self.outcome.costs if c.address.startswith("module.")],
                [(f.rule, f.resource) for f in self.outcome.findings],
            )
            self._lens = {
                p: ([(r.address, r.span.line) for r in self.resources_in(p)], costs.get(p, []), modules)
                for p in {*self.versions, *costs}
            }
        return self._lens.get(path, ([], []))

    def costs_by_address(self) -> dict[str, ResourceCost]:
        if self._costs is None:
            self._costs = {c.address: c for c in self.outcome.costs}
        return self._costs

    def not_priced(self) -> set[str]:
        if self._not_priced is None:
            self._not_priced = set(self.outcome.not_priced)
        return self._not_priced


@functools.lru_cache(maxsize=4096)
def _normpath(path: str) -> str:
    """Paths in results are a few strings repeated thousands of times: normalise each once."""
    return os.path.normpath(path)


def _by_path(items: list[T], path_of: Callable[[T], str]) -> dict[str, list[T]]:
    """Items grouped by their normalised file path, in their order."""
    grouped: dict[str, list[T]] = {}
    for item in items:
        grouped.setdefault(_normpath(path_of(item)), []).append(item)
    return grouped


def compute(snap: Snapshot) -> ModuleView:
    """Runs in a worker thread: the engine, then diagnostics in the client's encoding.

    Raises `advisor.deadline.Cancelled` when `snap.cancelled` says so; a run out of time is `stopped`."""
    from advisor.deadline import OutOfTime, bounded
    from advisor.engine import ModuleJob, analyze_module, forget_reuse, read_text, remote_module_note

    started = time.perf_counter()
    unit = snap.unit
    try:
        with bounded(snap.budget, snap.cancelled):
            outcome = analyze_module(
                ModuleJob(unit.directory, snap.options, dict(snap.overlay), template=unit.template)
            )
    except OutOfTime as exc:
        # a run stopped midway leaves nothing to reuse
        forget_reuse(snap.options.session, unit.directory, unit.template)
        return stopped(snap, exc.seconds)
    texts = {p: t for p, t in snap.overlay.items() if p not in snap.skipped}
    wanted: set[str] = set(outcome.files)
    for f in outcome.findings:
        wanted.add(f.span.path)
        wanted.update(e.span.path for e in f.fix)
    wanted.update(e.path for e in [*outcome.errors, *outcome.read_errors])
    for path in wanted:
        path = os.path.normpath(path)
        if path not in texts and path not in snap.skipped and os.path.isfile(path):
            text, _ = read_text(path, snap.options.roots or None)
            if text is not None:
                texts[path] = text
    result = ModuleView(
        unit, outcome, dict(snap.versions), texts, {}, 0.0, snap.generation, options=snap.options
    )
    diags: dict[str, list[convert.Json]] = {os.path.normpath(p): [] for p in outcome.files}
    if unit.template is not None and not outcome.files:
        return result  # not a template after all (a YAML or JSON file of another kind): nothing to say
    for p in snap.versions:
        diags.setdefault(p, [])
    previous, converted = snap.converted, result.converted
    for path, found in result.findings_by_path().items():
        index = result.index(path)
        out = diags.setdefault(path, [])
        for f in found:
            # A finding the engine reused is the very object of the last run, never changed, on lines
            # the edit did not touch: its diagnostic is the same too.
            hit = previous.get(id(f))
            d = hit[1] if hit is not None and hit[0] is f else None
            if d is None:
                d = convert.diagnostic_json(f, index, snap.encoding, snap.doc_urls)
            converted[id(f)] = (f, d)
            out.append(d)
    for e in [*outcome.errors, *outcome.read_errors]:
        if e.span is not None:
            continue  # already a parse-error finding
        path = os.path.normpath(e.path)
        if os.path.isdir(path):
            log.error("%s: %s", path, e.message)
            continue
        diags.setdefault(path, []).append(convert.error_diagnostic_json(e, result.index(path), snap.encoding))
    for where in outcome.remote_modules:  # registry/git module calls not followed: on their `source`
        path = os.path.normpath(where.path)
        note = convert.note_diagnostic_json(remote_module_note(where))
        note["range"] = convert.range_json(where, result.index(path), snap.encoding)
        diags.setdefault(path, []).append(note)
    for path, reason in snap.skipped.items():
        diags[path] = [convert.note_diagnostic_json(reason)]
    result.diagnostics = diags
    for path in snap.versions:
        result.lens_signature(path)  # here, off the event loop
    result.seconds = time.perf_counter() - started
    return result


def failed(snap: Snapshot, exc: Exception) -> ModuleView:
    """A bug in the engine shows up on the open documents instead of as silence (and the request
    that waits for this version gets an answer instead of retrying)."""
    detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    note = convert.note_diagnostic_json(
        f"Advisor could not analyse this module ({detail}); see the log", "internal-error"
    )
    diags = {path: [note] for path in snap.versions}
    from advisor.engine import Analysis

    outcome = Analysis(snap.unit.directory)
    return ModuleView(
        snap.unit, outcome, dict(snap.versions), {}, diags, 0.0, snap.generation, options=snap.options
    )


def stopped(snap: Snapshot, seconds: float) -> ModuleView:
    """A run that used up its time budget: no findings, an incomplete error on the module, and a
    warning on each of its open documents saying what happened and which setting decides it."""
    from advisor.engine import Analysis
    from advisor.lsp.settings import TIME_BUDGET_KEY
    from advisor.model import ParseError
    from lsprotocol.types import DiagnosticSeverity

    message = (
        f"Advisor's analysis of this module was stopped after {seconds:g} s, its time budget (setting "
        f"advisor.{TIME_BUDGET_KEY}): its findings and costs are not shown"
    )
    log.warning("%s: %s", snap.unit.key, message)
    error = ParseError(snap.unit.template or snap.unit.directory, message, incomplete=True)
    note = convert.note_diagnostic_json(message, STOPPED)
    note["severity"] = int(DiagnosticSeverity.Warning)
    diags: dict[str, list[convert.Json]] = {path: [note] for path in snap.versions}
    for path, reason in snap.skipped.items():
        diags[path] = [convert.note_diagnostic_json(reason)]
    outcome = Analysis(snap.unit.directory, errors=[error])
    return ModuleView(
        snap.unit, outcome, dict(snap.versions), {}, diags, seconds, snap.generation, options=snap.options
    )


def warm_up() -> None:
    """Import and open what the first analysis needs (parser tables, price catalog, rules) while
    the client is still busy with the handshake, so the first diagnostics come sooner."""
    try:
        from advisor.engine import analyze_module  # noqa: F401
        from advisor.iac.hcl_parse import parse_hcl
        from advisor.pricing.catalog import Catalog
        from advisor.pricing.estimators import estimate  # noqa: F401
        from advisor.rules.engine import load_rules

        parse_hcl("warm-up.tf", 'locals {\n  x = "warm"\n}\n')
        Catalog.default()
        load_rules()
    except Exception:
        log.exception("warm-up failed (the first analysis will report the problem)")
    # Everything loaded so far (protocol types, parser tables, rules) lives as long as the server:
    # taking it out of the collector's view makes the full collections that big analyses trigger
    # several times cheaper (p95 of a 3,000-line edit: about 170 → 100 ms on the benchmark).
    gc.freeze()
    # An analysis allocates tens of thousands of objects and frees them by reference counting (the
    # engine makes no cycles): young-generation passes every 700 allocations found nothing and cost
    # a tenth of an edit. `Collector` still collects fully when the server is idle.
    gc.set_threshold(20_000, 20, 100)


class Collector:
    """When the cyclic garbage collector looks at what: cheap collections while the user types, a full
    one when the server is idle.

    A full collection traverses every object the collector tracks; with a big module's parse cache,
    price memos and last result alive that costs tens of milliseconds, and it used to land on a
    keystroke's analysis every few edits. After each published result everything alive is moved out
    of the collector's view (`gc.freeze`), so collections during typing only look at what the next
    analysis allocates. The engine makes no reference cycles, so what it frees goes by reference
    counting, frozen or not; anything cyclic that dies after being frozen (from the protocol library,
    say) is collected by a full collection once the server has been idle for `IDLE_SECONDS`.
    """

    IDLE_SECONDS = 5.0

    def __init__(self) -> None:
        self._timer: asyncio.TimerHandle | None = None
        self.busy: Callable[[], bool] = lambda: False

    def after_result(self) -> None:
        gc.freeze()
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(self.IDLE_SECONDS, self._sweep)

    def _sweep(self) -> None:
        self._timer = None
        if self.busy():
            self._timer = asyncio.get_running_loop().call_later(self.IDLE_SECONDS, self._sweep)
            return
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


@dataclass(slots=True)
class ModuleState:
    """Scheduling state of one unit with open documents; dropped when its last document closes."""

    unit: Unit
    lock: asyncio.Lock
    pending: asyncio.Task[None] | None = None
    pending_now: bool = False  # the pending run has no debounce left to wait
    queued: asyncio.Task[None] | None = None  # a run waiting for the lock: it snapshots when it gets it
    running_versions: dict[str, int] | None = None
    result: ModuleView | None = None
    published: dict[str, str] = field(default_factory=dict)  # URI → what was pushed (files not open)
    closed: set[str] = field(default_factory=set)  # paths the user closed: not republished from disk
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class Analyzer:
    """Owns module states, the worker pool and the publication rules."""

    def __init__(
        self,
        docs: DocumentStore,
        options_for: Callable[[str], Options],
        publish: Callable[[str, int | None, list[convert.Json]], None],
        on_result: Callable[[ModuleView], None],
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
        self.spare = concurrent.futures.ThreadPoolExecutor(SPARE_THREADS, thread_name_prefix="advisor-spare")
        self._started: dict[object, float] = {}  # the runs on `pool`'s threads: when each started
        self.last_seconds = 0.0
        self.generation = 0  # bumped when settings, configs or files on disk change
        self.time_budget: float | None = None  # seconds per run (the user's setting; None: unbounded)
        self.collector = Collector()
        self.collector.busy = lambda: any(
            s.running_versions is not None or s.queued is not None for s in self.modules.values()
        )

    def lock_for(self, key: str) -> asyncio.Lock:
        """The one lock of a unit, shared by editor runs and the workspace scan; it lives as long
        as someone holds it."""
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    def invalidate(self) -> None:
        """Something besides the buffers changed: the next run of every module must not be skipped."""
        self.generation += 1

    # -- scheduling ------------------------------------------------------------------------------------
    def schedule(self, unit: Unit, delay: float) -> None:
        state = self.modules.get(unit.key)
        if state is None:
            state = self.modules[unit.key] = ModuleState(unit, self.lock_for(unit.key))
        if state.pending is not None and not state.pending.done():
            state.pending.cancel()
        state.pending = asyncio.get_running_loop().create_task(self._debounced(state, delay))
        state.pending_now = delay <= 0

    def schedule_all(self, delay: float = 0.0) -> None:
        units = {
            u
            for d in self.docs
            if d.path is not None
            and (u := unit_of(d.path)) is not None
            and (u.template is None or d.is_template())  # other YAML and JSON: no analysis
        }
        for unit in sorted(units, key=lambda u: u.key):
            self.schedule(unit, delay)

    def docs_in(self, unit: Unit) -> list[Document]:
        if unit.template is not None:
            doc = self.docs.by_path(unit.template)
            return [doc] if doc is not None else []
        return [d for d in self.docs.in_directory(unit.directory) if d.path is not None and unit.owns(d.path)]

    async def _debounced(self, state: ModuleState, delay: float) -> None:
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
            task = state.queued = asyncio.ensure_future(self._run(state))
        await asyncio.shield(task)

    async def _run(self, state: ModuleState) -> None:
        unit = state.unit
        async with state.lock:
            if state.queued is asyncio.current_task():
                state.queued = None
            if self.modules.get(unit.key) is not state:
                return  # the unit was closed while this run waited
            snap = self.snapshot(unit)
            if not snap.versions:
                return
            last = state.result
            if last is not None and last.versions == snap.versions and last.generation == snap.generation:
                return  # nothing changed since the last run
            if last is not None and last.generation == snap.generation:
                snap.converted = last.converted
            state.running_versions = snap.versions
            try:
                result = await self._execute(state, snap)
            except Exception as exc:
                log.exception("analysis of %s failed", unit.key)
                result = failed(snap, exc)
            finally:
                state.running_versions = None
        self._deliver(state, result)

    async def _execute(self, state: ModuleState, snap: Snapshot) -> ModuleView:
        """`compute` on an editor thread, or on a spare one while long runs hold every editor thread.

        Called with the unit's lock held, and returns only when the thread is done with the run, so
        runs of one module never overlap, even one that overstays its budget."""
        job = self._submit(snap)
        waiter = asyncio.wrap_future(job)
        while not job.running() and not job.done():  # waiting for a thread
            await asyncio.wait({waiter}, timeout=LONG_RUN)
            if not job.running() and self._editor_threads_held() and job.cancel():
                job = self.spare.submit(compute, snap)
                waiter = asyncio.wrap_future(job)
        overdue = snap.budget + OVERDUE_GRACE if snap.budget is not None else None
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), overdue)
        except asyncio.TimeoutError:
            log.error("the analysis of %s did not stop at its time budget; it goes on", snap.unit.key)
            self._deliver(state, stopped(snap, snap.budget or 0.0))
            return await waiter

    def _submit(self, snap: Snapshot) -> concurrent.futures.Future[ModuleView]:
        if self._editor_threads_held():
            return self.spare.submit(compute, snap)
        return self.pool.submit(self._timed, snap)

    def _timed(self, snap: Snapshot) -> ModuleView:
        """`compute` on an editor thread, recording how long that thread has been busy with it."""
        key = object()
        self._started[key] = time.monotonic()
        try:
            return compute(snap)
        finally:
            del self._started[key]

    def _editor_threads_held(self) -> bool:
        """Whether every editor thread is busy with a run that started over `LONG_RUN` seconds ago."""
        now = time.monotonic()
        started = list(self._started.values())
        return len(started) >= EDITOR_THREADS and all(now - t > LONG_RUN for t in started)

    def _deliver(self, state: ModuleState, result: ModuleView) -> None:
        """Publish a finished run and wake whoever waits for it (unless its unit was closed since)."""
        unit = state.unit
        self.last_seconds = result.seconds
        log.debug("analysed %s in %.1f ms", unit.key, result.seconds * 1000)
        if self.modules.get(unit.key) is not state:
            return
        state.result = result
        self._publish(state, result)
        state.changed.set()
        state.changed = asyncio.Event()
        try:
            self.on_result(result)
        except Exception:
            log.exception("after analysis of %s", unit.key)
        self.collector.after_result()

    def snapshot(self, unit: Unit) -> Snapshot:
        overlay: dict[str, str] = {}
        versions: dict[str, int] = {}
        skipped: dict[str, str] = {}
        for doc in self.docs.in_directory(unit.directory):
            assert doc.path is not None
            if unit.template is not None and doc.path != unit.template:
                continue
            reason = doc.skip_reason()
            if reason is not None:
                skipped[doc.path] = reason
                overlay[doc.path] = ""  # neither the buffer nor the file on disk is analysed
            else:
                overlay[doc.path] = doc.text
            if unit.owns(doc.path):
                versions[doc.path] = doc.version
        options = self.options_for(unit.directory)
        return Snapshot(
            unit,
            options,
            overlay,
            versions,
            skipped,
            self.encoding,
            self.doc_urls,
            self.generation,
            budget=self.time_budget,
        )

    # -- publication -----------------------------------------------------------------------------------
    def _publish(self, state: ModuleState, result: ModuleView) -> None:
        targets: dict[str, list[convert.Json]] = {}
        for path, diags in result.diagnostics.items():
            if not state.unit.owns(path):
                continue  # files of called modules belong to their own module's analysis
            doc = self.docs.by_path(path)
            if doc is not None:
                if result.versions.get(path) != doc.version:
                    continue  # stale: a newer run is on its way
                if self.push:
                    self.publish(doc.uri, doc.version, diags)
                elif state.published.pop(convert.uri_for(path), None) is not None:
                    # pushed while the file was closed: a pull client keeps pushed diagnostics apart
                    # from pulled ones, so they would outlive every fix made once the file is open
                    self.publish(doc.uri, None, [])
                continue
            if path in result.versions or path in state.closed:
                continue  # closed since the snapshot, or closed by the user earlier
            targets[convert.uri_for(path)] = diags
        for uri, diags in targets.items():
            # files that are not open only change when the disk does: send them when they differ
            sent = state.published.get(uri)
            if not diags and sent is None:
                continue
            digest = json.dumps(diags, sort_keys=True)
            if digest == sent:
                continue
            self.publish(uri, None, diags)
            if diags:
                state.published[uri] = digest
            else:
                state.published.pop(uri, None)

    # -- documents ---------------------------------------------------------------------------------------
    def closed(self, doc: Document) -> None:
        """Forget a closed buffer; when its unit has nothing open any more, forget the unit."""
        unit = unit_of(doc.path) if doc.path is not None else None
        state = self.modules.get(unit.key) if unit is not None else None
        if unit is None or state is None:
            return
        state.published.pop(doc.uri, None)
        if self.docs_in(unit):
            assert doc.path is not None
            state.closed.add(doc.path)
            return
        if state.pending is not None and not state.pending.done():
            state.pending.cancel()
        for uri in sorted(state.published):
            self.publish(uri, None, [])
        del self.modules[unit.key]
        from advisor.engine import forget_reuse

        forget_reuse(self.options_for(unit.directory).session, unit.directory, unit.template)

    def result_for(self, doc: Document) -> ModuleView | None:
        unit = unit_of(doc.path) if doc.path is not None else None
        state = self.modules.get(unit.key) if unit is not None else None
        return state.result if state is not None else None

    async def fresh(self, doc: Document, timeout: float = FRESH_TIMEOUT) -> ModuleView | None:
        """The analysis of this document's current version, running one now if none is on its way."""
        unit = unit_of(doc.path) if doc.path is not None else None
        if unit is None or doc.path is None:
            return None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            state = self.modules.get(unit.key)
            if state is None:
                self.schedule(unit, 0.0)
                state = self.modules[unit.key]
            current = self.docs.get(doc.uri)
            if current is None:
                return state.result
            if state.result is not None and state.result.versions.get(doc.path) == current.version:
                return state.result
            running = state.running_versions or {}
            waiting = state.pending is not None and not state.pending.done() and state.pending_now
            if running.get(doc.path) != current.version and not waiting:
                self.schedule(unit, 0.0)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return state.result
            try:
                await asyncio.wait_for(state.changed.wait(), remaining)
            except asyncio.TimeoutError:
                return state.result

    def shutdown(self) -> None:
        self.collector.cancel()
        for state in self.modules.values():
            if state.pending is not None:
                state.pending.cancel()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.spare.shutdown(wait=False, cancel_futures=True)


def describe(result: ModuleView | None) -> dict[str, Any]:
    """A small summary for logs and command results."""
    if result is None:
        return {}
    o = result.outcome
    return {
        "unit": result.unit.key,
        "resources": len(o.resources),
        "findings": len(o.findings),
        "ms": round(result.seconds * 1000, 1),
    }
