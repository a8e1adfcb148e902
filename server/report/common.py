"""Shared pieces of the report writers: 1-based positions, relative paths, severity order."""

from __future__ import annotations

import os
from typing import Any

from advisor.model import Finding, Span, TextEdit

SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1, "hint": 0}


def rel(path: str) -> str:
    """Paths relative to the working directory, with forward slashes."""
    try:
        r = os.path.relpath(path)
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


def edit_json(edit: TextEdit) -> dict[str, Any]:
    out: dict[str, Any] = {"path": rel(edit.span.path)}
    out.update(position(edit.span))
    out["new_text"] = edit.new_text
    return out


def at_or_above(finding: Finding, threshold: str) -> bool:
    if threshold == "never":
        return False
    return SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[threshold]
