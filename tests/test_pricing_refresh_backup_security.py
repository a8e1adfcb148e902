"""`advisor pricing refresh` for the usage-priced services: AWS Backup (AWSBackup, with DynamoDB's restore
from AmazonDynamoDB), CloudWatch metric streams (AmazonCloudWatch), Cognito (AmazonCognito), GuardDuty
(AmazonGuardDuty) and Security Hub (AWSSecurityHub).

The Price List API is played by botocore's Stubber on a real `pricing` client, as in
test_pricing_refresh_services.py, answering with `PriceList` JSON strings in the shape AWS returns them.
The usage types are the ones AWS bills these services under (`WarmStorage-ByteHrs-EFS`,
`PartialRestore-Jobs-EFS`, `RestoreDataSize-Bytes`, `CW:MetricStreamUsage`, `CognitoLiteMAU`,
`PaidEventsAnalyzed`) and Security Hub's product families with `standardGroup` and `findingGroup`, with
the region prefix AWS puts on them; volume tiers come as one product's several price dimensions. The figures are AWS's us-east-1 list prices; a refresh must prove where each product
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
from test_pricing_refresh import cache, leftovers, price_item, run, stub  # noqa: F401
from test_pricing_refresh_services import (
    PUBLISHED,
    US_EAST_1,
    assert_maps,
    item,
    offer,
    queue,
    refresh_queued,
)


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
    stubber = stub[1]
    queue(
        stubber,
        "backup",
        {"AWS Backup Storage": BACKUP, "Amazon DynamoDB Restore Data Size": DYNAMODB_RESTORE},
    )
    queue(stubber, "cloudwatch", {"": CLOUDWATCH})
    yield cache, refresh_queued(stub, cache, ["backup", "cloudwatch"])


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
    assert_maps(service_name, offer(family, {"usagetype": usage}), key)


def tiered(
    code: str, sku: str, family: str, attributes: dict[str, str], unit: str, bands: list[tuple[str, str, str]]
) -> str:
    """One product whose price dimensions are volume bands (USD, beginRange, endRange)."""
    return price_item(
        sku,
        family,
        {"servicecode": code, **US_EAST_1, **attributes},
        [(unit, usd, begin, end) for usd, begin, end in bands],
        published=PUBLISHED,
    )


COGNITO = [
    # the Lite bands start after the free 10,000 MAUs; the fourth has no tier of its own here
    tiered("AmazonCognito", "CG1", "User Pool", {"usagetype": "USE1-CognitoLiteMAU"}, "MAU",
           [("0.0055000000", "0", "90000"), ("0.0046000000", "90000", "990000"),
            ("0.0032500000", "990000", "9990000"), ("0.0025000000", "9990000", "Inf")]),
    item("AmazonCognito", "CG2", "User Pool", {"usagetype": "USE1-CognitoEssentialsMAU"}, "MAU", "0.0150000000"),
    item("AmazonCognito", "CG3", "User Pool", {"usagetype": "USE1-CognitoPlusMAU"}, "MAU", "0.0200000000"),
    # machine-to-machine token requests carry no key
    item("AmazonCognito", "CG4", "User Pool", {"usagetype": "USE1-CUPM2MTokenRequestsFull"}, "Requests",
         "0.0000022500"),
]  # fmt: skip
GUARDDUTY = [
    tiered("AmazonGuardDuty", "GD1", "Security Services", {"usagetype": "USE1-PaidEventsAnalyzed"}, "Events",
           [("0.0000040000", "0", "Inf")]),
    tiered("AmazonGuardDuty", "GD2", "Security Services", {"usagetype": "USE1-PaidEventsAnalyzed-Bytes"}, "GB",
           [("1.0000000000", "0", "500"), ("0.5000000000", "500", "2500"), ("0.2500000000", "2500", "Inf")]),
    # S3 data events are a protection plan apart: no key
    item("AmazonGuardDuty", "GD3", "Security Services", {"usagetype": "USE1-PaidS3DataEventsAnalyzed"}, "Events",
         "0.0000008000"),
]  # fmt: skip
SECURITYHUB = {
    "AWS Security Hub - Standards": [
        tiered("AWSSecurityHub", "SH1", "AWS Security Hub - Standards", {"standardGroup": "PaidComplianceCheck",
               "usagetype": "USE1-PaidComplianceCheck"}, "Checks",
               [("0.0010000000", "0", "100000"), ("0.0008000000", "100000", "500000"), ("0.0005000000", "500000", "Inf")]),
        item("AWSSecurityHub", "SH2", "AWS Security Hub - Standards", {"standardGroup": "FreeComplianceCheck",
             "usagetype": "USE1-FreeComplianceCheck"}, "Checks", "0.0000000000"),
    ],
    "AWS Security Hub - Findings": [
        # the first 10,000 events are free: the key holds the first paid band
        tiered("AWSSecurityHub", "SH3", "AWS Security Hub - Findings", {"findingGroup": "PaidFindingsIngestion",
               "usagetype": "USE1-OtherProduct:PaidFindingsIngestion"}, "Events",
               [("0.0000000000", "0", "10000"), ("0.0000300000", "10000", "Inf")]),
    ],
}  # fmt: skip


@pytest.fixture()
def refreshed_security(stub: tuple[Any, Stubber], cache: Path) -> Iterator[tuple[Path, str]]:  # noqa: F811
    stubber = stub[1]
    queue(stubber, "cognito", {"": COGNITO})
    queue(stubber, "guardduty", {"": GUARDDUTY})
    queue(stubber, "securityhub", SECURITYHUB)
    yield cache, refresh_queued(stub, cache, ["cognito,guardduty", "security-hub"])


SECURITY_EXPECTED = {
    "cognito.lite.mau.tier1": (0.0055, "MAU"),
    "cognito.lite.mau.tier2": (0.0046, "MAU"),
    "cognito.lite.mau.tier3": (0.00325, "MAU"),
    "cognito.essentials.mau": (0.015, "MAU"),
    "cognito.plus.mau": (0.02, "MAU"),
    "guardduty.cloudtrail_events": (4.0, "1M events"),  # $0.000004 per event
    "guardduty.flow_dns_logs": (1.0, "GB"),  # the first band
    "securityhub.checks.tier1": (0.001, "check"),
    "securityhub.checks.tier2": (0.0008, "check"),
    "securityhub.checks.tier3": (0.0005, "check"),
    "securityhub.finding_events": (0.00003, "event"),
}


def test_refresh_maps_cognito_guardduty_and_securityhub_products(
    refreshed_security: tuple[Path, str],
) -> None:
    path, out = refreshed_security
    lines = out.splitlines()
    assert lines[0] == (
        "warning: cognito us-east-1: skipped 1 volume tiers that start where none of the kept tiers does"
    )
    assert lines[1].startswith("cognito us-east-1: 5 prices from 4 products"), lines[1]
    assert lines[2].startswith("guardduty us-east-1: 2 prices from 3 products"), lines[2]
    assert lines[3].startswith("securityhub us-east-1: 4 prices from 3 products"), lines[3]
    with Catalog.open(path) as after, Catalog.shipped() as before:
        for key, (value, unit) in SECURITY_EXPECTED.items():
            price = after.price(key, "us-east-1")
            assert price is not None, key
            assert (price.value, price.unit, price.source, price.as_of, price.estimate) == pytest.approx(
                (value, unit, "aws-price-list-api", "2026-11-20", False)
            ), key
        # Essentials and Plus had no public record before a refresh
        assert before.price("cognito.essentials.mau", "us-east-1") is None


SECURITY_USAGE = """version: 0.1
resource_usage:
  aws_cognito_user_pool.plain:
    monthly_active_users: 50000
  aws_guardduty_detector.on:
    monthly_cloudtrail_events: 20000000
    monthly_flow_dns_logs_gb: 100
  aws_securityhub_account.h:
    monthly_security_checks: 150000
    monthly_finding_ingestion_events: 30000
