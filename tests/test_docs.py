"""The documentation stays in step with the rule table, the configuration schema and the CLI.

Every rule id has a page in docs/rules/ with the same sections, every page belongs to a real rule, and
the link each finding carries (`Rule.doc_url`) points at that page.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
RULE_DOCS = DOCS / "rules"
RULE_TABLE = REPO / "rules" / "tables" / "rules.toml"

SECTIONS = (
    "What it flags",
    "Why it matters",
    "Example",
    "Use instead",
    "Fix",
    "Configuration",
    "Resources checked",
)


def _table_rules() -> list[dict[str, Any]]:
    return tomllib.loads(RULE_TABLE.read_text(encoding="utf-8"))["rule"]


TABLE = _table_rules()
RULE_IDS = [row["id"] for row in TABLE]


def _page(rule_id: str) -> str:
    path = RULE_DOCS / f"{rule_id}.md"
    assert path.is_file(), f"missing documentation page docs/rules/{rule_id}.md"
    return path.read_text(encoding="utf-8")


def _sections(text: str) -> list[str]:
    return re.findall(r"(?m)^## (.+?)\s*$", text)


def _section(text: str, name: str) -> str:
    match = re.search(rf"(?ms)^## {re.escape(name)}\s*$(.*?)(?=^## |\Z)", text)
    assert match is not None, f"no section {name!r}"
    return match.group(1)


def test_rule_table_ids_are_unique():
    assert len(RULE_IDS) == len(set(RULE_IDS))


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_every_rule_has_a_page_with_the_required_sections(rule_id: str):
    text = _page(rule_id)
    assert text.splitlines()[0] == f"# {rule_id}", "the first line is the rule id as a title"
    assert _sections(text) == list(SECTIONS), f"sections must be exactly {SECTIONS}, in that order"
    for name in SECTIONS:
        assert _section(text, name).strip(), f"section {name!r} is empty"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_example_and_fixed_snippet_are_code(rule_id: str):
    text = _page(rule_id)
    assert "```hcl" in _section(text, "Example")
    assert "```hcl" in _section(text, "Use instead")


@pytest.mark.parametrize("row", TABLE, ids=RULE_IDS)
def test_page_states_the_tables_severity_and_fix_safety(row: dict[str, Any]):
    text = _page(row["id"])
    header = re.search(r"(?m)^Default severity: `(\w+)` · Fix: (.+)$", text)
    assert header is not None, "a 'Default severity: `…` · Fix: …' line under the title"
    assert header.group(1) == row["severity"]
    fix = header.group(2)
    if row["safe"]:
        assert "safe" in fix and "unsafe" not in fix
    else:
        assert "**unsafe**" in fix or fix == "none"


@pytest.mark.parametrize("row", TABLE, ids=RULE_IDS)
def test_page_names_how_to_disable_and_ignore_the_rule(row: dict[str, Any]):
    config = _section(_page(row["id"]), "Configuration")
    rid = row["id"]
    assert f'"{rid}"' in config, "shows the id in [rules] disable or severity"
    assert "advisor:ignore" in config


@pytest.mark.parametrize("row", TABLE, ids=RULE_IDS)
def test_resources_checked_lists_every_target_type(row: dict[str, Any]):
    from advisor.rules.table import expand_targets

    listed = _section(_page(row["id"]), "Resources checked")
    sets = tomllib.loads(RULE_TABLE.read_text(encoding="utf-8")).get("targets", {})
    for target in expand_targets(row.get("targets", []), sets, row["id"]):
        rtype = target.partition(":")[0]
        assert f"`{rtype}`" in listed, f"{rtype} (from the table's targets) is not listed"


def test_every_page_belongs_to_a_rule():
    pages = {p.stem for p in RULE_DOCS.glob("*.md")}
    stray = sorted(pages - set(RULE_IDS))
    assert not stray, f"pages without a rule in rules/tables/rules.toml: {stray}"
    assert not [p.name for p in RULE_DOCS.iterdir() if p.suffix != ".md"]


def test_doc_url_of_every_rule_points_at_its_page():
    from advisor.rules.engine import load_rules

    rules = load_rules()
    assert [r.id for r in rules] == RULE_IDS, "the installed rule table is the one in the repository"
    for rule in rules:
        assert rule.doc_url.endswith(f"docs/rules/{rule.id}.md"), rule.doc_url
        assert (RULE_DOCS / f"{rule.id}.md").is_file()


def test_rule_pages_link_to_existing_files():
    for page in sorted(RULE_DOCS.glob("*.md")):
        for target in re.findall(r"\]\(([^)#]+?\.md)\)", page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            assert (page.parent / target).resolve().is_file(), f"{page.name}: broken link {target}"


def test_architecture_and_configuration_pages_exist():
    for name in ("architecture.md", "configuration.md"):
        text = (DOCS / name).read_text(encoding="utf-8")
        assert text.startswith("# "), name


def _schema_keys(schema: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for key, value in schema.items():
        out.append((prefix, key))
        if isinstance(value, dict):
            out.extend(_schema_keys(value, key))
    return out


def test_configuration_page_documents_every_config_key():
    from advisor.config import _SCHEMA

    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    for table, key in _schema_keys(_SCHEMA):
        if not table:
            assert f"`{key}`" in text or f"[{key}]" in text, f"top-level key {key!r} is not documented"
        else:
            assert f"### `[{table}]`" in text, f"table [{table}] has no section"
            assert f"`{key}`" in _section_h3(text, f"`[{table}]`"), f"[{table}] {key} is not documented"


def _section_h3(text: str, name: str) -> str:
    match = re.search(rf"(?ms)^### {re.escape(name)}\s*$(.*?)(?=^##|\Z)", text)
    assert match is not None, f"no section {name!r}"
    return match.group(1)


@pytest.mark.parametrize("command", ["lint", "cost"])
def test_configuration_page_documents_every_cli_flag(command: str):
    from advisor.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    options = [o for action in sub.choices[command]._actions for o in action.option_strings]
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    for flag in options:
        if flag.startswith("--") and flag != "--help":
            assert f"`{flag}" in text, f"advisor {command} {flag} is not documented"
