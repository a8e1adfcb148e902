"""`advisor pricing refresh` for Lightsail instance bundles (AmazonLightsail).

The Price List API is played by botocore's Stubber on a real `pricing` client, as in
test_pricing_refresh_services.py, answering with `PriceList` JSON strings in the shape AWS returns them.
Lightsail's `Lightsail Instance` products name a bundle by its memory in the usage type
(`USE1-BundleUsage:0.5GB`, `_win` for Windows, `_IPv6` for the IPv6-only bundles), with `vcpu`, `memory`
and `operatingSystem` beside it. The figures are the monthly bundle prices over 744 hours, as the
snapshot keeps them; one product prices both bundle versions of its size.
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
from test_pricing_refresh_services import item, offer, queue, refresh_queued

HOURS = 730


def bundle(sku: str, usage: str, memory: str, vcpu: str, system: str, usd: str, unit: str = "Hrs") -> str:
    attributes = {"usagetype": f"USE1-{usage}", "memory": memory, "vcpu": vcpu, "operatingSystem": system,
                  "group": "Lightsail Instance"}  # fmt: skip
    return item("AmazonLightsail", sku, "Lightsail Instance", attributes, unit, usd)


LIGHTSAIL = [
    bundle("LS1", "BundleUsage:0.5GB", "0.5GB", "2", "Linux", "0.0067204301"),  # $5 a month
    bundle("LS2", "BundleUsage:4GB", "4GB", "2", "Linux", "0.0322580645"),  # $24
    bundle("LS3", "BundleUsage:4GB_win", "4GB", "2", "Windows", "0.0591397849"),  # $44
    bundle("LS4", "BundleUsage:64GB", "64GB", "16", "Linux", "0.5161290323"),  # $384, no shipped row
    # the IPv6-only bundle of the same size is cheaper and carries no key
    bundle("LS5", "BundleUsage:0.5GB_IPv6", "0.5GB", "2", "Linux", "0.0047043011"),
    # a figure per month is not an hourly price: reported, never stored
    bundle("LS6", "BundleUsage:8GB", "8GB", "2", "Linux", "44.0000000000", unit="Month"),
]


@pytest.fixture()
def refreshed(stub: tuple[Any, Stubber], cache: Path) -> Iterator[tuple[Path, str]]:  # noqa: F811
    stubber = stub[1]
    queue(stubber, "lightsail", {"Lightsail Instance": LIGHTSAIL})
    yield cache, refresh_queued(stub, cache, ["lightsail"])


EXPECTED = {
    "lightsail.nano_2_0": 0.0067204301,
    "lightsail.nano_3_0": 0.0067204301,
    "lightsail.medium_2_0": 0.0322580645,
    "lightsail.medium_3_0": 0.0322580645,
    "lightsail.medium_win_2_0": 0.0591397849,
    "lightsail.medium_win_3_0": 0.0591397849,
    "lightsail.4xlarge_2_0": 0.5161290323,
    "lightsail.4xlarge_3_0": 0.5161290323,
}


def test_refresh_maps_lightsail_bundles_to_both_versions(refreshed: tuple[Path, str]) -> None:
    path, out = refreshed
    lines = out.splitlines()
    assert lines[0] == (
        "warning: lightsail us-east-1: skipped offers with an unexpected unit:"
        " 'Month' for lightsail.large_2_0 ×1"
    )
    assert lines[1].startswith("lightsail us-east-1: 8 prices from 6 products"), lines[1]
    with Catalog.open(path) as after, Catalog.shipped() as before:
        for key, value in EXPECTED.items():
            price = after.price(key, "us-east-1")
            assert price is not None, key
            assert (price.value, price.unit, price.source, price.as_of) == pytest.approx(
                (value, "hour", "aws-price-list-api", "2026-11-20")
            ), key
        assert after.price("lightsail.large_2_0", "us-east-1") == before.price(
            "lightsail.large_2_0", "us-east-1"
        )
        assert before.price("lightsail.4xlarge_3_0", "us-east-1") is None


def test_the_refreshed_figure_reaches_advisor_cost(refreshed: tuple[Path, str], tmp_path: Path) -> None:
    path, _out = refreshed
    root = tmp_path / "project"
    root.mkdir()
    (root / "main.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\n'
        'resource "aws_lightsail_instance" "web" {\n'
        '  name              = "web"\n'
        '  availability_zone = "us-east-1a"\n'
        '  blueprint_id      = "ubuntu_22_04"\n'
        '  bundle_id         = "4xlarge_3_0"\n'
        "}\n"
    )
    env = {"ADVISOR_PRICING_DB": str(path), "ADVISOR_NO_CACHE": "1"}
    result = run_cli("cost", ".", "-f", "json", cwd=root, env=env)
    assert result.returncode == 0, result.stderr
    (web,) = json.loads(result.stdout)["resources"]
    (server,) = web["components"]
    assert (server["unit_price"], server["source"], server["as_of"]) == (
        0.5161290323,
        "aws-price-list-api",
        "2026-11-20",
    )
    assert web["monthly_cost"] == round(HOURS * 0.5161290323, 2)


@pytest.mark.parametrize(
    ("family", "usage", "key"),
    [
        ("Lightsail Instance", "EU-BundleUsage:2GB", "lightsail.small_2_0"),
        ("Lightsail Instance", "BundleUsage:32GB_win", "lightsail.2xlarge_win_2_0"),
        ("Lightsail Instance", "BundleUsage:1GB_IPv6", None),
        ("Lightsail Instance", "BundleUsage:3GB", None),
        ("Lightsail Database", "BundleUsage:1GB", None),
    ],
)
def test_products_map_to_keys_or_to_nothing(family: str, usage: str, key: str | None) -> None:
    service = next(s for s in refresh.SERVICES if s.name == "lightsail")
    target = service.mapper(offer(family, {"usagetype": usage}))
    assert (target.key if target else None) == key
    if target is not None:
        assert target.also == (key.replace("_2_0", "_3_0"),)  # type: ignore[union-attr]
