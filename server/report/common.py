"""Shared pieces of the report writers: 1-based positions, severity order, the errors that make a
report incomplete, and Markdown cells that text from a repository cannot break out of. Escaping,
relative paths and fitting text to a terminal are `advisor.display`'s, shared with the explain pass."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from advisor.display import printable, relative_to
from advisor.model import Finding, ParseError, Span, TextEdit

SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1, "hint": 0}


def incomplete(errors: Iterable[ParseError]) -> list[ParseError]:
    """The errors that leave input unanalysed for a reason other than its syntax (exit code 3)."""
    return [e for e in errors if e.incomplete]


def position(span: Span) -> dict[str, int]:
    return {
        "line": span.line + 1,
        "column": span.column + 1,
        "end_line": span.end_line + 1,
        "end_column": span.end_column + 1,
    }


def edit_json(edit: TextEdit, cwd: str | None = None) -> dict[str, Any]:
    span = edit.span
    return {
        "path": relative_to(cwd or os.getcwd(), span.path),
        "line": span.line + 1,
        "column": span.column + 1,
        "end_line": span.end_line + 1,
        "end_column": span.end_column + 1,
        "new_text": edit.new_text,
    }


def at_or_above(finding: Finding, threshold: str) -> bool:
    if threshold == "never":
        return False
    return SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[threshold]


# -- Markdown (pull-request comments, job summaries) ----------------------------------------------------
def md_cell(text: str) -> str:
    """Markdown text safe in a table cell or a list item: controls escaped (`printable`), and no pipe,
    line break, HTML tag, code span or link from a resource name or a message."""
    text = printable(text)
    for char in "\\`[]|":
        text = text.replace(char, "\\" + char)
    return text.replace("<", "&lt;").replace(">", "&gt;")


def md_code(text: str) -> str:
    """A code span (shown as is, so no HTML escapes) that no backtick can close and no pipe can split."""
    return "`" + printable(text).replace("`", "'").replace("|", "\\|") + "`"
