"""`eip_unattached`: an address resource nothing in the configuration attaches or refers to.

Row parameters: `attach_attributes` (any of them set means attached), the wording `message`
(`{address}`), `figure` (`{cost}`: its monthly cost) and `figure_unknown`.
"""

from __future__ import annotations

from collections.abc import Sequence

from advisor.model import Resource
from advisor.money import money
from advisor.rules.context import RuleContext
from advisor.rules.edits import header_span
from advisor.rules.findings import Draft, draft
from advisor.rules.kinds.registry import kind
from advisor.rules.table import Rule
from advisor.rules.targets import Target, targets_in


@kind("eip_unattached")
def check(rule: Rule, resources: Sequence[Resource], ctx: RuleContext) -> list[Draft]:
    return [d for t in targets_in(rule.targets, resources) if (d := check_target(rule, t, ctx)) is not None]


def check_target(rule: Rule, t: Target, ctx: RuleContext) -> Draft | None:
    p = rule.params
    r = t.resource
    attrs = r.body.attributes
    if any(a in attrs for a in p["attach_attributes"]) or r.referenced_by:
        return None
    before = ctx.monthly_cost(r.address)
    figure = p["figure"].format(cost=money(before)) if before is not None else p["figure_unknown"]
    head = p["message"].format(address=r.address)
    after = 0.0 if before is not None else None
    return draft(
        rule, t, ctx, head, None, None, before, after, [], header_span(r, ctx.texts), "", figure=figure
    )
