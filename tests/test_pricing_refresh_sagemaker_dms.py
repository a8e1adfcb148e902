"""`advisor pricing refresh` for SageMaker (AmazonSageMaker) and Database Migration Service
(AWSDatabaseMigrationSvc).

The Price List API is played by botocore's Stubber on a real `pricing` client, as in
test_pricing_refresh_services.py: each GetProducts request is checked and answered with `PriceList` JSON
strings in the shape AWS returns them. The attributes are the ones AWS documents for these services:
SageMaker `ML Instance` products with `instanceName` and `component` (`Hosting`, `Notebook`, `Training`
…) and a usage type ending in the instance name; DMS products with `instanceType` (no `dms.`),
`availabilityZone` (`Single`, `Multiple`) and, for storage, `storageMedia`. The figures are the snapshot's
us-east-1 list prices where it has them; a refresh must prove where each product lands, that the rest is
left out, that a wrong unit is reported, and that `advisor cost` then bills the refreshed figures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from advisor.pricing.catalog import Catalog
from botocore.stub import Stubber  # type: ignore[import-untyped]
from conftest import run_cli
from test_pricing_refresh import cache, leftovers, run, stub  # noqa: F401
from test_pricing_refresh_services import assert_maps, item, offer, queue, refresh_queued

HOURS = 730


def ml(sku: str, component: str, usage: str, name: str, usd: str, unit: str = "Hrs") -> str:
    attributes = {"usagetype": f"USE1-{usage}:{name}", "instanceName": name, "component": component,
                  "computeType": "Standard Instances", "operation": f"RunInstance:{sku}"}  # fmt: skip
    return item("AmazonSageMaker", sku, "ML Instance", attributes, unit, usd)


SAGEMAKER = [
    ml("SM1", "Hosting", "Host", "ml.m5.large", "0.1150000000"),
    ml("SM2", "Hosting", "Host", "ml.c5.xlarge", "0.2040000000"),  # a type the snapshot has no row for
    ml("SM3", "Notebook", "Notebk", "ml.t3.medium", "0.0500000000"),
    ml("SM4", "Notebook", "Notebk", "ml.t3.xlarge", "0.2000000000"),  # a type the snapshot has no row for
    # training and processing hours of the same type: no key
    ml("SM5", "Training", "Train", "ml.m5.large", "0.1150000000"),
    ml("SM6", "Processing", "Processing", "ml.m5.xlarge", "0.2300000000"),
    # an hourly figure in another unit is reported, never stored
    ml("SM7", "Hosting", "Host", "ml.m5.xlarge", "167.9000000000", unit="Month"),
]


def dms(sku: str, family: str, attributes: dict[str, str], unit: str, usd: str) -> str:
    return item("AWSDatabaseMigrationSvc", sku, family, attributes, unit, usd)


DMS = [
    dms("DM1", "Replication Server", {"usagetype": "USE1-InstanceUsg:dms.t3.medium", "instanceType": "t3.medium",
        "availabilityZone": "Single"}, "Hrs", "0.0720000000"),
    dms("DM2", "Replication Server", {"usagetype": "USE1-InstanceUsg:dms.c5.large", "instanceType": "c5.large",
        "availabilityZone": "Single"}, "Hrs", "0.1540000000"),
    # the Multi-AZ pair is billed by the estimator as two Single-AZ instances: no key
    dms("DM3", "Replication Server", {"usagetype": "USE1-Multi-AZUsg:dms.t3.medium", "instanceType": "t3.medium",
        "availabilityZone": "Multiple"}, "Hrs", "0.1440000000"),
    dms("DM4", "Storage", {"usagetype": "USE1-GP2-Storage", "storageMedia": "SSD", "availabilityZone": "Single"},
        "GB-Mo", "0.1150000000"),
    dms("DM5", "Storage", {"usagetype": "USE1-Multi-AZ-GP2-Storage", "storageMedia": "SSD",
        "availabilityZone": "Multiple"}, "GB-Mo", "0.2300000000"),
    # serverless capacity units name no zone and no instance type
    dms("DM6", "Serverless", {"usagetype": "USE1-DCU-Hour"}, "DCU-Hr", "0.1150000000"),
]  # fmt: skip


@pytest.fixture()
def refreshed(stub: tuple[Any, Stubber], cache: Path) -> Iterator[tuple[Path, str]]:  # noqa: F811
    stubber = stub[1]
    queue(stubber, "sagemaker", {"ML Instance": SAGEMAKER})
    queue(stubber, "dms", {"": DMS})
    yield cache, refresh_queued(stub, cache, ["sagemaker", "database-migration"])


EXPECTED = {
    "sagemaker.hosting.ml.m5.large": 0.115,
    "sagemaker.hosting.ml.c5.xlarge": 0.204,
    "sagemaker.notebook.ml.t3.medium": 0.05,
    "sagemaker.notebook.ml.t3.xlarge": 0.20,
    "dms.t3.medium": 0.072,
    "dms.c5.large": 0.154,
}


def test_refresh_maps_sagemaker_and_dms_products_to_their_keys(refreshed: tuple[Path, str]) -> None:
    path, out = refreshed
    lines = out.splitlines()
    assert lines[0] == (
        "warning: sagemaker us-east-1: skipped offers with an unexpected unit:"
        " 'Month' for sagemaker.hosting.ml.m5.xlarge ×1"
    )
    assert lines[1].startswith("sagemaker us-east-1: 4 prices from 7 products"), lines[1]
    assert lines[2].startswith("dms us-east-1: 3 prices from 6 products"), lines[2]
    with Catalog.open(path) as after, Catalog.shipped() as before:
        for key, value in EXPECTED.items():
            price = after.price(key, "us-east-1")
            assert price is not None, key
            assert (price.value, price.unit, price.source, price.as_of) == pytest.approx(
                (value, "hour", "aws-price-list-api", "2026-11-20")
            ), key
        storage = after.price("dms.storage.gp2", "us-east-1")
        assert storage is not None
        assert (storage.value, storage.unit, storage.source) == (0.115, "GB-month", "aws-price-list-api")
        # the product in the wrong unit left the curated figure in place; training set no key
        assert after.price("sagemaker.hosting.ml.m5.xlarge", "us-east-1") == before.price(
            "sagemaker.hosting.ml.m5.xlarge", "us-east-1"
        )
        assert after.price("sagemaker.training.ml.m5.large", "us-east-1") is None
        assert before.price("dms.t3.medium", "us-east-1") is None  # only the refresh prices it


def cost(tmp_path: Path, catalog: Path, text: str) -> dict[str, dict[str, Any]]:
    root = tmp_path / "project"
    root.mkdir()
    (root / "main.tf").write_text('provider "aws" {\n  region = "us-east-1"\n}\n' + text)
    env = {"ADVISOR_PRICING_DB": str(catalog), "ADVISOR_NO_CACHE": "1"}
    result = run_cli("cost", ".", "-f", "json", cwd=root, env=env)
    assert result.returncode == 0, result.stderr
    return {r["address"]: r for r in json.loads(result.stdout)["resources"]}


def line(resource: dict[str, Any], prefix: str) -> dict[str, Any]:
    return next(c for c in resource["components"] if c["name"].startswith(prefix))


def test_the_refreshed_figures_reach_advisor_cost(refreshed: tuple[Path, str], tmp_path: Path) -> None:
    path, _out = refreshed
    res = cost(
        tmp_path,
        path,
        """
