"""Refresh the price database from the AWS Price List API (`advisor pricing refresh`).

Why it works the way it does:

- The Price List API is one global catalogue served from us-east-1 (and eu-central-1, ap-south-1),
  whatever region is priced, so the client always talks to us-east-1 and the region being refreshed
  is a `regionCode` filter.
- GetProducts with TERM_MATCH filters is the main path: it fetches only the products the keys need
  (EC2 Linux, shared tenancy, on-demand is about ten pages of 100 per region). For Lambda, ELB, EKS
  and DynamoDB the whole regional offer file (ListPriceLists, GetPriceListFileUrl, a CSV of a few MB)
  takes fewer calls; when it cannot be had or does not parse, those services use GetProducts too.
- AWS products are mapped onto the project's own stable keys (pricing/data/README.md) by usage type
  and attributes. Anything not recognised is ignored, never guessed, and every unit is converted by
  an explicit table, so an unexpected unit is reported instead of stored.
- The result is written to a new SQLite file next to the copy in use, starting from the rows in use,
  so a key AWS no longer lists keeps its older value. Each service and region is checked before it
  is written (row count within ±20 % of the previous data, or only its floor for the services whose
  keys the snapshot holds in part, `Service.grows`; no price moving tenfold), the file as a
  whole is checked (schema, spot checks), and only then is it moved into place with one atomic
  rename. A failed or interrupted refresh deletes the temporary file and the previous data stays.

boto3 is imported only when a refresh runs: it costs about a second at import.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from . import snapshot_db
from .build_snapshot import arch_from_family, split_name
from .bulk import Offer, OfferFileError, Opener, read_offers
from .catalog import ENV_OVERRIDE, Catalog, CatalogError, cache_db_path, shipped_db_path
from .snapshot_db import InstanceTypeRow, PriceRow, SourceRow

API_REGION = "us-east-1"  # the Price List API's home; the refreshed region is a filter, not an endpoint
RETRIES: Mapping[str, Any] = {"mode": "adaptive", "max_attempts": 10}
PAGE_SIZE = 100  # GetProducts' maximum
SOURCE_QUERY = "aws-price-list-api"
SOURCE_BULK = "aws-price-list-bulk"
IAM_QUERY = ("pricing:GetProducts",)
IAM_BULK = ("pricing:ListPriceLists", "pricing:GetPriceListFileUrl")

MAX_COUNT_CHANGE = Decimal("0.20")  # refreshed rows per service and region vs the previous data
MIN_ROWS_TO_COMPARE = 20  # below this the ratio says little (a region the snapshot barely covers)
MAX_PRICE_RATIO = Decimal(10)  # a list price that moves tenfold is a mapping or unit mistake
MAX_IMPLAUSIBLE_SHARE = Decimal("0.05")  # more such prices than this and the whole batch is refused
THROTTLE_RETRIES = 4  # on top of botocore's own adaptive retries, resuming from the last page

EXIT_OK, EXIT_FAILED, EXIT_SETUP = 0, 1, 2

HOW_TO_CONFIGURE = (
    "configure them with `aws configure` (or `aws sso login`), AWS_PROFILE, or AWS_ACCESS_KEY_ID and"
    " AWS_SECRET_ACCESS_KEY; the refresh needs the IAM action pricing:GetProducts"
)
NO_CREDENTIALS = f"no AWS credentials found: {HOW_TO_CONFIGURE}"
STALE_TEMP_SECONDS = 6 * 3600  # temporary files this old are from a refresh that was killed

SOURCES: Mapping[str, SourceRow] = {
    SOURCE_QUERY: SourceRow(
        SOURCE_QUERY,
        "AWS Price List Query API (GetProducts): on-demand list prices",
        "https://api.pricing.us-east-1.amazonaws.com",
        "",
        "AWS list prices (facts)",
        "fetched by `advisor pricing refresh`; as_of is the price list's publication date",
    ),
    SOURCE_BULK: SourceRow(
        SOURCE_BULK,
        "AWS Price List offer files (ListPriceLists, GetPriceListFileUrl): on-demand list prices",
        "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/",
        "",
        "AWS list prices (facts)",
        "fetched by `advisor pricing refresh`; as_of is the offer file's publication date",
    ),
}

_sleep: Callable[[float], None] = time.sleep  # replaced in tests


class RefreshError(Exception):
    """The refresh cannot go on. Exit code 2 for setup problems (arguments, credentials, permissions)."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class _ServiceFailed(Exception):
    """One service in one region could not be fetched; the other services go on."""


class _Rejected(Exception):
    """What a service returned for a region failed validation; its previous prices stay."""


class _BulkUnavailable(Exception):
    """The offer file could not be had or read; the service falls back to GetProducts."""


# -- the mapping from AWS products to keys -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """Where an offer goes: a price key (or, when `tiered`, a tier group) and the key's unit. `also`
    names keys that take the same figure: one AWS product priced under several of the project's names."""

    key: str
    unit: str
    tiered: bool = False
    also: tuple[str, ...] = ()


Mapper = Callable[[Offer], Target | None]

# Our unit -> {AWS unit, lower case: factor from one AWS unit to one of ours}. An AWS unit missing here
# is reported and the offer skipped: that is how LCU-month vs LCU-hour or GiBps vs MiBps mistakes show.
_UNIT_FACTORS: Mapping[str, Mapping[str, Decimal]] = {
    "hour": {"hrs": Decimal(1), "hr": Decimal(1), "hour": Decimal(1), "hours": Decimal(1)},
    "GB-month": {"gb-mo": Decimal(1), "gb-month": Decimal(1)},
    "IOPS-month": {"iops-mo": Decimal(1), "iops-month": Decimal(1)},
    "MiBps-month": {"mibps-mo": Decimal(1), "gibps-mo": Decimal(1) / Decimal(1024)},
    "GB": {"gb": Decimal(1)},
    "1M requests": {"requests": Decimal(10**6), "request": Decimal(10**6), "ios": Decimal(10**6)},
    "1k requests": {"requests": Decimal(1000), "request": Decimal(1000)},
    "1k objects-month": {"objects": Decimal(1000), "objects-mo": Decimal(1000)},
    "GB-second": {"lambda-gb-second": Decimal(1), "gb-second": Decimal(1), "gb-seconds": Decimal(1)},
    "LCU-hour": {"lcu-hrs": Decimal(1), "lcu-hr": Decimal(1), "nlcu-hrs": Decimal(1)},
    "DSU-hour": {"dsu-hour": Decimal(1), "dsu-hr": Decimal(1), "dsu-hrs": Decimal(1)},
    "ACU-hour": {"acu-hr": Decimal(1), "acu-hrs": Decimal(1), "acu-hour": Decimal(1)},
    "write request unit": {"writerequestunits": Decimal(1), "writerequestunit": Decimal(1)},
    "read request unit": {"readrequestunits": Decimal(1), "readrequestunit": Decimal(1)},
    "WCU-hour": {"writecapacityunit-hrs": Decimal(1)},
    "RCU-hour": {"readcapacityunit-hrs": Decimal(1)},
    "vCPU-hour": {"hours": Decimal(1), "hrs": Decimal(1), "vcpu-hours": Decimal(1)},
    "GB-hour": {"hours": Decimal(1), "hrs": Decimal(1), "gb-hours": Decimal(1)},
    "MBps-month": {"mbps-mo": Decimal(1), "mbps-month": Decimal(1), "mbps-months": Decimal(1)},
    "request": {"request": Decimal(1), "requests": Decimal(1)},
    "MAU": {"mau": Decimal(1), "maus": Decimal(1)},
    "1M events": {"events": Decimal(10**6), "event": Decimal(10**6)},
    "check": {"check": Decimal(1), "checks": Decimal(1)},
    "event": {"event": Decimal(1), "events": Decimal(1), "finding": Decimal(1), "findings": Decimal(1)},
    "1k metric updates": {
        "metric updates": Decimal(1000),
        "metricupdates": Decimal(1000),
        "metrics": Decimal(1000),
    },
}

# Usage types carry the region's billing prefix outside us-east-1 (`EU-` for eu-west-1, `USE2-`, `APS3-`);
# every such prefix is `EU` or letters ending in one digit, which keeps `IA-TimedStorage-...` intact.
_USAGE_PREFIX = re.compile(r"^(?:EU|[A-Z]{2,4}\d)-(?=.)")
_INSTANCE_NAME = re.compile(r"^[a-z0-9-]+\.[a-z0-9-]+$")


def usage_type(attributes: Mapping[str, str]) -> str:
    """The usage type without its region prefix: `EU-BoxUsage:m4.xlarge` -> `BoxUsage:m4.xlarge`."""
    return _USAGE_PREFIX.sub("", attributes.get("usagetype", ""), count=1)


def _by_usage(table: Mapping[str, tuple[str, str]]) -> Mapper:
    def mapper(offer: Offer) -> Target | None:
        found = table.get(usage_type(offer.attributes))
        return None if found is None else Target(*found)

    return mapper


def _map_ec2(offer: Offer) -> Target | None:
    a = offer.attributes
    if offer.product_family != "Compute Instance":
        return None
    if a.get("operatingSystem") != "Linux" or a.get("tenancy") != "Shared":
        return None
    if a.get("preInstalledSw", "NA") != "NA" or a.get("capacitystatus", "Used") != "Used":
        return None
    if (
        a.get("marketoption", "OnDemand") != "OnDemand"
        or a.get("operation", "RunInstances") != "RunInstances"
    ):
        return None
    name = a.get("instanceType", "")
    if not usage_type(a).startswith("BoxUsage:") or not _INSTANCE_NAME.match(name):
        return None
    return Target(f"ec2.{name}", "hour")


