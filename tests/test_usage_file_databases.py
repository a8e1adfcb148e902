"""`--usage-file` for databases, analytics and directories: infracost's keys turned into Advisor's bill lines.

Every figure is worked by hand from AWS's us-east-1 list prices: Aurora Serverless v1 $0.06 and v2 $0.12
per ACU-hour, storage $0.10 per GB-month, I/O $0.20 per 1M requests, backup $0.021 per GB-month,
backtrack $0.012 per 1M change records, snapshot export $0.01 per GB; Redshift dc2.large $0.25 per
node-hour, Spectrum $5 per TB scanned, backup storage $0.023 / $0.022 / $0.021 per GB-month (first
50 TB, next 450 TB, over 500 TB); Private CA $400 a month, certificates $0.75 / $0.35 / $0.001 (first
1,000, next 9,000, over 10,000); MWAA mw1.medium $0.74 an hour, workers and schedulers $0.11 an hour;
Directory Service Microsoft AD Standard $0.06 per controller-hour, sharing $0.018 per account-hour,
Simple AD small $0.05 per controller-hour; EFS Standard $0.30 and Standard-IA $0.025 per GB-month,
IA reads and writes $0.01 per GB, provisioned throughput $6.00 per MiBps-month above the baseline of
50 KiB/s per GiB stored; surplus CPU credits $0.05 (EC2) and $0.09 (Aurora) per vCPU-hour; classic load balancer data
$0.008 per GB, ALB $0.008 per LCU-hour, RDS backup $0.095 per GB-month, CloudWatch Logs ingestion $0.50
per GB and storage $0.03 per GB-month; DynamoDB restores $0.15 per GB, stream reads $0.02 per 100,000.
A month is 730 hours.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import run_cli

PROVIDER = 'provider "aws" {\n  region = "us-east-1"\n}\n'


def _cost(tmp_path: Path, tf: str, usage: str) -> tuple[dict[str, Any], str]:
    """Advisor's resources by address, and its standard error, for one folder priced with a usage file."""
    root = tmp_path / "stack"
    root.mkdir()
    (root / "main.tf").write_text(PROVIDER + tf)
    (tmp_path / "usage.yml").write_text("version: 0.1\nresource_usage:\n" + usage)
    proc = run_cli(
        "cost", "--format", "json", "--usage-file", str(tmp_path / "usage.yml"), str(root),
        env={"ADVISOR_NO_CACHE": "1"},
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    return {r["address"]: r for r in json.loads(proc.stdout)["resources"]}, proc.stderr


def _lines(resource: dict[str, Any]) -> dict[str, float | None]:
    return {c["name"]: c["monthly_cost"] for c in resource["components"]}


def test_aurora_serverless_v1_cluster_takes_acus_io_backup_backtrack_and_export(tmp_path: Path) -> None:
    tf = """
resource "aws_rds_cluster" "mysql" {
  engine                  = "aurora-mysql"
  engine_mode             = "serverless"
  backup_retention_period = 5
}
"""
    usage = """\
  aws_rds_cluster.mysql:
    capacity_units_per_hr: 2
    storage_gb: 100
    read_requests_per_sec: 10
    write_requests_per_sec: 10
    backup_snapshot_size_gb: 100
    average_statements_per_hr: 1000000
    change_records_per_statement: 0.5
    backtrack_window_hrs: 10
    snapshot_export_size_gb: 200
"""
    resources, stderr = _cost(tmp_path, tf, usage)
    cluster = resources["aws_rds_cluster.mysql"]
    lines = _lines(cluster)
    assert lines["Aurora Serverless v1 capacity"] == 87.6  # 2 ACU x 730 h x 0.06
    assert lines["Storage"] == 10.0
    assert lines["I/O requests"] == 10.51  # 20 a second x 2,628,000 s = 52.56M x 0.20
    assert lines["Backup storage"] == 8.4  # 100 GB x 5 days - 100 GB free = 400 GB x 0.021
    assert lines["Backtrack change records"] == 43.8  # 1M x 0.5 x 10 h x 730 = 3,650M x 0.012
    assert lines["Snapshot export to S3"] == 2.0
    assert cluster["monthly_cost"] == 162.31
    assert "not applied" not in stderr, stderr


def test_backtrack_is_not_billed_on_aurora_postgresql(tmp_path: Path) -> None:
    tf = """
resource "aws_rds_cluster" "pg" {
  engine      = "aurora-postgresql"
  engine_mode = "serverless"
}
"""
    usage = """\
  aws_rds_cluster.pg:
    capacity_units_per_hr: 1
    average_statements_per_hr: 1000000
    change_records_per_statement: 0.5
    backtrack_window_hrs: 10
"""
    resources, _ = _cost(tmp_path, tf, usage)
    cluster = resources["aws_rds_cluster.pg"]
    assert "Backtrack change records" not in _lines(cluster)
    assert cluster["monthly_cost"] == 43.8  # 1 ACU x 730 h x 0.06
    assert "Aurora MySQL feature" in json.dumps(cluster)


def test_backtrack_needs_all_three_keys(tmp_path: Path) -> None:
    tf = 'resource "aws_rds_cluster" "mysql" {\n  engine = "aurora-mysql"\n}\n'
    usage = "  aws_rds_cluster.mysql:\n    storage_gb: 10\n    backtrack_window_hrs: 24\n"
    resources, stderr = _cost(tmp_path, tf, usage)
    assert "Backtrack change records" not in _lines(resources["aws_rds_cluster.mysql"])
    assert "backtrack_window_hrs needs average_statements_per_hr, change_records_per_statement" in stderr


def test_aurora_serverless_v2_instance_takes_capacity_units_per_hr(tmp_path: Path) -> None:
    tf = """
resource "aws_rds_cluster_instance" "v2" {
  cluster_identifier = "c"
  engine             = "aurora-postgresql"
  instance_class     = "db.serverless"
}
"""
    usage = "  aws_rds_cluster_instance.v2:\n    capacity_units_per_hr: 5\n"
    resources, _ = _cost(tmp_path, tf, usage)
    assert resources["aws_rds_cluster_instance.v2"]["monthly_cost"] == 438.0  # 5 x 730 x 0.12


def test_redshift_concurrency_scaling_spectrum_and_tiered_backup(tmp_path: Path) -> None:
    tf = """
resource "aws_redshift_cluster" "dw" {
  cluster_identifier = "dw"
  node_type          = "dc2.large"
  cluster_type       = "multi-node"
  number_of_nodes    = 2
}
"""
    usage = """\
  aws_redshift_cluster.dw:
    excess_concurrency_scaling_secs: 3600
    spectrum_data_scanned_tb: 2
    backup_storage_gb: 600000
"""
    resources, _ = _cost(tmp_path, tf, usage)
    dw = resources["aws_redshift_cluster.dw"]
    lines = _lines(dw)
    assert lines["Cluster nodes (dc2.large)"] == 365.0  # 2 x 730 x 0.25
    assert lines["Concurrency scaling (dc2.large)"] == 0.5  # 3,600 s x 2 nodes x 0.25 / 3,600
    assert lines["Spectrum data scanned"] == 10.0
    assert lines["Backup storage (first 50 TB)"] == 1177.6  # 51,200 GB x 0.023
    assert lines["Backup storage (next 450 TB)"] == 10137.6  # 460,800 GB x 0.022
    assert lines["Backup storage (over 500 TB)"] == 1848.0  # 88,000 GB x 0.021
    assert dw["monthly_cost"] == 13538.7


def test_private_ca_certificates_follow_the_volume_tiers(tmp_path: Path) -> None:
    tf = 'resource "aws_acmpca_certificate_authority" "ca" {\n  type = "ROOT"\n}\n'
    usage = "  aws_acmpca_certificate_authority.ca:\n    monthly_requests: 20001\n"
    resources, _ = _cost(tmp_path, tf, usage)
    ca = resources["aws_acmpca_certificate_authority.ca"]
    lines = _lines(ca)
    assert lines["Certificates issued (first 1,000)"] == 750.0
    assert lines["Certificates issued (next 9,000)"] == 3150.0
    assert lines["Certificates issued (over 10,000)"] == 10.0  # 10,001 x 0.001
    assert ca["monthly_cost"] == 4310.0


def test_mwaa_workers_and_schedulers_from_usage(tmp_path: Path) -> None:
    tf = """
resource "aws_mwaa_environment" "af" {
  name              = "af"
  environment_class = "mw1.medium"
}
"""
    usage = "  aws_mwaa_environment.af:\n    additional_workers: 2\n    additional_schedulers: 1\n"
    resources, stderr = _cost(tmp_path, tf, usage)
    af = resources["aws_mwaa_environment.af"]
    lines = _lines(af)
    assert lines["Workers added by auto scaling (average)"] == 160.6  # 2 x 730 x 0.11
    assert lines["Schedulers (usage, above the two included)"] == 80.3  # 730 x 0.11
    assert af["monthly_cost"] == 781.1  # + 730 x 0.74
    assert "not applied" not in stderr, stderr


def test_directory_controllers_and_sharing_from_usage(tmp_path: Path) -> None:
    tf = """
resource "aws_directory_service_directory" "ms" {
  name    = "corp.example.com"
  type    = "MicrosoftAD"
  edition = "Standard"
}

resource "aws_directory_service_directory" "simple" {
  name = "simple.example.com"
  type = "SimpleAD"
  size = "Small"
}
"""
    usage = """\
  aws_directory_service_directory.ms:
    additional_domain_controllers: 1
    shared_accounts: 2
  aws_directory_service_directory.simple:
    shared_accounts: 2
"""
    resources, _ = _cost(tmp_path, tf, usage)
    ms = resources["aws_directory_service_directory.ms"]
    assert _lines(ms)["Additional domain controllers"] == 43.8  # 730 x 0.06
    assert _lines(ms)["Directory sharing"] == 26.28  # 2 x 730 x 0.018
    assert ms["monthly_cost"] == 157.68  # + 2 x 730 x 0.06
    simple = resources["aws_directory_service_directory.simple"]
    assert simple["monthly_cost"] == 73.0  # 2 x 730 x 0.05: Simple AD cannot be shared
    assert "only AWS Managed Microsoft AD directories can be shared" in json.dumps(simple)


def test_efs_infrequent_access_and_throughput_above_the_baseline(tmp_path: Path) -> None:
    tf = """
resource "aws_efs_file_system" "fs" {
  throughput_mode                 = "provisioned"
  provisioned_throughput_in_mibps = 100
}
"""
    usage = """\
  aws_efs_file_system.fs:
    storage_gb: 1024
    infrequent_access_storage_gb: 100
    monthly_infrequent_access_read_gb: 50
    monthly_infrequent_access_write_gb: 100
"""
    resources, stderr = _cost(tmp_path, tf, usage)
    fs = resources["aws_efs_file_system.fs"]
    lines = _lines(fs)
    assert lines["Storage (standard)"] == 307.2  # 1,024 GB x 0.30
    assert lines["Storage (standard, infrequent access)"] == 2.5  # 100 GB x 0.025
    assert lines["Reads from infrequent access"] == 0.5  # 50 GB x 0.01
    assert lines["Writes to infrequent access"] == 1.0  # 100 GB x 0.01
    assert lines["Provisioned throughput"] == 300.0  # (100 - 1,024 x 50 / 1,024 MiBps) x 6.00
    assert fs["monthly_cost"] == 611.2
    assert "not applied" not in stderr, stderr


def test_cpu_credits_of_burstable_ec2_and_aurora_instances(tmp_path: Path) -> None:
    tf = """
resource "aws_instance" "t3" {
  ami           = "ami-12345678"
  instance_type = "t3.micro"
}

resource "aws_instance" "t2" {
  ami           = "ami-12345678"
  instance_type = "t2.micro"
}

resource "aws_rds_cluster_instance" "db" {
  cluster_identifier = "c"
  engine             = "aurora-mysql"
  instance_class     = "db.t3.medium"
}
"""
    usage = """\
  aws_instance.t3:
    monthly_cpu_credit_hrs: 100
  aws_instance.t2:
    monthly_cpu_credit_hrs: 100
  aws_rds_cluster_instance.db:
    monthly_cpu_credit_hrs: 24
    vcpu_count: 2
"""
    resources, stderr = _cost(tmp_path, tf, usage)
    # t3 runs unlimited by default: 100 h x 2 vCPUs (the type's) x $0.05
    assert _lines(resources["aws_instance.t3"])["CPU credits (unlimited mode)"] == 10.0
    # t2 starts in standard mode: throttled, not billed
    t2 = resources["aws_instance.t2"]
    assert "CPU credits (unlimited mode)" not in _lines(t2)
    assert "standard credit mode" in json.dumps(t2)
    # Aurora: 24 h x 2 vCPUs x $0.09
    assert _lines(resources["aws_rds_cluster_instance.db"])["CPU credits (unlimited mode)"] == 4.32
    assert "not applied" not in stderr, stderr


def test_elastic_beanstalk_parts_read_their_own_usage(tmp_path: Path) -> None:
    tf = """
resource "aws_elastic_beanstalk_environment" "env" {
  name                = "env"
  application         = "app"
  solution_stack_name = "64bit Amazon Linux 2023 v4.0.0 running Python 3.11"

  setting {
    namespace = "aws:autoscaling:launchconfiguration"
    name      = "InstanceType"
    value     = "m5.large"
  }
  setting {
    namespace = "aws:rds:dbinstance"
    name      = "DBInstanceClass"
    value     = "db.m5.large"
  }
}
"""
    usage = """\
  aws_elastic_beanstalk_environment.env:
    cloudwatch:
      storage_gb: 100
      monthly_data_ingested_gb: 10
    elb:
      monthly_data_processed_gb: 1000
    db:
      additional_backup_storage_gb: 100
"""
    resources, stderr = _cost(tmp_path, tf, usage)
    lines = _lines(resources["aws_elastic_beanstalk_environment.env"])
    assert lines["Load balancer: Data processed"] == 8.0  # 1,000 GB x $0.008 (classic)
    assert lines["Database: Additional backup storage"] == 9.5  # 100 GB x $0.095
    assert lines["Logs: Data ingested"] == 5.0  # 10 GB x $0.50
    assert lines["Logs: Storage"] == 3.0  # 100 GB x $0.03
    assert "not applied" not in stderr, stderr


def test_load_balancer_processed_bytes_are_the_months_gb(tmp_path: Path) -> None:
    tf = 'resource "aws_lb" "alb" {\n  load_balancer_type = "application"\n  subnets = ["a", "b"]\n}\n'
    usage = "  aws_lb.alb:\n    processed_bytes_gb: 1000\n"
    resources, _ = _cost(tmp_path, tf, usage)
    # 1,000 GB processed in the month: 1,000 LCU-hours at $0.008 (infracost's golden output: $8.00)
    assert _lines(resources["aws_lb.alb"])["Load balancer capacity units"] == 8.0


def test_an_instances_own_credit_mode_wins_over_its_launch_templates(tmp_path: Path) -> None:
    tf = """
resource "aws_launch_template" "lt" {
  instance_type = "t3.micro"
  credit_specification {
    cpu_credits = "unlimited"
  }
}

resource "aws_instance" "own" {
  instance_type = "t3.micro"
  credit_specification {
    cpu_credits = "standard"
  }
  launch_template {
    id = aws_launch_template.lt.id
  }
}
"""
    usage = "  aws_instance.own:\n    monthly_cpu_credit_hrs: 730\n"
    resources, _ = _cost(tmp_path, tf, usage)
    own = resources["aws_instance.own"]
    assert "CPU credits (unlimited mode)" not in _lines(own)
    assert "standard credit mode" in json.dumps(own)


def test_dynamodb_restores_and_stream_reads_from_usage(tmp_path: Path) -> None:
    tf = """
resource "aws_dynamodb_table" "t" {
  name         = "t"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  attribute {
    name = "id"
    type = "S"
  }
}
"""
    usage = """\
  aws_dynamodb_table.t:
    monthly_data_restored_gb: 230
    monthly_streams_read_request_units: 2000000
"""
    resources, stderr = _cost(tmp_path, tf, usage)
    lines = _lines(resources["aws_dynamodb_table.t"])
    assert lines["Table data restored"] == 34.5  # 230 GB x $0.15
    assert lines["Streams read request units"] == 0.4  # 2M x $0.02 per 100,000
    assert "not applied" not in stderr, stderr
