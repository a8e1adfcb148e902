"""One engine for the CLI and the language server: files in, priced resources and findings out.

parse → model → price → rules → findings. Work is split by root module; many modules run in a
process pool. Nothing here knows about LSP or output formats.
"""

from __future__ import annotations

import contextlib
import copy
import fnmatch
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.config import Config
from advisor.deadline import check_deadline
from advisor.iac import files as iac_files
from advisor.iac.files import is_template_candidate, is_terraform_file, is_terragrunt_file, is_tfvars_file
from advisor.model import Block, Finding, ParseError, Resource, Span, base_address

# The parsers and evaluators are imported where they are used: a run served from stored outcomes
# needs none of them.
if TYPE_CHECKING:
    from advisor.iac.terraform import ResourceReuse, Settings
    from advisor.ignores import Ignore
    from advisor.pricing.costs import ResourceCost
    from advisor.rules.engine import FindingReuse

SKIP_DIRS = {".terraform", ".git", ".hg", ".svn", "node_modules", "__pycache__", ".terragrunt-cache"}
PARSE_ERROR = "parse-error"
_MANIFEST_TAIL = os.path.join(".terraform", "modules", "modules.json")  # optional: read only when present
# Worker processes pay for themselves only on enough text: forking, importing the pipeline in each
# worker and sending outcomes back cost about as much as analysing this many bytes in one process.
PARALLEL_MIN_BYTES = 256 * 1024
TEMPLATE_TYPES = {"aws_launch_template", "aws_launch_configuration"}


@dataclass(slots=True)
class Options:
    region: str | None = None
    config: Config = field(default_factory=Config)
    cli_vars: dict[str, str] = field(default_factory=dict)
    var_files: list[str] = field(default_factory=list)
    select: set[str] = field(default_factory=set)
    ignore: set[str] = field(default_factory=set)
    workspace: str = "default"
    jobs: int = 0
    disk_cache: bool = False
    incremental: bool = False  # keep each module's last results to reuse on the next run (editors)
    # False: outcomes keep each resource's identity and place but not its attributes. Reports that only
    # count and price resources (lint, cost) then store, pass between processes and read back a fifth.
    resource_bodies: bool = True
    # The analysed folders: a link that leads out of them is not followed (empty: each module's own
    # folder). `analyze_paths` sets them to the folders it was given.
    roots: tuple[str, ...] = ()

    @property
    def default_region(self) -> str:
        return self.region or self.config.region or "us-east-1"

    def settings(self) -> Settings:
        from advisor.iac.terraform import Settings

        return Settings(self.default_region, dict(self.cli_vars), list(self.var_files), self.workspace)


@dataclass(slots=True)
class Analysis:
    """The outcome for a set of files: every field sorted for deterministic output."""

    files: list[str] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    costs: list[ResourceCost] = field(default_factory=list)
    not_priced: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # with the disk cache: every file (by digest) and folder listing the analysis was made from
    inputs: list[tuple[str, Any]] = field(default_factory=list)
    # the `source` of each module call from a registry or git that is not in .terraform/modules
    remote_modules: list[Span] = field(default_factory=list)

    @property
    def monthly_cost(self) -> float:
        return round(sum(c.monthly_cost or 0.0 for c in self.costs), 2)

    @property
    def monthly_savings(self) -> float:
        return round(sum(f.monthly_savings or 0.0 for f in self.findings if (f.monthly_savings or 0) > 0), 2)


REMOTE_MODULE = "module call not analysed (registry/git): run `terraform init`, or pass a plan JSON"


REMOTE_TERRAGRUNT = (
    "Terragrunt module not analysed (remote source, not in .terragrunt-cache): run `terragrunt init`, or "
    "pass a plan JSON"
)


def remote_module_note(where: Span) -> str:
    """What the language server says on the `source` of a module call (or Terragrunt root) not followed."""
    return REMOTE_TERRAGRUNT if iac_files.is_terragrunt_file(where.path) else REMOTE_MODULE


def remote_modules_notice(sources: list[Span]) -> str:
    """The line that ends `lint` and `cost` text output when registry or git module calls were not
    followed (their modules are not in .terraform/modules, or a Terragrunt root's not in
    .terragrunt-cache): their resources are not in the figures."""
    count = len(sources)
    calls = "module call" if count == 1 else "module calls"
    terragrunt = sum(1 for s in sources if iac_files.is_terragrunt_file(s.path))
    init = "`terraform init`"
    if terragrunt:
        init = "`terragrunt init`" if terragrunt == count else "`terraform init` or `terragrunt init`"
    return f"{count} {calls} not analysed (registry/git): run {init}, or pass a plan JSON"


