"""Rule kinds through their one seam (rule row, resources, context → findings), the table's named
target sets, the messages written from structured fields, and the two rules made of table rows only:
`rds-multi-az-non-production` (set_attribute) and `nat-gateway-without-s3-endpoint`
(missing_companion)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from advisor.config import Config, parse_config
from advisor.engine import Analysis, Options, analyze_paths
from advisor.model import Finding, Span
from advisor.rules.context import RuleContext
from advisor.rules.findings import Draft, message
from advisor.rules.kinds import KINDS
from advisor.rules.table import load_rules, parse_rules
from conftest import run_cli

PROVIDER = 'provider "aws" {\n  region = "us-east-1"\n}\n'
ENGINE_REPORTED = {"parse_error", "unused_ignore"}  # kinds the analysis reports itself


def lint(tmp: Path, files: dict[str, str], config: str = "") -> Analysis:
    for name, text in files.items():
        p = tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    cfg = parse_config(str(tmp / ".advisor.toml"), config, {r.id for r in load_rules()})
    return analyze_paths([str(tmp)], Options(config=cfg, jobs=1))


def of_rule(a: Analysis, rule: str) -> list[Finding]:
    return [f for f in a.findings if f.rule == rule]


def apply_fix(f: Finding) -> None:
    for e in sorted(f.fix, key=lambda e: e.span.start, reverse=True):
        path = Path(e.span.path)
        text = path.read_text(encoding="utf-8")
        path.write_text(text[: e.span.start] + e.new_text + text[e.span.end :], encoding="utf-8")


def run_kind(row: str, a: Analysis, config: Config | None = None) -> list[Draft]:
    """The kind of a one-row table, run on an analysis's resources as the engine runs it."""
    (rule,) = parse_rules(row)
    ctx = RuleContext(config=config or Config(), texts={}, costs={c.address: c for c in a.costs})
    kind = KINDS[rule.kind]
    if kind.scope == "module":
        return kind.check(rule, a.resources, ctx)
    return [d for part in rule.parts for r in a.resources for d in kind.check(part, (r,), ctx)]


# -- the table ------------------------------------------------------------------------------------------
def test_every_kind_in_the_table_is_registered():
    unknown = {r.kind for r in load_rules()} - set(KINDS) - ENGINE_REPORTED
    assert not unknown, f"rows name kinds no module registers: {unknown}"


def test_named_target_sets_expand_in_place_and_in_order():
    (rule,) = parse_rules(
        '[targets]\nvolumes = ["aws_ebs_volume:type", "aws_instance:root_block_device.volume_type"]\n'
        '[[rule]]\nid = "x"\nkind = "volume_type"\nseverity = "info"\ntitle = "t"\nrationale = "r"\n'
        'safe = true\ntargets = ["aws_launch_template:instance_type", "@volumes", "aws_eks_node_group:instance_types[]"]\n'
    )
    assert rule.targets == (
        ("aws_launch_template", ("instance_type",), False),
        ("aws_ebs_volume", ("type",), False),
        ("aws_instance", ("root_block_device", "volume_type"), False),
        ("aws_eks_node_group", ("instance_types",), True),
    )
    assert [p.targets for p in rule.parts] == [(t,) for t in rule.targets]


def test_an_unknown_target_set_names_the_rule():
    row = '[[rule]]\nid = "x"\nkind = "k"\nseverity = "info"\ntitle = "t"\nrationale = "r"\nsafe = true\ntargets = ["@nope"]\n'
    with pytest.raises(ValueError, match=r"rule x: no target set '@nope'"):
        parse_rules(row)


def test_the_shipped_table_writes_the_ebs_paths_once():
    text = (Path(__file__).resolve().parent.parent / "rules" / "tables" / "rules.toml").read_text()
    assert text.count('"aws_instance:root_block_device.volume_type"') == 1
    assert text.count('"aws_db_instance:instance_class"') == 1


# -- messages from fields -------------------------------------------------------------------------------
def _draft(**fields: object) -> Draft:
    f = Finding("r", "info", "", Span("m.tf", 0, 0, 0, 1), monthly_cost=100.0, monthly_cost_after=80.0)
    return Draft(f, "gp2 → gp3", before=100.0, after=80.0, **fields)  # type: ignore[arg-type]


def test_message_forms_plain_scaled_and_merged():
    note = " (value from default of variable 'type')"
    assert message(_draft(note=note, origin=True, remark=" — r")) == (
        f"gp2 → gp3: $100.00 → $80.00/mo, saves $20.00 (−20%){note} — r"
    )
    scaled = _draft(note=note, origin=True, remark=" — r", scale=(3, ["aws_autoscaling_group.a"]))
    scaled.finding.monthly_cost, scaled.finding.monthly_cost_after = 300.0, 240.0
    assert message(scaled) == (
        "gp2 → gp3: $300.00 → $240.00/mo, saves $60.00 (−20%) for 3 instances of "
        f"aws_autoscaling_group.a{note} — r"
    )
    # a note that is not where the value comes from is not kept by the scaled form
    unset = _draft(note=" (type is not set and defaults to gp2)", scale=(2, ["g"]))
    assert message(unset).endswith("for 2 instances of g")
    merged = _draft(note=note, origin=True, merged=4)
    assert message(merged) == "gp2 → gp3: $100.00 → $80.00/mo, saves $20.00 (−20%) for 4 instances"
    assert message(_draft(whole=True)) == "gp2 → gp3"
    assert message(_draft(figure="no figure", lead="lead ")) == "gp2 → gp3: lead no figure"


