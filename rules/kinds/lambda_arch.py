"""`lambda_arch`: a function on one architecture (`from`, also the default) where `to` is cheaper.

Row parameters: `from`, `to`, `unit_prices` (the catalog's per-unit prices of both, compared when
the monthly figure depends on usage that is not configured) and `unit_figure` (how that comparison
reads: `{before}`, `{after}`, `{pct}`), `unit` (what the unit prices are per, in `unit_savings`).
"""

from __future__ import annotations

from collections.abc import Sequence

from advisor.model import Resource, TextEdit, UnitSaving
from advisor.money import unit_price
from advisor.rules.context import RuleContext
from advisor.rules.edits import header_span, insert_attribute, replace_value
from advisor.rules.findings import Draft, draft, figures
from advisor.rules.kinds.registry import kind
from advisor.rules.table import Rule
from advisor.rules.targets import Target, targets_in


@kind("lambda_arch")
def check(rule: Rule, resources: Sequence[Resource], ctx: RuleContext) -> list[Draft]:
    return [d for t in targets_in(rule.targets, resources) if (d := check_target(rule, t, ctx)) is not None]


def check_target(rule: Rule, t: Target, ctx: RuleContext) -> Draft | None:
    p = rule.params
    old, new = p["from"], p["to"]
    value = t.value
    if value is not None and (not value.known or value.value != [old]):
        return None
    before, after = ctx.compare_change(t.resource, t.chain, {t.name: [new]})
    catalog = ctx.get_catalog()
    unit_before = catalog.price(p["unit_prices"][0], t.resource.region)
    unit_after = catalog.price(p["unit_prices"][1], t.resource.region)
    figure: str | None = None  # the monthly figures of before → after
    units: list[UnitSaving] | None = None
    if before is not None and after is not None and before > 0:
        pass
    elif unit_before is not None and unit_after is not None and unit_before.value > 0:
        pct = round((unit_before.value - unit_after.value) / unit_before.value * 100)
        figure = p["unit_figure"].format(
            before=unit_price(unit_before.value), after=unit_price(unit_after.value), pct=pct
        )
        before = after = None
        units = [UnitSaving(p.get("unit", "GB-second"), unit_before.value, unit_after.value)]
    else:
        figure = figures(None, None)
        before = after = None
    if before is not None and after is not None and after > before:
        return None
    edits: list[TextEdit | None]
    if value is None:
        edits = [insert_attribute(t.block, ctx.texts, t.name, [new], ctx.source_key(t.resource, t.name))]
        span = header_span(t.resource, ctx.texts)
        head = f"{old} (default) → {new}"
    else:
        target = value.elements[0] if isinstance(value.elements, list) and value.elements else value
        edits = [replace_value(ctx.texts, target, new)]
        span = None
        head = f"{old} → {new}"
    return draft(rule, t, ctx, head, old, new, before, after, edits, span, unit_savings=units, figure=figure)
