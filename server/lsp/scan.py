"""`advisor.scanWorkspace`: analyse every module under the workspace folders and publish diagnostics
for every IaC file, with progress per module.

Runs on its own worker thread so typing elsewhere keeps getting diagnostics; a module the editor is
analysing at the same moment waits for it (one analysis per module at a time).

Bounds. A folder that is not a project is refused as a whole, with a message: the root of a file
system, the user's home folder or a folder holding it, and the kernel's and runtime's folders
(`/proc`, `/sys`, `/dev`, `/run`). Discovery (`engine.discover`) stays inside the folders: links out of
them are reported, not followed, and only regular files are read. At most `MAX_SCAN_FILES` files and
`MAX_SCAN_BYTES` bytes are analysed; past either the scan says where it stopped. Cancelling (the
progress' cancel button or `$/cancelRequest`) stops the walk between folders and the analysis at its
next check point (`advisor.deadline`), and each module has the editor's time budget.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from advisor.lsp import convert
from advisor.lsp.analysis import Analyzer, ModuleView, Unit, compute, unit_of

log = logging.getLogger("advisor.lsp")

MAX_SCAN_FILES = 20_000
MAX_SCAN_BYTES = 512 * 1024 * 1024
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev", "/run")


def refused(folder: str) -> str | None:
    """Why `folder` is not scanned as a whole (None when it may be)."""
    real = os.path.realpath(folder)
    home = os.path.realpath(os.path.expanduser("~"))
    if real == os.path.dirname(real):
        what = "the root of the file system"
    elif real == home:
        what = "your home folder"
    elif home.startswith(real.rstrip(os.sep) + os.sep):
        what = "a folder that holds your home folder"
    elif any(real == s or real.startswith(s + "/") for s in SYSTEM_FOLDERS):
        what = "a system folder"
    else:
        return None
    return (
        f"{folder} is not scanned: it is {what}, not a project. Open the project's folder, or give the "
        "folders to scan as the command's arguments"
    )


def _discover(folders: list[str], cancelled: Callable[[], bool]) -> Any:
    """`engine.discover`, stopping between folders once `cancelled()` says so."""
    from advisor.deadline import bounded
    from advisor.engine import discover

    with bounded(cancelled=cancelled):
        return discover(folders)


def _within_bounds(files: list[str], errors: list[str]) -> list[str]:
    """The files a scan analyses: the first `MAX_SCAN_FILES` and `MAX_SCAN_BYTES` (in path order)."""
    total = 0
    for n, path in enumerate(files):
        try:
            total += os.lstat(path).st_size
        except OSError:
            continue  # reported where it is read
        if n >= MAX_SCAN_FILES or total > MAX_SCAN_BYTES:
            errors.append(
                f"the scan stopped at {path}: it analyses at most {MAX_SCAN_FILES:,} files and "
                f"{MAX_SCAN_BYTES // (1024 * 1024)} MB; {len(files) - n:,} files were left out "
                "(scan a smaller folder)"
            )
            return files[:n]
    return files


@dataclass(slots=True)
class ScanSummary:
    modules: int = 0
    scanned: int = 0
    files: int = 0
    findings: int = 0
    monthly_cost: float = 0.0
    unknown: int = 0  # resources with an unknown price, left out of monthly_cost (never counted as 0)
    cancelled: bool = False
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # folders not scanned, and why

    def as_dict(self) -> dict[str, Any]:
        return {
            "modules": self.modules,
            "scanned": self.scanned,
            "files": self.files,
            "findings": self.findings,
            "monthly_cost": round(self.monthly_cost, 2),
            "unknown": self.unknown,
            "cancelled": self.cancelled,
            "errors": self.errors,
            "refused": self.refused,
        }


def _counted(results: list[tuple[Unit, ModuleView]]) -> list[tuple[Unit, ModuleView]]:
    """The analyses that count: roots and templates, not a folder that another module calls (it
    counts through that call, with its real inputs), as `engine.analyze_paths` counts them."""
    from advisor.iac.files import is_terraform_file

    called: set[str] = set()
    for unit, result in results:
        for path in result.outcome.files:
            folder = os.path.dirname(os.path.normpath(path))
            plan_beside = unit.template is not None and is_terraform_file(path)
            if plan_beside or (unit.template is None and folder != unit.directory):
                called.add(folder)
    return [
        (u, r)
        for u, r in results
        if (u.template is not None and r.outcome.files)  # a YAML or JSON file that is a template
        or (u.template is None and u.directory not in called)
    ]


def _finding_key(f: Any) -> tuple[Any, ...]:
    # two Terragrunt roots running one module each have their finding there (the message names the root)
    once = f.resource and "(Terragrunt root " not in f.message
    return (f.rule, f.span.path, f.span.start, f.span.end, f.span.line, "" if once else f.message)


def cost_tree(results: list[tuple[Unit, ModuleView]], folders: list[str]) -> dict[str, Any]:
    """The workspace cost tree (the `advisor/costTree` request): workspace → root module or template
    → file → resource, each with its monthly cost (`None` when unknown, never 0) and finding count,
    from the analyses of the last scan, so that its totals are the scan's.

    A resource's findings are those on its block or naming its address; a file's and a root's are
    every finding in them, each counted once."""
    roots: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    total = 0.0
    unknown = 0
    for unit, result in _counted(results):
        outcome = result.outcome
        costs = {c.address: c for c in outcome.costs}
        not_priced = set(outcome.not_priced)
        by_file: dict[str, dict[str, Any]] = {}

        def file_node(path: str, nodes: dict[str, dict[str, Any]] = by_file) -> dict[str, Any]:
            path = os.path.normpath(path)
            node = nodes.get(path)
            if node is None:
                node = nodes[path] = {
                    "uri": convert.uri_for(path),
                    "name": _relative(path, folders),
                    "monthly_cost": 0.0,
                    "unknown": 0,
                    "findings": 0,
                    "resources": [],
                }
            return node

        findings = [f for f in outcome.findings if _finding_key(f) not in seen]
        seen.update(_finding_key(f) for f in findings)
        for f in findings:
            file_node(f.span.path)["findings"] += 1
        for r in outcome.resources:
            cost = costs.get(r.address)
            monthly = cost.monthly_cost if cost is not None else None
            if cost is not None:
                status = "priced" if monthly is not None else "unknown"
            elif r.address in not_priced:
                status = "not priced"
            else:
                status = "priced where used"  # a launch template: in the groups that launch it
            here = sum(
                1
                for f in findings
                if f.resource == r.address
                or (
                    os.path.normpath(f.span.path) == os.path.normpath(r.span.path)
                    and r.span.start <= f.span.start
                    and f.span.end <= r.span.end
                )
            )
            node = file_node(r.path)
            node["resources"].append(
                {
                    "address": r.address,
                    "type": r.type,
                    "line": r.span.line,
                    "monthly_cost": None if monthly is None else round(monthly, 2),
                    "status": status,
                    "findings": here,
                }
            )
            if monthly is not None:
                node["monthly_cost"] += monthly
            elif status == "unknown":
                node["unknown"] += 1
        files = sorted(by_file.values(), key=lambda n: n["name"])
        for node in files:
            node["monthly_cost"] = round(node["monthly_cost"], 2)
        root_cost = sum(n["monthly_cost"] for n in files)
        root_unknown = sum(n["unknown"] for n in files)
        roots.append(
            {
                "uri": convert.uri_for(unit.template or unit.directory),
                "name": _relative(unit.template or unit.directory, folders),
                "kind": "template" if unit.template is not None else "module",
                "monthly_cost": round(root_cost, 2),
                "unknown": root_unknown,
                "findings": len(findings),
                "files": files,
            }
        )
        total += root_cost
        unknown += root_unknown
    roots.sort(key=lambda n: n["name"])
    return {
        "monthly_cost": round(total, 2),
        "unknown": unknown,
        "findings": len(seen),
        "roots": roots,
    }


def _relative(path: str, folders: list[str]) -> str:
    for folder in folders:
        if path == folder or path.startswith(folder.rstrip(os.sep) + os.sep):
            return os.path.relpath(path, folder) if path != folder else os.path.basename(folder)
    return path


def _totals(results: list[tuple[Unit, ModuleView]]) -> tuple[int, float, int]:
    """Findings, monthly cost and resources of unknown price of the scanned tree, counted as
    `advisor cost` and `advisor lint` count them: the analyses that count (`_counted`), a finding
    seen by two analyses once."""
    seen: set[tuple[Any, ...]] = set()
    cost = 0.0
    unknown = 0
    for _, result in _counted(results):
        for c in result.outcome.costs:
            monthly = c.monthly_cost
            cost += monthly or 0.0
            unknown += monthly is None
        seen.update(_finding_key(f) for f in result.outcome.findings)
    return len(seen), cost, unknown


class Scanner:
    def __init__(
        self, analyzer: Analyzer, publish: Callable[[str, int | None, list[convert.Json]], None]
    ) -> None:
        self.analyzer = analyzer
        self.publish = publish
        self.pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="advisor-scan")
        self.published: set[str] = set()  # URIs the last scan left with diagnostics
        self.last_results: list[tuple[Unit, ModuleView]] = []  # a `keep` scan's, for the cost tree

    async def scan(
        self,
        folders: list[str],
        report: Callable[[str, int], None],
        cancelled: Callable[[], bool],
        keep: bool = False,
    ) -> ScanSummary:
        """Analyse and publish every module and template under `folders`. With `keep`, the analyses
        stay in `last_results` (for the cost tree) until the caller clears them."""
        from advisor.deadline import Cancelled
        from advisor.engine import module_roots
        from advisor.iac.files import is_template_candidate

        summary = ScanSummary()
        for folder in folders:
            if (why := refused(folder)) is not None:
                summary.refused.append(why)
        summary.errors += summary.refused
        folders = [f for f in folders if refused(f) is None]
        loop = asyncio.get_running_loop()
        try:
            files, errors = await loop.run_in_executor(self.pool, _discover, folders, cancelled)
        except Cancelled:
            summary.cancelled = True
            return summary
        summary.errors += [f"{e.path}: {e.message}" for e in errors]
        files = _within_bounds(files, summary.errors)
        units = [Unit(root, root) for root in module_roots(files)]
        units += [u for f in files if is_template_candidate(f) and (u := unit_of(f)) is not None]
        summary.modules = len(units)
        results: list[tuple[Unit, ModuleView]] = []
        now: set[str] = set()  # URIs published with diagnostics by this scan
        touched: set[str] = set()  # every URI this scan published, empty or not
        for i, unit in enumerate(units):
            if cancelled():
                summary.cancelled = True
                break
            where = os.path.relpath(unit.key, folders[0]) if folders else unit.key
            report(f"{where} ({i + 1}/{len(units)})", int(i * 100 / max(len(units), 1)))
            # shielded: cancelling the request must not release the unit's lock mid-run
            try:
                result = await asyncio.shield(asyncio.ensure_future(self._analyse(unit, cancelled)))
            except Cancelled:
                summary.cancelled = True
                break
            if result is None:
                summary.errors.append(f"{unit.key}: analysis failed (see the log)")
                continue
            summary.scanned += 1
            results.append((unit, result))
            summary.files += self._publish(unit, result, now, touched)
        summary.findings, summary.monthly_cost, summary.unknown = _totals(results)
        self.last_results = results if keep else []
        if not summary.cancelled:
            for uri in sorted(self.published - touched):
                if self.analyzer.docs.get(uri) is None:
                    self.publish(uri, None, [])
            self.published = now
        else:
            self.published |= now
        return summary

    async def _analyse(self, unit: Unit, cancelled: Callable[[], bool]) -> ModuleView | None:
        async with self.analyzer.lock_for(unit.key):
            snap = self.analyzer.snapshot(unit)
            snap.cancelled = cancelled
            try:
                return await asyncio.get_running_loop().run_in_executor(self.pool, compute, snap)
            except Exception:
                log.exception("scan of %s failed", unit.key)
                return None

    def _publish(self, unit: Unit, result: ModuleView, now: set[str], touched: set[str]) -> int:
        count = 0
        for path, diags in sorted(result.diagnostics.items()):
            if not unit.owns(path):
                continue
            count += 1
            doc = self.analyzer.docs.by_path(path)
            if doc is not None:
                if result.versions.get(path) == doc.version and self.analyzer.push:
                    self.publish(doc.uri, doc.version, diags)
                continue
            uri = convert.uri_for(path)
            self.publish(uri, None, diags)
            touched.add(uri)
            if diags:
                now.add(uri)
        return count

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
