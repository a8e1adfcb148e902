"""`set_attribute`: an attribute with one of the values `from`, where `when` holds, is set to `to`.

Row parameters: `from` (the values it applies to), `to`, `default` (the value of an unset attribute;
without it an unset one is not flagged), `when` (see `conditions.when`), `allow_equal_price`, and
the wording `message` (`{attribute}`, `{current}`, `{suggested}`, `{how}`: how `when`'s environment
was decided) and `remark`. Both configurations are priced: a change that does not make the resource
cheaper is not suggested.
"""

from __future__ import annotations

from collections.abc import Sequence

from advisor.model import Resource, TextEdit
from advisor.rules import conditions
from advisor.rules.context import RuleContext
from advisor.rules.edits import hcl_literal, header_span, insert_attribute, replace_value
from advisor.rules.findings import Draft, draft
from advisor.rules.kinds.registry import kind
from advisor.rules.table import Rule
from advisor.rules.targets import Target, origin_note, targets_in


@kind("set_attribute")
def check(rule: Rule, resources: Sequence[Resource], ctx: RuleContext) -> list[Draft]:
    return [d for t in targets_in(rule.targets, resources) if (d := check_target(rule, t, ctx)) is not None]


def check_target(rule: Rule, t: Target, ctx: RuleContext) -> Draft | None:
    p = rule.params
    if t.value is None:
        if "default" not in p:
            return None
        current = p["default"]
    elif not t.value.known:
        return None
    else:
        current = t.value.value
    accepted = {conditions.normal(v) for v in p["from"]}
    if conditions.normal(current) not in accepted:
        return None
    how = conditions.when(t.resource, ctx, p.get("when", {}))
    if how is None:
        return None
    to = p["to"]
    before, after = ctx.compare_change(t.resource, t.chain, {t.name: to}, t.element)
    dearer = before is not None and after is not None and after > before
    if dearer or (before is not None and before == after and not p.get("allow_equal_price")):
        return None
    edits: list[TextEdit | None]
    if t.value is None:
        edits = [insert_attribute(t.block, ctx.texts, t.name, to, ctx.source_key(t.resource, t.name))]
        span = header_span(t.resource, ctx.texts)
        note, origin = f" ({t.name} is not set and defaults to {hcl_literal(current)})", False
    else:
        edits = [replace_value(ctx.texts, t.value, to)]
        span = None
        note, origin = origin_note(t.value), True
    shown_current, shown_to = hcl_literal(current), hcl_literal(to)
    head = p["message"].format(attribute=t.path, current=shown_current, suggested=shown_to, how=how)
    remark = f" — {p['remark']}" if p.get("remark") else ""
    d = draft(
        rule, t, ctx, head, current, to, before, after, edits, span, note=note, origin=origin, remark=remark
    )
    d.finding.fix_title = f"Set {t.name} = {shown_to}"
    return d
