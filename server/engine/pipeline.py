"""The pipeline for one root module or template, as a plain function: read → front-end (parse and
evaluate) → price → rules → ignores and filters → one finding per value.

It keeps nothing itself: what it may remember comes in (the session's `FrontendMemory`, the module's
`ModuleReuse` in editor runs, the price memos through `job.options.session`), and what it read is
recorded in `seen`. Storing outcomes on disk and reusing them wraps around it (`module.py`).
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from advisor.config import Config
from advisor.deadline import check_deadline
from advisor.engine.discovery import SKIP_DIRS, decode
from advisor.engine.records import TEMPLATE_TYPES, Analysis, ModuleJob, Options
from advisor.engine.stored import Seen, file_stamp, listing
from advisor.iac import files as iac_files
from advisor.iac.files import is_terraform_file, is_tfvars_file
from advisor.model import Finding, ParseError, Resource, base_address

if TYPE_CHECKING:
    from advisor.iac.frontend import FrontendMemory, ModuleResult
    from advisor.iac.terraform import ResourceReuse
    from advisor.ignores import Ignore
    from advisor.pricing.costs import ResourceCost
    from advisor.pricing.memo import Estimates
    from advisor.rules.engine import FindingReuse

PARSE_ERROR = "parse-error"

_MANIFEST_TAIL = os.path.join(".terraform", "modules", "modules.json")  # optional: read only when present


@dataclass(slots=True)
class ModuleReuse:
    """What a module's previous editor run left for its next one (see `ResourceReuse`, `FindingReuse`);
    kept in the session (`Session.reuse`)."""

    resources: ResourceReuse
    findings: FindingReuse


def run_pipeline(job: ModuleJob, memory: FrontendMemory, reuse: ModuleReuse | None, seen: Seen) -> Analysis:
    """The whole pipeline for one root module (runs in a worker process for big trees).

    `memory`: what the front-ends may remember; `reuse`: the module's previous editor run (None on the
    command line); `seen` records what was read, as it was read.
    """
    terragrunt = False
    callers: list[str] = []
    caller_kind = ""
    read_errors: list[ParseError] = []
    texts: dict[str, str] = {}
    settings = job.options.settings(memory)
    roots = iac_files.real_roots(job.options.roots or [job.directory])
    named = {os.path.normpath(v) for v in job.options.var_files}  # the user's own: links may go anywhere
    seen.listings.setdefault(job.directory, listing(job.directory))  # before the front-end lists it
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
        if got.data is None and norm == job.template and got.head and looks_like_plan(got.head):
            got = iac_files.read_file(norm, "plan", roots=roots)  # a plan export has a larger cap
            seen.files[norm] = file_stamp(norm, got)
        if got.data is None:
            if norm == job.template:
                if not got.head or _looks_like_template(got.head) or looks_like_plan(got.head):
                    template_error.append(ParseError(norm, got.problem or "", incomplete=True))
            elif not (got.missing and (norm == manifest or norm.endswith(_MANIFEST_TAIL))):
                read_errors.append(ParseError(norm, got.problem or "", incomplete=True))
            return None
        text, err = decode(got.data)
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
        if text is not None and looks_like_plan(text):  # a plan or state export (`terraform show -json`)
            from advisor.iac.plan_json import evaluate_plan

            result = evaluate_plan(job.template, text, settings, read)
        elif text is None or not looks_like_template(text):
            # not a template (ignored), or a file that could not be read (said at the file)
            return Analysis(job.directory, read_errors=template_error)
        else:
            result = evaluate_template(job.template, text, settings, read)
    elif terragrunt := is_terragrunt_root(job):
        from advisor.iac.terragrunt import evaluate_terragrunt

        result = evaluate_terragrunt(job.directory, settings, read, job.overlay)
    elif callers := _terragrunt_callers(job, reuse, memory):
        result = _through_roots(job, callers, read, settings)
        caller_kind = "Terragrunt root"
    elif callers := _terraform_callers(job, reuse):
        result = _through_terraform_roots(job, callers, read, settings)
        caller_kind = "as called by root"
    else:
        from advisor.iac.terraform import evaluate_root

        result = evaluate_root(job.directory, settings, read, job.overlay, reuse.resources if reuse else None)
    costs, not_priced = price_resources(result.resources, job.options.config, job.options.session.estimates)
    findings = [
        Finding(PARSE_ERROR, "error", e.message, e.span, fix_safe=False)
        for e in result.errors
        if e.span is not None
    ]
    from advisor.ignores import call_ignores, find_all_ignores
    from advisor.rules.engine import RuleContext, check_resources

    ignores = find_all_ignores(texts)
    # an ignore above a module call is matched before its instances' findings are merged
    on_calls = call_ignores(ignores, texts, _instance_folders(result.resources)) if ignores else None
    ctx = RuleContext(
        config=job.options.config,
        texts=texts,
        costs={c.address: c for c in costs},
        workspace=job.options.workspace,
        var_files=list(job.options.var_files),
        estimates=job.options.session.estimates,
        comparisons=job.options.session.comparisons,
        silenced=on_calls.silences if on_calls is not None else None,
    )
    extra = result.unanalysed_calls + result.region_variants
    checked = result.resources + extra if extra else result.resources
    findings.extend(check_resources(checked, ctx, reuse.findings if reuse else None, result.relocated))
    findings = _apply_filters(findings, ignores, checked, job.options)
    if terragrunt:  # a module two roots run has each root's findings: say whose
        name = os.path.basename(os.path.abspath(job.directory))
        findings = [_in_root(f, name) if f.resource else f for f in findings]
    elif callers:  # the module as roots run it: each finding says whose
        whose: list[Finding] = []
        for f in findings:
            root, colon, _ = f.resource.partition(":")
            whose.append(_in_root(f, root, caller_kind) if colon else f)
        findings = whose
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
    return Analysis(
        job.directory,
        files=result.files,
        resources=result.resources,
        costs=costs,
        not_priced=not_priced,
        findings=findings,
        errors=result.errors,
        notes=result.notes,
        read_errors=read_errors,
        remote_modules=result.remote_modules,
        sensitive_variables=result.sensitive_variables,
        sensitive_values=result.sensitive_values,
        export=result.export,
    )


# An editor run of a module folder that Terragrunt roots run looks for them in the workspace: at most
# this many folders, walked again at most once in this many seconds (one walk serves every module).
CALLER_SCAN_FOLDERS = 5_000

CALLER_SCAN_SECONDS = 10.0


def _terragrunt_roots_in(options: Options, roots: tuple[str, ...]) -> list[str]:
    """The folders with `terragrunt.hcl` under the analysed folders (at most `CALLER_SCAN_FOLDERS`
    folders walked), looked up again at most every `CALLER_SCAN_SECONDS`: one walk serves every module."""
    import time

    now = time.monotonic()
    walks = options.session.terragrunt_roots
    known = walks.get(roots)
    if known is not None and now - known[0] < CALLER_SCAN_SECONDS:
        return known[1]
    found = [here for here, names in _workspace_folders(roots) if iac_files.TERRAGRUNT_FILE in names]
    walks.put(roots, (now, found))
    return found


def _workspace_folders(roots: tuple[str, ...]) -> Iterator[tuple[str, list[str]]]:
    """(folder, its file names) under the analysed folders, at most `CALLER_SCAN_FOLDERS` folders,
    skipping the folders discovery skips."""
    folders = 0
    for top in roots:
        for here, dirs, names in os.walk(top):
            folders += 1
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            if folders > CALLER_SCAN_FOLDERS:
                return
            yield here, names


def _terragrunt_callers(job: ModuleJob, reuse: ModuleReuse | None, memory: FrontendMemory) -> list[str]:
    """The Terragrunt roots in the analysed folders that run this module folder, for editor runs (the
    command line reaches such a module through its roots already). A file of the module then shows the
    figures of each root's instance, not those of the module alone with its variables unset."""
    if reuse is None or job.template is not None or not job.options.roots:
        return []
    candidates = _terragrunt_roots_in(job.options, job.options.roots)
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
        if os.path.realpath(here) != real and runs_module(here, job.directory, unsaved_first, memory.parser)
    ]


