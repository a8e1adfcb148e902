"""EMR clusters, instance groups and fleets, and Batch compute environments, priced through the real
command line from Terraform and CloudFormation.

Every figure is worked out by hand from AWS's published us-east-1 prices: EC2 on-demand m5.xlarge
$0.192/h, m5.2xlarge $0.384/h, r5.xlarge $0.252/h, r5.2xlarge $0.504/h, r5.4xlarge $1.008/h,
c5.large $0.085/h, c5.xlarge $0.17/h, c5.2xlarge $0.34/h, m3.xlarge $0.266/h; EMR's charge per
instance-hour m5.xlarge $0.048, m5.2xlarge $0.096, r5.xlarge $0.063, r5.2xlarge $0.126, r5.4xlarge
$0.252, c5.xlarge $0.043, c5.2xlarge $0.085 (https://aws.amazon.com/emr/pricing/); EBS gp3 $0.08 and
gp2 $0.10 per GB-month; Fargate $0.04048 per vCPU-hour and $0.004445 per GB-hour. A month is 730 hours.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

TERRAFORM = """\
provider "aws" {
  region = "us-east-1"
}
resource "aws_emr_cluster" "analytics" {
  name          = "analytics"
  release_label = "emr-7.1.0"
  service_role  = "emr"
  master_instance_group {
    instance_type = "m5.xlarge"
  }
  core_instance_group {
    instance_type  = "r5.2xlarge"
    instance_count = 2
    ebs_config {
      size                 = 100
      type                 = "gp3"
      volumes_per_instance = 2
    }
  }
}
resource "aws_emr_instance_group" "old" {
  cluster_id     = aws_emr_cluster.analytics.id
  instance_type  = "m3.xlarge"
  instance_count = 3
}
resource "aws_emr_instance_group" "spot" {
  cluster_id     = aws_emr_cluster.analytics.id
  instance_type  = "m5.xlarge"
  instance_count = 2
  bid_price      = "0.10"
}
resource "aws_emr_instance_group" "empty" {
  cluster_id    = aws_emr_cluster.analytics.id
  instance_type = "m3.xlarge"
}
resource "aws_emr_instance_fleet" "task" {
  cluster_id                = aws_emr_cluster.analytics.id
  target_on_demand_capacity = 4
  target_spot_capacity      = 2
  instance_type_configs {
    instance_type     = "c5.xlarge"
    weighted_capacity = 2
  }
  instance_type_configs {
    instance_type = "m5.xlarge"
  }
}
resource "aws_batch_compute_environment" "floor" {
  type = "MANAGED"
  compute_resources {
    type          = "EC2"
    min_vcpus     = 6
    max_vcpus     = 64
    instance_type = ["optimal", "m5.xlarge", "c5.large"]
  }
}
resource "aws_batch_compute_environment" "on_demand_only" {
  type = "MANAGED"
  compute_resources {
    type          = "EC2"
    max_vcpus     = 64
    instance_type = ["m5.xlarge", "c5.large"]
  }
}
resource "aws_batch_compute_environment" "optimal" {
  type = "MANAGED"
  compute_resources {
    type          = "EC2"
    min_vcpus     = 4
    max_vcpus     = 64
    instance_type = ["optimal"]
  }
}
resource "aws_batch_compute_environment" "fargate" {
  type = "MANAGED"
  compute_resources {
    type      = "FARGATE"
    max_vcpus = 16
  }
}
resource "aws_batch_compute_environment" "unmanaged" {
  type = "UNMANAGED"
}
"""

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Cluster:
    Type: AWS::EMR::Cluster
    Properties:
      Name: analytics
      ReleaseLabel: emr-7.1.0
      JobFlowRole: jobs
      ServiceRole: emr
      Instances:
        MasterInstanceGroup:
          InstanceType: m5.xlarge
          InstanceCount: 1
        CoreInstanceGroup:
          InstanceType: r5.xlarge
          InstanceCount: 2
          EbsConfiguration:
            EbsBlockDeviceConfigs:
              - VolumeSpecification:
                  SizeInGB: 64
                  VolumeType: gp2
                VolumesPerInstance: 2
        TaskInstanceGroups:
          - InstanceType: m5.2xlarge
            InstanceCount: 1
            Market: SPOT
  TaskGroup:
    Type: AWS::EMR::InstanceGroupConfig
    Properties:
      JobFlowId: !Ref Cluster
      InstanceRole: TASK
      InstanceType: c5.2xlarge
      InstanceCount: 2
  TaskFleet:
    Type: AWS::EMR::InstanceFleetConfig
    Properties:
      ClusterId: !Ref Cluster
      InstanceFleetType: TASK
      TargetOnDemandCapacity: 2
      InstanceTypeConfigs:
        - InstanceType: r5.4xlarge
  Jobs:
    Type: AWS::Batch::ComputeEnvironment
    Properties:
      Type: MANAGED
      ComputeResources:
        Type: EC2
        MinvCpus: 4
        MaxvCpus: 16
        InstanceTypes:
          - m5.xlarge
"""


