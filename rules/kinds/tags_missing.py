"""`tags_missing`: a priced, taggable resource lacks some of the configuration's `required_tags`.

It has no targets: every resource is looked at. Row parameters: `untaggable` (priced types AWS
gives no tags) and the wording `message` / `message_plural` (`{tags}`).
"""

from __future__ import annotations

from collections.abc import Sequence

from advisor.model import Resource
from advisor.rules.context import RuleContext
from advisor.rules.edits import header_span
from advisor.rules.findings import Draft, draft
from advisor.rules.kinds.registry import kind
from advisor.rules.table import Rule
from advisor.rules.targets import Target


@kind("tags_missing")
def check(rule: Rule, resources: Sequence[Resource], ctx: RuleContext) -> list[Draft]:
    return [d for r in resources if (d := check_resource(rule, r, ctx)) is not None]


def check_resource(rule: Rule, r: Resource, ctx: RuleContext) -> Draft | None:
    required = ctx.config.required_tags
    cost = ctx.costs.get(r.address)
    if not required or cost is None or not cost.components or r.type in rule.params["untaggable"]:
        return None  # free resources do not need cost-allocation tags; some types cannot have any
    tags = r.body.attributes.get("tags")
    if tags is not None and not tags.known:
        return None
    present = set(r.provider_tags)
    if tags is not None and isinstance(tags.value, dict):
        present |= {k for k, v in tags.value.items() if v not in (None, "")}
    for block in r.body.nested("tag"):  # aws_autoscaling_group's `tag { key = … }` blocks
        key = block.attributes.get("key")
        if key is not None and key.known:
            present.add(str(key.value))
    missing = [t for t in required if t not in present]
    if not missing:
        return None
    t = Target(r, r.body, (), "tags", tags)
    wording = rule.params["message_plural"] if len(missing) > 1 else rule.params["message"]
    text = wording.format(tags=", ".join(missing))
    span = header_span(r, ctx.texts)
    return draft(rule, t, ctx, text, sorted(present), missing, None, None, [], span, "tags", whole=True)