# -- discovering files ---------------------------------------------------------------------------------
class _GitIgnore:
    """The subset of .gitignore that matters for finding IaC files: globs, `dir/`, anchors, negation."""

    def __init__(self) -> None:
        self.rules: list[tuple[str, str, bool, bool]] = []  # (base dir, pattern, negate, dir_only)

    def add_file(self, directory: str, roots: tuple[str, ...]) -> ParseError | None:
        """Read the folder's .gitignore; what made it unreadable, if it exists and could not be read."""
        path = os.path.join(directory, ".gitignore")
        got = iac_files.read_file(path, ".gitignore", roots)
        if got.data is None:
            return None if got.missing else ParseError(path, got.problem or "", incomplete=True)
        for raw in got.data.decode("utf-8", errors="replace").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            line = line.lstrip("!")
            dir_only = line.endswith("/")
            self.rules.append(
                (
                    directory,
                    line.strip("/") if "/" in line.rstrip("/") else line.rstrip("/"),
                    negate,
                    dir_only,
                )
            )
        return None

    def ignored(self, path: str, is_dir: bool) -> bool:
        result = False
        for base, pattern, negate, dir_only in self.rules:
            if dir_only and not is_dir:
                continue
            if not path.startswith(base.rstrip(os.sep) + os.sep):
                continue
            rel = os.path.relpath(path, base).replace(os.sep, "/")
            if "/" in pattern:
                hit = fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(
                    rel, pattern.replace("**/", "")
                )
            else:
                hit = fnmatch.fnmatchcase(os.path.basename(path), pattern)
            if hit:
                result = not negate
        return result


Found = tuple[list[str], list[ParseError]]  # what `discover` returns: the files, and what could not be read


def analysed_roots(paths: Iterable[str]) -> tuple[str, ...]:
    """The folders an analysis of `paths` is confined to: each folder given, and the folder of each file."""
    return tuple(p if os.path.isdir(p) else os.path.dirname(p) or "." for p in paths)


def discover(paths: Iterable[str]) -> Found:
    """IaC files under the given files and folders: skips .terraform/, .git/ and what .gitignore lists.

    Linked folders are walked when they lead to a place inside the folders given (each real folder
    once, so a loop of links ends); a link out of them is reported, not followed.
    """
    paths = list(paths)
    roots = iac_files.real_roots(analysed_roots(paths))
    found: list[str] = []
    errors: list[ParseError] = []
    for p in paths:
        if os.path.isfile(p):
            found.append(os.path.normpath(p))
            continue
        if not os.path.isdir(p):
            errors.append(ParseError(p, "no such file or folder"))
            continue
        ignore = _GitIgnore()
        seen: set[tuple[int, int]] = set()
        for root, dirs, files in os.walk(p, followlinks=True):
            check_deadline()  # a workspace scan the user cancelled stops walking
            try:
                st = os.stat(root)
            except OSError:
                dirs[:] = []
                continue
            if (st.st_dev, st.st_ino) in seen:  # reached again through a link: walked already
                dirs[:] = []
                continue
            seen.add((st.st_dev, st.st_ino))
            problem = ignore.add_file(root, roots)
            if problem is not None:
                errors.append(problem)
            kept = []
            for d in sorted(dirs):
                full = os.path.join(root, d)
                if d in SKIP_DIRS or ignore.ignored(full, True):
                    continue
                if os.path.islink(full) and not iac_files.inside(os.path.realpath(full), roots):
                    errors.append(ParseError(os.path.normpath(full), iac_files.OUTSIDE, incomplete=True))
                    continue
                kept.append(d)
            dirs[:] = kept
            for name in sorted(files):
                full = os.path.join(root, name)
                wanted = is_terraform_file(name) or is_tfvars_file(name) or is_template_candidate(name)
                if (wanted or is_terragrunt_file(name)) and not ignore.ignored(full, False):
                    found.append(os.path.normpath(full))
    return sorted(dict.fromkeys(found)), errors


# -- reading files safely -------------------------------------------------------------------------------
def read_text(path: str, roots: Iterable[str] | None = None) -> tuple[str | None, str | None]:
    """(text, None) or (None, reason) — never raises for a bad file.

    Through `iac_files.read_file`: regular files within the size cap of their kind, and no link out of
    `roots` (by default the file's own folder).
    """
    confined = iac_files.real_roots([os.path.dirname(path) or "."] if roots is None else roots)
    got = iac_files.read_file(path, roots=confined)
    if got.data is None:
        return None, got.problem
    return _decode(got.data)


def _decode(data: bytes) -> tuple[str | None, str | None]:
    """The text of a file's bytes, or why it is not text."""
    if b"\0" in data[:8192]:
        return None, "binary file; skipped"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, f"invalid UTF-8 at byte {exc.start} (line {line})"
    return text, None


