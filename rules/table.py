"""The rule tables shipped in `tables/`: rows of `rules.toml` as `Rule`s, and the family successors.

A row's `targets` name places to look at (`<resource type>:<attribute path>`) or a named set of
them (`@name`, from the table's `[targets]`), so a list shared by several rows is written once.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

DOCS_BASE = "https://github.com/advisor-iac/advisor/blob/main/docs/rules/"
_ROW_KEYS = {"id", "kind", "severity", "title", "rationale", "safe", "targets"}

TargetSpec = tuple[str, tuple[str, ...], bool]  # (resource type, attribute path, each list element)


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the rule table: everything but `kind` and `targets` is the kind's `params`."""

    id: str
    kind: str
    severity: str
    title: str
    rationale: str
    safe: bool
    targets: tuple[TargetSpec, ...]
    params: dict[str, Any]
    # the same rule looking at one of its targets each (what a per-resource kind is given)
    parts: tuple[Rule, ...] = field(default=(), compare=False, repr=False)

    @property
    def doc_url(self) -> str:
        return f"{DOCS_BASE}{self.id}.md"


def _with_parts(rule: Rule) -> Rule:
    parts = tuple(
        Rule(rule.id, rule.kind, rule.severity, rule.title, rule.rationale, rule.safe, (t,), rule.params)
        for t in rule.targets
    )
    object.__setattr__(rule, "parts", parts)
    return rule


def _table_text(name: str) -> str:
    """A table shipped in `tables/` (read beside this file: importlib.resources costs a start-up)."""
    with open(os.path.join(os.path.dirname(__file__), "tables", name), encoding="utf-8") as f:
        return f.read()


def parse_target(text: str) -> TargetSpec:
    rtype, _, path = text.partition(":")
    each = path.endswith("[]")
    return (rtype, tuple(path.removesuffix("[]").split(".")), each)


def expand_targets(names: list[str], sets: dict[str, list[str]], rule_id: str) -> list[str]:
    """Targets with every `@set` replaced by its members, in order."""
    out: list[str] = []
    for name in names:
        if name.startswith("@"):
            members = sets.get(name[1:])
            if members is None:
                raise ValueError(f"rule {rule_id}: no target set {name!r} in [targets]")
            out.extend(expand_targets(members, sets, rule_id))
        else:
            out.append(name)
    return out


def parse_rules(text: str) -> tuple[Rule, ...]:
    data = tomllib.loads(text)
    sets: dict[str, list[str]] = data.get("targets", {})
    out: list[Rule] = []
    for row in data["rule"]:
        targets = tuple(parse_target(t) for t in expand_targets(row.get("targets", []), sets, row["id"]))
        params = {k: v for k, v in row.items() if k not in _ROW_KEYS}
        rule = Rule(
            row["id"],
            row["kind"],
            row["severity"],
            row["title"],
            row["rationale"],
            row["safe"],
            targets,
            params,
        )
        out.append(_with_parts(rule))
    return tuple(out)


@functools.lru_cache(maxsize=1)
def load_rules() -> tuple[Rule, ...]:
    return parse_rules(_table_text("rules.toml"))


@functools.lru_cache(maxsize=1)
def families() -> dict[str, dict[str, list[str]]]:
    tables: dict[str, dict[str, list[str]]] = tomllib.loads(_table_text("families.toml"))
    return tables


@functools.lru_cache(maxsize=1)
def previous_generation() -> dict[str, list[str]]:
    """Previous-generation families per service (`ec2`, `rds`, …), as AWS lists them."""
    tables: dict[str, list[str]] = tomllib.loads(_table_text("previous_generation.toml"))
    return tables


def known_rule_ids() -> set[str]:
    return {r.id for r in load_rules()}
