"""`advisor diff` on real git repositories, through the real command line.

Expected figures come from the us-east-1 list prices, not from the program: io1 $0.125/GB-mo and
$0.065/IOPS-mo, gp3 $0.08/GB-mo and $0.005/IOPS-mo above 3000, gp2 $0.10/GB-mo, a NAT gateway
$0.045/h and an m5.large $0.096/h, for 730 hours a month.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, run_cli

HOURS = 730
IO1 = 500 * 0.125 + 10000 * 0.065  # 712.50
GP3 = 500 * 0.08 + (10000 - 3000) * 0.005  # 75.00
NAT = 0.045 * HOURS  # 32.85
WEB = 0.096 * HOURS + 8 * 0.08  # 70.72: m5.large and its 8 GB gp3 root volume
GP2_100 = 100 * 0.10  # 10.00

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Advisor Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "Advisor Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}

VOLUME = """resource "aws_ebs_volume" "data" {
  availability_zone = "us-east-1a"
  type              = "io1"
  size              = 500
  iops              = 10000
}
"""

WEB_TF = """resource "aws_instance" "web" {
  count         = 2
  ami           = "ami-0123456789abcdef0"
  instance_type = "m5.large"
  root_block_device {
    volume_type = "gp3"
    volume_size = 8
  }
}
"""

NAT_TF = """resource "aws_nat_gateway" "main" {
  allocation_id = "eipalloc-0123456789abcdef0"
  subnet_id     = "subnet-0123456789abcdef0"
}
"""


class Repo:
    """A scratch git repository with helpers to write files, commit and run `advisor diff`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        env = {**os.environ, **GIT_ENV}
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout

    def write(self, rel: str, text: str) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def cli(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, cwd=cwd or self.path, env=GIT_ENV)

    def diff_json(self, *args: str, cwd: Path | None = None, code: int = 0) -> dict[str, Any]:
        r = self.cli("diff", *args, "--format", "json", cwd=cwd)
        assert r.returncode == code, r.stderr + r.stdout
        doc: dict[str, Any] = json.loads(r.stdout)
        return doc


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    r = Repo(tmp_path / "repo")
    r.write("main.tf", VOLUME + "\n" + WEB_TF)
    r.commit("base")
    return r


def by_address(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["address"]: r for r in doc["resources"]}


def test_io1_to_gp3_is_a_changed_resource_and_old_findings_are_not_repeated(repo: Repo):
    # the fix, plus lines added above everything: the instances' findings move but are not new
    repo.write("main.tf", "# storage\n# and compute\n\n" + VOLUME.replace('"io1"', '"gp3"') + "\n" + WEB_TF)
    (repo.path / "notes.txt").write_text("untracked\n", encoding="utf-8")
    status_before = repo.git("status", "--porcelain")
    head_before = repo.git("rev-parse", "HEAD")

    doc = repo.diff_json("--base", "main")

    assert doc["version"] == 1 and doc["base"]["ref"] == "main"
    assert doc["resources"] == [
        {
            "change": "changed",
            "address": "aws_ebs_volume.data",
            "type": "aws_ebs_volume",
            "module": ".",
            "path": "main.tf",
            "line": 4,
            "priced": True,
            "monthly_cost_before": round(IO1, 2),
            "monthly_cost_after": round(GP3, 2),
            "monthly_delta": round(GP3 - IO1, 2),
        }
    ]
    before = round(IO1 + 2 * WEB, 2)
    assert doc["totals"] == {
        "before": before,
        "after": round(GP3 + 2 * WEB, 2),
        "delta": -637.5,
        "percent": round(-637.5 / before * 100, 2),
        "currency": "USD",
    }
    assert doc["summary"]["unchanged"] == 2 and doc["summary"]["changed"] == 1
    assert doc["new_findings"] == []
    assert [f["rule"] for f in doc["resolved_findings"]] == ["ebs-io1-to-gp3"]
    assert doc["budget"] == {"ok": True, "incomplete": False, "checks": []}
    # the working tree, the index and HEAD are as they were
    assert repo.git("status", "--porcelain") == status_before
    assert repo.git("rev-parse", "HEAD") == head_before
    assert "storage" in (repo.path / "main.tf").read_text(encoding="utf-8")


