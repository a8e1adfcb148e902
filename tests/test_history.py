"""`advisor history` on real git repositories, through the real command line.

Each commit's figures are checked against `advisor cost` and `advisor lint` run on an export of that
commit (`git archive`), so history and the other commands agree to the cent. Movers are checked
against list prices: gp2 $0.10/GB-mo in us-east-1, so a 100 GB → 500 GB volume moves the total $40.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Alice Example",
    "GIT_AUTHOR_EMAIL": "alice@example.invalid",
    "GIT_COMMITTER_NAME": "Alice Example",
    "GIT_COMMITTER_EMAIL": "alice@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}

PROVIDER = 'provider "aws" {\n  region = "us-east-1"\n}\n'
VOLUME = """resource "aws_ebs_volume" "data" {
  availability_zone = "us-east-1a"
  type              = "gp2"
  size              = SIZE
}
"""
WEB = """resource "aws_instance" "web" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "TYPE"
}
"""
DB_MODULE = """variable "class" {
  type    = string
  default = "db.t3.micro"
}
resource "aws_db_instance" "this" {
  engine            = "postgres"
  instance_class    = var.class
  allocated_storage = 20
  storage_type      = "gp3"
}
"""
DB_CALL = """module "db" {
  source = "../modules/db"
  class  = "CLASS"
}
"""
STACK = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Cache:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: us-east-1a
      VolumeType: gp2
      Size: 200
"""


