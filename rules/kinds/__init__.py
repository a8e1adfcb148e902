"""Rule kinds: the checks a rule row names with `kind`, one module each, registered here.

A kind is a function `(rule, resources, context) -> list[Draft]`. A per-resource kind is given one
resource at a time and the rule restricted to one of its targets (`Rule.parts`), so the findings of a
resource the edit did not touch are reused; a module kind sees every resource of its targets' types
in the run at once (groups, companions) and is run again every time. To add a kind: write
`kinds/<name>.py` with a function decorated `@kind("<name>")` (or `@kind("<name>", scope="module")`),
import it below, and use `kind = "<name>"` in a row of `tables/rules.toml`.
"""

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


def _load() -> None:
    from advisor.rules.kinds import (  # noqa: F401  (each module registers its kind)
        eip_unattached,
        instance_family,
        lambda_arch,
        missing_attribute,
        missing_companion,
        nat_per_az,
        set_attribute,
        tags_missing,
        volume_type,
    )


_load()
