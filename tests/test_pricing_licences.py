"""Licence-included prices: Windows (alone or with SQL Server) on EC2 where the configuration says the
instance runs it, RDS for SQL Server and Oracle; RHEL and SUSE shown as a Linux price with an unknown
licence line, never silently as Linux.

The real CLI runs on small Terraform, CloudFormation and plan JSON fixtures. Every expected figure is
worked out by hand from AWS's published list prices (us-east-1), in the comment beside it; where an
infracost golden output prints the same figure it is named as a second reading.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from advisor.iac.platform import classify, from_clues
from conftest import run_cli


def cost(folder: Path, *paths: str) -> dict[str, dict[str, Any]]:
    run = run_cli("cost", "--format", "json", *(paths or (".",)), cwd=folder)
    assert run.returncode == 0, run.stderr
    return {r["address"]: r for r in json.loads(run.stdout)["resources"]}


def hours(resource: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in resource["components"] if c["name"].startswith("Instance usage"))


def rds(resource: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in resource["components"] if c["name"].startswith("Database instance"))


TERRAFORM = """
provider "aws" { region = "us-east-1" }

data "aws_ami" "win" {
  most_recent = true
  owners      = ["amazon"]
  filter {
    name   = "name"
    values = ["Windows_Server-2022-English-Full-Base-*"]
  }
}
data "aws_ami" "sql" {
  owners = ["amazon"]
  filter {
    name   = "name"
    values = ["Windows_Server-2019-English-Full-SQL_2019_Standard-*"]
  }
}
data "aws_ami" "rhel" {
  owners     = ["309956199498"]
  name_regex = "^RHEL-9.*"
}
data "aws_ami" "linux" {
  owners = ["amazon"]
  filter {
    name   = "name"
    values = ["al2023-ami-*-x86_64"]
  }
}

