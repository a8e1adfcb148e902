"""`advisor history [PATH]`: the monthly cost, findings and savings at each commit of the current branch.

Commits are listed along first parents (the branch as it landed), oldest first, and each one's IaC files
are laid into one folder from git objects (`gitread.TreeCopy`: only the blobs that changed since the
previous commit are written, nothing is checked out). That folder is analysed by the engine exactly as
`advisor cost` would analyse a checkout, from a stand-in for the working directory (`diff.layout`), so
paths and module folders mean the same. Because the folder stays where it is and unchanged files keep
their digests, the engine's stored outcomes (`iac/parse_cache.py`) answer for every module whose files
did not change: only the modules a commit touched are analysed again.

Every figure is the engine's: a commit's total is `Analysis.monthly_cost`, its groups are the roots its
costs say they were evaluated in (root modules, CloudFormation templates, and whatever roots the engine
learns to evaluate), and its movers are `diff.compare` of consecutive commits.
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.report.common import json_text, printable

if TYPE_CHECKING:
    from advisor.budget import RootedAnalysis
    from advisor.config import Config
    from advisor.diff import BaseCopy, ResourceChange
    from advisor.engine import ModuleOutcome
    from advisor.gitread import TreeCopy

TOP_MOVERS = 5
SPARKS = "▁▂▃▄▅▆▇█"

# The AWS service of a resource type, by its longest known prefix (else the word after `aws_`).
SERVICES = {
    "aws_instance": "EC2",
    "aws_launch_template": "EC2",
    "aws_autoscaling": "EC2",
    "aws_ebs": "EBS",
    "aws_volume_attachment": "EBS",
    "aws_eip": "VPC",
    "aws_nat_gateway": "VPC",
    "aws_vpc": "VPC",
    "aws_vpn": "VPC",
    "aws_ec2_transit_gateway": "Transit Gateway",
    "aws_db": "RDS",
    "aws_rds": "RDS",
    "aws_elasticache": "ElastiCache",
    "aws_lambda": "Lambda",
    "aws_s3": "S3",
    "aws_cloudwatch": "CloudWatch",
    "aws_lb": "ELB",
    "aws_alb": "ELB",
    "aws_elb": "ELB",
    "aws_dynamodb": "DynamoDB",
    "aws_ecs": "ECS",
    "aws_eks": "EKS",
    "aws_msk": "MSK",
    "aws_opensearch": "OpenSearch",
    "aws_elasticsearch": "OpenSearch",
    "aws_redshift": "Redshift",
    "aws_docdb": "DocumentDB",
    "aws_neptune": "Neptune",
    "aws_memorydb": "MemoryDB",
    "aws_kms": "KMS",
    "aws_secretsmanager": "Secrets Manager",
    "aws_route53": "Route 53",
    "aws_sqs": "SQS",
    "aws_sns": "SNS",
    "aws_efs": "EFS",
    "aws_fsx": "FSx",
}


@functools.lru_cache(maxsize=4096)
def service_of(resource_type: str) -> str:
    """The AWS service a resource type is billed under, for the per-service subtotals."""
    parts = resource_type.split("_")
    for end in range(len(parts), 1, -1):
        name = SERVICES.get("_".join(parts[:end]))
        if name:
            return name
    return parts[1].upper() if len(parts) > 1 and parts[0] == "aws" else resource_type


class HistoryError(Exception):
    """The history cannot be made: not a repository, an unknown revision, a bad range or metrics file."""


@dataclass(slots=True)
class Commit:
    id: str
    parents: list[str]
    author: str
    date: str  # committer date (ISO 8601): when the commit landed on the branch
    subject: str


@dataclass(slots=True)
class Group:
    kind: str  # "module" (a root module folder), "terragrunt" (a Terragrunt root) or "stack" (a template)
    name: str  # the path, relative to the working directory
    monthly_cost: float


@dataclass(slots=True)
class Point:
    """The state of the IaC at one commit, and what moved its total since the commit before."""

    commit: Commit
    total: float | None  # None: the commit could not be analysed (see `errors`)
    delta: float | None = None  # None for the first commit when the one before it is not in the clone
    groups: list[Group] = field(default_factory=list)
    services: dict[str, float] = field(default_factory=dict)
    resources: int = 0
    findings: int = 0
    savings: float = 0.0
    unknown_prices: int = 0
    not_priced: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # the analysis's own (module calls it could not follow)
    incomplete: bool = False
    movers: list[ResourceChange] = field(default_factory=list)
    unit: tuple[str, float] | None = None

    @property
    def unit_cost(self) -> float | None:
        if self.unit is None or self.total is None or self.unit[1] <= 0:
            return None
        return self.total / self.unit[1]


@dataclass(slots=True)
class Month:
    """One month of business figures beside the cost in force at its end."""

    month: str  # YYYY-MM
    units: float
    revenue: float | None
    cost: float | None
    commit: str | None  # the last commit on or before the month's end
    cost_per_unit: float | None = None
    revenue_share: float | None = None
    cost_growth: float | None = None  # percent, against the month before
    units_growth: float | None = None
    outgrew: bool = False  # cost grew faster than the business


@dataclass(slots=True)
class History:
    paths: list[str]
    revision: str
    points: list[Point] = field(default_factory=list)  # oldest first
    notes: list[str] = field(default_factory=list)
    months: list[Month] = field(default_factory=list)
    analysed: int = 0  # commits analysed, the baseline included

    @property
    def incomplete(self) -> bool:
        return any(p.incomplete for p in self.points)


# -- commits -------------------------------------------------------------------------------------------
_FORMAT = "%x1e%H%x1f%P%x1f%an%x1f%cI%x1f%s"


def list_commits(root: str, revision: str, since: str | None, max_commits: int | None) -> list[Commit]:
    """The commits of `revision` (a commit, or `A..B`) along first parents, newest first."""
    from advisor.gitread import GitError, git

    args = ["rev-list", "--first-parent", f"--format={_FORMAT}"]
    if since:
        args.append(f"--since={since}")
    if max_commits is not None:
        args.append(f"--max-count={max_commits}")
    args += ["--end-of-options", revision, "--"]
    try:
        out = git(args, root)
    except GitError as exc:
        raise HistoryError(f"cannot list the commits of {revision!r}: {exc}") from None
    commits: list[Commit] = []
    for record in out.decode("utf-8", "replace").split("\x1e")[1:]:
        fields = record.split("\n", 1)[0].split("\x1f")
        if len(fields) != 5:
            continue
        cid, parents, author, date, subject = fields
        commits.append(Commit(cid, parents.split(), author, date, subject))
    return commits


def shallow_commits(root: str) -> set[str]:
    """The commits whose parents this clone does not have (a shallow clone's boundary)."""
    from advisor.gitread import GitError, git

    try:
        if git(["rev-parse", "--is-shallow-repository"], root).strip() != b"true":
            return set()
        name = git(["rev-parse", "--git-path", "shallow"], root).decode().strip()
    except GitError:
        return set()
    try:
        with open(os.path.join(root, name), encoding="ascii") as f:
            return {line.strip() for line in f if line.strip()}
    except OSError:
        return set()


# -- analysing each commit -----------------------------------------------------------------------------
@dataclass(slots=True)
class _Run:
    args: argparse.Namespace
    copy: BaseCopy
    tree: TreeCopy
    base_paths: list[str]
    fixed_config: Config | None
    configs: dict[tuple[str, bytes], Config] = field(default_factory=dict)
    # module outcomes still current for the copy as it is (see `_forget_changed`), by job signature
    memo: dict[str, ModuleOutcome] = field(default_factory=dict)
    reads: dict[int, tuple[ModuleOutcome, set[str], set[str]]] = field(default_factory=dict)
    config: Config | None = None


def _config_for(run: _Run) -> Config:
    """The commit's own `.advisor.toml` (as a checkout of it would find it), unless --config was given."""
    from advisor.config import find_config, load_config
    from advisor.rules.engine import known_rule_ids

    if run.fixed_config is not None:
        return run.fixed_config
    start = run.base_paths[0] if run.base_paths else "."
    start = start if os.path.isabs(start) else os.path.join(run.copy.base_cwd, start)
    path = find_config(start if os.path.exists(start) else run.copy.base_root)
    if path is not None and not _inside(path, run.copy.base_root):
        path = find_config(os.path.dirname(run.copy.root))  # above the repository: as on disk
    if path is None:
        key = ("", b"")
    else:
        with open(path, "rb") as f:
            key = (path, f.read())
    if key not in run.configs:
        run.configs[key] = load_config(path, known_rule_ids())
    return run.configs[key]


def _inside(path: str, folder: str) -> bool:
    path = os.path.abspath(path)
    return path == folder or path.startswith(folder + os.sep)


def _analyse(run: _Run, commit: str) -> tuple[RootedAnalysis | None, Config | None, list[str], bool]:
    """(the analysis of `commit`, its config, errors said as text, incomplete) after moving the copy."""
    from advisor.budget import RootedAnalysis
    from advisor.cli import options_for
    from advisor.config import ConfigError
    from advisor.diff import _base_var_file, _working_directory
    from advisor.engine import Analysis, analyze_paths
    from advisor.gitread import GitError

    try:
        changed, problems = run.tree.move_to(commit)
    except GitError as exc:
        run.memo.clear()
        return None, None, [f"cannot read the tree: {exc}"], True
    _forget_changed(run, changed, run.tree.added_or_gone)
    errors = [f"{path}: {why}" for path, why in problems]
    with _working_directory(run.copy.base_cwd):
        try:
            config = _config_for(run)
        except ConfigError as exc:
            return None, None, [*errors, f"configuration: {exc}"], True
        options = options_for(run.args, config)
        options.resource_bodies = False
        options.var_files = [_base_var_file(v, run.copy) for v in options.var_files]
        if config is not run.config or not options.disk_cache:  # other signatures, or no inputs recorded
            run.memo.clear()
        run.config = config
        present = [p for p in run.base_paths if os.path.exists(p)]
        memo = run.memo if options.disk_cache else None
        rooted = RootedAnalysis(analyze_paths(present, options, memo=memo) if present else Analysis())
        rooted.costs = {(c.root, c.address): c for c in rooted.analysis.costs}
    incomplete = bool(problems) or any(e.incomplete for e in rooted.analysis.errors)
    return rooted, config, errors, incomplete


def _forget_changed(run: _Run, changed: set[str], added_or_gone: set[str]) -> None:
    """Drop the memo's outcomes that read a file this commit changed, or listed a folder where a file
    came or went; the others are exactly what the engine would compute or load again."""
    if not run.memo or not (changed or added_or_gone):
        return
    base = run.copy.base_root
    files = {os.path.join(base, *p.split("/")) for p in changed}
    folders = {os.path.dirname(os.path.join(base, *p.split("/"))) for p in added_or_gone}
    for signature, outcome in list(run.memo.items()):
        known = run.reads.get(id(outcome))
        if known is None or known[0] is not outcome:
            read_files: set[str] = set()
            read_folders: set[str] = set()
            for name, _recorded in outcome.inputs:
                kind, _, path = name.partition(":")
                full = os.path.normpath(os.path.join(run.copy.base_cwd, path))
                (read_files if kind == "file" else read_folders).add(full)
            known = (outcome, read_files, read_folders)
            run.reads[id(outcome)] = known
        if not outcome.inputs or known[1] & files or known[2] & folders:
            del run.memo[signature]
            run.reads.pop(id(outcome), None)


@dataclass(slots=True)
class _Priced:
    """One commit's analysis with its figures taken once: the engine's total and each cost."""

    rooted: RootedAnalysis
    total: float
    costs: dict[tuple[str, str], float | None]

    @classmethod
    def of(cls, rooted: RootedAnalysis) -> _Priced:
        costs = {key: c.monthly_cost for key, c in rooted.costs.items()}
        return cls(rooted, rooted.analysis.monthly_cost, costs)


def _point(
    run: _Run,
    commit: Commit,
    priced: _Priced | None,
    config: Config | None,
    errors: list[str],
    incomplete: bool,
    before: _Priced | None,
    baseline_known: bool,
) -> Point:
    """The figures of one commit, and its movers against `before` (the commit before it)."""
    from advisor.iac.files import is_template_candidate
    from advisor.report.common import rel

    if priced is None:
        return Point(commit, None, errors=errors, incomplete=True)
    a = priced.rooted.analysis
    point = Point(commit, priced.total, errors=list(errors), incomplete=incomplete)
    point.resources = len(a.costs) + len(a.not_priced)
    point.findings = len(a.findings)
    point.savings = a.monthly_savings
    point.unknown_prices = sum(1 for v in priced.costs.values() if v is None)
    point.not_priced = len(a.not_priced)
    point.unit = config.unit() if config is not None else None
    point.notes = list(a.notes)
    for e in a.errors:
        if e.incomplete:
            where = rel(run.copy.real(e.path)) + (f":{e.span.line + 1}" if e.span else "")
            point.errors.append(f"{where}: {e.message}")
    sums: dict[str, float] = {}
    services: dict[str, float] = {}
    for key, c in priced.rooted.costs.items():
        cost = priced.costs[key] or 0.0
        root = c.root or os.path.dirname(c.path)
        sums[root] = sums.get(root, 0.0) + cost
        service = service_of(c.type)
        services[service] = services.get(service, 0.0) + cost
    point.groups = sorted(
        (
            Group(
                _kind(os.path.join(run.copy.base_cwd, root), is_template_candidate),
                rel(run.copy.real(root)),
                round(cost, 2),
            )
            for root, cost in sums.items()
        ),
        key=lambda g: (-g.monthly_cost, g.name),
    )
    point.services = {k: round(v, 2) for k, v in sorted(services.items(), key=lambda kv: (-kv[1], kv[0]))}
    if before is not None or baseline_known:
        point.delta = round(priced.total - (before.total if before is not None else 0.0), 2)
        if abs(point.delta) >= 0.005:
            moved = _movers(priced, before)
            top = run.args.top if run.args.top is not None else TOP_MOVERS
            point.movers = [_placed(c, run.copy) for c in moved[:top]]
    return point


def _kind(root: str, is_template: Callable[[str], bool]) -> str:
    """A group's kind: a CloudFormation stack (template), a Terragrunt root or a root module."""
    if is_template(root):
        return "stack"
    return "terragrunt" if os.path.isfile(os.path.join(root, "terragrunt.hcl")) else "module"


def _movers(after: _Priced, before: _Priced | None) -> list[ResourceChange]:
    """The resources whose monthly cost moved (added, removed or changed), largest move first; a
    resource with an unknown price on either side moves nothing that can be counted, so is left out."""
    from advisor.diff import ResourceChange

    previous = before.costs if before is not None else {}
    current = after.costs
    out: list[ResourceChange] = []
    for key in set(previous) | set(current):
        old, new = previous.get(key, 0.0), current.get(key, 0.0)
        if old is None or new is None:
            continue
        delta = round(new - old, 2)
        if abs(delta) < 0.005:
            continue
        if key in current:
            cost = after.rooted.costs[key]
            change = "changed" if key in previous else "added"
        else:
            assert before is not None
            cost = before.rooted.costs[key]
            change = "removed"
        out.append(
            ResourceChange(
                change,  # type: ignore[arg-type]
                key[0],
                key[1],
                cost.type,
                cost.path,
                cost.line,
                round(old, 2),
                round(new, 2),
                True,
                delta,
            )
        )
    out.sort(key=lambda c: (-abs(c.delta or 0.0), c.root, c.address))
    return out


def _same(path: str) -> str:
    return path


def _placed(change: ResourceChange, copy: BaseCopy) -> ResourceChange:
    from dataclasses import replace

    return replace(change, root=copy.real(change.root), path=copy.real(change.path))


@contextmanager
def _copy_folder(root: str, cwd: str, store: bool) -> Iterator[str]:
    """Where the commits are laid out: with the disk store, a folder of this user's cache that stays in
    place from run to run (module outcomes are stored under the folders they were analysed in, so a
    second history of the same repository reuses them all); else, or when another run holds it, a
    temporary folder. Emptied before use either way."""
    import hashlib
    import shutil

    if store:
        from advisor.paths import UnsafeFolder, private_folder

        name = hashlib.sha256(f"{root}\0{cwd}".encode("utf-8", "surrogateescape")).hexdigest()[:24]
        try:
            private_folder("history")  # each level 0700 (mkdir gives 0700 to the last one only)
            folder = private_folder("history", name)
            lock = open(os.path.join(folder, ".lock"), "a")  # noqa: SIM115 (held for the whole run)
        except (UnsafeFolder, OSError):
            folder = None
        if folder is not None:
            try:
                import fcntl

                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except (ImportError, OSError):  # another history of the same repository is running
                lock.close()
            else:
                try:
                    copy = os.path.join(folder, "copy")
                    shutil.rmtree(copy, ignore_errors=True)
                    os.mkdir(copy, 0o700)
                    yield os.path.realpath(copy)
                    return
                finally:
                    lock.close()
    with tempfile.TemporaryDirectory(prefix="advisor-history-") as tmp:
        yield tmp


def run_history(args: argparse.Namespace) -> History:
    """Analyse each commit of the range, oldest first, with the commit before the range as baseline."""
    from advisor.diff import DiffError, layout, repo_root
    from advisor.gitread import TreeCopy, iac_path

    paths: list[str] = list(args.paths) or ["."]
    cwd = os.path.realpath(os.getcwd())
    start = paths[0] if os.path.isdir(paths[0]) else (os.path.dirname(paths[0]) or ".")
    try:
        root = repo_root(start if os.path.isdir(start) else ".")
    except DiffError as exc:
        raise HistoryError(str(exc)) from None
    revision = args.range or "HEAD"
    if args.max_commits is not None and args.max_commits < 1:
        raise HistoryError("--max-commits must be at least 1")
    commits = list(reversed(list_commits(root, revision, args.since, args.max_commits)))
    history = History(paths, revision)
    if not commits:
        history.notes.append(f"no commits in {revision}" + (f" since {args.since}" if args.since else ""))
        return history
    shallow = shallow_commits(root)
    fixed = None
    if args.config:
        from advisor.cli import load_config_for

        fixed = load_config_for(args)
    store = os.environ.get("ADVISOR_NO_CACHE", "") in ("", "0")
    with _copy_folder(root, cwd, store) as tmp:
        copy = layout(os.path.realpath(tmp), root, cwd)
        mirrored = copy.mirror_all(paths)
        if isinstance(mirrored, str):
            raise HistoryError(f"{mirrored} is outside the git repository at {root}")
        base_paths, scopes = mirrored
        tree = TreeCopy(root, copy.base_root, lambda path: iac_path(path, scopes))
        run = _Run(args, copy, tree, base_paths, fixed)
        oldest = commits[0]
        before: _Priced | None = None
        baseline_known = not oldest.parents and oldest.id not in shallow  # a root commit starts from $0
        if oldest.id in shallow:
            history.notes.append(
                f"shallow clone: the commits before {oldest.id[:12]} ({oldest.date[:10]}) are not in this "
                "clone, so its change is unknown and older history is not shown (fetch them with "
                "`git fetch --unshallow`, or check out with fetch-depth: 0)"
            )
        elif oldest.parents:
            rooted, _config, _errors, incomplete = _analyse(run, oldest.parents[0])
            history.analysed += 1
            if rooted is not None and not incomplete:
                before, baseline_known = _Priced.of(rooted), True
            else:
                history.notes.append(f"the commit before {oldest.id[:12]} could not be analysed completely")
        for commit in commits:
            rooted, config, errors, incomplete = _analyse(run, commit.id)
            history.analysed += 1
            priced = _Priced.of(rooted) if rooted is not None else None
            point = _point(run, commit, priced, config, errors, incomplete, before, baseline_known)
            history.points.append(point)
            before, baseline_known = priced, priced is not None
            if args.progress:
                sys.stderr.write(f"\radvisor: {history.analysed} commits analysed")
        if args.progress:
            sys.stderr.write("\n")
    if getattr(args, "metrics", None):
        history.months = unit_months(history.points, read_metrics(args.metrics))
    return history


# -- business figures ----------------------------------------------------------------------------------
def read_metrics(path: str) -> list[tuple[str, float, float | None]]:
    """`month,units[,revenue]` rows (a header line first); months as YYYY-MM."""
    import re

    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError) as exc:
        raise HistoryError(f"--metrics: cannot read {path}: {exc}") from None
    if not rows:
        raise HistoryError(f"--metrics: {path} is empty")
    header = [h.strip().lower() for h in rows[0]]
    if header[:2] != ["month", "units"] or header[2:] not in ([], ["revenue"]):
        raise HistoryError(f"--metrics: {path}:1: the header must be month,units or month,units,revenue")
    out: list[tuple[str, float, float | None]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = [c.strip() for c in row]
        try:
            month = cells[0]
            if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
                raise ValueError(f"month {month!r} is not YYYY-MM")
            units = float(cells[1])
            revenue = float(cells[2]) if len(cells) > 2 and cells[2] else None
            if units <= 0 or (revenue is not None and revenue <= 0):
                raise ValueError("units and revenue must be positive")
        except (ValueError, IndexError) as exc:
            raise HistoryError(f"--metrics: {path}:{number}: {printable(str(exc))}") from None
        out.append((month, units, revenue))
    return sorted(out)


def _month_end(month: str) -> str:
    """The first instant after `month`, as an ISO date to compare commit dates against."""
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year + 1:04d}-01-01" if mon == 12 else f"{year:04d}-{mon + 1:02d}-01"


