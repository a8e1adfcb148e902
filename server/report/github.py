"""`--format github`: GitHub Actions workflow commands that annotate the pull request diff.

The runner reads each line as a command: `%`, line breaks, and in properties `:` and `,`, are
percent-encoded as its workflow-command rules ask, so a file name or message cannot end a property or
start a command of its own; control characters are shown escaped (`printable`) because the log viewer
acts on escape sequences.
"""

from __future__ import annotations

from advisor.display import printable, rel
from advisor.engine import Analysis

_LEVEL = {"error": "error", "warning": "warning", "info": "notice", "hint": "notice"}


def _escape_data(s: str) -> str:
    return printable(s).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def render(analysis: Analysis) -> str:
    lines = []
    for f in analysis.findings:
        s = f.span
        props = (
            f"file={_escape_prop(rel(s.path))},line={s.line + 1},col={s.column + 1},"
            f"endLine={s.end_line + 1},endColumn={s.end_column + 1},title={_escape_prop(f.rule)}"
        )
        lines.append(f"::{_LEVEL[f.severity]} {props}::{_escape_data(f.message)}")
    for e in analysis.errors:
        if e.span is None:  # errors at a place are `parse-error` findings already
            lines.append(f"::error file={_escape_prop(rel(e.path))},title=advisor::{_escape_data(e.message)}")
    return "".join(line + "\n" for line in lines)
