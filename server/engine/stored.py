"""The disk store of the engine: module outcomes and whole reports, kept between command-line runs.

An entry is found by a signature of everything besides file contents that decides it (the options,
the module's folder or template, the program version and catalog) and is used only while every
input it records is unchanged: the stamp (digest) of each file read, as it was read, and the listing
of each folder looked at (`inputs_unchanged`). Entries live in `advisor.store`'s sealed private
folder (authenticated before they are unpickled). The language server's runs (editor buffers) are
never stored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from advisor.engine.discovery import Found
from advisor.engine.records import Analysis, ModuleJob, Options
from advisor.iac import files as iac_files
from advisor.iac.files import is_terraform_file, is_tfvars_file


def job_signature(job: ModuleJob) -> str:
    """Everything besides file contents that decides a module's outcome."""
    if not job.signature:
        job.signature = make_signature(job)
    return job.signature


def make_signature(job: ModuleJob, shared: str | None = None) -> str:
    import json

    return json.dumps(
        [os.path.abspath(job.directory), job.template, shared or options_signature(job.options)]
    )


def options_signature(o: Options) -> str:
    """The part of a job's signature its options decide (the same for every job of a run)."""
    import dataclasses
    import json

    from advisor import __version__
    from advisor.pricing.catalog import Catalog

    catalog = Catalog.default().path
    try:
        catalog_stamp = f"{catalog}:{os.stat(catalog).st_mtime_ns}"
    except OSError:
        catalog_stamp = str(catalog)
    var_files = [(p, file_stamp(p)) for p in o.var_files]
    config = json.dumps(dataclasses.asdict(o.config), sort_keys=True, default=lambda v: sorted(v))
    return json.dumps(
        [
            __version__,
            o.region,
            sorted(o.cli_vars.items()),
            var_files,
            sorted(o.select),
            sorted(o.ignore),
            o.workspace,
            o.resource_bodies,
            config,
            catalog_stamp,
            sorted(o.roots),
            iac_files.limits(),
        ],
        default=str,
    )


def file_stamp(path: str, got: iac_files.FileRead | None = None) -> str | None:
    """What a file was when read, for stored outcomes: the digest of its bytes, or why it was not read
    ("!" and the reason), or None when it does not exist. A link's stamp starts with where it leads.

    `got`: the reading the analysis used (its digest is of the very bytes analysed); without it the
    file is read now, by the same rules, except that a link out of the analysed folders recorded as
    such is not followed again (see `inputs_unchanged`).
    """
    from advisor.store import digest

    if got is None:
        got = iac_files.read_file(path)
    if got.missing:
        return None
    stamp = digest(got.data) if got.data is not None else "!" + (got.problem or "")
    return stamp if got.target is None else f"->{got.target}\0{stamp}"


@dataclass(slots=True)
class Seen:
    """What one analysis read, as it read it: file stamps and folder listings (see `inputs_of`)."""

    files: dict[str, str | None] = field(default_factory=dict)
    listings: dict[str, list[str]] = field(default_factory=dict)

    def read(self, path: str, got: iac_files.FileRead) -> None:
        self.files.setdefault(path, file_stamp(path, got))
        folder = os.path.dirname(path) or "."
        if folder not in self.listings:
            self.listings[folder] = listing(folder)


def listing(directory: str) -> list[str]:
    try:
        return sorted(
            n
            for n in os.listdir(directory)
            if is_terraform_file(n) or is_tfvars_file(n) or n.endswith(".hcl") or n == ".terragrunt-cache"
        )
    except OSError:
        return []


def inputs_of(
    outcome: Analysis, template: str | None = None, seen: Seen | None = None
) -> list[tuple[str, Any]]:
    """The files an outcome was computed from (with stamps) and the listings of their folders.

    Stamps and listings are those taken when the analysis read them (`seen`), never later: a file
    edited during the run is stored under what was analysed, so the next run sees the change. A
    template job's file is one even when it turned out not to be a template (it may become one).
    """
    seen = seen or Seen()
    paths = {os.path.normpath(p) for p in [*outcome.files, *(e.path for e in outcome.read_errors)]}
    paths |= set(seen.files)
    if template is not None:
        paths.add(os.path.normpath(template))
    dirs = {os.path.dirname(p) or "." for p in paths} | {outcome.directory}
    paths.add(os.path.join(outcome.directory, ".terraform", "modules", "modules.json"))
    inputs: list[tuple[str, Any]] = [
        ("file:" + p, seen.files[p] if p in seen.files else file_stamp(p)) for p in sorted(paths)
    ]
    inputs += [("dir:" + d, seen.listings.get(d, listing(d))) for d in sorted(dirs)]
    return inputs


