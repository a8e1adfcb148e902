"""`advisor diff --base REF [PATH ...]`: what a change does to the monthly bill and which findings it adds.

The base revision's IaC files are read from git objects into a temporary folder, so the working tree,
the index and HEAD are never touched. That copy mirrors the repository's layout around a stand-in for the
working directory, and the base is analysed from there with the same path strings, options and config:
paths, environments guessed from paths and relative `--var-file`s mean the same on both sides.

Resources are matched by root module and address, findings by what they say (rule, resource, attribute,
current and suggested value) and never by line, so moving code around does not make old findings new.

This module computes the comparison (`run_diff` → `DiffResult`); `report/diff_report.py` writes it as
text, JSON or a pull-request comment, and `commands.cli_diff` is the command.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from advisor.budget import BudgetCheck, RootedAnalysis, analyze_rooted, check_limits, folder_of, inside
from advisor.config import Config
from advisor.engine import Analysis, Options
from advisor.model import Finding, ParseError, Resource

Change = Literal["added", "removed", "changed"]


class DiffError(Exception):
    """The comparison cannot be made: not a repository, unknown revision, path outside the repository."""


# -- git ----------------------------------------------------------------------------------------------
def _git(args: list[str], cwd: str, stdin: bytes | None = None) -> bytes:
    from advisor.gitread import GitError, git

    try:
        return git(args, cwd, stdin)
    except GitError as exc:
        raise DiffError(str(exc)) from None


def repo_root(start: str) -> str:
    """The top folder of the work tree holding `start`."""
    try:
        out = _git(["rev-parse", "--show-toplevel"], start)
    except DiffError as exc:
        raise DiffError(f"not a git repository: {start} ({exc})") from None
    root = out.decode("utf-8", "surrogateescape").strip()
    if not root:
        raise DiffError(f"not a git repository (or a bare one): {start}")
    return os.path.realpath(root)


def resolve_ref(root: str, ref: str) -> str:
    """The commit id of `ref`; `--end-of-options` keeps a ref like `--output=x` from being an option."""
    try:
        out = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], root)
    except DiffError:
        out = b""
    commit = out.decode().strip()
    if not commit:
        raise DiffError(
            f"git revision not found: {ref!r} (in a shallow clone, fetch it first, e.g. "
            f"`git fetch origin <branch>`, or check out with fetch-depth: 0)"
        )
    return commit


def _wanted(path: str, scopes: list[str]) -> bool:
    """Terraform files anywhere (module sources may live outside PATH), any IaC file inside PATH."""
    from advisor.gitread import iac_path

    return iac_path(path, scopes)


def extract_tree(root: str, commit: str, dest: str, scopes: list[str]) -> int:
    """Write the IaC blobs of `commit` under `dest` (read from git objects, work tree untouched)."""
    from advisor.gitread import GitError, TreeCopy

    copy = TreeCopy(root, dest, lambda path: _wanted(path, scopes))
    try:
        copy.move_to(commit)  # a blob missing from this clone, or an unsafe path: that file is left out
    except GitError as exc:
        raise DiffError(str(exc)) from None
    return len(copy.entries)


# -- the base revision's copy, laid out like the repository around the working directory ----------------
@dataclass(slots=True)
class BaseCopy:
    """Where the base revision is copied, and how its paths map back onto the working tree."""

    root: str  # the repository's work tree (real path)
    base_root: str  # the copy of the repository at the base revision
    base_cwd: str  # stands for the working directory inside the copy

    def real(self, path: str) -> str:
        """A path the base analysis reported, as the same place in the working tree."""
        if os.path.isabs(path):
            norm = os.path.normpath(path)
            if norm == self.base_root or norm.startswith(self.base_root + os.sep):
                return self.root + norm[len(self.base_root) :]
        return path

    def mirror(self, path: str) -> str | None:
        """A path as given on the command line, for the base analysis (None: not in the repository)."""
        real = os.path.realpath(path)
        if real != self.root and not real.startswith(self.root + os.sep):
            return None
        if not os.path.isabs(path):
            return path  # resolves the same from base_cwd
        return self.base_root + real[len(self.root) :]

    def mirror_all(self, paths: list[str]) -> tuple[list[str], list[str]] | str:
        """The command line's paths for the base analysis and the folders of the repository they scope
        (`""` for all of it), with the copy's folders made; or the first path outside the repository."""
        mirrored: list[str] = []
        scopes: list[str] = []
        for p in paths:
            m = self.mirror(p)
            if m is None:
                return p
            mirrored.append(m)
            inner = os.path.relpath(os.path.realpath(p), self.root).replace(os.sep, "/")
            scopes.append("" if inner == "." else inner)
        os.makedirs(self.base_root, exist_ok=True)
        os.makedirs(self.base_cwd, exist_ok=True)
        return mirrored, scopes


