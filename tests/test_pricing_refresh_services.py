"""`advisor pricing refresh` for the services priced from `prices_services.csv`: MSK, Fargate (AmazonECS),
DocumentDB, Redshift, OpenSearch, Neptune and MQ.

The Price List API is played by botocore's Stubber on a real `pricing` client: every GetProducts request
is checked (service code, filters) and answered with `PriceList` JSON strings in the shape AWS returns.
The figures are AWS's us-east-1 list prices; the rebuilt file must carry them with the API as source and
the price list's publication date, and the products no key uses (I/O-optimized instances, managed
storage) must be left out. No network: the tests stub every call.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from advisor.pricing import refresh
from advisor.pricing.bulk import Offer
from advisor.pricing.catalog import Catalog
from advisor.pricing.snapshot_db import PriceRow
from botocore.stub import Stubber  # type: ignore[import-untyped]
from test_pricing_refresh import add_pages, cache, leftovers, price_item, run, stub, write_base  # noqa: F401

PUBLISHED = "2026-11-20T18:02:11Z"
US_EAST_1 = {"regionCode": "us-east-1", "location": "US East (N. Virginia)", "locationType": "AWS Region"}


def item(code: str, sku: str, family: str, attributes: dict[str, str], unit: str, usd: str) -> str:
    return price_item(
        sku,
        family,
        {"servicecode": code, **US_EAST_1, **attributes},
        [(unit, usd, "0", "Inf")],
        published=PUBLISHED,
        reserved=True,
    )


MSK = [
    item("AmazonMSK", "MSK1", "Managed Streaming for Apache Kafka (MSK)",
         {"usagetype": "USE1-Kafka.m5.large", "computeFamily": "m5.large", "operation": "RunBroker"},
         "hours", "0.2100000000"),
    item("AmazonMSK", "MSK2", "Managed Streaming for Apache Kafka (MSK)",
         {"usagetype": "USE1-Kafka.m7g.xlarge", "computeFamily": "m7g.xlarge", "operation": "RunBroker"},
         "hours", "0.4080000000"),
    item("AmazonMSK", "MSK3", "Managed Streaming for Apache Kafka (MSK)",
         {"usagetype": "USE1-Kafka.Storage.GP2", "storageFamily": "GP2"}, "GB-Mo", "0.1000000000"),
    item("AmazonMSK", "MSK4", "Managed Streaming for Apache Kafka (MSK)",
         {"usagetype": "USE1-Kafka.Serverless-Hours"}, "hours", "0.7500000000"),
]  # fmt: skip
FARGATE = [
    item("AmazonECS", "ECS1", "Compute", {"usagetype": "USE1-Fargate-vCPU-Hours:perCPU"}, "hours", "0.0404800000"),
    item("AmazonECS", "ECS2", "Compute", {"usagetype": "USE1-Fargate-GB-Hours"}, "hours", "0.0044450000"),
    item("AmazonECS", "ECS3", "Compute", {"usagetype": "USE1-Fargate-ARM-vCPU-Hours:perCPU"}, "hours", "0.0323800000"),
    item("AmazonECS", "ECS4", "Compute", {"usagetype": "USE1-Fargate-ARM-GB-Hours"}, "hours", "0.0035600000"),
    item("AmazonECS", "ECS5", "Compute", {"usagetype": "USE1-Fargate-EphemeralStorage-GB-Hours"}, "GB-Hours", "0.0001110000"),
    item("AmazonECS", "ECS6", "Compute", {"usagetype": "USE1-Fargate-Windows-vCPU-Hours:perCPU"}, "hours", "0.0465520000"),
]  # fmt: skip
DOCDB = {
    "Database Instance": [
        item("AmazonDocDB", "DOC1", "Database Instance",
             {"instanceType": "db.r5.large", "usagetype": "InstanceUsage:db.r5.large"}, "Hrs", "0.2770000000"),
        item("AmazonDocDB", "DOC2", "Database Instance",
             {"instanceType": "db.t3.medium", "usagetype": "InstanceUsage:db.t3.medium"}, "Hrs", "0.0780000000"),
        item("AmazonDocDB", "DOC3", "Database Instance",
             {"instanceType": "db.r5.large", "usagetype": "InstanceUsageIOOptimized:db.r5.large"}, "Hrs", "0.3050000000"),
    ],
    "Database Storage": [
        item("AmazonDocDB", "DOC4", "Database Storage", {"usagetype": "StorageUsage"}, "GB-Mo", "0.1000000000"),
    ],
    "System Operation": [
        item("AmazonDocDB", "DOC5", "System Operation", {"usagetype": "StorageIOUsage"}, "IOs", "0.0000002000"),
    ],
    "Storage Snapshot": [
        item("AmazonDocDB", "DOC6", "Storage Snapshot", {"usagetype": "BackupUsage"}, "GB-Mo", "0.0210000000"),
    ],
    "CPU Credits": [
        item("AmazonDocDB", "DOC7", "CPU Credits", {"usagetype": "CPUCredits:db.t3"}, "vCPU-Hours", "0.0900000000"),
    ],
}  # fmt: skip
REDSHIFT = [
    item("AmazonRedshift", "RS1", "Compute Instance",
         {"instanceType": "ra3.xlplus", "usagetype": "Node:ra3.xlplus"}, "Hrs", "1.0860000000"),
    item("AmazonRedshift", "RS2", "Compute Instance",
         {"instanceType": "dc2.8xlarge", "usagetype": "Node:dc2.8xlarge"}, "Hrs", "4.8000000000"),
]  # fmt: skip


def queue(stubber: Stubber, name: str, by_family: dict[str, list[str]]) -> None:
    """Queue every query of a service in order, each answered with the items of its product family."""
    service = next(s for s in refresh.SERVICES if s.name == name)
    for query in service.queries:
        family = dict(query.filters).get("productFamily", "")
        add_pages(stubber, query.service_code, "us-east-1", query.filters, [by_family.get(family, [])])


def refresh_queued(stubbed: tuple[Any, Stubber], folder: Path, services: list[str]) -> str:
    """Run the refresh of these services in us-east-1 over the queued answers: it succeeds, asks
    every query it was answered and leaves no temporary file in `folder`; its output."""
    client, stubber = stubbed
    code, out = run(client, ["us-east-1"], services)
    assert code == 0, out
    stubber.assert_no_pending_responses()
    assert leftovers(folder) == []
    return out


def assert_maps(service_name: str, product: dict[str, Any], key: str | None) -> None:
    """The service maps the product to `key` (None: to nothing), a key of the prefixes it refreshes."""
    service = next(s for s in refresh.SERVICES if s.name == service_name)
    target = service.mapper(product)
    assert (target.key if target else None) == key
    if key is not None:
        assert any(key.startswith(p) for p in service.prefixes)


@pytest.fixture()
def refreshed(stub: tuple[Any, Stubber], cache: Path) -> Iterator[tuple[Path, str]]:  # noqa: F811
    stubber = stub[1]
    queue(stubber, "msk", {"Managed Streaming for Apache Kafka (MSK)": MSK})
    queue(stubber, "fargate", {"Compute": FARGATE})
    queue(stubber, "docdb", DOCDB)
    queue(stubber, "redshift", {"Compute Instance": REDSHIFT})
    yield cache, refresh_queued(stub, cache, ["msk,fargate", "documentdb", "redshift"])


EXPECTED = {
    "msk.kafka.m5.large": (0.21, "hour"),
    "msk.kafka.m7g.xlarge": (0.408, "hour"),
    "msk.storage": (0.10, "GB-month"),
    "fargate.x86_64.vcpu": (0.04048, "vCPU-hour"),
    "fargate.x86_64.memory": (0.004445, "GB-hour"),
    "fargate.arm64.vcpu": (0.03238, "vCPU-hour"),
    "fargate.arm64.memory": (0.00356, "GB-hour"),
    "fargate.ephemeral_storage": (0.000111, "GB-hour"),
    "docdb.db.r5.large": (0.277, "hour"),
    "docdb.db.t3.medium": (0.078, "hour"),
    "docdb.storage": (0.10, "GB-month"),
    "docdb.io": (0.20, "1M requests"),  # $0.0000002 per I/O
    "docdb.backup.storage": (0.021, "GB-month"),
    "docdb.cpu_credits": (0.09, "vCPU-hour"),
    "redshift.ra3.xlplus": (1.086, "hour"),
    "redshift.dc2.8xlarge": (4.80, "hour"),
}


def test_refresh_fetches_the_new_service_codes_and_rebuilds_their_prices(refreshed: tuple[Path, str]) -> None:
    path, out = refreshed
    assert [line.split(":")[0] for line in out.splitlines()[:4]] == [
        "msk us-east-1",
        "fargate us-east-1",
        "docdb us-east-1",
        "redshift us-east-1",
    ]
    with Catalog.open(path) as after, Catalog.shipped() as before:
        for key, (value, unit) in EXPECTED.items():
            price = after.price(key, "us-east-1")
            assert price is not None, key
            assert (price.value, price.unit, price.source, price.as_of, price.estimate) == pytest.approx(
                (value, unit, "aws-price-list-api", "2026-11-20", False)
            ), key
        # keys AWS did not list this time keep the snapshot's figure and source
        for key in ("msk.kafka.t3.small", "docdb.db.r5.4xlarge", "redshift.ra3.large", "neptune.storage"):
            assert after.price(key, "us-east-1") == before.price(key, "us-east-1"), key
        # an I/O-optimized instance is another price: the on-demand key keeps the standard one
        r5 = after.price("docdb.db.r5.large", "us-east-1")
        assert r5 is not None and r5.value == 0.277
        # Redshift and DocumentDB names never become EC2 or RDS instance types
        assert after.instance_type("ra3.xlplus") is None


def test_the_refreshed_prices_reach_an_estimate(refreshed: tuple[Path, str], tmp_path: Path) -> None:
    from conftest import run_cli

    path, _out = refreshed
    root = tmp_path / "ecs"
    root.mkdir()
    (root / "main.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\n'
        'resource "aws_msk_cluster" "k" {\n  cluster_name = "k"\n  kafka_version = "3.6.0"\n'
        '  number_of_broker_nodes = 3\n  broker_node_group_info {\n    instance_type = "kafka.m7g.xlarge"\n'
        '    client_subnets = ["a", "b", "c"]\n    storage_info {\n      ebs_storage_info {\n'
        "        volume_size = 100\n      }\n    }\n  }\n}\n"
    )
    result = run_cli(
        "cost", ".", "-f", "json", cwd=root, env={"ADVISOR_PRICING_DB": str(path), "ADVISOR_NO_CACHE": "1"}
    )
    assert result.returncode == 0, result.stderr
    import json

    (resource,) = json.loads(result.stdout)["resources"]
    # 3 brokers x 730 h x $0.408 + 300 GB x $0.10, all from the refreshed file
    assert resource["monthly_cost"] == round(3 * 730 * 0.408 + 300 * 0.10, 2)
    assert {c["source"] for c in resource["components"]} == {"aws-price-list-api"}


def offer(family: str, attributes: dict[str, str], unit: str = "Hrs") -> Offer:
    return Offer("sku", family, attributes, unit, Decimal("1"), Decimal(0), None, "2026-11-20")


@pytest.mark.parametrize(
    ("mapper", "family", "attributes", "key"),
    [
        ("opensearch", "Amazon OpenSearch Service Instance",
         {"usagetype": "USE1-ESInstance:r6g.large", "instanceType": "r6g.large.search"}, "opensearch.r6g.large.search"),
        ("opensearch", "Amazon OpenSearch Service Volume",
         {"usagetype": "USE1-ES:GP3-Storage", "storageMedia": "GP3"}, "opensearch.storage.gp3"),
        ("opensearch", "Amazon OpenSearch Service Volume",
         {"usagetype": "ES:PIOPS-Storage", "storageMedia": "PIOPS-Storage"}, "opensearch.storage.io1"),
        ("opensearch", "Amazon OpenSearch Service Volume", {"usagetype": "ES:PIOPS", "storageMedia": "PIOPS"},
         "opensearch.iops.io1"),
        ("opensearch", "Amazon OpenSearch Service Volume", {"usagetype": "ES:GP2-Storage", "storageMedia": "GP2"}, "opensearch.storage.gp2"),
        ("neptune", "Database Instance", {"usagetype": "InstanceUsage:db.r5.large", "instanceType": "db.r5.large"},
         "neptune.db.r5.large"),
        ("neptune", "Database Instance", {"usagetype": "InstanceUsage:db.serverless", "instanceType": "db.serverless"},
         None),
        ("neptune", "System Operation", {"usagetype": "EU-StorageIOUsage"}, "neptune.io"),
        ("mq", "Broker Instances",
         {"instanceType": "mq.m5.large", "brokerEngine": "ActiveMQ", "deploymentOption": "Single-AZ"}, "mq.mq.m5.large"),
        ("mq", "Broker Instances",
         {"instanceType": "mq.m5.large", "brokerEngine": "ActiveMQ", "deploymentOption": "Multi-AZ"}, None),
        ("mq", "Broker Storage", {"usagetype": "USE1-TimedStorage-EBS-ByteHrs"}, "mq.storage.ebs"),
        ("msk", "Managed Streaming for Apache Kafka (MSK)", {"usagetype": "Kafka.kraft.t3.small"}, None),
    ],
)  # fmt: skip
def test_products_of_the_other_services_map_to_their_keys(
    mapper: str, family: str, attributes: dict[str, str], key: str | None
) -> None:
    assert_maps(mapper, offer(family, attributes), key)


def test_every_refreshed_key_is_a_key_the_snapshot_carries() -> None:
    """The new services' keys are those of prices_services.csv, so a refresh replaces, never adds beside."""
    import csv

    from conftest import REPO

    with open(REPO / "pricing" / "data" / "prices_services.csv", newline="") as f:
        units = {row["key"]: row["unit"] for row in csv.DictReader(f)}
    for key, (_value, unit) in EXPECTED.items():
        assert units.get(key) == unit, key


