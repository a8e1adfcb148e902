"""`advisor cost`: a bill-like breakdown per resource, text table or the JSON of DESIGN §4."""

from __future__ import annotations

from typing import Any

from advisor.engine import Analysis, remote_modules_notice
from advisor.report.common import incomplete, json_text, printable, rel


def _num(x: float | None, places: int = 2) -> float | None:
    return None if x is None else round(x, places)


def render_json(analysis: Analysis, region: str, unit: tuple[str, float] | None = None) -> str:
    from advisor.report.json_report import pricing_info

    resources: list[dict[str, Any]] = []
    for c in analysis.costs:
        resources.append(
            {
                "address": c.address,
                "type": c.type,
                "path": rel(c.path),
                "line": c.line + 1,
                "monthly_cost": _num(c.monthly_cost),
                "estimate": c.estimate,
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
            }
        )
    doc: dict[str, Any] = {
        "version": 1,
        "pricing": pricing_info(region),
        "resources": resources,
        "not_priced": analysis.not_priced,
        "total": analysis.monthly_cost,
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


def _money(x: float | None) -> str:
    return "unknown" if x is None else f"${x:,.2f}"


def _unit_price(p: float) -> str:
    if p >= 0.01:
        text = f"{p:,.4f}".rstrip("0")
        return "$" + (text + "0" if text.endswith(".") or len(text.split(".")[-1]) < 2 else text)
    return f"${p:.10f}".rstrip("0")


def _quantity(q: float) -> str:
    return f"{q:,.0f}" if q >= 100 or float(q).is_integer() else f"{q:,.4g}"


def render_text(analysis: Analysis, unit: tuple[str, float] | None = None) -> str:
    rows: list[tuple[str, str, str, str]] = []
    for c in analysis.costs:
        est = " (estimate)" if c.estimate else ""
        usage_only = bool(c.components) and all(comp.quantity is None for comp in c.components)
        cost = "depends on usage" if usage_only else _money(c.monthly_cost)
        rows.append((printable(c.address), "", "", cost + est))
        for comp in c.components:
            if comp.quantity is None:
                qty, cost = "depends on usage", ""
            else:
                qty = f"{_quantity(comp.quantity)} {printable(comp.unit)}"
                cost = _money(comp.monthly_cost)
            price = (
                "unknown" if comp.unit_price is None else f"{_unit_price(comp.unit_price)} per {comp.unit}"
            )
            rows.append(("  " + printable(comp.name), qty, printable(price), cost))
    header = ("Resource", "Monthly qty", "Unit price", "Monthly cost")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]

    def line(cells: tuple[str, ...]) -> str:
        padded = [
            c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded)

    rule = "  ".join("─" * w for w in widths)
    lines = [line(header), rule, *(line(r) for r in rows), rule]
    total = f"${analysis.monthly_cost:,.2f}"
    lines.append(f"{'Total'.ljust(sum(widths[:3]) + 4)}  {total.rjust(widths[3])}")
    if unit is not None and unit[1] > 0:
        per = analysis.monthly_cost / unit[1]
        lines.append(f"Cost per {printable(unit[0])}: ${per:.6f} ({unit[1]:,.0f} per month)")
    unknown = [printable(c.address) for c in analysis.costs if c.monthly_cost is None]
    if unknown:
        lines.append(
            f"Price unknown for {len(unknown)} resource(s): {', '.join(unknown)} (not included in the total)"
        )
    if analysis.not_priced:
        names = ", ".join(printable(name) for name in analysis.not_priced)
        lines.append(f"Not priced ({len(analysis.not_priced)}): {names}")
    for e in analysis.errors:
        lines.append(f"error: {printable(rel(e.path))}: {printable(e.message)}")
    unanalysed = len(incomplete(analysis.errors))
    if unanalysed:
        lines.append(
            f"The total is incomplete: {unanalysed} error{'s' if unanalysed != 1 else ''} above left input "
            "unanalysed, and its resources are not counted."
        )
    if analysis.remote_modules:  # their resources are not in the total
        lines.append(remote_modules_notice(len(analysis.remote_modules)))
    return "\n".join(lines) + "\n"
