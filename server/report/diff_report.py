"""`advisor diff` as text, JSON (version 1) or a Markdown pull-request comment, from the `DiffResult`
that `advisor.diff` computes. Every name, path and message from the repository is escaped
(`printable`, `md_cell`, `md_code`); JSON keeps the exact text (`json_text`)."""

from __future__ import annotations

from typing import Any, Literal

from advisor import __version__
from advisor.diff import DiffResult, ResourceChange
from advisor.display import (
    DEFAULT_WIDTH,
    display_width,
    entry,
    glued,
    json_text,
    pad,
    printable,
    rel,
    right,
    spread,
    wrap,
)
from advisor.money import money, signed
from advisor.report.common import SEVERITY_RANK, md_cell, md_code
from advisor.report.json_report import error_json, finding_json, pricing_info

MARKER = "<!-- advisor-diff -->"  # lets CI find and update its own pull-request comment
TOP_FINDINGS = 5
TOP_RESOURCES = 20


def percent(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.2f}%"


def _multi_root(result: DiffResult) -> bool:
    """Names carry their root module folder when there is more than one root to tell apart."""
    return len(result.roots) > 1


def _name(c: ResourceChange, multi: bool) -> str:
    return f"{rel(c.root)}: {c.address}" if multi else c.address


def _side(c: ResourceChange, side: Literal["before", "after"]) -> str:
    if (side == "before" and c.change == "added") or (side == "after" and c.change == "removed"):
        return "-"
    value = c.before if side == "before" else c.after
    if value is None:
        return "unknown" if c.priced else "not priced"
    return money(value)


def _delta(c: ResourceChange) -> str:
    return signed(c.delta) if c.priced else "-"


def render_text(result: DiffResult, width: int = DEFAULT_WIDTH) -> str:
    """The resources that changed, their figures and the total in a table `width` columns wide (two
    lines a resource when the table does not fit: its name and location, then its figures), the
    new findings under their location, errors and budget lines wrapped. Names and locations are
    never cut; a name wider than the terminal stands alone on its line."""
    multi = _multi_root(result)
    sign = {"added": "+", "removed": "-", "changed": "~"}
    rows = [
        (
            f"{sign[c.change]} {printable(_name(c, multi))}",
            f"{printable(rel(c.path))}:{c.line + 1}",
            _side(c, "before"),
            _side(c, "after"),
            _delta(c),
        )
        for c in result.changes
    ]
    t = result.totals
    total = ("Total", "", money(t.before), money(t.after), f"{signed(t.delta)} ({percent(t.percent)})")
    heading = f"Cost diff against {printable(result.ref)} ({result.commit[:12]}), working tree as changed:"
    out = wrap(heading, width, "", "  ")
    out += _cost_table(rows, total, width)
    summary = (
        f"{result.count('added')} added, {result.count('removed')} removed, "
        f"{result.count('changed')} changed, {result.unchanged} unchanged"
        + (f"; {result.unknown_prices} with unknown prices (not in totals)" if result.unknown_prices else "")
    )
    out += wrap(summary, width, "", "  ")
    out.append("")
    n = len(result.new_findings)
    out.append(f"New findings ({n})" + (":" if n else ""))
    for f in result.new_findings:
        s = f.span
        where = f"{printable(rel(s.path))}:{s.line + 1}:{s.column + 1}"
        message = printable(f.message).replace(" → ", glued(" → "))
        out += entry(where, f"{f.severity}[{printable(f.rule)}]", message, width)
    if result.resolved_findings:
        out.append(f"Resolved findings: {len(result.resolved_findings)}")
    for e in result.all_errors():
        where = f"error: {printable(rel(e.path))}" + (f":{e.span.line + 1}" if e.span else "")
        out += entry(where, "", printable(e.message), width)
    if result.incomplete:
        out += wrap("Analysis incomplete: the totals leave out what the errors above name.", width, "", "  ")
    if result.checks:
        out.append("")
        for check in result.checks:
            verdict = "EXCEEDED" if check.breached else "not conclusive" if result.incomplete else "ok"
            out += wrap(f"Budget {verdict}: {printable(check.message())}", width, "", "  ")
    return "".join(line + "\n" for line in out)