_map_ebs = _by_usage(
    {
        "EBS:VolumeUsage.gp2": ("ebs.gp2.storage", "GB-month"),
        "EBS:VolumeUsage.gp3": ("ebs.gp3.storage", "GB-month"),
        "EBS:VolumeUsage.piops": ("ebs.io1.storage", "GB-month"),
        "EBS:VolumeUsage.io2": ("ebs.io2.storage", "GB-month"),
        "EBS:VolumeUsage.st1": ("ebs.st1.storage", "GB-month"),
        "EBS:VolumeUsage.sc1": ("ebs.sc1.storage", "GB-month"),
        "EBS:VolumeUsage": ("ebs.standard.storage", "GB-month"),
        "EBS:VolumeP-IOPS.gp3": ("ebs.gp3.iops", "IOPS-month"),
        "EBS:VolumeP-IOPS.piops": ("ebs.io1.iops", "IOPS-month"),
        "EBS:VolumeP-IOPS.io2": ("ebs.io2.iops.tier1", "IOPS-month"),
        "EBS:VolumeP-IOPS.io2.tier2": ("ebs.io2.iops.tier2", "IOPS-month"),
        "EBS:VolumeP-IOPS.io2.tier3": ("ebs.io2.iops.tier3", "IOPS-month"),
        "EBS:VolumeP-Throughput.gp3": ("ebs.gp3.throughput", "MiBps-month"),
        "EBS:VolumeIOUsage": ("ebs.standard.io", "1M requests"),
        "EBS:SnapshotUsage": ("ebs.snapshot.storage", "GB-month"),
        "EBS:SnapshotArchiveStorage": ("ebs.snapshot.archive.storage", "GB-month"),
        "EBS:SnapshotArchiveRetrieval": ("ebs.snapshot.archive.retrieval", "GB"),
        "EBS:FastSnapshotRestore": ("ebs.fsr", "DSU-hour"),
    }
)

_map_nat = _by_usage({"NatGateway-Hours": ("nat.hour", "hour"), "NatGateway-Bytes": ("nat.data", "GB")})

_LB_KINDS = {"Load Balancer-Application": "alb", "Load Balancer-Network": "nlb", "Load Balancer": "clb"}


def _map_elb(offer: Offer) -> Target | None:
    kind = _LB_KINDS.get(offer.product_family)
    usage = usage_type(offer.attributes)
    if kind is None:
        return None
    if usage == "LoadBalancerUsage":
        return Target(f"elb.{kind}.hour", "hour")
    if usage == "LCUUsage" and kind in ("alb", "nlb"):
        return Target(f"elb.{kind}.lcu", "LCU-hour")
    if usage == "DataProcessing-Bytes" and kind == "clb":
        return Target("elb.clb.data", "GB")
    return None


_map_vpc = _by_usage(
    {
        "PublicIPv4:InUseAddress": ("vpc.public_ipv4.hour", "hour"),
        "VpcEndpoint-Hours": ("vpc.endpoint.interface.hour", "hour"),
        "VpcEndpoint-Bytes": ("vpc.endpoint.interface.data", "GB"),
    }
)

_LAMBDA_GROUPS = {
    "AWS-Lambda-Duration": Target("lambda.x86_64.duration", "GB-second", tiered=True),
    "AWS-Lambda-Duration-ARM": Target("lambda.arm64.duration", "GB-second", tiered=True),
    "AWS-Lambda-Requests": Target("lambda.requests", "1M requests"),
}


def _map_lambda(offer: Offer) -> Target | None:
    return _LAMBDA_GROUPS.get(offer.attributes.get("group", ""))


_S3_STANDARD = Target("s3.standard.storage", "GB-month", tiered=True)
_map_s3_other = _by_usage(
    {
        "TimedStorage-SIA-ByteHrs": ("s3.standard_ia.storage", "GB-month"),
        "TimedStorage-ZIA-ByteHrs": ("s3.onezone_ia.storage", "GB-month"),
        "TimedStorage-GlacierByteHrs": ("s3.glacier.storage", "GB-month"),
        "TimedStorage-GDA-ByteHrs": ("s3.deep_archive.storage", "GB-month"),
        "TimedStorage-INT-FA-ByteHrs": ("s3.intelligent_tiering.storage", "GB-month"),
        "TimedStorage-INT-IA-ByteHrs": ("s3.intelligent_tiering.infrequent.storage", "GB-month"),
        "Monitoring-Automation-INT": ("s3.intelligent_tiering.monitoring", "1k objects-month"),
        "Requests-Tier1": ("s3.requests.tier1", "1k requests"),
        "Requests-Tier2": ("s3.requests.tier2", "1k requests"),
        "Retrieval-SIA": ("s3.standard_ia.retrieval", "GB"),
    }
)


def _map_s3(offer: Offer) -> Target | None:
    if usage_type(offer.attributes) == "TimedStorage-ByteHrs":
        return _S3_STANDARD
    return _map_s3_other(offer)


_map_dynamodb = _by_usage(
    {
        "WriteRequestUnits": ("dynamodb.ondemand.write", "write request unit"),
        "ReadRequestUnits": ("dynamodb.ondemand.read", "read request unit"),
        "WriteCapacityUnit-Hrs": ("dynamodb.provisioned.wcu", "WCU-hour"),
        "ReadCapacityUnit-Hrs": ("dynamodb.provisioned.rcu", "RCU-hour"),
        "TimedStorage-ByteHrs": ("dynamodb.storage", "GB-month"),
        "TimedPITRStorage-ByteHrs": ("dynamodb.backup.pitr", "GB-month"),
        "TimedBackupStorage-ByteHrs": ("dynamodb.backup.ondemand", "GB-month"),
    }
)

_map_cloudwatch = _by_usage(
    {
        "DataProcessing-Bytes": ("cloudwatch.logs.ingest", "GB"),
        "TimedStorage-ByteHrs": ("cloudwatch.logs.storage", "GB-month"),
        "DataScanned-Bytes": ("cloudwatch.logs.insights", "GB"),
        # metric streams bill per metric update; AWS lists the price of one update
        "CW:MetricStreamUsage": ("cloudwatch.metric_stream.updates", "1k metric updates"),
    }
)

_map_eks = _by_usage(
    {
        "AmazonEKS-Hours:perCluster": ("eks.cluster.hour", "hour"),
        "AmazonEKS-Hours:extendedSupport": ("eks.cluster.extended_support.hour", "hour"),
    }
)

RDS_ENGINES = {
    "MySQL": "mysql",
    "PostgreSQL": "postgres",
    "MariaDB": "mariadb",
    "Aurora MySQL": "aurora-mysql",
    "Aurora PostgreSQL": "aurora-postgresql",
}
_RDS_DEPLOYMENTS = {
    "Single-AZ": "single-az",
    "Multi-AZ": "multi-az",
    "Multi-AZ (readable standbys)": "multi-az-cluster",
    "Multi-AZ DB cluster (readable standbys)": "multi-az-cluster",
}
_RDS_SHARED_ENGINES = frozenset({"", "Any", *RDS_ENGINES})  # storage rows not tied to a licensed engine
_map_rds_other = _by_usage(
    {
        "RDS:GP2-Storage": ("rds.storage.gp2.single-az", "GB-month"),
        "RDS:Multi-AZ-GP2-Storage": ("rds.storage.gp2.multi-az", "GB-month"),
        "RDS:GP3-Storage": ("rds.storage.gp3.single-az", "GB-month"),
        "RDS:Multi-AZ-GP3-Storage": ("rds.storage.gp3.multi-az", "GB-month"),
        "RDS:PIOPS-Storage": ("rds.storage.io1.single-az", "GB-month"),
        "RDS:Multi-AZ-PIOPS-Storage": ("rds.storage.io1.multi-az", "GB-month"),
        "RDS:PIOPS-Storage-IO2": ("rds.storage.io2.single-az", "GB-month"),
        "RDS:Multi-AZ-PIOPS-Storage-IO2": ("rds.storage.io2.multi-az", "GB-month"),
        "RDS:StorageUsage": ("rds.storage.standard.single-az", "GB-month"),
        "RDS:Multi-AZ-StorageUsage": ("rds.storage.standard.multi-az", "GB-month"),
        "RDS:PIOPS": ("rds.iops.io1.single-az", "IOPS-month"),
        "RDS:Multi-AZ-PIOPS": ("rds.iops.io1.multi-az", "IOPS-month"),
        "RDS:PIOPS-IO2": ("rds.iops.io2.single-az", "IOPS-month"),
        "RDS:Multi-AZ-PIOPS-IO2": ("rds.iops.io2.multi-az", "IOPS-month"),
        "RDS:GP3-PIOPS": ("rds.iops.gp3.single-az", "IOPS-month"),
        "RDS:Multi-AZ-GP3-PIOPS": ("rds.iops.gp3.multi-az", "IOPS-month"),
        "RDS:GP3-Throughput": ("rds.throughput.gp3.single-az", "MiBps-month"),
        "RDS:Multi-AZ-GP3-Throughput": ("rds.throughput.gp3.multi-az", "MiBps-month"),
        "RDS:StorageIOUsage": ("rds.standard.io", "1M requests"),
        "RDS:ChargedBackupUsage": ("rds.backup.storage", "GB-month"),
        "Aurora:StorageUsage": ("rds.aurora.storage", "GB-month"),
        "Aurora:IO-OptimizedStorageUsage": ("rds.aurora.iopt.storage", "GB-month"),
        "Aurora:StorageIOUsage": ("rds.aurora.io", "1M requests"),
        "Aurora:BackupUsage": ("rds.aurora.backup.storage", "GB-month"),
        "Aurora:ServerlessUsage": ("rds.aurora.serverless.acu", "ACU-hour"),
        "Aurora:ServerlessV2Usage": ("rds.aurora.serverless_v2.acu", "ACU-hour"),
        "Aurora:ServerlessV2IOOptimizedUsage": ("rds.aurora.iopt.serverless_v2.acu", "ACU-hour"),
    }
)


