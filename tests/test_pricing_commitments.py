"""Reserved and spot prices beside the on-demand price: hovers from the real server over stdio,
`advisor cost --format json` from the real command line, the spot fetch against botocore's Stubber on
a real EC2 client, and the derivation of the reserved table.

The expected figures are AWS's published prices, written out by hand (730 hours a month):

- m5.large, us-east-1: on-demand $0.096/h = $70.08; standard 1 yr no upfront $0.060/h = $43.80
  (-37.5 %, shown -38 %); 3 yr no upfront $0.041/h = $29.93 (-57.3 %).
- t3.medium, eu-west-1: on-demand $0.0456/h; 1 yr $0.0287/h; 3 yr $0.0197/h. Two instances:
  1,460 h = $66.58 on-demand, $41.90 (-37 %), $28.76 (-57 %).
- RDS MySQL Multi-AZ db.m5.large, us-east-1: on-demand $0.342/h = $249.66; 1 yr no upfront
  $0.2191/h = $159.94 (-35.9 %, shown -36 %).
- RDS PostgreSQL Single-AZ db.m5.large, eu-west-1: on-demand $0.197/h; 1 yr $0.1386/h = $101.18
  (-29.6 %, shown -30 %).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from advisor.pricing import commitments
from advisor.pricing.catalog import Catalog
from conftest import run_cli
from lsp_fixtures.harness import Editor, editor
from lsprotocol import types as lsp

DATA = Path(commitments.__file__).resolve().parent / "data"

EC2 = (
    'provider "aws" {\n  region = "us-east-1"\n}\n\n'
    'resource "aws_instance" "web" {\n  ami           = "ami-1"\n  instance_type = "m5.large"\n}\n'
)
RDS = (
    'provider "aws" {\n  region = "us-east-1"\n}\n\n'
    'resource "aws_db_instance" "db" {\n  engine            = "mysql"\n'
    '  instance_class    = "db.m5.large"\n  allocated_storage = 20\n  multi_az          = true\n}\n'
)
RDS_EU = (
    'provider "aws" {\n  region = "eu-west-1"\n}\n\n'
    'resource "aws_db_instance" "db" {\n  engine            = "postgres"\n'
    '  instance_class    = "db.m5.large"\n  allocated_storage = 20\n}\n'
)
MARIADB = (
    'resource "aws_db_instance" "db" {\n  engine            = "mariadb"\n'
    '  instance_class    = "db.m5.large"\n  allocated_storage = 20\n}\n'
)
# AWS's reserved-price file for RDS in ap-southeast-4 was not published in the source: on-demand only
RDS_NO_RESERVED = (
    'provider "aws" {\n  region = "ap-southeast-4"\n}\n\n'
    'resource "aws_db_instance" "db" {\n  engine            = "mysql"\n'
    '  instance_class    = "db.m5.large"\n  allocated_storage = 20\n}\n'
)
GROUP = (
    'provider "aws" {\n  region = "eu-west-1"\n}\n\n'
    'resource "aws_launch_template" "worker" {\n  image_id      = "ami-1"\n  instance_type = "t3.medium"\n}\n\n'
    'resource "aws_autoscaling_group" "worker" {\n  desired_capacity = 2\n  max_size = 4\n  min_size = 1\n'
    "  launch_template {\n    id = aws_launch_template.worker.id\n  }\n}\n"
)
CFN = (
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Web:\n    Type: AWS::EC2::Instance\n"
    "    Properties:\n      ImageId: ami-1\n      InstanceType: m5.large\n"
)

EC2_RESERVED = (
    "- Reserved 1 yr, no upfront: $43.80/mo (−38%) · 3 yr: $29.93/mo (−57%)"
    " — ec2shop-reserved as of 2025-04-05"
)
SPOT_NOT_SHIPPED = "- Spot: not in the snapshot; `advisor pricing refresh --spot` fetches current prices"
RDS_3Y = "3 yr: AWS sells 3-year RDS terms only with an upfront payment; not in the snapshot"

in_module_loop = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def ls(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Editor]:
    cache = tmp_path_factory.mktemp("cache")  # no refreshed copy: the shipped snapshot is in use
    env: dict[str, str | None] = {"ADVISOR_CACHE_DIR": str(cache), "ADVISOR_PRICING_DB": None}
    async with editor(tmp_path_factory.mktemp("ws"), init={"debounceMs": 10}, env=env) as s:
        yield s


async def hover_text(s: Editor, name: str, text: str, line: int, language: str = "terraform") -> str:
    uri = s.open(name, text, language=language)
    await s.wait_for(uri, version=1)
    h = await s.client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri), position=lsp.Position(line, 2))
    )
    assert h is not None and isinstance(h.contents, lsp.MarkupContent)
    return h.contents.value


@in_module_loop
async def test_an_instance_hover_shows_reserved_and_spot_beside_on_demand(ls: Editor) -> None:
    text = await hover_text(ls, "ec2/main.tf", EC2, 4)
    # the total stays on-demand: $70.08 of instance hours and $0.80 of the default 8 GB gp2 root volume
    assert text.startswith("**aws_instance.web** — $70.88/mo")
    assert "| Instance usage (Linux, on-demand, m5.large) | 730 hours | $0.096 | $70.08 |" in text
    assert "*Other ways to buy these hours in us-east-1 (totals above stay on-demand):*" in text
    assert EC2_RESERVED in text.splitlines()
    assert SPOT_NOT_SHIPPED in text.splitlines()


@in_module_loop
async def test_a_cloudformation_instance_hover_shows_the_same_figures(ls: Editor) -> None:
    text = await hover_text(ls, "cfn/stack.yaml", CFN, 2, language="yaml")
    assert "| Instance usage (Linux, on-demand, m5.large) | 730 hours | $0.096 | $70.08 |" in text
    assert EC2_RESERVED in text.splitlines()


@in_module_loop
async def test_an_autoscaling_group_prices_its_instances_hours_in_its_region(ls: Editor) -> None:
    text = await hover_text(ls, "asg/main.tf", GROUP, 9)
    assert text.startswith("**aws_autoscaling_group.worker** — $66.58/mo")
    assert (
        "- Reserved 1 yr, no upfront: $41.90/mo (−37%) · 3 yr: $28.76/mo (−57%)"
        " — ec2shop-reserved as of 2025-04-05"
    ) in text.splitlines()
    assert "in eu-west-1 (totals above stay on-demand)" in text


@in_module_loop
async def test_a_launch_template_hover_shows_its_groups_alternatives(ls: Editor) -> None:
    text = await hover_text(ls, "template/main.tf", GROUP, 4)
    assert text.startswith(
        "**aws_launch_template.worker** — instances priced in `aws_autoscaling_group.worker`"
    )
    assert (
        "- Reserved 1 yr, no upfront: $41.90/mo (−37%) · 3 yr: $28.76/mo (−57%)"
        " — ec2shop-reserved as of 2025-04-05"
    ) in text.splitlines()


@in_module_loop
async def test_an_rds_multi_az_hover_shows_the_one_year_term(ls: Editor) -> None:
    text = await hover_text(ls, "rds/main.tf", RDS, 4)
    assert "| Database instance (mysql, Multi-AZ, db.m5.large) | 730 hours | $0.342 | $249.66 |" in text
    assert (
        f"- Reserved 1 yr, no upfront: $159.94/mo (−36%) · {RDS_3Y} — ec2shop-reserved as of 2025-04-04"
    ) in text.splitlines()
    assert "Spot" not in text  # RDS has no spot market


@in_module_loop
async def test_an_rds_hover_uses_its_own_regions_price(ls: Editor) -> None:
    text = await hover_text(ls, "rdseu/main.tf", RDS_EU, 4)
    assert "- Reserved 1 yr, no upfront: $101.18/mo (−30%)" in text


@in_module_loop
async def test_a_missing_reserved_row_is_said_plainly(ls: Editor) -> None:
    text = await hover_text(ls, "mariadb/main.tf", MARIADB, 0)
    line = (
        "- Reserved 1 yr, no upfront: no 1 yr reserved price for db.m5.large (mariadb, single-az)"
        f" in us-east-1 in the snapshot · {RDS_3Y}"
    )
    assert line in text.splitlines()
    assert "$0.00" not in text

    text = await hover_text(ls, "southeast4/main.tf", RDS_NO_RESERVED, 4)
    assert "| Database instance (mysql, Single-AZ, db.m5.large) | 730 hours | $0.247 | $180.31 |" in text
    assert (
        "no 1 yr reserved price for db.m5.large (mysql, single-az) in ap-southeast-4 in the snapshot" in text
    )


# -- the command line ------------------------------------------------------------------------------


def test_cost_json_carries_the_alternatives_and_keeps_on_demand_totals(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(EC2 + "\n" + RDS.split("\n\n", 1)[1])
    env = {"ADVISOR_CACHE_DIR": str(tmp_path / "cache")}
    done = run_cli("cost", "--format", "json", ".", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    by_address = {r["address"]: r for r in doc["resources"]}
    web = by_address["aws_instance.web"]
    assert web["monthly_cost"] == 70.88
    assert web["alternatives_pricing"] == [
        {
            "component": "Instance usage (Linux, on-demand, m5.large)",
            "kind": "reserved_1y",
            "label": "Reserved 1 yr, no upfront",
            "unit_price": 0.06,
            "monthly_cost": 43.8,
            "savings_percent": 38,
            "source": "ec2shop-reserved",
            "as_of": "2025-04-05",
        },
        {
            "component": "Instance usage (Linux, on-demand, m5.large)",
            "kind": "reserved_3y",
            "label": "Reserved 3 yr, no upfront",
            "unit_price": 0.041,
            "monthly_cost": 29.93,
            "savings_percent": 57,
            "source": "ec2shop-reserved",
            "as_of": "2025-04-05",
        },
        {
            "component": "Instance usage (Linux, on-demand, m5.large)",
            "kind": "spot",
            "label": "Spot",
            "unit_price": None,
            "monthly_cost": None,
            "savings_percent": None,
            "source": "",
            "as_of": "",
            "note": "not in the snapshot; `advisor pricing refresh --spot` fetches current prices",
        },
    ]
    db = by_address["aws_db_instance.db"]
    assert [(a["kind"], a["monthly_cost"], a["savings_percent"]) for a in db["alternatives_pricing"]] == [
        ("reserved_1y", 159.94, 36),
        ("reserved_3y", None, None),
    ]
    # totals are on-demand: the instance, its root volume, the database and its 20 GB of gp2
    assert doc["total"] == 325.14

    text = run_cli("cost", ".", cwd=tmp_path, env=env)
    assert text.returncode == 0 and "Reserved" not in text.stdout and "Spot" not in text.stdout


def test_a_licensed_instance_line_says_the_prices_are_linux_only(tmp_path: Path) -> None:
    """A Windows instance (its password data asked for) is priced with its licence: the Linux
    reserved and spot rows do not apply to it, and the JSON says so instead of leaving it out."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_instance" "win" {\n  ami               = "ami-1"\n  get_password_data = true\n'
        '  instance_type     = "m5.large"\n}\n'
    )
    done = run_cli(
        "cost", "--format", "json", ".", cwd=tmp_path, env={"ADVISOR_CACHE_DIR": str(tmp_path / "c")}
    )
    assert done.returncode == 0, done.stderr
    (win,) = json.loads(done.stdout)["resources"]
    assert [(a["kind"], a["monthly_cost"], a.get("note")) for a in win["alternatives_pricing"]] == [
        (
            "reserved_and_spot",
            None,
            "reserved and spot prices in the snapshot are for Linux, shared tenancy only",
        )
    ]