def inputs_unchanged(inputs: Any) -> bool:
    """Whether every file and folder listing recorded by `inputs_of` is as it was."""
    if not isinstance(inputs, list):
        return False
    for name, recorded in inputs:
        kind, _, path = name.partition(":")
        if kind != "file":
            if listing(path) != recorded:
                return False
            continue
        # Links are compared by where they lead before anything is read, so a link that was refused
        # for leading out of the analysed folders, or that leads somewhere else now, is not read.
        real = iac_files.resolve(path)
        was_link = isinstance(recorded, str) and recorded.startswith("->")
        if was_link != (real != os.path.abspath(path)):
            return False
        if was_link:
            target, _, rest = recorded[2:].partition("\0")
            if real != target:
                return False
            if rest == "!" + iac_files.OUTSIDE:
                continue
        if file_stamp(path) != recorded:
            return False
    return True


def cached_outcome(job: ModuleJob) -> Analysis | None:
    """The stored outcome of this job if every file and folder it read is unchanged."""
    if not job.options.disk_cache or job.overlay:
        return None
    from advisor.store import key

    stored = job.options.session.disk_store().load(key("module", job_signature(job)))
    if isinstance(stored, Analysis) and inputs_unchanged(stored.inputs):
        return stored
    return None


def stored_before(job: ModuleJob) -> bool:
    """Whether an earlier run stored this module's outcome (it has changed since: it was a miss)."""
    if not job.options.disk_cache or job.overlay:
        return False
    from advisor.store import key

    return job.options.session.disk_store().exists(key("module", job_signature(job)))


def store_outcome(job: ModuleJob, record: bytes) -> None:
    """Store a module's outcome, already pickled (`record`), under its job's signature."""
    from advisor.store import key

    job.options.session.disk_store().store_pickled(key("module", job_signature(job)), record)


def jobs_for(files: list[str], options: Options, shared: str | None = None) -> list[ModuleJob]:
    """One job per root module folder and per possible template (signed when outcomes are stored;
    `shared`: `options_signature(options)`, if already made)."""
    from advisor.engine.discovery import module_roots
    from advisor.iac.files import is_template_candidate

    jobs = [ModuleJob(d, options) for d in module_roots(files)]
    jobs += [
        ModuleJob(os.path.dirname(f) or ".", options, template=f) for f in files if is_template_candidate(f)
    ]
    if options.disk_cache and jobs:
        shared = shared or options_signature(options)
        for job in jobs:
            job.signature = make_signature(job, shared)
    return jobs


def tree_signature(found: Found, options: Options) -> str:
    """Everything besides file contents that decides `analyze_paths` on what `discover` `found`: the
    files and each job's signature (contents are checked through `Analysis.inputs`)."""
    import json

    files, errors = found
    shared = options_signature(options)
    jobs = jobs_for(files, options, shared)
    return json.dumps(
        [shared, files, [(e.path, e.message) for e in errors], [job_signature(j) for j in jobs]]
    )


# -- whole reports ---------------------------------------------------------------------------------------
@dataclass(slots=True)
class StoredReport:
    """A command's whole output on an unchanged tree: a second `advisor lint` of the same tree with the
    same command line writes it and exits as the first did, without reading any outcome. Reports with
    LLM explanations are never stored."""

    inputs: list[tuple[str, Any]]
    text: str
    stderr: str
    exit_code: int


def report_key(found: Found, options: Options, extra: list[Any]) -> str:
    """The key of the report on what `discover` `found`, with `extra` (what the caller adds: format,
    failure level, colour, working folder)."""
    import json

    from advisor.store import key

    return key("report", json.dumps([tree_signature(found, options), extra], default=str))


def stored_report(options: Options, key: str) -> StoredReport | None:
    """The stored report for `key` if every input it was made from is unchanged."""
    stored = options.session.disk_store().load(key)
    if isinstance(stored, StoredReport) and inputs_unchanged(stored.inputs):
        return stored
    return None


def store_report(options: Options, key: str, report: StoredReport) -> None:
    if report.inputs:  # nothing recorded (the disk store was off): nothing to check it against later
        options.session.disk_store().store(key, report)
