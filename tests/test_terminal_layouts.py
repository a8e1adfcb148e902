"""`explain`, `diff` and `history` text fit the terminal like `lint` and `cost`: the real command line
at 80 and 120 columns compared with reviewed golden files (tests/golden/, rewritten with
`ADVISOR_UPDATE_GOLDEN=1`), and every width from 60 to 200 on a repository made to be hard to lay out:
addresses and module names of up to 57 columns (a name wider than the terminal may overflow it), long commit subjects, a folder, an author, a subject and an
explanation in CJK (two columns a character).

Commits carry fixed dates, so their ids, and the goldens, are the same on every run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from advisor.display import display_width
from conftest import run_cli
from test_explain import TFVARS, FakeLLM, Reply, cli_env, completion, line_of, run, write_config
from test_history import GIT_ENV, PROVIDER, Repo
from test_terminal_output import GOLDEN, UPDATE, assert_fits, flat

__all__ = ["cli_env"]  # the explain tests' module fixture, used here as it is

WIDTHS = range(60, 201)
AUTHOR = {"GIT_AUTHOR_NAME": "山田 太郎 (東京 platform team)"}
FOLDER = "東京-production"
MODULE = "a_database_tier_for_reporting"  # its addresses: 57 columns
VOLUME = """resource "aws_ebs_volume" "analytics_scratch_space_for_nightly_jobs" {
  availability_zone = "us-east-1a"
  type              = "gp2"
  size              = SIZE
}
"""
DB = """resource "aws_db_instance" "this" {
  engine            = "postgres"
  instance_class    = "db.m5.large"
  allocated_storage = 100
  storage_type      = "gp2"
}
"""
NAT = """resource "aws_nat_gateway" "egress_for_the_reporting_cluster" {
  allocation_id = "eipalloc-0123456789abcdef0"
  subnet_id     = "subnet-0123456789abcdef0"
}
"""


def main_tf(size: int, db: bool) -> str:
    text = PROVIDER + VOLUME.replace("SIZE", str(size))
    if db:
        text += f'module "{MODULE}" {{\n  source = "../modules/db"\n}}\n'
    return text


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """Three commits by an author with a CJK name, then a working tree change for `diff`."""
    r = Repo(tmp_path_factory.mktemp("layouts") / "repo")
    r.write(f"{FOLDER}/main.tf", main_tf(100, False))
    r.git("add", "-A")
    commit = ["commit", "-q", "-m"]
    stamp = "T12:00:00+00:00"
    r.git(
        *commit,
        "Add the scratch volume for the 東京 analytics pipeline that the reporting team asked for at planning",
        env={**AUTHOR, "GIT_AUTHOR_DATE": "2026-09-01" + stamp, "GIT_COMMITTER_DATE": "2026-09-01" + stamp},
    )
    r.write("modules/db/main.tf", DB)
    r.write(f"{FOLDER}/main.tf", main_tf(100, True))
    r.git("add", "-A")
    r.git(
        *commit,
        "Call the database module from production so that the reporting jobs read a replica, not the primary",
        env={**AUTHOR, "GIT_AUTHOR_DATE": "2026-09-15" + stamp, "GIT_COMMITTER_DATE": "2026-09-15" + stamp},
    )
    r.write(f"{FOLDER}/main.tf", main_tf(800, True))
    r.git("add", "-A")
    r.git(
        *commit,
        "Resize",
        env={**AUTHOR, "GIT_AUTHOR_DATE": "2026-10-01" + stamp, "GIT_COMMITTER_DATE": "2026-10-01" + stamp},
    )
    r.write(
        f"{FOLDER}/main.tf",
        main_tf(1000, True) + NAT + VOLUME.replace("SIZE", "50").replace("analytics", "replica"),
    )
    return r


def cli(repo: Repo, *args: str, columns: int) -> str:
    r = run_cli(*args, cwd=repo.path, env={**GIT_ENV, "COLUMNS": str(columns), "ADVISOR_NO_CACHE": "1"})
    assert r.returncode in (0, 1), r.stderr
    assert "\x1b" not in r.stdout
    return r.stdout


def check_golden(text: str, name: str) -> None:
    golden = GOLDEN / name
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"{name} differs: review, then ADVISOR_UPDATE_GOLDEN=1"


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("command", ["diff", "history"])
def test_diff_and_history_match_their_golden_files_and_fit(repo: Repo, command: str, width: int) -> None:
    args = ("diff", "--base", "main") if command == "diff" else ("history",)
    text = cli(repo, *args, columns=width)
    assert_fits(text, width)
    check_golden(text, f"{command}-cjk-{width}.txt")


def test_diff_text_keeps_every_address_location_and_figure(repo: Repo) -> None:
    doc = json.loads(run_cli("diff", "--base", "main", "--format", "json", cwd=repo.path, env=GIT_ENV).stdout)
    assert doc["resources"] and doc["new_findings"]
    for width in (60, 80, 200):
        text = cli(repo, "diff", "--base", "main", columns=width)
        assert_fits(text, width)
        words = text.split()
        for res in doc["resources"]:
            assert res["address"] in words, res  # never cut
            assert f"{res['path']}:{res['line']}" in words
            assert f"${res['monthly_cost_after']:,.2f}" in words
        for f in doc["new_findings"]:
            assert f"{f['path']}:{f['line']}:{f['column']}:" in words
            assert f"{f['severity']}[{f['rule']}]" in words and flat(f["message"]) in flat(text)
        assert f"${doc['totals']['after']:,.2f}" in words


def test_history_text_keeps_every_commit_figure_and_mover(repo: Repo) -> None:
    doc = json.loads(run_cli("history", "--format", "json", cwd=repo.path, env=GIT_ENV).stdout)
    for width in (60, 80, 200):
        text = cli(repo, "history", columns=width)
        assert_fits(text, width)
        words = text.split()
        for c in doc["commits"]:
            assert c["commit"][:12] in words and f"${c['monthly_cost']:,.2f}" in words
            for m in c["movers"]:
                assert m["address"] in words, m
        # the subject is cut to the room left, never dropped: its first words are there
        assert "Add the scratch" in text and "Resize" in words


def in_process(repo: Repo, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> argparse.Namespace:
    from advisor.cli import build_parser

    monkeypatch.chdir(repo.path)
    for k, v in {**GIT_ENV, "ADVISOR_NO_CACHE": "1"}.items():
        monkeypatch.setenv(k, v)
    return build_parser().parse_args(argv)


def test_diff_and_history_fit_every_width_from_60_to_200(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writers on the real results, laid out at each width: only a single word wider than the
    terminal (none here is) may make a line longer."""
    from advisor.batch import load_config_for, options_for
    from advisor.diff import run_diff
    from advisor.history import run_history
    from advisor.report import diff_report, history_report

    args = in_process(repo, ["diff", "--base", "main"], monkeypatch)
    config = load_config_for(args)
    result = run_diff(args, config, options_for(args, config))
    history = run_history(in_process(repo, ["history"], monkeypatch))
    for width in WIDTHS:
        for text in (diff_report.render_text(result, width), history_report.render_text(history, width)):
            for line in text.splitlines():
                assert display_width(line) <= width, (width, line)


