"""`instance_family`: an instance type whose family has a cheaper successor of the same size.

Row parameters: `successors` (a table of `families.toml`), `catalog_prefix` (`db.`, `cache.`,
`kafka.`), `type_suffixes` (`.search`), `service` (its list in `previous_generation.toml`),
`only_previous_generation` / `only_current_generation`, `remark` (said after the figures, e.g. what
the change needs), `skip_engines` (engine prefixes the suggested classes do not run: RDS SQL Server,
Oracle and Db2 have no Graviton classes).

Previous generation is a fact about the type (`previous_generation.toml`, or the catalog's generation
column), so a previous-generation type is flagged even when its own price is missing. The suggestion
is the cheapest of the families table's successors of the same size and, for previous generations,
the current types the instance facts say have at least the same vCPUs and memory on the same
architecture (`fact_successors`), so a type with no same-size successor (`m3.medium`) still gets one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from advisor.model import Resource
from advisor.money import money
from advisor.rules.context import RuleContext
from advisor.rules.edits import replace_value
from advisor.rules.findings import Draft, draft
from advisor.rules.kinds.registry import kind
from advisor.rules.table import Rule, families, previous_generation
from advisor.rules.targets import MODULE_CALL, Target, origin_note, targets_in

if TYPE_CHECKING:
    from advisor.pricing.catalog import Catalog, InstanceType


@kind("instance_family")
def check(rule: Rule, resources: Sequence[Resource], ctx: RuleContext) -> list[Draft]:
    return [d for t in targets_in(rule.targets, resources) if (d := check_target(rule, t, ctx)) is not None]


# The prefixes of the other services' instance classes: never an EC2 type
OTHER_SERVICES = ("db.", "cache.", "kafka.")
SEARCH = (".search", ".elasticsearch")  # the suffixes of OpenSearch / Elasticsearch types


# what any type name of these services looks like (`m5.large`, `db.r6g.xlarge`, `ra3.xlplus`,
# `t3.small.search`): a cheap first test, as module arguments are checked by their value
_TYPE_SHAPE = re.compile(r"[a-z0-9-]{1,24}(?:\.[a-z0-9-]{1,24}){1,3}")


def check_target(rule: Rule, t: Target, ctx: RuleContext) -> Draft | None:
    if t.value is None or not t.value.known or not isinstance(t.value.value, str):
        return None
    current = t.value.value.strip()
    if not _TYPE_SHAPE.fullmatch(current):
        return None
    engine = t.resource.body.attributes.get("engine")
    skipped = tuple(rule.params.get("skip_engines", ()))
    if skipped and engine is not None and engine.known and str(engine.value).startswith(skipped):
        return None  # an engine the suggested classes do not run
    prefix = rule.params.get("catalog_prefix", "")
    suffixes: list[str] = rule.params.get("type_suffixes", [])
    other = current.startswith(OTHER_SERVICES) or (not suffixes and current.endswith(SEARCH))
    if not prefix and other:
        return None  # another service's class (a module's `instance_type` may carry one)
    if not current.startswith(prefix):
        return None
    base = current[len(prefix) :]
    suffix = next((s for s in suffixes if base.endswith(s)), "")
    base = base.removesuffix(suffix) if suffix else base
    if suffixes and not suffix:
        return None
    family, dot, size = base.partition(".")
    if not dot:
        return None
    catalog = ctx.get_catalog()
    info = catalog.instance_type(current) or (catalog.instance_type(base) if prefix or suffix else None)
    previous = family in previous_generation().get(rule.params.get("service", "ec2"), ()) or (
        getattr(info, "generation", None) == "previous"
    )
    if rule.params.get("only_previous_generation") and not previous:
        return None
    if rule.params.get("only_current_generation") and (previous or info is None):
        return None
    table = families().get(rule.params["successors"], {})
    names = [f"{prefix}{n}{suffix}" for n in table.get(base, [])]
    names += [f"{prefix}{fam}.{size}{suffix}" for fam in table.get(family, [])]
    listed = rule.params.get("catalog_lists", True)  # the catalog names every type of the service
    tiers = [names]
    if rule.params.get("only_previous_generation") and info is not None and listed:
        names += [n for n in fact_successors(ctx, info, prefix) if n not in names]
        if rule.params.get("burstable_successors") and not family.startswith("t"):
            tiers.append(fact_successors(ctx, info, prefix, burstable=True))
    if listed:
        tiers = [[n for n in tier if catalog.instance_type(n) is not None] for tier in tiers]  # real types
    else:  # a family and size the instance facts do not know is no type of the service either
        whole = {f"{prefix}{n}{suffix}" for n in table.get(base, [])}
        tiers = [[n for n in tier if n in whole or _facts(catalog, n, prefix, suffix)] for tier in tiers]
    priced = False  # the type as written has a price: a dearer successor is no finding
    previous_only = bool(rule.params.get("only_previous_generation"))
    best: tuple[float | None, float | None, str] | None = None
    closest: tuple[float, float, str] | None = None  # the least dear successor, when none is cheaper
    for tier in tiers:  # burstable types only when no fixed-performance one is cheaper
        best, priced_here, least_dear = _cheapest(t, ctx, tier, previous_only)
        priced = priced or priced_here
        closest = closest or least_dear
        if best is not None:
            break
    figure = None
    if best is None and previous and previous_only and closest is not None:
        return _no_cheaper_successor(rule, t, ctx, current, closest)
    if best is None:
        if priced or not tiers[0]:
            return None
        # no monthly figure for this resource (no estimator, mixed-instance overrides): the suggestion
        # and the figure are per instance-hour, where the catalog has EC2 prices
        best, figure = _by_hourly_price(t, ctx, current, tiers[0] if prefix == "" and listed else [])
        if best is None:  # nothing priced anywhere: the first successor, its figures unknown
            unknown = (
                f"no figures: the {_callee(t.resource)} it is passed to is not analysed"
                if t.resource.type == MODULE_CALL
                else "price unknown in the catalog"
            )
            best, figure = (None, None, tiers[0][0]), unknown
    before, after, suggested = best
    if before is None and figure is None:
        figure = (
            f"{_no_figure(t, ctx, current, prefix)}; {suggested} costs {money(after)}/mo"
            if after is not None
            else "price unknown in the catalog"
        )
    elif before is not None and after is None:
        figure = f"{money(before)}/mo now; no list price for {suggested} in the catalog"
    remark = f" — {rule.params['remark']}" if rule.params.get("remark") else ""
    edits = [replace_value(ctx.texts, t.value, suggested)]
    return draft(
        rule,
        t,
        ctx,
        f"{current} → {suggested}",
        current,
        suggested,
        before,
        after,
        edits,
        note=origin_note(t.value),
        origin=True,
        remark=remark,
        figure=figure,
    )


def _cheapest(
    t: Target, ctx: RuleContext, names: list[str], keep_unpriced: bool = False
) -> tuple[tuple[float | None, float | None, str] | None, bool, tuple[float, float, str] | None]:
    """The candidate that makes this resource cheapest (before, after, name), whether the type as
    written has a price, and the least dear of the candidates that cost as much or more. With no price
    for it, the cheapest priced candidate; with a price for it and none for any candidate, the first
    when `keep_unpriced` (previous generations: its figure unknown); a dearer candidate is never the
    suggestion."""
    best: tuple[float | None, float | None, str] | None = None
    least_dear: tuple[float, float, str] | None = None
    priced = dearer = False
    first_before: float | None = None
    for candidate in names:
        before, after = ctx.compare_change(t.resource, t.chain, {t.name: candidate}, t.element)
        if before == 0 and after == 0:
            before = after = None  # the type is priced nowhere in this resource (mixed-instance overrides)
        priced = priced or before is not None
        first_before = before if first_before is None else first_before
        if before is not None and after is not None and after >= before:
            dearer = True
            if least_dear is None or after < least_dear[1]:
                least_dear = (before, after, candidate)
            continue
        if before is not None and after is None:
            continue
        if best is None or (after is not None and (best[1] is None or after < best[1])):
            best = (before, after, candidate)
    if best is not None and best[0] is None and best[1] is None:
        best = None  # nothing priced at all: the caller ranks by hourly prices
    if keep_unpriced and best is None and priced and not dearer and names:
        best = (
            first_before,
            None,
            names[0],
        )  # the type is priced, no successor is: price of the change unknown
    return best, priced, least_dear


def _no_cheaper_successor(
    rule: Rule, t: Target, ctx: RuleContext, current: str, closest: tuple[float, float, str]
) -> Draft:
    """A previous-generation type whose current successors all cost as much or more here: a hint
    that says so, with the least dear one's figures and fix (AWS retires previous generations and
    moves capacity to current ones), never a saving."""
    before, after, suggested = closest
    why = (
        f"{current} is a previous generation; {suggested} is the current type that costs least here"
        if after > before
        else f"{current} is a previous generation; {suggested} is current at the same price"
    )
    return draft(
        rule,
        t,
        ctx,
        f"{current} → {suggested}",
        current,
        suggested,
        before,
        after,
        [replace_value(ctx.texts, t.value, suggested)] if t.value is not None else [],
        note=origin_note(t.value),
        origin=True,
        remark=f" — {why}",
        hint=True,
        safe=False,
    )


def _by_hourly_price(
    t: Target, ctx: RuleContext, current: str, names: list[str]
) -> tuple[tuple[float | None, float | None, str] | None, str | None]:
    """The EC2 candidate with the lowest on-demand hourly price in the resource's region (below the
    current type's, when it has one), and the per-hour figure that says so."""
    catalog = ctx.get_catalog()
    region = t.resource.region or "us-east-1"

    estimated: set[str] = set()  # priced from us-east-1: the region has no row for them

    def hourly(name: str) -> float | None:
        price = catalog.price(f"ec2.{name}", region)
        if price is not None and price.estimate:
            estimated.add(name)
        return None if price is None else price.value

    def shown(name: str, h: float) -> str:
        estimate = " (us-east-1 price, an estimate)" if name in estimated else ""
        return f"{name} {hourly_money(h)}/h{estimate}"

    old = hourly(current)
    priced = [(h, n) for n in names if (h := hourly(n)) is not None and (old is None or h < old)]
    listed = [(h, n) for h, n in priced if n not in estimated]  # like with like where the region lists it
    if not priced:
        return None, None
    h, name = min(listed or priced)
    was = f"{shown(current, old)} → " if old is not None else f"no current list price for {current}; "
    return (None, None, name), f"on-demand {was}{shown(name, h)} per instance ({_why_per_hour(t.resource)})"


