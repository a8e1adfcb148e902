"""The bill-line machinery every estimator shares: reading attributes and usage, adding priced lines.

`estimators.py` (EC2, EBS, RDS, ElastiCache, networking, Lambda, S3 ...) and `services.py` (managed
services and fixed charges) both build on `_Ctx`; `estimators.py` registers the estimators of both in
one table. Keeping these helpers here lets the two modules use them without importing each other.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from advisor.model import HOURS_PER_MONTH, Block, Resource, Value

from .catalog import Catalog, Price, Tier
from .costs import CostComponent, ResourceCost

Usage = Mapping[str, Any]

GP3_FREE_IOPS = 3000.0
GP3_FREE_MIBPS = 125.0
MAX_COUNT = 10000.0  # more nodes/instances than this in one resource is a typo, not a plan
PRICE_DATE_VARIABLE = "ADVISOR_PRICE_DATE"
# the nested block holding the launch template a launcher launches (`estimators.LAUNCHED_BLOCK`)
LAUNCHED_BLOCK_NAME = "_launch_template"

_DISPLAY_UNIT = {
    "hour": "hours",
    "GB-month": "GB",
    "IOPS-month": "IOPS",
    "MiBps-month": "MiBps",
    "GB": "GB",
    "1M requests": "1M requests",
    "1k requests": "1k requests",
    "GB-second": "GB-seconds",
    "LCU-hour": "LCU-hours",
    "ACU-hour": "ACU-hours",
    "WCU-hour": "WCU-hours",
    "RCU-hour": "RCU-hours",
    "write request unit": "write request units",
    "read request unit": "read request units",
    "1k objects-month": "1k objects",
    "DSU-hour": "DSU-hours",
}


class _Missing:
    """Marks an attribute that is not written at all (so a default applies)."""


MISSING = _Missing()


@dataclass(slots=True)
class _Number:
    value: float | None
    note: str = ""
    given: bool = True  # False when the attribute was absent and `value` is the default


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _qualify(name: str, detail: str) -> str:
    """ "Duration (arm64)" + "first 7.5B" -> "Duration (arm64, first 7.5B)"."""
    return f"{name[:-1]}, {detail})" if name.endswith(")") else f"{name} ({detail})"


def _fmt(x: float) -> str:
    return f"{x:g}" if abs(x) < 1e15 else f"{x:.3e}"


def _as_float(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        try:
            return float(raw.strip())
        except ValueError:
            return None
    return None


def _as_bool(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    return None


def price_date() -> tuple[str, str]:
    """The day (ISO) whose support calendars apply, and a note when the setting was refused.

    `ADVISOR_PRICE_DATE=YYYY-MM-DD` fixes it (a report reproduced later, a comparison with a dated
    record); otherwise it is today in UTC, since an engine version leaves standard support on a date."""
    today = datetime.now(timezone.utc).date().isoformat()
    raw = os.environ.get(PRICE_DATE_VARIABLE, "").strip()
    if not raw:
        return today, ""
    try:
        return date.fromisoformat(raw).isoformat(), ""
    except ValueError:
        return today, f"{PRICE_DATE_VARIABLE} = {raw[:40]!r} is not a YYYY-MM-DD date: today used"


class _Ctx:
    """Everything one estimator needs, and the ResourceCost it fills."""

    def __init__(self, resource: Resource, catalog: Catalog, usage: Usage | None) -> None:
        self.resource = resource
        self.catalog = catalog
        self.usage: Usage = usage or {}
        self.region = resource.region or "us-east-1"
        self.cost = ResourceCost(
            address=resource.address,
            type=resource.type,
            path=resource.path,
            line=resource.span.line,
            count_unknown=resource.count_unknown,
        )

    # -- reading attributes ----------------------------------------------------------------------

    def raw(self, block: Block | None, name: str) -> Value | _Missing:
        if block is None:
            return MISSING
        value = block.get(name)
        return MISSING if value is None else value

    def text(self, block: Block | None, name: str) -> tuple[str | None, str]:
        """(lower-cased string or None, note). None + empty note means "not written"."""
        v = self.raw(block, name)
        if isinstance(v, _Missing):
            return None, ""
        if not v.known:
            return None, f"{name} is unknown ({v.reason or 'not resolvable'})"
        if v.value is None:
            return None, ""
        if isinstance(v.value, str):
            return v.value.strip().lower(), ""
        return None, f"{name} = {v.value!r} is not a string"

    def number(
        self,
        block: Block | None,
        name: str,
        *,
        default: float | None = None,
        minimum: float = 0.0,
        maximum: float | None = None,
        what: str = "",
    ) -> _Number:
        """Read a numeric attribute; absurd values come back as None with a note saying why."""
        label = what or name
        v = self.raw(block, name)
        if isinstance(v, _Missing) or (v.known and v.value is None):
            return _Number(default, given=False)
        if not v.known:
            return _Number(None, f"{label} is unknown ({v.reason or 'not resolvable'})")
        num = _as_float(v.value)
        if num is None:
            return _Number(None, f"{label} = {v.value!r} is not a number")
        if num < minimum:
            return _Number(None, f"{label} = {_fmt(num)} is below the minimum of {_fmt(minimum)}")
        if maximum is not None and num > maximum:
            return _Number(None, f"{label} = {_fmt(num)} is above the maximum of {_fmt(maximum)}")
        return _Number(num)

    def flag(self, block: Block | None, name: str) -> bool | None:
        v = self.raw(block, name)
        if isinstance(v, _Missing) or not v.known:
            return None
        return _as_bool(v.value)

    def first_block(self, name: str, block: Block | None = None) -> Block | None:
        found = (block or self.resource.body).nested(name)
        return found[0] if found else None

    def usage_number(self, *names: str) -> _Number:
        """A usage figure (first of `names` present); negative or non-numeric values are refused."""
        for name in names:
            if name in self.usage:
                raw = self.usage[name]
                num = _as_float(raw)
                if num is None:
                    return _Number(None, f"usage {name} = {raw!r} is not a number")
                if num < 0:
                    return _Number(None, f"usage {name} = {_fmt(num)} is negative")
                return _Number(num)
        return _Number(None, given=False)

    # -- adding lines ----------------------------------------------------------------------------

    def add(
        self,
        name: str,
        key: str | None,
        quantity: float | None,
        *,
        unit: str | None = None,
        note: str = "",
        price: Price | None = None,
        missing_note: str = "",
        usage: bool | None = None,
        region: str | None = None,
    ) -> CostComponent:
        """Append a bill line priced from `key` (or an already looked-up `price`).

        A quantity of None is usage not configured ("depends on usage", adds nothing) unless it is
        unknown for another reason: `usage=False`, or by default a `note` saying why (an unresolved
        attribute, an invalid usage figure). Such a line makes the resource's cost unknown, never $0.
        `region` prices the line in another region than the resource's (a global table replica)."""
        unknown = quantity is None and (not usage if usage is not None else bool(note))
        where = region or self.region
        found = price if price is not None else (self.catalog.price(key, where) if key else None)
        if found is None:
            why = missing_note or (f"no price for {key} in {where}" if key else "")
            component = CostComponent(
                name,
                unit or "",
                quantity,
                None,
                note=_join(note, why),
                unknown_quantity=unknown,
                key=key or "",
            )
        else:
            fallback = f"{found.region} price: none for {where} in the catalog" if found.estimate else ""
            component = CostComponent(
                name,
                unit or _DISPLAY_UNIT.get(found.unit, found.unit),
                quantity,
                found.value,
                source=found.source,
                as_of=found.as_of,
                estimate=found.estimate,
                note=_join(note, fallback),
                unknown_quantity=unknown,
                key=found.key,
            )
        self.cost.components.append(component)
        return component

    def add_tiered(
        self,
        name: str,
        group: str,
        quantity: float | None,
        label: Callable[[float, float | None], str],
        *,
        note: str = "",
    ) -> None:
        """One line per volume tier the quantity reaches (Lambda GB-seconds, io2 IOPS, S3 GB)."""
        ladder: list[Tier] = self.catalog.tiers(group, self.region)
        if not ladder:
            self.add(name, None, quantity, note=note, missing_note=f"no price for {group} in {self.region}")
            return
        if quantity is None:
            self.add(
                name,
                None,
                None,
                price=ladder[0][2],
                note=_join(note, f"{label(*ladder[0][:2])} tier price"),
                usage=not note,
            )
            return
        used = [(b, e, p) for b, e, p in ladder if quantity > b or b == 0]
        for begin, end, price in used:
            amount = (min(quantity, end) if end is not None else quantity) - begin
            title = name if len(used) == 1 else _qualify(name, label(begin, end))
            self.add(title, None, max(amount, 0.0), price=price, note=note)

    def note(self, text: str) -> None:
        if text and text not in self.cost.notes:
            self.cost.notes.append(text)


