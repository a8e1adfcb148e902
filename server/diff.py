"""`advisor diff --base REF [PATH ...]`: what a change does to the monthly bill and which findings it adds.

The base revision's IaC files are read from git objects into a temporary folder, so the working tree,
the index and HEAD are never touched. That copy mirrors the repository's layout around a stand-in for the
working directory, and the base is analysed from there with the same path strings, options and config:
paths, environments guessed from paths and relative `--var-file`s mean the same on both sides.

Resources are matched by root module and address, findings by what they say (rule, resource, attribute,
current and suggested value) and never by line, so moving code around does not make old findings new.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from advisor.budget import (
    BudgetCheck,
    RootedAnalysis,
    analyze_rooted,
    check_limits,
    folder_of,
    inside,
    money,
    signed,
)
from advisor.config import Config
from advisor.engine import Analysis, Options
from advisor.model import Finding, ParseError, Resource
from advisor.report.common import printable

EXIT_OK, EXIT_FAIL, EXIT_ERROR, EXIT_INCOMPLETE = 0, 1, 2, 3
MARKER = "<!-- advisor-diff -->"  # lets CI find and update its own pull-request comment
TOP_FINDINGS = 5
TOP_RESOURCES = 20

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
def _working_directory(path: str) -> Iterator[None]:
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
        base_options = replace(options, var_files=[_base_var_file(v, copy) for v in options.var_files])
        with _working_directory(copy.base_cwd):
            base = analyze_rooted(base_present, base_options) if base_present else RootedAnalysis(Analysis())
        head = analyze_rooted(head_paths, options) if head_paths else RootedAnalysis(Analysis())
        result = compare(base, head, copy.real, args.base, commit)
        result.checks = budget_checks(config, base, head, copy.real, result.totals)
    return result


def _base_var_file(path: str, copy: BaseCopy) -> str:
    """The base revision's copy of a `--var-file` inside the repository, else the file itself."""
    mirrored = copy.mirror(path)
    if mirrored is not None:
        candidate = mirrored if os.path.isabs(mirrored) else os.path.join(copy.base_cwd, mirrored)
        if os.path.isfile(candidate):
            return mirrored
    return os.path.realpath(path)


def cli_diff(args: argparse.Namespace) -> int:
    """The `advisor diff` command: report, budget breaches on stderr, exit 0 / 1 / 2 / 3."""
    from advisor.budget import incomplete_budget
    from advisor.cli import _write, incomplete_note, load_config_for, options_for
    from advisor.report.common import at_or_above

    config = load_config_for(args)
    options = options_for(args, config)
    try:
        result = run_diff(args, config, options)
    except DiffError as exc:
        sys.stderr.write(printable(f"advisor: {exc}") + "\n")
        return EXIT_ERROR
    region = options.default_region
    if args.format == "json":
        text = render_json(result, region)
    elif args.format == "markdown":
        text = render_markdown(result)
    else:
        text = render_text(result)
    _write(text, args.output)
    for check in result.breaches:
        sys.stderr.write(printable(f"advisor: budget exceeded: {check.message()}") + "\n")
    if result.incomplete:  # either side: exit 3 whatever --fail-on and the budget say
        if result.checks:
            sys.stderr.write(f"advisor: {incomplete_budget([*result.head.errors, *result.base_errors])}\n")
        sys.stderr.write(incomplete_note([*result.head.errors, *_at_base(result)]))
        return EXIT_INCOMPLETE
    failing = [f for f in result.new_findings if at_or_above(f, args.fail_on)]
    return EXIT_FAIL if result.breaches or failing else EXIT_OK


def _at_base(result: DiffResult) -> list[ParseError]:
    """The base revision's errors, saying so in their message."""
    return [replace(e, message=f"{e.message} (at {result.ref})") for e in result.base_errors]


# -- reports --------------------------------------------------------------------------------------------
def percent(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.2f}%"


def _multi_root(result: DiffResult) -> bool:
    """Names carry their root module folder when there is more than one root to tell apart."""
    return len(result.roots) > 1


def _name(c: ResourceChange, multi: bool) -> str:
    from advisor.report.common import rel

    return f"{rel(c.root)}: {c.address}" if multi else c.address


def _side(c: ResourceChange, side: Literal["before", "after"]) -> str:
    if (side == "before" and c.change == "added") or (side == "after" and c.change == "removed"):
        return "-"
    value = c.before if side == "before" else c.after
    if value is None:
        return "unknown" if c.priced else "not priced"
    return money(value)