def _cost(folder: Path) -> dict[str, Any]:
    r = run_cli("cost", str(folder), "--format", "json", env={"ADVISOR_NO_CACHE": "1"})
    assert r.returncode == 0, r.stderr
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


def _by_address(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["address"]: r for r in doc["resources"]}


def _lines(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in resource["components"]}


@pytest.fixture(scope="module")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("emr-batch-tf")
    (folder / "main.tf").write_text(TERRAFORM)
    doc = _cost(folder)
    assert not [a for a in doc["not_priced"] if "emr" in a or "batch" in a]
    return _by_address(doc)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("emr-batch-cfn")
    (folder / "stack.yaml").write_text(TEMPLATE)
    doc = _cost(folder)
    assert doc["not_priced"] == []
    return _by_address(doc)


def test_cluster_bills_ec2_and_emr_per_instance_hour_and_its_volumes(terraform: dict[str, Any]) -> None:
    cluster = terraform["aws_emr_cluster.analytics"]
    lines = _lines(cluster)
    master_ec2 = lines["Master EC2 instances (on-demand, m5.xlarge)"]
    assert (master_ec2["quantity"], master_ec2["unit_price"], master_ec2["monthly_cost"]) == (
        730,
        0.192,
        140.16,
    )
    master_emr = lines["Master EMR charge (m5.xlarge)"]
    assert (master_emr["quantity"], master_emr["unit_price"], master_emr["monthly_cost"]) == (
        730,
        0.048,
        35.04,
    )
    assert master_emr["source"] == "aws-emr-pricing"
    # two r5.2xlarge core instances: 1,460 hours at $0.504 + $0.126
    assert lines["Core EC2 instances (on-demand, r5.2xlarge)"]["monthly_cost"] == 735.84
    assert lines["Core EMR charge (r5.2xlarge)"]["monthly_cost"] == 183.96
    # two 100 GB gp3 volumes on each of the two core instances: 400 GB at $0.08
    storage = lines["Core EBS Storage (gp3)"]
    assert (storage["quantity"], storage["monthly_cost"]) == (400, 32.0)
    assert cluster["monthly_cost"] == pytest.approx(140.16 + 35.04 + 735.84 + 183.96 + 32.0)


def test_type_without_an_emr_charge_keeps_its_ec2_price_and_an_unknown_total(
    terraform: dict[str, Any],
) -> None:
    group = terraform["aws_emr_instance_group.old"]
    lines = _lines(group)
    ec2 = lines["Task EC2 instances (on-demand, m3.xlarge)"]
    assert (ec2["quantity"], ec2["unit_price"], ec2["monthly_cost"]) == (2190, 0.266, 582.54)
    emr = lines["Task EMR charge (m3.xlarge)"]
    assert emr["quantity"] == 2190 and emr["unit_price"] is None and emr["monthly_cost"] is None
    assert "price unknown" in emr["note"]
    assert group["monthly_cost"] is None  # never $0 and never the EC2 part alone


