"""What the language server reuses between keystrokes (the previous scan of each file, the items of
chunks that did not move, the resources and findings of blocks the edit did not touch, the price and
comparison memos) never changes an answer: after every edit, and after undoing it, the result equals
a cold analysis of the same texts."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import pytest
from advisor.config import find_config, load_config
from advisor.engine import Analysis, ModuleJob, Options, analyze_module, analyze_paths, forget_reuse
from advisor.iac import hcl_parse
from conftest import REPO
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

MAIN = os.path.join("examples", "compute", "main.tf")


def forget_everything(options: Options) -> None:
    options.session.clear()
    assert not any(options.session.caches())


def facts(result: Analysis) -> str:
    """Everything a user sees: findings (spans, messages, fixes, figures), costs, resources, errors."""
    errors = result.errors + getattr(result, "read_errors", [])
    return repr((result.findings, result.costs, result.resources, errors, result.not_priced, result.notes))


@pytest.fixture
def options(monkeypatch: pytest.MonkeyPatch) -> Options:
    monkeypatch.chdir(REPO)
    return Options(config=load_config(find_config("examples")))


def module(options: Options, text: str, cold: bool) -> str:
    if cold:
        forget_everything(options)
    opts = dataclasses.replace(options, incremental=not cold)  # warm runs reuse what they can, as editors do
    return facts(analyze_module(ModuleJob(os.path.dirname(MAIN), opts, {MAIN: text})))


def edits(original: str) -> list[str]:
    """A sequence of buffers as an editor sends them: typing in a value, new lines above everything,
    characters that shift the rest of a line, a block broken and mended, then the original again."""
    middle = original.index("volume_size = 50")
    value = middle + len("volume_size = ")
    header = original.index("\nresource", middle) + 1
    return [
        original[:value] + "500" + original[value + 2 :],  # same lines, offsets shift after the edit
        original[:value] + "51" + original[value + 2 :],  # same length: nothing moves
        "# a new comment\n\n" + original,  # every line moves
        original[:middle] + "  " + original[middle:],  # columns move on one line
        original[:header] + "  " + original[header:],  # a whole block moves right on its first line
        original[:middle] + "{\n" + original[middle:],  # a broken block
        original.replace('"gp2"', '"gp3"', 1),
        original,  # undo
    ]


def test_module_results_equal_cold_analysis_after_each_edit(options: Options) -> None:
    with open(os.path.join(REPO, MAIN), encoding="utf-8") as f:
        original = f.read()
    forget_everything(options)
    module(options, original, cold=False)
    for text in edits(original):
        warm = module(options, text, cold=False)
        assert warm == module(options, text, cold=True)
        module(options, original, cold=False)  # and back: the next edit starts from the original
        warm_again = module(options, text, cold=False)
        assert warm_again == warm


def test_examples_equal_cold_analysis_after_edits_through_the_caches(options: Options) -> None:
    forget_everything(options)
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
    parser = hcl_parse.HclParser()  # remembers each path's last parse, as a session's does
    first = hcl_parse.parse_hcl(path, text, parser)
    shifted = hcl_parse.parse_hcl(path, "\n" + text, parser)
    assert first.items[0] is not shifted.items[0]
    assert [pi.at.chunk.line for pi in shifted.items] == [1, 5]
    again = hcl_parse.parse_hcl(path, "\n" + text.replace("v = 1", "v = 3"), parser)
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


COMPUTE = os.path.join("examples", "compute")
FILES = ["main.tf", "variables.tf", "terraform.tfvars"]
# Edits that change what other blocks see: values, references, counts, defaults, tfvars, tags,
# launch templates and the groups that use them, broken and mended text, lines moved.
SNIPPETS = [
    "\n",
    "# note\n",
    'resource "aws_ebs_volume" "extra" {\n  type = "io1"\n  size = 100\n  iops = 3000\n}\n',
    'resource "aws_eip" "spare" {\n}\n',
    'resource "aws_eip_association" "a" {\n  allocation_id = aws_eip.spare.id\n}\n',
    'resource "aws_launch_template" "lt" {\n  instance_type = var.worker_instance_type\n}\n',
    'resource "aws_autoscaling_group" "g" {\n  desired_capacity = 2\n'
    "  launch_template {\n    id = aws_launch_template.lt.id\n  }\n}\n",
    'locals {\n  kind = "m5.large"\n}\n',
    'variable "web_count" {\n  default = 1\n}\n',
    'web_instance_type = "c4.large"\n',
    'provider "aws" {\n  region = "eu-west-1"\n}\n',
    "resource {\n",
    "}",
    '  default = "t2.micro"\n',
]


def run_module(texts: dict[str, str], cold: bool, options: Options) -> str:
    if cold:
        forget_everything(options)
    overlay = {os.path.join(COMPUTE, name): text for name, text in texts.items()}
    opts = dataclasses.replace(options, incremental=not cold)
    return facts(analyze_module(ModuleJob(COMPUTE, opts, overlay)))


@st.composite
def edit_sequences(draw: st.DrawFn) -> list[tuple[str, int, int, str]]:
    """(file, start, length to delete, text to insert) — offsets are fractions of the file, in 1/1000."""
    steps = draw(st.integers(1, 6))
    return [
        (
            draw(st.sampled_from(FILES)),
            draw(st.integers(0, 1000)),
            draw(st.integers(0, 12)),
            draw(st.sampled_from(SNIPPETS) | st.text('abc019 ="{}\n.', max_size=6)),
        )
        for _ in range(steps)
    ]


@seed(20261127)
@settings(
    max_examples=int(os.environ.get("ADVISOR_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edit_sequences())
def test_reused_results_equal_cold_analysis_after_random_edits(
    options: Options, sequence: list[tuple[str, int, int, str]]
) -> None:
    originals = {}
    for name in FILES:
        with open(os.path.join(REPO, COMPUTE, name), encoding="utf-8") as f:
            originals[name] = f.read()
    texts = dict(originals)
    forget_everything(options)
    run_module(texts, cold=False, options=options)
    for name, where, length, insert in sequence:
        text = texts[name]
        at = len(text) * where // 1000
        texts[name] = text[:at] + insert + text[at + length :]
        warm = run_module(texts, cold=False, options=options)
        assert warm == run_module(texts, cold=True, options=options)
        run_module(texts, cold=False, options=options)  # the cold run forgot everything: warm up again


def test_what_a_module_keeps_for_its_next_run_is_dropped_when_asked(options: Options) -> None:
    forget_everything(options)
    opts = dataclasses.replace(options, incremental=True)
    with open(os.path.join(REPO, MAIN), encoding="utf-8") as f:
        text = f.read()
    analyze_module(ModuleJob(os.path.dirname(MAIN), opts, {MAIN: text}))
    key = (os.path.normpath(os.path.dirname(MAIN)), None)
    reuse = options.session.reuse
    state = reuse.get(key)
    assert state is not None and state.resources.entries  # the resources of this run, for the next
    forget_reuse(options.session, os.path.dirname(MAIN))
    assert key not in reuse
    analyze_module(ModuleJob(os.path.dirname(MAIN), options, {MAIN: text}))  # not incremental
    assert key not in reuse
