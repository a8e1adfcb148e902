"""Terragrunt roots: a folder with `terragrunt.hcl` runs the module its `terraform.source` names with its
merged `inputs` as the module's variables, and is a project of its own in `advisor cost`.

The fixture has the usual layout: `live/root.hcl` shared by two roots, `live/dev` and `live/prod`, which
both run `modules/app` (an EBS volume and an instance). Prices checked by hand (us-east-1): io1 is
$0.125 per GB-month and $0.065 per provisioned IOPS-month, so 1,000 GB with 800 IOPS is $125 + $52 =
$177; gp3 is $0.08 per GB-month with 3,000 IOPS included, so 1,000 GB is $80 and 100 GB $8.
Through the real command line, the front-end and the engine, and the real language server.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from conftest import run_cli
from lsp_fixtures.harness import Editor, editor

MODULE_TF = """variable "volume_type" {
  type    = string
  default = "gp2"
}

variable "volume_size" {
  type = number
}

variable "iops" {
  type    = number
  default = null
}

variable "instance_type" {
  type = string
}

variable "tags" {
  type    = map(string)
  default = {}
}

resource "aws_ebs_volume" "data" {
  availability_zone = "us-east-1a"
  type              = var.volume_type
  size              = var.volume_size
  iops              = var.iops
}

resource "aws_instance" "app" {
  ami           = "ami-12345678"
  instance_type = var.instance_type
  tags          = var.tags
}
"""

ROOT_HCL = """locals {
  project = "shop"
}

inputs = {
  instance_type = "t3.micro"
  tags          = { project = local.project }
}
"""

DEV_HCL = """include "root" {
  path = find_in_parent_folders("root.hcl")
}

locals {
  size = 100
}

terraform {
  source = "../..//modules/app"
}

inputs = {
  volume_type = get_env("DEV_VOLUME_TYPE", "gp3")
  volume_size = local.size
}
"""

PROD_HCL = """include "root" {
  path           = find_in_parent_folders("root.hcl")
  merge_strategy = "deep"
}

dependency "sizing" {
  config_path  = "../sizing"
  mock_outputs = { instance_type = "m5.large" }
}

terraform {
  source = "../../modules//app"
}

