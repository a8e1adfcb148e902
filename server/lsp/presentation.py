"""Words and tables shown in the editor: the hover's cost breakdown, code lens and inlay labels.

Plain functions over the model, no protocol types, so what a user reads can be tested directly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from advisor.money import money as money  # the code actions' titles say money this way too
from advisor.money import unit_price

if TYPE_CHECKING:
    from advisor.model import Finding
    from advisor.pricing.commitments import Alternative, ComponentAlternatives
    from advisor.pricing.costs import CostComponent, ResourceCost

# per instance address: the reserved and spot prices of its EC2 / RDS instance lines
Alternatives = Mapping[str, Sequence["ComponentAlternatives"]]

MAX_HOVER_INSTANCES = 5
_INSTANCE_KEY = re.compile(r"\[[^\[\]]*\]$")


def block_address(address: str) -> str:
    """`module.db[0].aws_instance.x` for `module.db[0].aws_instance.x[2]`: only the last key goes,
    so a resource in a counted module keeps its module's index."""
    return _INSTANCE_KEY.sub("", address)


def quantity(c: CostComponent) -> str:
    if c.unknown_quantity:
        return "unknown"
    if c.quantity is None:
        return "depends on usage"
    q = c.quantity
    text = f"{q:,.0f}" if float(q).is_integer() else f"{q:,.3f}".rstrip("0").rstrip(".")
    return f"{text} {c.unit}".strip()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def root_of(address: str) -> str | None:
    """`live/prod` for `live/prod:aws_ebs_volume.data`: the Terragrunt root a module's instance was
    evaluated for, when one module folder is run by several roots (None otherwise)."""
    head, colon, _ = address.partition(":")
    return head if colon and not any(ch in head for ch in '["') else None


def by_root(costs: Sequence[ResourceCost]) -> list[tuple[str, list[ResourceCost]]] | None:
    """The costs of each Terragrunt root, in name order, when they come from more than one."""
    roots: dict[str, list[ResourceCost]] = {}
    for c in costs:
        root = root_of(c.address)
        if root is None:
            return None
        roots.setdefault(root, []).append(c)
    return sorted(roots.items()) if len(roots) > 1 else None


def total_label(costs: Sequence[ResourceCost], not_priced: bool) -> str:
    """`$123.45/mo`, `not priced` or `price unknown` for the instances of one resource block; for a
    module run by several Terragrunt roots, each root's figure (`$8.00/mo in live/dev · …`): the
    instances of two roots are two deployments, never one sum."""
    per_root = by_root(costs)
    if per_root is not None:
        return " · ".join(f"{total_label(group, False)} in {root}" for root, group in per_root)
    if not costs:
        return "not priced" if not_priced else "price unknown"
    totals = [c.monthly_cost for c in costs]
    if any(t is None for t in totals):
        return "price unknown"
    label = f"{money(sum(t or 0.0 for t in totals))}/mo"
    if len(costs) > 1:
        label += f" ({len(costs)} instances)"
    if any(comp.usage_based for c in costs for comp in c.components):
        label += " + usage"
    if any(c.estimate for c in costs):
        label += " (estimate)"
    return label


def file_total_label(costs: Sequence[ResourceCost], resource_count: int, module_calls: int = 0) -> str:
    """`Advisor: $253.44/mo in this file (1 resource, 2 module calls)`: what the file adds to the
    bill, its resources and the instances of the modules it calls."""
    known = [c.monthly_cost for c in costs if c.monthly_cost is not None]
    unknown = sum(1 for c in costs if c.monthly_cost is None)
    what = f"{resource_count} resource{'s' if resource_count != 1 else ''}"
    if module_calls:
        what += f", {module_calls} module call{'s' if module_calls != 1 else ''}"
    per_root = by_root(costs)
    if per_root is not None:  # one module, several deployments: each root's share of this file
        each = ", ".join(
            f"{money(sum(c.monthly_cost for c in group if c.monthly_cost is not None))}/mo in {root}"
            for root, group in per_root
        )
        label = f"Advisor: {each} from this file ({what})"
    else:
        label = f"Advisor: {money(sum(known))}/mo in this file ({what})"
    if unknown:
        label += f", {unknown} with unknown price"
    return label