Row = tuple[str, str, str, str, str]  # name, location, before, after, delta


def _cost_table(rows: list[Row], total: Row, width: int) -> list[str]:
    """One line a resource when name, location and figures fit `width`; else two: the name, then
    its location and its figures flush right under their headings (the figures on a line of their
    own when both do not fit)."""
    widths = [max(display_width(r[i]) for r in [*rows, total]) for i in range(5)]
    if sum(widths) + 8 <= width:

        def line(cells: Row) -> str:
            left = [pad(cells[0], widths[0]), pad(cells[1], widths[1])]
            return "  ".join(left + [right(cells[i], widths[i]) for i in range(2, 5)]).rstrip()

        out = [line(r) for r in rows]
        if rows:
            out.append("  ".join("-" * w for w in widths))
        return [*out, line(total)]
    figures = [max(widths[i], len(heading)) for i, heading in ((2, "Before"), (3, "After"), (4, "Change"))]

    def amounts(cells: tuple[str, str, str] | list[str]) -> str:
        return "  ".join(right(c, w) for c, w in zip(cells, figures, strict=True))

    out = spread("Resource, location", amounts(("Before", "After", "Change")), width)
    for name, where, *money_cells in rows:
        out += [name] if display_width(name) <= width else wrap(name, width)
        text = amounts(money_cells)
        if display_width(text) > width:  # narrower than three figures: each whole, wrapped
            out += [f"    {where}", *wrap("  ".join(glued(c) for c in money_cells), width, "    ")]
        else:
            out += spread(f"    {where}", text, width)
    out.append("-" * width)
    return out + _total_line(total, figures, width)


def _total_line(total: Row, figures: list[int], width: int) -> list[str]:
    """ "Total" at the left of the line of total figures, or above it when they leave no room."""
    text = "  ".join(right(c, w) for c, w in zip(total[2:], figures, strict=True))
    if display_width(text) + len("Total") + 2 <= width:
        return ["Total" + right(text, width - len("Total"))]
    return ["Total", *wrap("  ".join(glued(c) for c in total[2:]), width, "    ")]


def render_json(result: DiffResult, region: str) -> str:
    """Version 1: resources[], totals, new_findings[] (the lint finding shape), budget, errors[]."""
    t = result.totals
    doc: dict[str, Any] = {
        "version": 1,
        "tool": {"name": "advisor", "version": __version__},
        "base": {"ref": result.ref, "commit": result.commit},
        "pricing": pricing_info(region),
        "resources": [
            {
                "change": c.change,
                "address": c.address,
                "type": c.type,
                "module": rel(c.root),
                "path": rel(c.path),
                "line": c.line + 1,
                "priced": c.priced,
                "monthly_cost_before": c.before,
                "monthly_cost_after": c.after,
                "monthly_delta": c.delta,
            }
            for c in result.changes
        ],
        "totals": {
            "before": t.before,
            "after": t.after,
            "delta": t.delta,
            "percent": t.percent,
            "currency": "USD",
        },
        "summary": {
            "added": result.count("added"),
            "removed": result.count("removed"),
            "changed": result.count("changed"),
            "unchanged": result.unchanged,
            "unknown_prices": result.unknown_prices,
            "new_findings": len(result.new_findings),
            "resolved_findings": len(result.resolved_findings),
            "incomplete": result.incomplete,
        },
        "new_findings": [finding_json(f) for f in result.new_findings],
        "resolved_findings": [finding_json(f) for f in result.resolved_findings],
        "budget": {
            "ok": result.budget_ok,
            "incomplete": bool(result.checks) and result.incomplete,
            "checks": [c.to_json() for c in result.checks],
        },
        "errors": [error_json(e) for e in result.head.errors],
        "base_errors": [error_json(e) for e in result.base_errors],
    }
    return json_text(doc)


