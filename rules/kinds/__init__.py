"""Rule kinds: the checks a rule row names with `kind`, one module each, registered here.

A kind is a function `(rule, resources, context) -> list[Draft]`. A per-resource kind is given one
resource at a time and the rule restricted to one of its targets (`Rule.parts`), so the findings of a
resource the edit did not touch are reused; a module kind sees every resource of its targets' types
in the run at once (groups, companions) and is run again every time. To add a kind: write
`kinds/<name>.py` with a function decorated `@kind("<name>")` (or `@kind("<name>", scope="module")`,
from `registry.py`), import it below, and use `kind = "<name>"` in a row of `tables/rules.toml`.
"""

from __future__ import annotations

# each module registers its kind when imported
from advisor.rules.kinds import (  # noqa: F401
    eip_unattached,
    instance_family,
    lambda_arch,
    missing_attribute,
    missing_companion,
    nat_per_az,
    set_attribute,
    tags_missing,
    version_support,
    volume_type,
)
from advisor.rules.kinds.registry import KINDS, Check, Kind, Scope, kind

__all__ = ["KINDS", "Check", "Kind", "Scope", "kind"]
