"""`advisor pricing refresh` for FSx (AmazonFSx), MemoryDB (AmazonMemoryDB) and the EMR charge
(ElasticMapReduce).

The Price List API is played by botocore's Stubber on a real `pricing` client, as in
test_pricing_refresh_services.py: each GetProducts request is checked and answered with `PriceList` JSON
strings in the shape AWS returns them. The product attributes are the names AWS uses for these services
(`fileSystemType`, `deploymentOption`, `storageType`, `throughputCapacity`; MemoryDB `instanceType` and
`engine` with a `NodeUsage:` usage type; EMR `softwareType` and `BoxUsage:`); the usage types carry the
region prefix AWS puts on them. The figures are the us-east-1 list prices the snapshot keeps
(`pricing/data/services.md`) unless a comment says otherwise; what a refresh must prove is where each
product lands, that the rest is left out, and that `advisor cost` then bills the refreshed figures.
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
from test_pricing_refresh_services import assert_maps, item, offer, queue, refresh_queued

HOURS = 730


def fsx(sku: str, family: str, usage: str, attributes: dict[str, str], unit: str, usd: str) -> str:
    return item("AmazonFSx", sku, family, {"usagetype": f"USE1-{usage}", **attributes}, unit, usd)


def windows(deployment: str, storage: str) -> dict[str, str]:
    return {"fileSystemType": "Windows", "deploymentOption": deployment, "storageType": storage}


def lustre(storage: str, throughput: str, deployment: str = "Persistent") -> dict[str, str]:
    return {"fileSystemType": "Lustre", "deploymentOption": deployment, "storageType": storage,
            "throughputCapacity": throughput}  # fmt: skip


OPENZFS = {"fileSystemType": "OpenZFS", "deploymentOption": "Single-AZ", "storageType": "SSD"}

FSX_STORAGE = [
    fsx("FW1", "Storage", "Windows-Storage-SingleAZ:SSD", windows("Single-AZ", "SSD"), "GB-Mo", "0.1300000000"),
    fsx("FW2", "Storage", "Windows-Storage-SingleAZ:HDD", windows("Single-AZ", "HDD"), "GB-Mo", "0.0130000000"),
    fsx("FW3", "Storage", "Windows-Storage-MultiAZ:SSD", windows("Multi-AZ", "SSD"), "GB-Mo", "0.2300000000"),
    fsx("FW4", "Storage", "Windows-Storage-MultiAZ:HDD", windows("Multi-AZ", "HDD"), "GB-Mo", "0.0250000000"),
    fsx("FW5", "Storage", "Windows-BackupUsage", {"fileSystemType": "Windows", "deploymentOption": "Multi-AZ"},
        "GB-Mo", "0.0500000000"),
    fsx("FL1", "Storage", "Lustre-Storage-Scratch", {"fileSystemType": "Lustre", "deploymentOption": "Scratch",
        "storageType": "SSD", "throughputCapacity": "200"}, "GB-Mo", "0.1400000000"),
    fsx("FL2", "Storage", "Lustre-Storage.SSD.50", lustre("SSD", "50"), "GB-Mo", "0.1450000000"),
    fsx("FL3", "Storage", "Lustre-Storage.SSD.100", lustre("SSD", "100"), "GB-Mo", "0.2100000000"),
    fsx("FL4", "Storage", "Lustre-Storage.SSD.200", lustre("SSD", "200"), "GB-Mo", "0.2900000000"),
    fsx("FL5", "Storage", "Lustre-Storage.HDD.12", lustre("HDD", "12"), "GB-Mo", "0.0250000000"),
    fsx("FL6", "Storage", "Lustre-Storage.HDD.40", lustre("HDD", "40"), "GB-Mo", "0.0830000000"),
    fsx("FL7", "Storage", "Lustre-Storage.SSD.125", lustre("SSD", "125"), "GB-Mo", "0.1450000000"),
    fsx("FL8", "Storage", "Lustre-Storage.SSD.250", lustre("SSD", "250"), "GB-Mo", "0.2100000000"),
    fsx("FL9", "Storage", "Lustre-Storage.SSD.500", lustre("SSD", "500"), "GB-Mo", "0.3400000000"),
    fsx("FLA", "Storage", "Lustre-Storage.SSD.1000", lustre("SSD", "1000"), "GB-Mo", "0.6000000000"),
    fsx("FLB", "Storage", "Lustre-BackupUsage", {"fileSystemType": "Lustre"}, "GB-Mo", "0.0500000000"),
    # the HDD read cache bills per GB of cache, not of storage: no key
    fsx("FLC", "Storage", "Lustre-DriveCache.HDD.Read", lustre("HDD", "12"), "GB-Mo", "0.2000000000"),
    fsx("FZ1", "Storage", "OpenZFS-Storage-SingleAZ:SSD", OPENZFS, "GB-Mo", "0.0900000000"),
    fsx("FZ2", "Storage", "OpenZFS-BackupUsage", {"fileSystemType": "OpenZFS"}, "GB-Mo", "0.0500000000"),
    # Multi-AZ OpenZFS and ONTAP have no estimator keys
    fsx("FZ3", "Storage", "OpenZFS-Storage-MultiAZ:SSD", {**OPENZFS, "deploymentOption": "Multi-AZ"}, "GB-Mo",
        "0.1800000000"),
    fsx("FN1", "Storage", "ONTAP-Storage-SingleAZ:SSD", {"fileSystemType": "ONTAP", "deploymentOption": "Single-AZ",
        "storageType": "SSD"}, "GB-Mo", "0.1250000000"),
]  # fmt: skip
FSX_THROUGHPUT = [
    fsx("FT1", "Provisioned Throughput", "Windows-Throughput-SingleAZ",
        {"fileSystemType": "Windows", "deploymentOption": "Single-AZ"}, "MBps-Mo", "2.3000000000"),
    fsx("FT2", "Provisioned Throughput", "Windows-Throughput-MultiAZ",
        {"fileSystemType": "Windows", "deploymentOption": "Multi-AZ"}, "MBps-Mo", "4.5000000000"),
    fsx("FT3", "Provisioned Throughput", "OpenZFS-Throughput-SingleAZ",
        {"fileSystemType": "OpenZFS", "deploymentOption": "Single-AZ"}, "MBps-Mo", "0.2600000000"),
]  # fmt: skip
FSX_IOPS = [
    fsx("FI1", "Provisioned IOPS", "OpenZFS-IOPS-SingleAZ",
        {"fileSystemType": "OpenZFS", "deploymentOption": "Single-AZ"}, "IOPS-Mo", "0.0060000000"),
]  # fmt: skip


def memorydb(sku: str, usage: str, attributes: dict[str, str], unit: str, usd: str) -> str:
    return item(
        "AmazonMemoryDB", sku, "Amazon MemoryDB", {"usagetype": f"USE1-{usage}", **attributes}, unit, usd
    )


MEMORYDB = [
    memorydb("MD1", "NodeUsage:db.r6g.large", {"instanceType": "db.r6g.large", "engine": "Redis",
             "operation": "CreateCluster"}, "Hrs", "0.4000000000"),
    memorydb("MD2", "NodeUsage:db.r6g.large", {"instanceType": "db.r6g.large", "engine": "Valkey",
             "operation": "CreateCluster"}, "Hrs", "0.2800000000"),
    # a node family the snapshot has no row for (the figure infracost's MemoryDB table gives)
    memorydb("MD3", "NodeUsage:db.t4g.small", {"instanceType": "db.t4g.small", "engine": "Redis",
             "operation": "CreateCluster"}, "Hrs", "0.0680000000"),
    # snapshots, data written, and a node that does not say its engine: no key
    memorydb("MD4", "SnapshotStorage", {}, "GB-Mo", "0.0210000000"),
    memorydb("MD5", "DataWritten", {"engine": "Redis"}, "GB", "0.2000000000"),
    memorydb("MD6", "NodeUsage:db.r6g.xlarge", {"instanceType": "db.r6g.xlarge"}, "Hrs", "0.8000000000"),
]  # fmt: skip


def emr(sku: str, name: str, usd: str, software: str = "EMR", usage: str = "BoxUsage") -> str:
    attributes = {"instanceType": name, "softwareType": software, "usagetype": f"{usage}:{name}",
                  "instanceFamily": "General purpose", "operation": "RunInstances"}  # fmt: skip
    return item("ElasticMapReduce", sku, "Elastic Map Reduce Instance", attributes, "Hrs", usd)


EMR = [
    emr("EM1", "m5.xlarge", "0.0480000000"),  # EMR pricing page: m5.xlarge EMR charge $0.048 (EC2 $0.192)
    emr("EM2", "m5.2xlarge", "0.0960000000"),
    emr("EM3", "m5.xlarge", "0.0600000000", software="Hunk", usage="HunkBoxUsage"),
]


@pytest.fixture()
def refreshed(stub: tuple[Any, Stubber], cache: Path) -> Iterator[tuple[Path, str]]:  # noqa: F811
    stubber = stub[1]
    queue(
        stubber,
        "fsx",
        {"Storage": FSX_STORAGE, "Provisioned Throughput": FSX_THROUGHPUT, "Provisioned IOPS": FSX_IOPS},
    )
    queue(stubber, "memorydb", {"": MEMORYDB})
    queue(stubber, "emr", {"Elastic Map Reduce Instance": EMR})
    yield cache, refresh_queued(stub, cache, ["lustre", "memorydb,elasticmapreduce"])


EXPECTED = {
    "fsx.windows.single_az.ssd.storage": (0.13, "GB-month"),
    "fsx.windows.single_az.hdd.storage": (0.013, "GB-month"),
    "fsx.windows.multi_az.ssd.storage": (0.23, "GB-month"),
    "fsx.windows.multi_az.hdd.storage": (0.025, "GB-month"),
    "fsx.windows.single_az.throughput": (2.30, "MBps-month"),
    "fsx.windows.multi_az.throughput": (4.50, "MBps-month"),
    "fsx.windows.backup": (0.05, "GB-month"),
    "fsx.lustre.scratch.storage": (0.14, "GB-month"),
    "fsx.lustre.persistent_1.ssd.50": (0.145, "GB-month"),
    "fsx.lustre.persistent_1.ssd.100": (0.21, "GB-month"),
    "fsx.lustre.persistent_1.ssd.200": (0.29, "GB-month"),
    "fsx.lustre.persistent_1.hdd.12": (0.025, "GB-month"),
    "fsx.lustre.persistent_1.hdd.40": (0.083, "GB-month"),
    "fsx.lustre.persistent_2.ssd.125": (0.145, "GB-month"),
    "fsx.lustre.persistent_2.ssd.250": (0.21, "GB-month"),
    "fsx.lustre.persistent_2.ssd.500": (0.34, "GB-month"),
    "fsx.lustre.persistent_2.ssd.1000": (0.60, "GB-month"),
    "fsx.lustre.backup": (0.05, "GB-month"),
    "fsx.openzfs.single_az_1.storage": (0.09, "GB-month"),
    "fsx.openzfs.single_az_1.throughput": (0.26, "MBps-month"),
    "fsx.openzfs.single_az_1.iops": (0.006, "IOPS-month"),
    "fsx.openzfs.backup": (0.05, "GB-month"),
    "memorydb.redis.db.r6g.large": (0.40, "hour"),
    "memorydb.valkey.db.r6g.large": (0.28, "hour"),
    "memorydb.redis.db.t4g.small": (0.068, "hour"),
    "emr.m5.xlarge": (0.048, "hour"),
    "emr.m5.2xlarge": (0.096, "hour"),
}


def test_refresh_maps_fsx_memorydb_and_emr_products_to_their_keys(refreshed: tuple[Path, str]) -> None:
    path, out = refreshed
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == [
        "fsx us-east-1",
        "memorydb us-east-1",
        "emr us-east-1",
    ]
    assert lines[0].startswith("fsx us-east-1: 22 prices"), lines[0]
    with Catalog.open(path) as after, Catalog.shipped() as before:
        for key, (value, unit) in EXPECTED.items():
            price = after.price(key, "us-east-1")
            assert price is not None, key
            assert (price.value, price.unit, price.source, price.as_of, price.estimate) == pytest.approx(
                (value, unit, "aws-price-list-api", "2026-11-20", False)
            ), key
        # what the products with no key would have been: never stored under another key
        assert after.price("memorydb.redis.db.r6g.xlarge", "us-east-1") == before.price(
            "memorydb.redis.db.r6g.xlarge", "us-east-1"
        )
        assert after.price("emr.m5.xlarge", "us-east-1").value == 0.048  # type: ignore[union-attr]  # not Hunk's
        # a node type the snapshot lacked is new; its name never rewrites the RDS class of the same name
        assert before.price("memorydb.redis.db.t4g.small", "us-east-1") is None
        assert after.instance_type("db.t4g.small") == before.instance_type("db.t4g.small")


def cost(tmp_path: Path, catalog: Path, text: str) -> dict[str, dict[str, Any]]:
    root = tmp_path / "project"
    root.mkdir()
    (root / "main.tf").write_text('provider "aws" {\n  region = "us-east-1"\n}\n' + text)
    env = {"ADVISOR_PRICING_DB": str(catalog), "ADVISOR_NO_CACHE": "1"}
    result = run_cli("cost", ".", "-f", "json", cwd=root, env=env)
    assert result.returncode == 0, result.stderr
    return {r["address"]: r for r in json.loads(result.stdout)["resources"]}


def test_the_refreshed_figures_reach_advisor_cost(refreshed: tuple[Path, str], tmp_path: Path) -> None:
    path, _out = refreshed
    res = cost(
        tmp_path,
        path,
        """