resource "aws_instance" "win" {
  ami           = data.aws_ami.win.id
  instance_type = "m5.large"
}
resource "aws_instance" "password" {
  ami               = "ami-0123456789abcdef0"
  instance_type     = "t3.medium"
  get_password_data = true
}
resource "aws_instance" "sql" {
  ami           = data.aws_ami.sql.id
  instance_type = "m5.xlarge"
}
resource "aws_instance" "rhel" {
  ami           = data.aws_ami.rhel.id
  instance_type = "m5.large"
}
resource "aws_instance" "linux" {
  ami           = data.aws_ami.linux.id
  instance_type = "m5.large"
}
locals {
  image = local.windows_image
  windows_image = data.aws_ami.win.id
}
data "aws_ssm_parameter" "win" {
  name = "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-SQL_2022_Web"
}
resource "aws_instance" "via_local" {
  ami           = local.image
  instance_type = "m5.large"
}
resource "aws_instance" "via_ssm" {
  ami           = data.aws_ssm_parameter.win.value
  instance_type = "m5.large"
}
resource "aws_launch_template" "win" {
  image_id      = data.aws_ami.win.id
  instance_type = "c5.large"
}
resource "aws_autoscaling_group" "win" {
  desired_capacity = 2
  max_size         = 2
  min_size         = 1
  launch_template {
    id = aws_launch_template.win.id
  }
}
"""


@pytest.fixture(scope="module")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("tf")
    (folder / "main.tf").write_text(TERRAFORM)
    return cost(folder)


def test_windows_ami_filter_prices_windows(terraform: dict[str, dict[str, Any]]) -> None:
    line = hours(terraform["aws_instance.win"])
    # m5.large: Linux 0.096 + Windows licence 2 vCPU × 0.046 = 0.188 (AWS's Windows price for m5.large)
    assert line["name"] == "Instance usage (Windows, on-demand, m5.large)"
    assert line["unit_price"] == pytest.approx(0.188)
    assert line["monthly_cost"] == pytest.approx(137.24)  # 730 × 0.188
    assert (
        "Windows: AMI filter name Windows_Server-2022-English-Full-Base-* (data.aws_ami.win)" in line["note"]
    )


def test_ami_through_locals_and_ssm_parameter_data_source(terraform: dict[str, dict[str, Any]]) -> None:
    assert hours(terraform["aws_instance.via_local"])["unit_price"] == pytest.approx(0.188)
    line = hours(terraform["aws_instance.via_ssm"])
    # m5.large: 0.096 + 2 × (0.046 Windows + 0.0169 SQL Server Web) = 0.2218
    assert line["name"] == "Instance usage (Windows with SQL Server Web, on-demand, m5.large)"
    assert line["unit_price"] == pytest.approx(0.2218)
    assert "(data.aws_ssm_parameter.win)" in line["note"]


def test_get_password_data_is_windows_and_burstable_types_use_their_own_charge(
    terraform: dict[str, dict[str, Any]],
) -> None:
    line = hours(terraform["aws_instance.password"])
    # t3.medium Windows 0.0600 (AWS page; infracost golden eks_node_group_test 0.06): not 0.0416 + 2 × 0.046
    assert line["unit_price"] == pytest.approx(0.06)
    assert line["monthly_cost"] == pytest.approx(43.80)
    assert "get_password_data = true" in line["note"]


def test_sql_server_standard_ami(terraform: dict[str, dict[str, Any]]) -> None:
    line = hours(terraform["aws_instance.sql"])
    # m5.xlarge: Linux 0.192 + 4 vCPU × (0.046 Windows + 0.12 SQL Standard) = 0.856
    assert line["name"] == "Instance usage (Windows with SQL Server Standard, on-demand, m5.xlarge)"
    assert line["unit_price"] == pytest.approx(0.856)


def test_rhel_is_never_a_silent_linux_price(terraform: dict[str, dict[str, Any]]) -> None:
    r = terraform["aws_instance.rhel"]
    names = [c["name"] for c in r["components"]]
    assert "Instance usage (Linux price, on-demand, m5.large)" in names
    licence = next(c for c in r["components"] if c["name"] == "RHEL licence (m5.large)")
    assert licence["unit_price"] is None
    assert "Linux price; RHEL licence not in the snapshot" in licence["note"]
    assert r["monthly_cost"] is None


def test_an_ami_that_names_no_licensed_system_stays_linux(terraform: dict[str, dict[str, Any]]) -> None:
    line = hours(terraform["aws_instance.linux"])
    assert line["name"] == "Instance usage (Linux, on-demand, m5.large)"
    assert line["unit_price"] == pytest.approx(0.096)


def test_autoscaling_group_takes_its_launch_templates_windows_ami(
    terraform: dict[str, dict[str, Any]],
) -> None:
    line = hours(terraform["aws_autoscaling_group.win"])
    # c5.large: Linux 0.085 + 2 × 0.046 = 0.177; 2 instances × 730 h = 1460 h → 258.42
    assert line["unit_price"] == pytest.approx(0.177)
    assert line["monthly_cost"] == pytest.approx(258.42)


RDS = """
provider "aws" { region = "us-east-1" }
resource "aws_db_instance" "ee" {
  engine            = "sqlserver-ee"
  instance_class    = "db.m5.xlarge"
  allocated_storage = 20
}
resource "aws_db_instance" "se" {
  engine            = "sqlserver-se"
  instance_class    = "db.m5.xlarge"
  allocated_storage = 20
}
resource "aws_db_instance" "web" {
  engine            = "sqlserver-web"
  instance_class    = "db.t3.large"
  allocated_storage = 20
}
resource "aws_db_instance" "ex" {
  engine            = "sqlserver-ex"
  instance_class    = "db.t3.large"
  allocated_storage = 20
}
resource "aws_db_instance" "se2" {
  engine            = "oracle-se2"
  instance_class    = "db.t3.large"
  allocated_storage = 20
}
resource "aws_db_instance" "se2_byol" {
  engine            = "oracle-se2"
  instance_class    = "db.t3.large"
  license_model     = "bring-your-own-license"
  allocated_storage = 20
}
resource "aws_db_instance" "ee_oracle" {
  engine            = "oracle-ee"
  instance_class    = "db.t3.large"
  allocated_storage = 20
}
resource "aws_db_instance" "multi" {
  engine            = "sqlserver-se"
  instance_class    = "db.m5.xlarge"
  multi_az          = true
  allocated_storage = 20
}
"""


def test_rds_sql_server_and_oracle(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(RDS)
    got = cost(tmp_path)
    # AWS RDS list prices, us-east-1, Single-AZ (the same in infracost golden db_instance_test, 2026-05-03)
    assert rds(got["aws_db_instance.ee"])["unit_price"] == pytest.approx(2.336)
    assert rds(got["aws_db_instance.se"])["unit_price"] == pytest.approx(1.224)
    assert rds(got["aws_db_instance.web"])["unit_price"] == pytest.approx(0.232)
    assert rds(got["aws_db_instance.ex"])["unit_price"] == pytest.approx(0.162)
    assert rds(got["aws_db_instance.se2"])["unit_price"] == pytest.approx(0.30)
    # bring-your-own-license: db.t3.large 0.136, the same as MySQL's price for the class
    assert rds(got["aws_db_instance.se2_byol"])["unit_price"] == pytest.approx(0.136)
    ee = rds(got["aws_db_instance.ee_oracle"])
    assert ee["unit_price"] == pytest.approx(0.136)
    assert "bring-your-own-license" in ee["note"]
    # 730 × 2.336 = 1705.28 instance; 20 GB gp2 × 0.115 = 2.30 storage
    assert got["aws_db_instance.ee"]["monthly_cost"] == pytest.approx(1707.58)
    multi = rds(got["aws_db_instance.multi"])
    assert multi["unit_price"] is None and got["aws_db_instance.multi"]["monthly_cost"] is None


CLOUDFORMATION = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  WinAmi:
    Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>
    Default: /aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base
Resources:
  Win:
    Type: AWS::EC2::Instance
    Properties:
      InstanceType: m5.large
      ImageId: !Ref WinAmi
  Sql:
    Type: AWS::EC2::Instance
    Properties:
      InstanceType: m5.xlarge
      ImageId: "{{resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2019-English-Full-SQL_2019_Enterprise}}"
  Plain:
    Type: AWS::EC2::Instance
    Properties:
      InstanceType: m5.large
      ImageId: "{{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}}"
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: sqlserver-web
      DBInstanceClass: db.t3.large
      AllocatedStorage: "20"
      LicenseModel: license-included
"""


