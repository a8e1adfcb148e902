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

This module computes the `History`; `report/history_report.py` writes it as text, CSV or JSON,
`report/html.py` as a page, and `commands.cli_history` is the command.
"""

from __future__ import annotations

import argparse
import csv
import functools
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from advisor.display import printable, rel

if TYPE_CHECKING:
    from advisor.budget import RootedAnalysis
    from advisor.config import Config
    from advisor.diff import BaseCopy, ResourceChange
    from advisor.engine import Analysis, Session
    from advisor.gitread import TreeCopy

TOP_MOVERS = 5

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
    usage_only: bool = False  # every line of every resource bills by usage: "depends on usage"


@dataclass(slots=True)
class Point:
    """The state of the IaC at one commit, and what moved its total since the commit before."""

    commit: Commit
    total: float | None  # None: the commit could not be analysed (see `errors`)
    delta: float | None = None  # None for the first commit when the one before it is not in the clone
    groups: list[Group] = field(default_factory=list)
    services: dict[str, float] = field(default_factory=dict)
    usage_only_services: set[str] = field(default_factory=set)  # services priced only by usage
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
    memo: dict[str, Analysis] = field(default_factory=dict)
    reads: dict[int, tuple[Analysis, set[str], set[str]]] = field(default_factory=dict)
    config: Config | None = None
    session: Session = field(default_factory=lambda: _new_session())  # one for the whole history


def _new_session() -> Session:
    from advisor.engine import Session

    return Session()


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
        if getattr(run.args, "usage_file", None):  # the same figures at every commit, as --config
            from advisor.batch import apply_usage_file

            apply_usage_file(run.configs[key], run.args.usage_file)
    return run.configs[key]


def _inside(path: str, folder: str) -> bool:
    path = os.path.abspath(path)
    return path == folder or path.startswith(folder + os.sep)


def _analyse(run: _Run, commit: str) -> tuple[RootedAnalysis | None, Config | None, list[str], bool]:
    """(the analysis of `commit`, its config, errors said as text, incomplete) after moving the copy."""
    from advisor.batch import options_for
    from advisor.budget import RootedAnalysis
    from advisor.config import ConfigError
    from advisor.diff import base_var_file, working_directory
    from advisor.engine import Analysis, analyze_paths
    from advisor.gitread import GitError

    try:
        changed, problems = run.tree.move_to(commit)
    except GitError as exc:
        run.memo.clear()
        return None, None, [f"cannot read the tree: {exc}"], True
    _forget_changed(run, changed, run.tree.added_or_gone)
    errors = [f"{path}: {why}" for path, why in problems]
    with working_directory(run.copy.base_cwd):
        try:
            config = _config_for(run)
        except ConfigError as exc:
            return None, None, [*errors, f"configuration: {exc}"], True
        options = options_for(run.args, config)
        options.session = run.session  # parses and prices of one commit serve the next
        options.resource_bodies = False
        options.var_files = [base_var_file(v, run.copy) for v in options.var_files]
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
    usage_roots: dict[str, bool] = {}
    usage_services: dict[str, bool] = {}
    for key, c in priced.rooted.costs.items():
        cost = priced.costs[key] or 0.0
        root = c.root or os.path.dirname(c.path)
        sums[root] = sums.get(root, 0.0) + cost
        usage_roots[root] = usage_roots.get(root, True) and c.usage_only
        service = service_of(c.type)
        services[service] = services.get(service, 0.0) + cost
        usage_services[service] = usage_services.get(service, True) and c.usage_only
    point.groups = sorted(
        (
            Group(
                root_kind(os.path.join(run.copy.base_cwd, root), is_template_candidate),
                rel(run.copy.real(root)),
                round(cost, 2),
                usage_roots[root] and cost == 0,
            )
            for root, cost in sums.items()
        ),
        key=lambda g: (-g.monthly_cost, g.name),
    )
    point.services = {k: round(v, 2) for k, v in sorted(services.items(), key=lambda kv: (-kv[1], kv[0]))}
    point.usage_only_services = {k for k, only in usage_services.items() if only and services[k] == 0}
    if before is not None or baseline_known:
        point.delta = round(priced.total - (before.total if before is not None else 0.0), 2)
        if abs(point.delta) >= 0.005:
            moved = _movers(priced, before)
            top = run.args.top if run.args.top is not None else TOP_MOVERS
            point.movers = [_placed(c, run.copy) for c in moved[:top]]
    return point


def root_kind(root: str, is_template: Callable[[str], bool]) -> str:
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
    if getattr(args, "usage_file", None):  # read from here, not from the commits' copies
        args.usage_file = os.path.abspath(args.usage_file)
    if args.config:
        from advisor.batch import load_config_for

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
