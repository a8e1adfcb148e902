"""Evaluation of real projects' expressions: `for` expressions, splats, indexes, functions, references
to what other blocks configure, counts unknown before apply, and autoscaling groups counted the same
way by `cost` and `lint`.

Expected values are written by hand from Terraform's documented semantics (what `terraform console`
prints); end-to-end cases run the real command line.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from advisor.iac.hcl_eval import MAX_ITERATIONS
from advisor.iac.terraform import Settings, evaluate_root
from advisor.model import Value
from conftest import run_cli


def write(tmp: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp / name).write_text(text, encoding="utf-8")
    return tmp


def evaluated(tmp: Path, expr: str, extra: str = "") -> Value:
    """The value of `expr` as an argument of a resource, with `extra` blocks beside it."""
    write(tmp, {"main.tf": f'resource "test_thing" "t" {{\n  v = {expr}\n}}\n{extra}'})
    result = evaluate_root(str(tmp), Settings())
    (res,) = [r for r in result.resources if r.address == "test_thing.t"]
    return res.body.attributes["v"]


def value_of(tmp: Path, expr: str, extra: str = "") -> Any:
    v = evaluated(tmp, expr, extra)
    assert v.known, v.reason
    return v.value


LOCALS = """
locals {
  names = ["a", "b", "c"]
  sizes = { web = "t3.small", db = "r5.large", app = "m5.large" }
  objs  = [{ n = 1, v = [1, 2] }, { n = 2, v = [3, 4] }]
  one   = { n = 7 }
  fruit = ["apple", "avocado", "banana"]
}
variable "nothing" {
  default = null
}
"""

FOR_CASES = [
    ("[for s in local.names : upper(s)]", ["A", "B", "C"]),
    ('[for i, s in local.names : "${i}-${s}" if i != 1]', ["0-a", "2-c"]),
    # a map is walked in lexical key order, whatever order it was written in
    ("[for k, v in local.sizes : k]", ["app", "db", "web"]),
    ("[for v in local.sizes : v]", ["m5.large", "r5.large", "t3.small"]),
    ("{for k, v in local.sizes : v => k}", {"t3.small": "web", "r5.large": "db", "m5.large": "app"}),
    ('{for k, v in local.sizes : k => v if k != "db"}', {"web": "t3.small", "app": "m5.large"}),
    ("{for s in local.fruit : substr(s, 0, 1) => s...}", {"a": ["apple", "avocado"], "b": ["banana"]}),
    ('flatten([for k, v in { a = [1, 2], b = [3] } : [for x in v : "${k}${x}"]])', ["a1", "a2", "b3"]),
    ("[for o in local.objs : o.n * 10]", [10, 20]),
    ("length({for i in range(5) : tostring(i) => i if i % 2 == 0})", 3),
]


@pytest.mark.parametrize(("expr", "expected"), FOR_CASES)
def test_for_expressions(tmp_path: Path, expr: str, expected: Any) -> None:
    assert value_of(tmp_path, expr, LOCALS) == expected


def test_for_expression_duplicate_key_without_grouping_is_unknown(tmp_path: Path) -> None:
    v = evaluated(tmp_path, "{for s in local.fruit : substr(s, 0, 1) => s}", LOCALS)
    assert not v.known and "duplicate key 'a'" in v.reason


def test_for_expression_over_an_unknown_collection_or_condition_is_unknown(tmp_path: Path) -> None:
    extra = 'variable "unset" {}\n' + LOCALS
    v = evaluated(tmp_path, "[for s in var.unset : s]", extra)
    assert not v.known and "unset" in v.reason
    v = evaluated(tmp_path, "[for s in local.names : s if var.unset]", extra)
    assert not v.known and "condition" in v.reason


SPLAT_CASES = [
    ("local.objs[*].n", [1, 2]),
    ("local.objs.*.n", [1, 2]),
    # a full splat applies the index to each element; the legacy one to the list it makes
    ("local.objs[*].v[0]", [1, 3]),
    ("local.objs.*.v[0]", [1, 2]),
    ("local.one[*].n", [7]),  # a value that is not a list is a list of one
    ("var.nothing[*]", []),  # null is an empty list
    ("local.names[1]", "b"),
    ('local.sizes["db"]', "r5.large"),
    ("local.objs[1].v[0]", 3),
]


@pytest.mark.parametrize(("expr", "expected"), SPLAT_CASES)
def test_splats_and_indexes(tmp_path: Path, expr: str, expected: Any) -> None:
    assert value_of(tmp_path, expr, LOCALS) == expected


FUNCTION_CASES = [
    ('try(local.sizes["nope"], "fallback")', "fallback"),
    ("can(local.sizes.web)", True),
    ('lookup(local.sizes, "gpu", "none")', "none"),
    ('lookup(local.sizes, "web", "none")', "t3.small"),
    ("merge({ a = 1, b = 2 }, { a = 3 })", {"a": 3, "b": 2}),
    ("flatten([[1, [2]], 3])", [1, 2, 3]),
    ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}),
    ("concat([1], [2, 3])", [1, 2, 3]),
    ("keys({ b = 1, a = 2 })", ["a", "b"]),
    ("values({ b = 1, a = 2 })", [2, 1]),
    ('length("héllo")', 5),
    ("length(local.sizes)", 3),
    ('element(["a", "b", "c"], 4)', "b"),
    ('coalesce("", "x")', "x"),
    ('compact(["a", "", "c"])', ["a", "c"]),
    ("distinct([1, 2, 1])", [1, 2]),
    ('contains(["a", "b"], "b")', True),
    ('tomap({ a = "1" })', {"a": "1"}),
    ('tolist(["a"])', ["a"]),
    ('toset(["b", "a", "b"])', ["a", "b"]),
    ('jsonencode({ b = 1, a = ["x"] })', '{"a":["x"],"b":1}'),
    ('jsonencode("<a&b>")', '"\\u003ca\\u0026b\\u003e"'),
    ('format("%s-%03d", "web", 7)', "web-007"),
    ('join("-", ["a", "b"])', "a-b"),
    ('split(",", "a,b")', ["a", "b"]),
    ('lower("AbC")', "abc"),
    ('upper("AbC")', "ABC"),
    ('replace("a-b-c", "-", "_")', "a_b_c"),
    ('substr("hello", 1, 3)', "ell"),
    ('substr("hello", -3, -1)', "llo"),
    ("min(3, 1, 2)", 1),
    ("max(3, 1, 2)", 3),
    ("ceil(1.2)", 2),
    ("floor(1.8)", 1),
    ('cidrsubnet("10.0.0.0/16", 8, 2)', "10.0.2.0/24"),
    ('cidrsubnet("10.1.0.0/16", 4, 15)', "10.1.240.0/20"),
]


@pytest.mark.parametrize(("expr", "expected"), FUNCTION_CASES)
def test_functions(tmp_path: Path, expr: str, expected: Any) -> None:
    assert value_of(tmp_path, expr, LOCALS) == expected


def test_regular_expression_replace_is_unknown_not_guessed(tmp_path: Path) -> None:
    v = evaluated(tmp_path, 'replace("a1b2", "/[0-9]/", "")')
    assert not v.known and "regular expressions" in v.reason


CONFIGURED = """
resource "aws_rds_cluster" "default" {
  cluster_identifier = "main"
  engine             = "aurora-mysql"
}
resource "aws_launch_configuration" "lc" {
  count         = 2
  image_id      = "ami-1"
  instance_type = ["m5.large", "c5.large"][count.index]
}
resource "aws_instance" "each" {
  for_each      = { small = "t3.small", big = "m5.xlarge" }
  ami           = "ami-1"
  instance_type = each.value
}
data "aws_ami" "ubuntu" {
  most_recent = true
  owners      = ["099720109477"]
}
"""


REFERENCE_CASES = [
    ("aws_rds_cluster.default.engine", "aurora-mysql"),
    ("aws_launch_configuration.lc[1].instance_type", "c5.large"),
    ("aws_launch_configuration.lc[*].instance_type", ["m5.large", "c5.large"]),
    ("aws_launch_configuration.lc.*.instance_type[0]", "m5.large"),
    ('aws_instance.each["big"].instance_type', "m5.xlarge"),
    ('[for k, i in aws_instance.each : "${k}=${i.instance_type}"]', ["big=m5.xlarge", "small=t3.small"]),
    ("data.aws_ami.ubuntu.owners[0]", "099720109477"),
]


@pytest.mark.parametrize(("expr", "expected"), REFERENCE_CASES)
def test_references_to_configured_arguments(tmp_path: Path, expr: str, expected: Any) -> None:
    assert value_of(tmp_path, expr, CONFIGURED) == expected


@pytest.mark.parametrize(
    "expr",
    [
        "aws_rds_cluster.default.id",
        "aws_rds_cluster.default.endpoint",
        "aws_launch_configuration.lc[*].id",
        "aws_launch_configuration.lc[*].id[0]",  # a full splat indexes each id: unknown, never the first
        "data.aws_ami.ubuntu.id",
        "aws_instance.nowhere.instance_type",
        'aws_instance.each["medium"].instance_type',
    ],
)
def test_computed_attributes_stay_unknown(tmp_path: Path, expr: str) -> None:
    v = evaluated(tmp_path, expr, CONFIGURED)
    assert not v.known and v.reason


def test_references_in_a_cycle_are_unknown(tmp_path: Path) -> None:
    extra = (
        'resource "aws_instance" "a" {\n  instance_type = aws_instance.b.instance_type\n}\n'
        'resource "aws_instance" "b" {\n  instance_type = aws_instance.a.instance_type\n}\n'
    )
    v = evaluated(tmp_path, "aws_instance.a.instance_type", extra)
    assert not v.known and "refers to itself" in v.reason


def test_for_expressions_stop_at_the_iteration_limit(tmp_path: Path) -> None:
    started = time.monotonic()
    write(
        tmp_path,
        {
            "main.tf": 'resource "test_thing" "t" {\n'
            "  v = length([for a in range(1000) : [for b in range(1000) : [for c in range(1000) : c]]])\n}\n"
        },
    )
    result = evaluate_root(str(tmp_path), Settings())
    (res,) = result.resources
    assert not res.body.attributes["v"].known
    assert time.monotonic() - started < 60
    (error,) = [e for e in result.errors if f"{MAX_ITERATIONS:,}" in e.message]
    assert error.incomplete and error.span is not None and error.span.line == 1


def cli_json(*args: str, cwd: Path) -> dict[str, Any]:
    r = run_cli(*args, "--format", "json", cwd=cwd, env={"ADVISOR_NO_CACHE": "1"})
    assert r.returncode in (0, 1), r.stderr
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


def test_for_each_over_a_for_expression_gives_terraforms_addresses(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
variable "databases" {
  default = {
    orders   = { class = "db.m5.large" }
    payments = { class = "db.m5.large" }
    reports  = { class = "db.t3.medium" }
    archive  = { class = "db.t3.medium", retired = true }
  }
}
resource "aws_db_instance" "db" {
  for_each          = { for k, v in var.databases : k => v if !try(v.retired, false) }
  engine            = "postgres"
  instance_class    = each.value.class
  allocated_storage = 20
}
"""
        },
    )
    doc = cli_json("cost", ".", cwd=tmp_path)
    by_address = {r["address"]: r for r in doc["resources"]}
    assert set(by_address) == {
        'aws_db_instance.db["orders"]',
        'aws_db_instance.db["payments"]',
        'aws_db_instance.db["reports"]',
    }
    assert all(r["monthly_cost"] is not None and r["monthly_cost"] > 0 for r in by_address.values())
    assert "count_unknown" not in by_address['aws_db_instance.db["orders"]'] and doc["count_unknown"] == 0


