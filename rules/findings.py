"""Findings with structured fields, and the one place their messages are written.

A kind returns `Draft`s: a `Finding` without its message, plus the parts the message is made of
(what changes, the figure, where the value comes from, a remark). Launch templates are scaled by the
instances their autoscaling groups run and instances of a counted resource are merged on these fields;
`render` then writes every message once, so nothing reads a message back.

After the engine has filtered findings by configuration and ignore comments (which name one rule
id each), `merge_alternatives` makes one finding of the competing suggestions for the same value
(newer generation, Graviton ...), best first, and `settle_severity` keeps any finding that saves
nothing at `hint`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from advisor.model import Finding, Relocation, Resource, Span, TextEdit, UnitSaving, base_address
from advisor.money import money, unit_price
from advisor.rules.context import RuleContext
from advisor.rules.edits import header_span
from advisor.rules.table import Rule
from advisor.rules.targets import Target, number


def unit_figure(units: list[tuple[UnitSaving, str, str]]) -> str:
    """`$0.125 → $0.08 per GB-month (−36%), provisioned IOPS $0.065 → $0.005 per IOPS-month above
    3,000 (−92%)` for (unit prices, what is priced, which part of it)."""
    parts = []
    for u, label, part in units:
        text = f"{label} " if label else ""
        text += f"{unit_price(u.before)} → {unit_price(u.after)} per {u.unit}"
        if part:
            text += f" {part}"
        if u.after < u.before and u.before > 0:
            text += f" (−{round((u.before - u.after) / u.before * 100)}%)"
        elif u.after == u.before:
            text += " (same price)"
        parts.append(text)
    return ", ".join(parts)


def cheaper_per_unit(units: list[UnitSaving]) -> bool:
    """Every unit costs no more after the change, and one costs less."""
    return all(u.after <= u.before for u in units) and any(u.after < u.before for u in units)


def figures(before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return "price unknown in the catalog"
    if after >= before:
        return (
            f"{money(before)} → {money(after)}/mo (same price)"
            if after == before
            else f"{money(before)} → {money(after)}/mo"
        )
    saving = before - after
    pct = round(saving / before * 100) if before else 0
    return f"{money(before)} → {money(after)}/mo, saves {money(saving)} (−{pct}%)"


@dataclass(slots=True)
class Draft:
    """A finding and the parts of its message: `{head}: {lead}{figure}{note}{remark}`.

    `figure` None means the figures of `before` → `after` (unrounded, as computed); `whole` means
    `head` is the entire message (no figures). `origin` says `note` is where the value comes from,
    which the scaled form keeps. `scale` is set on a launch template's finding counted for the
    instances of its autoscaling groups, `merged` on the finding standing for counted instances.
    """

    finding: Finding
    head: str
    figure: str | None = None
    lead: str = ""
    note: str = ""
    origin: bool = False
    remark: str = ""
    before: float | None = None
    after: float | None = None
    whole: bool = False
    scale: tuple[int, list[str]] | None = None
    merged: int = 1

    def relocated(self, moved: Relocation) -> Draft:
        out = copy.copy(self)
        out.finding = moved.finding(self.finding)
        return out


def draft(
    rule: Rule,
    t: Target,
    ctx: RuleContext,
    head: str,
    current: Any,
    suggested: Any,
    before: float | None,
    after: float | None,
    edits: list[TextEdit | None],
    span: Span | None = None,
    attribute: str | None = None,
    unit_savings: list[UnitSaving] | None = None,
    hint: bool = False,
    safe: bool = True,
    **parts: Any,
) -> Draft:
    """The draft of a finding on target `t`; `parts` are `Draft`'s message fields.

    `hint`: the change saves nothing (same price or dearer) and is worth only a hint for the reason
    the remark gives; `safe` False: this fix needs review even if the rule's fixes are safe (a
    limit of the new value could not be checked)."""
    fix = [e for e in edits if e is not None]
    if len(fix) != len(edits):
        fix = []  # a partial fix would leave a wrong configuration: offer none
    if span is None:
        span = (
            t.value.span
            if t.value is not None and t.value.span is not None
            else header_span(t.resource, ctx.texts)
        )
    finding = Finding(
        rule=rule.id,
        severity="hint" if hint else ctx.config.severity.get(rule.id, rule.severity),  # type: ignore[arg-type]
        message="",
        span=span,
        resource=t.resource.address,
        attribute=attribute if attribute is not None else t.path,
        current=current,
        suggested=suggested,
        monthly_cost=None if before is None else round(before, 2),
        monthly_cost_after=None if after is None else round(after, 2),
        fix=fix,
        fix_safe=rule.safe and safe,
        fix_title=f"Change {current} to {suggested}" if suggested is not None else "",
        doc_url=rule.doc_url,
        unit_savings=unit_savings,
    )
    return Draft(finding, head, before=before, after=after, **parts)


def message(d: Draft) -> str:
    f = d.finding
    if d.whole:
        return d.head
    if d.merged > 1 and d.figure is None and f.monthly_cost is not None and f.monthly_cost_after is not None:
        return f"{d.head}: {figures(f.monthly_cost, f.monthly_cost_after)} for {d.merged} instances{d.remark}"
    if d.scale is not None:
        n, groups = d.scale
        kept = f"{d.note}{d.remark}" if d.origin and d.note else ""
        fig = figures(f.monthly_cost, f.monthly_cost_after)
        return f"{d.head}: {fig} for {n} instances of {', '.join(groups)}{kept}"
    fig = figures(d.before, d.after) if d.figure is None else d.figure
    return f"{d.head}: {d.lead}{fig}{d.note}{d.remark}"


def render(drafts: list[Draft]) -> list[Finding]:
    """The findings with their messages, each written once (a reused draft's is already written)."""
    out = []
    for d in drafts:
        if not d.finding.message:
            d.finding.message = message(d)
        out.append(d.finding)
    return out


def launched_by(resources: list[Resource]) -> dict[str, tuple[int, list[str]]]:
    """Launch template address → (instances its autoscaling groups run, the groups' addresses)."""
    out: dict[str, tuple[int, list[str]]] = {}
    for r in resources:
        if r.type != "aws_autoscaling_group" or not r.launch_template:
            continue
        # as the group's price counts them: desired_capacity when set, else min_size, else none;
        # a value unknown before apply counts one instance (figures per instance)
        attrs = r.body.attributes
        size = attrs.get("desired_capacity") or attrs.get("min_size")
        v = number(size) if size is not None else 0
        n = int(v) if v is not None else None
        count, groups = out.get(r.launch_template, (0, []))
        out[r.launch_template] = (count + (n if n is not None else 1), [*groups, r.address])
    return out


def _copy(d: Draft) -> Draft:
    """A draft to change: drafts may be shared with the previous run and are never changed."""
    out = copy.copy(d)
    out.finding = copy.copy(d.finding)
    out.finding.message = ""
    return out


def scale_templates(drafts: list[Draft], resources: list[Resource]) -> None:
    """A finding on a launch template counts once per instance its autoscaling groups launch."""
    launched = launched_by(resources)
    if not launched:
        return
    for i, d in enumerate(drafts):
        cost = d.finding.monthly_cost
        if d.finding.resource not in launched:
            continue
        n, groups = launched[d.finding.resource]
        if n == 0:  # its groups run no instance now (min_size 0, no desired_capacity)
            drafts[i] = _per_instance(d, groups)
            continue
        if n == 1 or cost is None:
            continue
        d = drafts[i] = _copy(d)
        f = d.finding
        f.monthly_cost = round(cost * n, 2)
        if f.monthly_cost_after is not None:
            f.monthly_cost_after = round(f.monthly_cost_after * n, 2)
        d.scale = (n, groups)


def _per_instance(d: Draft, groups: list[str]) -> Draft:
    """A launch template's finding whose groups run no instance now: nothing is saved this month, but
    every instance they scale out to would cost less, so the figures are per instance launched."""
    d = _copy(d)
    many = len(groups) > 1
    idle = f"its autoscaling group{'s' * many} {', '.join(groups)} run{'s' * (not many)} no instance now"
    if _per_unit(d, "instance-month", 4):
        d.figure = f"{d.figure} ({idle})"
    else:
        d.note = f"{d.note} ({idle})"
    return d


def _per_unit(d: Draft, unit: str, digits: int) -> bool:
    """The draft's monthly figures as a price per `unit` (rounded to `digits`), counted in no total;
    whether it had figures to restate (without, only the monthly ones are taken away)."""
    f = d.finding
    f.monthly_cost = f.monthly_cost_after = None
    if d.before is None or d.after is None or d.figure is not None:
        return False
    f.unit_savings = [UnitSaving(unit, round(d.before, digits), round(d.after, digits))]
    d.figure = unit_figure([(f.unit_savings[0], "", "")])
    return True


def in_other_regions(drafts: list[Draft], resources: list[Resource]) -> list[Draft]:
    """The findings of a resource's copies for the other regions of a region mapping
    (`Resource.variant_of`): only those about what that region's entry says (a finding the resource
    itself makes, with the same fix, is said once), placed at the entry, named for the resource and
    its region, with that region's figures per month, counted in no total (this deployment is in
    the resource's own region)."""
    variants = {r.address: r for r in resources if r.variant_of}
    if not variants:
        return drafts
    said: dict[tuple[str, str], list[set[tuple[str, int, int]]]] = {}
    for d in drafts:
        if d.finding.resource not in variants:
            said.setdefault((d.finding.rule, d.finding.resource), []).append(_places(d.finding.fix))
    out = []
    for d in drafts:
        variant = variants.get(d.finding.resource)
        if variant is None:
            out.append(d)
            continue
        places = _places(d.finding.fix)
        known = said.get((d.finding.rule, variant.variant_of), [])
        if not places or places in known:
            continue
        d = _copy(d)
        f = d.finding
        elsewhere = set().union(*known) if known else set()
        own = [e for e in f.fix if _places([e]).isdisjoint(elsewhere)] or f.fix
        f.span, f.resource = own[0].span, variant.variant_of
        d.head = f"{variant.region}: {d.head}"
        _per_unit(d, f"month in {variant.region}", 2)
        out.append(d)
    return out


def _places(fix: list[TextEdit]) -> set[tuple[str, int, int]]:
    """Where a fix's edits are (file, start, end)."""
    return {(e.span.path, e.span.start, e.span.end) for e in fix}


def merge_instances(drafts: list[Draft]) -> list[Draft]:
    """One finding per place in the text: instances of a counted resource add their figures up."""
    merged: dict[tuple[Any, ...], Draft] = {}
    for d in drafts:
        f = d.finding
        key = (
            f.rule,
            f.span.path,
            f.span.start,
            f.span.line,
            f.span.column,
            str(f.current),
            str(f.suggested),
        )
        first = merged.get(key)
        if first is None:
            merged[key] = d
            continue
        if first.merged == 1:
            first = merged[key] = _copy(first)  # a new finding: the instances' stay as they are
            first.finding.resource = base_address(first.finding.resource)
        total = first.finding
        if total.monthly_cost is not None and f.monthly_cost is not None:
            total.monthly_cost = round(total.monthly_cost + f.monthly_cost, 2)
        if total.monthly_cost_after is not None and f.monthly_cost_after is not None:
            total.monthly_cost_after = round(total.monthly_cost_after + f.monthly_cost_after, 2)
        _add_edits(total, f)
        first.merged += 1
    return list(merged.values())


def _add_edits(total: Finding, f: Finding) -> None:
    """The merged finding's fix changes every instance: one instance's value may be set elsewhere (each
    call of a module passes its own), so its edits are added to the others', each place once. An
    instance with no fix leaves the whole finding without one, as a partial fix would mislead."""
    if not total.fix:
        return
    if not f.fix:
        total.fix = []
        return
    places = _places(total.fix)
    extra = [e for e in f.fix if _places([e]).isdisjoint(places)]
    if extra:
        total.fix = [*total.fix, *extra]


SEVERITY_RANK = {"hint": 0, "info": 1, "warning": 2, "error": 3}


def saves_nothing(f: Finding) -> bool:
    """The finding's figures say the change costs as much or more (per month, or per unit)."""
    saving = f.monthly_savings
    if saving is not None:
        return saving <= 0
    return f.unit_savings is not None and not cheaper_per_unit(f.unit_savings)


def _best_first(f: Finding) -> tuple[float, bool]:
    """Largest known saving first; unknown savings after any known one; a safe fix before an unsafe."""
    saving = f.monthly_savings
    return (-(saving if saving is not None else float("-inf")), not f.fix_safe)


def _also(a: Finding) -> str:
    """An alternative as the best's message mentions it."""
    saving = a.monthly_savings
    if saving is not None:
        figure = f"saves {money(saving)}/mo" if saving > 0 else "saves nothing"
    elif a.unit_savings is not None:
        figure = "cheaper per unit" if cheaper_per_unit(a.unit_savings) else "not cheaper per unit"
    else:
        figure = "price unknown"
    return f"{a.suggested} ({a.rule}) {figure}"


def merge_alternatives(findings: list[Finding]) -> list[Finding]:
    """One finding per attribute value: suggestions of several rules for the same value become the
    `alternatives` of one finding, whose top-level fields are the best's (the largest saving), so
    every total counts the value once. Its severity is the highest of its alternatives', so a
    failure level fails as it would on any of them. Run after filtering: disabling or ignoring one
    rule id removes that alternative only."""
    groups: dict[tuple[Any, ...], list[Finding]] = {}
    order: list[Finding | tuple[Any, ...]] = []
    for f in findings:
        if f.suggested is None or not f.resource or not f.attribute:
            order.append(f)
            continue
        s = f.span
        key = (s.path, s.start, s.end, s.line, s.column, f.resource, f.attribute, str(f.current))
        group = groups.get(key)
        if group is None:
            group = groups[key] = []
            order.append(key)
        group.append(f)
    out: list[Finding] = []
    for item in order:
        if isinstance(item, Finding):
            out.append(item)
            continue
        group = groups[item]
        if len(group) == 1:
            out.append(group[0])
            continue
        alternatives = sorted(group, key=_best_first)
        best = alternatives[0]
        merged = copy.copy(best)  # findings may be shared with the previous run: never changed in place
        merged.alternatives = alternatives
        merged.severity = max((a.severity for a in alternatives), key=SEVERITY_RANK.__getitem__)
        merged.message = best.message + "; or " + "; or ".join(_also(a) for a in alternatives[1:])
        out.append(merged)
    return out


def settle_severity(findings: list[Finding]) -> list[Finding]:
    """A finding whose figures show no saving is a `hint`, whatever severity configuration gives it."""
    out = []
    for f in findings:
        if f.severity != "hint" and f.suggested is not None and saves_nothing(f):
            f = copy.copy(f)
            f.severity = "hint"
        out.append(f)
    return out
