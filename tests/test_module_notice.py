"""Module calls from a registry or git that are not in `.terraform/modules`: the run says how many it
could not analyse (text output of `lint` and `cost`, JSON notes) and the language server shows an
information diagnostic on each call's `source`. Through the real command line and the real server.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from conftest import run_cli
from lsp_fixtures.harness import Editor, editor
from lsprotocol import types as lsp

NOTICE = "3 module calls not analysed (registry/git): run `terraform init`, or pass a plan JSON"

ROOT_TF = """module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}

module "db" {
  source = "git::https://example.com/db.git?ref=v1"
}

module "local" {
  for_each = toset(["a", "b"])
  source   = "./child"
}
"""
CHILD_TF = """module "bucket" {
  source = "github.com/example/s3"
}

resource "aws_ebs_volume" "v" {
  availability_zone = "us-east-1a"
  type              = "gp3"
  size              = 10
}
"""


def _tree(root: Path) -> Path:
    (root / "child").mkdir(parents=True)
    (root / "main.tf").write_text(ROOT_TF)
    (root / "child" / "main.tf").write_text(CHILD_TF)
    return root


def _env(tmp_path: Path) -> dict[str, str]:
    return {"ADVISOR_CACHE_DIR": str(tmp_path / "cache")}


@pytest.mark.parametrize("command", ["lint", "cost"])
def test_text_output_ends_with_the_count_of_module_calls_not_analysed(tmp_path: Path, command: str) -> None:
    root = _tree(tmp_path / "infra")
    proc = run_cli(command, str(root), cwd=tmp_path, env=_env(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    # three calls: two in the root, one in the child module (called twice, counted once)
    assert lines[-1] == NOTICE
    assert proc.stdout.count("not analysed (registry/git)") == 1


def test_one_call_is_said_in_the_singular_and_json_keeps_the_notes(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('module "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n')
    proc = run_cli("lint", ".", cwd=tmp_path, env=_env(tmp_path))
    assert proc.stdout.splitlines()[-1] == (
        "1 module call not analysed (registry/git): run `terraform init`, or pass a plan JSON"
    )
    doc = json.loads(run_cli("lint", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path)).stdout)
    assert any("terraform-aws-modules/vpc/aws" in n for n in doc["notes"])


def test_no_notice_once_the_modules_are_installed(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('module "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n')
    installed = tmp_path / ".terraform" / "modules" / "vpc"
    installed.mkdir(parents=True)
    (installed / "main.tf").write_text(
        'resource "aws_ebs_volume" "v" {\n  availability_zone = "us-east-1a"\n  type = "gp3"\n  size = 10\n}\n'
    )
    manifest = {
        "Modules": [{"Key": "", "Source": "", "Dir": "."}, {"Key": "vpc", "Dir": ".terraform/modules/vpc"}]
    }
    (tmp_path / ".terraform" / "modules" / "modules.json").write_text(json.dumps(manifest))
    for command in ("lint", "cost"):
        proc = run_cli(command, ".", cwd=tmp_path, env=_env(tmp_path))
        assert "not analysed" not in proc.stdout, proc.stdout
    cost = json.loads(run_cli("cost", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path)).stdout)
    assert [r["address"] for r in cost["resources"]] == ["module.vpc.aws_ebs_volume.v"]


def test_a_missing_local_module_is_not_counted_as_registry_or_git(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('module "gone" {\n  source = "./gone"\n}\n')
    proc = run_cli("lint", ".", cwd=tmp_path, env=_env(tmp_path))
    assert "registry/git" not in proc.stdout
    doc = json.loads(run_cli("lint", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path)).stdout)
    assert doc["notes"] == ["module.gone: local source './gone' is not a folder; skipped"]


# -- the language server --------------------------------------------------------------------------------
pytestmark_lsp = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def ls(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Editor]:
    root = tmp_path_factory.mktemp("ws")
    async with editor(root, init={"debounceMs": 20}) as s:
        yield s


def _source_range(text: str, source: str) -> lsp.Range:
    line_no, line = next((i, ln) for i, ln in enumerate(text.splitlines()) if f'"{source}"' in ln)
    start = line.index(f'"{source}"')
    return lsp.Range(lsp.Position(line_no, start), lsp.Position(line_no, start + len(source) + 2))


@pytestmark_lsp
async def test_server_shows_an_information_diagnostic_on_each_source(ls: Editor) -> None:
    ls.write("mods/child/main.tf", CHILD_TF)
    uri = ls.open("mods/main.tf", ROOT_TF)
    p = await ls.wait_for(uri, version=1, predicate=lambda p: len(p.diagnostics) >= 2)
    notes = [d for d in p.diagnostics if d.severity == lsp.DiagnosticSeverity.Information]
    assert sorted((d.range.start.line, d.range.start.character) for d in notes) == [(1, 12), (6, 11)]
    assert {d.range.start.line: d.range for d in notes} == {
        1: _source_range(ROOT_TF, "terraform-aws-modules/vpc/aws"),
        6: _source_range(ROOT_TF, "git::https://example.com/db.git?ref=v1"),
    }
    for d in notes:
        assert d.source == "advisor"
        assert "registry/git" in d.message and "terraform init" in d.message and "plan JSON" in d.message


@pytestmark_lsp
async def test_the_diagnostic_goes_once_the_call_is_local(ls: Editor) -> None:
    uri = ls.open("single/main.tf", 'module "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n')
    p = await ls.wait_for(uri, version=1)
    assert [(d.severity, d.range.start.line) for d in p.diagnostics] == [
        (lsp.DiagnosticSeverity.Information, 1)
    ]
    ls.write("single/vpc/main.tf", "")
    version = ls.replace_all(uri, 'module "vpc" {\n  source = "./vpc"\n}\n')
    p = await ls.wait_for(uri, version=version)
    assert list(p.diagnostics) == []


UNFETCHED_CALLS = """variable "bastion_type" {
  default = "t2.medium"
}

