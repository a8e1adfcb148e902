"""`advisor pricing refresh` for the usage-priced services: AWS Backup (AWSBackup, with DynamoDB's restore
from AmazonDynamoDB) and CloudWatch metric streams (AmazonCloudWatch).

The Price List API is played by botocore's Stubber on a real `pricing` client, as in
test_pricing_refresh_services.py, answering with `PriceList` JSON strings in the shape AWS returns them.
The usage types are the ones AWS bills these services under (`WarmStorage-ByteHrs-EFS`,
`PartialRestore-Jobs-EFS`, `RestoreDataSize-Bytes`, `CW:MetricStreamUsage`), with the region prefix AWS
puts on them. The figures are AWS's us-east-1 list prices; a refresh must prove where each product
lands, that the rest is left out, that a wrong unit is reported, and that `advisor cost` with a usage
file then bills the refreshed figures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from advisor.pricing import refresh
from advisor.pricing.catalog import Catalog
from botocore.stub import Stubber  # type: ignore[import-untyped]
from conftest import run_cli
from test_pricing_refresh import cache, leftovers, run, stub  # noqa: F401
from test_pricing_refresh_services import item, offer, queue


def backup(sku: str, usage: str, unit: str, usd: str) -> str:
    attributes = {"usagetype": f"USE1-{usage}", "operation": "Storage"}
    return item("AWSBackup", sku, "AWS Backup Storage", attributes, unit, usd)


BACKUP = [
    backup("BK1", "WarmStorage-ByteHrs-EFS", "GB-Mo", "0.0500000000"),
    backup("BK2", "ColdStorage-ByteHrs-EFS", "GB-Mo", "0.0100000000"),
    backup("BK3", "PartialRestore-Warm-EFS", "GB", "0.0200000000"),
    backup("BK4", "PartialRestore-Cold-EFS", "GB", "0.0300000000"),
    backup("BK5", "PartialRestore-Jobs-EFS", "Requests", "0.5000000000"),
    # the storage of other resource kinds has its own service's key (EBS snapshots, RDS backups)
    backup("BK6", "WarmStorage-ByteHrs-EBS", "GB-Mo", "0.0500000000"),
    # an early-deletion fee is not the storage price
    backup("BK7", "EarlyDelete-ColdByteHrs-EFS", "GB-Mo", "0.0100000000"),
]
DYNAMODB_RESTORE = [
    item("AmazonDynamoDB", "DR1", "Amazon DynamoDB Restore Data Size",
         {"usagetype": "USE1-RestoreDataSize-Bytes", "operation": "RestoreTableFromBackup"}, "GB", "0.1500000000"),
]  # fmt: skip
CLOUDWATCH = [
    item("AmazonCloudWatch", "CW1", "Metric Streams", {"usagetype": "USE1-CW:MetricStreamUsage",
         "operation": "MetricStreamUsage"}, "Metric Updates", "0.0000030000"),
    item("AmazonCloudWatch", "CW2", "Storage Snapshot", {"usagetype": "USE1-TimedStorage-ByteHrs"}, "GB-Mo",
         "0.0300000000"),
    # custom metrics bill per metric-month: no key
    item("AmazonCloudWatch", "CW3", "Metric", {"usagetype": "USE1-CW:MetricMonitorUsage"}, "Metrics", "0.3000000000"),
]  # fmt: skip


@pytest.fixture()
def refreshed(stub: tuple[Any, Stubber], cache: Path) -> Iterator[tuple[Path, str]]:  # noqa: F811
    client, stubber = stub
    queue(
        stubber,
        "backup",
        {"AWS Backup Storage": BACKUP, "Amazon DynamoDB Restore Data Size": DYNAMODB_RESTORE},
    )
    queue(stubber, "cloudwatch", {"": CLOUDWATCH})
    code, out = run(client, ["us-east-1"], ["backup", "cloudwatch"])
    assert code == 0, out
    stubber.assert_no_pending_responses()
    assert leftovers(cache) == []
    yield cache, out


EXPECTED = {
    "backup.efs.warm.storage": (0.05, "GB-month"),
    "backup.efs.cold.storage": (0.01, "GB-month"),
    "backup.efs.warm.restore": (0.02, "GB"),
    "backup.efs.cold.restore": (0.03, "GB"),
    "backup.efs.item_restore": (0.50, "request"),
    "backup.dynamodb.restore": (0.15, "GB"),
    "cloudwatch.metric_stream.updates": (0.003, "1k metric updates"),  # $0.000003 per update
    "cloudwatch.logs.storage": (0.03, "GB-month"),
}


def test_refresh_maps_backup_and_metric_stream_products_to_their_keys(refreshed: tuple[Path, str]) -> None:
    path, out = refreshed
    lines = out.splitlines()
    assert lines[0].startswith("backup us-east-1: 6 prices from 8 products"), lines[0]
    assert lines[1].startswith("cloudwatch us-east-1: 2 prices from 3 products"), lines[1]
    with Catalog.open(path) as after, Catalog.shipped() as before:
        for key, (value, unit) in EXPECTED.items():
            price = after.price(key, "us-east-1")
            assert price is not None, key
            assert (price.value, price.unit, price.source, price.as_of, price.estimate) == pytest.approx(
                (value, unit, "aws-price-list-api", "2026-11-20", False)
            ), key
        # the restore keys had only a us-west-1 row: us-east-1 had no price until now
        assert before.price("backup.efs.item_restore", "us-east-1") is None


def test_metric_updates_in_an_unexpected_unit_are_reported_not_stored() -> None:
    batch = refresh.Batch("cloudwatch", "us-east-1", "aws-price-list-api", {}, set())
    service = next(s for s in refresh.SERVICES if s.name == "cloudwatch")
    stream = {"usagetype": "CW:MetricStreamUsage"}
    batch.consider(offer("Metric Streams", stream, unit="GB"), service.mapper)
    assert dict(batch.odd_units) == {"'GB' for cloudwatch.metric_stream.updates": 1}
    assert batch.prices == {}


USAGE = """version: 0.1
resource_usage:
  aws_backup_vault.v:
    monthly_efs_warm_backup_gb: 1000
    monthly_efs_item_restore_requests: 10
    monthly_dynamodb_restore_gb: 100
  aws_cloudwatch_metric_stream.s:
    monthly_metric_updates: 21600000