def unit_months(points: list[Point], metrics: list[tuple[str, float, float | None]]) -> list[Month]:
    """Cost per unit and share of revenue for each month, the cost being the total at the month's end.

    A month is marked `outgrew` when its cost grew faster than the business: its cost per unit rose
    against the month before (the cost grew by a larger share than the units did).
    """
    from datetime import datetime, timezone

    def utc_day(date: str) -> str:
        return datetime.fromisoformat(date).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")

    dated = [(utc_day(p.commit.date), p) for p in points if p.total is not None]
    months: list[Month] = []
    for month, units, revenue in metrics:
        end = _month_end(month)
        last = [p for day, p in dated if day < end]
        point = last[-1] if last else None
        cost = point.total if point is not None else None
        m = Month(month, units, revenue, cost, point.commit.id if point else None)
        if cost is not None:
            m.cost_per_unit = cost / units
            m.revenue_share = cost / revenue if revenue else None
        if months and months[-1].cost is not None and cost is not None:
            prev = months[-1]
            m.cost_growth = (cost / prev.cost - 1) * 100 if prev.cost else None
            m.units_growth = (units / prev.units - 1) * 100
            if prev.cost_per_unit is not None and m.cost_per_unit is not None:
                m.outgrew = m.cost_per_unit > prev.cost_per_unit * (1 + 1e-9)
        months.append(m)
    return months


