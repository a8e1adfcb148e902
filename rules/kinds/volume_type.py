"""`volume_type`: a storage type in `from` is changed to `to`, with the IOPS it needs carried over.

Row parameters: `from`, `to`, `defaults` (the type when unset, per target), `carry_iops` with
`max_iops`, `max_iops_per_gib`, `max_throughput` (the new type's limits), `only_beyond_iops` and
`only_beyond_iops_per_gib` (only volumes past those), `keep_baseline_iops` (gp2's 3 IOPS/GiB),
`not_cheaper` (why the change is still worth a hint when it costs the same or more; without it such
a change is not reported), `baseline_iops` (RDS gp3: the IOPS included by size, `[[from GiB, IOPS],
…]`) with `provision_from_gib` (below it no IOPS can be set: a volume needing more than the baseline
has no equivalent and one within it loses its `iops`) and `skip_engines` (engine prefixes whose
storage follows other limits), `unit_prices` (the catalog keys compared per unit when the size or the
IOPS is unknown: `unit`, `before`, `after` with `{from}` and `{az}` filled in, `label`, `part`).

When a quantity the price depends on is unknown (a size or IOPS from a variable without a default),
the finding compares the unit prices instead of monthly figures, and states the limits of the new
type that could not be checked rather than assuming them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from advisor.model import Resource, TextEdit, UnitSaving
from advisor.rules.context import RuleContext
from advisor.rules.edits import header_span, insert_attribute, remove_attribute, replace_value, set_attribute
from advisor.rules.findings import Draft, cheaper_per_unit, draft, figures, unit_figure
from advisor.rules.kinds.registry import kind
from advisor.rules.prices import unit_price
from advisor.rules.table import Rule
from advisor.rules.targets import MODULE_CALL, Target, number, origin_note, targets_in

SIZE_ATTRIBUTES = ("size", "volume_size", "allocated_storage", "disk_size")
IOPS_PRICED = ("io1", "io2")  # types billed per provisioned IOPS: their price needs `iops`


@kind("volume_type")
def check(rule: Rule, resources: Sequence[Resource], ctx: RuleContext) -> list[Draft]:
    return [d for t in targets_in(rule.targets, resources) if (d := check_target(rule, t, ctx)) is not None]


def check_target(rule: Rule, t: Target, ctx: RuleContext) -> Draft | None:
    p = rule.params
    defaults = p.get("defaults", {})
    if t.value is None:
        current = defaults.get(f"{t.resource.type}:{t.path}")
        if current is None:
            return None
    elif not t.value.known:
        return None
    else:
        current = str(t.value.value).lower()
    if current not in p["from"]:
        return None
    attrs = t.block.attributes
    size_name = next((a for a in SIZE_ATTRIBUTES if a in attrs), SIZE_ATTRIBUTES[0])
    size = number(attrs.get(size_name))
    iops = number(attrs.get("iops"))
    throughput = number(attrs.get("throughput"))
    to = p["to"]
    changes: dict[str, Any] = {t.name: to}
    extra_note = ""
    unchecked = ""  # the new type's limits that could not be checked, said in the message
    baseline_unchecked = ""
    safe = True
    edits: list[TextEdit | None] = []
    if p.get("carry_iops"):
        if iops is not None and (
            iops > p["max_iops"]
            or (size is not None and iops > p["max_iops_per_gib"] * size)
            or (throughput or 0) > p["max_throughput"]
        ):
            return None
        if iops is None or size is None:
            unknown = " and ".join(n for n, v in (("iops", iops), (size_name, size)) if v is None)
            unchecked = (
                f"; {to} takes at most {p['max_iops']:,} IOPS ({p['max_iops_per_gib']} per GB) "
                f"and {p['max_throughput']:,} MiB/s, not checked: {unknown} unknown"
            )
            safe = False
        if iops is not None:
            new_iops = int(max(iops, 3000))
            changes["iops"] = new_iops
            extra_note = f" keeps {int(iops)} IOPS" if iops > 3000 else ""
            if new_iops != iops:
                edits.append(
                    set_attribute(t.block, ctx.texts, "iops", new_iops, ctx.source_key(t.resource, "iops"))
                )
    if "baseline_iops" in p:
        engine = t.resource.body.attributes.get("engine")
        if engine is not None and engine.known and str(engine.value).startswith(tuple(p["skip_engines"])):
            return None
        if iops is None or size is None:
            unknown = " and ".join(n for n, v in (("iops", iops), (size_name, size)) if v is None)
            first, last = p["baseline_iops"][0][1], p["baseline_iops"][-1][1]
            unchecked = (
                f"; {to} includes {first:,} IOPS, {last:,} from {p['provision_from_gib']:,} GB, where up to "
                f"{p['max_iops']:,} can be provisioned: not checked, {unknown} unknown"
            )
            safe = False
        else:
            baseline = max(n for start, n in p["baseline_iops"] if size >= start)
            if iops <= baseline:  # the baseline covers it: gp3 takes no `iops` here
                changes["iops"] = None
                extra_note = f" (its {baseline:,} included IOPS cover {int(iops):,})"
                edits.append(remove_attribute(t.block, ctx.texts, "iops"))
            elif size < p["provision_from_gib"] or iops > p["max_iops"]:
                return None  # no gp3 volume of this size gives these IOPS
            else:
                extra_note = f" keeps {int(iops):,} IOPS"
    if "only_beyond_iops" in p:
        if iops is None or size is None:
            return None
        if not (iops > p["only_beyond_iops"] or iops > p["only_beyond_iops_per_gib"] * size):
            return None
    if p.get("keep_baseline_iops"):
        if size is not None:
            baseline = int(min(max(3 * size, 100), 16000))
            if baseline > 3000 and iops is None:
                changes["iops"] = baseline
                extra_note = f" keeps its {baseline} baseline IOPS"
                edits.append(
                    set_attribute(t.block, ctx.texts, "iops", baseline, ctx.source_key(t.resource, "iops"))
                )
        else:  # said below only when the size is really unknown, not assumed by the estimator
            baseline_unchecked = (
                f"; over 1,000 GB, set iops to keep {current}'s 3 IOPS per GB ({size_name} unknown)"
            )
    units: list[tuple[UnitSaving, str, str]] | None = None
    quantities = ((size_name, size), ("iops", iops if current in IOPS_PRICED else 0))
    depends = [name for name, v in quantities if v is None]
    before, after = ctx.compare_change(t.resource, t.chain, changes)
    if t.resource.type == MODULE_CALL:  # passed to a module that is not analysed: never priced
        depends = depends or ["how many volumes the module makes"]
    if before is not None and after is not None:
        depends = []  # priced all the same (a size the estimator assumes when unset, e.g. a root disk)
    elif depends:  # the monthly figure cannot be known: compare what each unit costs
        units = unit_prices(p, current, t, ctx)
        if baseline_unchecked:
            unchecked, safe = baseline_unchecked, False
    remark = ""
    hint = False
    if before is not None and after is not None:
        not_cheaper, same = after >= before, after == before
    elif units:
        not_cheaper = not cheaper_per_unit([u for u, _, _ in units])
        same = all(u.after == u.before for u, _, _ in units)
    else:
        not_cheaper = same = False  # a price unknown in the catalog: said as such
    if not_cheaper:
        if not p.get("not_cheaper"):
            return None
        remark = f" — {to} costs {'the same' if same else 'more'} here but {p['not_cheaper']}"
        hint = True
    figure: str | None = None
    if depends:
        depends_on = f"the monthly saving depends on {' and '.join(depends)}"
        if units:
            figure = f"{unit_figure(units)}; {depends_on}"
        else:  # no unit prices for this row, or one missing from the catalog
            figure = figures(None, None) if p.get("unit_prices") else depends_on
    if t.value is None:
        edits.insert(0, insert_attribute(t.block, ctx.texts, t.name, to, ctx.source_key(t.resource, t.name)))
        span = header_span(t.resource, ctx.texts)
        note, origin = f" ({t.name} is not set and defaults to {current})", False
    else:
        edits.insert(0, replace_value(ctx.texts, t.value, to))
        span = None
        note, origin = origin_note(t.value), True
    head = f"{current} → {to}{extra_note}"
    return draft(
        rule,
        t,
        ctx,
        head,
        current,
        to,
        before,
        after,
        edits,
        span,
        unit_savings=None if units is None else [u for u, _, _ in units],
        hint=hint,
        safe=safe,
        figure=figure,
        note=note,
        origin=origin,
        remark=unchecked + remark,
    )


def unit_prices(
    p: dict[str, Any], current: str, t: Target, ctx: RuleContext
) -> list[tuple[UnitSaving, str, str]] | None:
    """The row's `unit_prices` from the catalog in the resource's region (None: one is missing)."""
    multi_az = t.block.attributes.get("multi_az")
    az = "multi-az" if multi_az is not None and multi_az.known and multi_az.value is True else "single-az"
    out = []
    for spec in p.get("unit_prices", []):
        keys = [spec[k].format(**{"from": current, "az": az}) for k in ("before", "after")]
        before, after = (unit_price(ctx, k, t.resource.region) for k in keys)
        if before is None or after is None:
            return None
        out.append((UnitSaving(spec["unit"], before, after), spec.get("label", ""), spec.get("part", "")))
    return out or None