# -- set_attribute: rds-multi-az-non-production -------------------------------------------------------------
DB = """resource "aws_db_instance" "db" {
  engine            = "postgres"
  instance_class    = "db.m6g.large"
  allocated_storage = 100
  storage_type      = "gp3"
  multi_az          = MULTI_AZ
  tags              = TAGS
}
"""


def db(multi_az: str = "true", tags: str = '{ environment = "dev" }') -> str:
    return PROVIDER + DB.replace("MULTI_AZ", multi_az).replace("TAGS", tags)


def test_multi_az_in_dev_is_priced_both_ways_and_fixed(tmp_path: Path):
    a = lint(tmp_path, {"main.tf": db()})
    (f,) = of_rule(a, "rds-multi-az-non-production")
    assert f.severity == "warning" and not f.fix_safe
    assert (f.current, f.suggested, f.attribute) == (True, False, "multi_az")
    # the saving is the difference of the two configurations as `advisor cost` prices them
    multi = next(c.monthly_cost for c in a.costs if c.address == "aws_db_instance.db")
    single_dir = tmp_path / "single"
    single = lint(single_dir, {"main.tf": db("false")})
    single_cost = next(c.monthly_cost for c in single.costs if c.address == "aws_db_instance.db")
    assert f.monthly_savings == pytest.approx(multi - single_cost, abs=0.01)
    assert f.monthly_savings > 0
    assert f.message.startswith(
        "multi_az = true → false in a non-production environment (tag environment = 'dev'): "
    )
    assert f"saves ${f.monthly_savings:,.2f}" in f.message
    assert not of_rule(single, "rds-multi-az-non-production")
    apply_fix(f)
    assert "multi_az          = false" in (tmp_path / "main.tf").read_text()
    assert not of_rule(lint(tmp_path, {}), "rds-multi-az-non-production")


@pytest.mark.parametrize(
    ("tags", "fires"),
    [
        ('{ environment = "prod" }', False),
        ("{}", False),  # the environment is unknown: never guessed
        ('{ Stage = "staging" }', True),
    ],
)
def test_multi_az_only_where_the_environment_is_non_production(tmp_path: Path, tags: str, fires: bool):
    a = lint(tmp_path, {"main.tf": db(tags=tags)})
    assert bool(of_rule(a, "rds-multi-az-non-production")) is fires


def test_multi_az_unknown_or_unset_is_not_flagged(tmp_path: Path):
    text = 'variable "ha" {\n  type = bool\n}\n' + db("var.ha")
    assert not of_rule(lint(tmp_path, {"main.tf": text}), "rds-multi-az-non-production")
    unset = db().replace("  multi_az          = true\n", "")
    assert not of_rule(lint(tmp_path, {"main.tf": unset}), "rds-multi-az-non-production")


def test_multi_az_from_a_variable_is_fixed_where_it_is_set(tmp_path: Path):
    text = 'variable "ha" {\n  default = true\n}\n' + db("var.ha")
    (f,) = of_rule(lint(tmp_path, {"main.tf": text}), "rds-multi-az-non-production")
    assert "(value from" in f.message
    apply_fix(f)
    assert 'variable "ha" {\n  default = false\n}' in (tmp_path / "main.tf").read_text()


def test_set_attribute_when_region_and_attributes(tmp_path: Path):
    a = lint(tmp_path, {"main.tf": db(tags="{}")})
    row = """[[rule]]
id = "x"
kind = "set_attribute"
severity = "info"
title = "t"
rationale = "r"
from = [true]
to = false
message = "{attribute} = {current} → {suggested}"
safe = false
targets = ["aws_db_instance:multi_az"]
"""
    assert len(run_kind(row + 'when = { regions = ["us-east-1"] }\n', a)) == 1
    assert run_kind(row + 'when = { regions = ["eu-west-1"] }\n', a) == []
    assert len(run_kind(row + 'when = { attributes = { engine = ["POSTGRES"] } }\n', a)) == 1
    assert run_kind(row + 'when = { attributes = { engine = ["mysql"] } }\n', a) == []


# -- missing_companion: nat-gateway-without-s3-endpoint ---------------------------------------------------
VPC = """resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.0.0/24"
}
resource "aws_nat_gateway" "gw" {
  COUNT
  allocation_id = "eipalloc-1"
  subnet_id     = aws_subnet.public.id
}
"""


def nat(endpoint: str = "", count: str = "") -> str:
    return PROVIDER + VPC.replace("COUNT", count) + endpoint


