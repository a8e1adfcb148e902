"""`nat_per_az`: several gateways of one module in an environment where one shared gateway would do.

A module kind: the gateways of a module are counted together, and one finding goes on the first.
Row parameters: `environment` (where it applies), `hourly_price` (the catalog price each extra
gateway costs per hour), the wording `message` (`{count}`, `{how}`: how the environment was decided)
and `lead` (before the figures).
"""

from __future__ import annotations

from collections.abc import Sequence

from advisor.model import HOURS_PER_MONTH, Resource
from advisor.rules.context import RuleContext
from advisor.rules.edits import header_span
from advisor.rules.findings import Draft, draft
from advisor.rules.kinds.registry import kind
from advisor.rules.table import Rule
from advisor.rules.targets import Target, iter_targets


@kind("nat_per_az", scope="module")
def check(rule: Rule, resources: Sequence[Resource], ctx: RuleContext) -> list[Draft]:
    out: list[Draft] = []
    for rtype, path, each in rule.targets:
        groups: dict[str, list[Resource]] = {}
        for r in resources:
            if r.type == rtype:
                groups.setdefault(r.module_path, []).append(r)
        for r in resources:
            if r.type != rtype:
                continue
            group = groups[r.module_path]
            if len(group) < 2 or r is not group[0]:
                continue
            for t in iter_targets(r, path, each):
                d = check_group(rule, t, group, ctx)
                if d is not None:
                    out.append(d)
    return out


def check_group(rule: Rule, t: Target, group: list[Resource], ctx: RuleContext) -> Draft | None:
    p = rule.params
    first = t.resource
    env, how = ctx.environment(first)
    if env != p["environment"]:
        return None
    costs = [ctx.monthly_cost(r.address) for r in group]
    each = [c for c in costs if c is not None]
    before = sum(each) if len(each) == len(group) else None
    hourly = ctx.get_catalog().price(p["hourly_price"], first.region)
    after = None
    if before is not None and hourly is not None:
        # the remaining gateway still processes all the data; only the others' hours go away
        after = before - (len(group) - 1) * hourly.value * HOURS_PER_MONTH
    head = p["message"].format(count=len(group), how=how)
    span = header_span(first, ctx.texts)
    return draft(rule, t, ctx, head, len(group), 1, before, after, [], span, "", lead=p["lead"])
