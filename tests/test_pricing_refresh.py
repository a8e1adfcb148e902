"""`advisor pricing refresh`, offline.

The Price List API is played by botocore's Stubber on a real client, so requests and responses are
checked against the service model in their documented shapes; offer files are served by an
http.server on 127.0.0.1; the refreshed database lands in a temporary XDG cache. A guard fails any
test that tries to open a connection anywhere but loopback.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from advisor.pricing import refresh, snapshot_db
from advisor.pricing.bulk import Offer, OfferFileError, attribute_name, open_url, read_offer_csv, read_offers
from advisor.pricing.catalog import Catalog, cache_db_path, shipped_db_path
from advisor.pricing.snapshot_db import PriceRow, SourceRow
from botocore.stub import ANY, Stubber  # type: ignore[import-untyped]

FIXTURES = Path(__file__).parent / "fixtures" / "pricing"
LAMBDA_CSV = FIXTURES / "lambda-eu-west-1-offer.csv"  # built for these tests in the offer-file layout
PUBLISHED = "2019-01-16T21:24:48Z"  # the publication date of the recorded m4.xlarge response
EC2_FILTERS = (
    ("productFamily", "Compute Instance"),
    ("operatingSystem", "Linux"),
    ("tenancy", "Shared"),
    ("preInstalledSw", "NA"),
    ("capacitystatus", "Used"),
    ("marketoption", "OnDemand"),
)


# -- guards and fixtures ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if anything tries to leave the machine."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else None
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"test tried to connect to {address!r}")
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Back-off sleeps are recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(refresh, "_sleep", recorded.append)
    return recorded


@pytest.fixture()
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Where the refreshed file goes: a temporary XDG cache, with no override in the environment."""
    monkeypatch.delenv("ADVISOR_PRICING_DB", raising=False)
    monkeypatch.delenv("ADVISOR_CACHE_DIR", raising=False)  # it would take precedence over XDG
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    Catalog.reset_default()
    path = cache_db_path()
    assert tmp_path in path.parents
    yield path
    Catalog.reset_default()


@pytest.fixture()
def stub() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        yield client, stubber


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves files from a folder; `/truncated/...` promises more bytes than it sends, then hangs up."""

    def do_GET(self) -> None:
        if self.path.startswith("/truncated/"):
            body = LAMBDA_CSV.read_bytes()[:700]
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(body) + 5000))
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture()
def offer_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on 127.0.0.1 (any free port) serving a temporary folder."""
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# -- builders for the recorded response shapes ------------------------------------------------------


def price_item(
    sku: str,
    family: str,
    attributes: dict[str, str],
    dimensions: list[tuple[str, str, str, str]],
    *,
    published: str = PUBLISHED,
    reserved: bool = False,
) -> str:
    """One GetProducts `PriceList` element, a JSON string: product, OnDemand terms (one dimension per
    (unit, USD, beginRange, endRange)) and, optionally, a Reserved term that must be ignored."""
    term = f"{sku}.JRTCKXETXF"
    on_demand = {
        term: {
            "priceDimensions": {
                f"{term}.RATE{i:06d}": {
                    "unit": unit,
                    "endRange": end,
                    "description": f"{usd} per {unit}",
                    "appliesTo": [],
                    "rateCode": f"{term}.RATE{i:06d}",
                    "beginRange": begin,
                    "pricePerUnit": {"USD": usd},
                }
                for i, (unit, usd, begin, end) in enumerate(dimensions)
            },
            "sku": sku,
            "effectiveDate": "2019-01-01T00:00:00Z",
            "offerTermCode": "JRTCKXETXF",
            "termAttributes": {},
        }
    }
    terms: dict[str, Any] = {"OnDemand": on_demand}
    if reserved:
        rterm = f"{sku}.RSRV000001"
        terms["Reserved"] = {
            rterm: {
                "priceDimensions": {
                    f"{rterm}.UPFRONT001": {
                        "unit": "Quantity",
                        "description": "Upfront Fee",
                        "appliesTo": [],
                        "rateCode": f"{rterm}.UPFRONT001",
                        "pricePerUnit": {"USD": "1234"},
                    },
                    f"{rterm}.HOURLY0001": {
                        "unit": "Hrs",
                        "endRange": "Inf",
                        "description": "reserved instance applied",
                        "appliesTo": [],
                        "rateCode": f"{rterm}.HOURLY0001",
                        "beginRange": "0",
                        "pricePerUnit": {"USD": "0.0000000000"},
                    },
                },
                "sku": sku,
                "effectiveDate": "2017-04-30T23:59:59Z",
                "offerTermCode": "RSRV000001",
                "termAttributes": {
                    "LeaseContractLength": "3yr",
                    "OfferingClass": "standard",
                    "PurchaseOption": "All Upfront",
                },
            }
        }
    document = {
        "product": {"productFamily": family, "attributes": attributes, "sku": sku},
        "serviceCode": attributes.get("servicecode", "AmazonEC2"),
        "terms": terms,
        "version": published[:19].replace("-", "").replace(":", "").replace("T", ""),
        "publicationDate": published,
    }
    return json.dumps(document)


def ec2_item(
    instance_type: str,
    usd: str,
    *,
    operating_system: str = "Linux",
    tenancy: str = "Shared",
    license_model: str = "No License required",
    prefix: str = "EU-",
    location: str = "EU (Ireland)",
    region_code: str | None = None,
) -> str:
    """An EC2 instance product in the shape of the recorded GetProducts responses."""
    usage = {"Shared": "BoxUsage", "Dedicated": "DedicatedUsage", "Host": "HostBoxUsage"}[tenancy]
    operation = {"Linux": "RunInstances", "Windows": "RunInstances:0002", "RHEL": "RunInstances:0010"}
    attributes = {
        "capacitystatus": "Used",
        "locationType": "AWS Region",
        "instanceFamily": "General purpose",
        "operatingSystem": operating_system,
        "servicename": "Amazon Elastic Compute Cloud",
        "instanceType": instance_type,
        "tenancy": tenancy,
        "usagetype": f"{prefix}{usage}:{instance_type}",
        "servicecode": "AmazonEC2",
        "licenseModel": license_model,
        "currentGeneration": "Yes",
        "preInstalledSw": "NA",
        "location": location,
        "processorArchitecture": "64-bit",
        "operation": operation.get(operating_system, "RunInstances:000g"),
        "vcpu": "4",
        "memory": "16 GiB",
        "physicalProcessor": "Intel Xeon E5-2676 v3 (Haswell)",
    }
    if region_code:
        attributes["regionCode"] = region_code
    sku = "".join(
        c for c in f"T{instance_type}{operating_system}{tenancy}{license_model[:3]}".upper() if c.isalnum()
    )
    return price_item(sku, "Compute Instance", attributes, [("Hrs", usd, "0", "Inf")], reserved=True)


