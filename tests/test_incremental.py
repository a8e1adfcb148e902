"""What the language server reuses between keystrokes (the previous scan of each file, the items of
chunks that did not move, the price and comparison memos) never changes an answer: after every edit,
and after undoing it, the result equals a cold analysis of the same texts."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import pytest
from advisor.config import find_config, load_config
from advisor.engine import Analysis, ModuleJob, ModuleOutcome, Options, analyze_module, analyze_paths
from advisor.iac import hcl_parse
from advisor.pricing import memo
from advisor.rules import engine as rules_engine
from conftest import REPO

MAIN = os.path.join("examples", "compute", "main.tf")


def forget_everything() -> None:
    hcl_parse._cache.clear()
    hcl_parse._last.clear()
    memo._memo.clear()
    rules_engine._COMPARISONS.clear()


def facts(result: Analysis | ModuleOutcome) -> str:
    """Everything a user sees: findings (spans, messages, fixes, figures), costs, resources, errors."""
    errors = result.errors + getattr(result, "read_errors", [])
    return repr((result.findings, result.costs, result.resources, errors, result.not_priced, result.notes))


@pytest.fixture
def options(monkeypatch: pytest.MonkeyPatch) -> Options:
    monkeypatch.chdir(REPO)
    return Options(config=load_config(find_config("examples")))


def module(options: Options, text: str, cold: bool) -> str:
    if cold:
        forget_everything()
    return facts(analyze_module(ModuleJob(os.path.dirname(MAIN), options, {MAIN: text})))


def edits(original: str) -> list[str]:
    """A sequence of buffers as an editor sends them: typing in a value, new lines above everything,
    characters that shift the rest of a line, a block broken and mended, then the original again."""
    middle = original.index("volume_size = 50")
    value = middle + len("volume_size = ")
    return [
        original[:value] + "500" + original[value + 2 :],  # same lines, offsets shift after the edit
        original[:value] + "51" + original[value + 2 :],  # same length: nothing moves
        "# a new comment\n\n" + original,  # every line moves
        original[:middle] + "  " + original[middle:],  # columns move on one line
        original[:middle] + "{\n" + original[middle:],  # a broken block
        original.replace('"gp2"', '"gp3"', 1),
        original,  # undo
    ]


def test_module_results_equal_cold_analysis_after_each_edit(options: Options) -> None:
    with open(os.path.join(REPO, MAIN), encoding="utf-8") as f:
        original = f.read()
    forget_everything()
    module(options, original, cold=False)
    for text in edits(original):
        warm = module(options, text, cold=False)
        assert warm == module(options, text, cold=True)
        module(options, original, cold=False)  # and back: the next edit starts from the original
        warm_again = module(options, text, cold=False)
        assert warm_again == warm


def test_examples_equal_cold_analysis_after_edits_through_the_caches(options: Options) -> None:
    forget_everything()
    cold = facts(analyze_paths(["examples"], options))
    with open(os.path.join(REPO, MAIN), encoding="utf-8") as f:
        original = f.read()
    for text in edits(original):
        module(options, text, cold=False)
    assert facts(analyze_paths(["examples"], options)) == cold
    serial = dataclasses.replace(options, jobs=1)  # in this process, where the edits were analysed
    assert facts(analyze_paths(["examples"], serial)) == cold
    assert facts(analyze_paths(["examples"], serial)) == cold


def test_reused_items_keep_their_positions(tmp_path: Any) -> None:
    text = 'resource "a" "x" {\n  v = 1\n}\n\nresource "a" "y" {\n  v = 2\n}\n'
    path = str(tmp_path / "main.tf")
    first = hcl_parse.parse_hcl(path, text)
    shifted = hcl_parse.parse_hcl(path, "\n" + text)
    assert first.items[0] is not shifted.items[0]
    assert [pi.at.chunk.line for pi in shifted.items] == [1, 5]
    again = hcl_parse.parse_hcl(path, "\n" + text.replace("v = 1", "v = 3"))
    assert again.items[1] is shifted.items[1]  # unchanged and not moved: reused as is


def test_an_analysis_leaves_no_reference_cycles(options: Options) -> None:
    """The language server freezes what is alive after each result and relies on reference counting
    to free the rest: an analysis must not leave cyclic garbage behind."""
    import gc

    serial = dataclasses.replace(options, jobs=1)  # in this process, not in a pool's workers
    analyze_paths(["examples"], serial)  # parse, price and compare once
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        analyze_paths(["examples"], serial)
        gc.collect()
        left = [type(o).__qualname__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