def test_configured_attribute_of_another_resource_is_priced(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
resource "aws_rds_cluster" "default" {
  cluster_identifier = "main"
  engine             = "aurora-postgresql"
}
resource "aws_rds_cluster_instance" "one" {
  cluster_identifier = aws_rds_cluster.default.id
  engine             = aws_rds_cluster.default.engine
  instance_class     = "db.r5.large"
}
"""
        },
    )
    doc = cli_json("cost", ".", cwd=tmp_path)
    (one,) = [r for r in doc["resources"] if r["address"] == "aws_rds_cluster_instance.one"]
    assert one["monthly_cost"] is not None and one["monthly_cost"] > 0
    assert "aurora-postgresql" in one["components"][0]["name"]


UNKNOWN_COUNT = """
variable "create" {
  type = bool
}
resource "aws_instance" "gated" {
  count         = var.create ? 1 : 0
  ami           = "ami-1"
  instance_type = "t2.micro"
}
module "workers" {
  source = "./workers"
  count  = var.create ? 2 : 0
}
"""
WORKER = 'resource "aws_instance" "w" {\n  ami           = "ami-1"\n  instance_type = "t2.micro"\n}\n'


def test_unknown_count_is_analysed_once_and_marked(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": UNKNOWN_COUNT})
    (tmp_path / "workers").mkdir()
    write(tmp_path / "workers", {"main.tf": WORKER})
    doc = cli_json("cost", ".", cwd=tmp_path)
    by_address = {r["address"]: r for r in doc["resources"]}
    assert set(by_address) == {"aws_instance.gated", "module.workers.aws_instance.w"}
    for r in by_address.values():
        assert r["count_unknown"] is True
        assert r["monthly_cost"] is not None and r["monthly_cost"] > 0  # one instance's cost
    assert doc["count_unknown"] == 2

    text = run_cli("cost", ".", cwd=tmp_path, env={"ADVISOR_NO_CACHE": "1", "COLUMNS": "200"}).stdout
    assert "2 resources with an unknown count are counted once" in text

    lint = cli_json("lint", ".", cwd=tmp_path)
    assert lint["summary"]["count_unknown"] == 2
    lint_text = run_cli("lint", ".", cwd=tmp_path, env={"ADVISOR_NO_CACHE": "1", "COLUMNS": "200"}).stdout
    assert "2 resources with an unknown count counted once" in lint_text
    gated = [
        f for f in lint["findings"] if f["resource"] == "aws_instance.gated" and f["current"] == "t2.micro"
    ]
    assert gated and all(f["rule"].startswith("ec2-") and f["monthly_savings"] > 0 for f in gated)
    # per instance: the figures are the one instance's
    instance_cost = by_address["aws_instance.gated"]["components"][0]["monthly_cost"]
    assert gated[0]["monthly_cost"] == pytest.approx(instance_cost, abs=0.01)


def test_lint_and_cost_count_the_same_resources_with_an_unknown_count(tmp_path: Path) -> None:
    """A gated resource that is not priced (an IAM role) and a gated launch template (priced where it
    is used) are counted by both commands, in text and JSON alike."""
    extra = (
        'resource "aws_iam_role" "r" {\n  count = var.create ? 1 : 0\n  name = "r"\n}\n'
        'resource "aws_launch_template" "t" {\n  count = var.create ? 1 : 0\n  instance_type = "m5.large"\n}\n'
    )
    write(tmp_path, {"main.tf": UNKNOWN_COUNT + extra})
    (tmp_path / "workers").mkdir()
    write(tmp_path / "workers", {"main.tf": WORKER})
    env = {"ADVISOR_NO_CACHE": "1", "COLUMNS": "200"}
    cost, lint = cli_json("cost", ".", cwd=tmp_path), cli_json("lint", ".", cwd=tmp_path)
    assert cost["count_unknown"] == lint["summary"]["count_unknown"] == 4
    assert (
        "4 resources with an unknown count are counted once"
        in run_cli("cost", ".", cwd=tmp_path, env=env).stdout
    )
    assert (
        "4 resources with an unknown count counted once" in run_cli("lint", ".", cwd=tmp_path, env=env).stdout
    )


GROUP = """
resource "aws_launch_configuration" "lc" {
  image_id      = "ami-1"
  instance_type = "m5.large"
}
resource "aws_autoscaling_group" "g" {
  launch_configuration = aws_launch_configuration.lc.name
  max_size             = 4
  %s
}
"""


@pytest.mark.parametrize(
    ("sizes", "instances"),
    [("min_size = 0", 0), ("min_size = 2", 2), ("min_size = 0\n  desired_capacity = 3", 3)],
)
def test_autoscaling_group_counted_the_same_by_cost_and_lint(
    tmp_path: Path, sizes: str, instances: int
) -> None:
    write(tmp_path, {"main.tf": GROUP % sizes})
    cost = cli_json("cost", ".", cwd=tmp_path)
    (group,) = [r for r in cost["resources"] if r["address"] == "aws_autoscaling_group.g"]
    lint = cli_json("lint", ".", cwd=tmp_path)
    on_template = [f for f in lint["findings"] if f["resource"] == "aws_launch_configuration.lc"]
    if instances == 0:
        assert group["monthly_cost"] == 0
        # no saving is claimed on instances that do not run; each one launched would cost less
        # (m5.large $0.096/h → m6a.large $0.0864/h in us-east-1: $70.08 → $63.072 an instance-month)
        assert on_template and all(f["monthly_cost"] is None for f in on_template)
        assert all(f["monthly_savings"] is None for f in on_template)
        units = {f["suggested"]: f["unit_savings"] for f in on_template}
        assert units["m6a.large"] == [{"unit": "instance-month", "before": 70.08, "after": 63.072}]
        assert "runs no instance now" in on_template[0]["message"]
        return
    hours = [c for c in group["components"] if c["unit"] == "hours"]
    assert hours[0]["quantity"] == instances * 730
    # the finding prices what the change touches, the instance hours (m5.large $0.096/h in us-east-1),
    # for the group's instances; the group's cost also has their volumes and monitoring
    assert hours[0]["monthly_cost"] == pytest.approx(instances * 730 * 0.096, abs=0.01)
    assert on_template and all(
        f["monthly_cost"] == pytest.approx(hours[0]["monthly_cost"], abs=0.05) for f in on_template
    )
    others = [c["name"] for c in group["components"] if c["unit"] != "hours"]
    assert any("Storage" in name for name in others)  # the launch configuration's root volume


def test_editing_a_referenced_block_changes_the_referring_one(tmp_path: Path) -> None:
    """The language server reuses a block's resources only when every block it reads is unchanged."""
    from advisor.engine import ModuleJob, Options, analyze_module

    text = """
resource "aws_rds_cluster" "default" {
  cluster_identifier = "main"
  engine             = "aurora-mysql"
}
resource "aws_rds_cluster_instance" "one" {
  cluster_identifier = aws_rds_cluster.default.id
  engine             = aws_rds_cluster.default.engine
  instance_class     = "db.r5.large"
}
"""
    path = str(tmp_path / "main.tf")
    write(tmp_path, {"main.tf": text})
    options = dataclasses.replace(Options(), incremental=True)

    def engine_of(buffer: str) -> Any:
        outcome = analyze_module(ModuleJob(str(tmp_path), options, {path: buffer}))
        (one,) = [r for r in outcome.resources if r.address == "aws_rds_cluster_instance.one"]
        return one.body.attributes["engine"].value

    assert engine_of(text) == "aurora-mysql"
    assert engine_of(text.replace('"aurora-mysql"', '"aurora-postgresql"')) == "aurora-postgresql"
    assert engine_of("# moved\n" + text) == "aurora-mysql"
    assert os.path.exists(path)


def test_null_given_to_a_non_nullable_variable_is_its_default(tmp_path: Path) -> None:
    """Registry modules declare maps `nullable = false` with `{}` and iterate them with `for`."""
    write(
        tmp_path, {"main.tf": 'module "m" {\n  source   = "./m"\n  policies = null\n  names    = null\n}\n'}
    )
    (tmp_path / "m").mkdir()
    child = (
        'variable "policies" {\n  type     = map(string)\n  default  = { a = "arn:a" }\n  nullable = false\n}\n'
        'variable "names" {\n  default = ["x"]\n}\n'
        'resource "aws_iam_role_policy_attachment" "p" {\n'
        "  for_each   = { for k, v in var.policies : k => v }\n  policy_arn = each.value\n}\n"
        'resource "test_thing" "n" {\n  v = var.names\n}\n'
    )
    write(tmp_path / "m", {"main.tf": child})
    result = evaluate_root(str(tmp_path), Settings())
    by_address = {r.address: r for r in result.resources}
    assert by_address['module.m.aws_iam_role_policy_attachment.p["a"]'].attr("policy_arn").value == "arn:a"
    assert not by_address['module.m.aws_iam_role_policy_attachment.p["a"]'].count_unknown
    names = by_address["module.m.test_thing.n"].attr("v")
    assert names.known and names.value is None  # nullable (the default): null stays null


def test_unknown_entries_of_a_for_each_map_stay_unknown(tmp_path: Path) -> None:
    extra = (
        'variable "unset" {}\n'
        'resource "aws_instance" "each" {\n'
        '  for_each      = { a = { t = "m5.large" }, b = { t = var.unset } }\n'
        "  instance_type = each.value.t\n}\n"
    )
    v = evaluated(tmp_path, 'aws_instance.each["b"].instance_type', extra)
    assert not v.known and "unset" in v.reason
    assert value_of(tmp_path, 'aws_instance.each["a"].instance_type', extra) == "m5.large"
    result = evaluate_root(str(tmp_path), Settings())
    by_address = {r.address: r for r in result.resources}
    b = by_address['aws_instance.each["b"]'].attr("instance_type")
    assert b is not None and not b.known  # never null


def test_a_count_that_refers_to_its_own_block_is_unknown(tmp_path: Path) -> None:
    extra = (
        'resource "aws_instance" "a" {\n  count         = length(aws_instance.a[*].ami)\n'
        '  ami           = "ami-1"\n  instance_type = "t3.micro"\n}\n'
    )
    v = evaluated(tmp_path, "aws_instance.a[0].instance_type", extra)
    assert not v.known
    result = evaluate_root(str(tmp_path), Settings())
    assert not any("deeper" in e.message for e in result.errors)
    (a,) = [r for r in result.resources if r.type == "aws_instance"]
    assert a.count_unknown


def test_long_chains_of_references_between_blocks_stop(tmp_path: Path) -> None:
    chain = "".join(
        f'resource "aws_instance" "r{i}" {{\n  instance_type = aws_instance.r{i + 1}.instance_type\n}}\n'
        for i in range(300)
    )
    extra = chain + 'resource "aws_instance" "r300" {\n  instance_type = "m5.large"\n}\n'
    assert value_of(tmp_path, "aws_instance.r290.instance_type", extra) == "m5.large"
    v = evaluated(tmp_path, "aws_instance.r0.instance_type", extra)
    assert not v.known and "nested deeper" in v.reason
    result = evaluate_root(str(tmp_path), Settings())
    errors = [e for e in result.errors if "nested deeper" in e.message]
    assert errors and all(e.incomplete and e.span is not None for e in errors)  # never silent


def test_instances_splatting_another_blocks_instances_stay_fast(tmp_path: Path) -> None:
    """Each instance of one block reads the instances of another: the other block's instances are
    built once per run, not once per reading instance (3000 × 3000 objects otherwise)."""
    text = (
        'resource "aws_ebs_volume" "v" {\n  count             = 3000\n  availability_zone = "us-east-1a"\n'
        "  size              = count.index + 1\n}\n"
        'resource "aws_instance" "i" {\n  count         = 3000\n  ami           = "ami-1"\n'
        '  instance_type = length(aws_ebs_volume.v) > 0 ? "t3.micro" : "t3.nano"\n'
        "  tags          = { first = aws_ebs_volume.v[0].size, n = length(aws_ebs_volume.v) }\n}\n"
    )
    write(tmp_path, {"main.tf": text})
    started = time.monotonic()
    result = evaluate_root(str(tmp_path), Settings())
    elapsed = time.monotonic() - started
    last = next(r for r in result.resources if r.address == "aws_instance.i[2999]")
    assert last.attr("instance_type").value == "t3.micro"
    assert last.attr("tags").value == {"first": 1, "n": 3000}
    assert elapsed < 10, elapsed


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('try(local.sizes["gpu"], "none")', "none"),  # an error: the next argument
        ('try(local.names[7], "none")', "none"),
        ('try(tonumber("x"), 0)', 0),
        # registry modules accept a map or its JSON: decoding a map fails, so the map is used
        (
            "try(jsondecode(local.sizes), local.sizes)",
            {"web": "t3.small", "db": "r5.large", "app": "m5.large"},
        ),
        ("""try(jsondecode("{\\"a\\": [1]}"), {})""", {"a": [1]}),
        ('can(local.sizes["gpu"])', False),
        ("can(local.names[0])", True),
    ],
)
def test_try_and_can_skip_errors(tmp_path: Path, expr: str, expected: Any) -> None:
    assert value_of(tmp_path, expr, LOCALS) == expected