LONG_ANSWER = (
    "gp3 は gp2 と同じ IOPS をより安く提供します。Switching keeps the 3,000 IOPS baseline and "
    "125 MiB/s for $0.08 per GB-month instead of $0.10:\n"
    "- check the workload's throughput in CloudWatch (VolumeReadBytes, VolumeWriteBytes) first;\n"
    "- 東京リージョンでは価格が異なります: ap-northeast-1 charges $0.096 per GB-month for gp3.\n"
)


def explain_project(tmp_path: Path, url: str) -> tuple[Path, str]:
    """A project whose finding sits in a folder with a CJK name, and the location to explain."""
    from test_explain import MAIN_TF

    root = tmp_path / "proj"
    folder = root / f"{FOLDER}-データベース層"
    folder.mkdir(parents=True)
    (folder / "main.tf").write_text(MAIN_TF, encoding="utf-8")
    (folder / "terraform.tfvars").write_text(TFVARS, encoding="utf-8")
    write_config(root, url)
    line = line_of(MAIN_TF, 'storage_type      = "gp2"')
    return root, f"{folder.name}/main.tf:{line}"


@pytest.mark.parametrize("width", [80, 120])
def test_explain_matches_its_golden_file_and_fits(
    tmp_path: Path, cli_env: dict[str, str], width: int
) -> None:
    llm = FakeLLM().then(Reply(body=completion(LONG_ANSWER)))
    try:
        root, location = explain_project(tmp_path, llm.base_url)
        r = run({**cli_env, "COLUMNS": str(width)}, "explain", location, "--stats", cwd=root)
    finally:
        llm.close()
    assert r.returncode == 0, r.stderr
    assert_fits(r.stdout, width)
    assert f"{location}:" in r.stdout and "[rds-gp2-to-gp3]" in r.stdout
    assert "$0.096" in r.stdout.split() and "ap-northeast-1" in r.stdout.split()
    check_golden(r.stdout, f"explain-cjk-{width}.txt")


def test_explain_fits_every_width_from_60_to_200(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """The real command at each width (answers from the cache after the first), at 60, 95, 130, 165 and
    200 columns to keep the run short; the layout itself is checked at every width below."""
    llm = FakeLLM()
    llm.default = Reply(body=completion(LONG_ANSWER))
    try:
        root, location = explain_project(tmp_path, llm.base_url)
        for width in [*range(60, 201, 35), 200]:
            r = run({**cli_env, "COLUMNS": str(width)}, "explain", location, "--stats", cwd=root)
            assert r.returncode == 0, r.stderr
            for line in r.stdout.splitlines():
                assert display_width(line) <= width, (width, line)
    finally:
        llm.close()
    assert len(llm.seen) == 1


def test_an_explanation_fits_every_width_from_60_to_200() -> None:
    from advisor.display import explanation_lines

    for width in WIDTHS:
        lines = explanation_lines(LONG_ANSWER, width)
        assert all(display_width(line) <= width for line in lines), width
        assert flat(" ".join(lines)).replace("- ", "") == flat(LONG_ANSWER).replace("- ", "")


def test_wide_characters_are_cut_by_columns() -> None:
    from advisor.display import cut

    assert cut("東京の分析パイプライン", 9) == "東京の分…" and display_width(cut("東京の分析", 9)) <= 9
    assert cut("Resize", 6) == "Resize" and cut("Resize the volume", 10) == "Resize th…"
