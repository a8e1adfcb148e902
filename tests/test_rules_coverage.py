"""Every resource that carries an instance or storage type is checked, through the real command line.

Each resource below is written with a literal previous-generation (or costly) value and must get its
finding at that line; previous-generation successors are checked against the instance facts by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from advisor.pricing.catalog import Catalog
from conftest import run_cli

TERRAFORM = """\
provider "aws" {
  region = "us-east-1"
}
resource "aws_instance" "old" {
  instance_type = "m3.medium"
}
resource "aws_spot_instance_request" "spot" {
  instance_type = "c4.xlarge"
}
resource "aws_ec2_capacity_reservation" "held" {
  instance_type     = "m4.xlarge"
  instance_platform = "Linux/UNIX"
  availability_zone = "us-east-1a"
  instance_count    = 2
}
resource "aws_spot_fleet_request" "fleet" {
  iam_fleet_role  = "arn:aws:iam::123456789012:role/fleet"
  target_capacity = 2
  launch_specification {
    instance_type = "m3.medium"
    ami           = "ami-0123456789abcdef0"
  }
}
resource "aws_autoscaling_group" "mixed" {
  min_size = 1
  max_size = 2
  mixed_instances_policy {
    launch_template {
      launch_template_specification {
        launch_template_id = "lt-0123456789abcdef0"
      }
      override {
        instance_type = "c3.large"
      }
    }
  }
}
resource "aws_emr_cluster" "emr" {
  name          = "emr"
  release_label = "emr-6.15.0"
  service_role  = "emr"
  master_instance_group {
    instance_type = "m3.xlarge"
  }
  core_instance_group {
    instance_type  = "c4.xlarge"
    instance_count = 2
  }
}
resource "aws_emr_instance_group" "task" {
  cluster_id     = "j-1"
  instance_type  = "r3.xlarge"
  instance_count = 1
}
resource "aws_emr_instance_fleet" "fleet" {
  cluster_id = "j-1"
  instance_type_configs {
    instance_type = "m4.large"
  }
}
resource "aws_batch_compute_environment" "batch" {
  type = "MANAGED"
  compute_resources {
    type          = "EC2"
    max_vcpus     = 16
    instance_type = ["optimal", "c4.large"]
  }
}
resource "aws_eks_node_group" "nodes" {
  cluster_name   = "c"
  node_role_arn  = "arn:aws:iam::123456789012:role/node"
  subnet_ids     = ["subnet-1"]
  instance_types = ["m4.large"]
}
resource "aws_db_instance" "small" {
  engine            = "mysql"
  instance_class    = "db.m1.small"
  allocated_storage = 20
}
resource "aws_db_instance" "micro" {
  engine            = "mysql"
  instance_class    = "db.t1.micro"
  allocated_storage = 20
}
resource "aws_elasticache_cluster" "cache" {
  engine          = "redis"
  node_type       = "cache.m3.medium"
  num_cache_nodes = 1
}
resource "aws_opensearch_domain" "search" {
  domain_name = "search"
  cluster_config {
    instance_type = "c4.2xlarge.search"
  }
  ebs_options {
    ebs_enabled = true
    volume_type = "gp2"
    volume_size = 100
  }
}
resource "aws_elasticsearch_domain" "legacy" {
  domain_name = "legacy"
  cluster_config {
    instance_type = "t2.small.elasticsearch"
  }
}
resource "aws_neptune_cluster_instance" "graph" {
  cluster_identifier = "graph"
  instance_class     = "db.r4.xlarge"
}
resource "aws_docdb_cluster_instance" "docs" {
  cluster_identifier = "docs"
  instance_class     = "db.r4.large"
}
resource "aws_msk_cluster" "kafka" {
  cluster_name           = "kafka"
  kafka_version          = "3.6.0"
  number_of_broker_nodes = 3
  broker_node_group_info {
    instance_type = "kafka.m5.large"
  }
}
resource "aws_redshift_cluster" "dw" {
  cluster_identifier = "dw"
  node_type          = "dc1.large"
}
"""

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Emr:
    Type: AWS::EMR::Cluster
    Properties:
      Name: emr
      ReleaseLabel: emr-6.15.0
      Instances:
        MasterInstanceGroup:
          InstanceType: m3.xlarge
          InstanceCount: 1
  EmrTask:
    Type: AWS::EMR::InstanceGroupConfig
    Properties:
      InstanceType: c3.xlarge
      InstanceCount: 1
  EmrFleet:
    Type: AWS::EMR::InstanceFleetConfig
    Properties:
      InstanceTypeConfigs:
        - InstanceType: m4.large
  Batch:
    Type: AWS::Batch::ComputeEnvironment
    Properties:
      Type: MANAGED
      ComputeResources:
        Type: EC2
        MaxvCpus: 16
        InstanceTypes:
          - c4.large
  Fleet:
    Type: AWS::EC2::SpotFleet
    Properties:
      SpotFleetRequestConfigData:
        TargetCapacity: 1
        LaunchSpecifications:
          - InstanceType: m3.medium
  Search:
    Type: AWS::OpenSearchService::Domain
    Properties:
      ClusterConfig:
        InstanceType: t2.small.search
      EBSOptions:
        EBSEnabled: true
        VolumeType: gp2
        VolumeSize: 50
  Graph:
    Type: AWS::Neptune::DBInstance
    Properties:
      DBInstanceClass: db.r4.xlarge
  Docs:
    Type: AWS::DocDB::DBInstance
    Properties:
      DBInstanceClass: db.r4.large
  Warehouse:
    Type: AWS::Redshift::Cluster
    Properties:
      NodeType: dc1.large
  Kafka:
    Type: AWS::MSK::Cluster
    Properties:
      NumberOfBrokerNodes: 3
      BrokerNodeGroupInfo:
        InstanceType: kafka.m5.large
"""