def test_nat_gateway_and_count_two_to_three_are_added_resources(repo: Repo):
    repo.write(
        "main.tf", VOLUME + "\n" + WEB_TF.replace("count         = 2", "count         = 3") + "\n" + NAT_TF
    )
    doc = repo.diff_json("--base", "HEAD")
    rows = by_address(doc)
    assert set(rows) == {"aws_instance.web[2]", "aws_nat_gateway.main"}
    assert rows["aws_instance.web[2]"]["change"] == "added"
    assert rows["aws_instance.web[2]"]["monthly_cost_before"] == 0.0
    assert rows["aws_instance.web[2]"]["monthly_cost_after"] == round(WEB, 2) == 70.72
    assert rows["aws_nat_gateway.main"]["monthly_delta"] == round(NAT, 2) == 32.85
    assert doc["totals"]["delta"] == round(NAT + WEB, 2) == 103.57
    assert doc["totals"]["after"] == round(IO1 + 3 * WEB + NAT, 2)
    assert doc["summary"] == {
        "added": 2,
        "removed": 0,
        "changed": 0,
        "unchanged": 3,
        "unknown_prices": 0,
        "new_findings": 0,
        "resolved_findings": 0,
        "incomplete": False,
    }
    # the instance findings now say "for 3 instances": still the same findings, not new ones
    assert doc["new_findings"] == []


def test_new_finding_is_reported_once_with_its_figures_and_fail_on(repo: Repo):
    repo.write(
        "main.tf",
        VOLUME
        + "\n"
        + WEB_TF
        + '\nresource "aws_ebs_volume" "logs" {\n  availability_zone = "us-east-1a"\n'
        + '  type              = "gp2"\n  size              = 100\n}\n',
    )
    doc = repo.diff_json("--base", "main")
    assert by_address(doc)["aws_ebs_volume.logs"]["monthly_cost_after"] == GP2_100
    [finding] = doc["new_findings"]
    assert finding["rule"] == "ebs-gp2-to-gp3" and finding["resource"] == "aws_ebs_volume.logs"
    assert finding["path"] == "main.tf" and finding["line"] == 20
    assert (finding["monthly_cost"], finding["monthly_cost_after"]) == (10.0, 8.0)
    assert finding["monthly_savings"] == 2.0
    assert doc["resolved_findings"] == []

    r = repo.cli("diff", "--base", "main", "--fail-on", "warning")
    assert r.returncode == 1, r.stderr
    assert "New findings (1):" in r.stdout and "warning[ebs-gp2-to-gp3]" in r.stdout


def test_budget_breaches_exit_1_with_the_limit_and_its_line(repo: Repo):
    repo.write(".advisor.toml", "[budget]\nmonthly_increase = 100\npercent_increase = 50\n")
    repo.commit("budget")
    repo.write(
        "main.tf", VOLUME + "\n" + WEB_TF.replace("count         = 2", "count         = 3") + "\n" + NAT_TF
    )
    r = repo.cli("diff", "--base", "main", "--format", "json")
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    checks = {c["limit"]: c for c in doc["budget"]["checks"]}
    assert doc["budget"]["ok"] is False
    assert checks["monthly_increase"]["value"] == 103.57 and checks["monthly_increase"]["breached"]
    before = round(IO1 + 2 * WEB, 2)
    assert checks["percent_increase"]["value"] == round(103.57 / before * 100, 2)
    assert not checks["percent_increase"]["breached"]
    assert "budget exceeded" in r.stderr and "monthly_increase = $100.00 (.advisor.toml:2)" in r.stderr

    repo.write(".advisor.toml", "[budget]\nmonthly_increase = 103.57\n")  # at the limit is within it
    r = repo.cli("diff", "--base", "main", "--format", "markdown")
    assert r.returncode == 0, r.stderr
    assert "Budget: within every configured limit." in r.stdout


def test_lint_checks_monthly_total_whatever_fail_on_says(repo: Repo):
    total = round(IO1 + 2 * WEB, 2)  # 853.94
    repo.write(".advisor.toml", "[budget]\nmonthly_total = 800\n")
    r = repo.cli("lint", "--fail-on", "never")
    assert r.returncode == 1
    assert f"the monthly total is ${total:,.2f}, above monthly_total = $800.00 (.advisor.toml:2)" in r.stderr
    repo.write(".advisor.toml", "[budget]\nmonthly_total = 900\nmonthly_increase = 0\n")
    r = repo.cli("lint", "--fail-on", "never", "--format", "json")
    assert r.returncode == 0, r.stderr  # lint cannot see an increase, so it does not check one
    assert json.loads(r.stdout)["summary"]["monthly_cost"] == total