inputs = {
  volume_type   = "io1"
  volume_size   = 1000
  iops          = 800
  instance_type = dependency.sizing.outputs.instance_type
  tags          = { env = "prod" }
}
"""


def _tree(root: Path) -> Path:
    files = {
        "modules/app/main.tf": MODULE_TF,
        "live/root.hcl": ROOT_HCL,
        "live/dev/terragrunt.hcl": DEV_HCL,
        "live/prod/terragrunt.hcl": PROD_HCL,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"ADVISOR_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "120", **extra}


def _json(proc: Any) -> dict[str, Any]:
    assert proc.returncode in (0, 1), proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def _by_project(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["project"], r["address"]): r for r in doc["resources"]}


def _line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line holding `needle`."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# -- advisor cost -----------------------------------------------------------------------------------------
def test_cost_json_prices_each_root_as_its_own_project(tmp_path: Path) -> None:
    _tree(tmp_path)
    doc = _json(run_cli("cost", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    costs = _by_project(doc)
    assert set(costs) == {
        ("live/dev", "aws_ebs_volume.data"),
        ("live/dev", "aws_instance.app"),
        ("live/prod", "aws_ebs_volume.data"),
        ("live/prod", "aws_instance.app"),
    }  # the module folder is analysed through each root, not also alone with its variables unset
    prod_volume = costs[("live/prod", "aws_ebs_volume.data")]
    assert prod_volume["path"] == "modules/app/main.tf"
    assert prod_volume["monthly_cost"] == 177.0
    assert [(c["quantity"], c["unit_price"]) for c in prod_volume["components"]] == [
        (1000, 0.125),
        (800, 0.065),
    ]
    assert costs[("live/dev", "aws_ebs_volume.data")]["monthly_cost"] == 8.0  # gp3, 100 GB
    prod_instance = costs[("live/prod", "aws_instance.app")]  # its type from the dependency's mock output
    assert "m5.large" in prod_instance["components"][0]["name"]
    assert "t3.micro" in costs[("live/dev", "aws_instance.app")]["components"][0]["name"]  # from root.hcl
    projects = {p["name"]: p for p in doc["projects"]}
    assert set(projects) == {"live/dev", "live/prod"}
    for name, project in projects.items():
        assert project["kind"] == "terragrunt"
        assert project["resources"] == 2
        mine = [r["monthly_cost"] for r in doc["resources"] if r["project"] == name]
        assert project["monthly_cost"] == pytest.approx(sum(mine), abs=0.01)
    assert doc["total"] == pytest.approx(sum(p["monthly_cost"] for p in projects.values()), abs=0.01)
    assert doc["incomplete"] is False and "errors" not in doc


def test_cost_text_shows_both_projects_with_their_subtotals(tmp_path: Path) -> None:
    _tree(tmp_path)
    doc = _json(run_cli("cost", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    subtotal = {p["name"]: p["monthly_cost"] for p in doc["projects"]}
    proc = run_cli("cost", ".", cwd=tmp_path, env=_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    dev = next(i for i, ln in enumerate(lines) if ln.startswith("Project live/dev (Terragrunt)"))
    prod = next(i for i, ln in enumerate(lines) if ln.startswith("Project live/prod (Terragrunt)"))
    assert dev < prod
    assert lines[dev].endswith(f"${subtotal['live/dev']:,.2f}")
    assert lines[prod].endswith(f"${subtotal['live/prod']:,.2f}")
    assert "$177.00" in "\n".join(lines[prod:])  # prod's volume is under prod's heading
    assert "1,000 GB" in "\n".join(lines[prod:]) and "1,000 GB" not in "\n".join(lines[dev:prod])


def test_a_plain_root_module_shows_no_project_headings(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        MODULE_TF.replace("type = number\n}", "type = number\n  default = 10\n}", 1)
    )
    proc = run_cli("cost", ".", cwd=tmp_path, env=_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "Project" not in proc.stdout
    doc = _json(run_cli("cost", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    assert [p["kind"] for p in doc["projects"]] == ["terraform"]


# -- advisor lint -----------------------------------------------------------------------------------------
def test_lint_flags_prods_io1_volume_with_its_saving_and_fixes_the_inputs_entry(tmp_path: Path) -> None:
    _tree(tmp_path)
    doc = _json(run_cli("lint", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    io1 = [f for f in doc["findings"] if f["rule"] == "ebs-io1-to-gp3"]
    assert len(io1) == 1  # dev's volume is gp3 already
    finding = io1[0]
    assert (finding["monthly_cost"], finding["monthly_cost_after"], finding["monthly_savings"]) == (
        177.0,
        80.0,
        97.0,
    )
    assert finding["path"] == "modules/app/main.tf"
    assert "prod/terragrunt.hcl" in finding["message"] and "Terragrunt root prod" in finding["message"]
    type_edit = next(e for e in finding["fix"] if e["new_text"] == '"gp3"')
    assert type_edit["path"] == "live/prod/terragrunt.hcl"  # the inputs entry that sets it
    assert type_edit["line"] == _line_of(PROD_HCL, 'volume_type   = "io1"')
    line = PROD_HCL.splitlines()[type_edit["line"] - 1]
    assert line[type_edit["column"] - 1 : type_edit["end_column"] - 1] == '"io1"'
    assert all(e["path"] != "modules/app/main.tf" for e in finding["fix"])  # the module serves dev too


def test_a_value_from_a_dependencys_mock_outputs_is_never_a_fix_target(tmp_path: Path) -> None:
    _tree(tmp_path)
    doc = _json(run_cli("lint", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    on_type = [
        f
        for f in doc["findings"]
        if f["attribute"] == "instance_type" and "Terragrunt root prod" in f["message"]
    ]
    assert on_type, "m5.large has cheaper alternatives"
    for f in on_type:
        assert f["current"] == "m5.large"
        assert f["fix"] == []  # the real type comes from the other root's outputs
        assert "mock_outputs" in f["message"]


def test_get_env_takes_the_default_never_the_users_environment(tmp_path: Path) -> None:
    _tree(tmp_path)
    env = _env(tmp_path, DEV_VOLUME_TYPE="io1")
    doc = _json(run_cli("cost", ".", "--format", "json", cwd=tmp_path, env=env))
    assert _by_project(doc)[("live/dev", "aws_ebs_volume.data")]["monthly_cost"] == 8.0


def test_get_env_without_a_default_is_unknown_not_zero(tmp_path: Path) -> None:
    _tree(tmp_path)
    dev = tmp_path / "live/dev/terragrunt.hcl"
    dev.write_text(DEV_HCL.replace("volume_size = local.size", 'volume_size = get_env("DEV_SIZE")'))
    doc = _json(run_cli("cost", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path, DEV_SIZE="5")))
    volume = _by_project(doc)[("live/dev", "aws_ebs_volume.data")]
    assert volume["monthly_cost"] is None
    dev_total = next(p for p in doc["projects"] if p["name"] == "live/dev")
    assert dev_total["unknown"] == 1


# -- sources ----------------------------------------------------------------------------------------------
def test_a_remote_source_without_cache_is_said_like_a_registry_module(tmp_path: Path) -> None:
    _tree(tmp_path)
    prod = tmp_path / "live/prod/terragrunt.hcl"
    prod.write_text(
        PROD_HCL.replace('"../../modules//app"', '"git::https://example.com/infra.git//modules/app?ref=v1"')
    )
    proc = run_cli("cost", ".", cwd=tmp_path, env=_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert (
        "1 module call not analysed (registry/git): run `terragrunt init`, or pass a plan JSON" in proc.stdout
    )
    assert "Project live/prod" not in proc.stdout and "Project live/dev" in proc.stdout
    lint = _json(run_cli("lint", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    assert any("not in .terragrunt-cache" in n for n in lint["notes"])


def test_a_remote_source_is_read_from_the_terragrunt_cache(tmp_path: Path) -> None:
    _tree(tmp_path)
    prod = tmp_path / "live/prod"
    (prod / "terragrunt.hcl").write_text(
        PROD_HCL.replace('"../../modules//app"', '"git::https://example.com/infra.git//modules/app?ref=v1"')
    )
    cached = prod / ".terragrunt-cache" / "h1" / "h2" / "modules" / "app"
    cached.mkdir(parents=True)
    (cached / "main.tf").write_text(MODULE_TF)
    proc = run_cli("cost", ".", cwd=tmp_path, env=_env(tmp_path))
    assert "not analysed" not in proc.stdout
    doc = _json(run_cli("cost", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    volume = _by_project(doc)[("live/prod", "aws_ebs_volume.data")]
    assert volume["monthly_cost"] == 177.0
    assert volume["path"] == "live/prod/.terragrunt-cache/h1/h2/modules/app/main.tf"


def test_a_root_without_source_runs_its_own_folder(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(MODULE_TF)
    (tmp_path / "terragrunt.hcl").write_text(
        'inputs = {\n  volume_size = 50\n  instance_type = "t3.micro"\n}\n'
    )
    doc = _json(run_cli("cost", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    assert _by_project(doc)[(".", "aws_ebs_volume.data")]["monthly_cost"] == 5.0  # gp2 default, 50 GB
    assert [p["kind"] for p in doc["projects"]] == ["terragrunt"]


# -- bad input --------------------------------------------------------------------------------------------
def test_an_include_cycle_is_an_error_at_the_include_and_the_run_ends(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.mkdir()
    (loop / "terragrunt.hcl").write_text('include {\n  path = "a.hcl"\n}\n')
    (loop / "a.hcl").write_text('include {\n  path = "b.hcl"\n}\n')
    (loop / "b.hcl").write_text('include {\n  path = "terragrunt.hcl"\n}\n')
    proc = run_cli("lint", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path))
    assert proc.returncode == 3, proc.stderr  # part of the input was not analysed
    doc = json.loads(proc.stdout)
    errors = [e for e in doc["errors"] if "include cycle" in e["message"]]
    assert len(errors) == 1
    assert errors[0]["path"] == "loop/b.hcl" and errors[0]["line"] == 2
    assert "loop/terragrunt.hcl → loop/a.hcl → loop/b.hcl → loop/terragrunt.hcl" in errors[0]["message"]


def test_includes_nested_too_deep_are_an_error(tmp_path: Path) -> None:
    deep = tmp_path / "deep"
    deep.mkdir()
    (deep / "terragrunt.hcl").write_text('include {\n  path = "c0.hcl"\n}\n')
    for i in range(15):
        (deep / f"c{i}.hcl").write_text(f'include {{\n  path = "c{i + 1}.hcl"\n}}\n')
    (deep / "c15.hcl").write_text("inputs = {}\n")
    proc = run_cli("lint", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path))
    assert proc.returncode == 3, proc.stderr
    assert any("nested deeper than 10" in e["message"] for e in json.loads(proc.stdout)["errors"])


def test_a_missing_parent_is_an_error_at_the_call(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / "live/root.hcl").unlink()
    doc = json.loads(run_cli("lint", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path)).stdout)
    found = [e for e in doc["errors"] if "find_in_parent_folders" in e["message"]]
    assert {e["path"] for e in found} == {"live/dev/terragrunt.hcl", "live/prod/terragrunt.hcl"}
    assert {e["line"] for e in found} == {2}  # the include's path
    assert all(e["message"].startswith("the included path is not known") for e in found)


# -- the front-end and the engine -------------------------------------------------------------------------
def test_front_end_merges_inputs_deeply_and_keeps_their_origins(tmp_path: Path) -> None:
    from advisor.iac.terraform import Settings
    from advisor.iac.terragrunt import evaluate_terragrunt

    _tree(tmp_path)
    prod = str(tmp_path / "live/prod")
    result = evaluate_terragrunt(prod, Settings())
    assert result.errors == []
    by_address = {r.address: r for r in result.resources}
    instance = by_address["aws_instance.app"]
    tags = instance.attr("tags")
    assert tags is not None and tags.value == {"project": "shop", "env": "prod"}  # merge_strategy = "deep"
    assert {r.root for r in result.resources} == {prod}
    size = by_address["aws_ebs_volume.data"].attr("size")
    assert size is not None and size.value == 1000
    assert size.origin is not None and size.origin.path == str(tmp_path / "live/prod/terragrunt.hcl")
    assert str(tmp_path / "live/root.hcl") in result.files


def test_shallow_merge_lets_the_child_replace_a_whole_input(tmp_path: Path) -> None:
    from advisor.iac.terraform import Settings
    from advisor.iac.terragrunt import evaluate_terragrunt

    _tree(tmp_path)
    prod = tmp_path / "live/prod/terragrunt.hcl"
    prod.write_text(PROD_HCL.replace('  merge_strategy = "deep"\n', ""))
    result = evaluate_terragrunt(str(prod.parent), Settings())
    instance = next(r for r in result.resources if r.type == "aws_instance")
    tags = instance.attr("tags")
    assert tags is not None and tags.value == {"env": "prod"}


def test_path_functions_read_terragrunt_config_and_exposed_includes(tmp_path: Path) -> None:
    from advisor.iac.terraform import Settings
    from advisor.iac.terragrunt import evaluate_terragrunt

    _tree(tmp_path)
    (tmp_path / "live/env.hcl").write_text("locals {\n  size = 300\n}\n")
    (tmp_path / "live/root.hcl").write_text(
        ROOT_HCL.replace('project = "shop"', 'project = "shop"\n  where = path_relative_to_include()')
    )
    (tmp_path / "live/dev/terragrunt.hcl").write_text(
        """include "root" {
  path   = find_in_parent_folders("root.hcl")
  expose = true
}

locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl"))
}

terraform {
  source = "${get_terragrunt_dir()}/../../modules/app"
}

inputs = {
  volume_size   = local.env.locals.size
  volume_type   = basename(get_parent_terragrunt_dir()) == "live" ? "gp3" : "io1"
  tags          = { where = include.root.locals.where }
}
"""
    )
    result = evaluate_terragrunt(str(tmp_path / "live/dev"), Settings())
    assert result.errors == []
    by_type = {r.type: r for r in result.resources}
    volume = by_type["aws_ebs_volume"]
    assert (volume.attr("size").value, volume.attr("type").value) == (300, "gp3")  # type: ignore[union-attr]
    size = volume.attr("size")
    assert size is not None and size.origin is not None and size.origin.path.endswith("env.hcl")
    assert by_type["aws_instance"].attr("tags").value == {"where": "dev"}  # type: ignore[union-attr]


def test_analyze_buffer_uses_the_unsaved_terragrunt_hcl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from advisor.engine import Options, analyze_buffer

    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    path = "live/prod/terragrunt.hcl"
    outcome = analyze_buffer(
        path, {path: PROD_HCL.replace("volume_size   = 1000", "volume_size   = 2000")}, Options()
    )
    volume = next(c for c in outcome.costs if c.type == "aws_ebs_volume")
    assert volume.monthly_cost == pytest.approx(2000 * 0.125 + 800 * 0.065)
    assert volume.root == "live/prod"


# -- the language server ----------------------------------------------------------------------------------
pytestmark_lsp = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def ls(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Editor]:
    root = tmp_path_factory.mktemp("ws")
    async with editor(root, init={"debounceMs": 20}) as s:
        yield s


@pytestmark_lsp
async def test_the_server_analyses_an_open_terragrunt_hcl_as_its_root(ls: Editor) -> None:
    _tree(ls.root)
    broken = PROD_HCL.replace("iops          = 800", "iops          = ")
    uri = ls.open("live/prod/terragrunt.hcl", broken, language="hcl")
    p = await ls.wait_for(uri, version=1, predicate=lambda p: bool(p.diagnostics))
    assert [d.code for d in p.diagnostics] == ["parse-error"]
    assert p.diagnostics[0].range.start.line == _line_of(PROD_HCL, "iops          = 800") - 1
    # evaluated as Terragrunt, not only parsed: a parent that is not there is an error at the call
    ls.replace_all(uri, PROD_HCL.replace('"root.hcl"', '"missing.hcl"'))
    p = await ls.wait_for(uri, version=2)
    assert ["find_in_parent_folders" in d.message for d in p.diagnostics] == [True]
    assert p.diagnostics[0].range.start.line == _line_of(PROD_HCL, "find_in_parent_folders") - 1
    ls.replace_all(uri, PROD_HCL)
    p = await ls.wait_for(uri, version=3)
    assert list(p.diagnostics) == []


@pytestmark_lsp
async def test_the_server_says_where_a_remote_source_is_not_fetched(ls: Editor) -> None:
    from lsprotocol import types as lsp

    _tree(ls.root)
    source = "git::https://example.com/infra.git//modules/app?ref=v1"
    text = PROD_HCL.replace('"../../modules//app"', f'"{source}"')
    uri = ls.open("remote/prod/terragrunt.hcl", text, language="hcl")
    p = await ls.wait_for(uri, version=1, predicate=lambda p: bool(p.diagnostics))
    notes = [d for d in p.diagnostics if d.severity == lsp.DiagnosticSeverity.Information]
    assert len(notes) == 1 and "terragrunt init" in notes[0].message
    assert notes[0].range.start.line == _line_of(text, source) - 1


GENERATED_PROVIDER = """locals {
  aws_region = "eu-west-1"
}

