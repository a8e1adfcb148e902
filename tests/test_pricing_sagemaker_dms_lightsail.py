"""SageMaker endpoints and notebook instances, DMS replication instances and Lightsail instances
(pricing/services_instances.py), through the real front-ends and the real `advisor cost --format json`.

Every expected figure is worked out here from AWS's published us-east-1 price, written as a literal
next to it (ml.m5.large endpoint $0.115/hour; dms.t2.micro $0.018/hour, gp2 $0.115/GB-month, Multi-AZ
twice both; Lightsail bundles billed by the hour at the monthly price / 744, so 730 hours of the $24
medium bundle cost 730 × 24 / 744). DMS t2.micro and the Lightsail xlarge and small Windows bundles
are also infracost golden figures (`dms_test`, `lightsail_instance_test`). Types without a row must
say "price unknown" and leave the resource total unknown, never $0.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import run_cli

HOURS = 730


def cost_report(tmp_path: Path, files: dict[str, str]) -> dict[str, dict[str, Any]]:
    project = tmp_path / "project"
    project.mkdir()
    for name, text in files.items():
        (project / name).write_text(text)
    proc = run_cli("cost", "--format", "json", ".", cwd=project, env={"XDG_CACHE_HOME": str(tmp_path / "c")})
    assert proc.returncode == 0, proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    return {r["address"]: r for r in report["resources"]}


def near(actual: float | None, expected: float, tolerance: float = 0.005) -> bool:
    return actual is not None and abs(actual - expected) <= tolerance


def notes(resource: dict[str, Any]) -> str:
    texts = [c.get("note", "") for c in resource["components"]] + list(resource.get("notes") or [])
    return " | ".join(texts)


PROVIDER = 'provider "aws" {\n  region = "us-east-1"\n}\n'

SAGEMAKER_TF = (
    PROVIDER
    + """
resource "aws_sagemaker_endpoint_configuration" "serving" {
  name = "serving-config"
  production_variants {
    variant_name           = "main"
    model_name             = "model"
    instance_type          = "ml.m5.large"
    initial_instance_count = 2
  }
  shadow_production_variants {
    variant_name           = "shadow"
    model_name             = "model"
    instance_type          = "ml.m5.xlarge"
    initial_instance_count = 1
  }
}

resource "aws_sagemaker_endpoint" "by_reference" {
  name                 = "by-reference"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.serving.name
}

resource "aws_sagemaker_endpoint" "by_name" {
  name                 = "by-name"
  endpoint_config_name = "serving-config"
}

resource "aws_sagemaker_endpoint" "elsewhere" {
  name                 = "elsewhere"
  endpoint_config_name = "made-in-another-stack"
}

resource "aws_sagemaker_endpoint_configuration" "gpu" {
  name = "gpu-config"
  production_variants {
    variant_name           = "gpu"
    model_name             = "model"
    instance_type          = "ml.p4d.24xlarge"
    initial_instance_count = 1
  }
}

resource "aws_sagemaker_endpoint" "gpu" {
  name                 = "gpu"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.gpu.name
}

resource "aws_sagemaker_endpoint_configuration" "serverless" {
  name = "serverless-config"
  production_variants {
    variant_name = "sls"
    model_name   = "model"
    serverless_config {
      max_concurrency   = 5
      memory_size_in_mb = 2048
    }
  }
}

resource "aws_sagemaker_endpoint" "serverless" {
  name                 = "serverless"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.serverless.name
}