def _map_rds(offer: Offer) -> Target | None:
    a = offer.attributes
    engine_name = a.get("databaseEngine", "")
    if offer.product_family != "Database Instance":
        return _map_rds_other(offer) if engine_name in _RDS_SHARED_ENGINES else None
    engine = RDS_ENGINES.get(engine_name)
    deployment = _RDS_DEPLOYMENTS.get(a.get("deploymentOption", ""))
    name = a.get("instanceType", "")
    usage = usage_type(a)
    if engine is None or deployment is None or not name.startswith("db.") or name == "db.serverless":
        return None
    if (
        "IOOptimized" in usage
        or "ExtendedSupport" in usage
        or a.get("licenseModel", "") == "Bring your own license"
    ):
        return None  # I/O-optimized Aurora, extended support, BYOL: prices the keys do not carry
    if engine.startswith("aurora") and deployment != "single-az":
        return None  # each Aurora instance is billed on its own
    return Target(f"rds.{engine}.{deployment}.{name}", "hour")


_CACHE_ENGINES = {"redis": "redis", "redis oss": "redis", "valkey": "valkey", "memcached": "memcached"}


def _map_elasticache(offer: Offer) -> Target | None:
    a = offer.attributes
    usage = usage_type(a)
    if usage == "ElastiCache:BackupUsage":
        return Target("elasticache.backup.storage", "GB-month")
    engine = _CACHE_ENGINES.get(a.get("cacheEngine", "").lower())
    name = a.get("instanceType", "")
    if engine is None or not usage.startswith("NodeUsage:") or not name.startswith("cache."):
        return None
    return Target(f"elasticache.{engine}.{name}", "hour")


# The services priced from `prices_services.csv` whose keys AWS's Price List carries too. Where the
# attributes come from: the usage types and product families infracost's AWS resources filter on
# (MSK `Kafka.<type>` and `Kafka.Storage.GP2`, OpenSearch `ESInstance` with `instanceType` and
# `storageMedia`, Redshift `Compute Instance`, DocumentDB and Neptune `Database Instance` with
# `instanceType` and `StorageUsage`/`StorageIOUsage`, Fargate `Fargate-vCPU-Hours:perCPU` and
# `Fargate-GB-Hours`, MQ `Broker Instances` and `TimedStorage-*`). A product matching nothing here is
# ignored, and a unit the key does not carry is reported, so a changed listing keeps the old prices.

_KAFKA_BROKER = re.compile(r"^Kafka\.([a-z0-9]+\.[a-z0-9]+)$", re.IGNORECASE)


def _map_msk(offer: Offer) -> Target | None:
    usage = usage_type(offer.attributes)
    if usage == "Kafka.Storage.GP2":
        return Target("msk.storage", "GB-month")
    broker = _KAFKA_BROKER.match(usage)
    return None if broker is None else Target(f"msk.kafka.{broker.group(1).lower()}", "hour")


_OPENSEARCH_MEDIA = {
    "GP2": "opensearch.storage.gp2",
    "GP3": "opensearch.storage.gp3",
    "PIOPS-Storage": "opensearch.storage.io1",
    "Magnetic": "opensearch.storage.standard",
}


def _map_opensearch(offer: Offer) -> Target | None:
    a = offer.attributes
    usage = usage_type(a)
    if offer.product_family == "Amazon OpenSearch Service Instance":
        name = a.get("instanceType", "")
        if not usage.startswith("ESInstance:") or not name.endswith(".search"):
            return None
        return Target(f"opensearch.{name}", "hour")
    if offer.product_family != "Amazon OpenSearch Service Volume":
        return None
    media = a.get("storageMedia", "")
    if media == "PIOPS" and usage == "ES:PIOPS":
        return Target("opensearch.iops.io1", "IOPS-month")
    key = _OPENSEARCH_MEDIA.get(media)
    return None if key is None or not usage.endswith("-Storage") else Target(key, "GB-month")


def _map_redshift(offer: Offer) -> Target | None:
    name = offer.attributes.get("instanceType", "")
    if offer.product_family != "Compute Instance" or not usage_type(offer.attributes).startswith("Node:"):
        return None
    return Target(f"redshift.{name}", "hour") if _INSTANCE_NAME.match(name) else None


def _database_service(prefix: str, other: Mapping[str, tuple[str, str]]) -> Mapper:
    """DocumentDB and Neptune: on-demand instances by `instanceType`, storage and I/O by usage type."""
    by_usage = _by_usage(other)

    def mapper(offer: Offer) -> Target | None:
        if offer.product_family != "Database Instance":
            return by_usage(offer)
        name = offer.attributes.get("instanceType", "")
        usage = usage_type(offer.attributes)
        if not name.startswith("db.") or name == "db.serverless" or not usage.startswith("InstanceUsage:"):
            return None  # I/O-optimized (`InstanceUsageIOOptimized:`) and serverless carry other keys
        return Target(f"{prefix}.{name}", "hour")

    return mapper


_map_docdb = _database_service(
    "docdb",
    {
        "StorageUsage": ("docdb.storage", "GB-month"),
        "StorageIOUsage": ("docdb.io", "1M requests"),
        "BackupUsage": ("docdb.backup.storage", "GB-month"),
        "CPUCredits:db.t3": ("docdb.cpu_credits", "vCPU-hour"),
    },
)
_map_neptune = _database_service(
    "neptune",
    {"StorageUsage": ("neptune.storage", "GB-month"), "StorageIOUsage": ("neptune.io", "1M requests")},
)
_map_fargate = _by_usage(
    {
        "Fargate-vCPU-Hours:perCPU": ("fargate.x86_64.vcpu", "vCPU-hour"),
        "Fargate-GB-Hours": ("fargate.x86_64.memory", "GB-hour"),
        "Fargate-ARM-vCPU-Hours:perCPU": ("fargate.arm64.vcpu", "vCPU-hour"),
        "Fargate-ARM-GB-Hours": ("fargate.arm64.memory", "GB-hour"),
        "Fargate-EphemeralStorage-GB-Hours": ("fargate.ephemeral_storage", "GB-hour"),
    }
)


def _map_mq(offer: Offer) -> Target | None:
    """Amazon MQ: the keys are ActiveMQ single-instance brokers and the broker storage per GB-month."""
    a = offer.attributes
    usage = usage_type(a)
    if offer.product_family == "Broker Storage":
        storage = {"TimedStorage-ByteHrs": "mq.storage.efs", "TimedStorage-EBS-ByteHrs": "mq.storage.ebs"}
        key = storage.get(usage)
        return None if key is None else Target(key, "GB-month")
    if offer.product_family != "Broker Instances":
        return None
    name = a.get("instanceType", "")
    if a.get("brokerEngine", "").lower() != "activemq" or a.get("deploymentOption") != "Single-AZ":
        return None
    return Target(f"mq.{name}", "hour") if name.startswith("mq.") else None


# FSx, MemoryDB and EMR: the attributes their products carry in the Price List (the ones infracost's
# `fsx_*_file_system` resources filter on: `fileSystemType`, `deploymentOption`, `storageType`,
# `throughputCapacity`, backups by a `BackupUsage` usage type; MemoryDB nodes by `NodeUsage:<type>`,
# `instanceType` and `engine`, as ElastiCache nodes; EMR by `softwareType` "EMR" and `BoxUsage:<type>`).
# Only the dimensions the estimators read are mapped: ONTAP has no estimator, and OpenZFS Single-AZ 2 and
# Multi-AZ, Lustre's metadata IOPS and read cache carry no key.

_FSX_WINDOWS_AZ = {"Single-AZ": "single_az", "Multi-AZ": "multi_az"}
# Lustre persistent storage is priced per MB/s per TiB of throughput; the tiers tell the generation apart
# (Persistent 1: SSD 50/100/200, HDD 12/40; Persistent 2: SSD 125/250/500/1000).
_FSX_LUSTRE_TIERS = {
    ("SSD", "50"): "persistent_1.ssd.50",
    ("SSD", "100"): "persistent_1.ssd.100",
    ("SSD", "200"): "persistent_1.ssd.200",
    ("HDD", "12"): "persistent_1.hdd.12",
    ("HDD", "40"): "persistent_1.hdd.40",
    ("SSD", "125"): "persistent_2.ssd.125",
    ("SSD", "250"): "persistent_2.ssd.250",
    ("SSD", "500"): "persistent_2.ssd.500",
    ("SSD", "1000"): "persistent_2.ssd.1000",
}


