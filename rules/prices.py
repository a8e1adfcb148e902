"""Price comparisons: the resource as written against the same resource with a change applied.

Comparisons are memoised across runs by what the price depends on (the resource's priced signature,
its usage, the change), because the language server checks every rule on every keystroke and most
resources have not changed since the last one.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from advisor.cache import BoundedCache
from advisor.model import Resource, Value

if TYPE_CHECKING:
    from advisor.rules.context import RuleContext

Comparison = tuple[float | None, float | None]

# (catalog, resource signature, usage, nested block, changes, list element) → (before, after)
Comparisons = BoundedCache[tuple[Any, ...], Comparison]
COMPARISONS_LIMIT = 50_000  # comparisons a session remembers


def new_comparisons() -> Comparisons:
    return BoundedCache("comparisons", COMPARISONS_LIMIT, recency=False)


def signature(ctx: RuleContext, resource: Resource) -> tuple[Any, ...]:
    """What the resource's price depends on (a memo key for comparisons)."""
    from advisor.pricing.memo import priced_signature

    sig = ctx.signatures.get(id(resource))
    if sig is None or sig[0] is not resource:
        sig = (resource, (resource.type, resource.region, priced_signature(resource.body)))
        ctx.signatures[id(resource)] = sig
    return sig[1]


def compare_change(
    ctx: RuleContext,
    resource: Resource,
    chain: tuple[int, ...],
    changes: dict[str, Any],
    element: int | None = None,
) -> Comparison:
    """`compare` of the resource against itself with `changes` applied, memoised across runs (in the
    session's `RuleContext.comparisons`)."""
    usage = ctx.config.usage_for(resource.address, resource.type)
    key = (
        id(ctx.get_catalog()),
        signature(ctx, resource),
        tuple(sorted(usage.items())),
        chain,
        tuple((k, repr(v)) for k, v in changes.items()),
        element,
    )
    hit = ctx.comparisons.get(key)
    if hit is None:
        hit = ctx.comparisons.put(
            key, compare(ctx, resource, with_changes(resource, chain, changes, element))
        )
    return hit


def compare(ctx: RuleContext, current: Resource, suggested: Resource) -> Comparison:
    """Monthly cost of what the change touches, before and after.

    Line items identical in both configurations (the instance hours when only a disk changes) are
    left out, so the figures and the percentage speak of the part that changes. A line that differs
    and whose quantity is unknown makes both figures unknown (the kinds then compare unit prices).
    """
    a, b = ctx.estimate(current, shared=True), ctx.estimate(suggested, shared=True)
    if a is None or b is None:
        return None, None

    def key(c: Any) -> tuple[Any, ...]:
        return (c.name, c.unit, c.quantity, c.unit_price)

    common = [key(c) for c in a.components]
    after_keys = [key(c) for c in b.components]
    shared = []
    for k in common:
        if k in after_keys:
            after_keys.remove(k)
            shared.append(k)

    def total(cost: Any) -> float | None:
        remaining = list(shared)
        out = 0.0
        for c in cost.components:
            k = key(c)
            if k in remaining:
                remaining.remove(k)
                continue
            if c.quantity is None:
                if c.unknown_quantity:  # a size or IOPS that cannot be known: never counted as $0
                    return None
                continue
            if c.monthly_cost is None:
                return None
            out += c.monthly_cost
        return out

    return total(a), total(b)


def with_changes(
    resource: Resource, chain: tuple[int, ...], changes: dict[str, Any], element: int | None = None
) -> Resource:
    """A copy of the resource with attributes of one (nested) block replaced by literal values."""
    clone = copy.copy(resource)
    clone.body = resource.body.fresh_copy()
    block = clone.body
    for i in chain:
        block.blocks = list(block.blocks)
        block.blocks[i] = block.blocks[i].fresh_copy()
        block = block.blocks[i]
    for name, new in changes.items():
        if (
            element is not None
            and name in block.attributes
            and isinstance(block.attributes[name].value, list)
        ):
            items = list(block.attributes[name].value)
            items[element] = new
            block.attributes[name] = Value(items, "literal")
        else:
            block.attributes[name] = Value(new, "literal")
    return clone


def unit_price(ctx: RuleContext, key: str, region: str) -> float | None:
    """The catalog's price per unit for `key` in `region` (a tiered price: its first tier's), or None."""
    found = ctx.get_catalog().price(key, region)
    return None if found is None else float(found.value)
