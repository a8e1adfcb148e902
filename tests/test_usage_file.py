"""`--usage-file`: infracost's usage-file format read by the real command line (lint, cost, diff).

Figures are worked out by hand from AWS's published us-east-1 prices: Lambda $0.20 per 1M requests and
$0.0000166667 per GB-second (x86), SQS standard $0.40 per 1M requests (each 64 KB chunk of a request
billed as one request), NAT gateway $0.045 per hour and $0.045 per GB processed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, run_cli

MAIN_TF = """\
provider "aws" {
  region = "us-east-1"
}

resource "aws_lambda_function" "hi" {
  function_name = "hi"
  role          = "arn:aws:iam::123456789012:role/x"
  handler       = "index.handler"
  runtime       = "python3.12"
  filename      = "f.zip"
  memory_size   = 512
}

resource "aws_lambda_function" "other" {
  function_name = "other"
  role          = "arn:aws:iam::123456789012:role/x"
  handler       = "index.handler"
  runtime       = "python3.12"
  filename      = "f.zip"
  memory_size   = 1024
}

resource "aws_sqs_queue" "q" {
  count = 2
  name  = "q${count.index}"
}

module "m" {
  source = "./m"
}
"""

MODULE_TF = """\
resource "aws_sqs_queue" "q" {
  count = 2
  name  = "mq${count.index}"
}
"""

USAGE = """\
version: 0.1
resource_type_default_usage:
  aws_sqs_queue:
    monthly_requests: 5000000
resource_usage:
  aws_lambda_function.*:
    monthly_requests: 1000000
    request_duration_ms: 100
  aws_lambda_function.hi:
    monthly_requests: 10000000
    request_duration_ms: 250
    monthly_streams: 3
  aws_sqs_queue.q[0]:
    monthly_requests: 3000000
  module.m.aws_sqs_queue.q[*]:
    monthly_requests: 1000000
    request_size_kb: 100