def _map_fsx(offer: Offer) -> Target | None:
    """FSx for Windows File Server, Lustre and OpenZFS: storage, throughput capacity, IOPS, backups."""
    a = offer.attributes
    kind = a.get("fileSystemType", "")
    usage = usage_type(a)
    family = offer.product_family
    deployment = a.get("deploymentOption", "")
    if family == "Storage" and "BackupUsage" in usage:
        backup = {
            "Windows": "fsx.windows.backup",
            "Lustre": "fsx.lustre.backup",
            "OpenZFS": "fsx.openzfs.backup",
        }
        key = backup.get(kind)
        return None if key is None else Target(key, "GB-month")
    if kind == "Windows":
        az = _FSX_WINDOWS_AZ.get(deployment)
        storage = {"SSD": "ssd", "HDD": "hdd"}.get(a.get("storageType", ""))
        if az is None:
            return None
        if family == "Storage" and storage is not None:
            return Target(f"fsx.windows.{az}.{storage}.storage", "GB-month")
        if family == "Provisioned Throughput":
            return Target(f"fsx.windows.{az}.throughput", "MBps-month")
        return None
    if kind == "OpenZFS" and deployment == "Single-AZ":  # Single-AZ 1, the `single_az_1` deployment type
        if family == "Storage" and a.get("storageType") == "SSD":
            return Target("fsx.openzfs.single_az_1.storage", "GB-month")
        if family == "Provisioned Throughput":
            return Target("fsx.openzfs.single_az_1.throughput", "MBps-month")
        if family == "Provisioned IOPS":
            return Target("fsx.openzfs.single_az_1.iops", "IOPS-month")
        return None
    if kind == "Lustre" and family == "Storage" and "Cache" not in usage:
        if "scratch" in deployment.lower():
            return Target("fsx.lustre.scratch.storage", "GB-month")
        tier = _FSX_LUSTRE_TIERS.get((a.get("storageType", ""), a.get("throughputCapacity", "")))
        return None if tier is None else Target(f"fsx.lustre.{tier}", "GB-month")
    return None


_MEMORYDB_ENGINES = {"redis": "redis", "redis oss": "redis", "valkey": "valkey"}


def _map_memorydb(offer: Offer) -> Target | None:
    """MemoryDB nodes per engine and node type (data tiering `db.r6gd` nodes included in the node price)."""
    a = offer.attributes
    name = a.get("instanceType", "")
    engine = _MEMORYDB_ENGINES.get((a.get("engine") or a.get("cacheEngine") or "").lower())
    if engine is None or not usage_type(a).startswith("NodeUsage:") or not name.startswith("db."):
        return None  # snapshots, data written, or a product that does not name its engine
    return Target(f"memorydb.{engine}.{name}", "hour") if _INSTANCE_NAME.match(name[3:]) else None


def _map_emr(offer: Offer) -> Target | None:
    """The EMR charge per instance-hour, billed on top of the EC2 instance (`emr.<instance type>`)."""
    a = offer.attributes
    name = a.get("instanceType", "")
    if offer.product_family != "Elastic Map Reduce Instance" or a.get("softwareType") != "EMR":
        return None
    if usage_type(a) != f"BoxUsage:{name}" or not _INSTANCE_NAME.match(name):
        return None
    return Target(f"emr.{name}", "hour")


# SageMaker and DMS: the attributes AWS documents for their products. SageMaker's `ML Instance` products
# name the instance in `instanceName` (`ml.m5.large`) and what it runs as in `component` (`Hosting` for
# real-time endpoints, `Notebook` for notebook instances; training, processing and the rest carry no key),
# with a usage type ending in `:<instance>`. DMS replication instances carry `instanceType` (without the
# `dms.` of the class name) and `availabilityZone` `Single` or `Multiple`; gp2 storage `storageMedia` SSD.
# The keys hold the Single-AZ price: the estimator bills a Multi-AZ standby as a second instance.

_SAGEMAKER_COMPONENTS = {"Hosting": "hosting", "Notebook": "notebook"}


def _map_sagemaker(offer: Offer) -> Target | None:
    """SageMaker real-time endpoint and notebook instance hours (`sagemaker.<component>.<ml type>`)."""
    a = offer.attributes
    component = _SAGEMAKER_COMPONENTS.get(a.get("component", ""))
    name = a.get("instanceName") or a.get("instanceType", "")
    if offer.product_family != "ML Instance" or component is None:
        return None
    if not name.startswith("ml.") or not _INSTANCE_NAME.match(name[3:]):
        return None
    if not usage_type(a).endswith(f":{name}"):
        return None  # a usage the instance hours do not cover (storage, data processed)
    return Target(f"sagemaker.{component}.{name}", "hour")


def _map_dms(offer: Offer) -> Target | None:
    """DMS Single-AZ replication instance hours (`dms.<type>`) and gp2 storage (`dms.storage.gp2`)."""
    a = offer.attributes
    if a.get("availabilityZone") != "Single":
        return None  # Multi-AZ rows, and serverless capacity units, which name no zone
    name = a.get("instanceType", "").removeprefix("dms.")
    if name:
        return Target(f"dms.{name}", "hour") if _INSTANCE_NAME.match(name) else None
    if a.get("storageMedia") == "SSD":
        return Target("dms.storage.gp2", "GB-month")
    return None


# Lightsail: `Lightsail Instance` products name the bundle by its memory in the usage type
# (`BundleUsage:0.5GB`, `BundleUsage:4GB_win`; the IPv6-only bundles add `_IPv6` and carry no key). The
# Price List does not tell bundle versions apart, and the `_2_0` and `_3_0` bundles of one size bill the
# same price (the snapshot's `medium_2_0` and `medium_3_0`), so the figure goes to both keys.

_LIGHTSAIL_SIZES = {
    "0.5GB": "nano",
    "1GB": "micro",
    "2GB": "small",
    "4GB": "medium",
    "8GB": "large",
    "16GB": "xlarge",
    "32GB": "2xlarge",
    "64GB": "4xlarge",
}
_LIGHTSAIL_BUNDLE = re.compile(r"^BundleUsage:([0-9.]+GB)(_win)?$")


def _map_lightsail(offer: Offer) -> Target | None:
    """Lightsail instance bundles by the hour (`lightsail.<size>[_win]_<version>`)."""
    bundle = _LIGHTSAIL_BUNDLE.match(usage_type(offer.attributes))
    if offer.product_family != "Lightsail Instance" or bundle is None:
        return None
    size = _LIGHTSAIL_SIZES.get(bundle.group(1))
    if size is None:
        return None
    name = f"lightsail.{size}{'_win' if bundle.group(2) else ''}"
    return Target(f"{name}_2_0", "hour", also=(f"{name}_3_0",))


# AWS Backup: the `AWS Backup Storage` products by usage type (`WarmStorage-ByteHrs-EFS`,
# `ColdStorage-ByteHrs-EFS`, partial restores per GB and item-level restore jobs); a vault's DynamoDB
# restore is DynamoDB's own `RestoreDataSize-Bytes`. The vault's other lines reuse the keys of the
# services they back up (EBS snapshots, RDS and Aurora backups, DynamoDB backups, FSx backups), which
# those services' refreshes fill.
_map_backup = _by_usage(
    {
        "WarmStorage-ByteHrs-EFS": ("backup.efs.warm.storage", "GB-month"),
        "ColdStorage-ByteHrs-EFS": ("backup.efs.cold.storage", "GB-month"),
        "PartialRestore-Warm-EFS": ("backup.efs.warm.restore", "GB"),
        "PartialRestore-Cold-EFS": ("backup.efs.cold.restore", "GB"),
        "PartialRestore-Jobs-EFS": ("backup.efs.item_restore", "request"),
        "RestoreDataSize-Bytes": ("backup.dynamodb.restore", "GB"),
    }
)


# Cognito, GuardDuty and Security Hub, by the usage types and groups AWS bills them under. Cognito's
# `CognitoLiteMAU` bands start after the free 10,000 MAUs, as the `cognito.lite.mau` tiers do; Essentials
# and Plus are one band each (`CognitoEssentialsMAU`, `CognitoPlusMAU`). GuardDuty's foundational sources
# are `PaidEventsAnalyzed` (CloudTrail management events, per event) and `PaidEventsAnalyzed-Bytes` (VPC
# flow and DNS logs, per GB): their keys hold the first volume tier, the lowest band a refresh keeps.
# Security Hub's checks are the `AWS Security Hub - Standards` products of `standardGroup`
# PaidComplianceCheck (three bands, the `securityhub.checks` tiers) and its paid finding ingestion the
# `AWS Security Hub - Findings` products of `findingGroup` PaidFindingsIngestion (the first paid band,
# after the free 10,000).

_COGNITO_LITE = Target("cognito.lite.mau", "MAU", tiered=True)
_map_cognito_plans = _by_usage(
    {"CognitoEssentialsMAU": ("cognito.essentials.mau", "MAU"), "CognitoPlusMAU": ("cognito.plus.mau", "MAU")}
)


def _map_cognito(offer: Offer) -> Target | None:
    """Cognito user pool MAUs of the Lite (by volume tier), Essentials and Plus plans."""
    if usage_type(offer.attributes) == "CognitoLiteMAU":
        return _COGNITO_LITE
    return _map_cognito_plans(offer)


_map_guardduty = _by_usage(
    {
        "PaidEventsAnalyzed": ("guardduty.cloudtrail_events", "1M events"),
        "PaidEventsAnalyzed-Bytes": ("guardduty.flow_dns_logs", "GB"),
    }
)
_SECURITYHUB_CHECKS = Target("securityhub.checks", "check", tiered=True)