@dataclass(slots=True)
class ModuleJob:
    """A root module directory, or (with `template`) one CloudFormation template."""

    directory: str
    options: Options
    overlay: dict[str, str] = field(default_factory=dict)
    template: str | None = None
    signature: str = field(default="", init=False, repr=False, compare=False)  # `_job_signature`'s, once made


@dataclass(slots=True)
class ModuleOutcome:
    """What one root module (or template) produced; empty when nothing could be analysed."""

    directory: str
    resources: list[Resource] = field(default_factory=list)
    costs: list[Any] = field(default_factory=list)
    not_priced: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    read_errors: list[ParseError] = field(default_factory=list)
    inputs: list[tuple[str, Any]] = field(default_factory=list)  # with the disk cache: see `_inputs_of`
    remote_modules: list[Span] = field(default_factory=list)  # see `Analysis.remote_modules`


def analyze_module(job: ModuleJob) -> ModuleOutcome:
    """The whole pipeline for one root module, reusing a stored outcome when no input changed."""
    stored = cached_outcome(job)
    if stored is not None:
        return stored
    return _fresh_outcome(job, pickled=False)[0]


def _fresh_outcome(job: ModuleJob, pickled: bool) -> tuple[ModuleOutcome, bytes]:
    """The module analysed now, and stored when the disk cache is on.

    With `pickled` (a worker process) the pickled record, made once for both the disk cache and the
    parent process, is returned too.
    """
    import pickle

    seen = _Seen()
    outcome = _analyze_module(job, changed=_stored_before(job), seen=seen)
    if not job.options.resource_bodies:
        for r in outcome.resources:  # made for this outcome only: changed in place
            r.body = Block(r.body.type, r.body.span, r.body.labels)
    cached = job.options.disk_cache and not job.overlay
    if cached:
        outcome.inputs = _inputs_of(outcome, job.template, seen)
    record = b""
    if cached or pickled:
        record = pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
    if cached:
        from advisor.iac import parse_cache

        parse_cache.store_pickled(parse_cache.key("module", _job_signature(job)), record)
    return outcome, record


def cached_outcome(job: ModuleJob) -> ModuleOutcome | None:
    """The stored outcome of this job if every file and folder it read is unchanged."""
    if not job.options.disk_cache or job.overlay:
        return None
    from advisor.iac import parse_cache

    stored = parse_cache.load(parse_cache.key("module", _job_signature(job)))
    if isinstance(stored, ModuleOutcome) and inputs_unchanged(stored.inputs):
        return stored
    return None


def _stored_before(job: ModuleJob) -> bool:
    """Whether an earlier run stored this module's outcome (it has changed since: it was a miss)."""
    if not job.options.disk_cache or job.overlay:
        return False
    from advisor.iac import parse_cache

    return parse_cache.exists(parse_cache.key("module", _job_signature(job)))


def _job_signature(job: ModuleJob) -> str:
    """Everything besides file contents that decides a module's outcome."""
    if not job.signature:
        job.signature = _make_signature(job)
    return job.signature


def _make_signature(job: ModuleJob, shared: str | None = None) -> str:
    import json

    return json.dumps(
        [os.path.abspath(job.directory), job.template, shared or _options_signature(job.options)]
    )


def _options_signature(o: Options) -> str:
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
    var_files = [(p, _file_stamp(p)) for p in o.var_files]
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


def _file_stamp(path: str, got: iac_files.FileRead | None = None) -> str | None:
    """What a file was when read, for stored outcomes: the digest of its bytes, or why it was not read
    ("!" and the reason), or None when it does not exist. A link's stamp starts with where it leads.

    `got`: the reading the analysis used (its digest is of the very bytes analysed); without it the
    file is read now, by the same rules, except that a link out of the analysed folders recorded as
    such is not followed again (see `inputs_unchanged`).
    """
    from advisor.iac.parse_cache import digest

    if got is None:
        got = iac_files.read_file(path)
    if got.missing:
        return None
    stamp = digest(got.data) if got.data is not None else "!" + (got.problem or "")
    return stamp if got.target is None else f"->{got.target}\0{stamp}"


@dataclass(slots=True)
class _Seen:
    """What one analysis read, as it read it: file stamps and folder listings (see `_inputs_of`)."""

    files: dict[str, str | None] = field(default_factory=dict)
    listings: dict[str, list[str]] = field(default_factory=dict)

    def read(self, path: str, got: iac_files.FileRead) -> None:
        self.files.setdefault(path, _file_stamp(path, got))
        folder = os.path.dirname(path) or "."
        if folder not in self.listings:
            self.listings[folder] = _listing(folder)