class Repo:
    """A scratch repository whose commits carry fixed dates."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True)
        self.git("-c", "init.defaultBranch=main", "init", "-q")

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        full = {**os.environ, **GIT_ENV, **(env or {})}
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=full, capture_output=True, text=True, check=True
        )
        return done.stdout

    def write(self, rel: str, text: str) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def commit(self, message: str, date: str) -> str:
        self.git("add", "-A")
        stamp = f"{date}T12:00:00+00:00"
        self.git("commit", "-q", "-m", message, env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
        return self.git("rev-parse", "HEAD").strip()

    def cli(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, cwd=cwd or self.path, env=GIT_ENV)

    def history(self, *args: str, code: int = 0, cwd: Path | None = None) -> dict[str, Any]:
        r = self.cli("history", *args, "--format", "json", cwd=cwd)
        assert r.returncode == code, r.stderr + r.stdout
        doc: dict[str, Any] = json.loads(r.stdout)
        return doc


def app(size: int, web: str | None, db: str | None) -> str:
    text = PROVIDER + VOLUME.replace("SIZE", str(size))
    if web:
        text += WEB.replace("TYPE", web)
    if db:
        text += DB_CALL.replace("CLASS", db)
    return text


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, list[str]]:
    """Commits that add, resize, retype and remove resources, change a module, add a stack, and one
    that changes nothing priced."""
    repo = Repo(tmp_path_factory.mktemp("history") / "repo")
    ids = []
    repo.write("app/main.tf", app(100, None, None))
    ids.append(repo.commit("Add the data volume", "2026-08-20"))
    repo.write("app/main.tf", app(100, "m5.large", None))
    ids.append(repo.commit("Add the web server", "2026-09-02"))
    repo.write("app/main.tf", app(500, "m5.large", None))
    ids.append(repo.commit("Resize the data volume", "2026-09-10"))
    repo.write("app/main.tf", app(500, "m5.2xlarge", None))
    ids.append(repo.commit("Retype web to m5.2xlarge", "2026-09-15"))
    repo.write("modules/db/main.tf", DB_MODULE)
    repo.write("app/main.tf", app(500, "m5.2xlarge", "db.t3.micro"))
    ids.append(repo.commit("Call the database module", "2026-09-20"))
    repo.write(
        "modules/db/main.tf",
        DB_MODULE.replace("instance_class    = var.class", 'instance_class    = "db.m5.large"'),
    )
    ids.append(repo.commit("Pin the module's instance class", "2026-10-01"))
    repo.write("stacks/cache.yaml", STACK)
    ids.append(repo.commit("Add the cache stack", "2026-10-05"))
    repo.write("app/main.tf", app(500, None, "db.t3.micro"))
    ids.append(repo.commit("Remove the web server", "2026-10-12"))
    repo.write("README.md", "# infra\n")
    ids.append(repo.commit("Describe the project", "2026-10-20"))
    return repo, ids


def export(repo: Repo, commit: str, dest: Path) -> Path:
    """The files of `commit`, as a checkout would have them (`git archive`, no work tree change)."""
    data = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=repo.path, capture_output=True, check=True
    ).stdout
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def test_each_commit_total_equals_cost_and_lint_on_a_checkout_of_it(project, tmp_path: Path):
    repo, ids = project
    doc = repo.history()
    commits = doc["commits"]
    assert [c["commit"] for c in commits] == ids  # oldest first, first parents, all of them
    for n, c in enumerate(commits):
        folder = export(repo, c["commit"], tmp_path / f"c{n}")
        cost = run_cli("cost", "--format", "json", cwd=folder)
        assert cost.returncode == 0, cost.stderr
        expected = json.loads(cost.stdout)
        assert c["monthly_cost"] == expected["total"], c["subject"]
        assert c["resources"] == len(expected["resources"]) + len(expected["not_priced"])
        lint = run_cli("lint", "--format", "json", "--fail-on", "never", cwd=folder)
        summary = json.loads(lint.stdout)["summary"]
        assert (c["findings"], c["monthly_savings"]) == (summary["findings"], summary["monthly_savings"])
        # the groups and the services each add up to the total
        assert round(sum(g["monthly_cost"] for g in c["groups"]), 2) == c["monthly_cost"]
        assert round(sum(s["monthly_cost"] for s in c["services"]), 2) == c["monthly_cost"]
        assert c["author"] == "Alice Example" and not c["incomplete"]
    previous = 0.0  # the first commit has no parent: it starts from $0
    for c in commits:
        assert c["monthly_delta"] == round(c["monthly_cost"] - previous, 2)
        previous = c["monthly_cost"]


def test_movers_name_the_resources_that_moved_the_total(project):
    repo, _ = project
    commits = {c["subject"]: c for c in repo.history()["commits"]}

    def moved(subject: str) -> list[tuple[str, str, str, float]]:
        return [
            (m["change"], m["module"], m["address"], m["monthly_delta"]) for m in commits[subject]["movers"]
        ]

    assert moved("Add the data volume") == [("added", "app", "aws_ebs_volume.data", 10.0)]
    assert moved("Resize the data volume") == [("changed", "app", "aws_ebs_volume.data", 40.0)]
    [(change, module, address, delta)] = moved("Add the web server")
    assert (change, module, address) == ("added", "app", "aws_instance.web") and delta > 0
    [(change, _, address, delta)] = moved("Retype web to m5.2xlarge")
    assert (change, address) == ("changed", "aws_instance.web") and delta > 0
    [(change, module, address, _)] = moved("Call the database module")
    assert (change, module, address) == ("added", "app", "module.db.aws_db_instance.this")
    # a change inside the module's files moves the root module that calls it
    [(change, module, address, delta)] = moved("Pin the module's instance class")
    assert (change, module, address) == ("changed", "app", "module.db.aws_db_instance.this") and delta > 0
    assert moved("Add the cache stack") == [("added", "stacks/cache.yaml", "Cache", 20.0)]
    [(change, _, address, delta)] = moved("Remove the web server")
    assert (change, address) == ("removed", "aws_instance.web") and delta < 0
    quiet = commits["Describe the project"]
    assert quiet["monthly_delta"] == 0.0 and quiet["movers"] == []
    # the stack is its own group, beside the root module
    groups = {(g["kind"], g["name"]): g["monthly_cost"] for g in quiet["groups"]}
    assert groups[("stack", "stacks/cache.yaml")] == 20.0 and ("module", "app") in groups
    services = {s["service"] for s in quiet["services"]}
    assert {"EBS", "RDS"} <= services and "EC2" not in services


def test_a_range_max_commits_and_since_choose_the_commits_and_keep_the_first_delta(project):
    repo, ids = project
    full = {c["commit"]: c for c in repo.history()["commits"]}
    ranged = repo.history("--range", f"{ids[2]}..{ids[5]}")["commits"]
    assert [c["commit"] for c in ranged] == ids[3:6]
    # the commit before the range is the baseline: the first delta is the same as in the full history
    assert [(c["monthly_cost"], c["monthly_delta"]) for c in ranged] == [
        (full[i]["monthly_cost"], full[i]["monthly_delta"]) for i in ids[3:6]
    ]
    newest = repo.history("--max-commits", "2")["commits"]
    assert [c["commit"] for c in newest] == ids[-2:]
    assert newest[0]["monthly_delta"] == full[ids[-2]]["monthly_delta"]
    since = repo.history("--since", "2026-10-01T00:00:00Z")["commits"]
    assert [c["commit"] for c in since] == ids[5:]
    # a folder of the repository: only what is under it (and the modules it calls)
    stack_only = repo.history("stacks")["commits"]
    assert [c["monthly_cost"] for c in stack_only][-3:] == [20.0, 20.0, 20.0]
    assert stack_only[0]["monthly_cost"] == 0.0


def test_bad_revision_and_range_are_usage_errors(project):
    repo, _ = project
    r = repo.cli("history", "--range", "no-such-branch")
    assert r.returncode == 2 and "no-such-branch" in r.stderr
    r = repo.cli("history", "--range", "--output=/tmp/x")  # not an option of git's
    assert r.returncode == 2 and not Path("/tmp/x").exists()
    r = repo.cli("history", "--max-commits", "0")
    assert r.returncode == 2 and "--max-commits" in r.stderr


def test_a_shallow_clone_says_what_it_could_not_see(project, tmp_path: Path):
    repo, ids = project
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "3", f"file://{repo.path}", str(clone)],
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    r = run_cli("history", "--format", "json", cwd=clone, env=GIT_ENV)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [c["commit"] for c in doc["commits"]] == ids[-3:]
    assert doc["commits"][0]["monthly_delta"] is None  # its parent is not in the clone
    assert doc["commits"][1]["monthly_delta"] is not None
    assert any("shallow clone" in n and ids[-3][:12] in n for n in doc["notes"])
    assert "shallow clone" in r.stderr
    text = run_cli("history", cwd=clone, env=GIT_ENV).stdout
    assert "note: shallow clone" in text and "fetch-depth: 0" in text


def test_the_working_tree_index_and_head_are_left_alone(project):
    repo, ids = project
    (repo.path / "app" / "main.tf").write_text(app(900, "m5.large", None), encoding="utf-8")  # not committed
    try:
        status = repo.git("status", "--porcelain")
        index = (repo.path / ".git" / "index").stat().st_mtime_ns
        doc = repo.history("--max-commits", "1")
        assert doc["commits"][0]["commit"] == ids[-1]  # the committed state, not the edit
        assert repo.git("status", "--porcelain") == status
        assert (repo.path / ".git" / "index").stat().st_mtime_ns == index
        assert repo.git("rev-parse", "HEAD").strip() == ids[-1]
        assert "900" in (repo.path / "app" / "main.tf").read_text(encoding="utf-8")
    finally:
        repo.git("checkout", "-q", "--", "app/main.tf")


def test_text_and_csv_outputs(project):
    repo, ids = project
    r = run_cli("history", cwd=repo.path, env={**GIT_ENV, "COLUMNS": "120"})
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("Monthly cost at 9 commits of HEAD")
    assert ids[-1][:12] in lines[2] and "Describe the project" in lines[2]  # newest first, one line
    narrow = run_cli("history", cwd=repo.path, env={**GIT_ENV, "COLUMNS": "70"}).stdout.splitlines()
    at = next(i for i, line in enumerate(narrow) if line.startswith(ids[-1][:12]))
    assert narrow[at + 2] == "    Alice Example: Describe the project"  # a commit on three lines
    assert narrow[at + 1].startswith("    ") and "findings, savings $" in narrow[at + 1]
    trend = next(line for line in lines if line.startswith("Trend"))
    assert len(trend.split(": ", 1)[1].split()[0]) == 9 and "▁" in trend and "█" in trend
    assert "+$40.00" in r.stdout and "~ app: aws_ebs_volume.data" in r.stdout
    r = repo.cli("history", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    totals = [row for row in rows if row["kind"] == "total"]
    assert [row["commit"] for row in totals] == ids
    assert {row["kind"] for row in rows} >= {"total", "module", "stack", "service", "mover"}


def test_repository_text_is_escaped_and_csv_cells_are_not_formulas(tmp_path: Path):
    repo = Repo(tmp_path / "repo")
    repo.write("main.tf", PROVIDER + VOLUME.replace("SIZE", "10"))
    repo.git("add", "-A")
    evil_env = {"GIT_AUTHOR_NAME": "Mal\x1b[31mory", "GIT_COMMITTER_DATE": "2026-09-01T00:00:00Z"}
    repo.git("commit", "-q", "-m", '=HYPERLINK("http://x.invalid","y") \u202e', env=evil_env)
    text = repo.cli("history").stdout
    assert "\x1b" not in text and "\u202e" not in text
    assert "Mal\\x1b[31mory" in text and "\\u202e" in text
    rows = list(csv.reader(io.StringIO(repo.cli("history", "--format", "csv").stdout)))
    subject = rows[1][3]
    assert subject.startswith("'=HYPERLINK") and "\\u202e" in subject


def test_unit_and_business_metrics(tmp_path: Path):
    repo = Repo(tmp_path / "repo")
    repo.write(".advisor.toml", '[unit]\nname = "order"\nmonthly_volume = 1000\n')
    repo.write("main.tf", PROVIDER + VOLUME.replace("SIZE", "100"))
    repo.commit("September: 100 GB", "2026-09-03")
    repo.write("main.tf", PROVIDER + VOLUME.replace("SIZE", "300"))
    repo.commit("October: 300 GB", "2026-10-07")
    repo.write(".advisor.toml", '[unit]\nname = "order"\nmonthly_volume = 4000\n')
    repo.write("main.tf", PROVIDER + VOLUME.replace("SIZE", "400"))
    repo.commit("November: 400 GB", "2026-11-02")
    metrics = tmp_path / "business.csv"
    metrics.write_text("month,units,revenue\n2026-09,1000,5000\n2026-10,1500,6000\n2026-11,4000,20000\n")
    doc = repo.history("--metrics", str(metrics))
    # [unit] per commit, from that commit's own configuration
    assert [c["unit"]["cost_per_unit"] for c in doc["commits"]] == [10.0 / 1000, 30.0 / 1000, 40.0 / 4000]
    months = {m["month"]: m for m in doc["months"]}
    assert months["2026-09"]["monthly_cost"] == 10.0 and months["2026-10"]["monthly_cost"] == 30.0
    assert months["2026-10"]["cost_per_unit"] == 30.0 / 1500
    assert months["2026-10"]["cost_share_of_revenue"] == 30.0 / 6000
    assert (
        months["2026-10"]["cost_growth_percent"] == 200.0
        and months["2026-10"]["units_growth_percent"] == 50.0
    )
    # cost tripled while orders grew by half: highlighted; November's orders outgrew the cost
    assert [m["cost_outgrew_business"] for m in doc["months"]] == [False, True, False]
    text = run_cli(
        "history", "--metrics", str(metrics), cwd=repo.path, env={**GIT_ENV, "COLUMNS": "160"}
    ).stdout
    assert "2026-10" in text and "cost grew faster than the business" in text and "Per order" in text
    narrow = run_cli(
        "history", "--metrics", str(metrics), cwd=repo.path, env={**GIT_ENV, "COLUMNS": "60"}
    ).stdout
    assert "$0.010000 per order" in narrow and "cost grew faster than the business" in narrow
    metrics.write_text("month,units\n2026-13,5\n")
    r = repo.cli("history", "--metrics", str(metrics))
    assert r.returncode == 2 and "business.csv:2" in r.stderr


def test_terragrunt_roots_and_roots_priced_only_by_usage(tmp_path: Path):
    """A Terragrunt root is a group of its own, its inputs decide its figures from commit to commit,
    and a root that bills only by usage says so rather than $0.00."""
    repo = Repo(tmp_path / "repo")
    repo.write(
        "modules/disk/main.tf",
        'variable "size" {}\nresource "aws_ebs_volume" "data" {\n  availability_zone = "us-east-1a"\n'
        '  size = var.size\n  type = "gp3"\n}\n',
    )
    terragrunt = 'terraform {\n  source = "../../modules/disk"\n}\ninputs = {\n  size = SIZE\n}\n'
    repo.write("live/prod/terragrunt.hcl", terragrunt.replace("SIZE", "100"))
    repo.write(
        "functions/main.tf",
        'resource "aws_lambda_function" "f" {\n  function_name = "f"\n  role = "r"\n  memory_size = 512\n}\n',
    )
    repo.commit("100 GB in prod", "2026-10-01")
    repo.write("live/prod/terragrunt.hcl", terragrunt.replace("SIZE", "500"))
    repo.commit("500 GB in prod", "2026-10-02")
    doc = repo.history()
    first, last = doc["commits"]
    # gp3 at $0.08 per GB-month in us-east-1
    assert (first["monthly_cost"], last["monthly_cost"]) == (8.0, 40.0)
    for commit in doc["commits"]:  # and what `advisor cost` says on a checkout of each commit
        tree = export(repo, commit["commit"], tmp_path / commit["commit"][:12])
        cost = json.loads(repo.cli("cost", "--format", "json", cwd=tree).stdout)
        assert cost["total"] == commit["monthly_cost"]
    groups = {g["name"]: g for g in last["groups"]}
    assert groups[os.path.join("live", "prod")]["kind"] == "terragrunt"
    assert groups[os.path.join("live", "prod")]["monthly_cost"] == 40.0
    assert groups["functions"] == {
        "kind": "module",
        "name": "functions",
        "monthly_cost": 0.0,
        "depends_on_usage": True,
    }
    assert {"service": "Lambda", "monthly_cost": 0.0, "depends_on_usage": True} in last["services"]
    (mover,) = last["movers"]
    assert mover["address"].endswith("aws_ebs_volume.data") and mover["monthly_delta"] == 32.0
    assert mover["module"] == os.path.join("live", "prod")
    text = repo.cli("history").stdout
    assert re.search(r"functions\s+depends on usage", text) and re.search(r"Lambda\s+depends on usage", text)
    assert "$0.00" not in text.split("By root module")[1].split("What moved")[0]


def _evil_tree(repo: Repo, depth: int) -> str:
    """A commit whose tree holds `../`×depth`evil.tf`: git can store it, a checkout refuses it."""
    data = PROVIDER + VOLUME.replace("SIZE", "10")
    blob = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"],
        cwd=repo.path,
        input=data,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tree = subprocess.run(
        ["git", "mktree"], cwd=repo.path, input=f"100644 blob {blob}\tevil.tf\n", capture_output=True, text=True,
        check=True,
    ).stdout.strip()  # fmt: skip
    for _ in range(depth):
        tree = subprocess.run(
            ["git", "mktree"], cwd=repo.path, input=f"040000 tree {tree}\t..\n", capture_output=True, text=True,
            check=True,
        ).stdout.strip()  # fmt: skip
    main = subprocess.run(
        ["git", "ls-tree", "HEAD"], cwd=repo.path, capture_output=True, text=True, check=True
    ).stdout
    listing = main + f"040000 tree {tree}\tsub\n"
    top = subprocess.run(
        ["git", "mktree"], cwd=repo.path, input=listing, capture_output=True, text=True, check=True
    ).stdout.strip()
    return repo.git("commit-tree", top, "-p", "HEAD", "-m", "a tree that climbs out").strip()


def test_paths_from_git_never_leave_the_temporary_folder(tmp_path: Path):
    repo = Repo(tmp_path / "repo")
    repo.write("main.tf", PROVIDER + VOLUME.replace("SIZE", "10"))
    repo.commit("base", "2026-09-01")
    evil = _evil_tree(repo, 4)
    repo.git("update-ref", "refs/heads/main", evil)
    temp = tmp_path / "t" / "a" / "b"
    temp.mkdir(parents=True)
    env = {**GIT_ENV, "TMPDIR": str(temp)}
    for args in (["history", "--format", "json"], ["diff", "--base", "HEAD", "--format", "json"]):
        r = run_cli(*args, cwd=repo.path, env=env)
        assert r.returncode in (0, 1, 3), r.stderr
        escaped = [p for p in tmp_path.rglob("evil.tf")]
        assert escaped == [], (args, escaped)
    doc = json.loads(run_cli("history", "--format", "json", cwd=repo.path, env=env).stdout)
    assert any("unsafe path" in e for e in doc["commits"][-1]["errors"])
    assert doc["commits"][-1]["incomplete"]


def test_the_disk_store_and_the_memo_change_nothing(project, tmp_path: Path):
    """Unchanged modules come from the memo or the disk store: the same figures as analysing each
    commit from scratch, cold or warm."""
    repo, _ = project
    cache = {"ADVISOR_CACHE_DIR": str(tmp_path / "cache")}
    runs = []
    for env in ({**cache, "ADVISOR_NO_CACHE": "1"}, cache, cache):
        r = run_cli("history", "--format", "json", cwd=repo.path, env={**GIT_ENV, **env})
        assert r.returncode == 0, r.stderr
        runs.append(json.loads(r.stdout)["commits"])
    assert runs[0] == runs[1] == runs[2]


def test_two_runs_at_once_and_a_second_run_agree(project, tmp_path: Path):
    """The copy lives in the user's cache folder (0700) and is reused by the next run; a run that
    finds it busy works in a temporary folder instead."""
    repo, _ = project
    env = {**os.environ, **GIT_ENV, "ADVISOR_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "advisor", "history", "--format", "json"]
    runs = [
        subprocess.Popen(command, cwd=repo.path, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outputs = [json.loads(p.communicate(timeout=300)[0]) for p in runs]
    assert all(p.returncode == 0 for p in runs)
    again = json.loads(subprocess.run(command, cwd=repo.path, env=env, capture_output=True, text=True).stdout)
    assert outputs[0]["commits"] == outputs[1]["commits"] == again["commits"]
    for folder in [tmp_path / "cache" / "history", *(tmp_path / "cache" / "history").iterdir()]:
        if folder.is_dir():
            assert folder.stat().st_mode & 0o077 == 0, folder


def test_a_blob_missing_from_the_clone_makes_that_commit_incomplete(tmp_path: Path):
    repo = Repo(tmp_path / "repo")
    repo.write("a/main.tf", PROVIDER + VOLUME.replace("SIZE", "100"))
    repo.write("b/main.tf", PROVIDER + VOLUME.replace("SIZE", "20"))
    repo.commit("Two volumes", "2026-09-01")
    blob = repo.git("rev-parse", "HEAD:b/main.tf").strip()
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()  # as a partial clone would lack it
    r = repo.cli("history", "--format", "json")
    assert r.returncode == 3, r.stderr
    [commit] = json.loads(r.stdout)["commits"]
    assert commit["incomplete"] and commit["monthly_cost"] == 10.0  # what could be read, and says so
    assert any("b/main.tf" in e and "not in this clone" in e for e in commit["errors"])
    text = repo.cli("history").stdout
    assert "$10.00*" in text and "incomplete" in text
