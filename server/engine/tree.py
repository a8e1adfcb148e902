"""A whole tree analysed: discovery, one job per root module and template, stored outcomes where
nothing changed, the rest computed (in parallel for big trees), and the outcomes merged."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from advisor.engine.discovery import Found, analysed_roots, discover
from advisor.engine.merging import merge
from advisor.engine.parallel import compute
from advisor.engine.records import Analysis, ModuleJob, Options
from advisor.engine.stored import cached_outcome, job_signature, jobs_for


def analyze_paths(
    paths: list[str],
    options: Options,
    on_module: Callable[[str], None] | None = None,
    found: Found | None = None,
    memo: dict[str, Analysis] | None = None,
) -> Analysis:
    """The analysis of every module and template under `paths` (`found`: their discovery, if made).

    `memo`: outcomes by job signature that the caller knows are still current, used before the disk
    store and filled with this run's (`advisor history` keeps one from commit to commit and drops
    the modules whose files a commit changed, so unchanged modules cost neither a read nor a digest).
    """
    files, errors = found or discover(paths or ["."])
    if not options.roots:
        options = dataclasses.replace(options, roots=analysed_roots(paths or ["."]))
    jobs = jobs_for(files, options)
    outcomes = _run(jobs, options.jobs, on_module, memo)
    return merge(jobs, outcomes, files, errors)


def _run(
    jobs: list[ModuleJob],
    max_jobs: int,
    on_module: Callable[[str], None] | None,
    memo: dict[str, Analysis] | None = None,
) -> list[Analysis]:
    """Outcomes in job order; stored ones are read here, the rest computed (in parallel for many)."""
    if memo is None:
        found = [cached_outcome(j) for j in jobs]
    else:
        found = [memo.get(job_signature(j)) or cached_outcome(j) for j in jobs]
    misses = [j for j, o in zip(jobs, found, strict=True) if o is None]
    computed = iter(compute(misses, max_jobs, on_module))
    out = []
    for job, outcome in zip(jobs, found, strict=True):
        if outcome is None:
            outcome = next(computed)
        elif on_module:
            on_module(job.directory)
        out.append(outcome)
        if memo is not None:
            memo[job_signature(job)] = outcome
    return out