resource "aws_sagemaker_endpoint_configuration" "config" {
  name = "config"
  production_variants {
    variant_name           = "main"
    model_name             = "model"
    instance_type          = "ml.c5.xlarge"
    initial_instance_count = 2
  }
}

resource "aws_sagemaker_endpoint" "endpoint" {
  name                 = "endpoint"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.config.name
}

resource "aws_sagemaker_notebook_instance" "notebook" {
  name          = "notebook"
  role_arn      = "arn:aws:iam::123456789012:role/notebook"
  instance_type = "ml.t3.xlarge"
}

resource "aws_dms_replication_instance" "migration" {
  replication_instance_id    = "migration"
  replication_instance_class = "dms.t3.medium"
  allocated_storage          = 100
  multi_az                   = true
}
""",
    )
    variant = line(res["aws_sagemaker_endpoint.endpoint"], "Production variant")
    assert (variant["unit_price"], variant["source"]) == (0.204, "aws-price-list-api")
    assert res["aws_sagemaker_endpoint.endpoint"]["monthly_cost"] == round(2 * HOURS * 0.204, 2)
    notebook = line(res["aws_sagemaker_notebook_instance.notebook"], "Notebook instance")
    assert (notebook["unit_price"], notebook["source"], notebook["as_of"]) == (
        0.20,
        "aws-price-list-api",
        "2026-11-20",
    )
    # Multi-AZ: a primary and a standby, each with the 50 GB above the 50 the t3 class includes
    migration = res["aws_dms_replication_instance.migration"]
    assert line(migration, "Replication instance")["unit_price"] == 0.072
    assert migration["monthly_cost"] == round(2 * HOURS * 0.072 + 2 * 50 * 0.115, 2)


@pytest.mark.parametrize(
    ("mapper", "family", "attributes", "key"),
    [
        ("sagemaker", "ML Instance", {"usagetype": "EUC1-Host:ml.g5.xlarge", "instanceName": "ml.g5.xlarge",
         "component": "Hosting"}, "sagemaker.hosting.ml.g5.xlarge"),
        ("sagemaker", "ML Instance", {"usagetype": "Notebk:ml.t3.large", "instanceName": "ml.t3.large",
         "component": "Notebook"}, "sagemaker.notebook.ml.t3.large"),
        ("sagemaker", "ML Instance", {"usagetype": "Host:ml.m5.large", "instanceName": "ml.m5.large",
         "component": "Batch Transform"}, None),
        ("sagemaker", "ML Instance", {"usagetype": "Host:ml.m5.large", "instanceName": "m5.large",
         "component": "Hosting"}, None),
        ("sagemaker", "ML Storage", {"usagetype": "Host:VolumeUsage.gp2", "instanceName": "ml.m5.large",
         "component": "Hosting"}, None),
        ("dms", "Replication Server", {"instanceType": "dms.r5.large", "availabilityZone": "Single"},
         "dms.r5.large"),
        ("dms", "Replication Server", {"instanceType": "r5 large", "availabilityZone": "Single"}, None),
        ("dms", "Storage", {"storageMedia": "Magnetic", "availabilityZone": "Single"}, None),
    ],
)  # fmt: skip
def test_products_map_to_keys_or_to_nothing(
    mapper: str, family: str, attributes: dict[str, str], key: str | None
) -> None:
    assert_maps(mapper, offer(family, attributes), key)
