"""Each rule: fires, stays quiet at its boundaries, fixes round-trip, ignores and config apply."""

from __future__ import annotations

from pathlib import Path

import pytest
from advisor.config import parse_config
from advisor.engine import Analysis, Options, analyze_paths
from advisor.model import Finding
from advisor.rules.engine import known_rule_ids

PROVIDER = 'provider "aws" {\n  region = "us-east-1"\n}\n'


def lint(tmp: Path, files: dict[str, str], config: str = "", **opts) -> Analysis:
    for name, text in files.items():
        p = tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    cfg = parse_config(str(tmp / ".advisor.toml"), config, known_rule_ids())
    return analyze_paths([str(tmp)], Options(config=cfg, jobs=1, **opts))


def rules_of(a: Analysis) -> list[str]:
    """The rules that fired: each finding's, or each of its alternatives' (suggestions for one value)."""
    return [alt.rule for f in a.findings for alt in f.alternatives or [f]]


def only(a: Analysis, rule: str) -> Finding:
    """The one finding of `rule`, or the one alternative of that rule, with its own figures and fix."""
    found = [alt for f in a.findings for alt in f.alternatives or [f] if alt.rule == rule]
    assert len(found) == 1, [(f.rule, f.message) for f in a.findings]
    return found[0]


def apply_fix(f: Finding) -> None:
    by_path: dict[str, list] = {}
    for e in f.fix:
        by_path.setdefault(e.span.path, []).append(e)
    for path, edits in by_path.items():
        text = Path(path).read_text(encoding="utf-8")
        for e in sorted(edits, key=lambda e: e.span.start, reverse=True):
            assert e.span.start >= 0
            text = text[: e.span.start] + e.new_text + text[e.span.end :]
        Path(path).write_text(text, encoding="utf-8")


def volume(vtype: str, size: int, iops: int | None = None, extra: str = "") -> str:
    lines = [
        'resource "aws_ebs_volume" "v" {',
        '  availability_zone = "us-east-1a"',
        f'  type = "{vtype}"',
        f"  size = {size}",
    ]
    if iops is not None:
        lines.append(f"  iops = {iops}")
    if extra:
        lines.append(extra)
    return PROVIDER + "\n".join(lines) + "\n}\n"


# -- EBS ----------------------------------------------------------------------------------------------
def test_io1_to_gp3_figures_and_fix(tmp_path: Path):
    a = lint(tmp_path, {"main.tf": volume("io1", 500, 10000)})
    f = only(a, "ebs-io1-to-gp3")
    assert (f.monthly_cost, f.monthly_cost_after, f.monthly_savings) == (712.5, 75.0, 637.5)
    assert "$712.50 → $75.00/mo, saves $637.50 (−89%)" in f.message
    apply_fix(f)
    text = (tmp_path / "main.tf").read_text()
    assert 'type = "gp3"' in text and "iops = 10000" in text
    assert "ebs-io1-to-gp3" not in rules_of(lint(tmp_path, {}))


@pytest.mark.parametrize(
    ("size", "iops", "rule"),
    [
        (500, 16000, "ebs-io1-to-gp3"),  # exactly gp3's maximum
        (500, 16001, "ebs-io1-to-io2"),
        (20, 10000, "ebs-io1-to-gp3"),  # exactly 500 IOPS per GiB
        (20, 10001, "ebs-io1-to-io2"),
    ],
)
def test_io1_boundaries(tmp_path: Path, size: int, iops: int, rule: str):
    a = lint(tmp_path, {"main.tf": volume("io1", size, iops)})
    assert rules_of(a) == [rule]


def test_io1_with_unknown_iops_is_not_guessed(tmp_path: Path):
    text = volume("io1", 100).replace("  size = 100", "  size = 100\n  iops = var.iops")
    a = lint(tmp_path, {"main.tf": 'variable "iops" {}\n' + text})
    # said per unit, with gp3's IOPS limit stated as not checked, and a fix to review
    f = only(a, "ebs-io1-to-gp3")
    assert f.monthly_cost is None and f.monthly_savings is None and f.unit_savings
    assert "16,000 IOPS" in f.message and "not checked: iops unknown" in f.message and not f.fix_safe


def test_io2_low_iops_moves_to_gp3(tmp_path: Path):
    a = lint(tmp_path, {"main.tf": volume("io2", 100, 1000)})
    f = only(a, "ebs-io1-to-gp3")
    assert f.current == "io2" and f.monthly_cost_after is not None and f.monthly_cost_after < f.monthly_cost
    apply_fix(f)
    assert "iops = 3000" in (tmp_path / "main.tf").read_text()  # gp3's minimum