"""


def _env(tmp_path: Path, cache: bool = False) -> dict[str, str]:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "ADVISOR_NO_CACHE": "0" if cache else "1"}
    env["ADVISOR_CACHE_DIR"] = str(tmp_path / "cache" / "advisor")
    return env


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "m").mkdir(parents=True)
    (root / "main.tf").write_text(MAIN_TF)
    (root / "m" / "main.tf").write_text(MODULE_TF)
    (root / "infracost-usage.yml").write_text(USAGE)
    return root


def _costs(result: subprocess.CompletedProcess[str]) -> dict[str, float]:
    assert result.returncode == 0, result.stderr
    return {r["address"]: r["monthly_cost"] for r in json.loads(result.stdout)["resources"]}


def _lambda(requests: float, duration_ms: float, memory_mb: float) -> float:
    return round(requests / 1e6 * 0.20 + requests * duration_ms / 1000 * memory_mb / 1024 * 0.0000166667, 2)


def test_cost_uses_the_usage_file_with_exact_addresses_instances_wildcards_and_type_defaults(
    project: Path, tmp_path: Path
) -> None:
    result = run_cli(
        "cost", ".", "-f", "json", "--usage-file", "infracost-usage.yml", cwd=project, env=_env(tmp_path)
    )
    costs = _costs(result)
    # the exact address wins over the wildcard: 10M requests x 0.25 s x 0.5 GB = 1,250,000 GB-s
    assert costs["aws_lambda_function.hi"] == _lambda(10e6, 250, 512) == 22.83
    # the wildcard: 1M requests x 0.1 s x 1 GB = 100,000 GB-s = $1.67, + $0.20 requests
    assert costs["aws_lambda_function.other"] == _lambda(1e6, 100, 1024) == 1.87
    # an instance address over the type default; the other instance takes the default
    assert costs["aws_sqs_queue.q[0]"] == 1.20  # 3M x $0.40
    assert costs["aws_sqs_queue.q[1]"] == 2.00  # 5M x $0.40
    # `[*]` in a module; 100 KB requests bill as two 64 KB chunks each: 2M requests
    assert costs["module.m.aws_sqs_queue.q[0]"] == costs["module.m.aws_sqs_queue.q[1]"] == 0.80
    # the key Advisor has no equivalent for is named once, with its file and line
    warnings = [line for line in result.stderr.splitlines() if "monthly_streams" in line]
    assert warnings == [
        "advisor: warning: infracost-usage.yml:12: aws_lambda_function.hi.monthly_streams has no equivalent"
        " in Advisor's usage figures; not applied"
    ]


def test_the_usage_file_wins_over_advisor_toml(project: Path, tmp_path: Path) -> None:
    (project / ".advisor.toml").write_text(
        '[usage]\n"aws_lambda_function.hi" = { monthly_requests = 1, average_duration_ms = 1 }\n'
        '"aws_lambda_function.other" = { monthly_requests = 2000000 }\n'
    )
    (project / "u.yml").write_text(
        "version: 0.1\nresource_usage:\n  aws_lambda_function.hi:\n    monthly_requests: 10000000\n"
        "    request_duration_ms: 250\n"
    )
    costs = _costs(
        run_cli("cost", ".", "-f", "json", "--usage-file", "u.yml", cwd=project, env=_env(tmp_path))
    )
    assert costs["aws_lambda_function.hi"] == 22.83
    assert costs["aws_lambda_function.other"] == 0.40  # [usage] still applies where the file is silent


def test_converted_units_and_text_values_are_warned_not_dropped(tmp_path: Path) -> None:
    root = tmp_path / "lb"
    root.mkdir()
    (root / "main.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\n'
        'resource "aws_nat_gateway" "n" {\n  subnet_id = "subnet-1"\n  allocation_id = "eipalloc-1"\n}\n'
        'resource "aws_instance" "web" {\n  ami = "ami-1"\n  instance_type = "t3.micro"\n}\n'
    )
    (root / "u.yml").write_text(
        "version: 0.1\nresource_usage:\n  aws_nat_gateway.n:\n    monthly_data_processed_gb: 100\n"
        "  aws_instance.web:\n    operating_system: windows\n    monthly_hrs: 100\n"
    )
    result = run_cli("cost", ".", "-f", "json", "--usage-file", "u.yml", cwd=root, env=_env(tmp_path))
    costs = _costs(result)
    assert costs["aws_nat_gateway.n"] == round(730 * 0.045 + 100 * 0.045, 2)
    # 100 h of t3.micro Linux at $0.0104 per hour, and the 8 GB gp2 root volume at $0.10 per GB-month
    assert costs["aws_instance.web"] == round(100 * 0.0104 + 8 * 0.10, 2) == 1.84
    assert "u.yml:6: aws_instance.web.operating_system is not a number Advisor can use" in result.stderr


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("version: 0.1\nresource_usage:\n  a: &x {monthly_requests: 1}\n  b: *x\n", 4, "aliases"),
        ("version: 0.1\nresource_usage:\n  a:\n    monthly_requests: 1\n   b: 2\n", 5, "not valid YAML"),
        ("version: 0.1\nresource_usage:\n  a:\n    monthly_requests: -5\n", 4, "must be a number >= 0"),
        ("version: 0.1\nresource_usage:\n  a:\n    monthly_requests: [1, 2]\n", 4, "must be a number"),
        ("version: 0.1\nresource_usage:\n  a: 3\n", 3, "must be a map"),
        ("resource_usage: {}\nversion: '0.2'\n", 2, "version '0.2' is not supported"),
        ("- 1\n", 1, "the usage file must be a map"),
    ],
)
def test_a_broken_usage_file_is_an_error_at_its_line(
    project: Path, tmp_path: Path, text: str, line: int, message: str
) -> None:
    (project / "bad.yml").write_text(text)
    for command in ("lint", "cost"):
        result = run_cli(command, ".", "--usage-file", "bad.yml", cwd=project, env=_env(tmp_path))
        assert result.returncode == 2, result.stderr
        assert re.search(rf"bad\.yml:{line}: .*{re.escape(message)}", result.stderr), result.stderr
        assert "Traceback" not in result.stderr


def test_a_missing_or_oversized_usage_file_is_a_usage_error(project: Path, tmp_path: Path) -> None:
    result = run_cli("cost", ".", "--usage-file", "nope.yml", cwd=project, env=_env(tmp_path))
    assert result.returncode == 2 and "nope.yml: usage file not found" in result.stderr
    (project / "big.yml").write_text("version: 0.1\n" + "#" * (2 * 1024 * 1024))
    env = {**_env(tmp_path), "ADVISOR_MAX_FILE_MB": "1"}
    result = run_cli("cost", ".", "--usage-file", "big.yml", cwd=project, env=env)
    assert result.returncode == 2 and "big.yml:" in result.stderr, result.stderr


def test_a_different_usage_file_never_serves_a_stored_report(project: Path, tmp_path: Path) -> None:
    env = _env(tmp_path, cache=True)
    (project / "a.yml").write_text(
        "version: 0.1\nresource_usage:\n  aws_lambda_function.hi:\n    monthly_requests: 1000000\n"
    )
    (project / "b.yml").write_text(
        "version: 0.1\nresource_usage:\n  aws_lambda_function.hi:\n    monthly_requests: 2000000\n"
    )
    first = _costs(run_cli("cost", ".", "-f", "json", "--usage-file", "a.yml", cwd=project, env=env))
    second = _costs(run_cli("cost", ".", "-f", "json", "--usage-file", "b.yml", cwd=project, env=env))
    assert (first["aws_lambda_function.hi"], second["aws_lambda_function.hi"]) == (0.20, 0.40)
    (project / "a.yml").write_text(
        "version: 0.1\nresource_usage:\n  aws_lambda_function.hi:\n    monthly_requests: 3000000\n"
    )
    third = _costs(run_cli("cost", ".", "-f", "json", "--usage-file", "a.yml", cwd=project, env=env))
    assert third["aws_lambda_function.hi"] == 0.60


def test_lint_and_diff_take_the_usage_file(project: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    lint = run_cli(
        "lint",
        ".",
        "-f",
        "json",
        "--fail-on",
        "never",
        "--usage-file",
        "infracost-usage.yml",
        cwd=project,
        env=env,
    )
    assert lint.returncode == 0, lint.stderr
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "add", "."], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=project, check=True)
    (project / "main.tf").write_text(MAIN_TF.replace("memory_size   = 512", "memory_size   = 1024"))
    diff = run_cli(
        "diff",
        "--base",
        "HEAD",
        ".",
        "-f",
        "json",
        "--usage-file",
        "infracost-usage.yml",
        cwd=project,
        env=env,
    )
    assert diff.returncode in (0, 1), diff.stderr
    # 1,250,000 more GB-seconds at $0.0000166667: the duration line of aws_lambda_function.hi doubles
    text = json.dumps(json.loads(diff.stdout))
    assert "20.83" in text, text


def test_advisor_keys_are_the_names_the_estimators_read() -> None:
    from advisor.usage_file import ADVISOR_KEYS

    source = "".join(
        (REPO / "pricing" / name).read_text()
        for name in ("estimators.py", "services.py", "services_ops.py", "lines.py")
    )
    read = set(re.findall(r'usage_number\(\s*"([a-z0-9_]+)"', source))
    read |= set(re.findall(r'usage_number\(\s*"[a-z0-9_]+",\s*"([a-z0-9_]+)"', source))
    read |= set(re.findall(r'_per_(?:million|unit)\([^()]*?"([a-z0-9_]+)"\)', source))
    assert read and read <= ADVISOR_KEYS, sorted(read - ADVISOR_KEYS)


def test_nested_and_renamed_keys_are_converted(tmp_path: Path) -> None:
    root = tmp_path / "conv"
    root.mkdir()
    (root / "main.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\n'
        'resource "aws_lb" "a" {\n  load_balancer_type = "application"\n  subnets = ["a", "b"]\n}\n'
        'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'
    )
    (root / "u.yml").write_text(
        "version: 0.1\nresource_usage:\n  aws_lb.a:\n    processed_bytes_gb: 1460\n    new_connections: 10\n"
        "  aws_s3_bucket.b:\n    standard:\n      storage_gb: 1000\n      monthly_tier_1_requests: 100000\n"
        "    standard_infrequent_access:\n      storage_gb: 100\n      monthly_retrieval_gb: 5\n"
    )
    result = run_cli("cost", ".", "-f", "json", "--usage-file", "u.yml", cwd=root, env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = {
        (r["address"], c["name"]): (c["quantity"], c["monthly_cost"])
        for r in json.loads(result.stdout)["resources"]
        for c in r["components"]
    }
    # 1,460 GB in the month is 1,460 LCU-hours (1 GB each) at $0.008 per LCU-hour
    assert lines[("aws_lb.a", "Load balancer capacity units")] == (1460.0, 11.68)
    # S3 Standard $0.023 per GB-month (first 50 TB), Standard-IA $0.0125, PUT $0.005 per 1,000
    assert lines[("aws_s3_bucket.b", "Standard storage")] == (1000.0, 23.0)
    assert lines[("aws_s3_bucket.b", "Standard-IA storage")] == (100.0, 1.25)
    assert lines[("aws_s3_bucket.b", "PUT, COPY, POST, LIST requests")] == (100.0, 0.5)
    assert "u.yml:5: aws_lb.a.new_connections has no equivalent" in result.stderr
    assert "u.yml:12: aws_s3_bucket.b.standard_infrequent_access.monthly_retrieval_gb has no equivalent" in (
        result.stderr
    )


def test_a_figure_advisor_bills_on_another_resource_is_warned(tmp_path: Path) -> None:
    root = tmp_path / "docdb"
    root.mkdir()
    (root / "main.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\n'
        'resource "aws_docdb_cluster_instance" "i" {\n  cluster_identifier = "c"\n  instance_class = "db.t3.medium"\n}\n'
    )
    (root / "u.yml").write_text(
        "version: 0.1\nresource_usage:\n  aws_docdb_cluster_instance.i:\n    data_storage_gb: 100\n"
        "    monthly_cpu_credit_hrs: 100\n"
    )
    result = run_cli("cost", ".", "-f", "json", "--usage-file", "u.yml", cwd=root, env=_env(tmp_path))
    costs = _costs(result)
    # db.t3.medium $0.078 per hour for 730 hours, and 100 vCPU-hours of credits at $0.09
    assert costs["aws_docdb_cluster_instance.i"] == round(730 * 0.078 + 100 * 0.09, 2)
    assert "u.yml:4: aws_docdb_cluster_instance.i.data_storage_gb not applied: Advisor bills" in result.stderr


def test_history_applies_the_usage_file_at_every_commit(project: Path, tmp_path: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "add", "main.tf", "m"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "one"], cwd=project, check=True)
    (project / "main.tf").write_text(MAIN_TF.replace("memory_size   = 512", "memory_size   = 1024"))
    subprocess.run([*git, "commit", "-qam", "two"], cwd=project, check=True)
    result = run_cli(
        "history", ".", "-f", "json", "--usage-file", "infracost-usage.yml", cwd=project, env=_env(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    totals = [c["monthly_cost"] for c in json.loads(result.stdout)["commits"]]
    # the other costs are the same at both commits; aws_lambda_function.hi doubles its duration line
    duration = 0.0000166667  # per GB-second
    others = 0.20 + 1e6 * 0.1 * 1 * duration + 1.20 + 2.00 + 0.80 + 0.80
    before, after = (2.00 + 10e6 * 0.25 * gb * duration + others for gb in (0.5, 1.0))
    assert totals == [round(before, 2), round(after, 2)] == [29.50, 50.33]
    assert result.stderr.count("monthly_streams") == 1  # warned once, not once per commit


def test_the_github_action_passes_its_usage_file_input_to_both_commands(tmp_path: Path) -> None:
    from test_ci_integrations import BIN, run_action
    from test_diff import NAT_TF, Repo

    repo = Repo(tmp_path / "work")
    repo.write("main.tf", 'provider "aws" {\n  region = "us-east-1"\n}\n')
    base = repo.commit("base")
    repo.git("update-ref", "refs/remotes/origin/main", base)
    repo.write("main.tf", 'provider "aws" {\n  region = "us-east-1"\n}\n' + NAT_TF)
    repo.write(
        "usage.yml",
        "version: 0.1\nresource_usage:\n  aws_nat_gateway.main:\n    monthly_data_processed_gb: 100\n",
    )
    summary = tmp_path / "summary.md"
    runner = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "GITHUB_BASE_REF": "main",
        "GITHUB_STEP_SUMMARY": str(summary),
        "ADVISOR_NO_CACHE": "1",
    }
    codes, outputs = run_action(repo.path, {"usage-file": "usage.yml", "fail-on": "never"}, runner)
    assert outputs["lint"] == {"exit-code": "0"} and outputs["diff"] == {"exit-code": "0"}, codes
    # the NAT gateway: 730 hours and 100 GB processed, each at $0.045
    assert "+$37.35" in summary.read_text(encoding="utf-8")
