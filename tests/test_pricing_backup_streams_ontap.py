"""Backup vaults, metric streams, FSx for ONTAP, Cognito user pools, GuardDuty and Security Hub, priced
through the real `advisor cost --format json` on Terraform and CloudFormation, with and without usage.

Every figure below is worked out by hand from the unit prices in `pricing/data/prices_services.csv` (and
the keys those services share with EBS, RDS, DynamoDB and FSx), not read back from the code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import run_cli

TERRAFORM = """
provider "aws" {
  region = "us-east-1"
}
resource "aws_backup_vault" "v" {
  name = "v"
}
resource "aws_cloudwatch_metric_stream" "s" {
  name          = "s"
  firehose_arn  = "arn:aws:firehose:us-east-1:1:deliverystream/x"
  role_arn      = "arn:aws:iam::1:role/x"
  output_format = "json"
}
resource "aws_fsx_ontap_file_system" "o" {
  storage_capacity    = 1024
  subnet_ids          = ["a", "b"]
  deployment_type     = "MULTI_AZ_1"
  throughput_capacity = 512
  preferred_subnet_id = "a"
  disk_iops_configuration {
    mode = "USER_PROVISIONED"
    iops = 4000
  }
}
resource "aws_cognito_user_pool" "lite" {
  name           = "lite"
  user_pool_tier = "LITE"
}
resource "aws_cognito_user_pool" "plain" {
  name = "plain"
}
resource "aws_guardduty_detector" "on" {
  enable = true
}
resource "aws_guardduty_detector" "off" {
  enable = false
}
resource "aws_securityhub_account" "h" {}
"""

USAGE_FILE = """version: 0.1
resource_usage:
  aws_backup_vault.v:
    monthly_efs_warm_backup_gb: 10000
    monthly_efs_cold_backup_gb: 10000
    monthly_ebs_snapshot_gb: 10000
    monthly_rds_snapshot_gb: 10000
    monthly_dynamodb_backup_gb: 10000
    monthly_aurora_snapshot_gb: 10000
    monthly_fsx_windows_backup_gb: 10000
    monthly_fsx_lustre_backup_gb: 10000
  aws_cloudwatch_metric_stream.s:
    monthly_metric_updates: 21600000
  aws_fsx_ontap_file_system.o:
    capacity_pool_storage_gb: 500
  aws_cognito_user_pool.lite:
    monthly_active_users: 250000
  aws_cognito_user_pool.plain:
    monthly_active_users: 5000
  aws_guardduty_detector.on:
    monthly_cloudtrail_events: 20000000
    monthly_flow_dns_logs_gb: 100
  aws_securityhub_account.h:
    monthly_security_checks: 150000
    monthly_finding_ingestion_events: 30000
"""

CLOUDFORMATION = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Vault:
    Type: AWS::Backup::BackupVault
    Properties:
      BackupVaultName: v
  Stream:
    Type: AWS::CloudWatch::MetricStream
    Properties:
      FirehoseArn: arn:aws:firehose:us-east-1:1:deliverystream/x
      RoleArn: arn:aws:iam::1:role/x
      OutputFormat: json
  Ontap:
    Type: AWS::FSx::FileSystem
    Properties:
      FileSystemType: ONTAP
      StorageCapacity: 2048
      SubnetIds: [a]
      OntapConfiguration:
        DeploymentType: SINGLE_AZ_1
        ThroughputCapacity: 256
        DiskIopsConfiguration:
          Mode: USER_PROVISIONED
          Iops: 7000
  Lustre:
    Type: AWS::FSx::FileSystem
    Properties:
      FileSystemType: LUSTRE
      StorageCapacity: 1200
      SubnetIds: [a]
  Pool:
    Type: AWS::Cognito::UserPool
    Properties:
      UserPoolName: p
      UserPoolTier: LITE
  Detector:
    Type: AWS::GuardDuty::Detector
    Properties:
      Enable: false
  Hub:
    Type: AWS::SecurityHub::Hub
"""


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "ADVISOR_CACHE_DIR": str(tmp_path / "cache" / "advisor"),
        "ADVISOR_NO_CACHE": "1",
    }


