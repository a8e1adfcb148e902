"""`missing_companion`: a resource lacks a related resource (or one of its own attributes).

A module kind: a companion can be any resource of the run. Row parameters:

- `companion`: the resource type that should accompany the target's resource, with
  `companion_when` (conditions on its attributes, see `conditions`; a value not known yet counts,
  so an endpoint whose service comes from a data source is taken to be the right one) and `through`
  (a resource type both must reach through their references, e.g. the same VPC: a resource whose
  own cannot be found in the configuration is not flagged, and a companion whose own cannot be
  found counts);
- or `attribute`: an attribute path the resource itself should have;
- `when` (see `conditions.when`);
- the wording `message`, and for the figure: `usage_component` (a usage-priced line item of the
  resource's estimate the companion would take over), `unit_figure` (`{before}`, `{after}`: the
  per-unit prices through the resource and through the companion, stated only when that usage is
  configured) and `figure` (said otherwise). No monthly saving is stated: what share of the usage
  the companion would carry is not known.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from advisor.model import Block, Resource, Span, Value, base_address
from advisor.money import unit_price
from advisor.rules import conditions
from advisor.rules.context import RuleContext
from advisor.rules.edits import header_span
from advisor.rules.findings import Draft, draft
from advisor.rules.kinds.registry import kind
from advisor.rules.table import Rule
from advisor.rules.targets import Target

_REFERENCE_HOPS = 3  # NAT gateway → subnet → VPC, with a step to spare


@kind("missing_companion", scope="module")
def check(rule: Rule, resources: Sequence[Resource], ctx: RuleContext) -> list[Draft]:
    p = rule.params
    rtypes = {rtype for rtype, _, _ in rule.targets}
    subjects = [r for r in resources if r.type in rtypes]
    if not subjects:
        return []
    by_address: dict[str, list[Resource]] = {}
    for r in resources:
        by_address.setdefault(base_address(r.address), []).append(r)
    companions = []
    if "companion" in p:
        wanted = p.get("companion_when", {})
        companions = [
            r
            for r in resources
            if r.type == p["companion"] and conditions.attributes_hold(r, wanted, unknown=True)
        ]
    out = []
    for r in subjects:
        if "attribute" in p:
            if r.attr(p["attribute"]) is not None:
                continue
        elif _accompanied(r, companions, p.get("through"), by_address):
            continue
        how = conditions.when(r, ctx, p.get("when", {}))
        if how is None:
            continue
        out.append(_draft(rule, r, ctx, how))
    return out


def _accompanied(
    r: Resource, companions: list[Resource], through: str | None, by_address: dict[str, list[Resource]]
) -> bool:
    if through is None:
        return bool(companions)
    mine = _reached(r, through, by_address)
    if not mine:
        return True  # where it lives is not in the configuration: nothing to show
    if not companions:
        return False
    return any(not (theirs := _reached(c, through, by_address)) or theirs & mine for c in companions)


def _reached(r: Resource, rtype: str, by_address: dict[str, list[Resource]]) -> set[str]:
    """The addresses of resources of `rtype` that `r` refers to, directly or through others."""
    found: set[str] = set()
    seen = {base_address(r.address)}
    frontier = list(r.references)
    for _ in range(_REFERENCE_HOPS):
        following: list[str] = []
        for address in frontier:
            if address in seen:
                continue
            seen.add(address)
            for target in by_address.get(address, ()):
                if target.type == rtype:
                    found.add(address)
                else:
                    following.extend(target.references)
        frontier = following
    return found


def _unit_prices(r: Resource, rule: Rule, ctx: RuleContext) -> tuple[float, float] | None:
    """The per-unit price of the usage line through the resource and through the companion, when
    that usage is configured and both are in the catalog."""
    p = rule.params
    name = p.get("usage_component")
    cost = ctx.estimate(r, shared=True) if name else None
    line = next((c for c in cost.components if c.name == name), None) if cost is not None else None
    if line is None or line.quantity is None or line.unit_price is None:
        return None
    companion = _companion_resource(r, p)
    other = ctx.estimate(companion, shared=True) if companion is not None else None
    if other is None or other.monthly_cost is None:
        return None
    theirs = next((c for c in other.components if c.name == name), None)
    after = 0.0 if theirs is None else theirs.unit_price
    return None if after is None else (line.unit_price, after)


def _companion_resource(r: Resource, p: dict[str, Any]) -> Resource | None:
    """The companion as the row describes it (its `one_of` and `unset` values), to be priced."""
    if "companion" not in p:
        return None
    span = Span(r.path, 0, 0, 0, 0, -1, -1)
    attributes = {}
    for name, cond in p.get("companion_when", {}).items():
        spec = cond if isinstance(cond, dict) else {"one_of": cond}
        if spec.get("one_of"):
            attributes[name] = Value(spec["one_of"][0], "literal")
    body = Block("resource", span, [p["companion"], "suggested"], attributes)
    return Resource(p["companion"], f"{p['companion']}.suggested", body, r.path, r.module_path, r.region)


def _draft(rule: Rule, r: Resource, ctx: RuleContext, how: str) -> Draft:
    p = rule.params
    prices = _unit_prices(r, rule, ctx)
    if prices is not None:
        figure = p["unit_figure"].format(before=unit_price(prices[0]), after=unit_price(prices[1]))
    else:
        figure = p["figure"]
    head = p["message"].format(how=how)
    t = Target(r, r.body, (), "", None)
    span = header_span(r, ctx.texts)
    d = draft(rule, t, ctx, head, None, p.get("companion"), None, None, [], span, "", figure=figure)
    d.finding.fix_title = ""
    return d