MODULE = """variable "nat_count" {
  type = number
}

resource "aws_nat_gateway" "this" {
  count         = var.nat_count
  allocation_id = "eipalloc-0123456789abcdef0"
  subnet_id     = "subnet-0123456789abcdef0"
}
"""


def env_tf(count: int) -> str:
    return f'module "net" {{\n  source    = "../../modules/net"\n  nat_count = {count}\n}}\n'


@pytest.fixture
def envs(tmp_path: Path) -> Repo:
    r = Repo(tmp_path / "infra")
    r.write("modules/net/main.tf", MODULE)
    r.write("envs/dev/main.tf", env_tf(1))
    r.write("envs/prod/main.tf", env_tf(2))
    r.write(
        ".advisor.toml",
        '[[budget.paths]]\npath = "envs/prod"\nmonthly_increase = 30\n\n'
        '[[budget.paths]]\npath = "envs/dev"\nmonthly_increase = 0\nmonthly_total = 40\n',
    )
    r.commit("two environments sharing a module")
    return r


def test_shared_module_resources_belong_to_their_root_and_folder_budgets(envs: Repo):
    before = json.loads(envs.cli("cost", "--format", "json").stdout)["total"]
    assert before == round(3 * NAT, 2)
    envs.write("envs/prod/main.tf", env_tf(3))
    after = json.loads(envs.cli("cost", "--format", "json").stdout)["total"]

    doc = envs.diff_json("--base", "main", code=1)
    assert doc["resources"] == [
        {
            "change": "added",
            "address": "module.net.aws_nat_gateway.this[2]",
            "type": "aws_nat_gateway",
            "module": "envs/prod",
            "path": "modules/net/main.tf",
            "line": 5,
            "priced": True,
            "monthly_cost_before": 0.0,
            "monthly_cost_after": 32.85,
            "monthly_delta": 32.85,
        }
    ]
    assert doc["summary"]["unchanged"] == 3  # this[0] of dev, this[0] and this[1] of prod
    assert (doc["totals"]["before"], doc["totals"]["after"]) == (before, after)
    checks = {(c["scope"], c["limit"]): c for c in doc["budget"]["checks"]}
    assert set(checks) == {
        ("envs/prod", "monthly_increase"),
        ("envs/dev", "monthly_increase"),
        ("envs/dev", "monthly_total"),
    }
    prod = checks[("envs/prod", "monthly_increase")]
    assert prod["breached"] and prod["value"] == 32.85 and prod["config"] == ".advisor.toml:3"
    assert checks[("envs/dev", "monthly_increase")]["value"] == 0.0
    assert not checks[("envs/dev", "monthly_increase")]["breached"]
    assert checks[("envs/dev", "monthly_total")]["value"] == 32.85

    # from a subfolder, with a relative PATH: the same comparison, names relative to where it runs
    sub = envs.diff_json("--base", "main", "prod", cwd=envs.path / "envs", code=1)
    [row] = sub["resources"]
    assert (row["module"], row["path"], row["monthly_delta"]) == ("prod", "../modules/net/main.tf", 32.85)
    assert [c["scope"] for c in sub["budget"]["checks"]] == ["envs/prod"]  # dev was not analysed


def test_absolute_path_removed_resources_and_markdown(envs: Repo):
    (envs.path / "envs/dev/main.tf").unlink()
    envs.write("envs/dev/README.md", "retired\n")
    r = envs.cli("diff", "--base", "main", str(envs.path / "envs"), "--format", "markdown")
    assert r.returncode == 0, r.stderr  # dev's total falls to 0: within its budgets
    md = r.stdout
    assert md.startswith("<!-- advisor-diff -->\n### Advisor: monthly cost -$32.85 (-33.33%)")
    assert "| removed | `envs/dev: module.net.aws_nat_gateway.this[0]` `modules/net/main.tf:5` |" in md
    assert "| **Total** | | **$98.55** | **$65.70** | **-$32.85 (-33.33%)** |" in md
    assert "advisor-diff-" not in md  # no temporary path leaks into the report
    assert "No new findings." in md

    doc = envs.diff_json("--base", "main", str(envs.path / "envs" / "dev"))
    [row] = doc["resources"]
    assert row["change"] == "removed" and row["monthly_cost_after"] == 0.0
    assert row["path"] == "modules/net/main.tf" and row["monthly_delta"] == -32.85