def test_cloudformation_ssm_image_parameters_and_rds_licence(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(CLOUDFORMATION)
    got = cost(tmp_path)
    win = hours(got["Win"])
    assert win["unit_price"] == pytest.approx(0.188)  # as the Terraform m5.large above
    assert "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base" in win["note"]
    # m5.xlarge: 0.192 + 4 × (0.046 + 0.375 SQL Enterprise) = 1.876
    assert hours(got["Sql"])["unit_price"] == pytest.approx(1.876)
    assert hours(got["Plain"])["name"] == "Instance usage (Linux, on-demand, m5.large)"
    assert rds(got["Db"])["unit_price"] == pytest.approx(0.232)


def test_plan_json_reads_the_ami_the_plan_looked_up(tmp_path: Path) -> None:
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_instance.web",
                        "mode": "managed",
                        "type": "aws_instance",
                        "name": "web",
                        "values": {"ami": "ami-0aaa", "instance_type": "m5.large"},
                    },
                    {
                        "address": "aws_instance.other",
                        "mode": "managed",
                        "type": "aws_instance",
                        "name": "other",
                        "values": {"ami": "ami-0bbb", "instance_type": "m5.large"},
                    },
                ]
            }
        },
        "prior_state": {
            "values": {
                "root_module": {
                    "resources": [
                        {
                            "address": "data.aws_ami.win",
                            "mode": "data",
                            "type": "aws_ami",
                            "name": "win",
                            "values": {
                                "id": "ami-0aaa",
                                "name": "Windows_Server-2022-English-Full-Base-2026.06.11",
                                "platform": "windows",
                                "platform_details": "Windows",
                            },
                        }
                    ]
                }
            }
        },
        "configuration": {"root_module": {}},
    }
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    got = cost(tmp_path, "plan.json")
    web = hours(got["aws_instance.web"])
    assert web["unit_price"] == pytest.approx(0.188)
    assert "Windows: AMI platform_details Windows (data.aws_ami.win)" in web["note"]
    assert hours(got["aws_instance.other"])["unit_price"] == pytest.approx(0.096)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Windows_Server-2019-English-Full-Base-*", "windows"),
        ("Windows_Server-2022-English-Full-SQL_2022_Web-*", "windows-sql-web"),
        ("Windows_Server-2019-English-Full-SQL_2019_Express-*", "windows"),
        ("Windows with SQL Server Enterprise", "windows-sql-enterprise"),
        ("RHEL-9.4.0_HVM-*", "rhel"),
        ("suse-sles-15-sp6-v*", "suse"),
        ("Windows BYOL", None),
        ("al2023-ami-*", None),
        ("windows-or-rhel-*", None),  # clues that disagree decide nothing
    ],
)
def test_classify(text: str, expected: str | None) -> None:
    assert classify(text) == expected


