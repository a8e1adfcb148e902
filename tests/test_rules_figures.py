"""Figures a FinOps lead can trust: one finding per attribute value (competing suggestions are its
alternatives, the best counted once), no finding above `hint` that saves nothing, no saving above the
resource's cost, and per-unit prices when a size or IOPS is unknown."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from advisor.model import Finding, Span, TextEdit, UnitSaving, base_address
from advisor.money import unit_price
from advisor.rules.findings import merge_alternatives, settle_severity, unit_figure
from conftest import EXAMPLES, run_cli

PROVIDER = 'provider "aws" {\n  region = "us-east-1"\n}\n'
M5 = PROVIDER + 'resource "aws_instance" "web" {\n  instance_type = "m5.large"\n  ami = "ami-1"\n}\n'
NO_CACHE = {"ADVISOR_NO_CACHE": "1"}


def lint_json(folder: Path, *args: str) -> dict[str, Any]:
    r = run_cli(
        "lint", str(folder), "--format", "json", "--fail-on", "never", *args, cwd=folder, env=NO_CACHE
    )
    assert r.returncode in (0, 3), r.stderr
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def at_line(doc: dict[str, Any], line: int) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["line"] == line]


# -- one finding per attribute value ---------------------------------------------------------------------
def test_graviton_and_newer_generation_are_one_finding_counted_once(tmp_path: Path):
    doc = lint_json(write(tmp_path, {"main.tf": M5}))
    (f,) = at_line(doc, 5)
    rules = [a["rule"] for a in f["alternatives"]]
    assert rules == ["ec2-graviton", "ec2-newer-generation"]  # the larger saving first
    best, other = f["alternatives"]
    assert set(best) >= {"rule", "suggested", "monthly_cost_after", "monthly_savings", "fix"}
    assert (f["rule"], f["suggested"], f["monthly_savings"]) == (
        best["rule"],
        best["suggested"],
        best["monthly_savings"],
    )
    assert f["fix"] == best["fix"] and other["fix"] and other["fix"] != best["fix"]
    assert best["monthly_savings"] > other["monthly_savings"] > 0
    assert other["suggested"] in f["message"]  # the text names the other choice too
    # counted once: the total is the best alternative's saving, not the sum of both
    assert doc["summary"]["monthly_savings"] == pytest.approx(best["monthly_savings"])
    assert doc["summary"]["findings"] == 1


def test_disabling_or_ignoring_one_rule_removes_its_alternative_only(tmp_path: Path):
    write(tmp_path, {"main.tf": M5})
    whole = at_line(lint_json(tmp_path), 5)[0]
    newer = whole["alternatives"][1]
    for args in (("--ignore", "ec2-graviton"),):
        (f,) = at_line(lint_json(tmp_path, *args), 5)
        assert f["rule"] == "ec2-newer-generation" and f["monthly_savings"] == newer["monthly_savings"]
        assert [a["rule"] for a in f["alternatives"]] == ["ec2-newer-generation"]
    (tmp_path / ".advisor.toml").write_text('[rules]\ndisable = ["ec2-graviton"]\n', encoding="utf-8")
    (f,) = at_line(lint_json(tmp_path), 5)
    assert f["rule"] == "ec2-newer-generation"
    (tmp_path / ".advisor.toml").unlink()
    commented = M5.replace(
        '  instance_type = "m5.large"',
        '  # advisor:ignore ec2-newer-generation\n  instance_type = "m5.large"',
    )
    doc = lint_json(write(tmp_path, {"main.tf": commented}))
    assert [(f["rule"], [a["rule"] for a in f["alternatives"]]) for f in doc["findings"]] == [
        ("ec2-graviton", ["ec2-graviton"])
    ]  # and the comment is used: no unused-ignore hint


def test_sarif_has_one_result_with_a_fix_per_alternative(tmp_path: Path):
    write(tmp_path, {"main.tf": M5})
    r = run_cli("lint", str(tmp_path), "--format", "sarif", "--fail-on", "never", cwd=tmp_path, env=NO_CACHE)
    (result,) = json.loads(r.stdout)["runs"][0]["results"]
    assert result["ruleId"] == "ec2-graviton"
    assert [a["ruleId"] for a in result["properties"]["alternatives"]] == [
        "ec2-graviton",
        "ec2-newer-generation",
    ]
    texts = [
        fix["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"] for fix in result["fixes"]
    ]
    assert texts == ['"m6g.large"', '"m6a.large"'] or (len(texts) == 2 and texts[0] != texts[1])
    assert result["fixes"][1]["description"]["text"].endswith("(ec2-newer-generation)")


def test_merged_severity_is_the_highest_and_the_best_saving_leads():
    span = Span("m.tf", 1, 2, 1, 12, 10, 20)

    def finding(rule: str, severity: Any, after: float, safe: bool) -> Finding:
        return Finding(
            rule,
            severity,
            f"{rule} message",
            span,
            "aws_instance.x",
            "instance_type",
            "m4.large",
            f"{rule}.large",
            100.0,
            after,
            [TextEdit(span, f'"{rule}"')],
            safe,
        )

    prev = finding("ec2-previous-generation", "warning", 90.0, True)
    grav = finding("ec2-graviton", "info", 70.0, False)
    elsewhere = Finding("tags-missing", "warning", "missing", span, "aws_instance.x", "tags")
    out = merge_alternatives([prev, elsewhere, grav])
    assert len(out) == 2 and out[1] is elsewhere
    merged = out[0]
    assert merged.rule == "ec2-graviton" and merged.monthly_savings == 30.0 and merged.severity == "warning"
    assert merged.alternatives == [grav, prev] and prev.alternatives == [] and grav.severity == "info"


def test_a_finding_that_saves_nothing_is_a_hint():
    span = Span("m.tf", 1, 2, 1, 12, 10, 20)
    same = Finding("rds-gp2-to-gp3", "warning", "m", span, "r", "storage_type", "gp2", "gp3", 46.0, 46.0)
    dearer = Finding(
        "x", "info", "m", span, "r", "a", "standard", "gp3", unit_savings=[UnitSaving("GB-month", 0.05, 0.08)]
    )
    cheaper = Finding(
        "y", "info", "m", span, "r", "a", "io1", "gp3", unit_savings=[UnitSaving("GB-month", 0.125, 0.08)]
    )
    assert [f.severity for f in settle_severity([same, dearer, cheaper])] == ["hint", "hint", "info"]
    assert same.severity == "warning"  # a copy changes, never the shared finding


def test_unit_prices_read_with_their_digits():
    assert [unit_price(x) for x in (0.125, 0.08, 0.005, 0.1, 0.0000166667, 1.0, 0.0)] == [
        "$0.125",
        "$0.08",
        "$0.005",
        "$0.10",
        "$0.0000166667",
        "$1.00",
        "$0.00",
    ]
    text = unit_figure(
        [
            (UnitSaving("GB-month", 0.125, 0.08), "", ""),
            (UnitSaving("IOPS-month", 0.065, 0.005), "provisioned IOPS", "above 3,000"),
        ]
    )
    assert (
        text
        == "$0.125 → $0.08 per GB-month (−36%), provisioned IOPS $0.065 → $0.005 per IOPS-month above 3,000 (−92%)"
    )


# -- savings that agree with themselves and with `advisor cost` --------------------------------------------
INSTANCE_TYPES = [
    "t2.micro",
    "t2.large",
    "t3.medium",
    "t3a.large",
    "m4.large",
    "m4.xlarge",
    "m5.large",
    "m5.2xlarge",
    "m5a.large",
    "m6i.large",
    "c4.large",
    "c5.xlarge",
    "c5a.large",
    "r4.large",
    "r5.large",
    "r5.4xlarge",
    "i3.large",
    "m3.medium",
    "c3.large",
    "x1.16xlarge",
    "g4dn.xlarge",
]
VOLUMES = [
    ("gp2", 100, None),
    ("gp2", 2000, None),
    ("io1", 200, 5000),
    ("io1", 500, 20000),
    ("io2", 100, 1000),
    ("standard", 50, None),
    ("st1", 500, None),
    ("gp3", 100, None),
    ("io1", 10, 100),
]


def generated_project() -> str:
    parts = [PROVIDER]
    for i, t in enumerate(INSTANCE_TYPES):
        parts.append(
            f'resource "aws_instance" "i{i}" {{\n  instance_type = "{t}"\n  ami = "ami-1"\n  count = {1 + i % 3}\n}}\n'
        )
    for i, (vtype, size, iops) in enumerate(VOLUMES):
        extra = f"\n  iops = {iops}" if iops else ""
        parts.append(
            f'resource "aws_ebs_volume" "v{i}" {{\n  availability_zone = "us-east-1a"\n  type = "{vtype}"\n'
            f"  size = {size}{extra}\n}}\n"
        )
    for i, cls in enumerate(["db.m4.large", "db.m5.large", "db.r5.xlarge", "db.t3.medium"]):
        parts.append(
            f'resource "aws_db_instance" "d{i}" {{\n  engine = "postgres"\n  instance_class = "{cls}"\n'
            f'  allocated_storage = {50 * (i + 1)}\n  storage_type = "gp2"\n}}\n'
        )
    for i, node in enumerate(["cache.m3.large", "cache.m5.large", "cache.r5.large", "cache.t2.small"]):
        parts.append(
            f'resource "aws_elasticache_cluster" "e{i}" {{\n  engine = "redis"\n  node_type = "{node}"\n'
            f"  num_cache_nodes = {i + 1}\n}}\n"
        )
    return "".join(parts)


def projects(tmp: Path) -> list[Path]:
    generated = tmp / "generated"
    generated.mkdir()
    (generated / "main.tf").write_text(generated_project(), encoding="utf-8")
    return [p for p in sorted(EXAMPLES.iterdir()) if p.is_dir()] + [generated]


def resource_costs(folder: Path) -> dict[str, float]:
    """Monthly cost per address as `advisor cost` states it (instances counted in their base address;
    for a resource whose total is unknown, the line items it does price)."""
    r = run_cli("cost", str(folder), "--format", "json", cwd=folder, env=NO_CACHE)
    out: dict[str, float] = {}
    for res in json.loads(r.stdout)["resources"]:
        address = base_address(res["address"])
        cost = res["monthly_cost"]
        if cost is None:
            cost = sum(c["monthly_cost"] or 0.0 for c in res["components"])
        out[address] = out.get(address, 0.0) + cost
    return out


def cost_bound(f: dict[str, Any], costs: dict[str, float]) -> float | None:
    """What the finding's saving may not exceed: its resource's cost, with the autoscaling groups that
    launch a template's instances, or for a finding on a group of resources (NAT gateways of a
    module) the cost of every resource of that type."""
    if f["rule"] == "nat-gateway-per-az":
        kind = f["resource"].split(".")[0]
        return sum(v for k, v in costs.items() if k.startswith(kind + "."))
    bound = costs.get(base_address(f["resource"]))
    groups = f["message"].partition(" instances of ")[2]
    for group in re.split(r" \(| — |; ", groups)[0].split(", ") if groups else ():
        bound = (bound or 0.0) + costs.get(group.strip(), 0.0)
    return bound


def check_invariants(doc: dict[str, Any], costs: dict[str, float], where: str) -> None:
    places: set[tuple[Any, ...]] = set()
    total = 0.0
    for f in doc["findings"]:
        label = f"{where}: {f['path']}:{f['line']} {f['rule']} {f['message']}"
        saving = f["monthly_savings"]
        if f["severity"] != "hint":
            assert saving is None or saving > 0, label
            units = f["unit_savings"] or []
            assert all(u["after"] <= u["before"] for u in units), label
        if f["alternatives"]:
            assert f["rule"] == f["alternatives"][0]["rule"], label
            known = [a["monthly_savings"] for a in f["alternatives"] if a["monthly_savings"] is not None]
            if known:
                assert saving == max(known), label
        if f["suggested"] is not None:
            place = (f["path"], f["line"], f["column"], f["resource"], f["attribute"])
            assert place not in places, f"two findings for one value: {label}"
            places.add(place)
        if saving is not None and saving > 0:
            total += saving
            bound = cost_bound(f, costs)
            assert bound is not None and saving <= bound + 0.01, f"saving above the cost {bound}: {label}"
    assert doc["summary"]["monthly_savings"] == pytest.approx(total, abs=0.011), where


def test_figures_agree_on_every_example_and_a_generated_project(tmp_path: Path):
    for folder in projects(tmp_path):
        doc = lint_json(folder)
        check_invariants(doc, resource_costs(folder), folder.name)


# -- unknown quantities --------------------------------------------------------------------------------
UNKNOWN = PROVIDER + (
    'variable "size" {}\nvariable "iops" {}\n'
    'resource "aws_ebs_volume" "fast" {\n  availability_zone = "us-east-1a"\n  type = "io1"\n'
    "  size = var.size\n  iops = var.iops\n}\n"
    'resource "aws_ebs_volume" "plain" {\n  availability_zone = "us-east-1a"\n  type = "gp2"\n'
    "  size = var.size\n}\n"
    'resource "aws_ebs_volume" "old" {\n  availability_zone = "us-east-1a"\n  type = "standard"\n'
    "  size = var.size\n}\n"
)


def test_unknown_size_and_iops_give_unit_prices(tmp_path: Path):
    doc = lint_json(write(tmp_path, {"main.tf": UNKNOWN}))
    by = {f["resource"]: f for f in doc["findings"]}
    io1 = by["aws_ebs_volume.fast"]
    # us-east-1 list prices: io1 $0.125/GB-month and $0.065/IOPS-month; gp3 $0.08/GB-month and $0.005 per
    # IOPS-month above 3,000; gp2 $0.10/GB-month; magnetic $0.05/GB-month
    assert io1["rule"] == "ebs-io1-to-gp3" and io1["severity"] == "warning"
    assert io1["monthly_cost"] is None and io1["monthly_savings"] is None
    assert io1["unit_savings"] == [
        {"unit": "GB-month", "before": 0.125, "after": 0.08},
        {"unit": "IOPS-month", "before": 0.065, "after": 0.005},
    ]
    assert "$0.125 → $0.08 per GB-month (−36%)" in io1["message"]
    assert "depends on size and iops" in io1["message"] and "16,000 IOPS" in io1["message"]
    assert not io1["fix_safe"]  # gp3's limits could not be checked
    gp2 = by["aws_ebs_volume.plain"]
    assert gp2["unit_savings"] == [{"unit": "GB-month", "before": 0.1, "after": 0.08}]
    assert gp2["severity"] == "warning" and "over 1,000 GB" in gp2["message"]
    old = by["aws_ebs_volume.old"]
    assert old["severity"] == "hint" and old["unit_savings"] == [
        {"unit": "GB-month", "before": 0.05, "after": 0.08}
    ]
    assert "costs more here but gives a 3,000 IOPS baseline" in old["message"]
    # nothing unknown is counted as a saving
    assert doc["summary"]["monthly_savings"] == 0


def test_same_price_is_a_hint_even_when_configuration_raises_it(tmp_path: Path):
    text = PROVIDER + (
        'resource "aws_db_instance" "db" {\n  engine = "postgres"\n  instance_class = "db.t4g.micro"\n'
        '  allocated_storage = 100\n  storage_type = "gp2"\n}\n'
    )
    config = '[rules]\nseverity = { "rds-gp2-to-gp3" = "error" }\n'
    doc = lint_json(write(tmp_path, {"main.tf": text, ".advisor.toml": config}))
    (f,) = [f for f in doc["findings"] if f["rule"] == "rds-gp2-to-gp3"]
    assert f["severity"] == "hint" and f["monthly_savings"] == 0
    assert "costs the same here but gives a 3,000 IOPS baseline" in f["message"]


RDS_IO1 = """
resource "aws_db_instance" "small" {
  engine            = "postgres"
  instance_class    = "db.m6g.large"
  allocated_storage = 200
  storage_type      = "io1"
  iops              = 3000
}
resource "aws_db_instance" "big" {
  engine            = "mysql"
  instance_class    = "db.m6g.large"
  allocated_storage = 1000
  storage_type      = "io1"
  iops              = 20000
}
resource "aws_db_instance" "nofit" {
  engine            = "postgres"
  instance_class    = "db.m6g.large"
  allocated_storage = 100
  storage_type      = "io1"
  iops              = 5000
}
resource "aws_db_instance" "mssql" {
  engine            = "sqlserver-se"
  instance_class    = "db.m6i.large"
  allocated_storage = 200
  storage_type      = "io1"
  iops              = 3000
}
variable "size" {}
resource "aws_db_instance" "unsized" {
  engine            = "postgres"
  instance_class    = "db.m6g.large"
  allocated_storage = var.size
  storage_type      = "io1"
  iops              = 3000
}
"""


def test_rds_io1_that_fits_gp3_is_flagged_with_rds_limits(tmp_path: Path):
    """RDS prices in us-east-1, single-AZ: io1 $0.125 per GB-month and $0.10 per IOPS-month; gp3 $0.115
    per GB-month, 3,000 IOPS included (12,000 from 400 GB), $0.02 per IOPS-month above."""
    (tmp_path / "main.tf").write_text(RDS_IO1)
    doc = lint_json(tmp_path)
    found = {f["resource"]: f for f in doc["findings"] if f["rule"] == "rds-io1-to-gp3"}
    assert set(found) == {"aws_db_instance.small", "aws_db_instance.big", "aws_db_instance.unsized"}
    small, big = found["aws_db_instance.small"], found["aws_db_instance.big"]
    # 200 × 0.125 + 3,000 × 0.10 = 325.00 → 200 × 0.115 = 23.00, `iops` removed
    assert (small["monthly_cost"], small["monthly_cost_after"]) == (325.0, 23.0)
    assert [e["new_text"] for e in small["fix"]] == ['"gp3"', ""] and small["fix_safe"]
    # 1,000 × 0.125 + 20,000 × 0.10 = 2,125.00 → 1,000 × 0.115 + 8,000 × 0.02 = 275.00, `iops` kept
    assert (big["monthly_cost"], big["monthly_cost_after"]) == (2125.0, 275.0)
    assert [e["new_text"] for e in big["fix"]] == ['"gp3"']
    # size unknown: per unit, not marked safe, the limits said
    unsized = found["aws_db_instance.unsized"]
    assert unsized["monthly_savings"] is None and not unsized["fix_safe"]
    assert "$0.125 → $0.115 per GB-month" in unsized["message"] and "not checked" in unsized["message"]
    # no Graviton class for SQL Server
    assert not [f for f in doc["findings"] if f["resource"] == "aws_db_instance.mssql"]
    # the fix applied leaves a valid configuration priced as the finding said
    text = RDS_IO1
    for edit in sorted(small["fix"], key=lambda e: e["line"], reverse=True):
        lines = text.split("\n")
        line = lines[edit["line"] - 1]
        if edit["new_text"] == "":
            del lines[edit["line"] - 1]
        else:
            lines[edit["line"] - 1] = line.replace('"io1"', edit["new_text"])
        text = "\n".join(lines)
    (tmp_path / "main.tf").write_text(text)
    after = lint_json(tmp_path)
    assert "aws_db_instance.small" not in {
        f["resource"] for f in after["findings"] if f["rule"] == "rds-io1-to-gp3"
    }