resource "aws_sagemaker_notebook_instance" "lab" {
  name          = "lab"
  role_arn      = "arn:aws:iam::123456789012:role/lab"
  instance_type = "ml.t3.medium"
  volume_size   = 20
}
"""
)


def test_sagemaker_endpoint_is_priced_through_its_configuration(tmp_path: Path) -> None:
    res = cost_report(tmp_path, {"main.tf": SAGEMAKER_TF})
    # 2 × ml.m5.large at $0.115/hour, plus the shadow variant's ml.m5.xlarge at $0.23/hour
    expected = 2 * HOURS * 0.115 + HOURS * 0.23
    assert near(res["aws_sagemaker_endpoint.by_reference"]["monthly_cost"], expected)
    # a literal endpoint_config_name finds the configuration by its name
    assert near(res["aws_sagemaker_endpoint.by_name"]["monthly_cost"], expected)
    # the configuration itself costs nothing: it is not counted twice
    assert res["aws_sagemaker_endpoint_configuration.serving"]["monthly_cost"] == 0


def test_sagemaker_unknowns_are_never_zero(tmp_path: Path) -> None:
    res = cost_report(tmp_path, {"main.tf": SAGEMAKER_TF})
    elsewhere = res["aws_sagemaker_endpoint.elsewhere"]
    assert elsewhere["monthly_cost"] is None
    assert "endpoint configuration, which was not found" in notes(elsewhere)
    gpu = res["aws_sagemaker_endpoint.gpu"]
    assert gpu["monthly_cost"] is None
    assert "price unknown" in notes(gpu) and "ml.p4d.24xlarge" in notes(gpu)
    serverless = res["aws_sagemaker_endpoint.serverless"]
    (line,) = serverless["components"]
    assert line["monthly_cost"] is None and "depends on usage" in line["note"]


def test_sagemaker_notebook_instance_hours_and_unknown_storage(tmp_path: Path) -> None:
    res = cost_report(tmp_path, {"main.tf": SAGEMAKER_TF})
    lab = res["aws_sagemaker_notebook_instance.lab"]
    hours = next(c for c in lab["components"] if c["name"].startswith("Notebook instance"))
    assert near(hours["monthly_cost"], HOURS * 0.05)  # ml.t3.medium notebook $0.05/hour
    storage = next(c for c in lab["components"] if c["name"].startswith("ML storage"))
    assert storage["quantity"] == 20 and storage["monthly_cost"] is None
    assert lab["monthly_cost"] is None  # the ML storage price is not in the snapshot


DMS_TF = (
    PROVIDER
    + """
resource "aws_dms_replication_instance" "single_small" {
  replication_instance_class = "dms.t2.micro"
  replication_instance_id    = "single-small"
  allocated_storage          = 20
  multi_az                   = false
}

resource "aws_dms_replication_instance" "multi_large" {
  replication_instance_class = "dms.t2.micro"
  replication_instance_id    = "multi-large"
  allocated_storage          = 70
  multi_az                   = true
}

resource "aws_dms_replication_instance" "compute" {
  replication_instance_class = "dms.c5.large"
  replication_instance_id    = "compute"
  allocated_storage          = 150
}

resource "aws_dms_replication_instance" "no_row" {
  replication_instance_class = "dms.t3.medium"
  replication_instance_id    = "no-row"
}
"""
)


def test_dms_replication_instances(tmp_path: Path) -> None:
    res = cost_report(tmp_path, {"main.tf": DMS_TF})
    # dms.t2.micro $0.018/hour; 20 GB is inside the 50 GB a t2 includes (golden 13.14)
    assert near(res["aws_dms_replication_instance.single_small"]["monthly_cost"], HOURS * 0.018)
    # Multi-AZ: two instances, and the 20 GB above 50 stored twice at $0.115 (golden 26.28 + 4.60)
    assert near(
        res["aws_dms_replication_instance.multi_large"]["monthly_cost"], 2 * HOURS * 0.018 + 2 * 20 * 0.115
    )
    # dms.c5.large $0.154/hour; a c5 includes 100 GB, so 50 GB are billed
    assert near(res["aws_dms_replication_instance.compute"]["monthly_cost"], HOURS * 0.154 + 50 * 0.115)
    no_row = res["aws_dms_replication_instance.no_row"]
    assert no_row["monthly_cost"] is None
    assert "price unknown: no row for dms.t3.medium" in notes(no_row)


LIGHTSAIL_TF = (
    PROVIDER
    + """
resource "aws_lightsail_instance" "web" {
  name              = "web"
  availability_zone = "us-east-1a"
  blueprint_id      = "ubuntu_22_04"
  bundle_id         = "medium_2_0"
}

resource "aws_lightsail_instance" "big" {
  name              = "big"
  availability_zone = "us-east-1a"
  blueprint_id      = "centos_7_1901_01"
  bundle_id         = "xlarge_2_0"
}

resource "aws_lightsail_instance" "win" {
  name              = "win"
  availability_zone = "us-east-1a"
  blueprint_id      = "windows_2019"
  bundle_id         = "small_win_2_0"
}