resource "aws_fsx_lustre_file_system" "scratch" {
  storage_capacity            = 2400
  subnet_ids                  = ["subnet-a"]
  deployment_type             = "PERSISTENT_2"
  per_unit_storage_throughput = 250
}

resource "aws_memorydb_cluster" "cache" {
  name                   = "cache"
  acl_name               = "open-access"
  node_type              = "db.t4g.small"
  num_shards             = 2
  num_replicas_per_shard = 1
}
""",
    )
    lustre_fs = res["aws_fsx_lustre_file_system.scratch"]
    storage = next(c for c in lustre_fs["components"] if c["name"].startswith("Storage"))
    assert (storage["unit_price"], storage["source"], storage["as_of"]) == (
        0.21,
        "aws-price-list-api",
        "2026-11-20",
    )
    assert lustre_fs["monthly_cost"] == round(2400 * 0.21, 2)
    # 2 shards x (1 primary + 1 replica) = 4 nodes of a type only the refresh priced
    cache_cluster = res["aws_memorydb_cluster.cache"]
    assert cache_cluster["monthly_cost"] == round(4 * HOURS * 0.068, 2)
    assert {c["source"] for c in cache_cluster["components"] if c["unit_price"]} == {"aws-price-list-api"}


@pytest.mark.parametrize(
    ("mapper", "family", "attributes", "key"),
    [
        ("fsx", "Storage", {"usagetype": "EU-Windows-BackupUsage", "fileSystemType": "Windows"}, "fsx.windows.backup"),
        ("fsx", "Storage", {"fileSystemType": "Windows", "deploymentOption": "Single-AZ", "storageType": "SSD"},
         "fsx.windows.single_az.ssd.storage"),
        ("fsx", "Provisioned Throughput", {"fileSystemType": "Windows", "deploymentOption": "Multi-AZ_2"}, None),
        ("fsx", "Storage", {"fileSystemType": "Lustre", "storageType": "SSD", "throughputCapacity": "300"}, None),
        ("fsx", "Storage", {"fileSystemType": "Lustre", "storageType": "HDD", "throughputCapacity": "40"},
         "fsx.lustre.persistent_1.hdd.40"),
        ("fsx", "Provisioned IOPS", {"fileSystemType": "OpenZFS", "deploymentOption": "Single-AZ_2"}, None),
        ("fsx", "Provisioned Throughput", {"fileSystemType": "ONTAP", "deploymentOption": "Single-AZ"}, None),
        ("memorydb", "Amazon MemoryDB",
         {"usagetype": "EU-NodeUsage:db.r7g.large", "instanceType": "db.r7g.large", "engine": "Valkey"},
         "memorydb.valkey.db.r7g.large"),
        ("memorydb", "Amazon MemoryDB",
         {"usagetype": "NodeUsage:db.r6gd.xlarge", "instanceType": "db.r6gd.xlarge", "cacheEngine": "Redis OSS"},
         "memorydb.redis.db.r6gd.xlarge"),
        ("memorydb", "Amazon MemoryDB", {"usagetype": "NodeUsage:db.r6g.large", "instanceType": "db.r6g.large",
         "engine": "Memcached"}, None),
        ("emr", "Elastic Map Reduce Instance",
         {"usagetype": "EU-BoxUsage:r5.xlarge", "instanceType": "r5.xlarge", "softwareType": "EMR"}, "emr.r5.xlarge"),
        ("emr", "Elastic Map Reduce Instance",
         {"usagetype": "BoxUsage:r5.xlarge", "instanceType": "r5.2xlarge", "softwareType": "EMR"}, None),
        ("emr", "EMR Containers", {"usagetype": "BoxUsage:r5.xlarge", "instanceType": "r5.xlarge",
         "softwareType": "EMR"}, None),
    ],
)  # fmt: skip
def test_products_map_to_keys_or_to_nothing(
    mapper: str, family: str, attributes: dict[str, str], key: str | None
) -> None:
    assert_maps(mapper, offer(family, attributes), key)


def test_fsx_throughput_in_an_unexpected_unit_is_reported_not_stored() -> None:
    batch = refresh.Batch("fsx", "us-east-1", "aws-price-list-api", {}, set())
    service = next(s for s in refresh.SERVICES if s.name == "fsx")
    throughput = {"fileSystemType": "Windows", "deploymentOption": "Multi-AZ"}
    batch.consider(offer("Provisioned Throughput", throughput, unit="GBps-Mo"), service.mapper)
    batch.consider(offer("Provisioned Throughput", throughput, unit="MBps-Mo"), service.mapper)
    assert dict(batch.odd_units) == {"'GBps-Mo' for fsx.windows.multi_az.throughput": 1}
    assert set(batch.prices) == {"fsx.windows.multi_az.throughput"}