def _map_securityhub(offer: Offer) -> Target | None:
    """Security Hub security checks (by volume tier) and paid finding ingestion events."""
    a = offer.attributes
    if offer.product_family == "AWS Security Hub - Standards":
        return _SECURITYHUB_CHECKS if a.get("standardGroup") == "PaidComplianceCheck" else None
    if offer.product_family == "AWS Security Hub - Findings":
        paid = a.get("findingGroup") == "PaidFindingsIngestion"
        return Target("securityhub.finding_events", "event") if paid else None
    return None


# -- services ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Query:
    """One GetProducts query; `regionCode` is added for each refreshed region."""

    service_code: str
    filters: tuple[tuple[str, str], ...] = ()

    def label(self) -> str:
        return " ".join([self.service_code, *(v for _f, v in self.filters)])


@dataclass(frozen=True, slots=True)
class Service:
    """What `--service NAME` refreshes: the keys it owns, how to fetch them, and how to map them."""

    name: str
    title: str
    prefixes: tuple[str, ...]
    queries: tuple[Query, ...]
    mapper: Mapper
    offer_code: str | None = None  # when set, the regional offer file is tried first
    # The snapshot holds a hand-picked subset of this service's keys (prices_services.csv), so a
    # refresh may add many more (every OpenSearch instance type): the +20 % new-key check is off.
    grows: bool = False


def _family(code: str, *families: str) -> tuple[Query, ...]:
    return tuple(Query(code, (("productFamily", f),)) for f in families)


SERVICES: tuple[Service, ...] = (
    Service(
        "ec2",
        "EC2 instances (Linux, shared tenancy, on-demand)",
        ("ec2.",),
        (
            Query(
                "AmazonEC2",
                (
                    ("productFamily", "Compute Instance"),
                    ("operatingSystem", "Linux"),
                    ("tenancy", "Shared"),
                    ("preInstalledSw", "NA"),
                    ("capacitystatus", "Used"),
                    ("marketoption", "OnDemand"),
                ),
            ),
        ),
        _map_ec2,
    ),
    Service(
        "ebs",
        "EBS volumes, IOPS, throughput and snapshots",
        ("ebs.",),
        _family(
            "AmazonEC2",
            "Storage",
            "System Operation",
            "Provisioned Throughput",
            "Storage Snapshot",
            "Fast Snapshot Restore",
        ),
        _map_ebs,
    ),
    Service("nat", "NAT gateways", ("nat.",), _family("AmazonEC2", "NAT Gateway"), _map_nat),
    Service(
        "elb",
        "Elastic Load Balancing",
        ("elb.",),
        _family("AWSELB", "Load Balancer-Application", "Load Balancer-Network", "Load Balancer"),
        _map_elb,
        offer_code="AWSELB",
    ),
    Service("vpc", "Public IPv4 addresses and VPC endpoints", ("vpc.",), (Query("AmazonVPC"),), _map_vpc),
    Service("lambda", "Lambda", ("lambda.",), (Query("AWSLambda"),), _map_lambda, offer_code="AWSLambda"),
    Service("s3", "S3", ("s3.",), _family("AmazonS3", "Storage", "API Request", "Fee"), _map_s3),
    Service(
        "dynamodb",
        "DynamoDB",
        ("dynamodb.",),
        (Query("AmazonDynamoDB"),),
        _map_dynamodb,
        offer_code="AmazonDynamoDB",
    ),
    Service(
        "cloudwatch",
        "CloudWatch Logs and metric streams",
        ("cloudwatch.logs.", "cloudwatch.metric_stream."),
        (Query("AmazonCloudWatch"),),
        _map_cloudwatch,
    ),
    Service("eks", "EKS clusters", ("eks.",), (Query("AmazonEKS"),), _map_eks, offer_code="AmazonEKS"),
    Service(
        "rds",
        "RDS and Aurora instances and storage",
        ("rds.",),
        (
            *(
                Query("AmazonRDS", (("productFamily", "Database Instance"), ("databaseEngine", e)))
                for e in RDS_ENGINES
            ),
            *_family(
                "AmazonRDS",
                "Database Storage",
                "Provisioned IOPS",
                "Provisioned Throughput",
                "System Operation",
                "Storage Snapshot",
                "ServerlessV2",
                "Serverless",
            ),
        ),
        _map_rds,
    ),
    Service(
        "elasticache",
        "ElastiCache nodes",
        ("elasticache.",),
        _family("AmazonElastiCache", "Cache Instance"),
        _map_elasticache,
    ),
    Service(
        "msk",
        "MSK (Kafka) brokers and storage",
        ("msk.",),
        _family("AmazonMSK", "Managed Streaming for Apache Kafka (MSK)"),
        _map_msk,
        grows=True,
    ),
    Service(
        "opensearch",
        "OpenSearch instances and volumes",
        ("opensearch.",),
        _family("AmazonES", "Amazon OpenSearch Service Instance", "Amazon OpenSearch Service Volume"),
        _map_opensearch,
        grows=True,
    ),
    Service(
        "redshift",
        "Redshift nodes",
        ("redshift.",),
        _family("AmazonRedshift", "Compute Instance"),
        _map_redshift,
        grows=True,
    ),
    Service(
        "docdb",
        "DocumentDB instances, storage and I/O",
        ("docdb.",),
        _family(
            "AmazonDocDB",
            "Database Instance",
            "Database Storage",
            "System Operation",
            "Storage Snapshot",
            "CPU Credits",
        ),
        _map_docdb,
        grows=True,
    ),
    Service(
        "neptune",
        "Neptune instances, storage and I/O",
        ("neptune.",),
        _family("AmazonNeptune", "Database Instance", "Database Storage", "System Operation"),
        _map_neptune,
        grows=True,
    ),
    Service(
        "fargate",
        "Fargate vCPU, memory and storage",
        ("fargate.",),
        _family("AmazonECS", "Compute"),
        _map_fargate,
        grows=True,
    ),
    Service(
        "mq",
        "Amazon MQ brokers and storage",
        ("mq.",),
        _family("AmazonMQ", "Broker Instances", "Broker Storage"),
        _map_mq,
        grows=True,
    ),
    Service(
        "fsx",
        "FSx for Windows File Server, Lustre and OpenZFS storage, throughput, IOPS and backups",
        ("fsx.",),
        _family("AmazonFSx", "Storage", "Provisioned Throughput", "Provisioned IOPS"),
        _map_fsx,
    ),
    Service(
        "memorydb",
        "MemoryDB nodes",
        ("memorydb.",),
        (Query("AmazonMemoryDB"),),
        _map_memorydb,
        grows=True,
    ),
    Service(
        "emr",
        "EMR charge per instance",
        ("emr.",),
        (
            Query(
                "ElasticMapReduce",
                (("productFamily", "Elastic Map Reduce Instance"), ("softwareType", "EMR")),
            ),
        ),
        _map_emr,
        grows=True,
    ),
    Service(
        "sagemaker",
        "SageMaker endpoint and notebook instances",
        ("sagemaker.",),
        _family("AmazonSageMaker", "ML Instance"),
        _map_sagemaker,
        grows=True,
    ),
    Service(
        "dms",
        "Database Migration Service replication instances and storage",
        ("dms.",),
        (Query("AWSDatabaseMigrationSvc"),),
        _map_dms,
        grows=True,
    ),
    Service(
        "lightsail",
        "Lightsail instance bundles",
        ("lightsail.",),
        _family("AmazonLightsail", "Lightsail Instance"),
        _map_lightsail,
        grows=True,
    ),
    Service(
        "backup",
        "AWS Backup storage and restores of EFS, and DynamoDB restores",
        ("backup.",),
        (
            *_family("AWSBackup", "AWS Backup Storage"),
            *_family("AmazonDynamoDB", "Amazon DynamoDB Restore Data Size"),
        ),
        _map_backup,
        grows=True,
    ),
    Service(
        "cognito",
        "Cognito user pool MAUs",
        ("cognito.",),
        (Query("AmazonCognito"),),
        _map_cognito,
        grows=True,
    ),
    Service(
        "guardduty",
        "GuardDuty CloudTrail events and VPC flow and DNS logs",
        ("guardduty.",),
        (Query("AmazonGuardDuty"),),
        _map_guardduty,
        grows=True,
    ),
    Service(
        "securityhub",
        "Security Hub checks and finding ingestion",
        ("securityhub.",),
        _family("AWSSecurityHub", "AWS Security Hub - Standards", "AWS Security Hub - Findings"),
        _map_securityhub,
        grows=True,
    ),
)
SERVICE_ALIASES = {
    "instances": "ec2",
    "ipv4": "vpc",
    "public-ipv4": "vpc",
    "eip": "vpc",
    "logs": "cloudwatch",
    "cloudwatch-logs": "cloudwatch",
    "alb": "elb",
    "nlb": "elb",
    "aurora": "rds",
    "kafka": "msk",
    "elasticsearch": "opensearch",
    "es": "opensearch",
    "documentdb": "docdb",
    "ecs": "fargate",
    "lustre": "fsx",
    "openzfs": "fsx",
    "elasticmapreduce": "emr",
    "database-migration": "dms",
    "security-hub": "securityhub",
}
_REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$")


@dataclass(frozen=True, slots=True)
class Plan:
    regions: tuple[str, ...]
    services: tuple[Service, ...]


