"""Terraform plan and state exports (`terraform show -json`) through the real command line.

The plan files are written here by hand in the shape HashiCorp documents ("JSON Output Format":
`format_version`, `terraform_version`, `variables`, `planned_values` with `root_module` and nested
`child_modules`, `resource_changes` with `after_unknown`, `configuration` with `provider_config` and
`module_calls`). Expected figures come from AWS's published on-demand prices, not from the program:
us-east-1 m5.large $0.096/h, t3.micro $0.0104/h, io1 $0.125/GB-mo and $0.065/IOPS-mo, gp3 $0.08/GB-mo
and $0.005/IOPS-mo above 3000, gp2 $0.10/GB-mo; eu-west-1 m5.large $0.107/h; 730 hours a month.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from lsp_fixtures.harness import editor
from lsprotocol import types as lsp

HOURS = 730
M5_LARGE = round(0.096 * HOURS, 2)  # 70.08
T3_MICRO = round(0.0104 * HOURS, 2)  # 7.59
ROOT_GP2_8GB = 8 * 0.10  # the 8 GB gp2 root volume an instance gets when none is configured
IO1 = 100 * 0.125 + 5000 * 0.065  # 337.50
IO1_AS_GP3 = 100 * 0.08 + (5000 - 3000) * 0.005  # 18.00
GP3_50 = 50 * 0.08  # 4.00
AWS = "registry.terraform.io/hashicorp/aws"

MAIN_TF = """provider "aws" {
  region = var.region
}

variable "region" {
  default = "us-east-1"
}

resource "aws_instance" "web" {
  count         = 2
  ami           = "ami-0abcdef1234567890"
  instance_type = "m5.large"
}

resource "aws_instance" "named" {
  for_each      = toset(["a.1", "b"])
  ami           = "ami-0abcdef1234567890"
  instance_type = "t3.micro"
}

resource "aws_ebs_volume" "data" {
  availability_zone = "us-east-1a"
  type              = "io1"
  size              = 100
  iops              = 5000
}

resource "aws_ebs_volume" "scratch" {
  availability_zone = "us-east-1a"
  type              = "gp3"
  size              = var.scratch_size
}

variable "scratch_size" {
  type = number
}