# -- reports -------------------------------------------------------------------------------------------
def money(x: float | None) -> str:
    from advisor.budget import money as fmt

    return fmt(x)


def signed(x: float | None) -> str:
    from advisor.budget import signed as fmt

    return fmt(x)


def sparkline(values: list[float | None]) -> str:
    """One block character per value, low to high; a space for an unknown one."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        else:
            out.append(SPARKS[0] if span <= 0 else SPARKS[round((v - low) / span * (len(SPARKS) - 1))])
    return "".join(out)


def _change_json(c: ResourceChange) -> dict[str, Any]:
    from advisor.report.common import rel

    return {
        "change": c.change,
        "address": c.address,
        "type": c.type,
        "module": rel(c.root),
        "path": rel(c.path),
        "line": c.line + 1,
        "monthly_cost_before": c.before,
        "monthly_cost_after": c.after,
        "monthly_delta": c.delta,
    }


def point_json(p: Point) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "commit": p.commit.id,
        "author": p.commit.author,
        "date": p.commit.date,
        "subject": p.commit.subject,
        "monthly_cost": p.total,
        "monthly_delta": p.delta,
        "resources": p.resources,
        "findings": p.findings,
        "monthly_savings": p.savings,
        "unknown_prices": p.unknown_prices,
        "not_priced": p.not_priced,
        "groups": [{"kind": g.kind, "name": g.name, "monthly_cost": g.monthly_cost} for g in p.groups],
        "services": [{"service": k, "monthly_cost": v} for k, v in p.services.items()],
        "movers": [_change_json(c) for c in p.movers],
        "incomplete": p.incomplete,
        "errors": p.errors,
        "notes": p.notes,
    }
    if p.unit is not None:
        doc["unit"] = {"name": p.unit[0], "monthly_volume": p.unit[1], "cost_per_unit": p.unit_cost}
    return doc


def month_json(m: Month) -> dict[str, Any]:
    return {
        "month": m.month,
        "units": m.units,
        "revenue": m.revenue,
        "monthly_cost": m.cost,
        "commit": m.commit,
        "cost_per_unit": m.cost_per_unit,
        "cost_share_of_revenue": m.revenue_share,
        "cost_growth_percent": None if m.cost_growth is None else round(m.cost_growth, 2),
        "units_growth_percent": None if m.units_growth is None else round(m.units_growth, 2),
        "cost_outgrew_business": m.outgrew,
    }


def render_json(history: History, region: str) -> str:
    """Version 1: commits[] oldest first, each with totals, groups, services, findings and movers."""
    from advisor import __version__
    from advisor.report.json_report import pricing_info

    doc: dict[str, Any] = {
        "version": 1,
        "tool": {"name": "advisor", "version": __version__},
        "revision": history.revision,
        "pricing": pricing_info(region),
        "commits": [point_json(p) for p in history.points],
        "notes": history.notes,
        "incomplete": history.incomplete,
    }
    if history.months:
        doc["months"] = [month_json(m) for m in history.months]
    return json_text(doc)


def _csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: no formula from a subject, an author or a name."""
    if isinstance(value, str):
        value = printable(value)
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value