def _listing(directory: str) -> list[str]:
    try:
        return sorted(
            n
            for n in os.listdir(directory)
            if is_terraform_file(n) or is_tfvars_file(n) or n.endswith(".hcl") or n == ".terragrunt-cache"
        )
    except OSError:
        return []


def _inputs_of(
    outcome: ModuleOutcome, template: str | None = None, seen: _Seen | None = None
) -> list[tuple[str, Any]]:
    """The files an outcome was computed from (with stamps) and the listings of their folders.

    Stamps and listings are those taken when the analysis read them (`seen`), never later: a file
    edited during the run is stored under what was analysed, so the next run sees the change. A
    template job's file is one even when it turned out not to be a template (it may become one).
    """
    seen = seen or _Seen()
    paths = {os.path.normpath(p) for p in [*outcome.files, *(e.path for e in outcome.read_errors)]}
    paths |= set(seen.files)
    if template is not None:
        paths.add(os.path.normpath(template))
    dirs = {os.path.dirname(p) or "." for p in paths} | {outcome.directory}
    paths.add(os.path.join(outcome.directory, ".terraform", "modules", "modules.json"))
    inputs: list[tuple[str, Any]] = [
        ("file:" + p, seen.files[p] if p in seen.files else _file_stamp(p)) for p in sorted(paths)
    ]
    inputs += [("dir:" + d, seen.listings.get(d, _listing(d))) for d in sorted(dirs)]
    return inputs


def inputs_unchanged(inputs: Any) -> bool:
    """Whether every file and folder listing recorded by `_inputs_of` is as it was."""
    if not isinstance(inputs, list):
        return False
    for name, recorded in inputs:
        kind, _, path = name.partition(":")
        if kind != "file":
            if _listing(path) != recorded:
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
        if _file_stamp(path) != recorded:
            return False
    return True


@dataclass(slots=True)
class _Reuse:
    """What a module's previous run left for its next one (see `ResourceReuse`, `FindingReuse`)."""

    resources: ResourceReuse
    findings: FindingReuse


_REUSE_LIMIT = 64
_reuse: OrderedDict[tuple[str, str | None], _Reuse] = OrderedDict()


def _reuse_for(job: ModuleJob) -> _Reuse | None:
    """The reuse state of this module when the caller asked for incremental runs (the editor)."""
    if not job.options.incremental:
        return None
    from advisor.iac.terraform import ResourceReuse
    from advisor.rules.engine import FindingReuse

    key = (os.path.normpath(job.directory), job.template)
    state = _reuse.get(key)
    if state is None:
        state = _reuse[key] = _Reuse(ResourceReuse(), FindingReuse())
        if len(_reuse) > _REUSE_LIMIT:
            with contextlib.suppress(KeyError):  # editor threads share it
                _reuse.popitem(last=False)
    with contextlib.suppress(KeyError):
        _reuse.move_to_end(key)
    return state


def forget_reuse(directory: str, template: str | None = None) -> None:
    """Drop what a module's last run left for the next (its editor buffers were all closed)."""
    with contextlib.suppress(KeyError):
        del _reuse[(os.path.normpath(directory), template)]