def test_owner_alone_and_hostile_text() -> None:
    assert from_clues([], ["309956199498"]) == ("rhel", "AMI owner 309956199498 (Red Hat's AMI account)")
    assert from_clues([], ["amazon"]) is None
    start = time.perf_counter()
    assert classify("sql " * 250_000 + "windows") is None  # only the first 512 characters are read
    assert time.perf_counter() - start < 0.5


def test_windows_instance_is_not_offered_graviton(tmp_path: Path) -> None:
    """Windows does not run on arm64: a Windows m5.large gets the newer x86 generation, not Graviton,
    and that saving is counted at Windows prices."""
    (tmp_path / "main.tf").write_text(TERRAFORM)
    run = run_cli(
        "lint", "--format", "json", "--fail-on", "never", ".", cwd=tmp_path, env={"ADVISOR_NO_CACHE": "1"}
    )
    assert run.returncode == 0, run.stderr
    findings = {(f["resource"], f["rule"]): f for f in json.loads(run.stdout)["findings"]}
    assert ("aws_instance.win", "ec2-graviton") not in findings
    assert ("aws_instance.linux", "ec2-graviton") in findings
    newer = findings[("aws_instance.win", "ec2-newer-generation")]
    # m6a.large Windows: 0.0864 + 2 × 0.046 = 0.1784 against 0.188: 730 × 0.0096 = 7.008 a month
    assert newer["suggested"] == "m6a.large"
    assert newer["monthly_savings"] == pytest.approx(7.01, abs=0.005)


def test_eks_windows_ami_type(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'provider "aws" { region = "us-east-1" }\n'
        'resource "aws_eks_node_group" "win" {\n'
        '  cluster_name  = "c"\n  node_role_arn = "r"\n  subnet_ids = ["s"]\n'
        '  ami_type      = "WINDOWS_CORE_2022_x86_64"\n  instance_types = ["t3.medium"]\n'
        "  scaling_config {\n    desired_size = 1\n    max_size = 1\n    min_size = 1\n  }\n}\n"
    )
    node = hours(cost(tmp_path)["aws_eks_node_group.win"])
    assert node["unit_price"] == pytest.approx(0.06)  # t3.medium Windows, as above
    assert "ami_type = WINDOWS_CORE_2022_x86_64" in node["note"]