@pytest.mark.parametrize(
    "expr",
    [
        'try(var.unset, "t3.micro")',
        'try(aws_instance.x.id, "")',
        "can(var.unset)",
        'try(var.unset["k"], "d")',
    ],
)
def test_try_and_can_of_what_is_known_only_later_are_unknown(tmp_path: Path, expr: str) -> None:
    v = evaluated(tmp_path, expr, 'variable "unset" {}\nresource "aws_instance" "x" {\n  ami = "a"\n}\n')
    assert not v.known  # Terraform answers unknown too: the fallback is never a guess


# -- nested blocks and module outputs ------------------------------------------------------------------------
TEMPLATE_WITH_DISK = """
resource "aws_launch_template" "lt" {
  instance_type = "m5.large"
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 200
      volume_type = "io1"
      iops        = 5000
    }
  }
  dynamic "tag_specifications" {
    for_each = var.kinds
    content {
      resource_type = tag_specifications.value
    }
  }
}
variable "kinds" {
  type = list(string)
}
"""


def test_a_nested_block_of_another_resource_is_read_from_its_configuration(tmp_path: Path) -> None:
    disk = "aws_launch_template.lt.block_device_mappings[0].ebs[0]"
    assert value_of(tmp_path, f"{disk}.volume_size", TEMPLATE_WITH_DISK) == 200
    assert value_of(tmp_path, f"{disk}.volume_type", TEMPLATE_WITH_DISK) == "io1"
    assert value_of(tmp_path, "length(aws_launch_template.lt.block_device_mappings)", TEMPLATE_WITH_DISK) == 1
    # what the block does not state is the provider's; a dynamic block's list is not known here
    missing = evaluated(tmp_path, f"{disk}.throughput", TEMPLATE_WITH_DISK)
    assert not missing.known
    dynamic = evaluated(
        tmp_path, "aws_launch_template.lt.tag_specifications[0].resource_type", TEMPLATE_WITH_DISK
    )
    assert not dynamic.known and "dynamic block" in (dynamic.reason or "")


