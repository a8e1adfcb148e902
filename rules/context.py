"""What every rule kind is given besides the rule row and the resources: the run's settings, the
texts (for edits), the resources' costs, the catalog, and the environment a resource belongs to."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.config import Config
from advisor.model import Finding, Resource
from advisor.rules import prices

if TYPE_CHECKING:
    from advisor.pricing.memo import Estimates

# tag keys whose value names the environment (any letter case)
TAG_KEYS_ENVIRONMENT = ("environment", "env", "stage", "tier")


@dataclass(slots=True)
class RuleContext:
    config: Config
    texts: dict[str, str]
    costs: dict[str, Any] = field(default_factory=dict)
    catalog: Any = None
    workspace: str = "default"
    var_files: list[str] = field(default_factory=list)
    # whether an ignore comment above the module call of the finding's resource silences it: such
    # findings are dropped before a module's instances are merged (`runner.check_resources`)
    silenced: Callable[[Finding], bool] | None = None
    signatures: dict[int, tuple[Resource, tuple[Any, ...]]] = field(default_factory=dict)
    # the session's memos (`engine/session.py`); a context made without them remembers for itself
    estimates: Estimates = field(default_factory=lambda: _new_estimates())
    comparisons: prices.Comparisons = field(default_factory=prices.new_comparisons)

    def get_catalog(self) -> Any:
        if self.catalog is None:
            from advisor.pricing.catalog import Catalog

            self.catalog = Catalog.default()
        return self.catalog

    def estimate(self, resource: Resource, shared: bool = False) -> Any:
        """The resource's estimate (`shared`: the memoised object, which the caller must not change)."""
        from advisor.pricing.memo import estimate_cached

        usage = self.config.usage_for(resource.address, resource.type)
        return estimate_cached(resource, self.get_catalog(), usage, self.estimates, shared=shared)

    def price(self, resource: Resource) -> float | None:
        """Monthly cost of a resource configuration (None when unknown or not priced)."""
        cost = self.estimate(resource, shared=True)
        return None if cost is None else cost.monthly_cost

    def monthly_cost(self, address: str) -> float | None:
        """The resource's monthly cost as `advisor cost` states it (None when unknown)."""
        cost = self.costs.get(address)
        return None if cost is None else cost.monthly_cost

    def compare_change(
        self, resource: Resource, chain: tuple[int, ...], changes: dict[str, Any], element: int | None = None
    ) -> prices.Comparison:
        return prices.compare_change(self, resource, chain, changes, element)

    def source_key(self, resource: Resource, attribute: str) -> str | None:
        """The attribute's name as the resource's file writes it (None: not known, no fix)."""
        if not resource.source_type:
            return attribute
        return resource.source_keys.get(attribute)

    def environment(self, resource: Resource) -> tuple[str | None, str]:
        return environment_of(resource, self)


def _new_estimates() -> Estimates:
    from advisor.pricing.memo import new_estimates  # pricing's estimators load only when rules run

    return new_estimates()


def environment_of(resource: Resource, ctx: RuleContext) -> tuple[str | None, str]:
    """('production'|'non-production'|None, how it was decided) from config names, tags, workspace, paths."""
    non_prod = ctx.config.non_production
    prod = ctx.config.production
    tags = resource.body.attributes.get("tags")
    merged: dict[str, Any] = dict(resource.provider_tags)
    if tags is not None and isinstance(tags.value, dict):
        merged.update(tags.value)
    for key, val in merged.items():
        if str(key).lower() in TAG_KEYS_ENVIRONMENT and isinstance(val, str):
            v = val.lower()
            if v in non_prod:
                return "non-production", f"tag {key} = {val!r}"
            if v in prod:
                return "production", f"tag {key} = {val!r}"
    workspace = ctx.workspace.lower()
    if workspace != "default":
        if workspace in non_prod:
            return "non-production", f"workspace {ctx.workspace!r}"
        if workspace in prod:
            return "production", f"workspace {ctx.workspace!r}"
    for vf in ctx.var_files:
        stem = os.path.basename(vf).split(".")[0].lower()
        if stem in non_prod:
            return "non-production", f"variables file {os.path.basename(vf)!r}"
        if stem in prod:
            return "production", f"variables file {os.path.basename(vf)!r}"
    parts = [p.lower() for p in os.path.normpath(resource.path).split(os.sep)[:-1]]
    for part in reversed(parts):
        for name in non_prod:
            if (
                part == name
                or part.startswith(name + "-")
                or part.endswith("-" + name)
                or part.endswith("_" + name)
            ):
                return "non-production", f"path segment {part!r}"
        if part in prod:
            return "production", f"path segment {part!r}"
    return None, ""
