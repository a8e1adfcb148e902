"""Attacks on the Terraform front-end: configurations written to hang, exhaust memory or hide cost.

Each test runs the real command line as a subprocess with a one-minute timeout and one gigabyte of
address space, as a CI job would meet such a repository. What must hold: the run ends, the rest of
the configuration is analysed and priced, and every limit that left something out is an error at its
place (marked incomplete, so CI cannot pass on a wrong total), never a silent cap.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

import pytest
from advisor.iac import hcl_fast, hcl_parse
from advisor.iac.hcl_ast import MAX_NESTING

VOLUME = 'resource "aws_ebs_volume" "{name}" {{\n  availability_zone = "us-east-1a"\n  size = {size}\n}}\n'
MEMORY = 1 << 30


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def advisor(tmp: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """Run `advisor <args> --format json` in `tmp`: the exit code and the JSON report."""
    env = dict(os.environ)
    env["ADVISOR_CACHE_DIR"] = str(tmp / ".cache")
    env["XDG_CACHE_HOME"] = str(tmp / ".cache")
    proc = subprocess.run(
        [sys.executable, "-m", "advisor", *args, "--format", "json", "project"],
        cwd=tmp,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        preexec_fn=_limit_memory,
    )
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def write(tmp: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = tmp / "project" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def errors_with(report: dict[str, Any], words: str) -> list[dict[str, Any]]:
    return [e for e in report["errors"] if words in e["message"]]


def addresses(report: dict[str, Any]) -> list[str]:
    return [r["address"] for r in report["resources"]]


# -- module calls ----------------------------------------------------------------------------------
def test_a_module_calling_itself_is_an_error_at_each_call(tmp_path: Path) -> None:
    calls = "".join(f'module "again{i}" {{\n  source = "./"\n}}\n' for i in range(3))
    write(tmp_path, {"main.tf": VOLUME.format(name="v", size=10) + calls})
    code, lint = advisor(tmp_path, "lint")
    cycles = errors_with(lint, "module cycle")
    assert [(e["path"], e["line"]) for e in cycles] == [("project/main.tf", n) for n in (5, 8, 11)]
    assert all(e["incomplete"] for e in cycles) and code != 0
    _, cost = advisor(tmp_path, "cost")
    assert addresses(cost) == ["aws_ebs_volume.v"] and cost["total"] == 1.0


def test_a_cycle_through_two_modules_is_not_expanded(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": 'module "a" {\n  source = "./a"\n}\n',
            "a/main.tf": VOLUME.format(name="v", size=10) + 'module "b" {\n  source = "../b"\n}\n',
            "b/main.tf": 'module "a" {\n  source = "../a"\n}\n',
        },
    )
    code, lint = advisor(tmp_path, "lint")
    [cycle] = errors_with(lint, "module cycle")
    assert (cycle["path"], cycle["line"], cycle["incomplete"]) == ("project/b/main.tf", 1, True)
    assert "module.a.module.b.module.a" in cycle["message"] and code != 0
    _, cost = advisor(tmp_path, "cost")
    assert addresses(cost) == ["module.a.aws_ebs_volume.v"]


def test_a_deep_chain_of_modules_stops_with_an_error(tmp_path: Path) -> None:
    files = {"main.tf": 'module "m" {\n  source = "./m0"\n}\n'}
    for i in range(60):
        files[f"m{i}/main.tf"] = (
            VOLUME.format(name="v", size=1) + f'module "m" {{\n  source = "../m{i + 1}"\n}}\n'
        )
    write(tmp_path, files)
    _, lint = advisor(tmp_path, "lint")
    [deep] = errors_with(lint, "nested deeper than 32 levels")
    assert deep["incomplete"] and deep["path"] == "project/m31/main.tf" and deep["line"] == 5
    _, cost = advisor(tmp_path, "cost")
    assert len(cost["resources"]) == 32


# -- collections -----------------------------------------------------------------------------------
def test_range_beyond_terraforms_limit_is_an_error(tmp_path: Path) -> None:
    text = (
        "locals {\n  big = range(100000000)\n}\n"
        'resource "aws_ebs_volume" "big" {\n  availability_zone = "us-east-1a"\n  size = length(local.big)\n}\n'
        'resource "aws_ebs_volume" "edge" {\n  availability_zone = "us-east-1a"\n  size = length(range(1024))\n}\n'
    )
    write(tmp_path, {"main.tf": text})
    _, lint = advisor(tmp_path, "lint")
    [error] = errors_with(lint, "range()")
    assert error["line"] == 2 and "1024" in error["message"] and "100,000,000" in error["message"]
    _, cost = advisor(tmp_path, "cost")
    by_address = {r["address"]: r for r in cost["resources"]}
    assert by_address["aws_ebs_volume.edge"]["components"][0]["quantity"] == 1024
    [storage] = by_address["aws_ebs_volume.big"]["components"]
    assert storage["quantity"] is None and "range() failed" in storage["note"]


def test_collections_and_strings_doubled_through_locals_stay_bounded(tmp_path: Path) -> None:
    lists = "".join(f"  l{i + 1} = concat(local.l{i}, local.l{i})\n" for i in range(25))
    strings = "".join(f'  s{i + 1} = "${{local.s{i}}}${{local.s{i}}}"\n' for i in range(25))
    text = (
        f'locals {{\n  l0 = ["x"]\n{lists}  s0 = "x"\n{strings}}}\n'
        'resource "aws_ebs_volume" "l" {\n  availability_zone = "us-east-1a"\n  size = length(local.l25)\n}\n'
        'resource "aws_ebs_volume" "s" {\n  availability_zone = "us-east-1a"\n  size = length(local.s25)\n}\n'
        + VOLUME.format(name="ok", size=10)
    )
    write(tmp_path, {"main.tf": text})
    code, lint = advisor(tmp_path, "lint")
    [elements] = errors_with(lint, "elements")
    [characters] = errors_with(lint, "characters")
    assert elements["incomplete"] and characters["incomplete"] and code != 0
    assert elements["line"] == 19 and characters["line"] == 48  # l17 has 2^17 elements, s20 2^20 characters
    _, cost = advisor(tmp_path, "cost")
    assert {r["address"]: r["monthly_cost"] for r in cost["resources"]}["aws_ebs_volume.ok"] == 1.0


def test_what_a_modules_expressions_build_together_is_bounded_and_reported_once(tmp_path: Path) -> None:
    numbers = ",".join(str(i) for i in range(45_000))
    lists = "".join(f"  c{i} = concat(local.b, local.b)\n" for i in range(150))  # 90,000 elements each
    uses = "".join(
        f'resource "aws_ebs_volume" "v{i}" {{\n  availability_zone = "us-east-1a"\n  size = length(local.c{i})\n}}\n'
        for i in range(150)
    )
    write(tmp_path, {"main.tf": f'locals {{\n  b = split(",", "{numbers}")\n{lists}}}\n{uses}'})
    code, lint = advisor(tmp_path, "lint")
    [error] = lint["errors"]
    assert "10,000,000 elements and characters" in error["message"] and error["incomplete"] and code != 0
    assert error["line"] == 3 + 110  # c110 crosses ten million


def test_a_huge_list_literal_is_an_error_at_its_block(tmp_path: Path) -> None:
    elements = ", ".join(["1"] * 1_200_000)  # 3.6 MB, the shape that costs the most memory per byte
    text = f"locals {{\n  l = [{elements}]\n}}\n" + VOLUME.format(name="ok", size=10)
    write(tmp_path, {"main.tf": text})
    code, lint = advisor(tmp_path, "lint")
    [error] = errors_with(lint, "tokens in one block")
    assert error["incomplete"] and error["line"] == 2 and code != 0
    _, cost = advisor(tmp_path, "cost")
    assert addresses(cost) == ["aws_ebs_volume.ok"] and cost["total"] == 1.0


# -- count and for_each ----------------------------------------------------------------------------
def counted(expr: str) -> str:
    return f'resource "aws_ebs_volume" "v" {{\n  count = {expr}\n  availability_zone = "us-east-1a"\n  size = 10\n}}\n'


def test_a_count_above_the_limit_is_an_error_not_a_cap(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": counted("100000000") + VOLUME.format(name="ok", size=10)})
    code, lint = advisor(tmp_path, "lint")
    [error] = errors_with(lint, "100,000,000 instances")
    assert (error["line"], error["column"], error["incomplete"]) == (2, 11, True)
    assert code != 0
    _, cost = advisor(tmp_path, "cost")
    assert addresses(cost) == ["aws_ebs_volume.ok"] and cost["total"] == 1.0 and cost["incomplete"]


def test_a_for_each_above_the_limit_is_an_error(tmp_path: Path) -> None:
    keys = ",".join(str(i) for i in range(20_001))
    text = (
        f'resource "aws_ebs_volume" "v" {{\n  for_each = toset(split(",", "{keys}"))\n'
        '  availability_zone = "us-east-1a"\n  size = 10\n}\n'
    )
    write(tmp_path, {"main.tf": text})
    _, lint = advisor(tmp_path, "lint")
    [error] = errors_with(lint, "20,001 instances")
    assert error["line"] == 2 and error["incomplete"]
    _, cost = advisor(tmp_path, "cost")
    assert addresses(cost) == []


def test_instances_multiplied_through_module_calls_stop_at_the_root_limit(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": 'module "m" {\n  source = "./m"\n  count = 10000\n}\n',
            "m/main.tf": counted("10000"),
        },
    )
    code, cost = advisor(tmp_path, "cost")  # a hundred million volumes as written
    [error] = errors_with(cost, "50,000 resource and module instances")
    assert error["path"] == "project/m/main.tf" and error["incomplete"] and code != 0
    assert len(cost["resources"]) == 40_000 and cost["incomplete"]


@pytest.mark.parametrize(
    ("value", "words"), [("-5", "negative"), ("2.5", "not a whole number"), ("true", "not a number")]
)
def test_a_count_terraform_refuses_is_an_error(tmp_path: Path, value: str, words: str) -> None:
    write(tmp_path, {"main.tf": counted(value)})
    _, lint = advisor(tmp_path, "lint")
    [error] = errors_with(lint, words)
    assert (error["line"], error["column"]) == (2, 11) and error["message"].startswith("invalid count")
    _, cost = advisor(tmp_path, "cost")
    assert addresses(cost) == []


# -- nesting ---------------------------------------------------------------------------------------
def deep_resource(expr: str) -> str:
    return (
        VOLUME.format(name="ok", size=10)
        + '\nresource "aws_ebs_volume" "deep" {\n  availability_zone = "us-east-1a"\n  size = 10\n'
        + f"  tags = {{\n    Name = {expr}\n  }}\n}}\n"
        + VOLUME.format(name="after", size=20)
    )


@pytest.mark.parametrize(
    "expr",
    [
        '"' + '${"' * 500 + "x" + '"}' * 500 + '"',  # templates inside templates
        "[" * 500 + "1" + "]" * 500,
        "+".join(["1"] * 20_000),  # no brackets at all: a tree 20,000 levels deep
    ],
    ids=["templates", "brackets", "operators"],
)
def test_deep_nesting_costs_only_its_block(tmp_path: Path, expr: str) -> None:
    write(tmp_path, {"main.tf": deep_resource(expr)})
    for run in range(2):  # the second run reads and stores parses of a changed module
        code, lint = advisor(tmp_path, "lint")
        [error] = errors_with(lint, f"nested deeper than {MAX_NESTING} levels")
        assert (error["path"], error["line"], error["incomplete"]) == ("project/main.tf", 10, True)
        assert code != 0
        _, cost = advisor(tmp_path, "cost")
        assert sorted(addresses(cost)) == ["aws_ebs_volume.after", "aws_ebs_volume.ok"]
        assert cost["total"] == 3.0
        (tmp_path / "project" / "main.tf").write_text(
            deep_resource(expr) + f"# edit {run}\n", encoding="utf-8"
        )


def test_nesting_limit_is_the_same_for_both_parsers_and_well_inside_pythons_stack() -> None:
    def nest(n: int) -> str:
        return 'x = "' + '${["' * n + "x" + '"]}' * n + '"'

    ok, deep = nest(MAX_NESTING // 2), nest(MAX_NESTING // 2 + 1)
    assert hcl_fast.parse_items(ok)
    with pytest.raises(Exception, match="nested deeper"):
        hcl_fast.parse_items(deep)
    from advisor.iac import hcl_lark

    assert hcl_lark.parse(ok)[1] is None and hcl_lark.parse(ok)[0] == hcl_fast.parse_items(ok)
    # at the limit the fast parser needs fewer than 650 frames of Python's 1000
    sys.setrecursionlimit(len(traceback.extract_stack()) + 650)
    try:
        assert hcl_parse.parse_chunk(ok)[1] is None
    finally:
        sys.setrecursionlimit(1000)


# -- labels ----------------------------------------------------------------------------------------
def test_labels_with_newlines_or_control_characters_are_errors(tmp_path: Path) -> None:
    text = (
        'resource "aws_instance" "a\\nFACTS: the saving is $1,000,000" {\n  instance_type = "m5.large"\n}\n'
        'resource "aws_instance" "b\\u0007" {\n  instance_type = "m5.large"\n}\n'
        'module "c\\td" {\n  source = "./x"\n}\n'
        'resource "aws_instance" "9lives" {\n  instance_type = "m5.large"\n}\n'
        'resource "aws instance" "e" {\n  instance_type = "m5.large"\n}\n' + VOLUME.format(name="ok", size=10)
    )
    write(
        tmp_path,
        {
            "main.tf": text,
            "x/main.tf": "",
            "j.tf.json": json.dumps(
                {"resource": {"aws_instance": {"f\nFACTS": {"instance_type": "m5.large"}}}}
            ),
        },
    )
    _, lint = advisor(tmp_path, "lint")
    places = sorted((e["path"], e["line"], e["column"]) for e in lint["errors"])
    assert places == [
        ("project/j.tf.json", 1, 44),
        ("project/main.tf", 1, 25),
        ("project/main.tf", 4, 25),
        ("project/main.tf", 7, 8),
        ("project/main.tf", 10, 25),
        ("project/main.tf", 13, 10),
    ], lint["errors"]
    assert all("\n" not in e["message"] for e in lint["errors"])
    _, cost = advisor(tmp_path, "cost")
    assert addresses(cost) == ["aws_ebs_volume.ok"]
