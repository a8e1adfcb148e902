"""The language server's pure parts: buffers and positions, settings, edits for ignore comments,
and the labels users read. No server process here; the end-to-end tests are in test_lsp_*.py."""

from __future__ import annotations

from typing import Any

import pytest
from advisor.ignores import find_ignores
from advisor.lsp import actions, presentation
from advisor.lsp.documents import Document, DocumentStore, LineIndex, from_units, to_units, uri_to_path
from advisor.lsp.settings import ClientSettings, merge, parse_settings
from advisor.model import Finding, Span
from advisor.pricing.costs import CostComponent, ResourceCost
from hypothesis import given, settings
from hypothesis import strategies as st

KNOWN = {"ebs-gp2-to-gp3", "ebs-io1-to-gp3", "ec2-graviton"}


# -- positions ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "column", "utf16", "utf8"),
    [
        ("plain ascii", 5, 5, 5),
        ("é = 1", 1, 1, 2),
        ("日本 = 1", 2, 2, 6),
        ("🚀 x", 1, 2, 4),
        ("a🚀b🚀c", 4, 6, 10),
    ],
)
def test_columns_convert_both_ways(line: str, column: int, utf16: int, utf8: int) -> None:
    assert to_units(line, column, "utf-16") == utf16
    assert to_units(line, column, "utf-8") == utf8
    assert to_units(line, column, "utf-32") == column
    assert from_units(line, utf16, "utf-16") == column
    assert from_units(line, utf8, "utf-8") == column


def test_a_position_inside_a_character_rounds_down_and_past_the_end_clamps() -> None:
    assert from_units("🚀x", 1, "utf-16") == 0  # between the surrogates
    assert from_units("é", 1, "utf-8") == 0
    assert from_units("abc", 99, "utf-16") == 3
    assert to_units("abc", 99, "utf-8") == 3


def test_line_index_lines_and_offsets() -> None:
    idx = LineIndex("a\r\nbc\n\nlast")
    assert idx.line_count == 4
    assert [idx.line(i) for i in range(4)] == ["a", "bc", "", "last"]
    assert idx.line(9) == ""
    assert idx.offset(1, 1) == 4
    assert idx.offset(1, 99) == 5  # clamped to the line
    assert idx.offset(99, 0) == len(idx.text)
    assert idx.position(4) == (1, 1)


def test_incremental_edits_in_utf16_and_utf8() -> None:
    doc = Document("file:///m.tf", "/m.tf", 1, 'x = "🚀é"\ny = 1\n')
    doc.apply((0, 7, 0, 8), "e", "utf-16")  # after the rocket (2 units) comes é
    assert doc.text == 'x = "🚀e"\ny = 1\n'
    doc.apply((0, 5, 0, 9), "ok", "utf-8")  # the rocket is 4 bytes
    assert doc.text == 'x = "oke"\ny = 1\n'


def test_out_of_range_edits_are_clamped_not_rejected() -> None:
    doc = Document("file:///m.tf", "/m.tf", 1, "abc\ndef")
    doc.apply((0, 50, 0, 60), "!", "utf-16")
    assert doc.text == "abc!\ndef"
    doc.apply((40, 0, 50, 0), "\nend", "utf-16")
    assert doc.text == "abc!\ndef\nend"
    doc.apply((2, 3, 0, 0), "", "utf-16")  # reversed range
    assert doc.text == ""
    doc.apply(None, "whole", "utf-16")
    assert doc.text == "whole"


def test_buffers_too_big_or_binary_are_not_analysed() -> None:
    assert Document("u", "/p.tf", 1, "x = 1\n").skip_reason() is None
    assert "binary" in (Document("u", "/p.tf", 1, "a\0b").skip_reason() or "")
    assert "larger than" in (Document("u", "/p.tf", 1, "#" * (3 * 1024 * 1024)).skip_reason() or "")


def test_uris_and_the_store() -> None:
    assert uri_to_path("file:///tmp/a%20b/main.tf") == "/tmp/a b/main.tf"
    assert uri_to_path("untitled:Untitled-1") is None
    assert uri_to_path("not a uri") is None
    store = DocumentStore()
    store.open("file:///w/main.tf", 1, "")
    store.open("untitled:1", 1, "")
    assert [d.uri for d in store.in_directory("/w")] == ["file:///w/main.tf"]
    assert store.by_path("/w/main.tf") is not None
    store.close("file:///w/main.tf")
    assert store.by_path("/w/main.tf") is None and len(store) == 1