def _no_figure(t: Target, ctx: RuleContext, current: str, prefix: str) -> str:
    """Why the resource has no monthly figure with the type as written: no list price for the type, or
    (an EC2 type with a price, in EMR for one) another price the resource needs is missing."""
    region = t.resource.region or "us-east-1"
    if not prefix and ctx.get_catalog().price(f"ec2.{current}", region) is not None:
        return f"no monthly figure with {current} here (a price it needs is not in the catalog)"
    return f"no current list price for {current}"


def _why_per_hour(resource: Resource) -> str:
    if resource.type == MODULE_CALL:
        return f"passed to a {_callee(resource)} that is not analysed: how many instances run is not known"
    return "no monthly figure for this value"


def _callee(call: Resource) -> str:
    """What a "module" resource passes its values to: a Terraform module or a nested stack."""
    return "nested stack" if call.source_type.startswith("AWS::") else "module"


def _facts(catalog: Catalog, name: str, prefix: str, suffix: str) -> bool:
    """Whether the instance facts know the EC2 (or `db.` RDS) type behind a service's type name."""
    base = name.removesuffix(suffix) if suffix else name
    if prefix != "db.":
        base = base[len(prefix) :]
    return catalog.instance_type(base) is not None


def hourly_money(x: float) -> str:
    return f"${x:.4f}".rstrip("0").rstrip(".") if x < 1 else f"${x:.2f}"