module "bastion" {
  source        = "cloudposse/ec2-bastion-server/aws"
  instance_type = var.bastion_type
}

module "nodes" {
  source         = "terraform-aws-modules/eks/aws//modules/eks-managed-node-group"
  instance_types = ["m4.large"]
  volume_type    = "gp2"
}

module "other" {
  source        = "example/thing/aws"
  instance_type = "spot"
}

# advisor:ignore all -- replaced next sprint
module "ignored" {
  source        = "example/thing/aws"
  instance_type = "m4.large"
}
"""


def test_arguments_of_a_module_not_analysed_are_checked_per_unit(tmp_path: Path) -> None:
    """A registry module not fetched is not priced, but an `instance_type = "t2.medium"` passed to it is
    a choice plainly written: it is flagged with per-unit figures (us-east-1 on-demand: t2.medium
    $0.0464/h, t3a.medium $0.0376/h; m4.large $0.10/h, m5a.large $0.086/h; gp2 $0.10 and gp3 $0.08 per
    GB-month), its fix edits the literal, and nothing is claimed as a monthly saving."""
    (tmp_path / "main.tf").write_text(UNFETCHED_CALLS)
    r = run_cli("lint", ".", "--format", "json", cwd=tmp_path, env={"ADVISOR_NO_CACHE": "1"})
    doc = json.loads(r.stdout)
    found = {(f["resource"], f["rule"]): f for f in doc["findings"]}
    bastion = found[("module.bastion", "ec2-newer-generation")]
    assert "t2.medium $0.0464/h → t3a.medium $0.0376/h per instance" in bastion["message"]
    assert bastion["fix"][0]["line"] == 2  # the variable's default
    nodes = found[("module.nodes", "ec2-previous-generation")]
    assert "m4.large $0.1/h → m5a.large $0.086/h per instance" in nodes["message"]
    gp2 = found[("module.nodes", "ebs-gp2-to-gp3")]
    assert "$0.10 → $0.08 per GB-month" in gp2["message"]
    assert all(f["monthly_savings"] is None for f in doc["findings"])
    assert not [f for f in doc["findings"] if f["resource"] in ("module.other", "module.ignored")]
    # a module's `instance_type` holding an RDS class is an RDS class, never an EC2 type
    (tmp_path / "db.tf").write_text(
        'module "aurora" {\n  source = "x/rds/aws"\n  instance_type = "db.r4.large"\n}\n'
    )
    again = json.loads(
        run_cli("lint", ".", "--format", "json", cwd=tmp_path, env={"ADVISOR_NO_CACHE": "1"}).stdout
    )
    aurora = [(f["rule"], f["suggested"]) for f in again["findings"] if f["resource"] == "module.aurora"]
    assert aurora == [("rds-previous-generation", "db.r5.large")]
    # calls are not resources: nothing priced, nothing counted
    assert doc["summary"]["resources"] == 0 and doc["summary"]["monthly_cost"] == 0


def test_ignore_comments_hold_when_the_folder_is_given_as_dot(tmp_path: Path) -> None:
    """`advisor lint .` names files `./main.tf`; the ignore comments of `main.tf` still apply."""
    (tmp_path / "main.tf").write_text(
        '# advisor:ignore all -- kept on purpose\nresource "aws_instance" "a" {\n  ami = "x"\n'
        '  instance_type = "m4.large"\n}\n'
    )
    for path in (".", str(tmp_path)):
        r = run_cli("lint", path, "--format", "json", cwd=tmp_path, env={"ADVISOR_NO_CACHE": "1"})
        assert json.loads(r.stdout)["findings"] == [], path


def test_search_warehouse_and_broker_types_passed_to_unfetched_modules(tmp_path: Path) -> None:
    """Each value is checked by its own service's rule, never taken for an EC2 type."""
    (tmp_path / "main.tf").write_text(
        'module "es" {\n  source = "x/elasticsearch/aws"\n  instance_type = "t2.small.elasticsearch"\n}\n'
        'module "dw" {\n  source = "x/redshift/aws"\n  node_type = "ds2.xlarge"\n}\n'
        'module "mq" {\n  source = "x/msk/aws"\n  broker_instance_type = "kafka.m5.large"\n}\n'
    )
    doc = json.loads(
        run_cli("lint", ".", "--format", "json", cwd=tmp_path, env={"ADVISOR_NO_CACHE": "1"}).stdout
    )
    found = sorted((f["resource"], f["rule"], f["suggested"]) for f in doc["findings"])
    assert found == [
        ("module.dw", "redshift-previous-generation", "ra3.xlplus"),
        ("module.es", "opensearch-previous-generation", "t3.small.elasticsearch"),
        ("module.mq", "msk-graviton", "kafka.m7g.large"),
    ]