@pytest.mark.parametrize(("size", "iops_added"), [(1000, None), (1001, 3003), (1024, 3072)])
def test_gp2_keeps_baseline_iops_over_1000_gib(tmp_path: Path, size: int, iops_added: int | None):
    a = lint(tmp_path, {"main.tf": volume("gp2", size)})
    f = only(a, "ebs-gp2-to-gp3")
    apply_fix(f)
    text = (tmp_path / "main.tf").read_text()
    if iops_added is None:
        assert "iops" not in text
    else:
        assert f"  iops = {iops_added}\n}}" in text
    after = lint(tmp_path, {})
    assert not after.findings and not after.errors


def test_gp2_default_type_gets_inserted(tmp_path: Path):
    text = (
        PROVIDER
        + 'resource "aws_ebs_volume" "v" {\n    availability_zone = "us-east-1a"\n    size = 100\n}\n'
    )
    f = only(lint(tmp_path, {"main.tf": text}), "ebs-gp2-to-gp3")
    assert "defaults to gp2" in f.message
    apply_fix(f)
    assert '    size = 100\n    type = "gp3"\n}' in (tmp_path / "main.tf").read_text()


def test_gp3_ami_names_comments_and_descriptions_never_fire(tmp_path: Path):
    text = PROVIDER + (
        'resource "aws_instance" "i" {\n'
        '  ami           = "amzn2-ami-hvm-2.0-x86_64-gp2"\n'
        '  instance_type = "t3.micro" # was gp2 and io1 once\n'
        '  tags          = { description = "gp2 io1 standard m3.medium" }\n'
        '  root_block_device {\n    volume_type = "gp3"\n  }\n}\n'
        '# resource "aws_ebs_volume" "old" { type = "gp2" }\n'
    )
    a = lint(tmp_path, {"main.tf": text})
    assert not [r for r in rules_of(a) if r.startswith("ebs-")]


def test_nested_block_devices(tmp_path: Path):
    text = PROVIDER + (
        'resource "aws_instance" "i" {\n  instance_type = "t3.micro"\n'
        '  root_block_device {\n    volume_type = "gp2"\n    volume_size = 30\n  }\n'
        '  ebs_block_device {\n    device_name = "/dev/sdb"\n    volume_type = "io1"\n    volume_size = 100\n    iops = 4000\n  }\n'
        '  ebs_block_device {\n    device_name = "/dev/sdc"\n    volume_type = "standard"\n    volume_size = 10\n  }\n}\n'
        'resource "aws_launch_template" "lt" {\n  block_device_mappings {\n    ebs {\n      volume_type = "gp2"\n'
        "      volume_size = 20\n    }\n  }\n}\n"
    )
    a = lint(tmp_path, {"main.tf": text})
    got = sorted((f.rule, f.attribute) for f in a.findings if f.rule.startswith("ebs-"))
    assert got == [
        ("ebs-gp2-to-gp3", "block_device_mappings.ebs.volume_type"),
        ("ebs-gp2-to-gp3", "root_block_device.volume_type"),
        ("ebs-io1-to-gp3", "ebs_block_device.volume_type"),
        ("ebs-standard-to-gp3", "ebs_block_device.volume_type"),
    ]
    root = next(f for f in a.findings if f.attribute == "root_block_device.volume_type")
    # only the disk is compared, not the instance hours around it
    assert (root.monthly_cost, root.monthly_cost_after) == (3.0, 2.4)


def test_fix_edits_variable_default_and_tfvars(tmp_path: Path):
    files = {
        "variables.tf": 'variable "vt" {\n  default = "gp2"\n}\nvariable "it" {\n  default = "m3.large"\n}\n',
        "main.tf": PROVIDER + 'resource "aws_ebs_volume" "v" {\n  type = var.vt\n  size = 10\n}\n'
        'resource "aws_instance" "i" {\n  instance_type = var.it\n}\n',
        "terraform.tfvars": 'it = "m3.xlarge"\n',
    }
    a = lint(tmp_path, files)
    gp2 = only(a, "ebs-gp2-to-gp3")
    assert gp2.fix[0].span.path.endswith("variables.tf") and "default of variable 'vt'" in gp2.message
    prev = only(a, "ec2-previous-generation")
    assert prev.current == "m3.xlarge" and prev.fix[0].span.path.endswith("terraform.tfvars")
    apply_fix(gp2)
    apply_fix(prev)
    assert 'default = "gp3"' in (tmp_path / "variables.tf").read_text()
    assert (tmp_path / "terraform.tfvars").read_text() == f'it = "{prev.suggested}"\n'
    assert not {"ebs-gp2-to-gp3", "ec2-previous-generation"} & set(rules_of(lint(tmp_path, {})))