def _analyze_module(job: ModuleJob, changed: bool = False, seen: _Seen | None = None) -> ModuleOutcome:
    """The whole pipeline for one root module (runs in a worker process for big trees).

    `changed`: the module changed since a stored run, so it is being edited and the parses of its
    files are worth storing for the next run. `seen` records what was read, as it was read.
    """
    reuse = _reuse_for(job)
    terragrunt = False
    callers: list[str] = []
    read_errors: list[ParseError] = []
    texts: dict[str, str] = {}
    from advisor.iac import hcl_parse

    hcl_parse.disk_cache = job.options.disk_cache
    hcl_parse.store_parses = job.options.disk_cache and changed
    roots = iac_files.real_roots(job.options.roots or [job.directory])
    named = {os.path.normpath(v) for v in job.options.var_files}  # the user's own: links may go anywhere
    seen = seen if seen is not None else _Seen()
    seen.listings.setdefault(job.directory, _listing(job.directory))  # before the front-end lists it
    manifest = os.path.join(job.directory, ".terraform", "modules", "modules.json")
    template_error: list[ParseError] = []

    def read(path: str) -> str | None:
        check_deadline()  # the language server's time budget: once per file
        norm = os.path.normpath(path)
        if norm in job.overlay:
            texts[norm] = job.overlay[norm]
            return job.overlay[norm]
        if norm in named:  # the user's own file: links may lead anywhere; a `.json` one is parameters
            got = iac_files.read_file(norm, "parameters" if iac_files.kind_of(norm) == "template" else None)
        else:
            got = iac_files.read_file(norm, roots=roots)
        seen.read(norm, got)
        if got.data is None and norm == job.template and got.head and _looks_like_plan(got.head):
            got = iac_files.read_file(norm, "plan", roots=roots)  # a plan export has a larger cap
            seen.files[norm] = _file_stamp(norm, got)
        if got.data is None:
            if norm == job.template:
                if not got.head or _looks_like_template(got.head) or _looks_like_plan(got.head):
                    template_error.append(ParseError(norm, got.problem or "", incomplete=True))
            elif not (got.missing and (norm == manifest or norm.endswith(_MANIFEST_TAIL))):
                read_errors.append(ParseError(norm, got.problem or "", incomplete=True))
            return None
        text, err = _decode(got.data)
        if err is not None:
            if is_terraform_file(norm) or is_tfvars_file(norm):
                read_errors.append(ParseError(norm, err, incomplete=True))  # an unread file
            return None
        assert text is not None
        texts[norm] = text
        return text

    if job.template is not None:
        from advisor.iac.cloudformation import evaluate_template, looks_like_template

        text = read(job.template)
        if text is not None and _looks_like_plan(text):  # a plan or state export (`terraform show -json`)
            from advisor.iac.plan_json import evaluate_plan

            result = evaluate_plan(job.template, text, job.options.settings(), read)
        elif text is None or not looks_like_template(text):
            # not a template (ignored), or a file that could not be read (said at the file)
            return ModuleOutcome(job.directory, read_errors=template_error)
        else:
            result = evaluate_template(job.template, text, job.options.settings(), read)
    elif terragrunt := _terragrunt_root(job):
        from advisor.iac.terragrunt import evaluate_terragrunt

        result = evaluate_terragrunt(job.directory, job.options.settings(), read, job.overlay)
    elif callers := _terragrunt_callers(job, reuse):
        result = _through_roots(job, callers, read)
    else:
        from advisor.iac.terraform import evaluate_root

        result = evaluate_root(
            job.directory, job.options.settings(), read, job.overlay, reuse.resources if reuse else None
        )
    costs, not_priced = price_resources(result.resources, job.options.config)
    findings = [
        Finding(PARSE_ERROR, "error", e.message, e.span, fix_safe=False)
        for e in result.errors
        if e.span is not None
    ]
    from advisor.ignores import call_ignores, find_all_ignores
    from advisor.rules.engine import RuleContext, check_resources

    template_keys: Callable[[str, str], str | None] | None = None
    if job.template is not None:  # a fix adding an attribute writes the template's own name for it
        from advisor.iac.cloudformation import source_key_for

        template_keys = source_key_for
    ignores = find_all_ignores(texts)
    # an ignore above a module call is matched before its instances' findings are merged
    on_calls = call_ignores(ignores, texts, _instance_folders(result.resources)) if ignores else None
    ctx = RuleContext(
        config=job.options.config,
        texts=texts,
        costs={c.address: c for c in costs},
        workspace=job.options.workspace,
        var_files=list(job.options.var_files),
        template_keys=template_keys,
        silenced=on_calls.silences if on_calls is not None else None,
    )
    findings.extend(
        check_resources(result.resources, ctx, reuse.findings if reuse else None, result.relocated)
    )
    findings = _apply_filters(findings, ignores, result.resources, job.options)
    if terragrunt:  # a module two roots run has each root's findings: say whose
        name = os.path.basename(os.path.abspath(job.directory))
        findings = [_in_root(f, name) if f.resource else f for f in findings]
    elif callers:
        findings = [_in_root(f, f.resource.partition(":")[0]) if ":" in f.resource else f for f in findings]
    if result.resource_ignores:  # CloudFormation `Metadata: {advisor: {ignore: [...]}}`
        findings = [
            f
            for f in findings
            if not (ids := result.resource_ignores.get(f.resource)) or not ({f.rule, "all"} & ids)
        ]
    # after every filter, each of which names one rule id: what is left of competing suggestions for
    # one value becomes one finding, and one that saves nothing stays a hint
    from advisor.rules.findings import merge_alternatives, settle_severity

    findings = settle_severity(merge_alternatives(findings))
    return ModuleOutcome(
        job.directory,
        result.resources,
        costs,
        not_priced,
        findings,
        result.errors,
        result.notes,
        result.files,
        read_errors,
        remote_modules=result.remote_modules,
    )


# An editor run of a module folder that Terragrunt roots run looks for them in the workspace: at most
# this many folders, walked again at most once in this many seconds (one walk serves every module).
CALLER_SCAN_FOLDERS = 5_000
CALLER_SCAN_SECONDS = 10.0


_terragrunt_dirs: dict[tuple[str, ...], tuple[float, list[str]]] = {}  # see `_terragrunt_roots_in`