resource "aws_lightsail_instance" "unlisted" {
  name              = "unlisted"
  availability_zone = "us-east-1a"
  blueprint_id      = "ubuntu_22_04"
  bundle_id         = "nano_ipv6_3_0"
}
"""
)


def test_lightsail_bundles(tmp_path: Path) -> None:
    res = cost_report(tmp_path, {"main.tf": LIGHTSAIL_TF})
    # $24/month bundle, billed hourly up to the monthly price (744 hours): 730 h of it
    assert near(res["aws_lightsail_instance.web"]["monthly_cost"], HOURS * 24 / 744)
    assert near(res["aws_lightsail_instance.big"]["monthly_cost"], 82.42)  # $84 bundle, golden 82.42
    win = res["aws_lightsail_instance.win"]
    assert near(win["monthly_cost"], HOURS * 22 / 744)  # $22 Windows bundle (golden 21.58)
    assert "Windows" in win["components"][0]["name"]
    unlisted = res["aws_lightsail_instance.unlisted"]
    assert unlisted["monthly_cost"] is None
    assert "price unknown: no row for lightsail.nano_ipv6_3_0" in notes(unlisted)


CFN_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  ServingConfig:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
        - VariantName: main
          ModelName: model
          InstanceType: ml.m5.large
          InitialInstanceCount: 3
          InitialVariantWeight: 1
  Serving:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointConfigName: !GetAtt ServingConfig.EndpointConfigName
  Orphan:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointConfigName: defined-elsewhere
  Lab:
    Type: AWS::SageMaker::NotebookInstance
    Properties:
      InstanceType: ml.t3.medium
      RoleArn: arn:aws:iam::123456789012:role/lab
      VolumeSizeInGB: 10
  Replication:
    Type: AWS::DMS::ReplicationInstance
    Properties:
      ReplicationInstanceClass: dms.t3.small
      AllocatedStorage: 80
      MultiAZ: true
  Blog:
    Type: AWS::Lightsail::Instance
    Properties:
      InstanceName: blog
      BlueprintId: wordpress
      BundleId: medium_3_0
"""


def test_cloudformation_types_use_the_same_estimators(tmp_path: Path) -> None:
    res = cost_report(tmp_path, {"template.yaml": CFN_TEMPLATE})
    assert res["Serving"]["type"] == "aws_sagemaker_endpoint"
    assert near(res["Serving"]["monthly_cost"], 3 * HOURS * 0.115)  # 3 × ml.m5.large
    assert res["ServingConfig"]["monthly_cost"] == 0
    assert res["Orphan"]["monthly_cost"] is None
    lab = res["Lab"]
    assert near(lab["components"][0]["monthly_cost"], HOURS * 0.05)
    assert lab["components"][1]["quantity"] == 10 and lab["monthly_cost"] is None
    # dms.t3.small $0.036/hour × 2 (Multi-AZ), (80 − 50) GB × 2 × $0.115
    assert near(res["Replication"]["monthly_cost"], 2 * HOURS * 0.036 + 2 * 30 * 0.115)
    assert near(res["Blog"]["monthly_cost"], HOURS * 24 / 744)


def test_endpoint_configuration_block_names_agree() -> None:
    """The front-end and the estimator name the linked block the same way (neither imports the other)."""
    from advisor.iac.frontend import ENDPOINT_CONFIGURATION_BLOCK as written
    from advisor.pricing.services_instances import ENDPOINT_CONFIGURATION_BLOCK as read

    assert written == read


HOSTILE_TF = (
    PROVIDER
    + """
variable "bundle" {
  type = string
}

resource "aws_sagemaker_endpoint_configuration" "huge" {
  name = "huge"
  production_variants {
    variant_name           = "main"
    model_name             = "model"
    instance_type          = "ml.m5.large"
    initial_instance_count = 1000000000
  }
}

resource "aws_sagemaker_endpoint" "huge" {
  name                 = "huge"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.huge.name
}

resource "aws_dms_replication_instance" "odd" {
  replication_instance_class = "t2.micro"
  replication_instance_id    = "odd"
  allocated_storage          = -5
}

resource "aws_lightsail_instance" "unset" {
  name              = "unset"
  availability_zone = "us-east-1a"
  blueprint_id      = "ubuntu_22_04"
  bundle_id         = var.bundle
}
"""
)


def test_implausible_or_unresolved_values_leave_the_cost_unknown(tmp_path: Path) -> None:
    res = cost_report(tmp_path, {"main.tf": HOSTILE_TF})
    huge = res["aws_sagemaker_endpoint.huge"]
    assert huge["monthly_cost"] is None and "initial_instance_count" in notes(huge)
    odd = res["aws_dms_replication_instance.odd"]
    assert odd["monthly_cost"] is None
    assert "not a DMS class" in notes(odd) and "allocated_storage" in notes(odd)
    unset = res["aws_lightsail_instance.unset"]
    assert unset["monthly_cost"] is None and "bundle_id is unknown" in notes(unset)
