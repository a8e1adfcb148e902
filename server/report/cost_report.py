"""`advisor cost`: a bill-like breakdown per resource, a text table that fits the terminal or the JSON
of DESIGN §4."""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from advisor.display import (
    DEFAULT_WIDTH,
    display_width,
    entry,
    glued,
    json_text,
    printable,
    rel,
    spread,
    wrap,
)
from advisor.engine import Analysis, remote_modules_notice
from advisor.money import money, per_unit, unit_price
from advisor.report.common import incomplete

if TYPE_CHECKING:
    from advisor.pricing.costs import ResourceCost


def _num(x: float | None, places: int = 2) -> float | None:
    return None if x is None else round(x, places)


@dataclass(slots=True)
class Project:
    """The resources one root was evaluated in (a root module folder, a Terragrunt root or a template)
    and their subtotal: each Terragrunt root is a project of its own, like a deployment."""

    root: str
    kind: str  # "terraform", "terragrunt" or "template"
    costs: list[ResourceCost]

    @property
    def monthly_cost(self) -> float:
        return round(sum(c.monthly_cost or 0.0 for c in self.costs), 2)

    @property
    def unknown(self) -> int:
        return sum(1 for c in self.costs if c.monthly_cost is None)


def projects(analysis: Analysis) -> list[Project]:
    """The costs grouped by the root they were evaluated in, in root order."""
    from advisor.iac.files import TERRAGRUNT_FILE

    grouped: dict[str, list[ResourceCost]] = {}
    for c in analysis.costs:
        grouped.setdefault(c.root or os.path.dirname(c.path) or ".", []).append(c)
    out = []
    for root in sorted(grouped):
        if os.path.isfile(os.path.join(root, TERRAGRUNT_FILE)):
            kind = "terragrunt"
        else:
            kind = "terraform" if os.path.isdir(root) else "template"
        out.append(Project(root, kind, grouped[root]))
    return out


def render_json(analysis: Analysis, region: str, unit: tuple[str, float] | None = None) -> str:
    from advisor.pricing.catalog import Catalog
    from advisor.pricing.commitments import alternatives_for, as_json
    from advisor.report.json_report import pricing_info

    catalog = Catalog.default()
    regions = {r.address: r.region for r in analysis.resources}
    resources: list[dict[str, Any]] = []
    for c in analysis.costs:
        # reserved and spot prices of EC2 / RDS instance lines, beside (never in) the on-demand figures
        alternatives = as_json(alternatives_for(c, regions.get(c.address, region), catalog))
        resources.append(
            {
                "address": c.address,
                "type": c.type,
                "path": rel(c.path),
                "line": c.line + 1,
                "monthly_cost": _num(c.monthly_cost),
                "estimate": c.estimate,
                **({"count_unknown": True} if c.count_unknown else {}),
                "components": [
                    {
                        "name": comp.name,
                        "quantity": comp.quantity,
                        "unit": comp.unit,
                        "unit_price": comp.unit_price,
                        "monthly_cost": _num(comp.monthly_cost) if comp.quantity is not None else None,
                        "source": comp.source,
                        "as_of": comp.as_of,
                        **({"note": comp.note} if comp.note else {}),
                    }
                    for comp in c.components
                ],
                **({"notes": c.notes} if c.notes else {}),
                **({"alternatives_pricing": alternatives} if alternatives else {}),
            }
        )
    for listed, c in zip(resources, analysis.costs, strict=True):
        listed["project"] = rel(c.root or os.path.dirname(c.path) or ".")
    doc: dict[str, Any] = {
        "version": 1,
        "pricing": pricing_info(region),
        "resources": resources,
        "not_priced": analysis.not_priced,
        "total": analysis.monthly_cost,
        "projects": [
            {
                "name": rel(p.root),
                "kind": p.kind,
                "resources": len(p.costs),
                "monthly_cost": p.monthly_cost,
                "unknown": p.unknown,
            }
            for p in projects(analysis)
        ],
        "count_unknown": analysis.count_unknown,
    }
    if unit is not None and unit[1] > 0:
        doc["unit"] = {
            "name": unit[0],
            "monthly_volume": unit[1],
            "cost_per_unit": analysis.monthly_cost / unit[1],
        }
    doc["incomplete"] = bool(incomplete(analysis.errors))  # the total leaves out what was not analysed
    if analysis.errors:
        doc["errors"] = [
            {"path": rel(e.path), "message": e.message, "incomplete": e.incomplete} for e in analysis.errors
        ]
    return json_text(doc)


def _quantity(q: float) -> str:
    return f"{q:,.0f}" if q >= 100 or float(q).is_integer() else f"{q:,.4g}"


