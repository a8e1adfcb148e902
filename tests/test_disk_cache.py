"""The on-disk cache: a second run of an unchanged tree reuses results; any change is seen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

VOLUME = 'resource "aws_ebs_volume" "v" {{\n  type = "{t}"\n  size = 10\n}}\n'


@pytest.fixture
def cache_env(tmp_path: Path) -> dict[str, str]:
    """A fresh cache folder (its own key; lark's tables are stored there too when a run needs them)."""
    return {"ADVISOR_CACHE_DIR": str(tmp_path / "cache")}


def rules(out: str) -> list[str]:
    return [f["rule"] for f in json.loads(out)["findings"]]


def test_second_run_is_served_from_cache_and_sees_changes(tmp_path: Path, cache_env: dict[str, str]):
    proj = tmp_path / "proj"
    (proj / "modules" / "disk").mkdir(parents=True)
    (proj / "main.tf").write_text('module "d" {\n  source = "./modules/disk"\n  t = "gp2"\n}\n')
    (proj / "modules" / "disk" / "main.tf").write_text(
        'variable "t" {}\n' + VOLUME.format(t="${var.t}").replace('"${var.t}"', "var.t")
    )
    first = run_cli("lint", str(proj), "--format", "json", env=cache_env)
    assert rules(first.stdout) == ["ebs-gp2-to-gp3"]
    entries = list((tmp_path / "cache").rglob("*"))
    assert any(p.is_file() for p in entries)
    second = run_cli("lint", str(proj), "--format", "json", env=cache_env)
    assert second.stdout == first.stdout
    # a change in the child module is seen, though only the root's call was cached
    (proj / "modules" / "disk" / "main.tf").write_text('variable "t" {}\nresource "aws_eip" "e" {}\n')
    third = run_cli("lint", str(proj), "--format", "json", env=cache_env)
    assert rules(third.stdout) == ["eip-unattached"]
    # a new tfvars file in the root is seen too
    import shutil

    shutil.rmtree(proj / "modules")
    (proj / "main.tf").write_text(
        'variable "t" { default = "gp3" }\n' + VOLUME.format(t="gp3").replace('"gp3"', "var.t")
    )
    assert rules(run_cli("lint", str(proj), "--format", "json", env=cache_env).stdout) == []
    (proj / "terraform.tfvars").write_text('t = "gp2"\n')
    assert rules(run_cli("lint", str(proj), "--format", "json", env=cache_env).stdout) == ["ebs-gp2-to-gp3"]


def test_options_are_part_of_the_key(tmp_path: Path, cache_env: dict[str, str]):
    (tmp_path / "main.tf").write_text(
        'variable "t" { default = "gp3" }\n' + VOLUME.format(t="x").replace('"x"', "var.t")
    )
    assert rules(run_cli("lint", str(tmp_path), "--format", "json", env=cache_env).stdout) == []
    out = run_cli("lint", str(tmp_path), "--format", "json", "--var", "t=gp2", env=cache_env).stdout
    assert rules(out) == ["ebs-gp2-to-gp3"]


def test_corrupt_entries_are_misses_and_cache_can_be_disabled(tmp_path: Path, cache_env: dict[str, str]):
    (tmp_path / "main.tf").write_text(VOLUME.format(t="gp2"))
    run_cli("lint", str(tmp_path), env=cache_env)
    for p in (Path(cache_env["ADVISOR_CACHE_DIR"])).rglob("*"):
        if p.is_file() and "parse-" in str(p.parent.parent):
            p.write_bytes(b"not a pickle")
    r = run_cli("lint", str(tmp_path), "--format", "json", env=cache_env)
    assert rules(r.stdout) == ["ebs-gp2-to-gp3"]
    off = dict(cache_env, ADVISOR_NO_CACHE="1", ADVISOR_CACHE_DIR=str(tmp_path / "other"))
    assert rules(run_cli("lint", str(tmp_path), "--format", "json", env=off).stdout) == ["ebs-gp2-to-gp3"]
    assert not list((tmp_path / "other").glob("parse-*"))


def test_file_parses_are_stored_once_a_module_changes(tmp_path: Path, cache_env: dict[str, str]):
    """A first run stores module outcomes only; a changed module stores its files' parses for the next."""
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "a.tf").write_text(VOLUME.format(t="gp2"))
    (proj / "b.tf").write_text(VOLUME.format(t="gp3").replace('"v"', '"w"'))
    cache = Path(cache_env["ADVISOR_CACHE_DIR"])

    def entries() -> int:
        return sum(1 for p in cache.glob("parse-*/*/*") if p.is_file() and not p.name.startswith(".tmp-"))

    run_cli("lint", str(proj), "--format", "json", env=cache_env)
    assert entries() == 2  # the module's outcome and the report
    (proj / "a.tf").write_text(VOLUME.format(t="gp3"))
    assert rules(run_cli("lint", str(proj), "--format", "json", env=cache_env).stdout) == []
    assert entries() == 4  # the outcome and the report (both replaced), the parses of a.tf and b.tf
    (proj / "a.tf").write_text(VOLUME.format(t="gp2"))
    assert rules(run_cli("lint", str(proj), "--format", "json", env=cache_env).stdout) == ["ebs-gp2-to-gp3"]
    assert entries() == 5  # b.tf's parse was read back; a.tf's new text added one