def test_a_volume_sized_from_a_template_disk_is_priced_and_flagged(tmp_path: Path) -> None:
    volume = (
        'resource "aws_ebs_volume" "copy" {\n  availability_zone = "us-east-1a"\n'
        "  size = aws_launch_template.lt.block_device_mappings[0].ebs[0].volume_size\n"
        "  type = aws_launch_template.lt.block_device_mappings[0].ebs[0].volume_type\n"
        "  iops = aws_launch_template.lt.block_device_mappings[0].ebs[0].iops\n}\n"
    )
    write(tmp_path, {"main.tf": TEMPLATE_WITH_DISK + volume, "terraform.tfvars": 'kinds = ["instance"]\n'})
    doc = cli_json("cost", ".", cwd=tmp_path)
    (copy,) = [r for r in doc["resources"] if r["address"] == "aws_ebs_volume.copy"]
    # io1 in us-east-1: $0.125 per GB-month and $0.065 per provisioned IOPS-month
    assert copy["monthly_cost"] == pytest.approx(200 * 0.125 + 5000 * 0.065)


CHILD = """
variable "size" {
  default = "m5.xlarge"
}
resource "aws_eip" "e" {}
output "type" {
  value = var.size
}
output "address" {
  value = aws_eip.e.public_ip
}
output "doubled" {
  value = "${var.size}-${var.size}"
}
"""


