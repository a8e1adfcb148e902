"""`instance_family`: an instance type whose family has a cheaper successor of the same size.

Row parameters: `successors` (a table of `families.toml`), `catalog_prefix` (`db.`, `cache.`),
`only_previous_generation` / `only_current_generation` (the catalog's generation column), `remark`
(said after the figures, e.g. what the change needs).
"""

from __future__ import annotations

from collections.abc import Sequence

from advisor.model import Resource
from advisor.rules.context import RuleContext
from advisor.rules.edits import replace_value
from advisor.rules.findings import Draft, draft
from advisor.rules.kinds import kind
from advisor.rules.table import Rule, families
from advisor.rules.targets import Target, origin_note, targets_in


@kind("instance_family")
def check(rule: Rule, resources: Sequence[Resource], ctx: RuleContext) -> list[Draft]:
    return [d for t in targets_in(rule.targets, resources) if (d := check_target(rule, t, ctx)) is not None]


def check_target(rule: Rule, t: Target, ctx: RuleContext) -> Draft | None:
    if t.value is None or not t.value.known or not isinstance(t.value.value, str):
        return None
    current = t.value.value.strip()
    prefix = rule.params.get("catalog_prefix", "")
    if not current.startswith(prefix):
        return None
    family, dot, size = current[len(prefix) :].partition(".")
    if not dot:
        return None
    table = families().get(rule.params["successors"], {})
    candidates = table.get(family)
    if not candidates:
        return None
    catalog = ctx.get_catalog()
    info = catalog.instance_type(current)
    generation = getattr(info, "generation", None)
    if rule.params.get("only_previous_generation") and generation == "current":
        return None
    if rule.params.get("only_current_generation") and generation != "current":
        return None
    best: tuple[float | None, float | None, str] | None = None
    for fam in candidates:
        candidate = f"{prefix}{fam}.{size}"
        if catalog.instance_type(candidate) is None:
            continue
        before, after = ctx.compare_change(t.resource, t.chain, {t.name: candidate}, t.element)
        if before is not None and (after is None or after >= before):
            continue
        if best is None or (after is not None and (best[1] is None or after < best[1])):
            best = (before, after, candidate)
        if before is None:
            break  # no figures to compare: the first real successor is the suggestion
    if best is None:
        return None
    before, after, suggested = best
    remark = f" — {rule.params['remark']}" if rule.params.get("remark") else ""
    edits = [replace_value(ctx.texts, t.value, suggested)]
    return draft(
        rule,
        t,
        ctx,
        f"{current} → {suggested}",
        current,
        suggested,
        before,
        after,
        edits,
        note=origin_note(t.value),
        origin=True,
        remark=remark,
    )
