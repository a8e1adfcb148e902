"""`[budget]` in `.advisor.toml`: typed limits, and errors that name the file and the line to fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from advisor.config import BudgetLimits, ConfigError, parse_config

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_limits_are_typed_with_their_lines():
    cfg = parse_config(
        "cfg/.advisor.toml",
        "region = 'us-east-1'\n\n[budget]\nmonthly_total = 20_000\npercent_increase = 12.5\n\n"
        '[[budget.paths]]\npath = "envs/prod/"\nmonthly_increase = 250\n\n'
        '[[budget.paths]]\npath = "envs/dev"\nmonthly_total = 0\n',
    )
    b = cfg.budget
    assert b.configured and b.base_dir.endswith("cfg")
    assert (b.total.monthly_total, b.total.monthly_increase, b.total.percent_increase) == (
        20000.0,
        None,
        12.5,
    )
    assert b.total.lines == {"monthly_total": 4, "percent_increase": 5}
    assert [(p.scope, p.line, p.lines) for p in b.paths] == [
        ("envs/prod", 7, {"monthly_increase": 9}),
        ("envs/dev", 11, {"monthly_total": 13}),
    ]
    assert b.paths[1].monthly_total == 0.0  # a zero limit is a limit, not "unset"


def test_no_budget_is_not_configured():
    assert not parse_config(".advisor.toml", "fail_on = 'error'\n").budget.configured
    assert not BudgetLimits().configured


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("[budget]\nmonthly_totl = 3\n", 2, "unknown key [budget] 'monthly_totl'"),
        ("[budget]\nmonthly_total = -1\n", 2, "[budget] monthly_total must be a number >= 0"),
        ("[budget]\npercent_increase = true\n", 2, "[budget] percent_increase must be a number >= 0"),
        ('[budget]\nmonthly_total = "5000"\n', 2, "[budget] monthly_total must be a number >= 0"),
        ("[budget]\npaths = 3\n", 2, "[budget] paths must be a list of tables"),
        (
            '[budget]\nmonthly_total = 1\n\n[[budget.paths]]\npath = "a"\nmonthly_total = 1\n\n'
            '[[budget.paths]]\npath = "b"\nmonthly_increase = "x"\n',
            10,
            "[[budget.paths]] 'b' monthly_increase must be a number >= 0",
        ),
        ("[[budget.paths]]\nmonthly_total = 1\n", 1, '[[budget.paths]] needs path = "<folder>"'),
        ('[[budget.paths]]\npath = "a"\n', 1, "[[budget.paths]] 'a' sets none of"),
        (
            '[[budget.paths]]\npath = "a"\nmonthly_total = 1\n[[budget.paths]]\npath = "a/"\nmonthly_total = 2\n',
            5,
            "[[budget.paths]] 'a' is listed twice",
        ),
        ('[[budget.paths]]\npath = "a"\ncolor = 1\n', 3, "unknown key [[budget.paths]] 'a' 'color'"),
    ],
)
def test_errors_name_the_line(text: str, line: int, message: str):
    with pytest.raises(ConfigError) as err:
        parse_config(".advisor.toml", text)
    assert err.value.line == line, str(err.value)
    assert message in str(err.value)
    assert str(err.value).startswith(f".advisor.toml:{line}: ")


def test_documented_examples_are_valid():
    for page in ("ci.md", "configuration.md"):
        text = (DOCS / page).read_text(encoding="utf-8")
        blocks = [b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if "[budget]" in b]
        assert blocks, page
        for block in blocks:
            assert parse_config(".advisor.toml", block).budget.configured
