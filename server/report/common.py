"""Shared pieces of the report writers: 1-based positions, relative paths, severity order, and the
one escaping of text from a repository before it reaches a terminal."""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable
from typing import Any

from advisor.model import Finding, ParseError, Span, TextEdit

SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1, "hint": 0}

# What a terminal, a CI log viewer or a code review page would act on instead of showing: the C0
# controls (escape sequences, bells, line breaks that forge extra lines), DEL, the C1 controls (0x9b
# starts a control sequence on its own), and the invisible characters that reorder text as displayed
# ("Trojan Source": ALM, LRM, RLM, the bidi embeddings, overrides and isolates) and line separators.
# Lone surrogates are the bytes of a file name that is not UTF-8 (Python's `surrogateescape`): written
# out they would be raw bytes again, 0x9b among them, or fail to encode.
_UNSAFE = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE_TEXT = re.compile(f"[\x00-\x1f{_UNSAFE}]")
_UNSAFE_JSON = re.compile(f"[{_UNSAFE}]")  # JSON's encoder escapes the C0 controls itself
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        code -= 0xDC00  # the byte that `surrogateescape` kept
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control and reordering character shown as an escape (`\\x1b`, `\\u202e`).

    For display only, like git's `core.quotePath`: every name, label, value, message and path that a
    text report, an annotation or an error line shows goes through here, so a repository cannot move
    the cursor, retitle the terminal, write the clipboard, forge lines or reorder what is displayed.
    JSON and SARIF keep the exact text (see `json_text`).
    """
    return _UNSAFE_TEXT.sub(_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(doc: Any, indent: int | None = 2) -> str:
    """`doc` as JSON with non-ASCII characters as they are, except those `printable` escapes: the
    encoder escapes C0 controls itself, and DEL, C1, bidi controls and lone surrogates become
    `\\uXXXX` here, so a report shown with `cat` is as safe as a text report and parses to the same
    strings."""
    text = json.dumps(doc, indent=indent, ensure_ascii=False)
    return _UNSAFE_JSON.sub(_json_escape, text) + "\n"


def incomplete(errors: Iterable[ParseError]) -> list[ParseError]:
    """The errors that leave input unanalysed for a reason other than its syntax (exit code 3)."""
    return [e for e in errors if e.incomplete]


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
