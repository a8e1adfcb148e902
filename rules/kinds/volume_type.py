"""`volume_type`: a storage type in `from` is changed to `to`, with the IOPS it needs carried over.

Row parameters: `from`, `to`, `defaults` (the type when unset, per target), `carry_iops` with
`max_iops`, `max_iops_per_gib`, `max_throughput` (the new type's limits), `only_beyond_iops` and
`only_beyond_iops_per_gib` (only volumes past those), `keep_baseline_iops` (gp2's 3 IOPS/GiB),
`allow_equal_price`, `report_even_if_dearer` (the remark when the new type costs more).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from advisor.model import Resource, TextEdit
from advisor.rules.context import RuleContext
from advisor.rules.edits import header_span, insert_attribute, replace_value, set_attribute
from advisor.rules.findings import Draft, draft
from advisor.rules.kinds import kind
from advisor.rules.table import Rule
from advisor.rules.targets import Target, number, origin_note, targets_in

SIZE_ATTRIBUTES = ("size", "volume_size", "allocated_storage", "disk_size")


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
    size = next((number(attrs.get(a)) for a in SIZE_ATTRIBUTES if a in attrs), None)
    iops = number(attrs.get("iops"))
    throughput = number(attrs.get("throughput"))
    to = p["to"]
    changes: dict[str, Any] = {t.name: to}
    extra_note = ""
    edits: list[TextEdit | None] = []
    if p.get("carry_iops"):
        if iops is None or size is None:
            return None  # cannot prove the volume fits the new type's limits
        if (
            iops > p["max_iops"]
            or iops > p["max_iops_per_gib"] * size
            or (throughput or 0) > p["max_throughput"]
        ):
            return None
        new_iops = int(max(iops, 3000))
        changes["iops"] = new_iops
        extra_note = f" keeps {int(iops)} IOPS" if iops > 3000 else ""
        if new_iops != iops:
            edits.append(
                set_attribute(t.block, ctx.texts, "iops", new_iops, ctx.source_key(t.resource, "iops"))
            )
    if "only_beyond_iops" in p:
        if iops is None or size is None:
            return None
        if not (iops > p["only_beyond_iops"] or iops > p["only_beyond_iops_per_gib"] * size):
            return None
    if p.get("keep_baseline_iops") and size is not None:
        baseline = int(min(max(3 * size, 100), 16000))
        if baseline > 3000 and iops is None:
            changes["iops"] = baseline
            extra_note = f" keeps its {baseline} baseline IOPS"
            edits.append(
                set_attribute(t.block, ctx.texts, "iops", baseline, ctx.source_key(t.resource, "iops"))
            )
    before, after = ctx.compare_change(t.resource, t.chain, changes)
    remark = ""
    if before is not None and after is not None:
        if after > before and p.get("report_even_if_dearer"):
            remark = f" — {p['report_even_if_dearer']}"
        elif after > before or (after == before and not p.get("allow_equal_price")):
            return None
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
        rule, t, ctx, head, current, to, before, after, edits, span, note=note, origin=origin, remark=remark
    )