# -- instance families ----------------------------------------------------------------------------------
def test_previous_generation_suggests_cheaper_current(tmp_path: Path):
    a = lint(
        tmp_path, {"main.tf": PROVIDER + 'resource "aws_instance" "i" {\n  instance_type = "m3.large"\n}\n'}
    )
    f = only(a, "ec2-previous-generation")
    # m3.large is 2 vCPU / 7.5 GiB x86_64: the cheapest current type with at least that is m5a.large
    assert f.suggested == "m5a.large" and f.monthly_cost_after < f.monthly_cost


def test_current_generation_is_not_previous(tmp_path: Path):
    a = lint(
        tmp_path, {"main.tf": PROVIDER + 'resource "aws_instance" "i" {\n  instance_type = "m6i.large"\n}\n'}
    )
    assert "ec2-previous-generation" not in rules_of(a)


def test_a_previous_generation_with_no_cheaper_successor_is_a_hint_without_saving(tmp_path: Path):
    # m1.small (1 vCPU, 1.7 GiB, $0.044/h) has no cheaper fixed-performance successor: the least dear
    # current type with as much is c7a.medium (1 vCPU, 2 GiB, $0.05131/h): $32.12 → $37.46/mo
    a = lint(
        tmp_path, {"main.tf": PROVIDER + 'resource "aws_instance" "i" {\n  instance_type = "m1.small"\n}\n'}
    )
    f = only(a, "ec2-previous-generation")
    assert f.severity == "hint" and not f.fix_safe and f.suggested == "c7a.medium"
    assert (f.monthly_cost, f.monthly_cost_after) == (32.12, 37.46)
    assert "previous generation" in f.message and "saves" not in f.message
    assert a.monthly_savings == 0


def test_graviton_is_unsafe_and_info(tmp_path: Path):
    a = lint(
        tmp_path, {"main.tf": PROVIDER + 'resource "aws_instance" "i" {\n  instance_type = "c5.xlarge"\n}\n'}
    )
    f = only(a, "ec2-graviton")
    assert f.severity == "info" and not f.fix_safe and f.suggested in ("c6g.xlarge", "c7g.xlarge")
    assert f.monthly_cost_after < f.monthly_cost


def test_eks_node_group_list_element(tmp_path: Path):
    text = PROVIDER + (
        'resource "aws_eks_node_group" "g" {\n  instance_types = ["t3.large", "m5.large"]\n'
        "  scaling_config {\n    desired_size = 2\n    max_size = 3\n    min_size = 1\n  }\n}\n"
    )
    a = lint(tmp_path, {"main.tf": text})
    grav = [f for f in a.findings if f.rule == "ec2-graviton"]
    assert {f.attribute for f in grav} >= {"instance_types[0]"}
    f = next(f for f in grav if f.attribute == "instance_types[0]")
    apply_fix(f)
    assert 'instance_types = ["t4g.large", "m5.large"]' in (tmp_path / "main.tf").read_text()


def test_rds_and_elasticache(tmp_path: Path):
    text = PROVIDER + (
        'resource "aws_db_instance" "db" {\n  engine = "mysql"\n  instance_class = "db.m4.large"\n'
        '  allocated_storage = 100\n  storage_type = "gp2"\n}\n'
        'resource "aws_elasticache_cluster" "c" {\n  engine = "redis"\n  node_type = "cache.m3.large"\n  num_cache_nodes = 2\n}\n'
    )
    a = lint(tmp_path, {"main.tf": text})
    rules = set(rules_of(a))
    assert {"rds-previous-generation", "rds-gp2-to-gp3", "elasticache-previous-generation"} <= rules
    ec = only(a, "elasticache-previous-generation")
    assert ec.suggested == "cache.m5.large"
    # two nodes: the figure covers both
    assert ec.monthly_cost == pytest.approx(2 * 730 * 0.182, abs=0.05)


# -- Lambda, logs, network --------------------------------------------------------------------------------
def test_lambda_arm64(tmp_path: Path):
    base = PROVIDER + 'resource "aws_lambda_function" "f" {\n  function_name = "f"\n  memory_size = 512\n'
    a = lint(tmp_path, {"main.tf": base + "}\n"})
    f = only(a, "lambda-arm64")
    assert "depends on usage" in f.message and f.monthly_cost is None
    apply_fix(f)
    assert 'architectures = ["arm64"]' in (tmp_path / "main.tf").read_text()
    assert "lambda-arm64" not in rules_of(lint(tmp_path, {}))
    cfg = '[usage]\n"aws_lambda_function.f" = { monthly_requests = 1_000_000, average_duration_ms = 1000 }\n'
    a = lint(tmp_path, {"main.tf": base + '  architectures = ["x86_64"]\n}\n'}, cfg)
    f = only(a, "lambda-arm64")
    assert f.monthly_cost == pytest.approx(500_000 * 0.0000166667, abs=0.01)
    assert f.monthly_savings > 0