def _lint(folder: Path) -> list[dict[str, Any]]:
    r = run_cli("lint", str(folder), "--format", "json", "--fail-on", "never", env={"ADVISOR_NO_CACHE": "1"})
    assert r.returncode == 0, r.stderr
    findings: list[dict[str, Any]] = json.loads(r.stdout)["findings"]
    return findings


@pytest.fixture(scope="module")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("coverage-tf")
    (folder / "main.tf").write_text(TERRAFORM)
    return _lint(folder)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("coverage-cfn")
    (folder / "stack.yaml").write_text(TEMPLATE)
    return _lint(folder)


def _line(text: str, needle: str, after: str = "") -> int:
    """The 1-based line of the first `needle` after the first `after`."""
    start = text.index(after) if after else 0
    return text[: text.index(needle, start)].count("\n") + 1


def _suggestions(findings: list[dict[str, Any]], line: int) -> dict[str, dict[str, Any]]:
    """Rule id → the suggestion (the finding or one of its alternatives) made at that line."""
    out: dict[str, dict[str, Any]] = {}
    for f in findings:
        if f["line"] != line:
            continue
        out[f["rule"]] = f
        for alt in f.get("alternatives") or []:
            out.setdefault(alt["rule"], {**f, **alt})
    return out


TF_CASES = [
    # (needle, the block it is in, rule, suggested)
    ('"m3.medium"', "aws_instance", "ec2-previous-generation", "m7a.medium"),
    ('"c4.xlarge"', "aws_spot_instance_request", "ec2-previous-generation", "c6a.xlarge"),
    ('"m4.xlarge"', "aws_ec2_capacity_reservation", "ec2-previous-generation", "m5a.xlarge"),
    ('"m3.medium"', "aws_spot_fleet_request", "ec2-previous-generation", "m7a.medium"),
    ('"c3.large"', "aws_autoscaling_group", "ec2-previous-generation", "c6a.large"),
    # EMR groups are priced with EMR's charge per instance-hour, which the catalog has for the m5, r5 and
    # c5 types only: among the successors, those are the ones with a monthly figure
    ('"m3.xlarge"', "aws_emr_cluster", "ec2-previous-generation", "m5.xlarge"),
    ('"c4.xlarge"', "core_instance_group", "ec2-previous-generation", "c5.xlarge"),
    ('"r3.xlarge"', "aws_emr_instance_group", "ec2-previous-generation", "r5.xlarge"),
    ('"m4.large"', "aws_emr_instance_fleet", "ec2-previous-generation", "m5a.large"),
    ('"c4.large"', "aws_batch_compute_environment", "ec2-previous-generation", None),
    ('"m4.large"', "aws_eks_node_group", "ec2-previous-generation", "m5a.large"),
    ('"db.m1.small"', "aws_db_instance", "rds-previous-generation", "db.t3.small"),
    ('"db.t1.micro"', "aws_db_instance", "rds-previous-generation", "db.t3.micro"),
    ('"cache.m3.medium"', "aws_elasticache_cluster", "elasticache-previous-generation", "cache.t3.medium"),
    ('"c4.2xlarge.search"', "aws_opensearch_domain", "opensearch-previous-generation", "c6g.2xlarge.search"),
    ('"gp2"', "aws_opensearch_domain", "opensearch-gp2-to-gp3", "gp3"),
    (
        '"t2.small.elasticsearch"',
        "aws_elasticsearch_domain",
        "opensearch-previous-generation",
        "t3.small.elasticsearch",
    ),
    ('"db.r4.xlarge"', "aws_neptune_cluster_instance", "neptune-previous-generation", "db.r5.xlarge"),
    ('"db.r4.large"', "aws_docdb_cluster_instance", "docdb-previous-generation", "db.r5.large"),
    ('"kafka.m5.large"', "aws_msk_cluster", "msk-graviton", "kafka.m7g.large"),
    ('"dc1.large"', "aws_redshift_cluster", "redshift-previous-generation", "dc2.large"),
]