def endpoint(extra: str = "", vpc: str = "aws_vpc.main.id", service: str = "s3") -> str:
    return (
        f'resource "aws_vpc_endpoint" "e" {{\n  vpc_id = {vpc}\n'
        f'  service_name = "com.amazonaws.us-east-1.{service}"\n{extra}}}\n'
    )


def test_nat_without_s3_endpoint_states_no_saving(tmp_path: Path):
    text = nat()
    (f,) = of_rule(lint(tmp_path, {"main.tf": text}), "nat-gateway-without-s3-endpoint")
    assert f.severity == "info" and f.fix == [] and not f.fix_safe
    assert f.monthly_cost is None and f.monthly_cost_after is None and f.monthly_savings is None
    assert "$" not in f.message and "billed per GB processed" in f.message
    assert f.span.line == text.splitlines().index('resource "aws_nat_gateway" "gw" {')


def test_nat_with_usage_states_the_per_gb_prices_of_the_catalog(tmp_path: Path):
    from advisor.pricing.catalog import Catalog

    per_gb = Catalog.default().price("nat.data", "us-east-1").value
    cfg = '[usage]\n"aws_nat_gateway.gw" = { monthly_data_processed_gb = 1000 }\n'
    (f,) = of_rule(lint(tmp_path, {"main.tf": nat()}, cfg), "nat-gateway-without-s3-endpoint")
    assert f"${per_gb:.3f}".rstrip("0") + "/GB processed" in f.message
    assert "through a gateway endpoint $0.00/GB" in f.message
    assert f.monthly_savings is None  # the share of S3 traffic is not known: no monthly figure


@pytest.mark.parametrize(
    ("extra", "fires"),
    [
        (endpoint(), False),  # a gateway endpoint (the default type) in the same VPC
        (endpoint('  vpc_endpoint_type = "Gateway"\n'), False),
        (endpoint('  vpc_endpoint_type = "Interface"\n'), True),  # billed per GB itself
        (endpoint(service="dynamodb"), True),
        (
            endpoint(vpc="aws_vpc.other.id")
            + 'resource "aws_vpc" "other" {\n  cidr_block = "10.1.0.0/16"\n}\n',
            True,
        ),
        (endpoint(vpc='"vpc-123"'), False),  # its VPC is not known here: it may be this one
    ],
)
def test_nat_companion_must_be_an_s3_gateway_endpoint_of_its_vpc(tmp_path: Path, extra: str, fires: bool):
    a = lint(tmp_path, {"main.tf": nat(extra)})
    assert bool(of_rule(a, "nat-gateway-without-s3-endpoint")) is fires


def test_nat_whose_vpc_is_not_in_the_configuration_is_not_flagged(tmp_path: Path):
    text = (
        PROVIDER + 'resource "aws_nat_gateway" "gw" {\n  allocation_id = "a"\n  subnet_id = "subnet-1"\n}\n'
    )
    assert not of_rule(lint(tmp_path, {"main.tf": text}), "nat-gateway-without-s3-endpoint")


def test_counted_nat_gateways_give_one_finding(tmp_path: Path):
    (f,) = of_rule(lint(tmp_path, {"main.tf": nat(count="count = 3")}), "nat-gateway-without-s3-endpoint")
    assert f.resource == "aws_nat_gateway.gw"


def test_missing_companion_attribute_form(tmp_path: Path):
    text = PROVIDER + 'resource "aws_cloudwatch_log_group" "g" {\n  name = "x"\n}\n'
    a = lint(tmp_path, {"main.tf": text})
    row = """[[rule]]
id = "x"
kind = "missing_companion"
severity = "info"
title = "t"
rationale = "r"
attribute = "kms_key_id"
message = "no key"
figure = "not encrypted with a key of yours"
safe = false
targets = ["aws_cloudwatch_log_group:name"]
"""
    (d,) = run_kind(row, a)
    assert message(d) == "no key: not encrypted with a key of yours"
    assert run_kind(row.replace('"kms_key_id"', '"name"'), a) == []


def test_new_rules_in_the_json_report(tmp_path: Path):
    (tmp_path / "main.tf").write_text(
        nat() + DB.replace("MULTI_AZ", "true").replace("TAGS", '{ env = "test" }')
    )
    r = run_cli("lint", str(tmp_path), "--format", "json", "--fail-on", "never", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rules = {f["rule"]: f for f in json.loads(r.stdout)["findings"]}
    assert rules["nat-gateway-without-s3-endpoint"]["monthly_savings"] is None
    assert rules["rds-multi-az-non-production"]["monthly_savings"] > 0
    assert rules["rds-multi-az-non-production"]["fix"][0]["new_text"] == "false"


def test_the_rules_command_lists_the_new_rules():
    listed = {x["id"] for x in json.loads(run_cli("rules", "--format", "json").stdout)}
    assert {"rds-multi-az-non-production", "nat-gateway-without-s3-endpoint"} <= listed
