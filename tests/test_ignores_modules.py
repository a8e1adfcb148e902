"""`# advisor:ignore <ids>` above a `module` block silences those findings for the resources of that
call's instances only, through the real command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import run_cli

DISK_MODULE = """\
resource "aws_ebs_volume" "data" {
  availability_zone = "us-east-1a"
  size              = 100
  type              = "gp2"
}

resource "aws_cloudwatch_log_group" "logs" {
  name = "disk"
}
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def lint(root: Path) -> list[dict[str, Any]]:
    r = run_cli(
        "lint", "--format", "json", "--fail-on", "never", ".", cwd=root, env={"ADVISOR_NO_CACHE": "1"}
    )
    assert r.returncode == 0, r.stderr
    return list(json.loads(r.stdout)["findings"])


def found(findings: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(f["rule"], f["resource"]) for f in findings if f["rule"] != "unused-ignore"}


def test_an_ignore_on_one_call_leaves_the_other_caller_of_the_module_alone(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "modules/disk/main.tf": DISK_MODULE,
            "main.tf": (
                "# advisor:ignore ebs-gp2-to-gp3 -- scratch disks, replaced next quarter\n"
                'module "scratch" {\n  source = "./modules/disk"\n}\n\n'
                'module "archive" {\n  source = "./modules/disk"\n}\n'
            ),
        },
    )
    findings = lint(tmp_path)
    # the log group finding stands for both callers (one place in the module's text, merged)
    assert found(findings) == {
        ("ebs-gp2-to-gp3", "module.archive.aws_ebs_volume.data"),
        ("cloudwatch-log-retention", "module.scratch.aws_cloudwatch_log_group.logs"),
    }
    volume = next(f for f in findings if f["rule"] == "ebs-gp2-to-gp3")
    assert volume["monthly_cost"] == 10.0  # one volume of 100 GB at $0.10, not both callers'
    assert "instances" not in volume["message"]
    assert not [f for f in findings if f["rule"] == "unused-ignore"]


def test_all_on_a_counted_call_covers_every_instance_and_rule(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "modules/disk/main.tf": DISK_MODULE,
            "main.tf": (
                'module "scratch" { # advisor:ignore all\n  source = "./modules/disk"\n  count  = 2\n}\n\n'
                'module "archive" {\n  source = "./modules/disk"\n}\n'
            ),
        },
    )
    findings = lint(tmp_path)
    assert found(findings) == {
        ("ebs-gp2-to-gp3", "module.archive.aws_ebs_volume.data"),
        ("cloudwatch-log-retention", "module.archive.aws_cloudwatch_log_group.logs"),
    }
    assert not [f for f in findings if f["rule"] == "unused-ignore"]


def test_an_ignore_on_a_nested_call_covers_the_modules_it_calls(tmp_path: Path) -> None:
    # `app` has no resources of its own: its folder is known from the call's source
    write(
        tmp_path,
        {
            "modules/disk/main.tf": DISK_MODULE,
            "modules/app/main.tf": 'module "disk" {\n  source = "../disk"\n}\n',
            "modules/batch/main.tf": (
                '# advisor:ignore cloudwatch-log-retention\nmodule "disk" {\n  source = "../disk"\n}\n'
            ),
            "main.tf": (
                "// advisor:ignore ebs-gp2-to-gp3\n"
                'module "web" {\n  source = "./modules/app"\n}\n\n'
                'module "api" {\n  source = "./modules/app"\n}\n\n'
                'module "batch" {\n  source = "./modules/batch"\n}\n'
            ),
        },
    )
    findings = lint(tmp_path)
    assert found(findings) == {
        ("cloudwatch-log-retention", "module.web.module.disk.aws_cloudwatch_log_group.logs"),
        ("ebs-gp2-to-gp3", "module.api.module.disk.aws_ebs_volume.data"),
    }
    by_rule = {f["rule"]: f for f in findings}
    # web's volume is ignored by its call, batch's log group by the call inside batch
    assert "for 2 instances" in by_rule["ebs-gp2-to-gp3"]["message"]  # api's and batch's
    assert by_rule["ebs-gp2-to-gp3"]["monthly_cost"] == 20.0
    assert not [f for f in findings if f["rule"] == "unused-ignore"]


def test_an_ignore_on_a_call_that_silences_nothing_is_still_reported(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "modules/disk/main.tf": DISK_MODULE,
            "main.tf": '# advisor:ignore ec2-graviton\nmodule "scratch" {\n  source = "./modules/disk"\n}\n',
        },
    )
    unused = [f for f in lint(tmp_path) if f["rule"] == "unused-ignore"]
    assert [(f["path"], f["line"], f["message"]) for f in unused] == [
        ("main.tf", 1, "ignore comment matches no finding: ec2-graviton")
    ]