generate "provider" {
  path      = "provider.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<EOF
provider "aws" {
  region = "${local.aws_region}"
}
EOF
}

inputs = {
  instance_type = "t3.micro"
}
"""


def test_the_region_of_a_generated_provider_prices_the_root(tmp_path: Path) -> None:
    from advisor.iac.terraform import Settings
    from advisor.iac.terragrunt import evaluate_terragrunt

    _tree(tmp_path)
    (tmp_path / "live/root.hcl").write_text(GENERATED_PROVIDER)
    result = evaluate_terragrunt(str(tmp_path / "live/prod"), Settings())
    assert result.errors == []
    assert {r.region for r in result.resources} == {"eu-west-1"}


@pytestmark_lsp
async def test_a_module_file_shows_the_figures_of_each_root_that_runs_it(ls: Editor) -> None:
    _tree(ls.root)
    uri = ls.open("modules/app/main.tf")
    p = await ls.wait_for(
        uri, version=1, predicate=lambda p: any(d.code == "ebs-io1-to-gp3" for d in p.diagnostics)
    )
    io1 = [d for d in p.diagnostics if d.code == "ebs-io1-to-gp3"]
    assert len(io1) == 1  # prod's volume; dev's is gp3
    assert "$177.00 → $80.00/mo" in io1[0].message and "Terragrunt root live/prod" in io1[0].message
    assert io1[0].range.start.line == _line_of(MODULE_TF, "type              = var.volume_type") - 1
    on_type = _line_of(MODULE_TF, "instance_type = var.instance_type") - 1
    roots = {
        d.message.rsplit("Terragrunt root ", 1)[-1].split(")")[0]
        for d in p.diagnostics
        if d.range.start.line == on_type
    }
    assert roots == {"live/dev", "live/prod"}  # t3.micro from root.hcl, m5.large from the mock output
    # each root's figure, never one sum of two deployments: dev's 100 GB of gp3 at $0.08 per GB-month,
    # prod's 1,000 GB of io1 at $0.125 and 800 IOPS at $0.065
    from lsprotocol import types as lsp

    found = await ls.client.text_document_code_lens_async(lsp.CodeLensParams(lsp.TextDocumentIdentifier(uri)))
    titles = {c.range.start.line: c.command.title for c in found or [] if c.command}
    volume_line = _line_of(MODULE_TF, 'resource "aws_ebs_volume" "data"') - 1
    assert titles[volume_line] == "$8.00/mo in live/dev · $177.00/mo in live/prod"
    assert "/mo in live/dev, " in titles[0] and "/mo in live/prod from this file" in titles[0]
    h = await ls.client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri), lsp.Position(volume_line, 12))
    )
    assert h is not None and isinstance(h.contents, lsp.MarkupContent)
    assert "$8.00/mo in live/dev · $177.00/mo in live/prod" in h.contents.value
    assert (
        "live/dev:aws_ebs_volume.data" in h.contents.value
        and "live/prod:aws_ebs_volume.data" in h.contents.value
    )


@pytestmark_lsp
async def test_a_workspace_scan_counts_each_root_once_as_the_command_line_does(ls: Editor) -> None:
    from lsprotocol import types as lsp

    _tree(ls.root / "scanned")
    summary = await ls.client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="advisor.scanWorkspace", arguments=[ls.uri("scanned")])
    )
    env = _env(ls.root)
    cost = _json(run_cli("cost", "scanned", "--format", "json", cwd=ls.root, env=env))
    lint = _json(run_cli("lint", "scanned", "--format", "json", cwd=ls.root, env=env))
    assert summary["monthly_cost"] == pytest.approx(cost["total"], abs=0.01)
    assert summary["findings"] == lint["summary"]["findings"]


def test_a_dependency_without_mock_outputs_is_unknown_not_zero(tmp_path: Path) -> None:
    _tree(tmp_path)
    prod = tmp_path / "live/prod/terragrunt.hcl"
    prod.write_text(PROD_HCL.replace('  mock_outputs = { instance_type = "m5.large" }\n', ""))
    doc = _json(run_cli("cost", ".", "--format", "json", cwd=tmp_path, env=_env(tmp_path)))
    instance = _by_project(doc)[("live/prod", "aws_instance.app")]
    assert instance["monthly_cost"] is None
    assert next(p for p in doc["projects"] if p["name"] == "live/prod")["unknown"] == 1
