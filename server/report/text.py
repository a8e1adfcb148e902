"""`--format text`: one entry a finding, like a compiler, then a summary with the money; every line
fits the terminal's width (`display.terminal_width`), messages wrapped under their location."""

from __future__ import annotations

import os
from typing import TextIO

from advisor.display import (
    DEFAULT_WIDTH,
    entry,
    explanation_lines,
    glued,
    pack,
    printable,
    rel,
    wrap,
)
from advisor.engine import Analysis, remote_modules_notice
from advisor.money import money, per_unit
from advisor.report.common import SEVERITY_RANK, incomplete

_COLORS = {"error": "31", "warning": "33", "info": "36", "hint": "2"}
COLOR_CHOICES = ("auto", "always", "never")


def use_color(stream: TextIO) -> bool:
    """Colour on a terminal only, unless `NO_COLOR` is set to anything (no-color.org) or the terminal
    says it cannot (`TERM=dumb`)."""
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def color_for(choice: str, stream: TextIO, to_file: bool) -> bool:
    """`--color auto|always|never`: `auto` colours only text written to a terminal (see `use_color`)."""
    if choice == "always":
        return True
    return choice == "auto" and not to_file and use_color(stream)


def plural(count: int, word: str, words: str | None = None) -> str:
    """ "1 file", "2 files", "1 resource"."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def render(
    analysis: Analysis,
    color: bool = False,
    unit: tuple[str, float] | None = None,
    width: int = DEFAULT_WIDTH,
) -> str:
    """The findings, the errors that are not findings already, and the summary, in `width` columns."""

    out: list[str] = []
    for f in analysis.findings:
        s = f.span
        where = f"{printable(rel(s.path))}:{s.line + 1}:{s.column + 1}"
        label = f"{f.severity}[{printable(f.rule)}]"
        fix = "" if not f.fix else ("[fix]" if f.fix_safe else "[fix: unsafe]")
        message = printable(f.message).replace(" → ", glued(" → "))  # "$2.00 → $1.60/mo" on one line
        lines = entry(where, label, message + (" " + glued(fix) if fix else ""), width)
        if color:  # painted once laid out: the escape codes take no columns
            _paint_entry(lines, where, label, _COLORS[f.severity])
            if fix and lines[-1].endswith(fix):
                lines[-1] = f"{lines[-1][: -len(fix)]}\033[2m{fix}\033[0m"
        out.extend(lines)
        if f.explanation:  # from `lint --explain`: display only, under its finding
            out.extend(explanation_lines(f.explanation, width))
    for e in analysis.errors:
        if e.span is not None and any(
            f.rule == "parse-error" and f.span == e.span for f in analysis.findings
        ):
            continue
        where = printable(rel(e.path)) + (f":{e.span.line + 1}:{e.span.column + 1}" if e.span else "")
        lines = entry(where, "error", printable(e.message), width)
        if color:
            _paint_entry(lines, where, "error", "31")
        out.extend(lines)
    if out:
        out.append("")
    out.extend(summary_lines(analysis, unit, width))
    if analysis.remote_modules:  # their resources are not in the figures above
        out.extend(wrap(remote_modules_notice(analysis.remote_modules), width, "", "  "))
    return "\n".join(out) + "\n"


def _paint_entry(lines: list[str], where: str, label: str, code: str) -> None:
    """Bold location and coloured label of an `entry` laid out in plain text (the label is on its
    first line, or starts the second when the location stands alone)."""
    lines[0] = f"\033[1m{where}\033[0m" + lines[0][len(where) :]
    for i, start in ((0, len(where) + 8), (1, 0)):
        at = lines[i].find(label, start) if i < len(lines) else -1
        if at >= 0:
            lines[i] = f"{lines[i][:at]}\033[{code}m{label}\033[0m{lines[i][at + len(label) :]}"
            return


def summary_lines(analysis: Analysis, unit: tuple[str, float] | None, width: int) -> list[str]:
    """ "30 findings (1 error, 17 warnings, …) in 10 files · 33 resources · $6,668.79/mo · …", wrapped
    between its parts."""
    counts: dict[str, int] = {}
    for f in analysis.findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    by_rank = sorted(counts.items(), key=lambda kv: -SEVERITY_RANK.get(kv[0], -1))
    found = plural(len(analysis.findings), "finding")
    if by_rank:
        found += f" ({', '.join(plural(n, sev) for sev, n in by_rank)})"
    cost = f"{money(analysis.monthly_cost)}/mo"
    if unit is not None and unit[1] > 0:
        cost += f" ({per_unit(analysis.monthly_cost / unit[1])} per {printable(unit[0])})"
    parts = [
        f"{found} in {plural(len(analysis.files), 'file')}",
        plural(len(analysis.resources), "resource"),
        cost,
    ]
    uncounted = analysis.count_unknown
    if uncounted:  # each stands for "at least one": its cost and findings are one instance's
        parts.insert(2, f"{plural(uncounted, 'resource')} with an unknown count counted once")
    if analysis.monthly_savings:
        parts.append(f"potential savings {money(analysis.monthly_savings)}/mo")
    unanalysed = len(incomplete(analysis.errors))
    if unanalysed:
        parts.append(f"analysis incomplete: {plural(unanalysed, 'error')} above")
    return pack(parts, width)
