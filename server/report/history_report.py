"""`advisor history` as text (a table, the trend as a sparkline, the movers), CSV (long format, one
row per figure) or JSON (version 1), from the `History` that `advisor.history` computes. Names,
subjects and authors come from the repository: escaped for a terminal (`printable`) and kept from
being formulas in a spreadsheet (`_csv_cell`)."""

from __future__ import annotations

import csv
import io
from typing import Any

from advisor import __version__
from advisor.diff import ResourceChange
from advisor.display import (
    DEFAULT_WIDTH,
    cut,
    display_width,
    glued,
    json_text,
    pad,
    printable,
    rel,
    right,
    wrap,
)
from advisor.history import History, Month, Point
from advisor.money import money, per_unit, signed
from advisor.report.json_report import pricing_info
from advisor.report.text import plural

SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    """One block character per value, low to high; a space for an unknown one."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        else:
            out.append(SPARKS[0] if span <= 0 else SPARKS[round((v - low) / span * (len(SPARKS) - 1))])
    return "".join(out)


def _change_json(c: ResourceChange) -> dict[str, Any]:
    return {
        "change": c.change,
        "address": c.address,
        "type": c.type,
        "module": rel(c.root),
        "path": rel(c.path),
        "line": c.line + 1,
        "monthly_cost_before": c.before,
        "monthly_cost_after": c.after,
        "monthly_delta": c.delta,
    }


def point_json(p: Point) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "commit": p.commit.id,
        "author": p.commit.author,
        "date": p.commit.date,
        "subject": p.commit.subject,
        "monthly_cost": p.total,
        "monthly_delta": p.delta,
        "resources": p.resources,
        "findings": p.findings,
        "monthly_savings": p.savings,
        "unknown_prices": p.unknown_prices,
        "not_priced": p.not_priced,
        "groups": [
            {"kind": g.kind, "name": g.name, "monthly_cost": g.monthly_cost}
            | ({"depends_on_usage": True} if g.usage_only else {})
            for g in p.groups
        ],
        "services": [
            {"service": k, "monthly_cost": v}
            | ({"depends_on_usage": True} if k in p.usage_only_services else {})
            for k, v in p.services.items()
        ],
        "movers": [_change_json(c) for c in p.movers],
        "incomplete": p.incomplete,
        "errors": p.errors,
        "notes": p.notes,
    }
    if p.unit is not None:
        doc["unit"] = {"name": p.unit[0], "monthly_volume": p.unit[1], "cost_per_unit": p.unit_cost}
    return doc


def month_json(m: Month) -> dict[str, Any]:
    return {
        "month": m.month,
        "units": m.units,
        "revenue": m.revenue,
        "monthly_cost": m.cost,
        "commit": m.commit,
        "cost_per_unit": m.cost_per_unit,
        "cost_share_of_revenue": m.revenue_share,
        "cost_growth_percent": None if m.cost_growth is None else round(m.cost_growth, 2),
        "units_growth_percent": None if m.units_growth is None else round(m.units_growth, 2),
        "cost_outgrew_business": m.outgrew,
    }


def render_json(history: History, region: str) -> str:
    """Version 1: commits[] oldest first, each with totals, groups, services, findings and movers."""
    doc: dict[str, Any] = {
        "version": 1,
        "tool": {"name": "advisor", "version": __version__},
        "revision": history.revision,
        "pricing": pricing_info(region),
        "commits": [point_json(p) for p in history.points],
        "notes": history.notes,
        "incomplete": history.incomplete,
    }
    if history.months:
        doc["months"] = [month_json(m) for m in history.months]
    return json_text(doc)


def _csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: no formula from a subject, an author or a name."""
    if isinstance(value, str):
        value = printable(value)
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value