"""


def test_the_refreshed_security_figures_reach_advisor_cost(
    refreshed_security: tuple[Path, str], tmp_path: Path
) -> None:
    path, _out = refreshed_security
    root = tmp_path / "project"
    root.mkdir()
    (root / "main.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\n'
        'resource "aws_cognito_user_pool" "plain" {\n  name = "plain"\n}\n'
        'resource "aws_guardduty_detector" "on" {\n  enable = true\n}\n'
        'resource "aws_securityhub_account" "h" {}\n'
    )
    (root / "usage.yml").write_text(SECURITY_USAGE)
    env = {"ADVISOR_PRICING_DB": str(path), "ADVISOR_NO_CACHE": "1"}
    result = run_cli("cost", ".", "-f", "json", "--usage-file", "usage.yml", cwd=root, env=env)
    assert result.returncode == 0, result.stderr
    res = {r["address"]: r for r in json.loads(result.stdout)["resources"]}
    # Essentials, AWS's default plan: the 40,000 MAUs above the free 10,000, a price only a refresh gives
    (users,) = res["aws_cognito_user_pool.plain"]["components"]
    assert (users["unit_price"], users["source"], users["as_of"]) == (
        0.015,
        "aws-price-list-api",
        "2026-11-20",
    )
    assert res["aws_cognito_user_pool.plain"]["monthly_cost"] == round(40000 * 0.015, 2)
    assert res["aws_guardduty_detector.on"]["monthly_cost"] == round(20 * 4.0 + 100 * 1.0, 2)
    assert {c["source"] for c in res["aws_guardduty_detector.on"]["components"]} == {"aws-price-list-api"}
    # 100,000 checks at the first band and 50,000 at the second; 20,000 events above the free 10,000
    assert res["aws_securityhub_account.h"]["monthly_cost"] == round(
        100000 * 0.001 + 50000 * 0.0008 + 20000 * 0.00003, 2
    )


@pytest.mark.parametrize(
    ("service_name", "family", "attributes", "key"),
    [
        ("cognito", "User Pool", {"usagetype": "EU-CognitoLiteMAU"}, "cognito.lite.mau"),
        ("cognito", "User Pool", {"usagetype": "APS1-CognitoPlusMAU"}, "cognito.plus.mau"),
        ("cognito", "User Pool", {"usagetype": "Global-CognitoFreeTierMAU"}, None),
        ("guardduty", "Security Services", {"usagetype": "EUC1-PaidEventsAnalyzed-Bytes"}, "guardduty.flow_dns_logs"),
        ("guardduty", "Security Services", {"usagetype": "PaidKubernetesAuditLogsAnalyzed"}, None),
        ("securityhub", "AWS Security Hub - Standards", {"standardGroup": "PaidComplianceCheck"}, "securityhub.checks"),
        ("securityhub", "AWS Security Hub - Findings", {"findingGroup": "FreeFindingsIngestion"}, None),
        ("securityhub", "AWS Security Hub - Automation", {"automationGroup": "RuleEvaluation"}, None),
    ],
)  # fmt: skip
def test_security_products_map_to_keys_or_to_nothing(
    service_name: str, family: str, attributes: dict[str, str], key: str | None
) -> None:
    assert_maps(service_name, offer(family, attributes), key)


def test_guardduty_events_in_an_unexpected_unit_are_reported_not_stored() -> None:
    batch = refresh.Batch("guardduty", "us-east-1", "aws-price-list-api", {}, set())
    service = next(s for s in refresh.SERVICES if s.name == "guardduty")
    events = {"usagetype": "PaidEventsAnalyzed"}
    batch.consider(offer("Security Services", events, unit="GB"), service.mapper)
    assert dict(batch.odd_units) == {"'GB' for guardduty.cloudtrail_events": 1}
    assert batch.prices == {}
