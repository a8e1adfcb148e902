"""The entry points the analysis and the language server use, gathered from the package's modules.

The table is `table.py`, the context a kind is given `context.py`, price comparisons `prices.py`,
fix edits `edits.py`, findings and their messages `findings.py`, the kinds `kinds/`, and running
them over a module's resources `runner.py`.
"""

from __future__ import annotations

from advisor.rules.context import RuleContext, environment_of
from advisor.rules.runner import FindingReuse, check_resources
from advisor.rules.table import DOCS_BASE, Rule, families, known_rule_ids, load_rules

__all__ = [
    "DOCS_BASE",
    "FindingReuse",
    "Rule",
    "RuleContext",
    "check_resources",
    "environment_of",
    "families",
    "known_rule_ids",
    "load_rules",
]