# -- shared pieces ---------------------------------------------------------------------------------


def _instance_note(ctx: _Ctx, name: str, key: str) -> str:
    """Why an instance/class/node price is missing: a typo (with a suggestion) or a regional gap."""
    if ctx.catalog.instance_type(name) is None:
        suggestion = ctx.catalog.suggest_instance_type(name)
        hint = f" (did you mean {suggestion}?)" if suggestion and suggestion != name else ""
        return f"unknown instance type '{name}'{hint}"
    return f"no price for {key} in {ctx.region}"


def _type_name(ctx: _Ctx, value: Value | _Missing, attr: str) -> tuple[str | None, str]:
    if isinstance(value, _Missing):
        return None, f"{attr} is not set"
    if not value.known:
        return None, f"{attr} is unknown ({value.reason or 'not resolvable'})"
    if isinstance(value.value, str) and value.value.strip():
        return value.value.strip(), ""
    return None, f"{attr} = {value.value!r} is not an instance type"


def _instance_hours(ctx: _Ctx, count: float | None) -> tuple[float | None, str]:
    """Instance-hours a month for `count` instances (usage monthly_hours, at most a month each)."""
    hours = ctx.usage_number("monthly_hours", "monthly_hrs")
    per_instance = HOURS_PER_MONTH if hours.value is None else min(hours.value, HOURS_PER_MONTH)
    note = hours.note
    if hours.value is not None and hours.value > HOURS_PER_MONTH:
        note = f"usage monthly_hours capped at {_fmt(HOURS_PER_MONTH)} (a month)"
    return (None if count is None else count * per_instance), note