def m4_xlarge_eu_west_1() -> list[str]:
    """The fifteen products of the recorded m4.xlarge EU (Ireland) response: OS x tenancy, one Linux
    shared-tenancy on-demand price among them (0.222)."""
    combos = [
        ("Windows", "Dedicated", "No License required", "0.4282000000"),
        ("Linux", "Shared", "No License required", "0.2220000000"),
        ("SUSE", "Shared", "No License required", "0.3220000000"),
        ("Windows", "Shared", "Bring your own license", "0.2220000000"),
        ("Linux", "Host", "No License required", "0.0000000000"),
        ("Windows", "Host", "No License required", "0.0000000000"),
        ("SUSE", "Dedicated", "No License required", "0.3442000000"),
        ("Windows", "Dedicated", "Bring your own license", "0.2442000000"),
        ("RHEL", "Dedicated", "No License required", "0.3042000000"),
        ("RHEL", "Shared", "No License required", "0.2820000000"),
        ("Linux", "Dedicated", "No License required", "0.2442000000"),
        ("Windows", "Shared", "No License required", "0.4060000000"),
        ("RHEL", "Host", "No License required", "0.0000000000"),
        ("Windows", "Host", "Bring your own license", "0.0000000000"),
        ("SUSE", "Host", "No License required", "0.0000000000"),
    ]
    return [
        ec2_item("m4.xlarge", usd, operating_system=os_name, tenancy=tenancy, license_model=licence)
        for os_name, tenancy, licence, usd in combos
    ]


def request(
    code: str, region: str, filters: tuple[tuple[str, str], ...], token: str | None = None
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "ServiceCode": code,
        "Filters": [
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
            *({"Type": "TERM_MATCH", "Field": f, "Value": v} for f, v in filters),
        ],
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }
    if token:
        params["NextToken"] = token
    return params


def add_pages(
    stubber: Stubber, code: str, region: str, filters: tuple[tuple[str, str], ...], pages: list[list[str]]
) -> None:
    """Queue one GetProducts query as pages chained by NextToken, the way the paginator will ask."""
    token = None
    for number, items in enumerate(pages, start=1):
        following = f"token-{number + 1}" if number < len(pages) else None
        response: dict[str, Any] = {"FormatVersion": "aws_v1", "PriceList": items}
        if following:
            response["NextToken"] = following
        stubber.add_response("get_products", response, request(code, region, filters, token))
        token = following


def add_service(stubber: Stubber, name: str, region: str, first_page: list[str]) -> None:
    """Queue every query of a service: `first_page` answers the first, the rest come back empty."""
    service = next(s for s in refresh.SERVICES if s.name == name)
    for i, query in enumerate(service.queries):
        add_pages(stubber, query.service_code, region, query.filters, [first_page if i == 0 else []])


def shipped_tiers() -> list[snapshot_db.TierRow]:
    conn = snapshot_db.connect_readonly(shipped_db_path(), immutable=True)
    try:
        rows = conn.execute("SELECT key, tier_group, tier_begin, tier_end FROM tier").fetchall()
    finally:
        conn.close()
    return [snapshot_db.TierRow(k, g, float(b), None if e is None else float(e)) for k, g, b, e in rows]