def render_markdown(result: DiffResult) -> str:
    """A pull-request comment: headline, cost table with a total line, budget, top findings, details."""
    t = result.totals
    multi = _multi_root(result)
    out = [MARKER, f"### Advisor: monthly cost {signed(t.delta)} ({percent(t.percent)})", ""]
    out.append(
        f"{money(t.before)} → {money(t.after)} per month against {md_code(result.ref)} "
        f"({md_code(result.commit[:12])}). {result.count('added')} added, {result.count('removed')} removed, "
        f"{result.count('changed')} changed, {result.unchanged} unchanged resources."
    )
    out.append("")
    header = ["| Change | Resource | Before | After | Delta |", "|---|---|---:|---:|---:|"]

    def row(c: ResourceChange) -> str:
        name = md_code(_name(c, multi))
        where = md_code(f"{rel(c.path)}:{c.line + 1}")
        return f"| {c.change} | {name} {where} | {_side(c, 'before')} | {_side(c, 'after')} | {_delta(c)} |"

    ranked = sorted(result.changes, key=lambda c: (c.delta is None, -abs(c.delta or 0.0), c.root, c.address))
    shown, rest = ranked[:TOP_RESOURCES], ranked[TOP_RESOURCES:]
    total_row = (
        f"| **Total** | | **{money(t.before)}** | **{money(t.after)}** | "
        f"**{signed(t.delta)} ({percent(t.percent)})** |"
    )
    out += header + [row(c) for c in shown] + [total_row]
    if rest:
        out += ["", f"<details><summary>{len(rest)} more changed resources</summary>", ""]
        out += header + [row(c) for c in rest] + ["", "</details>"]
    if result.unknown_prices:
        out += ["", f"{result.unknown_prices} resources have unknown prices and are not in the totals."]
    if result.checks:
        out.append("")
        if result.breaches:
            out.append("**Budget exceeded**")
            out += [f"- {md_cell(c.message())}" for c in result.breaches]
        if result.incomplete:
            out.append("**Budget not conclusive**: the analysis is incomplete (see the errors below).")
        elif not result.breaches:
            out.append("Budget: within every configured limit.")
    out.append("")
    findings = result.new_findings
    if not findings:
        out.append("No new findings.")
    else:
        savings = sum(f.monthly_savings or 0.0 for f in findings if (f.monthly_savings or 0) > 0)
        title = f"#### New findings ({len(findings)})"
        out.append(title + (f", potential savings {money(savings)}/mo" if savings else ""))
        out.append("")
        top = sorted(
            findings,
            key=lambda f: (-_rank(f.severity), -(f.monthly_savings or 0.0), f.span.path, f.span.line),
        )[:TOP_FINDINGS]
        for f in top:
            where = md_code(f"{rel(f.span.path)}:{f.span.line + 1}")
            out.append(f"- **{f.severity}** {md_code(f.rule)} {where}: {md_cell(f.message)}")
        out += ["", f"<details><summary>All new findings ({len(findings)})</summary>", ""]
        out += ["| Severity | Rule | Where | Finding | Saving/mo |", "|---|---|---|---|---:|"]
        for f in findings:
            where = md_code(f"{rel(f.span.path)}:{f.span.line + 1}")
            saving = money(f.monthly_savings) if (f.monthly_savings or 0) > 0 else ""
            out.append(f"| {f.severity} | {md_code(f.rule)} | {where} | {md_cell(f.message)} | {saving} |")
        out += ["", "</details>"]
    if result.resolved_findings:
        out += ["", f"Resolved findings: {len(result.resolved_findings)}."]
    errors = result.all_errors()
    if errors:
        out += ["", f"{len(errors)} files or blocks could not be read:"]
        for e in errors:
            where = rel(e.path) + (f":{e.span.line + 1}" if e.span else "")
            out.append(f"- {md_code(where)}: {md_cell(e.message)}")
    if result.incomplete:
        out += ["", "**Analysis incomplete**: the figures above leave out what these errors name."]
    return "".join(printable(line) + "\n" for line in out)


def _rank(severity: str) -> int:
    return SEVERITY_RANK.get(severity, 0)