@pytest.mark.parametrize(
    ("needle", "block", "rule", "suggested"), TF_CASES, ids=[c[1] + c[0] for c in TF_CASES]
)
def test_terraform_value_gets_its_finding(
    terraform: list[dict[str, Any]], needle: str, block: str, rule: str, suggested: str | None
) -> None:
    line = _line(TERRAFORM, needle, block)
    got = _suggestions(terraform, line)
    assert rule in got, f"{needle} in {block} (line {line}): {sorted(got)}"
    if suggested is not None:
        assert got[rule]["suggested"] == suggested
    assert got[rule]["fix"], "a fix that writes the suggestion"


CFN_CASES = [
    ("m3.xlarge", "Emr:", "ec2-previous-generation"),
    ("c3.xlarge", "EmrTask:", "ec2-previous-generation"),
    ("m4.large", "EmrFleet:", "ec2-previous-generation"),
    ("c4.large", "Batch:", "ec2-previous-generation"),
    ("m3.medium", "Fleet:", "ec2-previous-generation"),
    ("t2.small.search", "Search:", "opensearch-previous-generation"),
    ("VolumeType: gp2", "Search:", "opensearch-gp2-to-gp3"),
    ("db.r4.xlarge", "Graph:", "neptune-previous-generation"),
    ("db.r4.large", "Docs:", "docdb-previous-generation"),
    ("dc1.large", "Warehouse:", "redshift-previous-generation"),
    ("kafka.m5.large", "Kafka:", "msk-graviton"),
]


@pytest.mark.parametrize(("needle", "block", "rule"), CFN_CASES, ids=[c[1] + c[0] for c in CFN_CASES])
def test_cloudformation_value_gets_its_finding(
    template: list[dict[str, Any]], needle: str, block: str, rule: str
) -> None:
    line = _line(TEMPLATE, needle, block)
    got = _suggestions(template, line)
    assert rule in got, f"{needle} in {block} (line {line}): {sorted(got)}"