def test_a_module_output_is_the_called_module_evaluated_with_the_call_arguments(tmp_path: Path) -> None:
    (tmp_path / "child").mkdir()
    write(tmp_path / "child", {"main.tf": CHILD})
    calls = (
        'module "default" {\n  source = "./child"\n}\n'
        'module "big" {\n  source = "./child"\n  size = "m5.4xlarge"\n}\n'
        'module "many" {\n  source = "./child"\n  count = 2\n  size = "c5.large"\n}\n'
        'module "remote" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n'
    )
    assert value_of(tmp_path, "module.default.type", calls) == "m5.xlarge"
    assert value_of(tmp_path, "module.big.type", calls) == "m5.4xlarge"
    assert value_of(tmp_path, "module.many[1].type", calls) == "c5.large"
    assert value_of(tmp_path, "module.big.doubled", calls) == "m5.4xlarge-m5.4xlarge"
    for unknown, why in [
        ("module.default.address", "after apply"),  # the provider computes it
        ("module.default.nothing", "no such output"),
        ("module.many[5].type", "no instance"),
        ("module.remote.vpc_id", "not analysed"),
        ("module.absent.x", "not declared"),
    ]:
        value = evaluated(tmp_path, unknown, calls)
        assert not value.known and why in (value.reason or ""), (unknown, value.reason)