def test_log_retention(tmp_path: Path):
    a = lint(tmp_path, {"main.tf": PROVIDER + 'resource "aws_cloudwatch_log_group" "g" {\n  name = "x"\n}\n'})
    f = only(a, "cloudwatch-log-retention")
    assert not f.fix_safe
    apply_fix(f)
    assert "retention_in_days = 30" in (tmp_path / "main.tf").read_text()
    a = lint(
        tmp_path,
        {"main.tf": PROVIDER + 'resource "aws_cloudwatch_log_group" "g" {\n  retention_in_days = 0\n}\n'},
    )
    assert rules_of(a) == ["cloudwatch-log-retention"]
    a = lint(
        tmp_path,
        {"main.tf": PROVIDER + 'resource "aws_cloudwatch_log_group" "g" {\n  retention_in_days = 7\n}\n'},
    )
    assert rules_of(a) == []


NAT = 'resource "aws_nat_gateway" "n" {\n  count = 3\n  allocation_id = "eipalloc-1"\n  subnet_id = "s"\n  tags = {TAGS}\n}\n'


@pytest.mark.parametrize(
    ("tags", "folder", "fires"),
    [
        ('{ environment = "dev" }', "net", True),
        ('{ Environment = "production" }', "net", False),
        ("{}", "envs/staging", True),
        ("{}", "net", False),  # undecided: never guessed
    ],
)
def test_nat_gateway_per_az(tmp_path: Path, tags: str, folder: str, fires: bool):
    a = lint(tmp_path, {f"{folder}/main.tf": PROVIDER + NAT.replace("{TAGS}", tags)})
    if fires:
        f = only(a, "nat-gateway-per-az")
        assert f.monthly_cost == pytest.approx(3 * 730 * 0.045, abs=0.01)
        assert f.monthly_cost_after == pytest.approx(730 * 0.045, abs=0.01)
        assert ("tag" in f.message) or ("path" in f.message)
    else:
        assert "nat-gateway-per-az" not in rules_of(a)


def test_eip_unattached(tmp_path: Path):
    text = PROVIDER + (
        'resource "aws_eip" "free" {\n  domain = "vpc"\n}\n'
        'resource "aws_eip" "nat" {\n  domain = "vpc"\n}\n'
        'resource "aws_nat_gateway" "n" {\n  allocation_id = aws_eip.nat.id\n  subnet_id = "s"\n}\n'
        'resource "aws_eip" "assoc" {}\nresource "aws_eip_association" "a" {\n  allocation_id = aws_eip.assoc.id\n}\n'
        'resource "aws_eip" "inst" {\n  instance = "i-123"\n}\n'
        'resource "aws_eip" "splat" {\n  count = 2\n}\nlocals {\n  ids = aws_eip.splat[*].id\n}\n'
    )
    a = lint(tmp_path, {"main.tf": text})
    assert [f.resource for f in a.findings if f.rule == "eip-unattached"] == ["aws_eip.free"]


def test_tags_missing(tmp_path: Path):
    cfg = '[tags]\nrequired = ["team", "cost-center"]\n'
    text = (
        'provider "aws" {\n  default_tags {\n    tags = { team = "a" }\n  }\n}\n'
        'resource "aws_ebs_volume" "v" {\n  type = "gp3"\n  size = 1\n  tags = { "cost-center" = "42" }\n}\n'
        'resource "aws_ebs_volume" "w" {\n  type = "gp3"\n  size = 1\n}\n'
        'resource "aws_security_group" "sg" {}\n'
    )
    a = lint(tmp_path, {"main.tf": text}, cfg)
    f = only(a, "tags-missing")
    assert f.resource == "aws_ebs_volume.w" and "cost-center" in f.message and "team" not in f.message
    assert rules_of(lint(tmp_path, {}, "")) == []


# -- ignores and config ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "comment",
    [
        "# advisor:ignore ebs-io1-to-gp3 -- needs io1 for the vendor's support matrix\n",
        "// advisor:ignore ebs-io1-to-gp3,ebs-gp2-to-gp3\n",
        "# advisor:ignore all\n",
    ],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_ignore_comment_above_resource(tmp_path: Path, comment: str, newline: str):
    text = volume("io1", 500, 10000).replace(
        'resource "aws_ebs_volume"', comment + 'resource "aws_ebs_volume"'
    )
    text = text.replace("\n", newline)  # a file saved with Windows line ends reads the same
    a = lint(tmp_path, {"main.tf": text})
    assert "ebs-io1-to-gp3" not in rules_of(a)
    unused = [f for f in a.findings if f.rule == "unused-ignore"]
    assert bool(unused) == ("ebs-gp2-to-gp3" in comment)


