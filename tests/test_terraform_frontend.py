"""The Terraform front-end: tolerant parsing, exact spans, evaluation."""

from __future__ import annotations

import json
from pathlib import Path

from advisor.iac.hcl_parse import parse_hcl
from advisor.iac.terraform import Settings, evaluate_root


def write(tmp: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return tmp


def resources(tmp: Path, **settings):
    result = evaluate_root(str(tmp), Settings(**settings))
    return {r.address: r for r in result.resources}, result


VOLUME = 'resource "aws_ebs_volume" "v" {\n  type = "io1"\n  size = 100\n}\n'


def test_value_spans_are_exact(tmp_path):
    text = 'resource "aws_ebs_volume" "v" {\n  type = "io1" # note\n  size = 100\n}\n'
    write(tmp_path, {"main.tf": text})
    res, _ = resources(tmp_path)
    t = res["aws_ebs_volume.v"].attr("type")
    assert t.value == "io1" and t.kind == "literal"
    assert (t.span.line, t.span.column, t.span.end_line, t.span.end_column) == (1, 9, 1, 14)
    assert text[t.span.start : t.span.end] == '"io1"'
    size = res["aws_ebs_volume.v"].attr("size")
    assert text[size.span.start : size.span.end] == "100"


def test_broken_block_costs_only_itself(tmp_path):
    text = (
        VOLUME + '\nresource "aws_instance" "x" {\n  instance_type = \n}\n\n' + VOLUME.replace('"v"', '"w"')
    )
    write(tmp_path, {"main.tf": text})
    res, result = resources(tmp_path)
    assert set(res) == {"aws_ebs_volume.v", "aws_ebs_volume.w"}
    assert len(result.errors) == 1
    err = result.errors[0]
    assert err.span is not None and 6 <= err.span.line <= 7, err


def test_unclosed_brace_keeps_following_blocks(tmp_path):
    text = 'resource "aws_instance" "x" {\n  tags = {\n\n' + VOLUME
    write(tmp_path, {"main.tf": text})
    res, result = resources(tmp_path)
    assert "aws_ebs_volume.v" in res
    assert result.errors and result.errors[0].span.line <= 1


def test_crlf_and_non_ascii(tmp_path):
    text = '# café ☕\r\nresource "aws_ebs_volume" "v" {\r\n  tags = { Name = "données" }\r\n  type = "gp2"\r\n}\r\n'
    (tmp_path / "main.tf").write_bytes(text.encode("utf-8"))
    res, result = resources(tmp_path)
    assert not result.errors
    v = res["aws_ebs_volume.v"]
    assert v.attr("tags").value == {"Name": "données"}
    t = v.attr("type")
    assert t.span.line == 3 and t.span.column == 9
    assert text[t.span.start : t.span.end] == '"gp2"'


def test_heredoc_and_interpolation(tmp_path):
    text = (
        'locals { env = "dev" }\n'
        'resource "aws_iam_policy" "p" {\n  policy = <<EOF\n{"a": "}"}\nEOF\n  name = "p-${local.env}"\n}\n'
    )
    write(tmp_path, {"main.tf": text})
    res, _result = resources(tmp_path)
    p = res["aws_iam_policy.p"]
    assert p.attr("policy").value == '{"a": "}"}\n'
    assert p.attr("name").value == "p-dev" and p.attr("name").kind == "resolved"


def test_variables_tfvars_and_cli_precedence(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": 'variable "t" { default = "m4.large" }\nvariable "n" { type = number }\n'
            'resource "aws_instance" "a" {\n  instance_type = var.t\n  count = var.n\n}\n',
            "terraform.tfvars": 't = "t2.micro"\nn = 2\n',
            "z.auto.tfvars": 't = "c4.large"\n',
        },
    )
    res, _ = resources(tmp_path)
    assert set(res) == {"aws_instance.a[0]", "aws_instance.a[1]"}
    it = res["aws_instance.a[0]"].attr("instance_type")
    assert it.value == "c4.large"
    assert it.origin.path.endswith("z.auto.tfvars") and it.origin.line == 0
    res, _ = resources(tmp_path, cli_vars={"t": "m5.large", "n": "3"})
    assert len(res) == 3 and res["aws_instance.a[2]"].attr("instance_type").value == "m5.large"


def test_var_file_and_default_origin(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": 'variable "t" {\n  default = "m4.large"\n}\nresource "aws_instance" "a" { instance_type = var.t }\n'
        },
    )
    res, _ = resources(tmp_path)
    it = res["aws_instance.a"].attr("instance_type")
    assert it.origin.line == 1 and "default" in it.origin_note
    (tmp_path / "prod.tfvars").write_text('t = "r5.large"\n')
    res, _ = resources(tmp_path, var_files=[str(tmp_path / "prod.tfvars")])
    assert res["aws_instance.a"].attr("instance_type").value == "r5.large"


