"""Whole reports of unchanged trees, stored: a second `advisor lint` of the same tree with the same
command line writes the stored report and exits as the first did, without reading any outcome.

The key is everything the output depends on besides file contents: `engine.tree_signature` (the
options, the files found, each module's signature) and what the caller adds (format, failure level,
colour, working folder). The entry holds every input the report was made from (`Analysis.inputs`),
checked as a module outcome's are. Reports with LLM explanations are never stored. Entries are
`parse_cache`'s: in the private cache folder, authenticated before they are unpickled, in its format 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from advisor.engine import Found, Options, inputs_unchanged, tree_signature
from advisor.iac import parse_cache


@dataclass(slots=True)
class StoredReport:
    inputs: list[tuple[str, Any]]
    text: str
    stderr: str
    exit_code: int


def key_for(found: Found, options: Options, extra: list[Any]) -> str:
    """The key of the report on what `engine.discover` `found`, with `extra` (what the caller adds)."""
    import json

    return parse_cache.key("report", json.dumps([tree_signature(found, options), extra], default=str))


def lookup(key: str) -> StoredReport | None:
    """The stored report for `key` if every input it was made from is unchanged."""
    stored = parse_cache.load(key)
    if isinstance(stored, StoredReport) and inputs_unchanged(stored.inputs):
        return stored
    return None


def store(key: str, report: StoredReport) -> None:
    if report.inputs:  # nothing recorded (the disk cache was off): nothing to check it against later
        parse_cache.store(key, report)