# -- settings -------------------------------------------------------------------------------------------
def test_settings_nested_dotted_and_wrapped_forms() -> None:
    nested = parse_settings({"rules": {"disable": ["ec2-graviton"]}, "debounceMs": 0}, KNOWN).settings
    dotted = parse_settings({"rules.disable": ["ec2-graviton"], "debounceMs": 0}, KNOWN).settings
    wrapped = parse_settings(
        {"advisor": {"rules": {"disable": ["ec2-graviton"]}, "debounceMs": 0}}, KNOWN
    ).settings
    assert nested == dotted == wrapped
    assert nested.disable == frozenset({"ec2-graviton"}) and nested.debounce_ms == 0


def test_the_explain_action_is_opt_in() -> None:
    assert parse_settings({}, KNOWN).settings.explain is False
    assert parse_settings({"explain": {"enabled": True}}, KNOWN).settings.explain is True
    assert parse_settings({"explain.enabled": True}, KNOWN).settings.explain is True
    assert parse_settings({"explain": {"enabled": "yes"}}, KNOWN).problems


def test_bad_settings_fall_back_to_defaults_with_a_reason() -> None:
    parsed = parse_settings(
        {
            "region": 5,
            "debounceMs": "fast",
            "inlayHints": "yes",
            "rules": {"disable": ["nope"], "severity": {"ebs-gp2-to-gp3": "loud"}},
        },
        KNOWN,
    )
    assert parsed.settings == ClientSettings()
    assert len(parsed.problems) == 5
    assert parse_settings("junk", KNOWN).problems


def test_later_layers_override_earlier_ones() -> None:
    merged = merge(
        {"region": "eu-west-1", "rules": {"disable": ["a"]}}, {"rules": {"severity": {"b": "hint"}}}
    )
    assert merged == {"region": "eu-west-1", "rules": {"disable": ["a"], "severity": {"b": "hint"}}}


def test_editor_rule_settings_extend_the_project_config() -> None:
    from advisor.config import Config

    project = Config(disabled_rules={"ebs-gp2-to-gp3"}, severity={"ec2-graviton": "hint"})
    settings = ClientSettings(disable=frozenset({"ebs-io1-to-gp3"}), severity=(("ec2-graviton", "warning"),))
    merged = settings.apply_to(project)
    assert merged.disabled_rules == {"ebs-gp2-to-gp3", "ebs-io1-to-gp3"}
    assert merged.severity == {"ec2-graviton": "warning"}
    assert project.disabled_rules == {"ebs-gp2-to-gp3"}  # the cached config is not modified


def test_a_range_is_worked_out_once_and_its_protocol_object_says_the_same() -> None:
    from advisor.lsp import convert
    from lsprotocol import types as lsp
    from lsprotocol.converters import get_converter

    index = LineIndex('x = "🚀é"\ny = 1\n')
    value = Span("/m.tf", 0, 4, 0, 8)
    assert convert.range_json(value, index, "utf-16") == {
        "start": {"line": 0, "character": 4},
        "end": {"line": 0, "character": 9},
    }
    backwards, past_the_end = Span("/m.tf", 1, 3, 0, 2), Span("/m.tf", 0, 0, 9, 3)
    assert convert.range_json(backwards, index, "utf-8")["end"] == {"line": 1, "character": 3}
    assert convert.range_json(past_the_end, index, "utf-8")["end"] == {"line": 2, "character": 0}
    for span in (value, backwards, past_the_end):
        for encoding in ("utf-8", "utf-16", "utf-32"):
            typed = get_converter().structure(convert.range_json(span, index, encoding), lsp.Range)
            assert convert.span_range(span, index, encoding) == typed


# -- ignore comments and fixes ------------------------------------------------------------------------------
def _apply(text: str, edit: actions.TextEdit) -> str:
    return text[: edit.span.start] + edit.new_text + text[edit.span.end :]


def test_ignore_here_goes_above_the_line_with_its_indentation() -> None:
    text = 'resource "aws_ebs_volume" "v" {\n    type = "gp2"\n}\n'
    edit = actions.ignore_line_edit("/m.tf", LineIndex(text), 1, "ebs-gp2-to-gp3")
    assert (
        _apply(text, edit)
        == 'resource "aws_ebs_volume" "v" {\n    # advisor:ignore ebs-gp2-to-gp3\n    type = "gp2"\n}\n'
    )


def test_ignore_uses_slashes_in_files_that_do() -> None:
    text = '// storage\n// more\nresource "aws_ebs_volume" "v" {\n  type = "gp2"\n}\n'
    edit = actions.ignore_line_edit("/m.tf", LineIndex(text), 2, "ebs-gp2-to-gp3")
    assert "// advisor:ignore ebs-gp2-to-gp3\nresource" in _apply(text, edit)