def write_base(path: Path, extra: tuple[PriceRow, ...] = ()) -> None:
    """A small, valid refreshed copy at `path`: the spot-check keys and the rows tests look at."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        snapshot_db.create_schema(conn)
        snapshot_db.set_info(conn, kind="refreshed")
        snapshot_db.write_sources(conn, [SourceRow("fixture", "rows written by the test suite")])
        rows = [
            PriceRow("ec2.m5.large", "us-east-1", 0.096, "hour", "fixture", "2026-01-01"),
            PriceRow("ebs.gp3.storage", "us-east-1", 0.08, "GB-month", "fixture", "2026-01-01"),
            PriceRow("ebs.gp2.storage", "eu-west-1", 0.11, "GB-month", "fixture", "2026-01-01"),
            PriceRow("ebs.gp3.storage", "eu-west-1", 0.088, "GB-month", "fixture", "2026-01-01"),
            PriceRow("ec2.m4.xlarge", "eu-west-1", 0.2, "hour", "fixture", "2026-01-01"),
            PriceRow("nat.hour", "eu-west-1", 0.048, "hour", "fixture", "2026-01-01"),
            PriceRow("lambda.requests", "us-east-1", 0.2, "1M requests", "fixture", "2026-01-01"),
            *extra,
        ]
        snapshot_db.write_prices(conn, rows)
        snapshot_db.write_tiers(conn, shipped_tiers())
        conn.commit()
    finally:
        conn.close()


def run(client: Any, regions: list[str], services: list[str] | None, **kwargs: Any) -> tuple[int, str]:
    out = io.StringIO()
    code = refresh.run_refresh(regions, services, client=client, stream=out, **kwargs)
    return code, out.getvalue()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.parent.iterdir() if p.name != cache.name)


def nat_item(usd: str = "0.0480000000") -> str:
    attributes = {
        "usagetype": "EU-NatGateway-Hours",
        "regionCode": "eu-west-1",
        "location": "EU (Ireland)",
        "servicecode": "AmazonEC2",
    }
    return price_item("TESTNATHOURS0001", "NAT Gateway", attributes, [("Hrs", usd, "0", "Inf")])


# -- the client ---------------------------------------------------------------------------------------


def test_client_is_global_with_adaptive_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client = refresh.make_client()
    assert client.meta.region_name == "us-east-1"
    assert client.meta.config.retries["mode"] == "adaptive"
    assert client.meta.config.retries["total_max_attempts"] == 11  # botocore's count: 10 retries + 1


def test_boto3_is_imported_only_by_a_refresh() -> None:
    code = "import sys, advisor.pricing.refresh; print('boto3' in sys.modules, 'botocore' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "False"], done.stderr


# -- reading items and mapping products to keys ------------------------------------------------------


def test_price_list_item_reads_on_demand_only() -> None:
    item = ec2_item("m5.large", "0.0960000000", prefix="", location="US East (N. Virginia)")
    offers = refresh.parse_price_list_item(item, "2000-01-01")
    assert len(offers) == 1  # the Reserved term's two dimensions are not on-demand prices
    only = offers[0]
    assert (only.price, only.unit, only.begin, only.end) == (Decimal("0.096"), "Hrs", Decimal(0), None)
    assert only.as_of == "2019-01-16"
    assert only.attributes["instanceType"] == "m5.large"


@pytest.mark.parametrize(
    ("usage", "stripped"),
    [
        ("EU-BoxUsage:m4.xlarge", "BoxUsage:m4.xlarge"),
        ("USE2-EBS:VolumeUsage.gp3", "EBS:VolumeUsage.gp3"),
        ("APS3-Lambda-GB-Second", "Lambda-GB-Second"),
        ("BoxUsage:m5.large", "BoxUsage:m5.large"),
        ("IA-TimedStorage-ByteHrs", "IA-TimedStorage-ByteHrs"),  # a storage class, not a region
        ("NatGateway-Hours", "NatGateway-Hours"),
    ],
)
def test_usage_type_loses_only_the_region_prefix(usage: str, stripped: str) -> None:
    assert refresh.usage_type({"usagetype": usage}) == stripped


def new_batch(service: str = "test", region: str = "eu-west-1") -> refresh.Batch:
    ladders: dict[str, list[tuple[str, Decimal]]] = {}
    for tier in shipped_tiers():
        ladders.setdefault(tier.tier_group, []).append((tier.key, Decimal(repr(tier.tier_begin))))
    return refresh.Batch(service, region, refresh.SOURCE_QUERY, ladders, set())


def offer(
    family: str, attributes: dict[str, str], unit: str, usd: str, begin: str = "0", end: str | None = None
) -> Offer:
    return Offer(
        "SKU",
        family,
        attributes,
        unit,
        Decimal(usd),
        Decimal(begin),
        None if end is None else Decimal(end),
        "2026-06-01",
    )


def mapper(name: str) -> refresh.Mapper:
    return next(s for s in refresh.SERVICES if s.name == name).mapper


@pytest.mark.parametrize(
    ("service", "family", "attributes", "unit", "usd", "key", "value"),
    [
        (
            "ebs",
            "Storage",
            {"usagetype": "EU-EBS:VolumeUsage.gp3"},
            "GB-Mo",
            "0.088",
            "ebs.gp3.storage",
            0.088,
        ),
        (
            "ebs",
            "Provisioned Throughput",
            {"usagetype": "EU-EBS:VolumeP-Throughput.gp3"},
            "GiBps-mo",
            "45.056",
            "ebs.gp3.throughput",
            0.044,
        ),
        (
            "ebs",
            "System Operation",
            {"usagetype": "USE2-EBS:VolumeP-IOPS.io2.tier2"},
            "IOPS-Mo",
            "0.0455",
            "ebs.io2.iops.tier2",
            0.0455,
        ),
        (
            "ebs",
            "System Operation",
            {"usagetype": "EBS:VolumeIOUsage"},
            "IOs",
            "0.0000000500",
            "ebs.standard.io",
            0.05,
        ),
        (
            "ebs",
            "Storage Snapshot",
            {"usagetype": "EU-EBS:SnapshotUsage"},
            "GB-Mo",
            "0.05",
            "ebs.snapshot.storage",
            0.05,
        ),
        ("nat", "NAT Gateway", {"usagetype": "EU-NatGateway-Bytes"}, "GB", "0.048", "nat.data", 0.048),
        (
            "elb",
            "Load Balancer-Application",
            {"usagetype": "EU-LCUUsage"},
            "LCU-Hrs",
            "0.008",
            "elb.alb.lcu",
            0.008,
        ),
        (
            "elb",
            "Load Balancer-Network",
            {"usagetype": "EU-LoadBalancerUsage"},
            "Hrs",
            "0.0252",
            "elb.nlb.hour",
            0.0252,
        ),
        (
            "elb",
            "Load Balancer",
            {"usagetype": "EU-DataProcessing-Bytes"},
            "GB",
            "0.008",
            "elb.clb.data",
            0.008,
        ),
        (
            "vpc",
            "IP Address",
            {"usagetype": "EU-PublicIPv4:InUseAddress"},
            "Hrs",
            "0.005",
            "vpc.public_ipv4.hour",
            0.005,
        ),
        (
            "s3",
            "API Request",
            {"usagetype": "EU-Requests-Tier1"},
            "Requests",
            "0.000005",
            "s3.requests.tier1",
            0.005,
        ),
        (
            "s3",
            "Fee",
            {"usagetype": "EU-Monitoring-Automation-INT"},
            "Objects",
            "0.0000025",
            "s3.intelligent_tiering.monitoring",
            0.0025,
        ),
        (
            "dynamodb",
            "Amazon DynamoDB PayPerRequest Throughput",
            {"usagetype": "EU-WriteRequestUnits"},
            "WriteRequestUnits",
            "0.000000705",
            "dynamodb.ondemand.write",
            7.05e-7,
        ),
        (
            "cloudwatch",
            "Storage Snapshot",
            {"usagetype": "EU-TimedStorage-ByteHrs"},
            "GB-Mo",
            "0.03",
            "cloudwatch.logs.storage",
            0.03,
        ),
        (
            "eks",
            "Compute",
            {"usagetype": "EU-AmazonEKS-Hours:perCluster"},
            "Hrs",
            "0.10",
            "eks.cluster.hour",
            0.1,
        ),
        (
            "rds",
            "Database Instance",
            {
                "usagetype": "EU-InstanceUsage:db.m5.large",
                "databaseEngine": "PostgreSQL",
                "deploymentOption": "Single-AZ",
                "instanceType": "db.m5.large",
            },
            "Hrs",
            "0.191",
            "rds.postgres.single-az.db.m5.large",
            0.191,
        ),
        (
            "rds",
            "Database Storage",
            {"usagetype": "EU-RDS:Multi-AZ-GP3-Storage", "databaseEngine": "Any"},
            "GB-Mo",
            "0.254",
            "rds.storage.gp3.multi-az",
            0.254,
        ),
        (
            "elasticache",
            "Cache Instance",
            {
                "usagetype": "EU-NodeUsage:cache.t3.micro",
                "cacheEngine": "Valkey",
                "instanceType": "cache.t3.micro",
            },
            "Hrs",
            "0.0144",
            "elasticache.valkey.cache.t3.micro",
            0.0144,
        ),
    ],
)
def test_products_map_to_stable_keys(
    service: str, family: str, attributes: dict[str, str], unit: str, usd: str, key: str, value: float
) -> None:
    batch = new_batch()
    batch.consider(offer(family, attributes, unit, usd), mapper(service))
    assert list(batch.prices) == [key]
    assert float(batch.prices[key].value) == pytest.approx(value, rel=1e-12)


def test_products_that_no_key_uses_are_ignored() -> None:
    batch = new_batch()
    windows = refresh.parse_price_list_item(ec2_item("m5.large", "0.192", operating_system="Windows"), "")
    for o in windows:
        batch.consider(o, mapper("ec2"))
    batch.consider(
        offer("Storage", {"usagetype": "EU-IA-TimedStorage-ByteHrs"}, "GB-Mo", "0.1"), mapper("dynamodb")
    )
    batch.consider(
        offer("Storage", {"usagetype": "EU-EBS:VolumeUsage.gp3", "regionCode": "us-east-2"}, "GB-Mo", "0.08"),
        mapper("ebs"),
    )
    batch.consider(
        offer("Serverless", {"group": "AWS-Lambda-Requests", "location": "Any"}, "Requests", "0.0000002"),
        mapper("lambda"),
    )
    assert batch.prices == {}


def test_free_allowances_tiers_and_units() -> None:
    batch = new_batch()
    wcu = {"usagetype": "EU-WriteCapacityUnit-Hrs"}
    batch.consider(
        offer("Provisioned IOPS", wcu, "WriteCapacityUnit-Hrs", "0", "0", "18600"), mapper("dynamodb")
    )
    batch.consider(
        offer("Provisioned IOPS", wcu, "WriteCapacityUnit-Hrs", "0.000735", "18600"), mapper("dynamodb")
    )
    s3 = {"usagetype": "EU-TimedStorage-ByteHrs"}
    batch.consider(offer("Storage", s3, "GB-Mo", "0.022", "51200", "512000"), mapper("s3"))
    batch.consider(offer("Storage", s3, "GB-Mo", "0.021", "1234"), mapper("s3"))  # not a boundary we know
    batch.consider(
        offer("Load Balancer-Application", {"usagetype": "LCUUsage"}, "LCU-Mo", "5.84"), mapper("elb")
    )
    assert float(batch.prices["dynamodb.provisioned.wcu"].value) == 0.000735  # the free tier is not a price
    assert float(batch.prices["s3.standard.storage.tier2"].value) == 0.022
    assert batch.off_ladder == 1
    assert "elb.alb.lcu" not in batch.prices and batch.odd_units == {"'LCU-Mo' for elb.alb.lcu": 1}


# -- refreshing through GetProducts -------------------------------------------------------------------


def test_paging_follows_next_token(stub: tuple[Any, Stubber], cache: Path) -> None:
    client, stubber = stub
    write_base(cache)
    items = m4_xlarge_eu_west_1()
    add_pages(stubber, "AmazonEC2", "eu-west-1", EC2_FILTERS, [items[:10], items[10:]])
    code, out = run(client, ["eu-west-1"], ["ec2"])
    assert code == 0, out
    stubber.assert_no_pending_responses()
    with Catalog.open(cache) as catalog:
        m4 = catalog.price("ec2.m4.xlarge", "eu-west-1")
        assert m4 is not None
        assert (m4.value, m4.unit, m4.source, m4.as_of) == (0.222, "hour", "aws-price-list-api", "2019-01-16")
        facts = catalog.instance_type("m4.xlarge")
        assert facts is not None and (facts.vcpu, facts.memory_gib, facts.arch) == (4, 16.0, "x86_64")
    assert "ec2 eu-west-1: 1 prices from 15 products (2 pages), as of 2019-01-16" in out
    assert leftovers(cache) == []


def test_throttling_is_retried_and_resumes_from_the_last_page(
    stub: tuple[Any, Stubber], cache: Path, waits: list[float]
) -> None:
    client, stubber = stub
    write_base(cache)
    items = m4_xlarge_eu_west_1()
    stubber.add_client_error(
        "get_products",
        service_error_code="ThrottlingException",
        service_message="Rate exceeded",
        http_status_code=400,
        expected_params=request("AmazonEC2", "eu-west-1", EC2_FILTERS),
    )
    stubber.add_response(
        "get_products",
        {"FormatVersion": "aws_v1", "PriceList": items[:5], "NextToken": "token-2"},
        request("AmazonEC2", "eu-west-1", EC2_FILTERS),
    )
    stubber.add_client_error(
        "get_products",
        service_error_code="ThrottlingException",
        http_status_code=400,
        expected_params=request("AmazonEC2", "eu-west-1", EC2_FILTERS, "token-2"),
    )
    stubber.add_response(
        "get_products",
        {"FormatVersion": "aws_v1", "PriceList": items[5:]},
        request("AmazonEC2", "eu-west-1", EC2_FILTERS, "token-2"),
    )
    code, out = run(client, ["eu-west-1"], ["ec2"])
    assert code == 0, out
    stubber.assert_no_pending_responses()  # page one was not fetched twice
    assert len(waits) == 2
    with Catalog.open(cache) as catalog:
        m4 = catalog.price("ec2.m4.xlarge", "eu-west-1")
        assert m4 is not None and m4.value == 0.222


def test_endless_throttling_fails_that_service_only(stub: tuple[Any, Stubber], cache: Path) -> None:
    client, stubber = stub
    write_base(cache)
    before = digest(cache)
    for _ in range(refresh.THROTTLE_RETRIES + 1):
        stubber.add_client_error(
            "get_products", service_error_code="ThrottlingException", http_status_code=400
        )
    code, out = run(client, ["eu-west-1"], ["nat"])
    assert code == 1
    assert "throttling" in out and "nothing was refreshed" in out
    assert digest(cache) == before and leftovers(cache) == []


def test_malformed_items_are_skipped_with_a_warning(stub: tuple[Any, Stubber], cache: Path) -> None:
    client, stubber = stub
    write_base(cache)
    page = [
        '{"product": {"sku": "X"',
        nat_item("0.0500000000"),
        '{"product": 5}',
        "[]",
        '{"product": {}, "terms": {"OnDemand": {"t": {"priceDimensions": {"r": {"unit": "Hrs", "pricePerUnit": {"USD": "abc"}}}}}}}',
    ]
    add_service(stubber, "nat", "eu-west-1", page)
    code, out = run(client, ["eu-west-1"], ["nat"])
    assert code == 0, out
    assert "warning: nat eu-west-1: skipped 4 unreadable price list items" in out
    with Catalog.open(cache) as catalog:
        nat = catalog.price("nat.hour", "eu-west-1")
        assert nat is not None and (nat.value, nat.source) == (0.05, "aws-price-list-api")


def test_an_empty_price_list_changes_nothing(stub: tuple[Any, Stubber], cache: Path) -> None:
    client, stubber = stub
    write_base(cache)
    before = digest(cache)
    add_service(stubber, "nat", "eu-west-1", [])
    code, out = run(client, ["eu-west-1"], ["nat"])
    assert code == 1
    assert "nat eu-west-1: AWS returned no usable prices (0 products read)" in out
    assert digest(cache) == before and leftovers(cache) == []


def test_access_denied_names_the_iam_actions(stub: tuple[Any, Stubber], cache: Path) -> None:
    client, stubber = stub
    write_base(cache)
    before = digest(cache)
    stubber.add_client_error(
        "get_products",
        service_error_code="AccessDeniedException",
        service_message="User: arn:aws:iam::123456789012:user/ci is not authorized to perform: pricing:GetProducts",
        http_status_code=400,
    )
    code, out = run(client, ["eu-west-1"], ["ec2"])
    assert code == 2
    assert out.count("\n") == 1 and out.startswith("advisor: AWS denied pricing:GetProducts")
    assert "pricing:ListPriceLists" in out and "pricing:GetPriceListFileUrl" in out
    assert digest(cache) == before and leftovers(cache) == []


def test_missing_credentials_say_how_to_configure_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cache: Path
) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # A real client with nothing to sign with; its endpoint is a closed loopback port, never the internet.
    client = boto3.session.Session().client(
        "pricing", region_name="us-east-1", endpoint_url="http://127.0.0.1:9"
    )
    code, out = run(client, ["us-east-1"], ["eks"], use_bulk=False)
    assert code == 2
    assert out.count("\n") == 1 and out.startswith("advisor: no AWS credentials found")
    assert "aws configure" in out and "AWS_ACCESS_KEY_ID" in out
    assert not cache.exists() and leftovers(cache) == []


def test_interrupted_refresh_keeps_the_previous_file(stub: tuple[Any, Stubber], cache: Path) -> None:
    client, stubber = stub
    write_base(cache)
    before = digest(cache)
    add_pages(stubber, "AmazonEC2", "eu-west-1", EC2_FILTERS, [m4_xlarge_eu_west_1()])
    seen: list[list[str]] = []

    def interrupt_second_query(**_: Any) -> None:
        if len(seen) == 1:
            seen.append(leftovers(cache))
            raise KeyboardInterrupt
        seen.append([])

    client.meta.events.register("provide-client-params.pricing.GetProducts", interrupt_second_query)
    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        refresh.run_refresh(["eu-west-1"], ["ec2", "nat"], client=client, stream=out)
    assert len(seen[1]) == 1 and seen[1][0].endswith(".tmp")  # the new file was half written ...
    assert leftovers(cache) == []  # ... and is gone
    assert digest(cache) == before
    with Catalog.open(cache) as catalog:
        m4 = catalog.price("ec2.m4.xlarge", "eu-west-1")
        assert m4 is not None and (m4.value, m4.source) == (0.2, "fixture")
    assert "interrupted; the previous prices are still in use" in out.getvalue()


def test_one_failing_service_does_not_stop_the_others(stub: tuple[Any, Stubber], cache: Path) -> None:
    client, stubber = stub
    write_base(cache)
    add_pages(stubber, "AmazonEC2", "eu-west-1", EC2_FILTERS, [m4_xlarge_eu_west_1()])
    stubber.add_client_error(
        "get_products",
        service_error_code="InternalErrorException",
        service_message="oops",
        http_status_code=500,
    )
    code, out = run(client, ["eu-west-1"], ["ec2", "nat"])
    assert code == 1
    assert (
        "not refreshed (previous prices kept): nat eu-west-1: GetProducts failed: InternalErrorException"
        in out
    )
    with Catalog.open(cache) as catalog:
        m4, nat = catalog.price("ec2.m4.xlarge", "eu-west-1"), catalog.price("nat.hour", "eu-west-1")
        assert m4 is not None and m4.source == "aws-price-list-api"
        assert nat is not None and nat.source == "fixture"


def test_a_tenfold_price_is_not_stored(stub: tuple[Any, Stubber], cache: Path) -> None:
    client, stubber = stub
    write_base(cache)
    storage = [
        price_item(
            "TESTGP3STORAGE01",
            "Storage",
            {"usagetype": "EU-EBS:VolumeUsage.gp3", "regionCode": "eu-west-1"},
            [("GB-Mo", "8.80", "0", "Inf")],
        ),
        price_item(
            "TESTGP2STORAGE01",
            "Storage",
            {"usagetype": "EU-EBS:VolumeUsage.gp2", "regionCode": "eu-west-1"},
            [("GB-Mo", "0.1100000000", "0", "Inf")],
        ),
        price_item(
            "TESTSC1STORAGE01",
            "Storage",
            {"usagetype": "EU-EBS:VolumeUsage.sc1", "regionCode": "eu-west-1"},
            [("GB-Mo", "0.0168", "0", "Inf")],
        ),
    ]
    add_service(stubber, "ebs", "eu-west-1", storage)
    code, out = run(client, ["eu-west-1"], ["ebs"])
    assert code == 0, out
    assert "kept the previous price where the new one moved tenfold: ebs.gp3.storage 0.088 -> 8.8" in out
    with Catalog.open(cache) as catalog:
        gp3, gp2 = (
            catalog.price("ebs.gp3.storage", "eu-west-1"),
            catalog.price("ebs.gp2.storage", "eu-west-1"),
        )
        assert gp3 is not None and (gp3.value, gp3.source) == (0.088, "fixture")
        assert gp2 is not None and (gp2.value, gp2.source) == (0.11, "aws-price-list-api")


def shipped_ec2(region: str) -> dict[str, float]:
    conn = snapshot_db.connect_readonly(shipped_db_path(), immutable=True)
    try:
        rows = conn.execute(
            "SELECT key, value FROM price JOIN region ON region.id = price.region"
            " WHERE region.code = ? AND key GLOB 'ec2.*'",
            (region,),
        ).fetchall()
    finally:
        conn.close()
    return {str(k)[4:]: float(v) for k, v in rows}


def test_refreshed_file_replaces_the_snapshot_and_wins(
    stub: tuple[Any, Stubber], cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client, stubber = stub
    shipped = shipped_ec2("eu-west-1")
    assert len(shipped) > 500 and not cache.exists()
    items = [
        ec2_item(name, f"{value:.10f}", region_code="eu-west-1")
        for name, value in sorted(shipped.items())
        if name != "m4.xlarge"
    ]
    items += m4_xlarge_eu_west_1()
    items.append(ec2_item("zz9.large", "0.1234000000", region_code="eu-west-1"))  # a type the snapshot lacks
    pages = [items[i : i + 100] for i in range(0, len(items), 100)]
    add_pages(stubber, "AmazonEC2", "eu-west-1", EC2_FILTERS, pages)
    code, out = run(client, ["eu-west-1"], ["ec2"])
    assert code == 0, out
    stubber.assert_no_pending_responses()
    assert leftovers(cache) == []
    assert out.splitlines()[0] == (
        f"ec2 eu-west-1: {len(shipped) + 1} prices from {len(items)} products ({len(pages)} pages), as of 2019-01-16"
    )
    assert "\r" not in out  # not a terminal: one line per service, no live progress

    with Catalog.shipped() as before, Catalog.open(cache) as after:
        m4 = after.price("ec2.m4.xlarge", "eu-west-1")
        assert m4 is not None
        assert (m4.value, m4.source, m4.as_of, m4.estimate) == (
            0.222,
            "aws-price-list-api",
            "2019-01-16",
            False,
        )
        for key, region in [
            ("ec2.m5.large", "us-east-1"),
            ("ebs.gp3.storage", "eu-west-1"),
            ("rds.mysql.single-az.db.m5.large", "eu-west-1"),
        ]:
            assert after.price(key, region) == before.price(
                key, region
            )  # untouched keys keep snapshot values
        new = after.instance_type("zz9.large")
        assert new is not None and (new.vcpu, new.arch, new.generation) == (4, "x86_64", "current")

    Catalog.reset_default()
    catalog = Catalog.default()
    assert catalog.kind == "refreshed" and catalog.path == cache
    status = catalog.status()
    assert status["source"] == "refreshed" and status["info"]["kind"] == "refreshed"
    assert status["info"]["refreshed"] == "ec2 eu-west-1"
    dates = {s["name"]: s["as_of"] for s in status["sources"]}
    assert dates["aws-price-list-api"] == ["2019-01-16"]
    assert dates["karpenter"] == ["2026-07-20"]  # other sources keep their own dates

    from advisor.cli import main

    capsys.readouterr()
    assert main(["pricing", "status"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Prices: refreshed,") and "aws-price-list-api" in printed


def test_an_incomplete_answer_is_rejected(stub: tuple[Any, Stubber], cache: Path) -> None:
    client, stubber = stub
    add_pages(stubber, "AmazonEC2", "eu-west-1", EC2_FILTERS, [m4_xlarge_eu_west_1()])
    code, out = run(client, ["eu-west-1"], ["ec2"])
    assert code == 1
    assert "ec2 eu-west-1: only 1 prices where the current data has" in out and "looks incomplete" in out
    assert not cache.exists() and leftovers(cache) == []
    Catalog.reset_default()
    assert Catalog.default().kind == "snapshot"


def test_too_many_new_keys_are_rejected(stub: tuple[Any, Stubber], cache: Path) -> None:
    client, stubber = stub
    sizes = [f"c9.size{i}" for i in range(25)]
    write_base(
        cache,
        tuple(PriceRow(f"ec2.{n}", "eu-west-1", 0.1, "hour", "fixture", "2026-01-01") for n in sizes[:20]),
    )
    # 20 known rows plus ec2.m4.xlarge; 25 + 1 answered, so 5 new keys: more than 20 % growth
    add_pages(
        stubber,
        "AmazonEC2",
        "eu-west-1",
        EC2_FILTERS,
        [[ec2_item(n, "0.1000000000") for n in sizes] + m4_xlarge_eu_west_1()],
    )
    code, out = run(client, ["eu-west-1"], ["ec2"])
    assert code == 1
    assert "ec2 eu-west-1: 5 new keys on top of 21 (more than +20 %): looks wrong" in out


def test_stale_temporary_files_are_cleaned_up(
    stub: tuple[Any, Stubber], cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, stubber = stub
    write_base(cache)
    old = cache.with_name(f".{cache.name}.killed.tmp")
    old.write_bytes(b"half a database")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    recent = cache.with_name(f".{cache.name}.running.tmp")
    recent.write_bytes(b"another refresh at work")
    monkeypatch.setenv("ADVISOR_PRICING_DB", str(cache))
    add_service(stubber, "nat", "eu-west-1", [nat_item()])
    code, out = run(client, ["eu-west-1"], ["nat"])
    assert code == 0, out
    assert leftovers(cache) == [recent.name]
    assert "note: ADVISOR_PRICING_DB is set, so lookups keep using that file" in out


def test_progress_is_live_on_a_terminal(stub: tuple[Any, Stubber], cache: Path) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    client, stubber = stub
    write_base(cache)
    add_service(stubber, "nat", "eu-west-1", [nat_item()])
    screen = Terminal()
    assert refresh.run_refresh(["eu-west-1"], ["nat"], client=client, stream=screen) == 0
    text = screen.getvalue()
    assert "\r\x1b[Knat eu-west-1: AmazonEC2 NAT Gateway page 1, 1 products, 1 prices" in text
    assert "nat eu-west-1: 1 prices from 1 products (1 pages)" in text


@pytest.mark.parametrize(
    ("regions", "services", "message"),
    [
        (["cn-north-1"], None, "China regions have their own price list"),
        (["europe"], None, "'europe' is not an AWS region code"),
        (["eu-west-1"], ["ec3"], "unknown service 'ec3'; choose from: ec2, ebs, nat"),
    ],
)
def test_bad_arguments_exit_2(
    regions: list[str], services: list[str] | None, message: str, cache: Path
) -> None:
    code, out = run(None, regions, services)
    assert code == 2 and message in out and not cache.parent.exists()


def test_plan_accepts_aliases_and_commas() -> None:
    plan = refresh.plan_refresh(["eu-west-1,us-east-1", "eu-west-1"], ["logs,ipv4", "aurora", "logs"])
    assert plan.regions == ("eu-west-1", "us-east-1")
    assert [s.name for s in plan.services] == ["cloudwatch", "vpc", "rds"]
    assert [s.name for s in refresh.plan_refresh([], None).services] == [s.name for s in refresh.SERVICES]


# -- offer files ------------------------------------------------------------------------------------------


def stub_offer_file(stubber: Stubber, code: str, region: str, url: str) -> None:
    arn = f"arn:aws:pricing:::price-list/aws/{code}/USD/20260615180411/{region}"
    stubber.add_response(
        "list_price_lists",
        {
            "PriceLists": [
                {
                    "PriceListArn": arn,
                    "RegionCode": region,
                    "CurrencyCode": "USD",
                    "FileFormats": ["json", "csv"],
                }
            ]
        },
        {"ServiceCode": code, "EffectiveDate": ANY, "CurrencyCode": "USD", "RegionCode": region},
    )
    stubber.add_response("get_price_list_file_url", {"Url": url}, {"PriceListArn": arn, "FileFormat": "csv"})


def test_offer_file_over_http_fills_tiers(
    stub: tuple[Any, Stubber], cache: Path, offer_server: tuple[str, Path]
) -> None:
    client, stubber = stub
    base_url, root = offer_server
    path = "offers/v1.0/aws/AWSLambda/20260615180411/eu-west-1/index.csv"
    (root / path).parent.mkdir(parents=True)
    (root / path).write_bytes(LAMBDA_CSV.read_bytes())
    write_base(cache)
    stub_offer_file(stubber, "AWSLambda", "eu-west-1", f"{base_url}/{path}")
    code, out = run(client, ["eu-west-1"], ["lambda"])
    assert code == 0, out
    stubber.assert_no_pending_responses()
    assert "lambda eu-west-1: 7 prices from 12 products (offer file), as of 2026-06-15" in out
    with Catalog.open(cache) as catalog:
        ladder = catalog.tiers("lambda.x86_64.duration", "eu-west-1")
        assert [(b, e, p.value, p.region, p.estimate) for b, e, p in ladder] == [
            (0.0, 6e9, 0.0000166667, "eu-west-1", False),
            (6e9, 15e9, 0.000015, "eu-west-1", False),
            (15e9, None, 0.0000133334, "eu-west-1", False),
        ]
        arm = catalog.tiers("lambda.arm64.duration", "eu-west-1")
        assert [p.value for _b, _e, p in arm] == [0.0000133334, 0.0000120001, 0.0000106667]
        requests = catalog.price("lambda.requests", "eu-west-1")
        assert requests is not None
        assert (requests.value, requests.unit, requests.source, requests.as_of) == (
            0.2,  # 0.0000002 per request, stored per million; the us-east-2 row in the file is ignored
            "1M requests",
            "aws-price-list-bulk",
            "2026-06-15",
        )
        sources = {s["name"]: s for s in catalog.status()["sources"]}
        assert sources["aws-price-list-bulk"]["as_of"] == ["2026-06-15"]


def test_a_rejected_offer_file_falls_back_to_get_products(
    stub: tuple[Any, Stubber], cache: Path, offer_server: tuple[str, Path]
) -> None:
    client, stubber = stub
    base_url, root = offer_server
    (root / "index.csv").write_bytes(b"sep=,\n" + LAMBDA_CSV.read_bytes())
    write_base(cache)
    stub_offer_file(stubber, "AWSLambda", "eu-west-1", f"{base_url}/index.csv")
    requests = price_item(
        "TESTLAMBDAREQS01",
        "Serverless",
        {
            "group": "AWS-Lambda-Requests",
            "usagetype": "EU-Request",
            "regionCode": "eu-west-1",
            "servicecode": "AWSLambda",
        },
        [("Requests", "0.0000002000", "0", "Inf")],
    )
    add_service(stubber, "lambda", "eu-west-1", [requests])
    code, out = run(client, ["eu-west-1"], ["lambda"])
    assert code == 0, out
    assert "note: lambda eu-west-1: offer file not usable: the first line is 'sep=,'" in out
    with Catalog.open(cache) as catalog:
        price = catalog.price("lambda.requests", "eu-west-1")
        assert price is not None and (price.value, price.source) == (0.2, "aws-price-list-api")


def test_offer_file_access_denied_falls_back_too(stub: tuple[Any, Stubber], cache: Path) -> None:
    client, stubber = stub
    write_base(cache)
    stubber.add_client_error(
        "list_price_lists", service_error_code="AccessDeniedException", http_status_code=400
    )
    eks = price_item(
        "TESTEKSCLUSTER01",
        "Compute",
        {"usagetype": "EU-AmazonEKS-Hours:perCluster", "regionCode": "eu-west-1"},
        [("Hrs", "0.1000000000", "0", "Inf")],
    )
    add_service(stubber, "eks", "eu-west-1", [eks])
    code, out = run(client, ["eu-west-1"], ["eks"])
    assert code == 0, out
    assert "not allowed to list offer files (pricing:ListPriceLists, pricing:GetPriceListFileUrl)" in out


def lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


GOOD = LAMBDA_CSV.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("sep=,\n" + GOOD, "the first line is 'sep=,'"),
        ("".join(lines(GOOD)[5:]), "no offer-file preamble: the first line starts with 'SKU'"),
        ("some \nheader \nfrom \nAWS \n" + "".join(lines(GOOD)[5:]), "no offer-file preamble"),
        ("".join(lines(GOOD)[:3]) + "Version,202E+13\n" + "".join(lines(GOOD)[4:]), "is not a timestamp"),
        (
            "FormatVersion,v1.0,,,,\n" + "".join(lines(GOOD)[1:]),
            "preamble line 1 is not a known name/value pair",
        ),
        ("".join(lines(GOOD)[:3]), "ends after 3 lines, before its header row"),
        ("".join(lines(GOOD)[:5]) + "".join(lines(GOOD)[:6]), "no header row (starting with SKU) after 5"),
        ("".join(lines(GOOD)[:5]) + '"SKU","TermType","Unit"\n', "the header row lacks the columns"),
        ('"FormatVersion","v2.0"\n' + "".join(lines(GOOD)[1:]), "unsupported offer file format 'v2.0'"),
        ("", "the file is empty"),
    ],
    ids=[
        "sep-line",
        "no-preamble",
        "placeholder-preamble",
        "spreadsheet-version",
        "padded",
        "truncated-preamble",
        "repeated-preamble",
        "short-header",
        "format-v2",
        "empty",
    ],
)
def test_malformed_offer_files_are_rejected(text: str, problem: str) -> None:
    with pytest.raises(OfferFileError, match=re.escape(problem)):
        read_offer_csv(io.StringIO(text, newline=""))


def test_unreadable_rows_are_skipped_and_counted() -> None:
    header_and_rows = lines(GOOD)
    bad_price = header_and_rows[6].replace('"0.0000166667"', '"INVALID"')
    text = GOOD + "INVALID\n" + bad_price + "\n" + header_and_rows[7][:60]  # the last row is cut short
    parsed = read_offer_csv(io.StringIO(text, newline=""))
    assert (parsed.offer_code, parsed.version, parsed.as_of) == ("AWSLambda", "20260615180411", "2026-06-15")
    offers = list(parsed.offers("eu-west-1"))
    assert len(offers) == 11  # 12 rows, less the one for us-east-2
    assert parsed.skipped == 3 and "expected 22" in parsed.first_problem
    tiers = [(o.begin, o.end, o.price) for o in offers if o.sku == "TESTSKUX86DURATN"]
    assert tiers == [
        (0, Decimal(6000000000), Decimal("0.0000166667")),
        (Decimal(6000000000), Decimal(15000000000), Decimal("0.0000150000")),
        (Decimal(15000000000), None, Decimal("0.0000133334")),
    ]
    assert (
        offers[0].attributes["usagetype"] == "EU-Lambda-GB-Second"
        and offers[0].attributes["regionCode"] == "eu-west-1"
    )


def test_a_download_that_breaks_off_is_rejected(offer_server: tuple[str, Path]) -> None:
    base_url, _root = offer_server
    with pytest.raises(OfferFileError, match="broke off"):
        read_offers(f"{base_url}/truncated/index.csv", keep=lambda _o: True)


def test_download_streams_and_reports_progress(offer_server: tuple[str, Path]) -> None:
    base_url, root = offer_server
    (root / "index.csv").write_bytes(LAMBDA_CSV.read_bytes())
    seen: list[tuple[int, int | None]] = []
    stream = read_offers(
        f"{base_url}/index.csv",
        keep=lambda o: o.attributes.get("group") == "AWS-Lambda-Requests",
        region="eu-west-1",
        progress=lambda d, t: seen.append((d, t)),
    )
    assert [o.sku for o in stream.offers] == ["TESTSKUX86REQSTS", "TESTSKUFREEREQST"]
    size = LAMBDA_CSV.stat().st_size
    assert seen and seen[-1] == (size, size)
    with pytest.raises(OfferFileError, match="cannot download"):
        read_offers(f"{base_url}/missing.csv", keep=lambda _o: True)


@pytest.mark.parametrize(
    "url", ["http://example.com/index.csv", "file:///etc/passwd", "ftp://127.0.0.1/x.csv"]
)
def test_only_https_or_loopback_is_opened(url: str) -> None:
    with pytest.raises(OfferFileError, match="only https"):
        open_url(url)


@pytest.mark.parametrize(
    ("column", "attribute"),
    [
        ("Instance Type", "instanceType"),
        ("usageType", "usagetype"),
        ("Pre Installed S/W", "preInstalledSw"),
        ("Region Code", "regionCode"),
        ("Group", "group"),
    ],
)
def test_csv_columns_use_the_api_attribute_names(column: str, attribute: str) -> None:
    assert attribute_name(column) == attribute