def test_var_file_is_read_at_each_revision(tmp_path: Path):
    repo = Repo(tmp_path / "vars")
    repo.write(
        "main.tf", 'variable "n" {\n  type = number\n}\n\n' + NAT_TF.replace("{\n", "{\n  count = var.n\n", 1)
    )
    repo.write("prod.tfvars", "n = 1\n")
    repo.commit("one NAT gateway")
    repo.write("prod.tfvars", "n = 2\n")
    doc = repo.diff_json("--base", "main", "--var-file", "prod.tfvars")
    assert [(r["change"], r["address"]) for r in doc["resources"]] == [("added", "aws_nat_gateway.main[1]")]
    assert doc["totals"] == {
        "before": 32.85,
        "after": 65.7,
        "delta": 32.85,
        "percent": 100.0,
        "currency": "USD",
    }


def test_text_report(repo: Repo):
    repo.write("main.tf", VOLUME + "\n" + WEB_TF + "\n" + NAT_TF)
    r = repo.cli("diff", "--base", "main")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("Cost diff against main (")
    assert any(
        line.startswith("+ aws_nat_gateway.main  main.tf:18") and line.endswith("+$32.85") for line in lines
    )
    assert any(line.startswith("Total") and line.endswith("+$32.85 (+3.85%)") for line in lines)
    assert "1 added, 0 removed, 0 changed, 3 unchanged" in r.stdout


def test_errors_exit_2_with_a_clear_message(repo: Repo, tmp_path: Path):
    r = repo.cli("diff", "--base", "no-such-branch")
    assert r.returncode == 2 and "git revision not found: 'no-such-branch'" in r.stderr
    r = repo.cli("diff", "--base=--output=x")  # a ref is never taken for an option of git
    assert r.returncode == 2 and "git revision not found: '--output=x'" in r.stderr
    assert not (repo.path / "x").exists()

    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "main.tf").write_text(NAT_TF, encoding="utf-8")
    r = run_cli(
        "diff", "--base", "main", cwd=plain, env={**GIT_ENV, "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    )
    assert r.returncode == 2 and "not a git repository" in r.stderr

    r = repo.cli("diff", "--base", "main", "main.tf", str(plain))
    assert r.returncode == 2 and "outside the git repository" in r.stderr
    r = repo.cli("diff", "--base", "main", "nowhere")
    assert r.returncode == 2 and "not found in the working tree nor at main: nowhere" in r.stderr

    repo.write(
        ".advisor.toml", '[budget]\nmonthly_total = 10\n\n[[budget.paths]]\npath = "a"\nmonthly_totl = 1\n'
    )
    r = repo.cli("diff", "--base", "main")
    assert r.returncode == 2
    assert ".advisor.toml:6: unknown key [[budget.paths]] 'a' 'monthly_totl'" in r.stderr


def test_rooted_analysis_matches_the_engine():
    """Diff and folder budgets keep each resource's root; everything else must equal analyze_paths."""
    from advisor.budget import analyze_rooted
    from advisor.engine import Options, analyze_paths

    options = Options()
    plain = analyze_paths([str(EXAMPLES)], options)
    rooted = analyze_rooted([str(EXAMPLES)], options)
    mine = rooted.analysis
    assert mine.monthly_cost == plain.monthly_cost > 0
    assert [(f.rule, f.span, f.message) for f in mine.findings] == [
        (f.rule, f.span, f.message) for f in plain.findings
    ]
    assert [(e.path, e.message) for e in mine.errors] == [(e.path, e.message) for e in plain.errors]
    assert [c.address for c in mine.costs] == [c.address for c in plain.costs]
    assert [r.address for r in mine.resources] == [r.address for r in plain.resources]
    assert mine.not_priced == plain.not_priced and mine.files == plain.files
    assert len(rooted.resources) == len(plain.resources) and len(rooted.costs) == len(plain.costs)
    roots = {root for root, _ in rooted.resources}
    assert (
        str(EXAMPLES / "database") in roots
        and str(EXAMPLES / "database" / "modules" / "postgres") not in roots
    )