def test_spot_refuses_a_cache_folder_others_can_write(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    done = run_cli("pricing", "refresh", "--spot", env={"ADVISOR_CACHE_DIR": str(shared)})
    assert done.returncode == 2, done.stderr
    assert "refreshed prices are kept only in a private folder" in done.stderr
    assert list(shared.iterdir()) == []


def test_spot_takes_no_service(tmp_path: Path) -> None:
    done = run_cli(
        "pricing", "refresh", "--spot", "--service", "ec2", env={"ADVISOR_CACHE_DIR": str(tmp_path)}
    )
    assert done.returncode == 2
    assert "--spot fetches spot prices only" in done.stderr


def test_spot_without_credentials_says_how_to_configure_them(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "ADVISOR_CACHE_DIR": str(tmp_path / "cache"),
        "HOME": str(tmp_path),
    }
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "advisor", "pricing", "refresh", "--spot", "--region", "eu-west-1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "no AWS credentials found" in done.stderr
    assert not (tmp_path / "cache" / "pricing.sqlite").exists()


# -- spot prices through the refresh ------------------------------------------------------------------

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=timezone.utc)


def _entry(zone: str, name: str, price: str, product: str = "Linux/UNIX") -> dict[str, Any]:
    return {
        "AvailabilityZone": zone,
        "InstanceType": name,
        "ProductDescription": product,
        "SpotPrice": price,
        "Timestamp": datetime(2026, 12, 7, 9, 12, 41, tzinfo=timezone.utc),
    }