def _delta(c: ResourceChange) -> str:
    return signed(c.delta) if c.priced else "-"


def render_text(result: DiffResult) -> str:
    from advisor.report.common import rel

    multi = _multi_root(result)
    sign = {"added": "+", "removed": "-", "changed": "~"}
    rows = [
        (
            f"{sign[c.change]} {printable(_name(c, multi))}",
            f"{printable(rel(c.path))}:{c.line + 1}",
            _side(c, "before"),
            _side(c, "after"),
            _delta(c),
        )
        for c in result.changes
    ]
    t = result.totals
    total = ("Total", "", money(t.before), money(t.after), f"{signed(t.delta)} ({percent(t.percent)})")
    widths = [max(len(r[i]) for r in [*rows, total]) for i in range(5)]

    def line(cells: tuple[str, ...]) -> str:
        left = [cells[0].ljust(widths[0]), cells[1].ljust(widths[1])]
        right = [cells[i].rjust(widths[i]) for i in range(2, 5)]
        return "  ".join(left + right).rstrip()

    out = [f"Cost diff against {result.ref} ({result.commit[:12]}), working tree as changed:"]
    out += [line(r) for r in rows]
    if rows:
        out.append("  ".join("-" * w for w in widths))
    out.append(line(total))
    out.append(
        f"{result.count('added')} added, {result.count('removed')} removed, "
        f"{result.count('changed')} changed, {result.unchanged} unchanged"
        + (f"; {result.unknown_prices} with unknown prices (not in totals)" if result.unknown_prices else "")
    )
    out.append("")
    n = len(result.new_findings)
    out.append(f"New findings ({n})" + (":" if n else ""))
    for f in result.new_findings:
        s = f.span
        out.append(f"{rel(s.path)}:{s.line + 1}:{s.column + 1}: {f.severity}[{f.rule}] {f.message}")
    if result.resolved_findings:
        out.append(f"Resolved findings: {len(result.resolved_findings)}")
    for e in [*result.head.errors, *_at_base(result)]:
        out.append(f"error: {rel(e.path)}" + (f":{e.span.line + 1}" if e.span else "") + f": {e.message}")
    if result.incomplete:
        out.append("Analysis incomplete: the totals leave out what the errors above name.")
    if result.checks:
        out.append("")
        for check in result.checks:
            verdict = "EXCEEDED" if check.breached else "not conclusive" if result.incomplete else "ok"
            out.append(f"Budget {verdict}: {check.message()}")
    return "".join(printable(line) + "\n" for line in out)  # names, paths and messages: escaped


def render_json(result: DiffResult, region: str) -> str:
    """Version 1: resources[], totals, new_findings[] (the lint finding shape), budget, errors[]."""
    from advisor import __version__
    from advisor.report.common import json_text, rel
    from advisor.report.json_report import error_json, finding_json, pricing_info

    t = result.totals
    doc: dict[str, Any] = {
        "version": 1,
        "tool": {"name": "advisor", "version": __version__},
        "base": {"ref": result.ref, "commit": result.commit},
        "pricing": pricing_info(region),
        "resources": [
            {
                "change": c.change,
                "address": c.address,
                "type": c.type,
                "module": rel(c.root),
                "path": rel(c.path),
                "line": c.line + 1,
                "priced": c.priced,
                "monthly_cost_before": c.before,
                "monthly_cost_after": c.after,
                "monthly_delta": c.delta,
            }
            for c in result.changes
        ],
        "totals": {
            "before": t.before,
            "after": t.after,
            "delta": t.delta,
            "percent": t.percent,
            "currency": "USD",
        },
        "summary": {
            "added": result.count("added"),
            "removed": result.count("removed"),
            "changed": result.count("changed"),
            "unchanged": result.unchanged,
            "unknown_prices": result.unknown_prices,
            "new_findings": len(result.new_findings),
            "resolved_findings": len(result.resolved_findings),
            "incomplete": result.incomplete,
        },
        "new_findings": [finding_json(f) for f in result.new_findings],
        "resolved_findings": [finding_json(f) for f in result.resolved_findings],
        "budget": {
            "ok": result.budget_ok,
            "incomplete": bool(result.checks) and result.incomplete,
            "checks": [c.to_json() for c in result.checks],
        },
        "errors": [error_json(e) for e in result.head.errors],
        "base_errors": [error_json(e) for e in result.base_errors],
    }
    return json_text(doc)