def _cost(root: Path, tmp_path: Path, *extra: str) -> dict[str, dict[str, Any]]:
    result = run_cli("cost", ".", "-f", "json", *extra, cwd=root, env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    return {r["address"]: r for r in json.loads(result.stdout)["resources"]}


def _lines(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in resource["components"]}


def _project(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    root = tmp_path / name
    root.mkdir()
    for file, text in files.items():
        (root / file).write_text(text)
    return root


def test_terraform_without_usage_shows_unit_prices_and_unknowns(tmp_path: Path) -> None:
    found = _cost(_project(tmp_path, "tf", {"main.tf": TERRAFORM}), tmp_path)
    vault = _lines(found["aws_backup_vault.v"])
    assert len(vault) == 12
    # usage-priced lines: no quantity, no cost, the unit price shown
    for name, price in [
        ("EFS backup (warm)", 0.05),
        ("EFS backup (cold)", 0.01),
        ("EBS snapshot", 0.05),
        ("RDS snapshot", 0.095),
        ("DynamoDB backup", 0.10),
        ("Aurora snapshot", 0.021),
        ("FSx for Windows backup", 0.05),
        ("FSx for Lustre backup", 0.05),
    ]:
        assert (vault[name]["quantity"], vault[name]["unit_price"], vault[name]["monthly_cost"]) == (
            None,
            price,
            None,
        ), name
    # no public record of the us-east-1 restore prices was found: unknown, never $0
    for name in ("EFS restore (warm)", "EFS restore (cold)", "EFS restore (item-level)", "DynamoDB restore"):
        assert vault[name]["unit_price"] is None and "no price for" in vault[name]["note"]
    stream = _lines(found["aws_cloudwatch_metric_stream.s"])["Metric updates"]
    assert (stream["quantity"], stream["unit_price"]) == (None, 0.003)

    ontap = found["aws_fsx_ontap_file_system.o"]
    assert ontap["monthly_cost"] is None  # provisioned lines whose price is not in the catalog
    lines = _lines(ontap)
    assert lines["SSD storage (Multi-AZ)"]["quantity"] == 1024
    assert lines["Throughput capacity (Multi-AZ)"]["quantity"] == 512
    # 4000 provisioned - 3 × 1024 included = 928
    assert lines["SSD IOPS above 3 per GB (Multi-AZ)"]["quantity"] == 928
    assert "fsx.ontap.multi_az.storage" in lines["SSD storage (Multi-AZ)"]["note"]
    assert lines["Capacity pool storage (Multi-AZ)"]["quantity"] is None

    lite = _lines(found["aws_cognito_user_pool.lite"])["Monthly active users (Lite)"]
    assert (lite["quantity"], lite["unit_price"]) == (None, 0.0055)
    plain = _lines(found["aws_cognito_user_pool.plain"])
    (essentials,) = plain.values()
    assert essentials["unit_price"] is None
    assert "Essentials, AWS's default, assumed" in essentials["note"]

    detector = _lines(found["aws_guardduty_detector.on"])
    assert detector["CloudTrail management events"]["unit_price"] == 4.0
    assert detector["VPC flow and DNS logs"]["unit_price"] == 1.0
    assert found["aws_guardduty_detector.off"]["components"] == []
    hub = _lines(found["aws_securityhub_account.h"])
    assert hub["Security checks"]["unit_price"] == 0.001
    assert hub["Finding ingestion events (above 10,000)"]["unit_price"] == 0.00003


def test_terraform_with_an_infracost_usage_file(tmp_path: Path) -> None:
    root = _project(tmp_path, "tfu", {"main.tf": TERRAFORM, "infracost-usage.yml": USAGE_FILE})
    found = _cost(root, tmp_path, "--usage-file", "infracost-usage.yml")
    vault = _lines(found["aws_backup_vault.v"])
    # 10,000 GB-months each: 0.05 → 500, 0.01 → 100, EBS 0.05 → 500, RDS 0.095 → 950, DynamoDB 0.10 →
    # 1,000, Aurora 0.021 → 210, FSx Windows and Lustre 0.05 → 500 each
    assert {n: c["monthly_cost"] for n, c in vault.items() if c["quantity"] is not None} == {
        "EFS backup (warm)": 500.0,
        "EFS backup (cold)": 100.0,
        "EBS snapshot": 500.0,
        "RDS snapshot": 950.0,
        "DynamoDB backup": 1000.0,
        "Aurora snapshot": 210.0,
        "FSx for Windows backup": 500.0,
        "FSx for Lustre backup": 500.0,
    }
    assert found["aws_backup_vault.v"]["monthly_cost"] == 4260.0
    # 21,600,000 updates = 21,600 thousands × $0.003
    stream = _lines(found["aws_cloudwatch_metric_stream.s"])["Metric updates"]
    assert (stream["quantity"], stream["monthly_cost"]) == (21600.0, 64.8)
    # 250,000 MAUs: 10,000 free, 90,000 × 0.0055 = 495, 150,000 × 0.0046 = 690
    lite = found["aws_cognito_user_pool.lite"]
    assert sorted((c["quantity"], c["monthly_cost"]) for c in lite["components"]) == [
        (90000.0, 495.0),
        (150000.0, 690.0),
    ]
    assert lite["monthly_cost"] == 1185.0
    # 20M events × $4 per million = 80; 100 GB × $1 = 100
    detector = found["aws_guardduty_detector.on"]
    assert [c["monthly_cost"] for c in detector["components"]] == [80.0, 100.0]
    # 100,000 checks × 0.001 = 100, 50,000 × 0.0008 = 40; 20,000 events above the free 10,000 × 0.00003
    hub = found["aws_securityhub_account.h"]
    assert sorted(c["monthly_cost"] for c in hub["components"]) == [0.6, 40.0, 100.0]
    assert hub["monthly_cost"] == 140.6
    pool = _lines(found["aws_fsx_ontap_file_system.o"])["Capacity pool storage (Multi-AZ)"]
    assert (pool["quantity"], pool["monthly_cost"]) == (500.0, None)


def test_backup_vault_reproduces_infracosts_us_west_1_golden(tmp_path: Path) -> None:
    """infracost's backup_vault_test (us-west-1, 2024-07-01): every line with 10,000 of its usage."""
    usage = "version: 0.1\nresource_usage:\n  aws_backup_vault.usage:\n" + "".join(
        f"    monthly_{k}: 10000\n"
        for k in [
            "efs_warm_backup_gb",
            "efs_cold_backup_gb",
            "efs_warm_restore_gb",
            "efs_cold_restore_gb",
            "efs_item_restore_requests",
            "ebs_snapshot_gb",
            "rds_snapshot_gb",
            "dynamodb_backup_gb",
            "dynamodb_restore_gb",
            "aurora_snapshot_gb",
            "fsx_windows_backup_gb",
            "fsx_lustre_backup_gb",
        ]
    )
    tf = 'provider "aws" {\n  region = "us-west-1"\n}\nresource "aws_backup_vault" "usage" {\n  name = "u"\n}\n'
    root = _project(tmp_path, "golden", {"main.tf": tf, "u.yml": usage})
    vault = _cost(root, tmp_path, "--usage-file", "u.yml")["aws_backup_vault.usage"]
    assert {n: c["monthly_cost"] for n, c in _lines(vault).items()} == {
        "EFS backup (warm)": 600.0,
        "EFS backup (cold)": 120.0,
        "EFS restore (warm)": 240.0,
        "EFS restore (cold)": 360.0,
        "EFS restore (item-level)": 6000.0,
        "EBS snapshot": 550.0,
        "RDS snapshot": 950.0,
        "DynamoDB backup": 1000.0,  # golden 1,120.00: us-east-1's 0.10, marked as an estimate
        "DynamoDB restore": 1680.0,
        "Aurora snapshot": 210.0,  # golden 240.00: us-east-1's 0.021, marked as an estimate
        "FSx for Windows backup": 550.0,
        "FSx for Lustre backup": 550.0,
    }
    # the golden total is 12,960.00; the two lines without a us-west-1 row say so
    assert vault["monthly_cost"] == 12810.0 and vault["estimate"]
    estimated = {n for n, c in _lines(vault).items() if "us-east-1 price" in c.get("note", "")}
    assert estimated == {"DynamoDB backup", "Aurora snapshot"}


def test_cloudformation_types_without_and_with_usage(tmp_path: Path) -> None:
    root = _project(tmp_path, "cfn", {"template.yaml": CLOUDFORMATION})
    found = _cost(root, tmp_path)
    assert {a: r["type"] for a, r in found.items()} == {
        "Vault": "aws_backup_vault",
        "Stream": "aws_cloudwatch_metric_stream",
        "Ontap": "aws_fsx_file_system",
        "Lustre": "aws_fsx_file_system",
        "Pool": "aws_cognito_user_pool",
        "Detector": "aws_guardduty_detector",
        "Hub": "aws_securityhub_account",
    }
    ontap = _lines(found["Ontap"])
    assert ontap["SSD storage (Single-AZ)"]["quantity"] == 2048
    assert ontap["Throughput capacity (Single-AZ)"]["quantity"] == 256
    # 7000 - 3 × 2048 = 856
    assert ontap["SSD IOPS above 3 per GB (Single-AZ)"]["quantity"] == 856
    # the other FSx types through their own estimators: LUSTRE without a LustreConfiguration is
    # SCRATCH_1, 1,200 GB × $0.14
    assert _lines(found["Lustre"])["Storage (scratch_1)"]["monthly_cost"] == 168.0
    assert "Monthly active users (Lite)" in _lines(found["Pool"])
    assert found["Detector"]["components"] == []
    assert _lines(found["Vault"])["EFS backup (warm)"]["monthly_cost"] is None

    (root / ".advisor.toml").write_text(
        "[usage]\n"
        '"aws_backup_vault" = { monthly_efs_warm_backup_gb = 200, monthly_ebs_snapshot_gb = 300 }\n'
        '"Stream" = { monthly_metric_updates = 1000000 }\n'
        '"Pool" = { monthly_active_users = 8000 }\n'
        '"Hub" = { monthly_security_checks = 2000, monthly_finding_ingestion_events = 500 }\n'
    )
    found = _cost(root, tmp_path)
    vault = _lines(found["Vault"])
    # 200 GB × 0.05 = 10; 300 GB × 0.05 = 15
    assert (vault["EFS backup (warm)"]["monthly_cost"], vault["EBS snapshot"]["monthly_cost"]) == (10.0, 15.0)
    # 1,000 thousand updates × 0.003 = 3
    assert _lines(found["Stream"])["Metric updates"]["monthly_cost"] == 3.0
    # 8,000 MAUs are within the free 10,000
    assert found["Pool"]["monthly_cost"] == 0.0
    # 2,000 checks × 0.001 = 2; 500 finding events are within the free 10,000
    assert found["Hub"]["monthly_cost"] == 2.0


def test_bad_values_are_unknown_not_zero(tmp_path: Path) -> None:
    tf = (
        'provider "aws" {\n  region = "us-east-1"\n}\n'
        'resource "aws_fsx_ontap_file_system" "o" {\n  storage_capacity = 1024\n'
        '  deployment_type = "SOMEWHERE"\n  throughput_capacity = 128\n  subnet_ids = ["a"]\n}\n'
        'resource "aws_cognito_user_pool" "p" {\n  name = "p"\n  user_pool_tier = "GOLD"\n}\n'
    )
    found = _cost(_project(tmp_path, "bad", {"main.tf": tf}), tmp_path)
    ontap = _lines(found["aws_fsx_ontap_file_system.o"])
    assert "unknown deployment_type 'somewhere'" in ontap["SSD storage (?)"]["note"]
    assert found["aws_fsx_ontap_file_system.o"]["monthly_cost"] is None
    (pool,) = found["aws_cognito_user_pool.p"]["components"]
    assert "unknown user_pool_tier 'gold'" in pool["note"]
    assert found["aws_cognito_user_pool.p"]["monthly_cost"] is None


def test_cloudformation_scale_out_ontap_and_an_unknown_file_system_type(tmp_path: Path) -> None:
    template = """Resources:
  ScaleOut:
    Type: AWS::FSx::FileSystem
    Properties:
      FileSystemType: ONTAP
      StorageCapacity: 4096
      SubnetIds: [a]
      OntapConfiguration:
        DeploymentType: SINGLE_AZ_2
        HAPairs: 2
        ThroughputCapacityPerHAPair: 3072
  Odd:
    Type: AWS::FSx::FileSystem
    Properties:
      FileSystemType: TAPE
      StorageCapacity: 100
      SubnetIds: [a]
"""
    found = _cost(_project(tmp_path, "cfn2", {"template.yaml": template}), tmp_path)
    # 2 HA pairs × 3,072 MBps
    assert _lines(found["ScaleOut"])["Throughput capacity (Single-AZ)"]["quantity"] == 6144
    (odd,) = found["Odd"]["components"]
    assert "unknown FileSystemType 'tape'" in odd["note"] and found["Odd"]["monthly_cost"] is None