@pytest.fixture
def ec2_stub() -> Iterator[tuple[Any, Any]]:
    import boto3
    from botocore.stub import Stubber  # type: ignore[import-untyped]

    client = boto3.client(
        "ec2", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _stub_pages(stubber: Any) -> None:
    request = {"StartTime": NOW, "ProductDescriptions": ["Linux/UNIX"], "MaxResults": 1000}
    stubber.add_response(
        "describe_spot_price_history",
        {
            "SpotPriceHistory": [
                _entry("us-east-1a", "m5.large", "0.039000"),
                _entry("us-east-1b", "m5.large", "0.037100"),
                _entry("us-east-1a", "m5.large", "0.011000", product="SUSE Linux"),  # not Linux/UNIX
            ],
            "NextToken": "page-2",
        },
        request,
    )
    stubber.add_response(
        "describe_spot_price_history",
        {
            "SpotPriceHistory": [
                _entry("us-east-1c", "m5.large", "0.041200"),
                _entry("us-east-1c", "c5.large", "x"),
            ]
        },
        {**request, "NextToken": "page-2"},
    )


def test_spot_refresh_writes_the_lowest_zone_price(ec2_stub: tuple[Any, Any], tmp_path: Path) -> None:
    from advisor.pricing.spot import run_spot_refresh

    client, stubber = ec2_stub
    _stub_pages(stubber)
    target = tmp_path / "cache" / "pricing.sqlite"
    out = StringIO()
    code = run_spot_refresh(
        ["us-east-1"], client_for=lambda region: client, stream=out, target=target, now=NOW
    )
    assert code == 0, out.getvalue()
    assert "spot us-east-1: 1 instance types, as of 2026-12-07" in out.getvalue()
    assert "skipped 2 unreadable entries" in out.getvalue()
    with Catalog.open(target) as catalog:
        spot = catalog.price("ec2_spot.m5.large", "us-east-1")
        assert spot is not None and (spot.value, spot.source, spot.as_of) == (
            0.0371,
            "aws-spot-price-history",
            "2026-12-07",
        )
        assert catalog.price("ec2_spot.c5.large", "us-east-1") is None
        on_demand = catalog.price("ec2.m5.large", "us-east-1")  # the rest of the data is kept
        assert on_demand is not None and on_demand.value == 0.096


def test_spot_refresh_of_a_region_with_no_prices_changes_nothing(
    ec2_stub: tuple[Any, Any], tmp_path: Path
) -> None:
    from advisor.pricing.spot import run_spot_refresh

    client, stubber = ec2_stub
    stubber.add_response(
        "describe_spot_price_history",
        {"SpotPriceHistory": []},
        {"StartTime": NOW, "ProductDescriptions": ["Linux/UNIX"], "MaxResults": 1000},
    )
    target = tmp_path / "pricing.sqlite"
    out = StringIO()
    assert (
        run_spot_refresh(["us-east-1"], client_for=lambda r: client, stream=out, target=target, now=NOW) == 1
    )
    assert "no spot prices were refreshed" in out.getvalue()
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_spot_refresh_denied_names_the_iam_action(ec2_stub: tuple[Any, Any], tmp_path: Path) -> None:
    from advisor.pricing.spot import run_spot_refresh

    client, stubber = ec2_stub
    stubber.add_client_error(
        "describe_spot_price_history", service_error_code="UnauthorizedOperation", http_status_code=403
    )
    out = StringIO()
    code = run_spot_refresh(
        ["us-east-1"], client_for=lambda r: client, stream=out, target=tmp_path / "p.sqlite", now=NOW
    )
    assert code == 2
    assert "AWS denied ec2:DescribeSpotPriceHistory" in out.getvalue()


@in_module_loop
async def test_a_hover_shows_the_refreshed_spot_price(ec2_stub: tuple[Any, Any], tmp_path: Path) -> None:
    from advisor.pricing.spot import run_spot_refresh

    client, stubber = ec2_stub
    _stub_pages(stubber)
    target = tmp_path / "cache" / "pricing.sqlite"
    assert (
        run_spot_refresh(
            ["us-east-1"], client_for=lambda r: client, stream=StringIO(), target=target, now=NOW
        )
        == 0
    )
    env: dict[str, str | None] = {"ADVISOR_PRICING_DB": str(target)}
    async with editor(tmp_path / "ws", init={"debounceMs": 10}, env=env) as s:
        text = await hover_text(s, "spot/main.tf", EC2, 4)
    # $0.0371/h x 730 h = $27.08, 61.4 % below $0.096
    assert "- Spot: $27.08/mo (−61%) — aws-spot-price-history as of 2026-12-07" in text.splitlines()
    assert EC2_RESERVED in text.splitlines()
    assert text.startswith("**aws_instance.web** — $70.88/mo")  # spot is never in the total


# -- the reserved table ---------------------------------------------------------------------------------


def _document(entries: dict[str, dict[str, str]]) -> dict[str, Any]:
    return {
        "manifest": {"serviceId": "ec2", "currencyCode": "USD", "source": "ec2-reservedinstance"},
        "regions": {"EU (Ireland)": entries},
    }


def _ec2_entry(name: str, price: str, on_demand: str, **extra: str) -> dict[str, str]:
    return {
        "LeaseContractLength": "1yr",
        "PurchaseOption": "No Upfront",
        "Location": "EU (Ireland)",
        "Operating System": "Linux",
        "Tenancy": "Shared",
        "Instance Type": name,
        "Pre Installed S/W": "NA",
        "OnDemand:PricePerUnit": on_demand,
        "price": price,
        **extra,
    }


def test_derive_file_keeps_only_sound_no_upfront_rows() -> None:
    doc = _document(
        {
            "a": _ec2_entry("t3.medium", "0.0287000000", "0.0456000000"),
            "b": _ec2_entry("x1.odd", "0.0500000000", "0.0400000000"),  # above on-demand: left out
        }
    )
    rows, notes = commitments.derive_file("data/ec2/eu-west-1-reservedinstance-1y.json", doc, "2025-04-05")
    assert [(r.key, r.region, str(r.price), r.as_of) for r in rows] == [
        ("ec2_reserved_1y.t3.medium", "eu-west-1", "0.0287000000", "2025-04-05")
    ]
    assert notes == ["eu-west-1 x1.odd: reserved 0.0500000000 against on-demand 0.0400000000; left out"]


@pytest.mark.parametrize(
    "change",
    [{"PurchaseOption": "Partial Upfront"}, {"Operating System": "Windows"}, {"Tenancy": "Dedicated"}],
)
def test_derive_file_refuses_rows_of_another_kind(change: dict[str, str]) -> None:
    doc = _document({"a": _ec2_entry("t3.medium", "0.0287", "0.0456", **change)})
    with pytest.raises(commitments.DerivationError, match="expected"):
        commitments.derive_file("data/ec2/eu-west-1-reservedinstance-1y.json", doc, "2025-04-05")


def test_the_reserved_table_is_well_formed() -> None:
    with (DATA / commitments.TABLE).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) > 40000
    keys = {(r["key"], r["region"]) for r in rows}
    assert len(keys) == len(rows)
    assert {r["source"] for r in rows} == {"ec2shop-reserved"} and {r["unit"] for r in rows} == {"hour"}
    assert all(
        r["key"].startswith(("ec2_reserved_1y.", "ec2_reserved_3y.", "rds_reserved_1y.")) for r in rows
    )
    assert len({r["region"] for r in rows}) == 34


@pytest.mark.skipif(not os.environ.get("ADVISOR_EC2SHOP_REPO"), reason="ADVISOR_EC2SHOP_REPO names no clone")
def test_the_reserved_table_rebuilds_from_the_repository(tmp_path: Path) -> None:
    rows, _notes = commitments.derive(Path(os.environ["ADVISOR_EC2SHOP_REPO"]))
    commitments.write_table(rows, tmp_path)
    assert (tmp_path / commitments.TABLE).read_bytes() == (DATA / commitments.TABLE).read_bytes()