def render_csv(history: History) -> str:
    """Long format, one row per figure: kind is total, module, stack, service, mover or month."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["commit", "date", "author", "subject", "kind", "name", "monthly_cost", "monthly_delta", "findings",
         "monthly_savings", "cost_per_unit"]
    )  # fmt: skip
    for p in history.points:
        c = p.commit
        head = [c.id, c.date, c.author, c.subject]
        rows: list[list[Any]] = [
            ["total", "", p.total, p.delta, p.findings, p.savings, p.unit_cost],
            *[[g.kind, g.name, g.monthly_cost, "", "", "", ""] for g in p.groups],
            *[["service", k, v, "", "", "", ""] for k, v in p.services.items()],
            *[["mover", f"{rel(m.root)}: {m.address}", m.after, m.delta, "", "", ""] for m in p.movers],
        ]
        for row in rows:
            writer.writerow([_csv_cell(v) for v in [*head, *row]])
    for m in history.months:
        writer.writerow(
            [_csv_cell(v) for v in [m.commit or "", m.month, "", "", "month", f"{m.units:g} units", m.cost,
                                    "", "", "", m.cost_per_unit]]
        )  # fmt: skip
    return out.getvalue()


def render_text(history: History, width: int = DEFAULT_WIDTH) -> str:
    """A compact table (newest first), the trend as a sparkline, then the movers of each change, in
    `width` columns: authors and subjects are cut to the room left, figures, commit ids, names and
    addresses never."""
    out: list[str] = []
    points = history.points
    if not points:
        for line in [f"note: {printable(n)}" for n in history.notes] or ["No commits."]:
            out += wrap(line, width, "", "  ")
        return "".join(line + "\n" for line in out)
    first, last = points[0], points[-1]
    heading = (
        f"Monthly cost at {plural(len(points), 'commit')} of {printable(history.revision)} "
        f"({first.commit.date[:10]} to {last.commit.date[:10]}), newest first:"
    )
    out += wrap(heading, width, "", "  ")
    out += _commit_table(history, width)
    totals = [p.total for p in points]
    known = [t for t in totals if t is not None]
    if known:
        out.append("")
        span = glued(f"{money(known[0])} to {money(known[-1])}")
        out += wrap(f"Trend, oldest to newest: {sparkline(totals)}  {span}", width, "", "  ")
    if last.groups:
        out.append("")
        out += wrap(f"By root module / stack at {last.commit.id[:12]}:", width)
        named = [
            (printable(g.name), f"{_figure(g.monthly_cost, g.usage_only):>16}  ({g.kind})")
            for g in last.groups
        ]
        out += _named_figures(named, width)
    if last.services:
        out += wrap(f"By service at {last.commit.id[:12]}:", width)
        shown = [
            (printable(s), f"{_figure(v, s in last.usage_only_services):>16}")
            for s, v in last.services.items()
        ]
        out += _named_figures(shown, width)
    moved = [p for p in reversed(points) if p.movers]
    if moved:
        out.append("")
        out.append("What moved the total:")
        sign = {"added": "+", "removed": "-", "changed": "~"}
        for p in moved:
            c = p.commit
            change = signed(p.delta)
            who = printable(f"{c.id[:12]} {c.date[:10]} {_short(c.author, 30)}: {c.subject}")
            out += _then(cut(who, max(width - display_width(change) - 2, 24)), change, width)
            for m in p.movers:
                name = printable(f"{rel(m.root)}: {m.address}")
                moved_by = glued(f"{money(m.before)} -> {money(m.after)}  {signed(m.delta)}")
                out += wrap(f"{sign[m.change]} {name}  {moved_by}", width, "    ", "        ")
    if history.months:
        out.append("")
        out += wrap("Unit economics by month (cost at the month's end):", width)
        header = "  Month    Units         Cost/mo      Per unit    Share of revenue"
        out += (
            [header]
            if display_width(header) <= width
            else ["  Month    Units         Cost/mo      Per unit", " " * 46 + "Share of revenue"]
        )
        for mo in history.months:
            share = "" if mo.revenue_share is None else f"{mo.revenue_share * 100:.2f}%"
            per = "" if mo.cost_per_unit is None else per_unit(mo.cost_per_unit)
            row = f"  {printable(mo.month)}  {mo.units:>12,.0f}  {money(mo.cost):>12}  {per:>11}  {share:>8}"
            flag = "<- cost grew faster than the business" if mo.outgrew else ""
            out += (
                [f"{row}  {flag}"]
                if display_width(row) + len(flag) + 2 <= width or not flag
                else [row, "    " + flag]
            )
    for p in points:
        for e in p.errors:
            out += wrap(printable(f"error at {p.commit.id[:12]}: {e}"), width, "", "  ")
    for n in last.notes:
        out += wrap(printable(f"note at {last.commit.id[:12]}: {n}"), width, "", "  ")
    if history.incomplete:
        out += wrap("* incomplete: that commit's total leaves out what its errors name.", width, "", "  ")
    for n in history.notes:
        out += wrap(printable(f"note: {n}"), width, "", "  ")
    return "".join(line.rstrip() + "\n" for line in out)


_AUTHOR = 20  # columns an author takes at most in the one-line table
_SUBJECT = 24  # the fewest columns of subject worth a one-line table; narrower, the subject goes under


def _commit_table(history: History, width: int) -> list[str]:
    """One line a commit (date, id, figures, author, subject cut to the room left) when a subject
    gets `_SUBJECT` columns; else each commit on two or three lines: id, date, total and change,
    then its findings, savings and cost per unit, then its author and subject, cut to the width."""
    points = history.points
    unit = next((p.unit for p in reversed(points) if p.unit is not None), None)
    header = ["Date", "Commit", "Total/mo", "Change", "Findings", "Savings/mo"]
    if unit is not None:
        header.append(printable(f"Per {unit[0]}"))
    rows: list[list[str]] = []
    credits: list[tuple[str, str]] = []
    for p in reversed(points):
        total = "error" if p.total is None else money(p.total) + ("*" if p.incomplete else "")
        row = [
            p.commit.date[:10],
            p.commit.id[:12],
            total,
            "?" if p.delta is None else signed(p.delta),
            str(p.findings),
            money(p.savings),
        ]
        if unit is not None:
            row.append("" if p.unit_cost is None else per_unit(p.unit_cost))
        rows.append(row)
        credits.append((printable(p.commit.author), printable(p.commit.subject)))
    numeric = set(range(2, len(header)))
    widths = [max(display_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    author = min(_AUTHOR, max(display_width(a) for a, _ in [("Author", ""), *credits]))
    room = width - sum(widths) - 2 * len(widths) - author - 2
    if room >= _SUBJECT:
        subject = min(room, max(display_width(s) for _, s in [("", "Subject"), *credits]))
        cells = [*header, "Author", "Subject"]
        table = [[*r, cut(a, author), cut(s, subject)] for r, (a, s) in zip(rows, credits, strict=True)]
        return _lines([cells, *table], [*widths, author, subject], numeric)
    main = [1, 0, 2, 3]  # commit, date, total, change on the first line
    first = [[r[i] for i in main] for r in [header, *rows]]
    first_widths = [widths[i] for i in main]
    (heading,) = _lines(first[:1], first_widths, {2, 3})
    lines = [heading] if display_width(heading) <= width else wrap(heading, width)
    for r, line, (a, s) in zip(rows, _lines(first[1:], first_widths, {2, 3}), credits, strict=True):
        lines += [line] if display_width(line) <= width else wrap("  ".join(glued(r[i]) for i in main), width)
        figures = [plural(int(r[4]), "finding"), f"savings {r[5]}/mo"]
        if unit is not None and r[6]:
            figures.append(printable(f"{r[6]} per {unit[0]}"))
        lines += wrap(", ".join(glued(f) for f in figures), width, "    ")
        lines.append(cut(f"    {a}: {s}", width))
    return lines


def _then(text: str, figure: str, width: int) -> list[str]:
    """`figure` two spaces after `text`, or flush right on the next line when it does not fit."""
    line = f"{text}  {figure}"
    return [line] if display_width(line) <= width else [text, right(figure, width)]


def _lines(rows: list[list[str]], widths: list[int], numeric: set[int]) -> list[str]:
    return [
        "  ".join(
            right(c, w) if i in numeric else pad(c, w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()
        for cells in rows
    ]


def _named_figures(rows: list[tuple[str, str]], width: int) -> list[str]:
    """ "  NAME  FIGURE" lines with the figures in one column, or, when a name leaves no room, the
    figure after the name with the line wrapped (the name and the figure kept whole)."""
    name_width = max(display_width(n) for n, _ in rows)
    out = []
    for name, figure in rows:
        line = f"  {pad(name, name_width)}  {figure}"
        if display_width(line) <= width:
            out.append(line)
        else:
            out += wrap(f"{name} {glued(figure.strip())}", width, "  ", "      ")
    return out


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _figure(cost: float, usage_only: bool) -> str:
    """A subtotal as the bill says it: "depends on usage" when all it has are usage-priced lines."""
    return "depends on usage" if usage_only else money(cost)