def _terragrunt_roots_in(roots: tuple[str, ...]) -> list[str]:
    """The folders with `terragrunt.hcl` under the analysed folders (at most `CALLER_SCAN_FOLDERS`
    folders walked), looked up again at most every `CALLER_SCAN_SECONDS`: one walk serves every module."""
    import time

    now = time.monotonic()
    known = _terragrunt_dirs.get(roots)
    if known is not None and now - known[0] < CALLER_SCAN_SECONDS:
        return known[1]
    found: list[str] = []
    folders = 0
    for top in roots:
        for here, dirs, names in os.walk(top):
            folders += 1
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            if folders > CALLER_SCAN_FOLDERS:
                dirs[:] = []
                break
            if iac_files.TERRAGRUNT_FILE in names:
                found.append(here)
    if len(_terragrunt_dirs) >= 16:
        _terragrunt_dirs.clear()
    _terragrunt_dirs[roots] = (now, found)
    return found


def _terragrunt_callers(job: ModuleJob, reuse: _Reuse | None) -> list[str]:
    """The Terragrunt roots in the analysed folders that run this module folder, for editor runs (the
    command line reaches such a module through its roots already). A file of the module then shows the
    figures of each root's instance, not those of the module alone with its variables unset."""
    if reuse is None or job.template is not None or not job.options.roots:
        return []
    candidates = _terragrunt_roots_in(job.options.roots)
    if not candidates:
        return []
    from advisor.iac.terraform import read_disk
    from advisor.iac.terragrunt import runs_module

    def unsaved_first(path: str) -> str | None:  # a file elsewhere that cannot be read is not this module's
        return job.overlay.get(os.path.normpath(path)) or read_disk(path)

    real = os.path.realpath(job.directory)
    return [
        here
        for here in candidates
        if os.path.realpath(here) != real and runs_module(here, job.directory, unsaved_first)
    ]


def _through_roots(job: ModuleJob, callers: list[str], read: Callable[[str], str | None]) -> Any:
    """The module evaluated as each Terragrunt root in `callers` runs it; each resource's address starts
    with its root (`live/prod:aws_ebs_volume.data`), so the instances of two roots stay apart."""
    from advisor.iac.terraform import ModuleResult
    from advisor.iac.terragrunt import evaluate_terragrunt

    merged = ModuleResult()
    for root in callers:
        sub = evaluate_terragrunt(root, job.options.settings(), read, job.overlay)
        top = next(
            (
                t
                for t in job.options.roots
                if iac_files.inside(os.path.realpath(root), (os.path.realpath(t),))
            ),
            "",
        )
        name = os.path.relpath(root, top) if top else os.path.basename(root)
        for r in sub.resources:
            r.address = f"{name}:{r.address}"
        merged.resources.extend(sub.resources)
        merged.errors.extend(e for e in sub.errors if e not in merged.errors)
        merged.notes.extend(sub.notes)
        # the roots' own files are theirs (a workspace scan counts those roots apart, not as this module)
        merged.files.extend(f for f in sub.files if f not in merged.files and not f.endswith(".hcl"))
        merged.remote_modules.extend(sub.remote_modules)
    return merged


def _in_root(finding: Finding, root: str) -> Finding:
    """A copy of a finding (it may be shared with the previous run) that names its Terragrunt root."""
    named = copy.copy(finding)
    named.message = f"{finding.message} (Terragrunt root {root})"
    return named


def _terragrunt_root(job: ModuleJob) -> bool:
    """Whether a job's folder is a Terragrunt root (`terragrunt.hcl` on disk or in an editor buffer)."""
    if job.template is not None:
        return False
    path = os.path.normpath(os.path.join(job.directory, iac_files.TERRAGRUNT_FILE))
    return path in job.overlay or os.path.isfile(path)


def _looks_like_plan(head: bytes | str) -> bool:
    """Whether a file's text (or first bytes) is a Terraform plan or state export, by its keys."""
    from advisor.iac.plan_json import looks_like_plan

    return looks_like_plan(head if isinstance(head, str) else head.decode("utf-8", errors="replace"))


def _looks_like_template(head: bytes) -> bool:
    """Whether the first bytes of a file too big to read look like a CloudFormation template."""
    from advisor.iac.cloudformation import looks_like_template

    return looks_like_template(head.decode("utf-8", errors="replace"))


