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
from advisor.lsp.analysis import Analyzer, ModuleResult, Unit, compute, unit_of

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
            "cancelled": self.cancelled,
            "errors": self.errors,
            "refused": self.refused,
        }


def _totals(results: list[tuple[Unit, ModuleResult]]) -> tuple[int, float]:
    """Findings and monthly cost of the scanned tree, counted as `advisor cost` and `advisor lint`
    count them (`engine.analyze_paths`): a folder that another module calls is counted through that
    call, with its real inputs, not again as a root of its own; a finding seen by two analyses once."""
    from advisor.iac.files import is_terraform_file

    called: set[str] = set()
    for unit, result in results:
        for path in result.outcome.files:
            folder = os.path.dirname(os.path.normpath(path))
            plan_beside = unit.template is not None and is_terraform_file(path)
            if plan_beside or (unit.template is None and folder != unit.directory):
                called.add(folder)
    seen: set[tuple[Any, ...]] = set()
    cost = 0.0
    for unit, result in results:
        if unit.template is None and unit.directory in called:
            continue
        cost += sum(c.monthly_cost or 0.0 for c in result.outcome.costs)
        for f in result.outcome.findings:
            seen.add(
                (f.rule, f.span.path, f.span.start, f.span.end, f.span.line, "" if f.resource else f.message)
            )
    return len(seen), cost


class Scanner:
    def __init__(
        self, analyzer: Analyzer, publish: Callable[[str, int | None, list[convert.Json]], None]
    ) -> None:
        self.analyzer = analyzer
        self.publish = publish
        self.pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="advisor-scan")
        self.published: set[str] = set()  # URIs the last scan left with diagnostics

    async def scan(
        self,
        folders: list[str],
        report: Callable[[str, int], None],
        cancelled: Callable[[], bool],
    ) -> ScanSummary:
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
        results: list[tuple[Unit, ModuleResult]] = []
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
        summary.findings, summary.monthly_cost = _totals(results)
        if not summary.cancelled:
            for uri in sorted(self.published - touched):
                if self.analyzer.docs.get(uri) is None:
                    self.publish(uri, None, [])
            self.published = now
        else:
            self.published |= now
        return summary

    async def _analyse(self, unit: Unit, cancelled: Callable[[], bool]) -> ModuleResult | None:
        async with self.analyzer.lock_for(unit.key):
            snap = self.analyzer.snapshot(unit)
            snap.cancelled = cancelled
            try:
                return await asyncio.get_running_loop().run_in_executor(self.pool, compute, snap)
            except Exception:
                log.exception("scan of %s failed", unit.key)
                return None

    def _publish(self, unit: Unit, result: ModuleResult, now: set[str], touched: set[str]) -> int:
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