def test_spot_group_bills_emr_and_leaves_the_spot_price_unknown(terraform: dict[str, Any]) -> None:
    group = terraform["aws_emr_instance_group.spot"]
    lines = _lines(group)
    spot = lines["Task EC2 instances (spot, m5.xlarge)"]
    assert spot["quantity"] == 1460 and spot["unit_price"] is None
    assert lines["Task EMR charge (m5.xlarge)"]["monthly_cost"] == pytest.approx(1460 * 0.048)
    assert group["monthly_cost"] is None


def test_group_with_no_instances_costs_nothing(terraform: dict[str, Any]) -> None:
    group = terraform["aws_emr_instance_group.empty"]  # instance_count defaults to 0
    assert group["components"] == [] and group["monthly_cost"] == 0
    assert any("none" in n for n in group["notes"])


def test_fleet_is_its_on_demand_capacity_in_the_first_type_and_spot_depends_on_usage(
    terraform: dict[str, Any],
) -> None:
    fleet = terraform["aws_emr_instance_fleet.task"]
    lines = _lines(fleet)
    # 4 units of on-demand capacity, c5.xlarge weighs 2: two instances, 1,460 hours
    ec2 = lines["Task EC2 instances (on-demand, c5.xlarge)"]
    assert (ec2["quantity"], ec2["monthly_cost"]) == (1460, 248.2)
    assert lines["Task EMR charge (c5.xlarge)"]["monthly_cost"] == 62.78
    spot = lines["Task spot capacity (2 units)"]
    assert spot["quantity"] is None and "depends on usage" in spot["note"]
    assert fleet["monthly_cost"] == pytest.approx(248.2 + 62.78)


def test_batch_min_vcpus_is_a_floor_of_the_cheapest_listed_type(terraform: dict[str, Any]) -> None:
    env = terraform["aws_batch_compute_environment.floor"]
    lines = _lines(env)
    # 6 vCPUs: three c5.large (2 vCPUs, $0.255/h) cost less than two m5.xlarge (4 vCPUs, $0.384/h)
    floor = lines["Minimum vCPUs kept running (on-demand, 3 × c5.large)"]
    assert (floor["quantity"], floor["unit_price"], floor["monthly_cost"]) == (2190, 0.085, 186.15)
    jobs = lines["Instances launched for jobs (per vCPU-hour, c5.large)"]
    assert jobs["quantity"] is None and jobs["unit_price"] == pytest.approx(0.0425)  # $0.085 / 2 vCPUs
    assert env["monthly_cost"] == 186.15


def test_batch_without_min_vcpus_depends_on_usage(terraform: dict[str, Any]) -> None:
    env = terraform["aws_batch_compute_environment.on_demand_only"]
    (line,) = env["components"]
    # per vCPU-hour: c5.large $0.0425 is below m5.xlarge $0.048
    assert line["name"] == "Instances launched for jobs (per vCPU-hour, c5.large)"
    assert line["quantity"] is None and line["unit_price"] == pytest.approx(0.0425)
    assert "depends on usage" in line["note"]


def test_batch_floor_of_a_type_batch_chooses_is_unknown_not_zero(terraform: dict[str, Any]) -> None:
    env = terraform["aws_batch_compute_environment.optimal"]
    floor = _lines(env)["Minimum vCPUs kept running (4 vCPUs)"]
    assert floor["unit_price"] is None and "optimal" in floor["note"]
    assert env["monthly_cost"] is None


def test_batch_fargate_depends_on_usage_at_fargate_prices(terraform: dict[str, Any]) -> None:
    lines = _lines(terraform["aws_batch_compute_environment.fargate"])
    assert lines["Fargate vCPU"]["unit_price"] == 0.04048 and lines["Fargate vCPU"]["quantity"] is None
    assert lines["Fargate memory"]["unit_price"] == 0.004445 and lines["Fargate memory"]["quantity"] is None


def test_unmanaged_compute_environment_has_no_charge_of_its_own(terraform: dict[str, Any]) -> None:
    env = terraform["aws_batch_compute_environment.unmanaged"]
    assert env["components"] == [] and env["monthly_cost"] == 0
    assert any("billed elsewhere" in n for n in env["notes"])