_PLURAL_WORD = re.compile(r"(.*?)([a-z]+[^s]s)")  # "hours", "GB-seconds", "alarm metrics"


def singular(unit: str) -> str:
    """One of a bill line's `unit` (which is plural): "hours" → "hour", "GB-seconds" → "GB-second",
    "alarm metrics" → "alarm metric". Symbols ("GB", "IOPS", "MBps") and batches ("1M requests",
    "1k objects": a price per batch) stay as they are."""
    match = None if unit[:1].isdigit() else _PLURAL_WORD.fullmatch(unit)
    return unit if match is None else match.group(1) + match.group(2)[:-1]


def _amount(quantity: float, unit: str) -> str:
    """ "730 hours", "1 month", "20 GB"."""
    return f"{_quantity(quantity)} {singular(unit) if quantity == 1 else unit}"


def _type_of(address: str) -> str:
    """The resource type in a Terraform address (`module.a.aws_x.b[0]` → `aws_x`), else the address."""
    parts = re.sub(r"\[[^\]]*\]", "", address).split(".")
    while len(parts) > 2 and parts[0] == "module":
        parts = parts[2:]
    if parts and parts[0] == "data":
        parts = parts[1:]
    return parts[0] if len(parts) == 2 else address


def not_priced_by_type(analysis: Analysis) -> list[tuple[str, int]]:
    """(type, count) of the resources without an estimator, most frequent first: what a reader can act
    on (the JSON report lists each address)."""
    types = {r.address: r.source_type or r.type for r in analysis.resources}
    counts = Counter(types.get(address) or _type_of(address) for address in analysis.not_priced)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


_SHOWN_TYPES = 12  # "Not priced" names this many types, then says how many more


def _table(rows: list[tuple[str, str, str, str] | tuple[str, str]], total: str, width: int) -> list[str]:
    """The bill: resource lines (address and cost, across the table) and their component lines (name,
    quantity, unit price, cost) in four columns when they fit `width`, the component names wrapped if
    need be; else two columns, with each quantity and unit price on a line under its component."""
    parts = [r for r in rows if len(r) == 4]
    header = ("Resource", "Monthly qty", "Unit price", "Monthly cost")
    natural = [max([display_width(header[i])] + [display_width(r[i]) for r in parts]) for i in range(4)]
    natural[0] = max(natural[0], *(display_width("  " + r[0]) for r in parts)) if parts else natural[0]
    natural[3] = max(natural[3], display_width(total))
    names = width - (natural[1] + natural[2] + natural[3] + 6)  # room for the names at full width
    if sum(natural) + 6 <= width or names >= _MIN_NAMES:
        return _four_columns(rows, [min(natural[0], names), *natural[1:]], total, header)
    return _two_columns(rows, natural[3], total, width)


_MIN_NAMES = 28  # narrower than this, the component names would wrap too much: two columns instead


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - display_width(text), 0)


def _right(text: str, width: int) -> str:
    return " " * max(width - display_width(text), 0) + text


def _four_columns(
    rows: list[tuple[str, str, str, str] | tuple[str, str]],
    widths: list[int],
    total: str,
    header: tuple[str, str, str, str],
) -> list[str]:
    full = sum(widths) + 6

    def line(cells: tuple[str, str, str, str]) -> str:
        return "  ".join(
            [
                _pad(cells[0], widths[0]),
                _pad(cells[1], widths[1]),
                _pad(cells[2], widths[2]),
                _right(cells[3], widths[3]),
            ]
        )

    rule = "  ".join("─" * w for w in widths)
    lines = [line(header), rule]
    for row in rows:
        if len(row) == 2:
            lines.extend(spread(row[0], row[1], full))
            continue
        name, qty, price, cost = row
        names = wrap(name, widths[0], "  ", "    ")
        if display_width(names[0]) > widths[0]:  # one word wider than the column: the figures under it
            lines.extend(names)
            names = [""]
        lines.append(line((names[0], qty, price, cost)).rstrip())
        lines.extend(names[1:])
    lines.append(rule)
    lines.extend(spread("Total", total, full))
    return lines


def _two_columns(
    rows: list[tuple[str, str, str, str] | tuple[str, str]], cost_width: int, total: str, width: int
) -> list[str]:
    lines = [*spread("Resource", "Monthly cost", width), "─" * width]
    for row in rows:
        if len(row) == 2:
            lines.extend(spread(row[0], row[1], width))
            continue
        name, qty, price, cost = row
        names = wrap(name, width - cost_width - 2, "  ", "    ")
        lines.extend(spread(names[0], cost, width) if cost else names[:1])
        lines.extend(names[1:])
        if qty == _DEPENDS:
            detail = f"{_DEPENDS}, {price}"
        elif price == "unknown":
            detail = f"{qty}, unit price unknown"
        else:
            detail = f"{qty} × {price}"
        lines.extend(wrap(detail, width, "      "))
    lines.append("─" * width)
    lines.extend(spread("Total", total, width))
    return lines