def test_an_instance_typed_from_a_module_output_is_priced_and_its_fix_edits_the_module(
    tmp_path: Path,
) -> None:
    (tmp_path / "child").mkdir()
    write(tmp_path / "child", {"main.tf": CHILD.replace("m5.xlarge", "t2.micro")})
    write(
        tmp_path,
        {
            "main.tf": 'module "m" {\n  source = "./child"\n}\n'
            'resource "aws_instance" "i" {\n  ami = "ami-1"\n  instance_type = module.m.type\n}\n'
        },
    )
    doc = cli_json("cost", ".", cwd=tmp_path)
    (instance,) = [r for r in doc["resources"] if r["address"] == "aws_instance.i"]
    assert instance["components"][0]["unit_price"] == pytest.approx(0.0116)  # t2.micro, us-east-1
    lint = cli_json("lint", ".", cwd=tmp_path)
    found = [f for f in lint["findings"] if f["resource"] == "aws_instance.i"]
    assert found and found[0]["fix"][0]["path"].endswith(os.path.join("child", "main.tf"))


def test_module_instances_read_for_outputs_are_bounded_and_the_limit_is_an_error(tmp_path: Path) -> None:
    from advisor.iac.terraform import MAX_OUTPUT_SOURCES

    (tmp_path / "child").mkdir()
    write(tmp_path / "child", {"main.tf": CHILD})
    half = MAX_OUTPUT_SOURCES
    write(
        tmp_path,
        {
            "main.tf": f'module "m" {{\n  source = "./child"\n  count = {2 * half}\n}}\n'
            "locals {\n"
            f"  all = concat([for i in range({half}) : module.m[i].type], "
            f"[for i in range({half}) : module.m[i + {half}].type])\n}}\n"
            'resource "test_thing" "t" {\n  v = local.all\n}\n'
        },
    )
    result = evaluate_root(str(tmp_path), Settings())
    limit = [e for e in result.errors if f"more than {MAX_OUTPUT_SOURCES} module instances" in e.message]
    assert limit and limit[0].incomplete and limit[0].span is not None and limit[0].span.line == 0
    (thing,) = [r for r in result.resources if r.address == "test_thing.t"]
    assert not thing.body.attributes["v"].known  # never a list cut short


def test_calls_that_read_each_others_outputs_are_not_a_cycle_unless_an_output_needs_itself(
    tmp_path: Path,
) -> None:
    """Terraform orders outputs by what each needs: `a` reads `b`'s output and `b` reads `a`'s other
    one. Only an argument that needs itself (`c`) is unknown, and nothing is an error."""
    (tmp_path / "child").mkdir()
    child = (
        'variable "size" {}\nvariable "label" {\n  default = "x"\n}\n'
        'output "type" {\n  value = var.size\n}\noutput "name" {\n  value = var.label\n}\n'
    )
    write(tmp_path / "child", {"main.tf": child})
    calls = (
        'module "a" {\n  source = "./child"\n  size = "m5.large"\n  label = module.b.type\n}\n'
        'module "b" {\n  source = "./child"\n  size = module.a.type\n}\n'
        'module "c" {\n  source = "./child"\n  size = module.c.type\n}\n'
    )
    assert value_of(tmp_path, "module.a.name", calls) == "m5.large"
    assert value_of(tmp_path, "module.b.type", calls) == "m5.large"
    looped = evaluated(tmp_path, "module.c.type", calls)
    assert not looped.known and "refers to itself" in (looped.reason or "")
    result = evaluate_root(str(tmp_path), Settings())
    assert not result.errors