def _compute_hours(
    ctx: _Ctx,
    type_value: Value | _Missing,
    count: float | None,
    attr: str = "instance_type",
    count_note: str = "",
    tenancy: str | None = None,
) -> None:
    """EC2 instance hours: count × monthly hours × the on-demand price (shared tenancy, or the
    dedicated-instance price when `tenancy` is "dedicated") for the operating system the front-end
    says (`advisor.pricing.licences`; Linux when nothing says)."""
    from .licences import licence, licence_note, licensed_price, platform_of

    quantity, hours_note = _instance_hours(ctx, count)
    name, why = _type_name(ctx, type_value, attr)
    linked = ctx.first_block(LAUNCHED_BLOCK_NAME)
    platform = platform_of(ctx.resource.body, linked)
    dedicated = tenancy == "dedicated"
    label = f"Instance usage ({platform.label}, {'dedicated' if dedicated else 'on-demand'}, {name or '?'})"
    if name is None:
        ctx.add(label, None, quantity, unit="hours", note=_join(count_note, hours_note), missing_note=why)
        return
    key = f"ec2_dedicated.{name}" if dedicated else f"ec2.{name}"
    price = ctx.catalog.price(key, ctx.region)
    if dedicated and price is None and ctx.catalog.instance_type(name) is not None:
        missing = f"no dedicated-tenancy price for {name} in the catalog"
    else:
        missing = "" if price else _instance_note(ctx, name, key)
    os_note = f"{platform.label}: {platform.why}" if platform.why else ""
    charge = licence(ctx.catalog, name, platform) if platform.name != "linux" else None
    if price is not None and charge is not None and charge.value is not None:
        os_note = _join(os_note, licence_note(price, charge, platform))
        price = licensed_price(price, charge, platform)
    elif charge is not None:  # the Linux price, and the licence line unknown: never a silent Linux price
        label = f"Instance usage (Linux price, {'dedicated' if dedicated else 'on-demand'}, {name})"
    ctx.add(
        label,
        key,
        quantity,
        unit="hours",
        price=price,
        note=_join(os_note, count_note, hours_note),
        missing_note=missing,
    )
    if charge is not None and charge.value is None:
        ctx.add(
            f"{platform.label} licence ({name})",
            None,
            quantity,
            unit="hours",
            note=os_note,
            missing_note=f"Linux price; {charge.missing}",
        )
    if dedicated:
        ctx.note(
            "AWS also bills a dedicated per-region fee for every hour any dedicated instance of the "
            "account runs in the region (once per account, not included here)"
        )


def _count(ctx: _Ctx, value: _Number, default: float, what: str) -> tuple[float | None, str]:
    """Instance/node counts, with usage `instances` taking precedence."""
    override = ctx.usage_number("instances")
    if override.value is not None:
        return override.value, "instance count from usage"
    if override.note:
        return None, override.note
    if value.note:
        return None, value.note
    if value.value is None:
        return default, f"{what} not set: {_fmt(default)} assumed"
    if value.value > MAX_COUNT:
        return None, f"{what} = {_fmt(value.value)} is not a plausible count"
    return value.value, ""