def _cell(text: str) -> str:
    """Markdown text safe in a table cell or a list item: controls escaped (`printable`), and no pipe,
    line break, HTML tag, code span or link from a resource name or a message."""
    text = printable(text)
    for char in "\\`[]|":
        text = text.replace(char, "\\" + char)
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    """A code span (shown as is, so no HTML escapes) that no backtick can close and no pipe can split."""
    return "`" + printable(text).replace("`", "'").replace("|", "\\|") + "`"


def render_markdown(result: DiffResult) -> str:
    """A pull-request comment: headline, cost table with a total line, budget, top findings, details."""
    from advisor.report.common import rel

    t = result.totals
    multi = _multi_root(result)
    out = [MARKER, f"### Advisor: monthly cost {signed(t.delta)} ({percent(t.percent)})", ""]
    out.append(
        f"{money(t.before)} → {money(t.after)} per month against {_code(result.ref)} "
        f"({_code(result.commit[:12])}). {result.count('added')} added, {result.count('removed')} removed, "
        f"{result.count('changed')} changed, {result.unchanged} unchanged resources."
    )
    out.append("")
    header = ["| Change | Resource | Before | After | Delta |", "|---|---|---:|---:|---:|"]

    def row(c: ResourceChange) -> str:
        name = _code(_name(c, multi))
        where = _code(f"{rel(c.path)}:{c.line + 1}")
        return f"| {c.change} | {name} {where} | {_side(c, 'before')} | {_side(c, 'after')} | {_delta(c)} |"

    ranked = sorted(result.changes, key=lambda c: (c.delta is None, -abs(c.delta or 0.0), c.root, c.address))
    shown, rest = ranked[:TOP_RESOURCES], ranked[TOP_RESOURCES:]
    total_row = (
        f"| **Total** | | **{money(t.before)}** | **{money(t.after)}** | "
        f"**{signed(t.delta)} ({percent(t.percent)})** |"
    )
    out += header + [row(c) for c in shown] + [total_row]
    if rest:
        out += ["", f"<details><summary>{len(rest)} more changed resources</summary>", ""]
        out += header + [row(c) for c in rest] + ["", "</details>"]
    if result.unknown_prices:
        out += ["", f"{result.unknown_prices} resources have unknown prices and are not in the totals."]
    if result.checks:
        out.append("")
        if result.breaches:
            out.append("**Budget exceeded**")
            out += [f"- {_cell(c.message())}" for c in result.breaches]
        if result.incomplete:
            out.append("**Budget not conclusive**: the analysis is incomplete (see the errors below).")
        elif not result.breaches:
            out.append("Budget: within every configured limit.")
    out.append("")
    findings = result.new_findings
    if not findings:
        out.append("No new findings.")
    else:
        savings = sum(f.monthly_savings or 0.0 for f in findings if (f.monthly_savings or 0) > 0)
        title = f"#### New findings ({len(findings)})"
        out.append(title + (f", potential savings {money(savings)}/mo" if savings else ""))
        out.append("")
        top = sorted(
            findings,
            key=lambda f: (-_rank(f.severity), -(f.monthly_savings or 0.0), f.span.path, f.span.line),
        )[:TOP_FINDINGS]
        for f in top:
            where = _code(f"{rel(f.span.path)}:{f.span.line + 1}")
            out.append(f"- **{f.severity}** {_code(f.rule)} {where}: {_cell(f.message)}")
        out += ["", f"<details><summary>All new findings ({len(findings)})</summary>", ""]
        out += ["| Severity | Rule | Where | Finding | Saving/mo |", "|---|---|---|---|---:|"]
        for f in findings:
            where = _code(f"{rel(f.span.path)}:{f.span.line + 1}")
            saving = money(f.monthly_savings) if (f.monthly_savings or 0) > 0 else ""
            out.append(f"| {f.severity} | {_code(f.rule)} | {where} | {_cell(f.message)} | {saving} |")
        out += ["", "</details>"]
    if result.resolved_findings:
        out += ["", f"Resolved findings: {len(result.resolved_findings)}."]
    errors = [*result.head.errors, *_at_base(result)]
    if errors:
        out += ["", f"{len(errors)} files or blocks could not be read:"]
        for e in errors:
            where = rel(e.path) + (f":{e.span.line + 1}" if e.span else "")
            out.append(f"- {_code(where)}: {_cell(e.message)}")
    if result.incomplete:
        out += ["", "**Analysis incomplete**: the figures above leave out what these errors name."]
    return "".join(printable(line) + "\n" for line in out)


def _rank(severity: str) -> int:
    from advisor.report.common import SEVERITY_RANK

    return SEVERITY_RANK.get(severity, 0)