def plan_refresh(regions: list[str], services: list[str] | None) -> Plan:
    """Check and normalise the command line's regions and service names (exit 2 on a mistake)."""
    wanted: list[str] = []
    for raw in regions or [API_REGION]:
        for region in (r.strip().lower() for r in raw.split(",")):
            if not region:
                continue
            if region.startswith("cn-"):
                raise RefreshError(
                    f"{region}: China regions have their own price list (CNY, cn-northwest-1 endpoint);"
                    " refreshing them is not supported",
                    EXIT_SETUP,
                )
            if not _REGION_RE.match(region):
                raise RefreshError(f"{region!r} is not an AWS region code (like eu-west-1)", EXIT_SETUP)
            if region not in wanted:
                wanted.append(region)
    by_name = {s.name: s for s in SERVICES}
    chosen: list[Service] = []
    for raw in services or [s.name for s in SERVICES]:
        for name in (n.strip().lower() for n in raw.split(",")):
            if not name:
                continue
            if name == "all":
                chosen.extend(s for s in SERVICES if s not in chosen)
                continue
            service = by_name.get(SERVICE_ALIASES.get(name, name))
            if service is None:
                known = ", ".join(by_name)
                raise RefreshError(f"unknown service {name!r}; choose from: {known} (or all)", EXIT_SETUP)
            if service not in chosen:
                chosen.append(service)
    if not wanted or not chosen:
        raise RefreshError("nothing to refresh: name at least one region and service", EXIT_SETUP)
    return Plan(tuple(wanted), tuple(chosen))


# -- reading GetProducts items -------------------------------------------------------------------------

_MALFORMED = (ValueError, KeyError, TypeError, AttributeError, ArithmeticError)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _date(value: object) -> str:
    text = value if isinstance(value, str) else ""
    return text[:10] if _DATE_RE.match(text) else ""


def _number(text: object) -> Decimal:
    value = Decimal(str(text).strip())
    if not value.is_finite():
        raise InvalidOperation(f"not a finite number: {text!r}")
    return value


def parse_price_list_item(text: str, default_as_of: str) -> list[Offer]:
    """The on-demand USD offers of one GetProducts `PriceList` element (a JSON *string*).

    The date is the item's `publicationDate`, else the term's `effectiveDate`, else `default_as_of`.
    Raises ValueError, KeyError, TypeError or ArithmeticError when the item is not the documented shape.
    """
    doc = json.loads(text)
    product = doc["product"]
    attributes = product.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise TypeError("product.attributes is not an object")
    attrs = {str(k): str(v) for k, v in attributes.items()}
    family = str(product.get("productFamily", ""))
    sku = str(product.get("sku", ""))
    published = _date(doc.get("publicationDate"))
    offers: list[Offer] = []
    for term in (doc.get("terms") or {}).get("OnDemand", {}).values():
        as_of = published or _date(term.get("effectiveDate")) or default_as_of
        for dim in term["priceDimensions"].values():
            usd = dim.get("pricePerUnit", {}).get("USD")
            if usd is None:
                continue  # another currency (China)
            end_text = dim.get("endRange")
            offers.append(
                Offer(
                    sku,
                    family,
                    attrs,
                    str(dim.get("unit", "")),
                    _number(usd),
                    _number(dim.get("beginRange") or "0"),
                    None if end_text in (None, "", "Inf") else _number(end_text),
                    as_of,
                )
            )
    return offers


# -- collecting one service in one region --------------------------------------------------------------


@dataclass(slots=True)
class _Candidate:
    begin: Decimal
    value: Decimal
    unit: str
    as_of: str


@dataclass
class Batch:
    """What one service yielded for one region: prices by key, facts for new instance types, counts."""

    service: str
    region: str
    source: str
    ladders: Mapping[str, list[tuple[str, Decimal]]]
    known_types: set[str]
    prices: dict[str, _Candidate] = field(default_factory=dict)
    facts: dict[str, InstanceTypeRow] = field(default_factory=dict)
    pages: int = 0
    products: int = 0
    malformed: int = 0
    first_malformed: str = ""
    odd_units: Counter[str] = field(default_factory=Counter)
    conflicts: int = 0
    off_ladder: int = 0

    def bad_item(self, problem: str) -> None:
        self.malformed += 1
        if not self.first_malformed:
            self.first_malformed = problem

    def consider(self, offer: Offer, mapper: Mapper) -> None:
        """Map one offer; keep the lowest paid tier of a plain key and every step of a tier group."""
        code = offer.attributes.get("regionCode")
        if (code and code != self.region) or offer.attributes.get("location") == "Any":
            return  # another region, or a global free-tier row
        target = mapper(offer)
        if target is None or offer.price <= 0:
            return  # not a price a key uses, or a free allowance (never stored as a price of 0)
        factor = _UNIT_FACTORS.get(target.unit, {}).get(offer.unit.strip().lower())
        if factor is None:
            self.odd_units[f"{offer.unit!r} for {target.key}"] += 1
            return
        key, begin = target.key, offer.begin
        if target.tiered:
            found = next((k for k, b in self.ladders.get(target.key, []) if b == offer.begin), None)
            if found is None:
                self.off_ladder += 1
                return
            key, begin = found, Decimal(0)
        value = offer.price * factor
        for name in (key, *target.also):
            old = self.prices.get(name)
            if old is None or begin < old.begin:
                self.prices[name] = _Candidate(begin, value, target.unit, offer.as_of)
            elif begin == old.begin and value != old.value:
                self.conflicts += 1  # the first product listed wins; the rest are reported
        self._learn_type(offer, target)

    def _learn_type(self, offer: Offer, target: Target) -> None:
        if not target.key.startswith(("ec2.", "rds.", "elasticache.")):
            return  # the instance-type table holds EC2, RDS and ElastiCache types only
        name = offer.attributes.get("instanceType", "")
        if not target.key.endswith(f".{name}") or name in self.known_types or name in self.facts:
            return
        parts = split_name(name)
        if parts is None:
            return
        service, family, size = parts
        a = offer.attributes
        processor = a.get("physicalProcessor", "")
        if "Graviton" in processor or "Apple" in processor:
            arch = "arm64"
        elif "Intel" in processor or "AMD" in processor:
            arch = "x86_64"
        else:
            arch = arch_from_family(family)
        self.facts[name] = InstanceTypeRow(
            name,
            service,
            family,
            size,
            _int(a.get("vcpu")),
            _gib(a.get("memory")),
            _int(a.get("gpu")),
            arch,
            "previous" if a.get("currentGeneration") == "No" else "current",
            self.source,
            offer.as_of,
        )

    def as_of(self) -> str:
        dates = sorted({c.as_of for c in self.prices.values()})
        return dates[-1] if dates else ""


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _gib(text: str | None) -> float | None:
    match = re.match(r"^([\d.,]+)\s*GiB$", (text or "").strip())
    return float(match.group(1).replace(",", "")) if match else None


# -- talking to AWS ------------------------------------------------------------------------------------


def make_client() -> Any:
    """A Price List client: always us-east-1 (a global catalogue), adaptive retries against throttling."""
    boto3 = _aws("boto3")
    config = _aws("botocore.config").Config(retries=dict(RETRIES))
    return boto3.client("pricing", region_name=API_REGION, config=config)


def _aws(module: str) -> Any:
    """Import part of boto3/botocore on first use (they ship no type information: Any at this edge)."""
    return importlib.import_module(module)


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def _error_text(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        message = str(error.get("Message", "")).strip()
        return f"{error.get('Code', 'error')}: {message}" if message else str(error.get("Code", exc))
    return str(exc) or type(exc).__name__


_DENIED = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"})
_BAD_CREDENTIALS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
    }
)
_THROTTLED = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
)


def _fatal(exc: BaseException, actions: tuple[str, ...]) -> RefreshError | None:
    """The setup problems that stop the whole refresh, as one clear line each; None for the others."""
    bx = _aws("botocore.exceptions")

    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return RefreshError(NO_CREDENTIALS, EXIT_SETUP)
    if isinstance(exc, bx.ProfileNotFound | bx.CredentialRetrievalError | bx.TokenRetrievalError):
        return RefreshError(f"AWS credentials could not be loaded ({exc}): {HOW_TO_CONFIGURE}", EXIT_SETUP)
    if isinstance(exc, bx.SSOError | bx.UnauthorizedSSOTokenError):
        return RefreshError(f"AWS SSO login needed ({exc}): run `aws sso login`", EXIT_SETUP)
    code = _error_code(exc)
    if code in _DENIED:
        needed = ", ".join(IAM_QUERY + IAM_BULK)
        return RefreshError(
            f"AWS denied {' and '.join(actions)} ({_error_text(exc)}); allow the IAM actions {needed}"
            " for these credentials",
            EXIT_SETUP,
        )
    if code in _BAD_CREDENTIALS:
        return RefreshError(
            f"AWS rejected the credentials ({_error_text(exc)}): {HOW_TO_CONFIGURE}", EXIT_SETUP
        )
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectTimeoutError | bx.HTTPClientError):
        return RefreshError(f"cannot reach the AWS Price List API: {exc}")
    return None