# OpenSearch: the curated prices of the snapshot (pricing/data/services.md), and six sizes it lacks, linear
# in size within their family as AWS prices them (m6g $0.128 per large, r6g $0.1674 per large)
OPENSEARCH_INSTANCES = {
    "c4.2xlarge": "0.587", "c4.8xlarge": "2.347", "m5.large": "0.142", "m5.xlarge": "0.283",
    "m5.2xlarge": "0.566", "m5.4xlarge": "1.132", "m6g.large": "0.128", "m6g.xlarge": "0.256",
    "r5.large": "0.186", "r5.xlarge": "0.372", "r5.2xlarge": "0.744", "r5.4xlarge": "1.488",
    "r6g.large": "0.167", "r6g.xlarge": "0.335", "r6g.2xlarge": "0.669", "r6g.4xlarge": "1.339",
    "t3.small": "0.036", "t3.medium": "0.073",
    "m6g.2xlarge": "0.512", "m6g.4xlarge": "1.024", "m6g.8xlarge": "2.048", "m6g.12xlarge": "3.072",
    "r6g.8xlarge": "2.678", "r6g.12xlarge": "4.016",
}  # fmt: skip
HELD_OPENSEARCH = [f"opensearch.{name}.search" for name in list(OPENSEARCH_INSTANCES)[:18]] + [
    "opensearch.storage.gp2", "opensearch.storage.gp3", "opensearch.storage.io1",
    "opensearch.storage.standard", "opensearch.iops.io1",
]  # fmt: skip
OPENSEARCH_VOLUMES = [
    ("GP2", "ES:GP2-Storage", "GB-Mo", "0.135"),
    ("GP3", "ES:GP3-Storage", "GB-Mo", "0.122"),
    ("PIOPS-Storage", "ES:PIOPS-Storage", "GB-Mo", "0.169"),
    ("Magnetic", "ES:Magnetic-Storage", "GB-Mo", "0.067"),
    ("PIOPS", "ES:PIOPS", "IOPS-Mo", "0.088"),
]