def price_resources(resources: list[Resource], config: Config) -> tuple[list[ResourceCost], list[str]]:
    from advisor.pricing.catalog import Catalog
    from advisor.pricing.memo import estimate_cached

    catalog = Catalog.default()
    costs: list[ResourceCost] = []
    not_priced: list[str] = []
    for r in resources:
        check_deadline()
        if r.type in TEMPLATE_TYPES:
            continue  # a template launches nothing by itself: its instances are priced where it is used
        cost = estimate_cached(r, catalog, config.usage_for(r.address, r.type))
        if cost is None:
            not_priced.append(r.address)
        else:
            costs.append(cost)
    return costs, not_priced


def _instance_folders(resources: list[Resource]) -> dict[str, str]:
    """Module instance (`module.app[0]`, the root "") → the folder of its resources' files."""
    folders = {r.module_path: os.path.dirname(r.path) for r in resources if not r.source_type}
    roots = {r.root for r in resources if r.root and not r.source_type}
    if len(roots) == 1:
        folders.setdefault("", roots.pop())
    return folders


def _apply_filters(
    findings: list[Finding], ignores: dict[str, list[Ignore]], resources: list[Resource], opts: Options
) -> list[Finding]:
    from advisor.ignores import UNUSED_IGNORE, apply_ignores
    from advisor.rules.engine import known_rule_ids

    cfg = opts.config
    out = []
    for f in findings:
        if f.rule in cfg.disabled_rules or f.rule in opts.ignore:
            continue
        if opts.select and f.rule not in opts.select:
            continue
        if f.rule in cfg.severity and f.severity != cfg.severity[f.rule]:
            f = copy.copy(f)  # findings may be shared with the previous run: never changed in place
            f.severity = cfg.severity[f.rule]  # type: ignore[assignment]
        out.append(f)
    lines = {r.address: r.span.line for r in resources}
    for r in resources:  # findings on counted resources are merged under the base address
        lines.setdefault(base_address(r.address), r.span.line)
    kept = apply_ignores(out, ignores, lines, known_rule_ids())
    if opts.select and UNUSED_IGNORE not in opts.select:
        kept = [f for f in kept if f.rule != UNUSED_IGNORE]
    return [f for f in kept if f.rule not in opts.ignore and f.rule not in cfg.disabled_rules]


# -- many modules ----------------------------------------------------------------------------------------
def module_roots(files: list[str]) -> list[str]:
    """Directories holding Terraform files or `terragrunt.hcl`: each is evaluated as a root module (a
    Terragrunt root runs the module its `terraform.source` names)."""
    return sorted({os.path.dirname(f) or "." for f in files if is_terraform_file(f) or is_terragrunt_file(f)})


def _jobs(files: list[str], options: Options, shared: str | None = None) -> list[ModuleJob]:
    """One job per root module folder and per possible template (signed when outcomes are stored;
    `shared`: `_options_signature(options)`, if already made)."""
    jobs = [ModuleJob(d, options) for d in module_roots(files)]
    jobs += [
        ModuleJob(os.path.dirname(f) or ".", options, template=f) for f in files if is_template_candidate(f)
    ]
    if options.disk_cache and jobs:
        shared = shared or _options_signature(options)
        for job in jobs:
            job.signature = _make_signature(job, shared)
    return jobs


def tree_signature(found: Found, options: Options) -> str:
    """Everything besides file contents that decides `analyze_paths` on what `discover` `found`: the
    files and each job's signature (contents are checked through `Analysis.inputs`)."""
    import json

    files, errors = found
    shared = _options_signature(options)
    jobs = _jobs(files, options, shared)
    return json.dumps(
        [shared, files, [(e.path, e.message) for e in errors], [_job_signature(j) for j in jobs]]
    )