def _pages(client: Any, query: Query, region: str) -> Iterator[dict[str, Any]]:
    """GetProducts pages through the paginator. On throttling that outlasts botocore's own retries,
    wait and resume from the last page's token instead of starting over."""
    client_error = _aws("botocore.exceptions").ClientError
    encoder = _aws("botocore.paginate").TokenEncoder()

    filters = [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}]
    filters += [{"Type": "TERM_MATCH", "Field": f, "Value": v} for f, v in query.filters]
    paginator = client.get_paginator("get_products")
    token: str | None = None
    attempt = 0
    while True:
        config: dict[str, Any] = {"PageSize": PAGE_SIZE}
        if token:
            config["StartingToken"] = encoder.encode({"NextToken": token})
        try:
            for page in paginator.paginate(
                ServiceCode=query.service_code,
                Filters=filters,
                FormatVersion="aws_v1",
                PaginationConfig=config,
            ):
                attempt = 0
                yield page
                token = page.get("NextToken")
            return
        except client_error as exc:
            if _error_code(exc) not in _THROTTLED or attempt >= THROTTLE_RETRIES:
                raise
            attempt += 1
            _sleep(min(30.0, 2.0**attempt))


def _fetch_query(service: Service, region: str, client: Any, batch: Batch, progress: Progress) -> Batch:
    today = datetime.now(timezone.utc).date().isoformat()
    for query in service.queries:
        pages = 0
        for page in _pages(client, query, region):
            pages += 1
            batch.pages += 1
            for item in page.get("PriceList") or []:
                batch.products += 1
                try:
                    offers = parse_price_list_item(item, today)
                except _MALFORMED as exc:
                    batch.bad_item(f"{type(exc).__name__}: {exc}"[:200])
                    continue
                for offer in offers:
                    batch.consider(offer, service.mapper)
            progress.update(
                f"{service.name} {region}: {query.label()} page {pages}, "
                f"{batch.products} products, {len(batch.prices)} prices"
            )
    return batch


def _price_list_url(client: Any, offer_code: str, region: str) -> str:
    paginator = client.get_paginator("list_price_lists")
    pages = paginator.paginate(
        ServiceCode=offer_code,
        EffectiveDate=datetime.now(timezone.utc),
        CurrencyCode="USD",
        RegionCode=region,
    )
    for page in pages:
        for entry in page.get("PriceLists") or []:
            if entry.get("RegionCode") == region and "csv" in (entry.get("FileFormats") or []):
                arn = entry["PriceListArn"]
                url = client.get_price_list_file_url(PriceListArn=arn, FileFormat="csv")["Url"]
                return str(url)
    raise _BulkUnavailable(f"AWS lists no CSV price list for {offer_code} in {region}")


def _fetch_bulk(
    service: Service, region: str, client: Any, opener: Opener | None, batch: Batch, progress: Progress
) -> Batch:
    bx = _aws("botocore.exceptions")
    assert service.offer_code is not None
    try:
        url = _price_list_url(client, service.offer_code, region)
    except (bx.ClientError, bx.BotoCoreError) as exc:
        if _error_code(exc) in _DENIED:  # many roles may read prices but not list files: not fatal
            raise _BulkUnavailable(f"not allowed to list offer files ({', '.join(IAM_BULK)})") from exc
        fatal = _fatal(exc, IAM_BULK)
        if fatal is not None:
            raise fatal from exc
        raise _BulkUnavailable(_error_text(exc)) from exc

    def show(done: int, total: int | None) -> None:
        size = f"{done / 1e6:.1f} of {total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
        progress.update(f"{service.name} {region}: offer file {size}, {len(batch.prices)} prices")

    def keep(offer: Offer) -> bool:
        batch.consider(offer, service.mapper)
        return False  # mapped as it streams past; nothing is held

    try:
        stream = read_offers(url, keep=keep, opener=opener, region=region, progress=show)
    except OfferFileError as exc:
        raise _BulkUnavailable(f"offer file not usable: {exc}") from exc
    batch.pages = 1
    batch.products = stream.rows_read
    if stream.skipped:
        batch.malformed += stream.skipped
        batch.first_malformed = batch.first_malformed or stream.first_problem
    return batch


def _fetch(
    service: Service,
    region: str,
    client: Any,
    opener: Opener | None,
    progress: Progress,
    context: tuple[Mapping[str, list[tuple[str, Decimal]]], set[str]],
    use_bulk: bool,
) -> Batch:
    """One service in one region, from its offer file when it has one, else (or then) GetProducts."""
    bx = _aws("botocore.exceptions")

    ladders, known = context
    if use_bulk and service.offer_code:
        try:
            return _fetch_bulk(
                service,
                region,
                client,
                opener,
                Batch(service.name, region, SOURCE_BULK, ladders, known),
                progress,
            )
        except _BulkUnavailable as exc:
            progress.note(f"{service.name} {region}: {exc}; using GetProducts instead")
    batch = Batch(service.name, region, SOURCE_QUERY, ladders, known)
    try:
        return _fetch_query(service, region, client, batch, progress)
    except (bx.ClientError, bx.BotoCoreError) as exc:
        fatal = _fatal(exc, IAM_QUERY)
        if fatal is not None:
            raise fatal from exc
        if _error_code(exc) in _THROTTLED:
            raise _ServiceFailed(
                f"AWS kept throttling GetProducts ({_error_text(exc)}) after {THROTTLE_RETRIES} more tries;"
                " try again later or refresh fewer services"
            ) from exc
        if isinstance(exc, bx.PaginationError):
            raise _ServiceFailed(f"GetProducts paging went wrong: {exc}") from exc
        raise _ServiceFailed(f"GetProducts failed: {_error_text(exc)}") from exc


# -- progress ------------------------------------------------------------------------------------------


