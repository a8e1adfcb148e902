"""The real command line, run as a subprocess."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import jsonschema
import pytest
from conftest import EXAMPLES, run_cli

HERE = Path(__file__).resolve().parent


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "main.tf").write_text(
        'resource "aws_ebs_volume" "data" {\n  availability_zone = "us-east-1a"\n  type = "io1"\n'
        "  size = 500\n  iops = 10000\n}\n",
        encoding="utf-8",
    )
    return tmp_path


def test_version_is_fast():
    start = time.perf_counter()
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("advisor ")
    assert time.perf_counter() - start < 10  # generous: this is a smoke test, speed lives in benchmarks/


def test_lint_text_exit_code_and_message(project: Path):
    r = run_cli("lint", str(project))
    assert r.returncode == 1, r.stderr
    assert "warning[ebs-io1-to-gp3]" in r.stdout
    assert "$712.50 → $75.00/mo" in r.stdout
    assert "main.tf:3:" in r.stdout


def test_fail_on_threshold(project: Path):
    assert run_cli("lint", str(project), "--fail-on", "error").returncode == 0
    assert run_cli("lint", str(project), "--fail-on", "never").returncode == 0
    assert run_cli("lint", str(project), "--fail-on", "info").returncode == 1


def test_select_and_ignore(project: Path):
    r = run_cli("lint", str(project), "--ignore", "ebs-io1-to-gp3", "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["findings"] == []
    r = run_cli("lint", str(project), "--select", "ebs-gp2-to-gp3", "--format", "json")
    assert json.loads(r.stdout)["findings"] == []
    r = run_cli("lint", str(project), "--select", "no-such-rule")
    assert r.returncode == 2 and "unknown rule id" in r.stderr


def test_json_contract(project: Path):
    r = run_cli("lint", str(project), "--format", "json", cwd=project)
    doc = json.loads(r.stdout)
    assert doc["version"] == 1 and doc["tool"]["name"] == "advisor"
    assert set(doc["pricing"]) == {"source", "as_of", "default_region"}
    assert doc["summary"]["findings"] == 1 and doc["summary"]["resources"] == 1
    f = doc["findings"][0]
    assert f["rule"] == "ebs-io1-to-gp3" and f["path"] == "main.tf"
    assert (f["line"], f["column"], f["end_line"], f["end_column"]) == (3, 10, 3, 15)
    assert f["current"] == "io1" and f["suggested"] == "gp3"
    assert f["monthly_cost"] == 712.5 and f["monthly_cost_after"] == 75.0 and f["monthly_savings"] == 637.5
    assert f["fix"][0]["new_text"] == '"gp3"'


def test_sarif_is_valid(project: Path):
    r = run_cli("lint", str(project), "--format", "sarif", cwd=project)
    doc = json.loads(r.stdout)
    schema = json.loads((HERE / "sarif_subset_schema.json").read_text())
    jsonschema.validate(doc, schema)
    run = doc["runs"][0]
    ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert len(ids) == len(set(ids))
    res = run["results"][0]
    assert ids[res["ruleIndex"]] == res["ruleId"] == "ebs-io1-to-gp3"
    assert res["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"] == '"gp3"'


def test_github_annotations(project: Path):
    r = run_cli("lint", str(project), "--format", "github", cwd=project)
    assert r.stdout.startswith("::warning file=main.tf,line=3,col=10,")
    assert "title=ebs-io1-to-gp3::" in r.stdout


def test_output_file(project: Path, tmp_path: Path):
    out = tmp_path / "report.json"
    r = run_cli("lint", str(project), "--format", "json", "--output", str(out))
    assert r.stdout == "" and json.loads(out.read_text())["summary"]["findings"] == 1


def test_usage_errors_exit_2(tmp_path: Path):
    assert run_cli("lint", "--format", "xml").returncode == 2
    r = run_cli("lint", str(tmp_path), "--var", "novalue")
    assert r.returncode == 2 and "NAME=VALUE" in r.stderr
    r = run_cli("lint", str(tmp_path), "--config", str(tmp_path / "missing.toml"))
    assert r.returncode == 2


def test_bad_config_names_file_and_line(tmp_path: Path, project: Path):
    (project / ".advisor.toml").write_text('region = "us-east-1"\n[rules]\ndisabel = ["x"]\n')
    r = run_cli("lint", str(project))
    assert r.returncode == 2
    assert ".advisor.toml:3" in r.stderr and "disabel" in r.stderr


def test_config_disables_rule_and_overrides_severity(project: Path):
    (project / ".advisor.toml").write_text('[rules]\nseverity = { "ebs-io1-to-gp3" = "info" }\n')
    r = run_cli("lint", str(project), "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["findings"][0]["severity"] == "info"
    (project / ".advisor.toml").write_text('[rules]\ndisable = ["ebs-io1-to-gp3"]\n')
    assert run_cli("lint", str(project)).returncode == 0


def test_bad_files_never_crash(tmp_path: Path):
    (tmp_path / "binary.tf").write_bytes(b"\x00\x01\x02resource")
    (tmp_path / "latin1.tf").write_bytes('# caf\xe9\nresource "aws_eip" "a" {}\n'.encode("latin-1"))
    (tmp_path / "huge.tf").write_bytes(b"# x\n" * (1_400_000))
    (tmp_path / "ok.tf").write_text('resource "aws_ebs_volume" "v" {\n  type = "gp2"\n  size = 10\n}\n')
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    r = run_cli("lint", str(tmp_path), "--format", "json")
    assert r.returncode == 3, r.stderr  # a skipped file leaves the analysis incomplete
    doc = json.loads(r.stdout)
    messages = {Path(e["path"]).name: e["message"] for e in doc["errors"]}
    assert "binary" in messages["binary.tf"]
    assert "UTF-8" in messages["latin1.tf"]
    assert messages["huge.tf"] == "skipped: 5.3 MB, over the 4 MB limit for Terraform files"
    assert [f["rule"] for f in doc["findings"]] == ["ebs-gp2-to-gp3"]


def test_skips_terraform_git_and_gitignored(tmp_path: Path):
    vol = 'resource "aws_ebs_volume" "v" {\n  type = "gp2"\n  size = 10\n}\n'
    for d in (".terraform/modules/x", ".git", "ignored", "kept"):
        (tmp_path / d).mkdir(parents=True)
        (tmp_path / d / "main.tf").write_text(vol)
    (tmp_path / ".gitignore").write_text("ignored/\n")
    doc = json.loads(run_cli("lint", str(tmp_path), "--format", "json", cwd=tmp_path).stdout)
    assert {f["path"] for f in doc["findings"]} == {"kept/main.tf"}


def test_parse_error_is_a_finding_and_rest_is_checked(tmp_path: Path):
    (tmp_path / "main.tf").write_text(
        'resource "aws_instance" "x" {\n  instance_type = \n}\n\n'
        'resource "aws_ebs_volume" "v" {\n  type = "gp2"\n  size = 10\n}\n'
    )
    doc = json.loads(run_cli("lint", str(tmp_path), "--format", "json", cwd=tmp_path).stdout)
    rules = [f["rule"] for f in doc["findings"]]
    assert rules == ["parse-error", "ebs-gp2-to-gp3"]
    assert doc["summary"]["parse_errors"] == 1
    assert doc["findings"][0]["line"] in (2, 3)


def test_deterministic_output_with_many_modules(tmp_path: Path):
    for i in range(20):
        d = tmp_path / f"m{i:02d}"
        d.mkdir()
        (d / "main.tf").write_text(
            f'resource "aws_ebs_volume" "v" {{\n  type = "gp2"\n  size = {10 + i}\n}}\n'
        )
    a = run_cli("lint", str(tmp_path), "--format", "json", "--jobs", "2", cwd=tmp_path).stdout
    b = run_cli("lint", str(tmp_path), "--format", "json", "--jobs", "1", cwd=tmp_path).stdout
    assert a == b and len(json.loads(a)["findings"]) == 20


def test_cost_json(tmp_path: Path):
    (tmp_path / "main.tf").write_text(
        'resource "aws_instance" "web" {\n  count = 3\n  instance_type = "m5.large"\n}\n'
        'resource "aws_gamelift_fleet" "q" { name = "x" }\n'
    )
    r = run_cli("cost", str(tmp_path), "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    addresses = [x["address"] for x in doc["resources"]]
    assert addresses == ["aws_instance.web[0]", "aws_instance.web[1]", "aws_instance.web[2]"]
    assert doc["not_priced"] == ["aws_gamelift_fleet.q"]
    comp = doc["resources"][0]["components"][0]
    assert comp["quantity"] == 730 and comp["unit_price"] == 0.096
    assert doc["total"] == pytest.approx(3 * doc["resources"][0]["monthly_cost"], abs=0.011)


def test_cost_text(tmp_path: Path):
    (tmp_path / "main.tf").write_text('resource "aws_instance" "web" {\n  instance_type = "m5.large"\n}\n')
    r = run_cli("cost", str(tmp_path))
    assert r.returncode == 0 and "aws_instance.web" in r.stdout and "Total" in r.stdout


def test_rules_listing():
    r = run_cli("rules", "--format", "json")
    ids = {x["id"] for x in json.loads(r.stdout)}
    assert {"ebs-gp2-to-gp3", "ec2-graviton", "parse-error", "tags-missing"} <= ids


def test_examples_lint_and_every_rule_fires():
    r = run_cli("lint", str(EXAMPLES), "--format", "json", cwd=EXAMPLES.parent)
    doc = json.loads(r.stdout)
    # a rule may fire as an alternative of a finding on the same value
    fired = {a["rule"] for f in doc["findings"] for a in f["alternatives"] or [f]}
    listed = {x["id"] for x in json.loads(run_cli("rules", "--format", "json").stdout)}
    assert fired == listed, f"rules without a finding in examples/: {sorted(listed - fired)}"


def _apply(text: str, edits: list[dict]) -> str:
    lines = text.split("\n")
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln) + 1)

    def off(line: int, col: int) -> int:
        return offsets[line - 1] + col - 1

    for e in sorted(edits, key=lambda e: (e["line"], e["column"]), reverse=True):
        start, end = off(e["line"], e["column"]), off(e["end_line"], e["end_column"])
        text = text[:start] + e["new_text"] + text[end:]
    return text


def test_every_fix_in_examples_round_trips(tmp_path: Path):
    work = tmp_path / "examples"
    shutil.copytree(EXAMPLES, work)
    before = json.loads(run_cli("lint", str(work), "--format", "json", cwd=tmp_path).stdout)
    fixable = [f for f in before["findings"] if f["fix"]]
    assert len(fixable) >= 8
    by_file: dict[str, list[dict]] = {}
    taken: set[tuple] = set()
    applied = []
    for f in fixable:
        keys = [(e["path"], e["line"], e["column"], e["end_line"], e["end_column"]) for e in f["fix"]]
        if any(k in taken for k in keys):
            continue  # another finding's fix already rewrites this value (e.g. graviton vs newer generation)
        taken.update(keys)
        applied.append(f)
        for e in f["fix"]:
            by_file.setdefault(e["path"], []).append(e)
    for path, edits in by_file.items():
        p = tmp_path / path
        p.write_text(_apply(p.read_text(encoding="utf-8"), edits), encoding="utf-8")
    after = json.loads(run_cli("lint", str(work), "--format", "json", cwd=tmp_path).stdout)
    assert after["summary"]["parse_errors"] == before["summary"]["parse_errors"]
    remaining = {(f["rule"], f["resource"]) for f in after["findings"]}
    for f in applied:
        assert (f["rule"], f["resource"]) not in remaining, (
            f"fix did not clear {f['rule']} on {f['resource']}"
        )


def test_very_large_json_reports_are_compact_and_parse_the_same() -> None:
    """Above COMPACT_ABOVE findings the report is written for programs: one line, ASCII escapes."""
    from advisor.engine import Analysis
    from advisor.model import Finding, Span, TextEdit
    from advisor.report import json_report

    def analysis(n: int) -> Analysis:
        span = Span("main.tf", 3, 10, 3, 15)
        finding = Finding(
            "ebs-gp2-to-gp3", "warning", "gp2 → gp3: $10.00 → $8.00/mo (−20%)", span,
            resource="aws_ebs_volume.v", current="gp2", suggested="gp3", monthly_cost=10.0,
            monthly_cost_after=8.0, fix=[TextEdit(span, '"gp3"')],
        )  # fmt: skip
        return Analysis(files=["main.tf"], findings=[finding] * n)

    small = json_report.render(analysis(json_report.COMPACT_ABOVE), "us-east-1")
    large = json_report.render(analysis(json_report.COMPACT_ABOVE + 1), "us-east-1")
    assert "\n  " in small and "→" in small
    assert large.count("\n") == 1 and large.isascii()
    small_doc, large_doc = json.loads(small), json.loads(large)
    assert large_doc["findings"][0] == small_doc["findings"][0]
    assert large_doc["findings"][0]["message"] == "gp2 → gp3: $10.00 → $8.00/mo (−20%)"
    assert large_doc["findings"][0]["fix"][0] == {
        "path": "main.tf", "line": 4, "column": 11, "end_line": 4, "end_column": 16, "new_text": '"gp3"'
    }  # fmt: skip
    assert large_doc["summary"]["monthly_savings"] == round(2.0 * (json_report.COMPACT_ABOVE + 1), 2)


def test_help_lists_every_command_and_each_command_builds_its_own_parser() -> None:
    top = run_cli("--help")
    assert top.returncode == 0
    for name in ("lint", "cost", "serve", "pricing", "rules", "explain", "diff"):
        assert f"    {name} " in top.stdout
    lint = run_cli("lint", "--help")
    assert lint.returncode == 0 and "--fail-on" in lint.stdout and "--base" not in lint.stdout
    assert "--base" in run_cli("diff", "--help").stdout
    narrow = run_cli("lint", "--help", env={"COLUMNS": "60"})  # the help follows the terminal's width
    assert max(map(len, narrow.stdout.splitlines())) < max(map(len, lint.stdout.splitlines()))
    wrong = run_cli("lnt", "examples")
    assert wrong.returncode == 2 and "invalid choice: 'lnt'" in wrong.stderr and "'diff'" in wrong.stderr
