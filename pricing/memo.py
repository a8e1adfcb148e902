"""Estimates memoised by what a resource is, so unchanged resources are not priced again.

The language server analyses a module on every keystroke and the rules price many variants of the
same resources; the key (type, region, usage, attribute values) leaves out positions and addresses,
so an edit elsewhere reuses every estimate.
"""

from __future__ import annotations

import copy
from typing import Any

from advisor.model import Resource
from advisor.pricing.catalog import Catalog
from advisor.pricing.costs import ResourceCost
from advisor.pricing.estimators import estimate

_LIMIT = 50_000
_memo: dict[tuple[Any, ...], ResourceCost | None] = {}


def estimate_cached(resource: Resource, catalog: Catalog, usage: dict[str, float]) -> ResourceCost | None:
    key = (
        id(catalog),
        resource.type,
        resource.region,
        tuple(sorted(usage.items())),
        resource.body.signature(),
    )
    if key in _memo:
        hit = _memo[key]
    else:
        hit = estimate(resource, catalog, usage)
        if len(_memo) >= _LIMIT:
            _memo.pop(next(iter(_memo)))
        _memo[key] = hit
    if hit is None:
        return None
    out = copy.copy(hit)
    out.address, out.path, out.line, out.root = (
        resource.address,
        resource.path,
        resource.span.line,
        resource.root,
    )
    return out