def module_label(costs: Sequence[ResourceCost], findings: int, instances: int) -> str:
    """`$529.68/mo · 3 findings` above a module call: its resources' monthly total (the known part,
    and how many are unknown) and how many findings they have."""
    known = [c.monthly_cost for c in costs if c.monthly_cost is not None]
    unknown = len(costs) - len(known)
    label = f"{money(sum(known))}/mo"
    if instances > 1:
        label += f" ({instances} instances)"
    if unknown:
        label += f", {unknown} with unknown price"
    label += f" · {findings} finding{'s' if findings != 1 else ''}"
    return label


def cost_table(cost: ResourceCost) -> str:
    lines = [
        "| Component | Quantity | Unit price | Monthly |",
        "|---|---:|---:|---:|",
    ]
    for c in cost.components:
        price = "unknown" if c.unit_price is None else unit_price(c.unit_price)
        monthly = c.monthly_cost
        monthly_text = "unknown" if monthly is None else ("—" if c.usage_based else money(monthly))
        name = c.name + (" *(estimate)*" if c.estimate else "")
        lines.append(f"| {_cell(name)} | {_cell(quantity(c))} | {price} | {monthly_text} |")
    total = cost.monthly_cost
    lines.append(f"| **Total** | | | **{'unknown' if total is None else money(total)}** |")
    return "\n".join(lines)


def sources_line(costs: Sequence[ResourceCost], region: str) -> str:
    seen: list[str] = []
    for cost in costs:
        for c in cost.components:
            if c.source or c.as_of:
                item = " ".join(x for x in (c.source, f"as of {c.as_of}" if c.as_of else "") if x)
                if item not in seen:
                    seen.append(item)
    text = f"Prices: {', '.join(seen) if seen else 'no source'}; region {region}."
    if any(c.estimate for c in costs):
        text += f" Estimate: {region} is not in the price snapshot, so prices of a fallback region are shown."
    notes = sorted({n for cost in costs for n in cost.notes})
    for comp in (c for cost in costs for c in cost.components if c.note):
        if comp.note not in notes:
            notes.append(comp.note)
    if notes:
        text += "\n\n" + "\n".join(f"- {_cell(n)}" for n in notes)
    return text


def _alternative_figure(alt: Alternative, short: str) -> str:
    if alt.monthly_cost is None:
        return f"{short}: {alt.missing}"
    text = f"{short}: {money(alt.monthly_cost)}/mo"
    if alt.savings_percent is not None:
        pct = alt.savings_percent
        text += f" (−{pct:.0f}%)" if pct >= 0 else f" (+{-pct:.0f}%)"
    return text


def _alternative_sources(alts: Sequence[Alternative]) -> str:
    seen = []
    for alt in alts:
        item = " as of ".join(x for x in (alt.source, alt.as_of) if x)
        if item and item not in seen:
            seen.append(item)
    return f" — {', '.join(seen)}" if seen else ""


def alternatives_text(found: Sequence[ComponentAlternatives], region: str) -> str:
    """Reserved and spot prices of an instance's EC2 / RDS lines, each with its source and date:
    `Reserved 1 yr, no upfront: $43.80/mo (−38%) · 3 yr: $29.93/mo (−57%) — ec2shop-reserved as of
    2025-04-05`. Totals stay on-demand; a missing figure is said in words."""
    if not found:
        return ""
    lines = [f"*Other ways to buy these hours in {region} (totals above stay on-demand):*"]
    for entry in found:
        reserved = [a for a in entry.alternatives if a.kind.startswith("reserved_")]
        spot = [a for a in entry.alternatives if a.kind == "spot"]
        prefix = f"{_cell(entry.component)}: " if len(found) > 1 else ""
        if reserved:
            figures = [
                _alternative_figure(a, a.label if i == 0 else a.label.split(",")[0].removeprefix("Reserved "))
                for i, a in enumerate(reserved)
            ]
            lines.append(f"- {prefix}{' · '.join(figures)}{_alternative_sources(reserved)}")
        for alt in spot:
            lines.append(f"- {prefix}{_alternative_figure(alt, alt.label)}{_alternative_sources([alt])}")
    return "\n".join(lines)


def _with_alternatives(cost: ResourceCost, region: str, alternatives: Alternatives | None) -> list[str]:
    text = alternatives_text((alternatives or {}).get(cost.address, ()), region)
    return [text] if text else []