def test_successor_of_a_type_without_a_same_size_successor_comes_from_the_facts(
    terraform: list[dict[str, Any]],
) -> None:
    # By hand: m3.medium is 1 vCPU / 3.75 GiB x86_64 and there is no m5.medium or m6i.medium. The
    # current x86_64 types with at least that, fixed-performance and without local disks, start at
    # m7a.medium (1 vCPU / 4 GiB), the cheapest of them.
    catalog = Catalog.default()
    old, new = catalog.instance_type("m3.medium"), catalog.instance_type("m7a.medium")
    assert old is not None and (old.vcpu, old.memory_gib, old.arch) == (1, 3.75, "x86_64")
    assert new is not None and (new.vcpu, new.memory_gib, new.arch, new.generation) == (
        1,
        4.0,
        "x86_64",
        "current",
    )
    assert catalog.instance_type("m5.medium") is None and catalog.instance_type("m6i.medium") is None
    f = _suggestions(terraform, _line(TERRAFORM, '"m3.medium"', "aws_instance"))["ec2-previous-generation"]
    assert f["monthly_cost_after"] < f["monthly_cost"]
    # c4.xlarge (4 vCPU / 7.5 GiB) → c6a.xlarge (4 vCPU / 8 GiB)
    c4, c6a = catalog.instance_type("c4.xlarge"), catalog.instance_type("c6a.xlarge")
    assert c4 is not None and c6a is not None
    assert (c4.vcpu, c4.memory_gib) == (4, 7.5) and (c6a.vcpu, c6a.memory_gib) == (4, 8.0)


def test_unpriced_resource_states_per_hour_prices_not_a_monthly_figure(
    terraform: list[dict[str, Any]],
) -> None:
    f = _suggestions(terraform, _line(TERRAFORM, '"c4.xlarge"', "aws_spot_instance_request"))[
        "ec2-previous-generation"
    ]
    assert f["monthly_cost"] is None and f["monthly_savings"] is None
    assert "c4.xlarge $0.199/h → c6a.xlarge $0.153/h per instance" in f["message"]


def test_previous_generation_without_its_own_price_is_still_flagged(terraform: list[dict[str, Any]]) -> None:
    f = _suggestions(terraform, _line(TERRAFORM, '"db.r4.large"', "aws_docdb_cluster_instance"))[
        "docdb-previous-generation"
    ]
    assert "no current list price for db.r4.large; db.r5.large costs $202.21/mo" in f["message"]
    assert f["monthly_savings"] is None


def test_burstable_class_only_when_no_fixed_performance_one_is_cheaper(
    terraform: list[dict[str, Any]],
) -> None:
    # db.m1.small is 1 vCPU / 1.7 GiB; the smallest fixed-performance class (db.m5.large) costs more
    # than it, so the burstable db.t3.small (2 vCPU / 2 GiB) is the suggestion, with a real saving.
    f = _suggestions(terraform, _line(TERRAFORM, '"db.m1.small"', "aws_db_instance"))[
        "rds-previous-generation"
    ]
    assert f["monthly_cost_after"] < f["monthly_cost"]


def test_current_types_are_not_previous_generation(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_instance" "a" {\n  instance_type = "m7a.medium"\n}\n'
        'resource "aws_opensearch_domain" "s" {\n  cluster_config {\n    instance_type = "m5.large.search"\n  }\n}\n'
    )
    rules = {f["rule"] for f in _lint(tmp_path)}
    assert not {r for r in rules if r.endswith("previous-generation")}


def test_search_successor_is_a_type_the_service_has(tmp_path: Path) -> None:
    # OpenSearch has no m5.medium or m6g.medium search node (and EC2 has no m5.medium): m3.medium goes
    # to t3.medium, which both know
    (tmp_path / "main.tf").write_text(
        'resource "aws_elasticsearch_domain" "s" {\n'
        '  cluster_config {\n    instance_type = "m3.medium.elasticsearch"\n  }\n}\n'
    )
    (f,) = [f for f in _lint(tmp_path) if f["rule"] == "opensearch-previous-generation"]
    assert f["suggested"] == "t3.medium.elasticsearch"