# families never suggested from facts alone: accelerators, Mac hosts, high-memory and bare hosts,
# whose price is dominated by what the old type did not have
_SPECIAL = ("g", "p", "inf", "trn", "f", "dl", "vt", "mac", "u-", "hpc")
FACT_CANDIDATES = 24  # the closest fits priced per finding (each is one estimate, memoised)


def fact_successors(ctx: RuleContext, info: InstanceType, prefix: str, burstable: bool = False) -> list[str]:
    """Current-generation types of the same service with at least the old type's vCPUs and memory,
    on the same architecture, closest fits first: burstable (t*) for a burstable type or when asked
    (`burstable`: only burstable ones, the second choice of rows with `burstable_successors`), local
    disks (`d` variants, storage families) only for a type that had them as its purpose, never an
    accelerator or special host family."""
    return list(_fits(ctx.get_catalog(), info, prefix, burstable))


@functools.lru_cache(maxsize=4096)
def _fits(catalog: Catalog, info: InstanceType, prefix: str, burstable: bool) -> tuple[str, ...]:
    """`fact_successors` for one catalog: a walk over every type of the service, a few milliseconds,
    so each old type is looked at once however many instances carry it (a `count` of 10,000 asks
    10,000 times)."""
    if info.vcpu is None or info.memory_gib is None:
        return ()
    prev = previous_generation()
    service = {"db.": "rds", "cache.": "elasticache"}.get(prefix, "ec2")
    old_family = info.family
    burstable = burstable or old_family.startswith("t")
    storage = old_family[0] in "dhi"
    pool = []
    for name in catalog.instance_types(prefix):
        if not prefix and name.startswith(("db.", "cache.")):
            continue
        fit = catalog.instance_type(name)
        if fit is None or fit.generation != "current" or fit.vcpu is None or fit.memory_gib is None:
            continue
        fam = fit.family
        if fam in prev.get(service, ()) or fit.arch != info.arch or fam.startswith(_SPECIAL):
            continue
        if fam.startswith("t") != burstable or (fam[0] in "dhi") != storage:
            continue
        if not storage and re.search(r"\dd|d$|-flex|b$|n$", fam):
            continue  # local NVMe, flex, EBS- and network-optimised variants: extras nobody asked for
        if fit.vcpu < info.vcpu or fit.memory_gib < info.memory_gib - 0.01:
            continue
        pool.append((fit.vcpu, fit.memory_gib, name))
    pool.sort()
    return tuple(n for _, _, n in pool[:FACT_CANDIDATES])