NESTED_ARGUMENTS = """\
module "eks" {
  source = "terraform-aws-modules/eks/aws"
  eks_managed_node_groups = {
    general = {
      instance_types = ["m5.large", "t2.large"]
      block_device_mappings = {
        xvda = {
          device_name = "/dev/xvda"
          ebs = { volume_size = 100, volume_type = "gp2" }
        }
      }
    }
  }
}
module "asg" {
  source = "terraform-aws-modules/autoscaling/aws"
  block_device_mappings = [{ ebs = { volume_type = "io1", volume_size = 50 } }]
  root_block_device = { type = "gp2", size = 20 }
}
"""


def test_values_nested_in_what_a_module_call_passes_are_checked(tmp_path: Path) -> None:
    """Node groups, block device mappings and root devices passed as objects, maps and lists to modules
    that are not fetched: each costly value is found where it is written, with per-unit figures
    (us-east-1: t2.large $0.0928/h → t3a.large $0.0752/h; gp2 $0.10 → gp3 $0.08 per GB-month)."""
    (tmp_path / "main.tf").write_text(NESTED_ARGUMENTS)
    doc = json.loads(
        run_cli("lint", ".", "--format", "json", cwd=tmp_path, env={"ADVISOR_NO_CACHE": "1"}).stdout
    )
    by_line = {(f["line"], f["current"]): f for f in doc["findings"]}
    assert (5, "t2.large") in by_line and (5, "m5.large") in by_line
    assert "t2.large $0.0928/h → t3a.large $0.0752/h per instance" in by_line[(5, "t2.large")]["message"]
    gp2 = by_line[(9, "gp2")]
    assert gp2["rule"] == "ebs-gp2-to-gp3" and "$0.10 → $0.08 per GB-month" in gp2["message"]
    assert gp2["fix"][0]["line"] == 9 and gp2["fix"][0]["new_text"] == '"gp3"'
    assert (17, "io1") in by_line and (18, "gp2") in by_line
    assert all(f["monthly_savings"] is None for f in doc["findings"])


def test_instance_types_under_any_argument_name_are_recognised_by_value(tmp_path: Path) -> None:
    """A module's author names its arguments: a type is known by its value, each by its own service's
    rule, while other strings and volume names under unknown keys are left alone."""
    (tmp_path / "main.tf").write_text(
        'module "m" {\n  source = "x/y/aws"\n  bastion_size = "t2.micro"\n  db_size = "db.m4.large"\n'
        '  pools = { a = { kind = "m4.xlarge" } }\n  name = "m4-web"\n  storage_class = "standard"\n}\n'
    )
    doc = json.loads(
        run_cli("lint", ".", "--format", "json", cwd=tmp_path, env={"ADVISOR_NO_CACHE": "1"}).stdout
    )
    found = sorted((f["line"], f["current"], f["rule"]) for f in doc["findings"])
    assert found == [
        (3, "t2.micro", "ec2-newer-generation"),
        (4, "db.m4.large", "rds-previous-generation"),
        (5, "m4.xlarge", "ec2-previous-generation"),
    ]