def layout(tmp: str, root: str, cwd: str) -> BaseCopy:
    """Place the copy so that `os.path.relpath(root, cwd)` is also the way from base_cwd to base_root."""
    inner = os.path.relpath(cwd, root)
    if inner != ".." and not inner.startswith(".." + os.sep):  # working inside the repository
        base_root = os.path.join(tmp, "repo")
        return BaseCopy(root, base_root, os.path.normpath(os.path.join(base_root, inner)))
    parts = os.path.relpath(root, cwd).split(os.sep)  # e.g. ["..", "..", "src", "repo"]
    ups = parts.count("..")
    base_cwd = os.path.join(tmp, *[f".cwd{i}" for i in range(ups)])
    return BaseCopy(root, os.path.join(tmp, *parts[ups:]), base_cwd)


@contextmanager
def working_directory(path: str) -> Iterator[None]:
    """Run the block from `path` (the base copy's stand-in for the working directory)."""
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


# -- the comparison -------------------------------------------------------------------------------------
@dataclass(slots=True)
class ResourceChange:
    """One resource added, removed or changed, with its monthly cost on each side (USD, 2 decimals).

    A side where the resource does not exist costs 0; None is an unknown price or a resource that is not
    priced at all (`priced` False).
    """

    change: Change
    root: str
    address: str
    type: str
    path: str
    line: int
    before: float | None
    after: float | None
    priced: bool
    delta: float | None


@dataclass(slots=True)
class Totals:
    before: float
    after: float

    @property
    def delta(self) -> float:
        return round(self.after - self.before, 2)

    @property
    def percent(self) -> float | None:
        return round(self.delta / self.before * 100, 2) if self.before > 0 else None


@dataclass(slots=True)
class DiffResult:
    ref: str
    commit: str
    totals: Totals
    changes: list[ResourceChange] = field(default_factory=list)
    unchanged: int = 0
    new_findings: list[Finding] = field(default_factory=list)
    resolved_findings: list[Finding] = field(default_factory=list)
    checks: list[BudgetCheck] = field(default_factory=list)
    head: Analysis = field(default_factory=Analysis)
    roots: set[str] = field(default_factory=set)  # root modules on either side
    unknown_prices: int = 0
    # what the base revision's analysis left out (an internal error, a file it could not read), placed
    # in the working tree: its figures are incomplete too
    base_errors: list[ParseError] = field(default_factory=list)

    @property
    def breaches(self) -> list[BudgetCheck]:
        return [c for c in self.checks if c.breached]

    @property
    def incomplete(self) -> bool:
        """Either side left input unanalysed: totals and budget checks are not the whole answer."""
        return bool(self.base_errors) or any(e.incomplete for e in self.head.errors)

    @property
    def budget_ok(self) -> bool:
        """No limit breached, and the figures checked are whole (a partial total proves nothing)."""
        return not self.breaches and not (self.checks and self.incomplete)

    def count(self, change: Change) -> int:
        return sum(1 for c in self.changes if c.change == change)

    def all_errors(self) -> list[ParseError]:
        """The errors of both sides, the base revision's saying so in their message."""
        at_base = [replace(e, message=f"{e.message} (at {self.ref})") for e in self.base_errors]
        return [*self.head.errors, *at_base]