module "a" {
  for_each = toset(["k"])
  source   = "./modules/a"
}
"""
MODULE_A_TF = """module "b" {
  source = "../b"
}
"""
MODULE_B_TF = """resource "aws_ebs_volume" "v" {
  availability_zone = "us-east-1a"
  type              = "gp3"
  size              = 50
}
"""


def _instance(address: str, name: str, index: Any, instance_type: str) -> dict[str, Any]:
    return {
        "address": address,
        "mode": "managed",
        "type": "aws_instance",
        "name": name,
        "index": index,
        "provider_name": AWS,
        "schema_version": 1,
        "values": {
            "ami": "ami-0abcdef1234567890",
            "instance_type": instance_type,
            "tags": None,
            "tags_all": {},
            "ebs_block_device": [],
            "credit_specification": [],
            "user_data": None,
        },
        "sensitive_values": {"ebs_block_device": [], "tags_all": {}},
    }


def _volume(address: str, name: str, values: dict[str, Any]) -> dict[str, Any]:
    base = {"availability_zone": "us-east-1a", "encrypted": None, "tags": None, "tags_all": {}}
    return {
        "address": address,
        "mode": "managed",
        "type": "aws_ebs_volume",
        "name": name,
        "provider_name": AWS,
        "schema_version": 0,
        "values": {**base, **values},
        "sensitive_values": {"tags_all": {}},
    }


def _change(resource: dict[str, Any], unknown: dict[str, Any], actions: list[str]) -> dict[str, Any]:
    change = {
        "actions": actions,
        "before": None,
        "after": resource["values"],
        "after_unknown": unknown,
        "before_sensitive": False,
        "after_sensitive": {},
    }
    out = {k: resource[k] for k in ("address", "mode", "type", "name", "provider_name") if k in resource}
    if "index" in resource:
        out["index"] = resource["index"]
    if resource["address"].startswith("module."):
        out["module_address"] = resource["address"].rsplit(".", 2)[0]
    return {**out, "change": change}


def plan_document(region: str = "us-east-1") -> dict[str, Any]:
    """A plan of MAIN_TF: count, for_each with a dotted key, nested module instances, a value known only
    after apply, a resource being deleted, a data source, and the configuration section."""
    root_resources = [
        _instance("aws_instance.web[0]", "web", 0, "m5.large"),
        _instance("aws_instance.web[1]", "web", 1, "m5.large"),
        _instance('aws_instance.named["a.1"]', "named", "a.1", "t3.micro"),
        _instance('aws_instance.named["b"]', "named", "b", "t3.micro"),
        _volume("aws_ebs_volume.data", "data", {"type": "io1", "size": 100, "iops": 5000}),
        _volume("aws_ebs_volume.scratch", "scratch", {"type": "gp3"}),  # size: known only after apply
        {
            "address": "data.aws_caller_identity.me",
            "mode": "data",
            "type": "aws_caller_identity",
            "name": "me",
            "provider_name": AWS,
            "values": {"account_id": "123456789012"},
        },
    ]
    nested = _volume(
        'module.a["k"].module.b.aws_ebs_volume.v', "v", {"type": "gp3", "size": 50, "iops": 3000}
    )
    instance_unknown = {"id": True, "arn": True, "root_block_device": True, "ebs_block_device": []}
    changes = [
        _change(r, instance_unknown if r["type"] == "aws_instance" else {"id": True}, ["create"])
        for r in root_resources
        if r["mode"] == "managed"
    ]
    changes[5]["change"]["after_unknown"]["size"] = True  # aws_ebs_volume.scratch
    changes.append(_change(nested, {"id": True}, ["create"]))
    old = _instance("aws_instance.old", "old", None, "m5.24xlarge")
    del old["index"]
    deleted = _change(old, {}, ["delete"])
    deleted["change"]["before"], deleted["change"]["after"] = old["values"], None
    changes.append(deleted)
    return {
        "format_version": "1.2",
        "terraform_version": "1.6.6",
        "variables": {"region": {"value": region}, "scratch_size": {"value": None}},
        "planned_values": {
            "root_module": {
                "resources": root_resources,
                "child_modules": [
                    {
                        "address": 'module.a["k"]',
                        "child_modules": [{"address": 'module.a["k"].module.b', "resources": [nested]}],
                    }
                ],
            }
        },
        "resource_changes": changes,
        "configuration": {
            "provider_config": {
                "aws": {
                    "name": "aws",
                    "full_name": AWS,
                    "expressions": {"region": {"references": ["var.region"]}},
                }
            },
            "root_module": {
                "resources": [
                    {
                        "address": "aws_instance.web",
                        "mode": "managed",
                        "type": "aws_instance",
                        "name": "web",
                        "provider_config_key": "aws",
                        "expressions": {"instance_type": {"constant_value": "m5.large"}},
                        "schema_version": 1,
                        "count_expression": {"constant_value": 2},
                    },
                    {
                        "address": "aws_ebs_volume.data",
                        "mode": "managed",
                        "type": "aws_ebs_volume",
                        "name": "data",
                        "provider_config_key": "aws",
                        "expressions": {"type": {"constant_value": "io1"}},
                        "schema_version": 0,
                    },
                ],
                "module_calls": {
                    "a": {
                        "source": "./modules/a",
                        "for_each_expression": {"constant_value": ["k"]},
                        "module": {
                            "module_calls": {
                                "b": {
                                    "source": "../b",
                                    "module": {
                                        "resources": [
                                            {
                                                "address": "aws_ebs_volume.v",
                                                "mode": "managed",
                                                "type": "aws_ebs_volume",
                                                "name": "v",
                                                "provider_config_key": "aws",
                                                "expressions": {"size": {"constant_value": 50}},
                                            }
                                        ]
                                    },
                                }
                            }
                        },
                    }
                },
                "variables": {"region": {"default": "us-east-1"}, "scratch_size": {}},
            },
        },
    }


EXPECTED = {
    "aws_instance.web[0]": M5_LARGE + ROOT_GP2_8GB,
    "aws_instance.web[1]": M5_LARGE + ROOT_GP2_8GB,
    'aws_instance.named["a.1"]': T3_MICRO + ROOT_GP2_8GB,
    'aws_instance.named["b"]': T3_MICRO + ROOT_GP2_8GB,
    "aws_ebs_volume.data": IO1,
    'module.a["k"].module.b.aws_ebs_volume.v': GP3_50,
}


def _env(tmp_path: Path) -> dict[str, str]:
    return {"ADVISOR_CACHE_DIR": str(tmp_path / "cache")}


def _write_plan(folder: Path, doc: dict[str, Any], indent: int | None = 2, name: str = "plan.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(doc, indent=indent) + "\n")
    return path


def _write_config(folder: Path) -> None:
    (folder / "modules" / "a").mkdir(parents=True, exist_ok=True)
    (folder / "modules" / "b").mkdir(parents=True, exist_ok=True)
    (folder / "main.tf").write_text(MAIN_TF)
    (folder / "modules" / "a" / "main.tf").write_text(MODULE_A_TF)
    (folder / "modules" / "b" / "main.tf").write_text(MODULE_B_TF)


def _json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert "Traceback" not in proc.stderr, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def _line_of(text: str, needle: str, after: str = "") -> int:
    """1-based line of `needle`, searching from the first line holding `after`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i in range(start, len(lines)) if needle in lines[i]) + 1


