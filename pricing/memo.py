"""Estimates memoised by what a resource is, so unchanged resources are not priced again.

The language server analyses a module on every keystroke and the rules price many variants of the
same resources; the key (type, region, usage, attribute values) leaves out positions and addresses,
so an edit elsewhere reuses every estimate.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from advisor.model import Resource
from advisor.pricing.catalog import Catalog
from advisor.pricing.costs import ResourceCost
from advisor.pricing.estimators import estimate

_LIMIT = 50_000
_MISSING: Any = object()
_memo: dict[tuple[Any, ...], ResourceCost | None] = {}


def estimate_cached(resource: Resource, catalog: Catalog, usage: dict[str, float]) -> ResourceCost | None:
    key = (
        id(catalog),
        resource.type,
        resource.region,
        tuple(sorted(usage.items())),
        resource.body.signature(),
    )
    found = _memo.get(key, _MISSING)
    if found is _MISSING:
        found = estimate(resource, catalog, usage)
        if len(_memo) >= _LIMIT:
            # threads of the language server share this memo: evicting must not fail on a race
            with contextlib.suppress(StopIteration, RuntimeError):
                _memo.pop(next(iter(_memo)), None)
        _memo[key] = found
    hit: ResourceCost | None = found
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
