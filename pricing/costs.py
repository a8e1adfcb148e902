"""Line items of a monthly bill, as estimators produce them and reports show them."""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.fastpickle import by_fields


@by_fields
@dataclass(slots=True)
class CostComponent:
    """One line of a bill.

    `unit_price`/`monthly_cost` are None when the price is unknown (never 0). `quantity` is None for
    a usage-priced component whose usage is not configured: it adds nothing and reads "depends on usage";
    or, with `unknown_quantity`, for a quantity that cannot be known (an unresolved size or count): then
    the line's cost, and its resource's, is unknown.
    """

    name: str
    unit: str
    quantity: float | None
    unit_price: float | None
    source: str = ""
    as_of: str = ""
    estimate: bool = False
    note: str = ""
    unknown_quantity: bool = False
    key: str = ""  # the catalog key the unit price was looked up by ("" when none or not known)

    @property
    def monthly_cost(self) -> float | None:
        if self.quantity is None:
            return 0.0 if self.unit_price is not None and not self.unknown_quantity else None
        if self.unit_price is None:
            return None
        return self.quantity * self.unit_price

    @property
    def usage_based(self) -> bool:
        return self.quantity is None and not self.unknown_quantity


@by_fields
@dataclass(slots=True)
class ResourceCost:
    """The priced view of one resource instance."""

    address: str
    type: str
    path: str
    line: int
    components: list[CostComponent] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    root: str = ""  # the root module folder (or template) the resource was evaluated in
    count_unknown: bool = False  # one instance priced for a count or for_each unknown before apply

    @property
    def monthly_cost(self) -> float | None:
        """Sum of components; None as soon as one configured component has an unknown price."""
        total = 0.0
        for c in self.components:
            if c.usage_based:
                continue
            cost = c.monthly_cost
            if cost is None:
                return None
            total += cost
        return round(total, 6)

    @property
    def estimate(self) -> bool:
        return any(c.estimate for c in self.components)

    @property
    def usage_only(self) -> bool:
        """Every line bills by usage: the monthly figure "depends on usage", never $0.00."""
        return bool(self.components) and all(c.usage_based for c in self.components)