# A local module call, as a cheap text scan finds it: `module "x" {` and, within the block (one level of
# nested braces allowed before it), `source = "./…"` or `"../…"`. What it finds is only a candidate: the
# caller's evaluation decides what the module's resources are.
_LOCAL_MODULE_CALL = re.compile(
    r'(?m)^[ \t]*module[ \t]+"[^"\n]*"[ \t]*\{(?:[^{}]|\{[^{}]*\})*?\bsource[ \t]*=[ \t]*"(\.{1,2}/[^"\n]*)"'
)
MAX_CALLER_ROOTS = 8  # roots an editor run of a module folder is evaluated through


def _module_calls_in(options: Options, roots: tuple[str, ...]) -> dict[str, set[str]]:
    """Folder → the folders its Terraform files call as local modules, under the analysed folders (at
    most `CALLER_SCAN_FOLDERS` folders), found again at most every `CALLER_SCAN_SECONDS`; a file whose
    size and modification time did not change is not read again."""
    import time

    now = time.monotonic()
    known = options.session.module_calls.get(roots)
    if known is not None and now - known[0] < CALLER_SCAN_SECONDS:
        found: dict[str, set[str]] = known[1]
        return found
    before = known[2] if known is not None else {}
    stamps: dict[str, tuple[int, int, tuple[str, ...]]] = {}
    real_roots = iac_files.real_roots(list(roots))
    calls: dict[str, set[str]] = {}
    for here, names in _workspace_folders(roots):
        for name in names:
            if not name.endswith(".tf"):
                continue
            path = os.path.join(here, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            old = before.get(path)
            if old is not None and old[:2] == (st.st_mtime_ns, st.st_size):
                targets = old[2]
            else:
                data = iac_files.read_file(path, roots=real_roots).data
                text = data.decode("utf-8", errors="replace") if data is not None else ""
                sources = _LOCAL_MODULE_CALL.findall(text)
                targets = tuple(os.path.realpath(os.path.join(here, source)) for source in sources)
            stamps[path] = (st.st_mtime_ns, st.st_size, targets)
            if targets:
                calls.setdefault(os.path.realpath(here), set()).update(targets)
    options.session.module_calls.put(roots, (now, calls, stamps))
    return calls


def _terraform_callers(job: ModuleJob, reuse: ModuleReuse | None) -> list[str]:
    """The root modules of the analysed folders that call this module folder, directly or through other
    modules, for editor runs (the command line reaches a module through its callers already). A file of
    the module then shows the figures of the module as each root calls it, with the call's arguments."""
    if reuse is None or job.template is not None or not job.options.roots:
        return []
    calls = _module_calls_in(job.options, job.options.roots)
    callers: dict[str, set[str]] = {}
    for caller, targets in calls.items():
        for target in targets:
            callers.setdefault(target, set()).add(caller)
    start = os.path.realpath(job.directory)
    tops: set[str] = set()
    seen = {start}
    frontier = [start]
    while frontier and len(seen) <= 64:
        folder = frontier.pop()
        above = callers.get(folder, set()) - {folder}
        if not above and folder != start:
            tops.add(folder)
        for caller in sorted(above - seen):
            seen.add(caller)
            frontier.append(caller)
    return sorted(tops)[:MAX_CALLER_ROOTS]


def _root_name(job: ModuleJob, root: str) -> str:
    """A root's name as the workspace has it: relative to the analysed folder that holds it."""
    top = next(
        (t for t in job.options.roots if iac_files.inside(os.path.realpath(root), (os.path.realpath(t),))),
        "",
    )
    return os.path.relpath(os.path.realpath(root), os.path.realpath(top)) if top else os.path.basename(root)


def _through_terraform_roots(
    job: ModuleJob, callers: list[str], read: Callable[[str], str | None], settings: Any
) -> ModuleResult:
    """The module evaluated as each root in `callers` calls it: of each root's evaluation, the resources
    and errors of this module's own files; each address starts with the root (`envs/prod:module.disk…`)."""
    from advisor.iac.frontend import ModuleResult
    from advisor.iac.terraform import evaluate_root

    here = os.path.realpath(job.directory)
    merged = ModuleResult()
    for root in callers:
        sub = evaluate_root(root, settings, read, job.overlay)
        name = _root_name(job, root)
        for r in sub.resources:
            if os.path.dirname(os.path.realpath(r.path)) == here:
                r.address = f"{name}:{r.address}"
                merged.resources.append(r)
        for r in sub.unanalysed_calls:
            if os.path.dirname(os.path.realpath(r.path)) == here:
                r.address = f"{name}:{r.address}"
                merged.unanalysed_calls.append(r)
        mine = [e for e in sub.errors if os.path.dirname(os.path.realpath(e.path)) == here]
        merged.errors.extend(e for e in mine if e not in merged.errors)
        merged.files.extend(
            f for f in sub.files if f not in merged.files and os.path.dirname(os.path.realpath(f)) == here
        )
        merged.sensitive_variables |= sub.sensitive_variables
        merged.sensitive_values |= sub.sensitive_values
    return merged


def _through_roots(
    job: ModuleJob, callers: list[str], read: Callable[[str], str | None], settings: Any
) -> ModuleResult:
    """The module evaluated as each Terragrunt root in `callers` runs it; each resource's address starts
    with its root (`live/prod:aws_ebs_volume.data`), so the instances of two roots stay apart."""
    from advisor.iac.frontend import ModuleResult
    from advisor.iac.terragrunt import evaluate_terragrunt

    merged = ModuleResult()
    for root in callers:
        sub = evaluate_terragrunt(root, settings, read, job.overlay)
        name = _root_name(job, root)
        for r in [*sub.resources, *sub.unanalysed_calls]:
            r.address = f"{name}:{r.address}"
        merged.resources.extend(sub.resources)
        merged.unanalysed_calls.extend(sub.unanalysed_calls)
        merged.errors.extend(e for e in sub.errors if e not in merged.errors)
        merged.notes.extend(sub.notes)
        # the roots' own files are theirs (a workspace scan counts those roots apart, not as this module)
        merged.files.extend(f for f in sub.files if f not in merged.files and not f.endswith(".hcl"))
        merged.remote_modules.extend(sub.remote_modules)
        merged.sensitive_variables |= sub.sensitive_variables
        merged.sensitive_values |= sub.sensitive_values
    return merged


def _in_root(finding: Finding, root: str, kind: str = "Terragrunt root") -> Finding:
    """A copy of a finding (it may be shared with the previous run) that names its root."""
    named = copy.copy(finding)
    named.message = f"{finding.message} ({kind} {root})"
    return named


def is_terragrunt_root(job: ModuleJob) -> bool:
    """Whether a job's folder is a Terragrunt root (`terragrunt.hcl` on disk or in an editor buffer)."""
    if job.template is not None:
        return False
    path = os.path.normpath(os.path.join(job.directory, iac_files.TERRAGRUNT_FILE))
    return path in job.overlay or os.path.isfile(path)


def looks_like_plan(head: bytes | str) -> bool:
    """Whether a file's text (or first bytes) is a Terraform plan or state export, by its keys."""
    from advisor.iac.plan_json import looks_like_plan

    return looks_like_plan(head if isinstance(head, str) else head.decode("utf-8", errors="replace"))


def _looks_like_template(head: bytes) -> bool:
    """Whether the first bytes of a file too big to read look like a CloudFormation template."""
    from advisor.iac.cloudformation import looks_like_template

    return looks_like_template(head.decode("utf-8", errors="replace"))


def price_resources(
    resources: list[Resource], config: Config, estimates: Estimates
) -> tuple[list[ResourceCost], list[str]]:
    """Each resource's estimate (through the session's memo), and the addresses of those not priced."""
    from advisor.pricing.catalog import Catalog
    from advisor.pricing.memo import estimate_cached

    catalog = Catalog.default()
    costs: list[ResourceCost] = []
    not_priced: list[str] = []
    for r in resources:
        check_deadline()
        if r.type in TEMPLATE_TYPES:
            continue  # a template launches nothing by itself: its instances are priced where it is used
        cost = estimate_cached(r, catalog, config.usage_for(r.address, r.type), estimates)
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