def test_cloudformation_maps_onto_the_same_estimators(template: dict[str, Any]) -> None:
    cluster = template["Cluster"]
    assert cluster["type"] == "aws_emr_cluster"
    lines = _lines(cluster)
    assert lines["Master EC2 instances (on-demand, m5.xlarge)"]["monthly_cost"] == 140.16
    assert lines["Master EMR charge (m5.xlarge)"]["monthly_cost"] == 35.04
    assert lines["Core EC2 instances (on-demand, r5.xlarge)"]["monthly_cost"] == 367.92  # 1,460 h × $0.252
    assert lines["Core EMR charge (r5.xlarge)"]["monthly_cost"] == 91.98  # 1,460 h × $0.063
    assert lines["Core EBS Storage (gp2)"]["quantity"] == 256  # 64 GB × 2 volumes × 2 instances
    assert lines["Core EBS Storage (gp2)"]["monthly_cost"] == 25.6
    # an inline task group on the spot market: the EMR charge is known, the spot price is not
    assert lines["Task EC2 instances (spot, m5.2xlarge)"]["unit_price"] is None
    assert lines["Task EMR charge (m5.2xlarge)"]["monthly_cost"] == 70.08
    assert cluster["monthly_cost"] is None
    group = template["TaskGroup"]
    assert group["type"] == "aws_emr_instance_group"
    assert group["monthly_cost"] == pytest.approx(1460 * 0.34 + 1460 * 0.085)  # 496.40 + 124.10
    fleet = template["TaskFleet"]
    assert fleet["monthly_cost"] == pytest.approx(1460 * 1.008 + 1460 * 0.252)  # 1,471.68 + 367.92
    jobs = template["Jobs"]
    assert jobs["type"] == "aws_batch_compute_environment"
    assert jobs["monthly_cost"] == 140.16  # MinvCpus 4: one m5.xlarge


def test_emr_charge_outside_us_east_1_is_an_estimate(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        TERRAFORM.replace('region = "us-east-1"', 'region = "eu-west-1"').split(
            'resource "aws_emr_instance_group"'
        )[0]
    )
    lines = _lines(_by_address(_cost(tmp_path))["aws_emr_cluster.analytics"])
    emr = lines["Master EMR charge (m5.xlarge)"]
    assert emr["unit_price"] == 0.048 and "us-east-1 price" in emr["note"]


def test_rule_compares_emr_groups_by_month_where_the_emr_charge_is_known(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\n'
        'resource "aws_emr_instance_group" "task" {\n'
        '  cluster_id     = "j-1"\n  instance_type  = "m4.xlarge"\n  instance_count = 2\n}\n'
    )
    r = run_cli(
        "lint", str(tmp_path), "--format", "json", "--fail-on", "never", env={"ADVISOR_NO_CACHE": "1"}
    )
    assert r.returncode == 0, r.stderr
    (finding,) = [f for f in json.loads(r.stdout)["findings"] if f["rule"] == "ec2-previous-generation"]
    # m5.xlarge is the successor whose EMR charge the catalog has: 1,460 h × ($0.192 + $0.048)
    assert finding["suggested"] == "m5.xlarge"
    assert finding["monthly_cost"] is None and finding["monthly_cost_after"] == pytest.approx(350.4)
    assert "no monthly figure with m4.xlarge here" in finding["message"]


def test_cluster_that_runs_part_of_the_month_bills_those_hours(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(TERRAFORM.split('resource "aws_emr_instance_group"')[0])
    (tmp_path / ".advisor.toml").write_text(
        '[usage]\n"aws_emr_cluster.analytics" = { monthly_hours = 100 }\n'
    )
    lines = _lines(_by_address(_cost(tmp_path))["aws_emr_cluster.analytics"])
    assert lines["Master EC2 instances (on-demand, m5.xlarge)"]["monthly_cost"] == pytest.approx(
        19.2
    )  # 100 h
    assert lines["Master EMR charge (m5.xlarge)"]["monthly_cost"] == pytest.approx(4.8)
    assert lines["Core EMR charge (r5.2xlarge)"]["monthly_cost"] == pytest.approx(200 * 0.126)
    # the core volumes exist while the instances run: 400 GB for 100 of 730 hours
    assert lines["Core EBS Storage (gp3)"]["monthly_cost"] == 4.38  # 54.8 GB-months × $0.08