"""


def test_the_refreshed_figures_reach_advisor_cost(refreshed: tuple[Path, str], tmp_path: Path) -> None:
    path, _out = refreshed
    root = tmp_path / "project"
    root.mkdir()
    (root / "main.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\n'
        'resource "aws_backup_vault" "v" {\n  name = "v"\n}\n'
        'resource "aws_cloudwatch_metric_stream" "s" {\n'
        '  name          = "s"\n'
        '  firehose_arn  = "arn:aws:firehose:us-east-1:1:deliverystream/x"\n'
        '  role_arn      = "arn:aws:iam::1:role/x"\n'
        '  output_format = "json"\n'
        "}\n"
    )
    (root / "usage.yml").write_text(USAGE)
    env = {"ADVISOR_PRICING_DB": str(path), "ADVISOR_NO_CACHE": "1"}
    result = run_cli("cost", ".", "-f", "json", "--usage-file", "usage.yml", cwd=root, env=env)
    assert result.returncode == 0, result.stderr
    res = {r["address"]: r for r in json.loads(result.stdout)["resources"]}
    lines = {c["name"]: c for c in res["aws_backup_vault.v"]["components"]}
    item_restore = lines["EFS restore (item-level)"]
    assert (item_restore["unit_price"], item_restore["source"], item_restore["as_of"]) == (
        0.5,
        "aws-price-list-api",
        "2026-11-20",
    )
    assert lines["DynamoDB restore"]["unit_price"] == 0.15
    assert res["aws_backup_vault.v"]["monthly_cost"] == round(1000 * 0.05 + 10 * 0.5 + 100 * 0.15, 2)
    (updates,) = res["aws_cloudwatch_metric_stream.s"]["components"]
    assert (updates["unit_price"], updates["source"]) == (0.003, "aws-price-list-api")
    assert res["aws_cloudwatch_metric_stream.s"]["monthly_cost"] == round(21600 * 0.003, 2)


@pytest.mark.parametrize(
    ("service_name", "family", "usage", "key"),
    [
        ("backup", "AWS Backup Storage", "EU-ColdStorage-ByteHrs-EFS", "backup.efs.cold.storage"),
        ("backup", "AWS Backup Storage", "WarmStorage-ByteHrs-DynamoDB", None),
        (
            "backup",
            "Amazon DynamoDB Restore Data Size",
            "APS3-RestoreDataSize-Bytes",
            "backup.dynamodb.restore",
        ),
        ("cloudwatch", "Metric Streams", "EUC1-CW:MetricStreamUsage", "cloudwatch.metric_stream.updates"),
        ("cloudwatch", "Metric", "CW:MetricMonitorUsage", None),
    ],
)
def test_products_map_to_keys_or_to_nothing(
    service_name: str, family: str, usage: str, key: str | None
) -> None:
    service = next(s for s in refresh.SERVICES if s.name == service_name)
    target = service.mapper(offer(family, {"usagetype": usage}))
    assert (target.key if target else None) == key
    if key is not None:
        assert any(key.startswith(p) for p in service.prefixes)