class Progress:
    """Status on stderr: a live line on a terminal, and one line per finished service otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        isatty = getattr(stream, "isatty", None)
        self.live = bool(isatty()) if callable(isatty) else False
        self._pending = False

    def update(self, text: str) -> None:
        if self.live:
            self.stream.write("\r\x1b[K" + text[:200])
            self.stream.flush()
            self._pending = True

    def line(self, text: str) -> None:
        if self._pending:
            self.stream.write("\r\x1b[K")
            self._pending = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        self.line(f"note: {text}")

    def warn(self, text: str) -> None:
        self.line(f"warning: {text}")

    def error(self, text: str) -> None:
        self.line(f"advisor: {text}")


# -- building, checking and swapping the new file ------------------------------------------------------


@dataclass
class Summary:
    """What a refresh did, for the closing lines and the exit code."""

    target: Path
    applied: list[str] = field(default_factory=list)  # "ec2 eu-west-1"
    failed: list[str] = field(default_factory=list)  # "rds eu-west-1: reason"
    updated: int = 0
    added: int = 0
    new_types: int = 0
    sources: set[str] = field(default_factory=set)

    @property
    def complete(self) -> bool:
        return bool(self.applied) and not self.failed

    def text(self) -> str:
        lines = [
            f"refreshed {', '.join(self.applied)}: {_plural(self.updated, 'price')} updated,"
            f" {self.added} added, {_plural(self.new_types, 'new instance type')}; now in use: {self.target}"
        ]
        lines += [f"not refreshed (previous prices kept): {f}" for f in self.failed]
        return "\n".join(lines)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _base_database(target: Path, progress: Progress) -> tuple[Path, bool]:
    """The data in use today (a valid refreshed copy, else the shipped snapshot) and whether it is the
    immutable shipped file."""
    if target.is_file():
        try:
            Catalog(target, kind="refreshed").close()
            return target, False
        except CatalogError as exc:
            progress.warn(f"the refreshed copy is unusable ({exc}); starting again from the shipped snapshot")
    return shipped_db_path(), True


def _judge(
    conn: sqlite3.Connection, batch: Batch, service: Service, units: Mapping[str, str]
) -> tuple[list[PriceRow], int, list[str]]:
    """Validate a batch against the data it replaces; returns (rows to write, new keys, warnings).

    Raises _Rejected when the batch as a whole does not look like a complete, sane price list.
    """
    warnings: list[str] = []
    if batch.malformed:
        warnings.append(f"skipped {batch.malformed} unreadable price list items ({batch.first_malformed})")
    if batch.odd_units:
        shown = ", ".join(f"{k} ×{n}" for k, n in sorted(batch.odd_units.items())[:3])
        warnings.append(f"skipped offers with an unexpected unit: {shown}")
    if batch.conflicts:
        warnings.append(
            f"{batch.conflicts} keys were listed with differing prices; the first listed was kept"
        )
    if batch.off_ladder:
        warnings.append(
            f"skipped {batch.off_ladder} volume tiers that start where none of the kept tiers does"
        )
    if not batch.prices:
        raise _Rejected(f"AWS returned no usable prices ({batch.products} products read)")
    existing = {
        str(k): (float(v), str(u))
        for k, v, u in conn.execute(
            "SELECT price.key, price.value, unit.name FROM price JOIN region ON region.id = price.region"
            " JOIN unit ON unit.id = price.unit WHERE region.code = ?",
            (batch.region,),
        )
        if any(str(k).startswith(p) for p in service.prefixes)
    }
    rows: list[PriceRow] = []
    implausible: list[str] = []
    new_keys = 0
    for key in sorted(batch.prices):
        cand = batch.prices[key]
        expected = units.get(key)
        if expected is not None and expected != cand.unit:
            warnings.append(f"{key}: unit {cand.unit!r} differs from the stored {expected!r}; skipped")
            continue
        old = existing.get(key)
        if old is None:
            new_keys += 1
        elif old[0] > 0:
            ratio = cand.value / Decimal(repr(old[0]))
            if ratio > MAX_PRICE_RATIO or ratio < 1 / MAX_PRICE_RATIO:
                implausible.append(f"{key} {old[0]:g} -> {float(cand.value):g}")
                continue
        rows.append(PriceRow(key, batch.region, float(cand.value), cand.unit, batch.source, cand.as_of))
    if implausible and len(implausible) > max(1, int(MAX_IMPLAUSIBLE_SHARE * len(batch.prices))):
        raise _Rejected(f"{len(implausible)} prices moved more than tenfold ({implausible[0]}, ...)")
    if implausible:
        shown = ", ".join(implausible[:5]) + (
            f" and {len(implausible) - 5} more" if len(implausible) > 5 else ""
        )
        warnings.append(f"kept the previous price where the new one moved tenfold: {shown}")
    previous = len(existing)
    if previous >= MIN_ROWS_TO_COMPARE:
        low = (1 - MAX_COUNT_CHANGE) * previous
        high = (1 + MAX_COUNT_CHANGE) * previous
        if len(batch.prices) < low:
            raise _Rejected(
                f"only {len(batch.prices)} prices where the current data has {previous}: looks incomplete"
            )
        if previous + new_keys > high and not service.grows:
            raise _Rejected(f"{new_keys} new keys on top of {previous} (more than +20 %): looks wrong")
    return rows, new_keys, warnings


def _ladders(conn: sqlite3.Connection) -> dict[str, list[tuple[str, Decimal]]]:
    """Tier groups from the data itself, so tier boundaries live in one place (pricing/data/tiers.csv)."""
    ladders: dict[str, list[tuple[str, Decimal]]] = {}
    for key, group, begin in conn.execute("SELECT key, tier_group, tier_begin FROM tier ORDER BY tier_begin"):
        ladders.setdefault(str(group), []).append((str(key), Decimal(repr(float(begin)))))
    return ladders


def _build(
    tmp: Path,
    base: Path,
    immutable: bool,
    plan: Plan,
    client: Any,
    opener: Opener | None,
    progress: Progress,
    use_bulk: bool,
    summary: Summary,
) -> int:
    """Copy the data in use into `tmp` and apply each service and region that passes its checks.
    Returns the number of price rows in the base, for the final check."""
    conn = copy_in_use(tmp, base, immutable)
    try:
        problems = snapshot_db.validate(conn)
        if problems:
            raise RefreshError(f"the price data in use ({base}) is unusable: {'; '.join(problems)}")
        base_rows = int(conn.execute("SELECT count(*) FROM price").fetchone()[0])
        units = {
            str(k): str(u)
            for k, u in conn.execute(
                "SELECT DISTINCT price.key, unit.name FROM price JOIN unit ON unit.id = price.unit"
            )
        }
        context = (_ladders(conn), {str(r[0]) for r in conn.execute("SELECT name FROM instance_type")})
        for service in plan.services:
            for region in plan.regions:
                label = f"{service.name} {region}"
                progress.update(f"{label}: starting")
                try:
                    batch = _fetch(service, region, client, opener, progress, context, use_bulk)
                    rows, new_keys, warnings = _judge(conn, batch, service, units)
                except (_ServiceFailed, _Rejected) as exc:
                    summary.failed.append(f"{label}: {exc}")
                    progress.warn(f"{label}: {exc}; previous prices kept")
                    continue
                for warning in warnings:
                    progress.warn(f"{label}: {warning}")
                snapshot_db.write_prices(conn, rows)
                snapshot_db.write_instance_types(conn, batch.facts.values())
                context[1].update(batch.facts)
                conn.commit()
                summary.applied.append(label)
                summary.updated += len(rows) - new_keys
                summary.added += new_keys
                summary.new_types += len(batch.facts)
                summary.sources.add(batch.source)
                how = "offer file" if batch.source == SOURCE_BULK else f"{batch.pages} pages"
                progress.line(
                    f"{label}: {len(rows)} prices from {batch.products} products ({how}),"
                    f" as of {batch.as_of()}"
                )
        if not summary.applied:
            raise RefreshError("nothing was refreshed; the previous prices stay in use")
        snapshot_db.write_sources(conn, [SOURCES[s] for s in sorted(summary.sources)])
        snapshot_db.set_info(
            conn,
            kind="refreshed",
            refreshed_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            refreshed=", ".join(summary.applied),
            refreshed_from="shipped snapshot" if immutable else "previous refreshed copy",
        )
        conn.commit()
        problems = snapshot_db.validate(conn)
        if problems:
            raise RefreshError(f"the refreshed data failed validation: {'; '.join(problems)}")
        return base_rows
    finally:
        conn.close()


def _check_file(path: Path, base_rows: int) -> None:
    """Open the finished file the way the catalog will, and ask it the spot-check questions."""
    try:
        catalog = Catalog(path, kind="refreshed")
    except CatalogError as exc:
        raise RefreshError(f"the refreshed file failed validation: {exc}") from exc
    with catalog:
        for key, region in snapshot_db.SPOT_CHECKS:
            price = catalog.price(key, region)
            if price is None or price.value <= 0 or price.estimate:
                raise RefreshError(f"the refreshed file failed a spot check: no {key} in {region}")
        rows = int(catalog.status()["rows"]["price"])
    if rows < base_rows:
        raise RefreshError(
            f"the refreshed file has {rows} prices, fewer than the {base_rows} it started from"
        )


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-journal")):
        leftover.unlink(missing_ok=True)


def _remove_stale(target: Path) -> None:
    """Delete temporary files that a killed refresh (SIGKILL, power loss) could not clean up itself."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for path in target.parent.glob(f".{target.name}.*.tmp"):
        try:
            if path.stat().st_mtime < cutoff:
                _remove(path)
        except OSError:
            pass


def copy_in_use(tmp: Path, base: Path, immutable: bool) -> sqlite3.Connection:
    """A connection to `tmp` holding a copy of the price data in use (`base`), which a refresh
    changes and then publishes in its place."""
    conn = sqlite3.connect(tmp)
    try:
        source = snapshot_db.connect_readonly(base, immutable=immutable)
        try:
            source.backup(conn)
        finally:
            source.close()
        conn.execute("PRAGMA journal_mode = DELETE")
    except BaseException:
        conn.close()
        raise
    return conn


def temporary_beside(target: Path) -> Path:
    """A new empty temporary file in the target's folder (so the rename that publishes it is atomic),
    after removing the ones a killed refresh left behind."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(target)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise RefreshError(f"cannot write next to {target}: {exc}") from exc
    os.close(fd)
    return Path(name)


def refresh(
    plan: Plan,
    *,
    client: Any = None,
    opener: Opener | None = None,
    progress: Progress,
    target: Path,
    use_bulk: bool = True,
) -> Summary:
    """Fetch, validate and swap in a new price file at `target`; see the module docstring."""
    if os.environ.get(ENV_OVERRIDE):
        progress.note(f"{ENV_OVERRIDE} is set, so lookups keep using that file instead of the refreshed copy")
    base, immutable = _base_database(target, progress)
    if client is None:
        try:
            client = make_client()
        except Exception as exc:  # a missing profile, broken SSO cache, ... surface at creation
            fatal = _fatal(exc, IAM_QUERY)
            if fatal is None:
                raise
            raise fatal from exc
    tmp = temporary_beside(target)
    summary = Summary(target)
    try:
        base_rows = _build(tmp, base, immutable, plan, client, opener, progress, use_bulk, summary)
        _check_file(tmp, base_rows)
        os.replace(tmp, target)
        _sync_directory(target.parent)
    finally:
        _remove(tmp)
    Catalog.reset_default()
    return summary


def _sync_directory(directory: Path) -> None:
    """Make the rename durable (POSIX); harmless where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _private_target() -> Path:
    """`cache_db_path()`, its folder made private (0700) and checked: the copy there replaces the
    shipped prices and is the next refresh's base, so it must be a place only this user can write."""
    from advisor.paths import UnsafeFolder, private_folder

    try:
        private_folder()
    except UnsafeFolder as exc:
        raise RefreshError(f"{exc}: refreshed prices are kept only in a private folder", EXIT_SETUP) from exc
    return cache_db_path()


def run_refresh(
    regions: list[str],
    services: list[str] | None = None,
    *,
    client: Any = None,
    opener: Opener | None = None,
    stream: TextIO | None = None,
    target: Path | None = None,
    use_bulk: bool = True,
) -> int:
    """`advisor pricing refresh`. Exit code 0 when everything asked for was refreshed and swapped in,
    1 when nothing or only part was (the rest keeps its previous prices), 2 for bad arguments, missing
    credentials or permissions. `client`, `opener` and `stream` replace boto3, urllib and stderr."""
    progress = Progress(stream if stream is not None else sys.stderr)
    try:
        plan = plan_refresh(regions, services)
        summary = refresh(
            plan,
            client=client,
            opener=opener,
            progress=progress,
            target=target or _private_target(),
            use_bulk=use_bulk,
        )
    except RefreshError as exc:
        progress.error(str(exc))
        return exc.exit_code
    except (OSError, sqlite3.Error) as exc:  # disk full, permissions: the temporary file is already gone
        progress.error(f"the refreshed prices could not be written ({exc}); the previous prices stay in use")
        return EXIT_FAILED
    except KeyboardInterrupt:
        progress.error("refresh interrupted; the previous prices are still in use")
        raise
    progress.line(summary.text())
    return EXIT_OK if summary.complete else EXIT_FAILED
