"""`advisor.scanWorkspace`: analyse every module under the workspace folders and publish diagnostics
for every IaC file, with progress per module and cancellation between modules.

Runs on its own worker thread so typing elsewhere keeps getting diagnostics; a module the editor is
analysing at the same moment waits for it (one analysis per module at a time).
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


@dataclass(slots=True)
class ScanSummary:
    modules: int = 0
    scanned: int = 0
    files: int = 0
    findings: int = 0
    monthly_cost: float = 0.0
    cancelled: bool = False
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "modules": self.modules,
            "scanned": self.scanned,
            "files": self.files,
            "findings": self.findings,
            "monthly_cost": round(self.monthly_cost, 2),
            "cancelled": self.cancelled,
            "errors": self.errors,
        }


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
        from advisor.engine import discover, module_roots
        from advisor.iac.files import is_template_candidate

        loop = asyncio.get_running_loop()
        files, errors = await loop.run_in_executor(self.pool, discover, folders)
        units = [Unit(root, root) for root in module_roots(files)]
        units += [u for f in files if is_template_candidate(f) and (u := unit_of(f)) is not None]
        summary = ScanSummary(modules=len(units), errors=[f"{e.path}: {e.message}" for e in errors])
        now: set[str] = set()  # URIs published with diagnostics by this scan
        touched: set[str] = set()  # every URI this scan published, empty or not
        for i, unit in enumerate(units):
            if cancelled():
                summary.cancelled = True
                break
            where = os.path.relpath(unit.key, folders[0]) if folders else unit.key
            report(f"{where} ({i + 1}/{len(units)})", int(i * 100 / max(len(units), 1)))
            # shielded: cancelling the request must not release the unit's lock mid-run
            result = await asyncio.shield(asyncio.ensure_future(self._analyse(unit)))
            if result is None:
                summary.errors.append(f"{unit.key}: analysis failed (see the log)")
                continue
            summary.scanned += 1
            summary.findings += sum(
                1 for f in result.outcome.findings if unit.owns(os.path.normpath(f.span.path))
            )
            summary.monthly_cost += sum(
                c.monthly_cost or 0.0 for c in result.outcome.costs if unit.owns(os.path.normpath(c.path))
            )
            summary.files += self._publish(unit, result, now, touched)
        if not summary.cancelled:
            for uri in sorted(self.published - touched):
                if self.analyzer.docs.get(uri) is None:
                    self.publish(uri, None, [])
            self.published = now
        else:
            self.published |= now
        return summary

    async def _analyse(self, unit: Unit) -> ModuleResult | None:
        async with self.analyzer.lock_for(unit.key):
            snap = self.analyzer.snapshot(unit)
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
