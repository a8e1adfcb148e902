"""`--format text`: one line a finding, like a compiler, then a summary with the money."""

from __future__ import annotations

import os
import re
import textwrap
from typing import TextIO

from advisor.engine import Analysis, remote_modules_notice
from advisor.report.common import incomplete, printable, rel

_COLORS = {"error": "31", "warning": "33", "info": "36", "hint": "2"}


def use_color(stream: TextIO) -> bool:
    return stream.isatty() and os.environ.get("NO_COLOR") is None and os.environ.get("TERM") != "dumb"


def explanation_lines(text: str, width: int = 100) -> list[str]:
    """An explanation under its finding: indented, wrapped, list items with a hanging indent (the text
    comes from a model that read the repository: escaped like everything else shown)."""
    lines: list[str] = []
    for para in text.splitlines():
        lead = " " * (4 + len(para) - len(para.lstrip()))
        bullet = re.match(r"(?:[-*•]|\d+[.)])\s+", para.strip())
        hang = lead + " " * (len(bullet.group(0)) if bullet else 0)
        wrapped = textwrap.wrap(
            para.strip(),
            max(20, width - len(lead)),
            initial_indent=lead,
            subsequent_indent=hang,
            break_on_hyphens=False,
        )
        lines.extend(printable(line) for line in wrapped or [""])
    return lines


def render(analysis: Analysis, color: bool = False, unit: tuple[str, float] | None = None) -> str:

    def paint(code: str, s: str) -> str:
        return f"\033[{code}m{s}\033[0m" if color else s

    out: list[str] = []
    for f in analysis.findings:
        s = f.span
        where = f"{printable(rel(s.path))}:{s.line + 1}:{s.column + 1}"
        label = paint(_COLORS[f.severity], f"{f.severity}[{printable(f.rule)}]")
        fix = "" if not f.fix else (" [fix]" if f.fix_safe else " [fix: unsafe]")
        out.append(f"{paint('1', where)}: {label} {printable(f.message)}{paint('2', fix)}")
        if f.explanation:  # from `lint --explain`: display only, under its finding
            out.extend(explanation_lines(f.explanation))
    for e in analysis.errors:
        if e.span is not None and any(
            f.rule == "parse-error" and f.span == e.span for f in analysis.findings
        ):
            continue
        where = printable(rel(e.path)) + (f":{e.span.line + 1}:{e.span.column + 1}" if e.span else "")
        out.append(f"{paint('1', where)}: {paint('31', 'error')} {printable(e.message)}")
    counts: dict[str, int] = {}
    for f in analysis.findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    parts = [
        f"{n} {sev}{'s' if n != 1 else ''}" for sev, n in sorted(counts.items(), key=lambda kv: kv[0]) if n
    ]
    n_find = len(analysis.findings)
    summary = f"{n_find} finding{'s' if n_find != 1 else ''}" + (f" ({', '.join(parts)})" if parts else "")
    summary += f" in {len(analysis.files)} file{'s' if len(analysis.files) != 1 else ''}"
    summary += f" · {len(analysis.resources)} resources · ${analysis.monthly_cost:,.2f}/mo"
    if unit is not None and unit[1] > 0:
        summary += f" (${analysis.monthly_cost / unit[1]:.6f} per {printable(unit[0])})"
    if analysis.monthly_savings:
        summary += f" · potential savings ${analysis.monthly_savings:,.2f}/mo"
    unanalysed = len(incomplete(analysis.errors))
    if unanalysed:
        summary += f" · analysis incomplete: {unanalysed} error{'s' if unanalysed != 1 else ''} above"
    if out:
        out.append("")
    out.append(summary)
    if analysis.remote_modules:  # their resources are not in the figures above
        out.append(remote_modules_notice(len(analysis.remote_modules)))
    return "\n".join(out) + "\n"