def resource_hover(
    address: str,
    rtype: str,
    region: str,
    costs: Sequence[ResourceCost],
    not_priced: bool,
    alternatives: Alternatives | None = None,
) -> str:
    """The cost breakdown of a resource block (all its count/for_each instances): `address` is the
    instance's when there is one, the block's when there are several (each then listed), with the
    reserved and spot prices of each instance's EC2 / RDS lines (`alternatives`, by address)."""
    head = f"**{address}** — {total_label(costs, not_priced)}"
    if not costs:
        why = (
            "Advisor has no price model for this resource type"
            if not_priced
            else "no price found in the catalog"
        )
        return f"{head}\n\n{why} (`{rtype}`)."
    parts = [head]
    for cost in costs[:MAX_HOVER_INSTANCES]:
        if len(costs) > 1:
            parts.append(f"`{cost.address}`")
        parts.append(cost_table(cost))
        parts.extend(_with_alternatives(cost, region, alternatives))
    if len(costs) > MAX_HOVER_INSTANCES:
        parts.append(f"… and {len(costs) - MAX_HOVER_INSTANCES} more instances.")
    parts.append(sources_line(costs, region))
    return "\n\n".join(parts)


def template_hover(
    address: str, region: str, launchers: Sequence[ResourceCost], alternatives: Alternatives | None = None
) -> str:
    """A launch template's hover: it costs nothing by itself, its instances are priced in the
    autoscaling groups that launch them (the figures its findings carry)."""
    names = ", ".join(f"`{c.address}`" for c in launchers)
    parts = [
        f"**{address}** — instances priced in {names}: {total_label(launchers, False)}",
        "A launch template launches nothing by itself: its instances are priced in the autoscaling "
        "groups that use it.",
    ]
    for cost in launchers[:MAX_HOVER_INSTANCES]:
        parts.append(f"`{cost.address}`")
        parts.append(cost_table(cost))
        parts.extend(_with_alternatives(cost, region, alternatives))
    if len(launchers) > MAX_HOVER_INSTANCES:
        parts.append(f"… and {len(launchers) - MAX_HOVER_INSTANCES} more groups.")
    parts.append(sources_line(launchers, region))
    return "\n\n".join(parts)


def template_lens(launchers: Sequence[ResourceCost]) -> str:
    """`in aws_autoscaling_group.workers: $613.20/mo`: where a launch template's instances are priced."""
    names = ", ".join(c.address for c in launchers[:2])
    if len(launchers) > 2:
        names += f" and {len(launchers) - 2} more"
    return f"in {names}: {total_label(launchers, False)}"


def finding_hover(f: Finding) -> str:
    lines = [f"**{f.rule}** ({f.severity}): {_cell(f.message)}"]
    if f.current is not None or f.suggested is not None:
        lines.append(f"Before: `{f.current}` · After: `{f.suggested}`")
    if f.monthly_cost is not None or f.monthly_cost_after is not None:
        before = "unknown" if f.monthly_cost is None else f"{money(f.monthly_cost)}/mo"
        after = "unknown" if f.monthly_cost_after is None else f"{money(f.monthly_cost_after)}/mo"
        text = f"Monthly: {before} → {after}"
        saving = f.monthly_savings
        if saving is not None and saving > 0:
            text += f" (saves {money(saving)}/mo)"
        lines.append(text)
    if f.fix:
        lines.append(
            "Fix available" + ("" if f.fix_safe else " (review before applying: it changes behaviour)") + "."
        )
    if f.alternatives:  # the other suggestions for this value, each with its own figures and fix
        rows = ["| Instead | Rule | Monthly | Saves | Fix |", "|---|---|---:|---:|---|"]
        for alt in (f, *f.alternatives):
            after = "unknown" if alt.monthly_cost_after is None else money(alt.monthly_cost_after)
            saves = money(alt.monthly_savings) if alt.monthly_savings and alt.monthly_savings > 0 else ""
            fix = ("safe" if alt.fix_safe else "review") if alt.fix else "none"
            rows.append(f"| `{_cell(str(alt.suggested))}` | {alt.rule} | {after} | {saves} | {fix} |")
        lines.append("\n".join(rows))
    if f.doc_url:
        lines.append(f"[Rule documentation]({f.doc_url})")
    return "\n\n".join(lines)


def fix_title(f: Finding) -> str:
    title = f.fix_title or f"Apply the {f.rule} fix"
    saving = f.monthly_savings
    if saving is not None and saving > 0:
        title += f" (saves {money(saving)}/mo)"
    return title
