"""One root module or template analysed: its stored outcome when no input changed, else the pipeline
(`pipeline.run_pipeline`), wrapped in what the run keeps: the disk store (command line) or the
module's reuse state in the session (editor runs)."""

from __future__ import annotations

import os
import pickle

from advisor.engine.pipeline import ModuleReuse, run_pipeline
from advisor.engine.records import Analysis, ModuleJob, Options
from advisor.engine.session import Session
from advisor.engine.stored import Seen, cached_outcome, inputs_of, store_outcome, stored_before
from advisor.iac.files import is_template_candidate
from advisor.model import Block


def analyze_module(job: ModuleJob) -> Analysis:
    """The whole pipeline for one root module, reusing a stored outcome when no input changed."""
    stored = cached_outcome(job)
    if stored is not None:
        return stored
    return fresh_outcome(job, pickled=False)[0]


def fresh_outcome(job: ModuleJob, pickled: bool) -> tuple[Analysis, bytes]:
    """The module analysed now, and stored when the disk store is on.

    With `pickled` (a worker process) the pickled record, made once for both the disk store and the
    parent process, is returned too.
    """
    session = job.options.session
    seen = Seen()
    stored = job.options.disk_cache and not job.overlay
    # A module that changed since a stored run is being edited: its files' parses are worth storing.
    disk = session.disk_store() if job.options.disk_cache else None
    memory = session.frontend_memory(disk, store_parses=stored and stored_before(job))
    outcome = run_pipeline(job, memory, _reuse_for(job), seen)
    if not job.options.resource_bodies:
        for r in outcome.resources:  # made for this outcome only: changed in place
            r.body = Block(r.body.type, r.body.span, r.body.labels)
    if stored:
        outcome.inputs = inputs_of(outcome, job.template, seen)
    record = b""
    if stored or pickled:
        record = pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
    if stored:
        store_outcome(job, record)
    return outcome, record


def _reuse_for(job: ModuleJob) -> ModuleReuse | None:
    """This module's reuse state in the session, when the caller asked for incremental runs (editors)."""
    if not job.options.incremental:
        return None
    from advisor.iac.terraform import ResourceReuse
    from advisor.rules.engine import FindingReuse

    key = (os.path.normpath(job.directory), job.template)
    state: ModuleReuse = job.options.session.reuse.get_or_make(
        key, lambda: ModuleReuse(ResourceReuse(), FindingReuse())
    )
    return state


def forget_reuse(session: Session, directory: str, template: str | None = None) -> None:
    """Drop what a module's last editor run left for the next (its buffers were all closed, or a run
    stopped midway)."""
    session.reuse.pop((os.path.normpath(directory), template))


def analyze_buffer(path: str, overlay: dict[str, str], options: Options) -> Analysis:
    """The analysis of the module holding `path`, with unsaved editor buffers in `overlay`."""
    norm = os.path.normpath(path)
    directory = os.path.dirname(norm) or "."
    files = {os.path.normpath(k): v for k, v in overlay.items()}
    template = norm if is_template_candidate(norm) else None
    return analyze_module(ModuleJob(directory, options, files, template=template))