def _stable(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def finding_key(f: Finding, path: str) -> tuple[str, ...]:
    """What a finding says, without where it is: rule, module folder, resource, attribute, values."""
    folder = os.path.dirname(os.path.normpath(path))
    what = "" if f.resource else f.message  # a finding without a resource is known by its text
    return (f.rule, folder, f.resource, f.attribute, _stable(f.current), _stable(f.suggested), what)


def _side_cost(rooted: RootedAnalysis, entry: tuple[str, Resource] | None) -> tuple[float | None, bool]:
    """(monthly cost, priced): 0 where the resource does not exist, None for unknown or not priced."""
    if entry is None:
        return 0.0, False
    cost = rooted.costs.get((entry[0], entry[1].address))
    return (None, False) if cost is None else (cost.monthly_cost, True)


def _signature(r: Resource) -> tuple[Any, ...]:
    return (r.type, r.region, r.body.signature())


def _cents(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def compare(
    base: RootedAnalysis, head: RootedAnalysis, real: Callable[[str], str], ref: str, commit: str
) -> DiffResult:
    """Resources by (root, address); findings new in head by what they say, counted (a multiset)."""
    result = DiffResult(ref, commit, Totals(base.analysis.monthly_cost, head.analysis.monthly_cost))
    result.head = head.analysis
    result.base_errors = [replace(e, path=real(e.path)) for e in base.analysis.errors if e.incomplete]
    result.roots = {real(root) for root in base.roots()} | set(head.roots())
    result.unknown_prices = sum(1 for c in head.analysis.costs if c.monthly_cost is None)
    before = {(real(root), r.address): (root, r) for root, r in base.resources}
    after = {(root, r.address): (root, r) for root, r in head.resources}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        cost_before, priced_before = _side_cost(base, old)
        cost_after, priced_after = _side_cost(head, new)
        if old is not None and new is not None:
            same_cost = (
                cost_before == cost_after
                if cost_before is None or cost_after is None
                else abs(cost_before - cost_after) < 0.005
            )
            if same_cost and priced_before == priced_after and _signature(old[1]) == _signature(new[1]):
                result.unchanged += 1
                continue
        change: Change = "removed" if new is None else ("added" if old is None else "changed")
        shown = new[1] if new is not None else old[1] if old is not None else None
        assert shown is not None
        path = shown.path if new is not None else real(shown.path)
        delta = None if cost_before is None or cost_after is None else round(cost_after - cost_before, 2)
        result.changes.append(
            ResourceChange(
                change,
                key[0],
                key[1],
                shown.type,
                path,
                shown.span.line,
                _cents(cost_before),
                _cents(cost_after),
                priced_before or priced_after,
                delta,
            )
        )
    unmatched_old = Counter(finding_key(f, real(f.span.path)) for f in base.analysis.findings)
    unmatched_new = Counter(finding_key(f, f.span.path) for f in head.analysis.findings)
    for f in head.analysis.findings:
        fkey = finding_key(f, f.span.path)
        if unmatched_old[fkey] > 0:
            unmatched_old[fkey] -= 1
        else:
            result.new_findings.append(f)
    for f in base.analysis.findings:
        fkey = finding_key(f, real(f.span.path))
        if unmatched_new[fkey] > 0:
            unmatched_new[fkey] -= 1
        else:
            span = replace(f.span, path=real(f.span.path))
            result.resolved_findings.append(replace(f, span=span, fix=[]))
    return result


def budget_checks(
    config: Config, base: RootedAnalysis, head: RootedAnalysis, real: Callable[[str], str], totals: Totals
) -> list[BudgetCheck]:
    """Every configured limit: the total, then each `[[budget.paths]]` folder holding a root."""
    budget = config.budget
    checks = check_limits(config, budget.total, totals.before, totals.after)
    cwd = os.getcwd()
    for limits in budget.paths:
        folder = folder_of(budget, limits)
        sums: list[float] = []
        present = False
        for rooted, mapping in ((base, real), (head, _same)):
            roots = {r for r in rooted.roots() if inside(mapping(r), folder, cwd)}
            present = present or bool(roots)
            sums.append(sum(c.monthly_cost or 0.0 for (root, _), c in rooted.costs.items() if root in roots))
        if present:
            checks += check_limits(config, limits, round(sums[0], 2), round(sums[1], 2))
    return checks


def _same(path: str) -> str:
    return path


# -- running it -----------------------------------------------------------------------------------------
def run_diff(args: argparse.Namespace, config: Config, options: Options) -> DiffResult:
    """Analyse the working tree and the base revision of the same paths, and compare them."""
    paths: list[str] = list(args.paths) or ["."]
    cwd = os.path.realpath(os.getcwd())
    start = paths[0] if os.path.isdir(paths[0]) else (os.path.dirname(paths[0]) or ".")
    root = repo_root(start if os.path.isdir(start) else ".")  # a deleted PATH: the working directory's
    commit = resolve_ref(root, args.base)
    with tempfile.TemporaryDirectory(prefix="advisor-diff-") as tmp:
        copy = layout(os.path.realpath(tmp), root, cwd)
        mirrored = copy.mirror_all(paths)
        if isinstance(mirrored, str):
            raise DiffError(f"{mirrored} is outside the git repository at {root}")
        base_paths, scopes = mirrored
        extract_tree(root, commit, copy.base_root, scopes)
        head_paths = [p for p in paths if os.path.exists(p)]
        base_present = [b for b in base_paths if os.path.exists(os.path.join(copy.base_cwd, b))]
        missing = [
            p for p, b in zip(paths, base_paths, strict=True) if p not in head_paths and b not in base_present
        ]
        if missing:
            raise DiffError(f"not found in the working tree nor at {args.base}: {', '.join(missing)}")
        base_options = replace(options, var_files=[base_var_file(v, copy) for v in options.var_files])
        with working_directory(copy.base_cwd):
            base = analyze_rooted(base_present, base_options) if base_present else RootedAnalysis(Analysis())
        head = analyze_rooted(head_paths, options) if head_paths else RootedAnalysis(Analysis())
        result = compare(base, head, copy.real, args.base, commit)
        result.checks = budget_checks(config, base, head, copy.real, result.totals)
    return result


def base_var_file(path: str, copy: BaseCopy) -> str:
    """The base revision's copy of a `--var-file` inside the repository, else the file itself."""
    mirrored = copy.mirror(path)
    if mirrored is not None:
        candidate = mirrored if os.path.isabs(mirrored) else os.path.join(copy.base_cwd, mirrored)
        if os.path.isfile(candidate):
            return mirrored
    return os.path.realpath(path)