def test_ignore_joins_an_existing_comment_and_keeps_its_reason() -> None:
    text = 'x {\n  # advisor:ignore ec2-graviton -- arm builds pending\n  type = "gp2"\n}\n'
    edit = actions.ignore_line_edit("/m.tf", LineIndex(text), 2, "ebs-gp2-to-gp3")
    assert "  # advisor:ignore ec2-graviton, ebs-gp2-to-gp3 -- arm builds pending\n" in _apply(text, edit)


def test_ignore_in_file_goes_first_or_extends_the_file_comment() -> None:
    text = 'resource "a" "b" {\r\n}\r\n'
    assert _apply(text, actions.ignore_file_edit("/m.tf", LineIndex(text), "r1")).startswith(
        "# advisor:ignore-file r1\r\n"
    )
    text2 = "x = 1\n# advisor:ignore-file r1\n"
    assert (
        _apply(text2, actions.ignore_file_edit("/m.tf", LineIndex(text2), "r2"))
        == "x = 1\n# advisor:ignore-file r1, r2\n"
    )


def test_joining_a_comment_keeps_its_keyword_whatever_its_reason_says() -> None:
    text = 'x {\n  # advisor:ignore ec2-graviton -- not an ignore-file one\n  type = "gp2"\n}\n'
    edit = actions.ignore_line_edit("/m.tf", LineIndex(text), 2, "ebs-gp2-to-gp3")
    assert "  # advisor:ignore ec2-graviton, ebs-gp2-to-gp3 -- not an ignore-file one\n" in _apply(text, edit)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('resource "aws_ebs_volume" "v" {\n  type = "gp2"\n}\n', 1),
        ('// storage\nresource "aws_ebs_volume" "v" {\n  type = "gp2"\n}\n', 2),
        ('x {\n  # advisor:ignore ec2-graviton -- arm builds pending\n  type = "gp2"\n}\n', 2),
        ('x {\n  // advisor:ignore ec2-graviton\n  type = "gp2"\n}\n', 2),
        ('# advisor:ignore-file ec2-graviton\nx {\n  type = "gp2"\n}\n', 2),
    ],
)
def test_the_comments_the_actions_write_are_the_ignores_the_engine_reads(
    text: str, line: int, newline: str
) -> None:
    text = text.replace("\n", newline)
    index = LineIndex(text)
    target = index.line(line)
    here = _apply(text, actions.ignore_line_edit("/m.tf", index, line, "ebs-gp2-to-gp3"))
    moved = here.split(newline).index(target)
    read = [ig for ig in find_ignores("/m.tf", here) if not ig.whole_file and ig.matches("ebs-gp2-to-gp3")]
    assert [ig.line for ig in read] == [moved - 1]
    assert read[0].matches("ec2-graviton") == ("advisor:ignore ec2" in text)  # a comment joined keeps its ids
    whole = _apply(text, actions.ignore_file_edit("/m.tf", index, "ebs-gp2-to-gp3"))
    read = [ig for ig in find_ignores("/m.tf", whole) if ig.matches("ebs-gp2-to-gp3")]
    assert [ig.whole_file for ig in read] == [True]


def test_remove_an_ignore_comment_line() -> None:
    text = "a {\n  # advisor:ignore ec2-graviton\n  b = 1\n}\n"
    span = Span("/m.tf", 1, 2, 1, 31)
    assert _apply(text, actions.remove_ignore_edit("/m.tf", LineIndex(text), span)) == "a {\n  b = 1\n}\n"
    text = "b = 1 # advisor:ignore x\n"
    assert (
        _apply(text, actions.remove_ignore_edit("/m.tf", LineIndex(text), Span("/m.tf", 0, 6, 0, 24)))
        == "b = 1\n"
    )


def _finding(rule: str, line: int, safe: bool, new: str, saving: float = 10.0) -> Finding:
    span = Span("/m.tf", line, 9, line, 14)
    return Finding(
        rule,
        "warning",
        "m",
        span,
        monthly_cost=saving + 5,
        monthly_cost_after=5.0,
        fix=[actions.TextEdit(span, new)],
        fix_safe=safe,
        fix_title=f"Change to {new}",
    )


def test_fix_all_takes_safe_fixes_and_skips_collisions() -> None:
    a = _finding("ebs-gp2-to-gp3", 1, True, '"gp3"')
    b = _finding("ec2-graviton", 2, False, '"m6g.large"')
    c = _finding("ec2-newer-generation", 1, True, '"other"')  # same place as a, different text
    chosen = actions.safe_fixes([a, b, c])
    assert chosen == [a] or chosen == [c]
    spec = actions.fix_all_spec([a, b])
    assert spec is not None and spec.kind == "source.fixAll.advisor" and "saves $10.00/mo" in spec.title
    assert [e.new_text for e in actions.fix_all_edits([a, b])] == ['"gp3"']


