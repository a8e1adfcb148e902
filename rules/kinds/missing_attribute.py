"""`missing_attribute`: an attribute that should be set is not (or is zero, meaning "not set").

Row parameters: `attribute`, `insert` (the value a fix sets), `zero_means_missing`, and the wording:
`message_missing`, `message_zero`, `fix_title` (`{attribute}` and `{insert}` are filled in).
"""

from __future__ import annotations

from collections.abc import Sequence

from advisor.model import Resource, TextEdit
from advisor.rules.context import RuleContext
from advisor.rules.edits import header_span, insert_attribute, replace_value
from advisor.rules.findings import Draft, draft
from advisor.rules.kinds.registry import kind
from advisor.rules.table import Rule
from advisor.rules.targets import Target, targets_in


@kind("missing_attribute")
def check(rule: Rule, resources: Sequence[Resource], ctx: RuleContext) -> list[Draft]:
    return [d for t in targets_in(rule.targets, resources) if (d := check_target(rule, t, ctx)) is not None]


def check_target(rule: Rule, t: Target, ctx: RuleContext) -> Draft | None:
    value = t.value
    p = rule.params
    # a template names the attribute its own way (`RetentionInDays`), and so do its messages
    key = ctx.source_key(t.resource, p["attribute"])
    words = {"attribute": key or p["attribute"], "insert": p["insert"]}
    insert = int(p["insert"])
    edits: list[TextEdit | None]
    if value is not None:
        if not value.known:
            return None
        if not (p.get("zero_means_missing") and value.value in (0, "0")):
            return None
        edits = [replace_value(ctx.texts, value, insert)]
        span = None
        text = p["message_zero"].format(**words)
    else:
        edits = [insert_attribute(t.block, ctx.texts, p["attribute"], insert, key)]
        span = header_span(t.resource, ctx.texts)
        text = p["message_missing"].format(**words)
    d = draft(rule, t, ctx, text, None, insert, None, None, edits, span, whole=True)
    d.finding.fix_title = p["fix_title"].format(**words)
    cost = ctx.monthly_cost(t.resource.address)
    if cost:
        d.finding.monthly_cost = round(cost, 2)
    return d
