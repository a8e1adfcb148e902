"""Budget guardrails: monthly limits from `[budget]`, checked by `advisor lint` and `advisor diff`.

A folder's budget counts the root modules inside that folder together with the modules they call, so
`envs/prod` pays for `module.vpc` even when the module's files live in `modules/vpc`; each resource
and cost carries the root it was evaluated in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.config import BudgetConfig, BudgetLimits, Config
from advisor.display import printable, rel
from advisor.engine import Analysis, Options
from advisor.model import ParseError, Resource
from advisor.money import money, signed

if TYPE_CHECKING:
    from collections.abc import Iterable

    from advisor.pricing.costs import ResourceCost


@dataclass(slots=True)
class RootedAnalysis:
    """An `Analysis` equal to `analyze_paths`'s, plus the root module folder of each resource."""

    analysis: Analysis
    resources: list[tuple[str, Resource]] = field(default_factory=list)
    costs: dict[tuple[str, str], ResourceCost] = field(default_factory=dict)

    def roots(self) -> list[str]:
        return sorted({root for root, _ in self.resources})


def analyze_rooted(paths: list[str], options: Options) -> RootedAnalysis:
    """What `engine.analyze_paths` finds, with each resource and cost keyed by its root module."""
    from advisor.engine import analyze_paths

    analysis = analyze_paths(paths, options)
    rooted = RootedAnalysis(analysis)
    rooted.resources = sorted(
        ((r.root, r) for r in analysis.resources), key=lambda rr: (rr[0], rr[1].address)
    )
    rooted.costs = {(c.root, c.address): c for c in analysis.costs}
    return rooted


# -- limits -------------------------------------------------------------------------------------------
@dataclass(slots=True)
class BudgetCheck:
    """One limit compared with the figures of one scope (the whole analysis or a folder)."""

    scope: str  # "" for the whole analysis, else the folder as written in the config
    limit: str  # monthly_total | monthly_increase | percent_increase
    threshold: float
    value: float | None  # None: not applicable (a percentage of a zero base)
    where: str  # config file:line that sets the limit

    @property
    def breached(self) -> bool:
        return self.value is not None and round(self.value, 2) > self.threshold + 1e-9

    def message(self) -> str:
        subject = "the monthly total" + (f" of {self.scope}" if self.scope else "")
        if self.limit == "monthly_total":
            what, limit = f"{subject} is {money(self.value)}", money(self.threshold)
        elif self.limit == "monthly_increase":
            grows = "grows" if (self.value or 0) > 0 else "changes"
            what, limit = f"{subject} {grows} by {signed(self.value)}", money(self.threshold)
        else:
            grows = "grows" if (self.value or 0) > 0 else "changes"
            change = "(n/a: the base total is $0)" if self.value is None else f"by {self.value:+.2f}%"
            what, limit = f"{subject} {grows} {change}", f"{self.threshold:g}%"
        verdict = "above" if self.breached else "within"
        return f"{what}, {verdict} {self.limit} = {limit} ({self.where})"

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope or "total",
            "limit": self.limit,
            "threshold": self.threshold,
            "value": None if self.value is None else round(self.value, 2),
            "breached": self.breached,
            "config": self.where,
            "message": self.message(),
        }


def _where(config: Config, limits: BudgetLimits, key: str) -> str:
    path = rel(config.path) if config.path else ".advisor.toml"
    line = limits.lines.get(key) or limits.line
    return f"{path}:{line}" if line else path


def check_limits(
    config: Config, limits: BudgetLimits, before: float | None, after: float
) -> list[BudgetCheck]:
    """The checks of one scope; `before` is None when only one revision is known (lint)."""
    out: list[BudgetCheck] = []

    def add(limit: str, threshold: float, value: float | None) -> None:
        out.append(BudgetCheck(limits.scope, limit, threshold, value, _where(config, limits, limit)))

    if limits.monthly_total is not None:
        add("monthly_total", limits.monthly_total, after)
    if before is not None:
        delta = round(after - before, 2)
        if limits.monthly_increase is not None:
            add("monthly_increase", limits.monthly_increase, delta)
        if limits.percent_increase is not None:
            add(
                "percent_increase",
                limits.percent_increase,
                round(delta / before * 100, 2) if before > 0 else None,
            )
    return out


def folder_of(budget: BudgetConfig, limits: BudgetLimits) -> str:
    return os.path.realpath(os.path.join(budget.base_dir, limits.scope))


def inside(root: str, folder: str, cwd: str) -> bool:
    """Whether a root module folder (as the engine names it, relative to `cwd`) lies in `folder`."""
    absolute = os.path.realpath(os.path.join(cwd, root))
    return absolute == folder or absolute.startswith(folder.rstrip(os.sep) + os.sep)


def scope_total(rooted: RootedAnalysis, folder: str, cwd: str) -> tuple[float, bool]:
    """Monthly cost of the roots inside `folder`, and whether any root is there at all."""
    roots = {r for r in rooted.roots() if inside(r, folder, cwd)}
    total = sum(c.monthly_cost or 0.0 for (root, _address), c in rooted.costs.items() if root in roots)
    return round(total, 2), bool(roots)


def lint_checks(config: Config, analysis: Analysis, paths: list[str], options: Options) -> list[BudgetCheck]:
    """`monthly_total` for the whole analysis and each configured folder that holds analysed roots.

    Folder budgets need to know each resource's root module, which `analyze_paths` does not keep: the
    paths are analysed once more, and only when folder budgets are configured.
    """
    budget = config.budget
    checks: list[BudgetCheck] = []
    if budget.total.monthly_total is not None:
        checks += check_limits(config, budget.total, None, analysis.monthly_cost)
    folders = [p for p in budget.paths if p.monthly_total is not None]
    if folders:
        rooted = analyze_rooted(paths, options)
        cwd = os.getcwd()
        for limits in folders:
            total, present = scope_total(rooted, folder_of(budget, limits), cwd)
            if present:
                checks += check_limits(config, limits, None, total)
    return checks


def lint_budget_breaches(config: Config, analysis: Analysis, paths: list[str], options: Options) -> str:
    """`[budget]` for `advisor lint`: one `advisor: budget exceeded: …` line per breach ("" if none),
    and a line saying the check is not conclusive when the analysis is incomplete."""
    breaches = [c for c in lint_checks(config, analysis, paths, options) if c.breached]
    lines = [f"advisor: budget exceeded: {c.message()}" for c in breaches]
    unchecked = incomplete_budget(analysis.errors)
    if unchecked:
        lines.append(f"advisor: {unchecked}")
    return "".join(printable(line) + "\n" for line in lines)


def incomplete_budget(errors: Iterable[ParseError]) -> str:
    """Why budget checks prove nothing when some input was left unanalysed ("" if none was): the
    totals leave out what could not be analysed, so "within" is not known."""
    missing = sum(1 for e in errors if e.incomplete)
    if not missing:
        return ""
    return (
        f"budget checks are not conclusive: the monthly total is incomplete ({missing} "
        f"error{'s' if missing != 1 else ''} left input unanalysed) and may be higher than stated"
    )