@pytest.mark.parametrize("indent", [None, 2], ids=["one-line", "indented"])
def test_cost_prices_every_planned_resource_under_its_exact_address(
    tmp_path: Path, indent: int | None
) -> None:
    plan = _write_plan(tmp_path / "ci", plan_document(), indent)
    proc = run_cli("cost", str(plan), "--format", "json", cwd=tmp_path, env=_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    doc = _json(proc)
    costs = {r["address"]: r for r in doc["resources"]}
    # every managed resource planned, under its exact address; the deleted one and the data source not
    assert set(costs) == {*EXPECTED, "aws_ebs_volume.scratch"}
    for address, monthly in EXPECTED.items():
        assert costs[address]["monthly_cost"] == pytest.approx(monthly, abs=0.005), address
        assert costs[address]["path"] == os.path.join("ci", "plan.json")
    usage = costs["aws_instance.web[0]"]["components"][0]
    assert (usage["quantity"], usage["unit_price"], usage["monthly_cost"]) == (730, 0.096, M5_LARGE)
    # a size known only after apply is an unknown price, not $0, and is left out of the total
    assert costs["aws_ebs_volume.scratch"]["monthly_cost"] is None
    assert doc["total"] == pytest.approx(sum(EXPECTED.values()), abs=0.01)
    assert doc["not_priced"] == []


def test_region_comes_from_the_variable_the_provider_references(tmp_path: Path) -> None:
    plan = _write_plan(tmp_path, plan_document(region="eu-west-1"))
    doc = _json(run_cli("cost", str(plan), "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    web = next(r for r in doc["resources"] if r["address"] == "aws_instance.web[0]")
    assert web["components"][0]["unit_price"] == 0.107
    assert web["components"][0]["monthly_cost"] == round(0.107 * HOURS, 2)  # 78.11


def test_state_export_is_read_from_values(tmp_path: Path) -> None:
    planned = plan_document()
    state = {
        "format_version": "1.0",
        "terraform_version": "1.6.6",
        "values": {"root_module": {"resources": planned["planned_values"]["root_module"]["resources"][:1]}},
    }
    path = _write_plan(tmp_path, state, indent=None, name="state.json")
    doc = _json(run_cli("cost", str(path), "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    assert [(r["address"], r["monthly_cost"]) for r in doc["resources"]] == [
        ("aws_instance.web[0]", round(M5_LARGE + ROOT_GP2_8GB, 2))
    ]


def test_finding_maps_back_to_the_tf_line_when_the_configuration_is_beside_the_plan(tmp_path: Path) -> None:
    _write_config(tmp_path)
    plan = _write_plan(tmp_path, plan_document(), indent=None)
    proc = run_cli("lint", str(plan), "--format", "json", cwd=tmp_path, env=_env(tmp_path))
    assert proc.returncode == 1, proc.stderr
    doc = _json(proc)
    io1 = [f for f in doc["findings"] if f["rule"] == "ebs-io1-to-gp3"]
    assert len(io1) == 1
    f = io1[0]
    line = _line_of(MAIN_TF, 'type              = "io1"')
    assert (f["path"], f["line"], f["resource"]) == ("main.tf", line, "aws_ebs_volume.data")
    assert f["monthly_cost"] == IO1 and f["monthly_cost_after"] == IO1_AS_GP3
    assert f["monthly_savings"] == pytest.approx(IO1 - IO1_AS_GP3)  # 319.50
    # the fix edits the .tf literal the planned value came from
    assert [(e["line"], e["new_text"]) for e in f["fix"]] == [(line, '"gp3"')]
    # instances of the same block point at that block, in the .tf file
    web = [f for f in doc["findings"] if f["resource"].startswith("aws_instance.web")]
    assert web and {(f["path"], f["line"]) for f in web} == {("main.tf", _line_of(MAIN_TF, '"m5.large"'))}
    cost = _json(run_cli("cost", str(plan), "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    where = {r["address"]: (r["path"], r["line"]) for r in cost["resources"]}
    assert where['module.a["k"].module.b.aws_ebs_volume.v'] == (os.path.join("modules", "b", "main.tf"), 1)
    assert where['aws_instance.named["a.1"]'] == ("main.tf", _line_of(MAIN_TF, '"named"'))


def test_fix_applied_from_the_plan_edits_the_tf_file(tmp_path: Path) -> None:
    _write_config(tmp_path)
    plan = _write_plan(tmp_path, plan_document())
    doc = _json(run_cli("lint", str(plan), "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    f = next(f for f in doc["findings"] if f["rule"] == "ebs-io1-to-gp3")
    (edit,) = f["fix"]
    lines = MAIN_TF.splitlines(keepends=True)
    row = lines[edit["line"] - 1]
    lines[edit["line"] - 1] = row[: edit["column"] - 1] + edit["new_text"] + row[edit["end_column"] - 1 :]
    assert "".join(lines) == MAIN_TF.replace('"io1"', '"gp3"')


def test_finding_points_at_the_resource_in_the_json_without_the_configuration(tmp_path: Path) -> None:
    plan = _write_plan(tmp_path / "ci", plan_document())
    text = plan.read_text()
    proc = run_cli("lint", str(plan), "--format", "json", cwd=tmp_path, env=_env(tmp_path))
    assert proc.returncode == 1, proc.stderr
    doc = _json(proc)
    f = next(f for f in doc["findings"] if f["rule"] == "ebs-io1-to-gp3")
    planned = text.index('"planned_values"')
    line = _line_of(text[planned:], '"type": "io1"', after='"address": "aws_ebs_volume.data"')
    line += text[:planned].count("\n")
    assert (f["path"], f["line"], f["resource"]) == (
        os.path.join("ci", "plan.json"),
        line,
        "aws_ebs_volume.data",
    )
    assert f["monthly_savings"] == pytest.approx(IO1 - IO1_AS_GP3)
    assert f["fix"] == []  # a plan is never edited
    # one finding per instance, each at its own object, under its exact address
    graviton = {
        f["resource"]: f["line"]
        for f in doc["findings"]
        if "ec2-newer-generation" in {f["rule"], *(a["rule"] for a in f.get("alternatives") or [])}
    }
    assert set(graviton) == {
        "aws_instance.web[0]",
        "aws_instance.web[1]",
        *(a for a in EXPECTED if "named" in a),
    }
    assert len(set(graviton.values())) == 4


def test_folder_with_plan_and_configuration_counts_each_resource_once(tmp_path: Path) -> None:
    _write_config(tmp_path)
    _write_plan(tmp_path, plan_document())
    doc = _json(run_cli("cost", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    addresses = [r["address"] for r in doc["resources"]]
    assert sorted(addresses) == sorted({*EXPECTED, "aws_ebs_volume.scratch"})
    assert doc["total"] == pytest.approx(sum(EXPECTED.values()), abs=0.01)


def test_a_state_export_beside_the_plan_is_not_counted_again(tmp_path: Path) -> None:
    """`terraform show -json` of the state and of the plan in one folder: the same infrastructure,
    before and after the plan. Only the plan is counted; a note names the state file."""
    planned = plan_document()
    _write_plan(tmp_path, planned)
    state = {
        "format_version": "1.0",
        "terraform_version": "1.6.6",
        "values": {"root_module": {"resources": planned["planned_values"]["root_module"]["resources"]}},
    }
    _write_plan(tmp_path, state, indent=None, name="state.json")
    doc = _json(run_cli("cost", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    addresses = [r["address"] for r in doc["resources"]]
    assert sorted(addresses) == sorted({*EXPECTED, "aws_ebs_volume.scratch"})  # each once
    assert all(r["path"] == "plan.json" for r in doc["resources"])
    assert doc["total"] == pytest.approx(sum(EXPECTED.values()), abs=0.01)
    lint = _json(run_cli("lint", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    assert any("state.json: a state export beside the plan plan.json" in n for n in lint["notes"])
    assert lint["summary"]["resources"] == len(addresses)
    # alone, the state is counted
    (tmp_path / "plan.json").unlink()
    alone = _json(run_cli("cost", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    assert alone["resources"] and all(r["path"] == "state.json" for r in alone["resources"])


def test_other_json_is_not_a_plan_and_cloudformation_json_is_still_a_template(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "site", "version": "1.0.0", "format_version": "2"}\n')
    (tmp_path / "tool.json").write_text('{"format_version": "1.0", "values": {"root_module": {}}}\n')
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Data": {
                "Type": "AWS::EC2::Volume",
                "Properties": {
                    "AvailabilityZone": "us-east-1a",
                    "VolumeType": "io1",
                    "Size": 100,
                    "Iops": 5000,
                },
            }
        },
    }
    (tmp_path / "stack.json").write_text(json.dumps(template, indent=2))
    proc = run_cli("cost", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    doc = _json(proc)
    assert [(r["address"], r["path"], r["monthly_cost"]) for r in doc["resources"]] == [
        ("Data", "stack.json", IO1)
    ]
    assert "errors" not in doc


def test_malformed_plan_is_an_error_at_its_place(tmp_path: Path) -> None:
    text = json.dumps(plan_document(), indent=2)
    broken = text.replace('"instance_type": "t3.micro",', '"instance_type": "t3.micro",,', 1)
    (tmp_path / "plan.json").write_text(broken)
    line = _line_of(broken, ",,")
    proc = run_cli("lint", "plan.json", cwd=tmp_path, env=_env(tmp_path))
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1
    assert f"plan.json:{line}:" in proc.stdout and "invalid plan JSON" in proc.stdout
    unsupported = {**plan_document(), "format_version": "2.0"}
    (tmp_path / "plan.json").write_text(json.dumps(unsupported))
    proc = run_cli("cost", "plan.json", cwd=tmp_path, env=_env(tmp_path))
    assert proc.returncode == 3, proc.stdout + proc.stderr  # nothing of it analysed: incomplete
    assert "plan format version '2.0' is not supported" in proc.stdout


def test_plan_over_the_template_size_cap_is_read_with_the_plan_cap(tmp_path: Path) -> None:
    doc = plan_document()
    doc["planned_values"]["root_module"]["resources"][0]["values"]["user_data"] = "#!/bin/sh\n" + "x" * (
        2 * 1024 * 1024
    )
    plan = _write_plan(tmp_path, doc, indent=None)
    assert plan.stat().st_size > 2 * 1024 * 1024  # over CloudFormation's 1 MB cap
    out = _json(run_cli("cost", str(plan), "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    assert {r["address"] for r in out["resources"]} == {*EXPECTED, "aws_ebs_volume.scratch"}
    capped = run_cli(
        "cost",
        str(plan),
        "--format",
        "json",
        cwd=tmp_path,
        env={**_env(tmp_path), "ADVISOR_MAX_FILE_MB": "plan=1"},
    )
    assert capped.returncode == 3  # over the user's cap for plans: said, and the run is incomplete
    assert "over the 1 MB limit for plan files" in capped.stdout


GIT_ENV = {
    "GIT_AUTHOR_NAME": "Advisor Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "Advisor Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def test_diff_reads_a_plan_on_both_sides(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(
            ["git", *args], cwd=tmp_path, check=True, capture_output=True, env={**os.environ, **GIT_ENV}
        )

    base = plan_document()
    base["planned_values"]["root_module"]["resources"] = base["planned_values"]["root_module"]["resources"][
        4:5
    ]
    base["planned_values"]["root_module"]["child_modules"] = []
    _write_plan(tmp_path / "infra", base)
    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-q", "-m", "base")
    _write_plan(tmp_path / "infra", plan_document())
    proc = run_cli("diff", "--base", "main", "infra", "--format", "json", cwd=tmp_path, env=_env(tmp_path))
    assert "Traceback" not in proc.stderr, proc.stderr
    doc = json.loads(proc.stdout)
    changes = {c["address"]: c for c in doc["resources"]}
    assert "aws_ebs_volume.data" not in changes  # the same on both sides
    assert doc["summary"]["unchanged"] == 1
    added = {a for a, c in changes.items() if c["change"] == "added"}
    assert added == {*EXPECTED, "aws_ebs_volume.scratch"} - {"aws_ebs_volume.data"}
    assert doc["totals"]["before"] == IO1
    assert doc["totals"]["delta"] == pytest.approx(sum(EXPECTED.values()) - IO1, abs=0.01)


def test_plans_of_the_wrong_shape_are_errors_never_crashes(tmp_path: Path) -> None:
    doc = plan_document()
    root = doc["planned_values"]["root_module"]
    root["resources"].append(dict(root["resources"][0]))  # the same address twice
    root["resources"].append({"mode": "managed", "type": "aws_instance", "values": {}})  # no address
    root["child_modules"].append(7)
    doc["resource_changes"] = "everything"
    _write_plan(tmp_path, doc)
    deep = (
        '{"format_version": "1.0", "terraform_version": "1.6.6", "values": '
        + "[" * 100_000
        + "]" * 100_000
        + "}"
    )
    (tmp_path / "deep.json").write_text(deep)
    proc = run_cli("cost", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path))
    assert proc.returncode == 3, proc.stdout + proc.stderr  # parts not analysed: incomplete, and said
    out = _json(proc)
    messages = sorted(e["message"] for e in out["errors"])
    assert any("aws_instance.web[0] is planned twice" in m for m in messages)
    assert any("has no address" in m for m in messages)
    assert any("a module in planned_values is not an object" in m for m in messages)
    assert any(e["path"] == "deep.json" and "nesting too deep" in e["message"] for e in out["errors"])
    # what is well formed is still priced, each address once
    addresses = [r["address"] for r in out["resources"]]
    assert sorted(addresses) == sorted({*EXPECTED, "aws_ebs_volume.scratch"})


async def test_language_server_reads_an_open_plan(tmp_path: Path) -> None:
    text = json.dumps(plan_document(), indent=2)
    async with editor(tmp_path, init={"debounceMs": 20}) as s:
        uri = s.open("ci/plan.json", text, language="json")
        p = await s.wait_for(uri, version=1, predicate=lambda p: bool(p.diagnostics))
    io1 = [d for d in p.diagnostics if d.code == "ebs-io1-to-gp3"]
    planned = text.index('"planned_values"')
    line = _line_of(text[planned:], '"type": "io1"', after='"address": "aws_ebs_volume.data"')
    line += text[:planned].count("\n")
    assert [d.range.start.line + 1 for d in io1] == [line]
    assert io1[0].severity == lsp.DiagnosticSeverity.Warning and "$319.50" in io1[0].message


def test_instances_the_configuration_cannot_expand_point_at_their_block_without_a_fix(tmp_path: Path) -> None:
    _write_config(tmp_path)
    unknown_keys = MAIN_TF.replace('toset(["a.1", "b"])', "toset(var.names)") + '\nvariable "names" {}\n'
    (tmp_path / "main.tf").write_text(unknown_keys)  # the keys come from the pipeline: only the plan has them
    plan = _write_plan(tmp_path, plan_document())
    doc = _json(run_cli("lint", str(plan), "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    named = [f for f in doc["findings"] if f["resource"].startswith("aws_instance.named")]
    assert named, doc["findings"]
    line = _line_of(unknown_keys, '"t3.micro"')
    assert {(f["path"], f["line"]) for f in named} == {("main.tf", line)}
    assert all(f["fix"] == [] for f in named)  # which instance's literal is not known: no edit
    web = next(f for f in doc["findings"] if f["resource"].startswith("aws_instance.web"))
    assert web["fix"]  # the instances it does expand keep theirs
