"""Shared pieces of the report writers: 1-based positions, relative paths, severity order."""

from __future__ import annotations

import functools
import os
from typing import Any

from advisor.model import Finding, Span, TextEdit

SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1, "hint": 0}


def rel(path: str) -> str:
    """Paths relative to the working directory, with forward slashes."""
    return relative_to(os.getcwd(), path)


@functools.lru_cache(maxsize=8192)
def relative_to(cwd: str, path: str) -> str:
    """`rel` from a known working directory (a report asks for it once, not per path)."""
    # a report names the same few files thousands of times, and `relpath` is slow
    try:
        r = os.path.relpath(path, cwd)
    except ValueError:
        r = path
    if r.startswith(".." + os.sep) and os.path.isabs(path):
        r = path
    return r.replace(os.sep, "/")


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
