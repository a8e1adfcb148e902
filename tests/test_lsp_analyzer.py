"""The analysis scheduler in-process, with a slow stand-in for the engine: one run per module at a
time, bursts coalesced, stale versions never published, closed modules forgotten."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from advisor.engine import Options
from advisor.lsp import analysis
from advisor.lsp.analysis import Analyzer, ModuleView, Snapshot, unit_of
from advisor.lsp.documents import DocumentStore


class SlowEngine:
    """Replaces `compute`: sleeps, and records how many runs of one unit overlap."""

    def __init__(self, seconds: float = 0.05) -> None:
        self.seconds = seconds
        self.lock = threading.Lock()
        self.active: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.runs: list[dict[str, int]] = []

    def __call__(self, snap: Snapshot) -> ModuleView:
        key = snap.unit.key
        with self.lock:
            self.active[key] = self.active.get(key, 0) + 1
            self.peak[key] = max(self.peak.get(key, 0), self.active[key])
            self.runs.append(dict(snap.versions))
        time.sleep(self.seconds)
        with self.lock:
            self.active[key] -= 1
        outcome: Any = type("Outcome", (), {"findings": [], "resources": [], "costs": [], "files": []})()
        diags = {p: [{"message": f"v{v}"}] for p, v in snap.versions.items()}
        return ModuleView(snap.unit, outcome, dict(snap.versions), {}, diags, self.seconds, snap.generation)


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> SlowEngine:
    fake = SlowEngine()
    monkeypatch.setattr(analysis, "compute", fake)
    return fake


def make(tmp_path: Path) -> tuple[Analyzer, DocumentStore, list[tuple[str, int | None, list[Any]]]]:
    docs = DocumentStore()
    published: list[tuple[str, int | None, list[Any]]] = []
    analyzer = Analyzer(
        docs, lambda d: Options(), lambda u, v, d: published.append((u, v, d)), lambda r: None
    )
    analyzer.ready.set()
    return analyzer, docs, published


async def test_one_run_per_module_and_bursts_coalesce(tmp_path: Path, engine: SlowEngine) -> None:
    analyzer, docs, published = make(tmp_path)
    a = docs.open((tmp_path / "a" / "main.tf").as_uri(), 1, "")
    b = docs.open((tmp_path / "a" / "vars.tf").as_uri(), 1, "")
    c = docs.open((tmp_path / "c" / "main.tf").as_uri(), 1, "")
    assert a.path and b.path and c.path
    unit_a, unit_c = unit_of(a.path), unit_of(c.path)
    assert unit_a is not None and unit_c is not None and unit_a == unit_of(b.path)
    for v in range(2, 60):
        a.version = v
        analyzer.schedule(unit_a, 0.0)
        analyzer.schedule(unit_c, 0.0)
        await asyncio.sleep(0.002)
    result = await analyzer.fresh(a, timeout=5)
    assert result is not None and result.versions[a.path] == 59
    assert engine.peak[unit_a.key] == 1  # never two runs of one module at once
    assert len([r for r in engine.runs if a.path in r]) < 20  # 58 changes, a handful of runs
    # only versions current at publication time were published for the open buffer
    versions = [v for uri, v, _ in published if uri == a.uri]
    assert versions == sorted(versions) and versions[-1] == 59
    analyzer.shutdown()


async def test_a_result_for_a_stale_version_is_dropped(tmp_path: Path, engine: SlowEngine) -> None:
    engine.seconds = 0.1
    analyzer, docs, published = make(tmp_path)
    doc = docs.open((tmp_path / "main.tf").as_uri(), 1, "")
    assert doc.path is not None
    unit = unit_of(doc.path)
    assert unit is not None
    analyzer.schedule(unit, 0.0)
    await asyncio.sleep(0.03)  # the run for version 1 is now in the worker
    doc.version = 2  # ... and the editor moves on before it finishes
    await asyncio.sleep(0.15)
    assert [v for _, v, _ in published] == []  # version 1's result was not published
    await analyzer.fresh(doc, timeout=5)
    assert [v for _, v, _ in published] == [2]
    analyzer.shutdown()


async def test_closing_the_last_document_forgets_the_module(tmp_path: Path, engine: SlowEngine) -> None:
    analyzer, docs, _ = make(tmp_path)
    doc = docs.open((tmp_path / "main.tf").as_uri(), 1, "")
    await analyzer.fresh(doc, timeout=5)
    assert analyzer.modules
    docs.close(doc.uri)
    analyzer.closed(doc)
    assert analyzer.modules == {}
    analyzer.shutdown()


def test_units() -> None:
    tf = unit_of("/w/app/main.tf")
    assert tf is not None and tf.key == "/w/app" and tf.template is None
    assert unit_of("/w/app/terraform.tfvars") == tf and unit_of("/w/app/x.tf.json") == tf
    cfn = unit_of("/w/app/stack.yaml")
    assert cfn is not None and cfn.key == "/w/app/stack.yaml" and cfn.template == "/w/app/stack.yaml"
    assert (
        tf.owns("/w/app/variables.tf") and not tf.owns("/w/app/stack.yaml") and not tf.owns("/w/other/x.tf")
    )
    assert cfn.owns("/w/app/stack.yaml") and not cfn.owns("/w/app/main.tf")
    assert unit_of("/w/README.md") is None


async def test_an_engine_failure_is_shown_not_swallowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(snap: Snapshot) -> ModuleView:
        raise RuntimeError("boom")

    monkeypatch.setattr(analysis, "compute", broken)
    analyzer, docs, published = make(tmp_path)
    doc = docs.open((tmp_path / "main.tf").as_uri(), 1, "")
    result = await analyzer.fresh(doc, timeout=5)
    assert result is not None and result.versions == {doc.path: 1}
    ((uri, version, (diag,)),) = published
    assert uri == doc.uri and version == 1
    assert diag["code"] == "internal-error" and "RuntimeError: boom" in diag["message"]
    analyzer.shutdown()