def test_locals_conditionals_functions(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": """
variable "env" { default = "prod" }
locals {
  big   = var.env == "prod"
  size  = local.big ? "m5.xlarge" : "t3.small"
  sizes = { small = "t3.micro", large = "m5.large" }
  pick  = lookup(local.sizes, "large", "x")
  loop  = local.loop
}
resource "aws_instance" "a" { instance_type = local.size }
resource "aws_instance" "b" { instance_type = local.pick }
resource "aws_instance" "c" { instance_type = local.loop }
resource "aws_instance" "d" { instance_type = data.aws_ami.x.id }
resource "aws_instance" "e" { instance_type = upper(format("%s.%s", "m5", "large")) }
""",
        },
    )
    res, _ = resources(tmp_path)
    assert res["aws_instance.a"].attr("instance_type").value == "m5.xlarge"
    a_origin = res["aws_instance.a"].attr("instance_type").origin
    assert a_origin is not None and a_origin.line == 4  # the chosen branch literal
    assert res["aws_instance.b"].attr("instance_type").value == "m5.large"
    assert res["aws_instance.b"].attr("instance_type").origin.line == 5
    c = res["aws_instance.c"].attr("instance_type")
    assert not c.known and "itself" in c.reason
    d = res["aws_instance.d"].attr("instance_type")
    assert not d.known and "after apply" in d.reason
    assert res["aws_instance.e"].attr("instance_type").value == "M5.LARGE"


def test_for_each_and_count_zero(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": 'resource "aws_eip" "a" {\n  for_each = toset(["x", "y"])\n  tags = { k = each.key }\n}\n'
            'resource "aws_eip" "b" { count = 0 }\nresource "aws_eip" "c" { count = var.unknown_count }\n'
        },
    )
    res, result = resources(tmp_path)
    assert set(res) == {'aws_eip.a["x"]', 'aws_eip.a["y"]', "aws_eip.c"}
    assert res['aws_eip.a["y"]'].attr("tags").value == {"k": "y"}
    assert any("count is unknown" in n for n in result.notes)


def test_local_module_call(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": 'provider "aws" { region = "eu-west-1" }\n'
            'module "db" {\n  source = "./modules/db"\n  class  = "db.m4.large"\n  count  = 2\n}\n',
            "modules/db/main.tf": 'variable "class" {}\nvariable "engine" { default = "mysql" }\n'
            'resource "aws_db_instance" "this" {\n  instance_class = var.class\n  engine = var.engine\n}\n',
        },
    )
    res, _ = resources(tmp_path)
    assert set(res) == {"module.db[0].aws_db_instance.this", "module.db[1].aws_db_instance.this"}
    r = res["module.db[0].aws_db_instance.this"]
    assert r.region == "eu-west-1"
    ic = r.attr("instance_class")
    assert ic.value == "db.m4.large" and ic.origin.path.endswith("main.tf") and ic.origin.line == 3
    assert r.path.endswith("modules/db/main.tf")


def test_remote_module_from_terraform_dir_and_missing(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": 'module "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n  size = "t2.micro"\n}\n'
            'module "gone" { source = "git::https://example.com/x.git" }\n',
            ".terraform/modules/modules.json": json.dumps(
                {
                    "Modules": [
                        {"Key": "", "Source": "", "Dir": "."},
                        {"Key": "vpc", "Source": "x", "Dir": ".terraform/modules/vpc"},
                    ]
                }
            ),
            ".terraform/modules/vpc/main.tf": 'variable "size" {}\nresource "aws_instance" "i" { instance_type = var.size }\n',
        },
    )
    res, result = resources(tmp_path)
    assert res["module.vpc.aws_instance.i"].attr("instance_type").value == "t2.micro"
    assert any("module.gone" in n and "skipped" in n for n in result.notes)


def test_nested_blocks_and_dynamic(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": """
resource "aws_launch_template" "lt" {
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_type = "gp2"
    }
  }
}
resource "aws_instance" "i" {
  dynamic "ebs_block_device" {
    for_each = ["gp2", "io1"]
    content {
      volume_type = ebs_block_device.value
    }
  }
}
"""
        },
    )
    res, _ = resources(tmp_path)
    lt = res["aws_launch_template.lt"]
    assert lt.attr("block_device_mappings.ebs.volume_type").value == "gp2"
    assert [
        b.attributes["volume_type"].value for b in res["aws_instance.i"].body.nested("ebs_block_device")
    ] == ["gp2", "io1"]


def test_tf_json(tmp_path):
    doc = {
        "variable": {"size": {"default": "m4.large"}},
        "resource": {
            "aws_instance": {
                "web": {
                    "instance_type": "${var.size}",
                    "root_block_device": {"volume_type": "gp2"},
                    "tags": {"team": "a"},
                }
            }
        },
    }
    text = json.dumps(doc, indent=2)
    write(tmp_path, {"main.tf.json": text})
    res, _result = resources(tmp_path)
    web = res["aws_instance.web"]
    assert web.attr("instance_type").value == "m4.large"
    vt = web.attr("root_block_device.volume_type")
    assert vt.value == "gp2" and text[vt.span.start : vt.span.end] == '"gp2"'
    assert web.attr("tags").value == {"team": "a"}


def test_tf_json_invalid(tmp_path):
    write(tmp_path, {"main.tf.json": '{"resource": {"aws_eip": {"a": {}}}, oops}'})
    _, result = resources(tmp_path)
    assert result.errors and "invalid JSON" in result.errors[0].message


def test_deep_nesting_is_an_error_not_a_crash(tmp_path):
    text = "locals {\n  x = " + "[" * 500 + "]" * 500 + "\n}\n" + VOLUME
    write(tmp_path, {"main.tf": text})
    res, result = resources(tmp_path)
    assert "aws_ebs_volume.v" in res
    assert result.errors and "nest" in result.errors[0].message


def test_empty_and_huge_files(tmp_path):
    write(
        tmp_path, {"empty.tf": "", "big.tf": "".join(VOLUME.replace('"v"', f'"v{i}"') for i in range(2000))}
    )
    res, result = resources(tmp_path)
    assert len(res) == 2000 and not result.errors


def test_parse_cache_reuses_unchanged_blocks():
    from advisor.iac.hcl_parse import HclParser

    parser = HclParser()
    text = VOLUME * 1
    first = parse_hcl("a.tf", text, parser)
    chunks_before = len(parser.chunks)
    again = parse_hcl("a.tf", text + '\nresource "aws_eip" "e" {}\n', parser)
    assert len(parser.chunks) == chunks_before + 1  # only the new block was parsed
    assert again.items[0].item is first.items[0].item  # the unchanged block's very syntax tree