def test_a_resource_argument_named_like_a_module_meta_argument_is_kept(tmp_path: Path) -> None:
    """`version` is a meta-argument of module calls only: an EKS cluster's `version` reaches pricing,
    and one past standard support pays extended support ($0.60 per cluster-hour, not $0.10)."""
    cluster_tf = (
        'resource "aws_eks_cluster" "old" {\n  name = "old"\n  role_arn = "arn"\n  version = "1.23"\n'
        "  vpc_config {\n    subnet_ids = []\n  }\n}\n"
    )
    assert value_of(tmp_path, "aws_eks_cluster.old.version", cluster_tf) == "1.23"
    write(tmp_path, {"main.tf": cluster_tf})
    doc = cli_json("cost", ".", cwd=tmp_path)
    (cluster,) = [r for r in doc["resources"] if r["address"] == "aws_eks_cluster.old"]
    assert cluster["monthly_cost"] == pytest.approx(0.60 * 730)


def test_two_roots_calling_one_module_each_keep_their_finding(tmp_path: Path) -> None:
    """`envs/prod` and `envs/dev` call one module with different volumes: each deployment's finding
    stays, names its root, and carries its own figures (io1 at $0.125 per GB-month and $0.065 per
    IOPS-month against gp3 at $0.08 and $0.005 above 3,000 IOPS, us-east-1)."""
    (tmp_path / "modules" / "disk").mkdir(parents=True)
    write(
        tmp_path / "modules" / "disk",
        {
            "main.tf": 'variable "size" {}\nvariable "iops" {}\nresource "aws_ebs_volume" "v" {\n'
            '  availability_zone = "us-east-1a"\n  type = "io1"\n  size = var.size\n  iops = var.iops\n}\n'
        },
    )
    for env, size, iops in (("prod", 500, 10000), ("dev", 100, 1000)):
        (tmp_path / "envs" / env).mkdir(parents=True)
        call = f'module "disk" {{\n  source = "../../modules/disk"\n  size = {size}\n  iops = {iops}\n}}\n'
        write(tmp_path / "envs" / env, {"main.tf": call})
    lint = cli_json("lint", ".", cwd=tmp_path)
    io1 = sorted(
        (f["message"], f["monthly_savings"]) for f in lint["findings"] if f["rule"] == "ebs-io1-to-gp3"
    )
    assert len(io1) == 2
    by_root = {m.rsplit("(as called by root ", 1)[1].rstrip(")"): s for m, s in io1}
    # prod: $62.50 + $650.00 → $40.00 + $35.00; dev: $12.50 + $65.00 → $8.00 (1,000 IOPS are free on gp3)
    assert by_root == {os.path.join("envs", "dev"): 69.5, os.path.join("envs", "prod"): 637.5}
    assert lint["summary"]["monthly_savings"] == pytest.approx(69.5 + 637.5)
    # what is about the file itself (a syntax error) is said once, whoever reaches it
    write(tmp_path / "modules" / "disk", {"broken.tf": "locals {\n  x = \n}\n"})
    broken = cli_json("lint", ".", cwd=tmp_path)
    assert len([f for f in broken["findings"] if f["rule"] == "parse-error"]) == 1


@pytest.mark.parametrize(
    ("expr", "expected"),
    [('"${local.n}"', 3), ('"${local.l}"', ["a"]), ('"${var.itype}"', "t2.micro"), ('"x${local.n}"', "x3")],
)
def test_a_lone_interpolation_is_the_value_itself(tmp_path: Path, expr: str, expected: Any) -> None:
    """`"${x}"` is x, of its own type (Terraform 0.11 style), and a fix still edits where x is set."""
    extra = 'locals {\n  n = 3\n  l = ["a"]\n}\nvariable "itype" {\n  default = "t2.micro"\n}\n'
    v = evaluated(tmp_path, expr, extra)
    assert v.value == expected
    if expr == '"${var.itype}"':
        assert (
            v.origin is not None and v.origin.path.endswith("main.tf") and v.origin.line == 8
        )  # 0-based: the default


def test_a_fix_reaches_a_tfvars_value_passed_through_interpolations(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": 'variable "itype" {}\nmodule "m" {\n  source = "./mod"\n  itype  = "${var.itype}"\n}\n',
            "terraform.tfvars": 'itype = "t2.micro"\n',
        },
    )
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "main.tf").write_text(
        'variable "itype" {}\nresource "aws_instance" "a" {\n  ami           = "ami-1"\n'
        '  instance_type = "${var.itype}"\n}\n',
        encoding="utf-8",
    )
    out = json.loads(run_cli("lint", str(tmp_path), "--format", "json").stdout)
    (finding,) = [f for f in out["findings"] if f["current"] == "t2.micro"]
    edited = {(os.path.basename(e["path"]), e["line"]) for e in finding["fix"]}
    assert edited == {("terraform.tfvars", 1)}, finding["fix"]


ROOT_DEVICE_MODULE = """
variable "instance_type" {
  default = "t3.micro"
}
variable "root_block_device" {
  type = object({
    size = optional(number)
    type = optional(string)
    iops = optional(number)
    tags = optional(map(string), {})
  })
  default = null
}
resource "aws_instance" "this" {
  ami           = "ami-1"
  instance_type = var.instance_type
  dynamic "root_block_device" {
    for_each = var.root_block_device != null ? [var.root_block_device] : []
    content {
      volume_size = root_block_device.value.size
      volume_type = root_block_device.value.type
      iops        = root_block_device.value.iops
      tags        = root_block_device.value.tags
    }
  }
}
"""