def analyze_paths(
    paths: list[str],
    options: Options,
    on_module: Callable[[str], None] | None = None,
    found: Found | None = None,
    memo: dict[str, ModuleOutcome] | None = None,
) -> Analysis:
    """The analysis of every module and template under `paths` (`found`: their discovery, if made).

    `memo`: outcomes by job signature that the caller knows are still current, used before the disk
    store and filled with this run's (`advisor history` keeps one from commit to commit and drops
    the modules whose files a commit changed, so unchanged modules cost neither a read nor a digest).
    """
    files, errors = found or discover(paths or ["."])
    if not options.roots:
        import dataclasses

        options = dataclasses.replace(options, roots=analysed_roots(paths or ["."]))
    analysis = Analysis(errors=list(errors))
    jobs = _jobs(files, options)
    outcomes = _run(jobs, options.jobs, on_module, memo)
    seen_inputs: set[str] = set()
    for o in outcomes:
        for name, recorded in o.inputs:
            if name not in seen_inputs:
                seen_inputs.add(name)
                analysis.inputs.append((name, recorded))
    child_dirs: set[str] = set()
    terragrunt = {j.directory for j in jobs if _terragrunt_root(j)}
    for job, o in zip(jobs, outcomes, strict=True):
        if job.template is not None or job.directory in terragrunt:
            # a plan stands for the configuration beside it (it read it), and a Terragrunt root for the
            # module it runs: those folders are not counted again
            child_dirs.update(os.path.dirname(p) or "." for p in o.files if is_terraform_file(p))
            continue
        for path in o.files:
            d = os.path.dirname(path) or "."
            if d != o.directory:
                child_dirs.add(d)
    seen_findings: set[tuple[Any, ...]] = set()
    seen_errors: set[tuple[Any, ...]] = set()
    seen_files: set[str] = set()
    for job, o in zip(jobs, outcomes, strict=True):
        seen_files.update(o.files)
        if job.template is None and o.directory in child_dirs and job.directory not in terragrunt:
            continue  # analysed through the module call that uses it, with its real inputs
        analysis.resources.extend(o.resources)
        analysis.costs.extend(o.costs)
        analysis.not_priced.extend(o.not_priced)
        analysis.notes.extend(o.notes)
        analysis.remote_modules.extend(o.remote_modules)
        for f in o.findings:
            fkey = (
                f.rule,
                f.span.path,
                f.span.start,
                f.span.end,
                f.span.line,
                f.message if not f.resource else "",
                job.directory if job.directory in terragrunt else "",  # each root is its own project
            )
            if fkey not in seen_findings:
                seen_findings.add(fkey)
                analysis.findings.append(f)
        for e in [*o.errors, *o.read_errors]:
            ekey = (e.path, e.message, e.span.line if e.span else -1)
            if ekey not in seen_errors:
                seen_errors.add(ekey)
                analysis.errors.append(e)
    listed = {f for f in files if is_terraform_file(f) or is_tfvars_file(f)}
    analysis.files = sorted({os.path.normpath(f) for f in seen_files | listed})  # `./main.tf` is `main.tf`
    analysis.findings.sort(key=Finding.sort_key)
    analysis.errors.sort(key=lambda e: (e.path, e.span.line if e.span else -1, e.message))
    analysis.costs.sort(key=lambda c: (c.path, c.line, c.address))
    analysis.resources.sort(key=lambda r: (r.path, r.span.line, r.address))
    analysis.not_priced.sort()
    analysis.remote_modules = sorted(set(analysis.remote_modules), key=lambda s: (s.path, s.line, s.column))
    return analysis


def _run(
    jobs: list[ModuleJob],
    max_jobs: int,
    on_module: Callable[[str], None] | None,
    memo: dict[str, ModuleOutcome] | None = None,
) -> list[ModuleOutcome]:
    """Outcomes in job order; stored ones are read here, the rest computed (in parallel for many)."""
    if memo is None:
        found = [cached_outcome(j) for j in jobs]
    else:
        found = [memo.get(_job_signature(j)) or cached_outcome(j) for j in jobs]
    misses = [j for j, o in zip(jobs, found, strict=True) if o is None]
    computed = iter(_compute(misses, max_jobs, on_module))
    out = []
    for job, outcome in zip(jobs, found, strict=True):
        if outcome is None:
            outcome = next(computed)
        elif on_module:
            on_module(job.directory)
        out.append(outcome)
        if memo is not None:
            memo[_job_signature(job)] = outcome
    return out


def _compute(
    jobs: list[ModuleJob], max_jobs: int, on_module: Callable[[str], None] | None
) -> list[ModuleOutcome]:
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
        import pickle

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


def _safe_analyze(job: ModuleJob) -> ModuleOutcome:
    """A bug on one module is reported as an error on that module; the run goes on."""
    try:
        return _fresh_outcome(job, pickled=False)[0]
    except Exception as exc:  # the last line of defence for a whole-tree run
        return _internal_error(job, exc)


def _pickled_in_worker(job: ModuleJob) -> bytes:
    """`_safe_analyze` in a worker process: its answer as the pickled record (see `_fresh_outcome`)."""
    import pickle

    try:
        return _fresh_outcome(job, pickled=True)[1]
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


def _internal_error(job: ModuleJob, exc: Exception) -> ModuleOutcome:
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
    return ModuleOutcome(job.directory, read_errors=[err])


def analyze_buffer(path: str, overlay: dict[str, str], options: Options) -> ModuleOutcome:
    """The analysis of the module holding `path`, with unsaved editor buffers in `overlay`."""
    norm = os.path.normpath(path)
    directory = os.path.dirname(norm) or "."
    files = {os.path.normpath(k): v for k, v in overlay.items()}
    template = norm if is_template_candidate(norm) else None
    return analyze_module(ModuleJob(directory, options, files, template=template))


def span_at(path: str, line: int) -> Span:
    return Span(path, line, 0, line, 0)