def test_a_service_the_snapshot_holds_in_part_may_grow(stub: tuple[Any, Stubber], cache: Path) -> None:  # noqa: F811
    client, stubber = stub
    # The prices in use hold OpenSearch in part: the hand-kept us-east-1 rows of prices_services.csv
    # (the shipped snapshot has every instance type since the pricing-page files fill it in).
    with Catalog.shipped() as shipped:
        held = [
            PriceRow(k, "us-east-1", p.value, p.unit, "fixture", p.as_of)
            for k in (*HELD_OPENSEARCH, "opensearch.ultrawarm1.medium.search")
            if (p := shipped.price(k, "us-east-1")) is not None
        ]
    assert len(held) == len(HELD_OPENSEARCH) + 1
    write_base(cache, tuple(held))
    instances = [
        item("AmazonES", f"ES{i}", "Amazon OpenSearch Service Instance",
             {"usagetype": f"ESInstance:{name}", "instanceType": f"{name}.search", "operation": "ESDomain"},
             "Hrs", usd)
        for i, (name, usd) in enumerate(OPENSEARCH_INSTANCES.items())
    ]  # fmt: skip
    volumes = [
        item("AmazonES", f"EV{i}", "Amazon OpenSearch Service Volume", {"usagetype": usage, "storageMedia": media}, unit, usd)
        for i, (media, usage, unit, usd) in enumerate(OPENSEARCH_VOLUMES)
    ]  # fmt: skip
    queue(
        stubber,
        "opensearch",
        {"Amazon OpenSearch Service Instance": instances, "Amazon OpenSearch Service Volume": volumes},
    )
    code, out = run(client, ["us-east-1"], ["elasticsearch"])
    assert code == 0, out
    assert out.splitlines()[0].startswith("opensearch us-east-1: 29 prices from 29 products")
    with Catalog.open(cache) as after:
        for name, usd in OPENSEARCH_INSTANCES.items():
            price = after.price(f"opensearch.{name}.search", "us-east-1")
            assert price is not None and (price.value, price.source) == (float(usd), "aws-price-list-api"), (
                name
            )
        iops = after.price("opensearch.iops.io1", "us-east-1")
        assert iops is not None and (iops.value, iops.unit) == (0.088, "IOPS-month")
        # what AWS did not list keeps its curated figure
        warm = after.price("opensearch.ultrawarm1.medium.search", "us-east-1")
        assert warm is not None and warm.value == 0.238 and warm.source != "aws-price-list-api"