def test_outcomes_without_resource_bodies_report_the_same(tmp_path: Path):
    """`lint` keeps no resource attributes in its outcomes; findings, costs and places are unchanged."""
    from advisor.engine import Options, analyze_paths

    (tmp_path / "main.tf").write_text(VOLUME.format(t="gp2") + 'resource "aws_eip" "lean" {}\n')
    full = analyze_paths([str(tmp_path)], Options(jobs=1))
    lean = analyze_paths([str(tmp_path)], Options(jobs=1, resource_bodies=False))
    assert lean.findings == full.findings and lean.costs == full.costs and lean.errors == full.errors
    assert [(r.address, r.span, r.root) for r in lean.resources] == [
        (r.address, r.span, r.root) for r in full.resources
    ]
    assert any(r.body.attributes for r in full.resources)
    assert not any(r.body.attributes or r.body.blocks for r in lean.resources)


def test_a_run_served_from_stored_outcomes_loads_no_parser(tmp_path: Path, cache_env: dict[str, str]):
    """The warm run's start-up: stored outcomes need the model, not the parsers or evaluators."""
    (tmp_path / "main.tf").write_text(VOLUME.format(t="gp2"))
    first = run_cli("lint", str(tmp_path), "--format", "json", env=cache_env)
    # another failure level: not the stored report, but every module's stored outcome
    importtime = dict(cache_env, PYTHONPROFILEIMPORTTIME="1")
    warm = run_cli("lint", str(tmp_path), "--format", "json", "--fail-on", "never", env=importtime)
    assert warm.stdout == first.stdout and (first.returncode, warm.returncode) == (1, 0)
    imported = {line.rsplit("|", 1)[-1].strip() for line in warm.stderr.splitlines() if "|" in line}
    assert "advisor.engine" in imported
    assert not {"advisor.iac.terraform", "advisor.iac.hcl_parse", "advisor.pricing.estimators"} & imported


def test_an_unchanged_tree_gets_its_stored_report(tmp_path: Path, cache_env: dict[str, str]):
    """The same command on the same tree: the stored report, exit code and budget message, unrendered."""
    proj = tmp_path / "proj"
    (proj / "app").mkdir(parents=True)
    (proj / "app" / "main.tf").write_text(VOLUME.format(t="gp2"))
    (proj / "app" / "params.json").write_text('{"not": "a template"}')
    (proj / ".advisor.toml").write_text("[budget]\nmonthly_total = 0.5\n")
    args = ("lint", str(proj), "--format", "json")
    first = run_cli(*args, env=cache_env)
    assert rules(first.stdout) == ["ebs-gp2-to-gp3"] and "budget exceeded" in first.stderr
    again = run_cli(*args, env=dict(cache_env, PYTHONPROFILEIMPORTTIME="1"))
    imported = {line.rsplit("|", 1)[-1].strip() for line in again.stderr.splitlines() if "|" in line}
    assert "advisor.engine.stored" in imported and "advisor.report.json_report" not in imported
    assert again.stdout == first.stdout and again.returncode == first.returncode == 1
    assert [line for line in again.stderr.splitlines() if "|" not in line] == first.stderr.splitlines()
    # each kind of change is seen: a file's content, a new folder, a file that becomes a template
    (proj / "app" / "main.tf").write_text(VOLUME.format(t="gp3"))
    assert rules(run_cli(*args, env=cache_env).stdout) == []
    (proj / "more").mkdir()
    (proj / "more" / "main.tf").write_text('resource "aws_eip" "e" {}\n')
    assert rules(run_cli(*args, env=cache_env).stdout) == ["eip-unattached"]
    (proj / "app" / "params.json").write_text(
        '{"Resources": {"V": {"Type": "AWS::EC2::Volume", "Properties": {"VolumeType": "gp2", "Size": 10}}}}'
    )
    assert rules(run_cli(*args, env=cache_env).stdout) == ["ebs-gp2-to-gp3", "eip-unattached"]
    # the working folder is part of the key: paths in the report are relative to it
    elsewhere = run_cli(*args, env=cache_env, cwd=proj)
    assert json.loads(elsewhere.stdout)["findings"][0]["path"] == "app/params.json"
