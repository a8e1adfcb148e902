"""Estimates memoised by what a resource is, so unchanged resources are not priced again.

The language server analyses a module on every keystroke and the rules price many variants of the
same resources; the key (type, region, usage, attribute values) leaves out positions and addresses,
so an edit elsewhere reuses every estimate.
"""

from __future__ import annotations

import copy
from typing import Any

from advisor.cache import BoundedCache
from advisor.model import Block, Resource
from advisor.pricing.catalog import Catalog
from advisor.pricing.costs import ResourceCost
from advisor.pricing.estimators import estimate

# Attributes of a resource that no estimator reads (tests/test_pricing_estimators.py checks it), left
# out of the memo key: resources that differ only in names and tags, as most do, share one estimate.
NOT_PRICED = frozenset(
    {"tags", "tags_all", "name", "name_prefix", "function_name", "description", "role", "handler"}
    | {"filename", "source_code_hash", "bucket", "identifier", "ami", "availability_zone", "subnet_id"}
    | {"vpc_security_group_ids", "security_groups", "key_name", "user_data", "iam_instance_profile"}
)

ESTIMATES_LIMIT = 50_000  # estimates a session remembers
_MISSING: Any = object()
Estimates = BoundedCache[tuple[Any, ...], "ResourceCost | None"]


def new_estimates() -> Estimates:
    return BoundedCache("estimates", ESTIMATES_LIMIT, recency=False)


def estimate_cached(
    resource: Resource, catalog: Catalog, usage: dict[str, float], memo: Estimates, *, shared: bool = False
) -> ResourceCost | None:
    """The resource's estimate, as a copy placed at the resource (or, `shared`, the memoised object
    itself, for callers that only read its lines: the rules comparing two configurations). `memo` is
    the session's (`engine/session.py`)."""
    key = (
        id(catalog),
        resource.type,
        resource.region,
        tuple(sorted(usage.items())),
        priced_signature(resource.body),
    )
    found = memo.get(key, _MISSING)
    if found is _MISSING:
        found = memo.put(key, estimate(resource, catalog, usage))
    hit: ResourceCost | None = found
    if hit is None or shared:
        return hit
    out = copy.copy(hit)
    out.address, out.path, out.line, out.root = (
        resource.address,
        resource.path,
        resource.span.line,
        resource.root,
    )
    return out


def priced_signature(body: Block) -> tuple[Any, ...]:
    """`body.signature()` without the top-level attributes in `NOT_PRICED`."""
    kind, attributes, blocks = body.signature()
    return (kind, tuple(a for a in attributes if a[0] not in NOT_PRICED), blocks)