_DEPENDS = "depends on usage"


def _project_row(p: Project) -> tuple[str, str]:
    """A project's heading in the bill: its root, its kind and its subtotal."""
    unknown = f" + {p.unknown} unknown" if p.unknown else ""
    kind = " (Terragrunt)" if p.kind == "terragrunt" else ""
    return (f"Project {printable(rel(p.root))}{kind}", f"{money(p.monthly_cost)}{unknown}")


def render_text(
    analysis: Analysis,
    unit: tuple[str, float] | None = None,
    color: bool = False,
    width: int = DEFAULT_WIDTH,
) -> str:
    """The bill as a table `width` columns wide, then what it leaves out: unknown prices, resources
    without an estimator (by type), errors, and module calls not analysed."""
    rows: list[tuple[str, str, str, str] | tuple[str, str]] = []
    groups = projects(analysis)
    by_project = any(p.kind == "terragrunt" for p in groups)  # then each root with its subtotal
    for c in [c for p in groups for c in p.costs] if by_project else analysis.costs:
        heading = next((p for p in groups if p.costs[0] is c), None) if by_project else None
        if heading is not None:
            rows.append(_project_row(heading))
        est = " (estimate)" if c.estimate else ""
        cost = _DEPENDS if c.usage_only else money(c.monthly_cost)
        rows.append((printable(c.address), cost + est))
        for comp in c.components:
            if comp.unknown_quantity:
                qty, cost = "unknown quantity", "unknown"
            elif comp.quantity is None:
                qty, cost = _DEPENDS, ""
            else:
                qty = printable(_amount(comp.quantity, comp.unit))
                cost = money(comp.monthly_cost)
            price = (
                "unknown"
                if comp.unit_price is None
                else f"{unit_price(comp.unit_price)} per {singular(comp.unit)}"
            )
            rows.append((printable(comp.name), qty, printable(price), cost))
    lines = _table(rows, money(analysis.monthly_cost), width)
    if color:  # bold header and total: whole lines, so the layout is unchanged
        lines[0] = f"\033[1m{lines[0]}\033[0m"
        lines[-1] = f"\033[1m{lines[-1]}\033[0m"
    notes: list[str] = []
    if unit is not None and unit[1] > 0:
        per = analysis.monthly_cost / unit[1]
        notes.append(f"Cost per {printable(unit[0])}: {per_unit(per)} ({unit[1]:,.0f} per month)")
    uncounted = analysis.count_unknown
    if uncounted:
        noun, verb = ("resource", "is") if uncounted == 1 else ("resources", "are")
        notes.append(f"{uncounted} {noun} with an unknown count {verb} counted once")
    unknown = [printable(c.address) for c in analysis.costs if c.monthly_cost is None]
    if unknown:
        noun = "resource" if len(unknown) == 1 else "resources"
        notes.append(
            f"Price unknown for {len(unknown)} {noun}: {', '.join(unknown)} (not included in the total)"
        )
    if analysis.not_priced:
        by_type = not_priced_by_type(analysis)
        shown = [glued(f"{printable(t)} ×{n}") for t, n in by_type[:_SHOWN_TYPES]]
        more = len(by_type) - _SHOWN_TYPES
        if more > 0:
            shown.append(glued(f"and {more} more type{'s' if more != 1 else ''}"))
        count = len(analysis.not_priced)
        noun = "resource" if count == 1 else "resources"
        notes.append(f"Not priced ({count} {noun}): {', '.join(shown)}")
    for note in notes:
        lines.extend(wrap(note, width, "", "  "))
    for e in analysis.errors:
        lines.extend(entry(f"error: {printable(rel(e.path))}", "", printable(e.message), width))
    unanalysed = len(incomplete(analysis.errors))
    if unanalysed:
        errors = "error" if unanalysed == 1 else "errors"
        lines.extend(
            wrap(
                f"The total is incomplete: {unanalysed} {errors} above left input unanalysed, and "
                "its resources are not counted.",
                width,
                "",
                "  ",
            )
        )
    if analysis.remote_modules:  # their resources are not in the total
        lines.extend(wrap(remote_modules_notice(analysis.remote_modules), width, "", "  "))
    return "\n".join(lines) + "\n"