def test_ignore_on_the_attribute_line_and_file_wide(tmp_path: Path):
    text = volume("io1", 500, 10000).replace('type = "io1"', 'type = "io1" # advisor:ignore ebs-io1-to-gp3')
    assert rules_of(lint(tmp_path, {"main.tf": text})) == []
    text = "# advisor:ignore-file ebs-io1-to-gp3\n" + volume("io1", 500, 10000)
    assert rules_of(lint(tmp_path, {"main.tf": text})) == []


def test_unused_and_unknown_ignores_are_hints(tmp_path: Path):
    text = "# advisor:ignore ebs-gp2-to-gp3\n# advisor:ignore no-such-rule\n" + volume("gp3", 10)
    a = lint(tmp_path, {"main.tf": text})
    assert [f.severity for f in a.findings] == ["hint", "hint"]
    assert any("unknown rule id" in f.message for f in a.findings)


def test_config_severity_and_disable(tmp_path: Path):
    a = lint(
        tmp_path,
        {"main.tf": volume("io1", 500, 10000)},
        '[rules]\nseverity = { "ebs-io1-to-gp3" = "error" }\n',
    )
    assert only(a, "ebs-io1-to-gp3").severity == "error"
    a = lint(tmp_path, {}, '[rules]\ndisable = ["ebs-io1-to-gp3"]\n')
    assert rules_of(a) == []


def test_config_errors_name_file_and_line(tmp_path: Path):
    from advisor.config import ConfigError

    with pytest.raises(ConfigError, match=r"\.advisor\.toml:3: unknown rule id 'nope'"):
        parse_config(".advisor.toml", 'region = "x"\n[rules]\ndisable = ["nope"]\n', known_rule_ids())
    with pytest.raises(ConfigError, match=r":2: unknown key \[tags\] 'requierd'"):
        parse_config(".advisor.toml", "[tags]\nrequierd = []\n", known_rule_ids())
    with pytest.raises(ConfigError, match="invalid TOML"):
        parse_config(".advisor.toml", "[tags\n", known_rule_ids())


def test_counted_resources_merge_into_one_finding(tmp_path: Path):
    text = volume("io1", 500, 10000).replace("  size = 500", "  count = 4\n  size = 500")
    f = only(lint(tmp_path, {"main.tf": text}), "ebs-io1-to-gp3")
    assert f.monthly_cost == 4 * 712.5 and "for 4 instances" in f.message


def test_unknown_price_still_reports_without_figure(tmp_path: Path):
    text = 'resource "aws_db_instance" "d" {\n  engine = "db2-se"\n  instance_class = "db.m4.large"\n}\n'
    a = lint(tmp_path, {"main.tf": PROVIDER + text})
    f = only(a, "rds-previous-generation")
    assert f.monthly_cost is None and "price unknown" in f.message


def test_unit_economics_in_cost_json(tmp_path: Path):
    from advisor.report import cost_report

    a = lint(
        tmp_path, {"main.tf": PROVIDER + 'resource "aws_instance" "i" {\n  instance_type = "m5.large"\n}\n'}
    )
    import json

    doc = json.loads(cost_report.render_json(a, "us-east-1", ("request", 1_000_000)))
    assert doc["total"] > 70.08  # instance hours and its default root volume
    assert doc["unit"]["cost_per_unit"] == pytest.approx(doc["total"] / 1_000_000)


def test_per_hour_suggestions_compare_prices_the_region_lists(tmp_path: Path):
    """A spot request in us-gov-west-1 (not priced per month): m3.large $0.168/h there; m6a.large has
    no us-gov-west-1 row, so its us-east-1 $0.0864/h is not compared with a GovCloud price; m5a.large
    is listed there at $0.109/h."""
    text = (
        'provider "aws" {\n  region = "us-gov-west-1"\n}\n'
        'resource "aws_spot_instance_request" "s" {\n  ami = "ami-1"\n  instance_type = "m3.large"\n}\n'
    )
    a = lint(tmp_path, {"main.tf": text})
    f = only(a, "ec2-previous-generation")
    assert f.suggested == "m5a.large", f.message
    assert "m3.large $0.168/h → m5a.large $0.109/h per instance" in f.message
    assert "estimate" not in f.message