def test_optional_object_attributes_left_out_are_null_or_their_default(tmp_path: Path) -> None:
    """As Terraform converts a module argument to the variable's type: `iops` left out is null (so the
    volume is priced), `tags` takes its stated default, and a dynamic block's values keep where they
    are written, so the fix edits the caller."""
    (tmp_path / "mod").mkdir()
    write(tmp_path / "mod", {"main.tf": ROOT_DEVICE_MODULE})
    write(
        tmp_path,
        {
            "main.tf": 'module "a" {\n  source = "./mod"\n  root_block_device = { size = 50, type = "gp2" }\n}\n'
        },
    )
    result = evaluate_root(str(tmp_path), Settings())
    (instance,) = [r for r in result.resources if r.type == "aws_instance"]
    (device,) = instance.body.blocks
    assert device.attributes["iops"].known and device.attributes["iops"].value is None
    assert device.attributes["tags"].value == {}
    lint = cli_json("lint", ".", cwd=tmp_path)
    (gp2,) = [f for f in lint["findings"] if f["rule"] == "ebs-gp2-to-gp3"]
    # 50 GB: gp2 $0.10 → gp3 $0.08 per GB-month in us-east-1
    assert (gp2["monthly_cost"], gp2["monthly_cost_after"]) == (5.0, 4.0)
    assert [(os.path.basename(e["path"]), e["line"]) for e in gp2["fix"]] == [("main.tf", 3)]


def test_one_place_set_differently_by_each_call_gets_a_finding_per_value(tmp_path: Path) -> None:
    """A module's `instance_type = var.instance_type` holds what each call passes: each value has its
    finding, and a value passed by two calls is one finding whose fix edits both calls."""
    (tmp_path / "mod").mkdir()
    write(tmp_path / "mod", {"main.tf": ROOT_DEVICE_MODULE})
    calls = "".join(
        f'module "{name}" {{\n  source = "./mod"\n  instance_type = "{itype}"\n}}\n'
        for name, itype in [("a", "m4.large"), ("b", "t2.micro"), ("c", "m4.large")]
    )
    write(tmp_path, {"main.tf": calls})
    lint = cli_json("lint", ".", cwd=tmp_path)
    by_value = {f["current"]: f for f in lint["findings"] if f["attribute"] == "instance_type"}
    assert set(by_value) == {"m4.large", "t2.micro"}
    m4 = by_value["m4.large"]
    assert sorted((os.path.basename(e["path"]), e["line"]) for e in m4["fix"]) == [
        ("main.tf", 3),
        ("main.tf", 11),
    ]
    # two m4.large instances at $0.10/h: $146.00 a month before the change
    assert m4["monthly_cost"] == 146.0
    assert [(os.path.basename(e["path"]), e["line"]) for e in by_value["t2.micro"]["fix"]] == [("main.tf", 7)]


def test_a_fix_that_drops_an_attribute_set_by_the_caller_nulls_it_there(tmp_path: Path) -> None:
    """io1 → gp3 on a Multi-AZ DB cluster whose 2,500 IOPS gp3 includes: `iops = var.iops` in the
    module stays (other callers share it); the call's `iops = 2500` becomes null. us-east-1 Multi-AZ DB
    cluster: io1 $0.375/GB-month + $0.30/IOPS-month, gp3 $0.345/GB-month: 256 GB → $96.00 + $750.00
    = $846.00 before, $88.32 after."""
    (tmp_path / "mod").mkdir()
    write(
        tmp_path / "mod",
        {
            "main.tf": 'variable "iops" {}\nvariable "storage_type" {}\n'
            'resource "aws_rds_cluster" "this" {\n  engine = "postgres"\n'
            '  db_cluster_instance_class = "db.m6gd.large"\n  allocated_storage = 256\n'
            "  storage_type = var.storage_type\n  iops = var.iops\n}\n"
        },
    )
    write(
        tmp_path,
        {"main.tf": 'module "db" {\n  source = "./mod"\n  storage_type = "io1"\n  iops = 2500\n}\n'},
    )
    lint = cli_json("lint", ".", cwd=tmp_path)
    (f,) = [f for f in lint["findings"] if f["rule"] == "rds-io1-to-gp3"]
    assert (f["monthly_cost"], f["monthly_cost_after"]) == (846.0, 88.32)
    edits = sorted(
        (os.path.basename(os.path.dirname(e["path"])) or ".", e["line"], e["new_text"]) for e in f["fix"]
    )
    assert [(line, text) for _, line, text in edits] == [(3, '"gp3"'), (4, "null")]
    assert all(not e["path"].endswith(os.path.join("mod", "main.tf")) for e in f["fix"])


def test_two_roots_passing_different_types_to_one_module_name_their_root(tmp_path: Path) -> None:
    """One place, two values (prod passes m4.large, dev t2.micro): two findings, each naming its root."""
    (tmp_path / "modules" / "web").mkdir(parents=True)
    write(
        tmp_path / "modules" / "web",
        {
            "main.tf": 'variable "itype" {}\nresource "aws_instance" "w" {\n  ami = "ami-1"\n'
            "  instance_type = var.itype\n}\n"
        },
    )
    for env, itype in (("prod", "m4.large"), ("dev", "t2.micro")):
        (tmp_path / "envs" / env).mkdir(parents=True)
        call = f'module "web" {{\n  source = "../../modules/web"\n  itype = "{itype}"\n}}\n'
        write(tmp_path / "envs" / env, {"main.tf": call})
    lint = cli_json("lint", ".", cwd=tmp_path)
    at_module = [f for f in lint["findings"] if f["path"].endswith(os.path.join("web", "main.tf"))]
    roots = {f["current"]: f["message"].rsplit("(as called by root ", 1)[-1].rstrip(")") for f in at_module}
    assert roots == {"m4.large": os.path.join("envs", "prod"), "t2.micro": os.path.join("envs", "dev")}
