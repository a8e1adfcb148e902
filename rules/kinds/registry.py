"""The registry of rule kinds: each kind module registers its check here with `@kind(...)`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from advisor.model import Resource
from advisor.rules.context import RuleContext
from advisor.rules.findings import Draft
from advisor.rules.table import Rule

Check = Callable[[Rule, Sequence[Resource], RuleContext], list[Draft]]
Scope = Literal["resource", "module"]


@dataclass(frozen=True, slots=True)
class Kind:
    check: Check
    scope: Scope


KINDS: dict[str, Kind] = {}


def kind(name: str, scope: Scope = "resource") -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        KINDS[name] = Kind(check, scope)
        return check

    return register