def render_csv(history: History) -> str:
    """Long format, one row per figure: kind is total, module, stack, service, mover or month."""
    from advisor.report.common import rel

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["commit", "date", "author", "subject", "kind", "name", "monthly_cost", "monthly_delta", "findings",
         "monthly_savings", "cost_per_unit"]
    )  # fmt: skip
    for p in history.points:
        c = p.commit
        head = [c.id, c.date, c.author, c.subject]
        rows: list[list[Any]] = [
            ["total", "", p.total, p.delta, p.findings, p.savings, p.unit_cost],
            *[[g.kind, g.name, g.monthly_cost, "", "", "", ""] for g in p.groups],
            *[["service", k, v, "", "", "", ""] for k, v in p.services.items()],
            *[["mover", f"{rel(m.root)}: {m.address}", m.after, m.delta, "", "", ""] for m in p.movers],
        ]
        for row in rows:
            writer.writerow([_csv_cell(v) for v in [*head, *row]])
    for m in history.months:
        writer.writerow(
            [_csv_cell(v) for v in [m.commit or "", m.month, "", "", "month", f"{m.units:g} units", m.cost,
                                    "", "", "", m.cost_per_unit]]
        )  # fmt: skip
    return out.getvalue()


def render_text(history: History) -> str:
    """A compact table (newest first), the trend as a sparkline, then the movers of each change."""
    from advisor.report.common import rel

    out: list[str] = []
    points = history.points
    if not points:
        out += [f"note: {n}" for n in history.notes] or ["No commits."]
        return "".join(printable(line) + "\n" for line in out)
    unit = next((p.unit for p in reversed(points) if p.unit is not None), None)
    header = ["Date", "Commit", "Total/mo", "Change", "Findings", "Savings/mo"]
    if unit is not None:
        header.append(f"Per {unit[0]}")
    header += ["Author", "Subject"]
    rows = []
    for p in reversed(points):
        total = "error" if p.total is None else money(p.total) + ("*" if p.incomplete else "")
        row = [
            p.commit.date[:10],
            p.commit.id[:12],
            total,
            "?" if p.delta is None else signed(p.delta),
            str(p.findings),
            money(p.savings),
        ]
        if unit is not None:
            row.append("" if p.unit_cost is None else f"${p.unit_cost:.6f}")
        row += [_short(p.commit.author, 20), _short(p.commit.subject, 60)]
        rows.append([printable(cell) for cell in row])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    numeric = {2, 3, 4, 5} | ({6} if unit is not None else set())

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    first, last = points[0], points[-1]
    out.append(
        f"Monthly cost at {len(points)} commits of {history.revision} "
        f"({first.commit.date[:10]} to {last.commit.date[:10]}), newest first:"
    )
    out.append(line(header))
    out += [line(r) for r in rows]
    totals = [p.total for p in points]
    known = [t for t in totals if t is not None]
    if known:
        out.append("")
        out.append(f"Trend, oldest to newest: {sparkline(totals)}  {money(known[0])} to {money(known[-1])}")
    if last.groups:
        out.append("")
        out.append(f"By root module / stack at {last.commit.id[:12]}:")
        width = max(len(g.name) for g in last.groups)
        out += [f"  {g.name.ljust(width)}  {money(g.monthly_cost):>12}  ({g.kind})" for g in last.groups]
    if last.services:
        out.append(f"By service at {last.commit.id[:12]}:")
        width = max(len(s) for s in last.services)
        out += [f"  {s.ljust(width)}  {money(v):>12}" for s, v in last.services.items()]
    moved = [p for p in reversed(points) if p.movers]
    if moved:
        out.append("")
        out.append("What moved the total:")
        for p in moved:
            c = p.commit
            who = f"{c.id[:12]} {c.date[:10]} {_short(c.author, 30)}"
            out.append(f"{who}: {_short(c.subject, 70)}  {signed(p.delta)}")
            sign = {"added": "+", "removed": "-", "changed": "~"}
            for m in p.movers:
                name = f"{rel(m.root)}: {m.address}"
                moved_by = f"{money(m.before)} -> {money(m.after)}  {signed(m.delta)}"
                out.append(f"    {sign[m.change]} {name}  {moved_by}")
    if history.months:
        out.append("")
        out.append("Unit economics by month (cost at the month's end):")
        out.append("  Month    Units         Cost/mo      Per unit    Share of revenue")
        for mo in history.months:
            share = "" if mo.revenue_share is None else f"{mo.revenue_share * 100:.2f}%"
            per = "" if mo.cost_per_unit is None else f"${mo.cost_per_unit:.6f}"
            flag = "  <- cost grew faster than the business" if mo.outgrew else ""
            out.append(f"  {mo.month}  {mo.units:>12,.0f}  {money(mo.cost):>12}  {per:>11}  {share:>8}{flag}")
    for p in points:
        for e in p.errors:
            out.append(f"error at {p.commit.id[:12]}: {e}")
    out += [f"note at {last.commit.id[:12]}: {n}" for n in last.notes]
    if history.incomplete:
        out.append("* incomplete: that commit's total leaves out what its errors name.")
    out += [f"note: {n}" for n in history.notes]
    return "".join(printable(line) + "\n" for line in out)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def cli_history(args: argparse.Namespace) -> int:
    """The `advisor history` command: exit 0, 2 on a usage or git error, 3 when a commit is incomplete."""
    from advisor.cli import EXIT_ERROR, EXIT_INCOMPLETE, EXIT_OK, _write
    from advisor.config import Config

    for p in args.paths:
        if not os.path.exists(p):
            sys.stderr.write(printable(f"advisor: no such file or folder: {p}") + "\n")
            return EXIT_ERROR
    try:
        history = run_history(args)
    except HistoryError as exc:
        sys.stderr.write(printable(f"advisor: {exc}") + "\n")
        return EXIT_ERROR
    region = args.region or Config().region or "us-east-1"
    if args.format == "json":
        text = render_json(history, region)
    elif args.format == "csv":
        text = render_csv(history)
    elif args.format == "html":
        from advisor.report.html import ReportUnavailable, render_history_page

        try:
            text = render_history_page(history, region)
        except ReportUnavailable as exc:
            sys.stderr.write(f"advisor: {exc}\n")
            return EXIT_ERROR
    else:
        text = render_text(history)
    _write(text, args.output)
    for n in history.notes:
        if args.format != "text":
            sys.stderr.write(printable(f"advisor: note: {n}") + "\n")
    if history.incomplete:
        sys.stderr.write("advisor: analysis incomplete at some commits, exit code 3 (see their errors)\n")
        return EXIT_INCOMPLETE
    return EXIT_OK