def test_quick_fix_titles_carry_the_saving() -> None:
    f = _finding("ebs-io1-to-gp3", 1, True, '"gp3"', saving=637.5)
    f.fix_title = "Change io1 to gp3"
    assert presentation.fix_title(f) == "Change io1 to gp3 (saves $637.50/mo)"
    specs = actions.offer([f], "/m.tf", None, [f])
    assert [s.action for s in specs] == ["fix", "ignore-line", "ignore-file"]
    assert specs[0].preferred and not specs[1].preferred
    assert [s.action for s in actions.offer([f], "/m.tf.json", None, [f])] == ["fix"]  # JSON has no comments


# -- labels -----------------------------------------------------------------------------------------------
def _cost(address: str, price: float | None, qty: float | None = 10, estimate: bool = False) -> ResourceCost:
    comp = CostComponent("Storage (gp3)", "GB", qty, price, "snapshot", "2026-07-20", estimate)
    return ResourceCost(address, "aws_ebs_volume", "/m.tf", 0, [comp])


def test_lens_labels() -> None:
    assert presentation.total_label([_cost("a", 0.08)], False) == "$0.80/mo"
    assert presentation.total_label([], True) == "not priced"
    assert presentation.total_label([_cost("a", None)], False) == "price unknown"
    assert presentation.total_label([_cost("a[0]", 1), _cost("a[1]", 1)], False) == "$20.00/mo (2 instances)"
    assert presentation.total_label([_cost("a", 1, estimate=True)], False) == "$10.00/mo (estimate)"
    assert presentation.total_label([_cost("a", 1, qty=None)], False) == "$0.00/mo + usage"


def test_hover_table() -> None:
    text = presentation.resource_hover(
        "aws_ebs_volume.v", "aws_ebs_volume", "eu-west-1", [_cost("aws_ebs_volume.v", 0.0000166667)], False
    )
    assert "| Storage (gp3) | 10 GB | $0.0000166667 | $0.00 |" in text
    assert "Prices: snapshot as of 2026-07-20; region eu-west-1." in text
    assert "depends on usage" in presentation.resource_hover(
        "x", "t", "r", [_cost("x", 1.0, qty=None)], False
    )
    assert "no price model" in presentation.resource_hover("x", "aws_foo", "r", [], True)


def test_unknown_quantity_is_unknown_not_usage() -> None:
    """A size that cannot be known makes the cost unknown; it is not a usage line worth $0."""
    comp = CostComponent(
        "Storage (gp3)", "GB-months", None, 0.08, "snapshot", "2026-07-20", unknown_quantity=True
    )
    cost = ResourceCost("aws_ebs_volume.v", "aws_ebs_volume", "/m.tf", 0, [comp])
    assert presentation.total_label([cost], False) == "price unknown"
    text = presentation.resource_hover("aws_ebs_volume.v", "aws_ebs_volume", "us-east-1", [cost], False)
    assert "| Storage (gp3) | unknown | $0.08 | unknown |" in text
    assert "depends on usage" not in text


def _reference_apply(text: str, r: tuple[int, int, int, int], new: str, encoding: str) -> str:
    """The obvious edit on a flat string, to check the line-list implementation against."""
    idx = LineIndex(text)

    def offset(line: int, units: int) -> int:
        if line >= idx.line_count:
            return len(text)
        return idx.offset(line, from_units(idx.line(line), units, encoding))

    a, b = sorted((offset(r[0], r[1]), offset(r[2], r[3])))
    return text[:a] + new + text[b:]


_pieces = st.sampled_from(["a", "b", " ", "\n", "\r\n", "é", "日", "🚀"]).map(str)
_texts = st.lists(_pieces, max_size=25).map("".join)


@settings(max_examples=150, deadline=None)
@given(
    text=_texts,
    edits=st.lists(
        st.tuples(
            st.tuples(*[st.integers(0, 6)] * 4), _texts, st.sampled_from(["utf-8", "utf-16", "utf-32"])
        ),
        max_size=8,
    ),
)
def test_incremental_edits_match_a_flat_reference(text: str, edits: list[Any]) -> None:
    doc = Document("file:///m.tf", "/m.tf", 1, text)
    for rng, new, encoding in edits:
        text = _reference_apply(text, rng, new, encoding)
        doc.apply(rng, new, encoding)
        assert doc.text == text
