"""The committed pricing tables: well-formed, consistent with snapshot.sqlite, reproducible from sources."""

from __future__ import annotations

import csv
import os
import re
import sqlite3
from pathlib import Path

import pytest
from advisor.pricing import build_snapshot, snapshot_db

DATA = Path(build_snapshot.__file__).resolve().parent / "data"
REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("name", build_snapshot.PRICE_FILES)
def test_price_tables_are_well_formed(name: str) -> None:
    table = rows(name)
    assert table, name
    assert tuple(table[0]) == build_snapshot.PRICE_COLUMNS
    sources = {r["name"] for r in rows("sources.csv")}
    seen: set[tuple[str, str]] = set()
    for r in table:
        ident = (r["key"], r["region"])
        assert ident not in seen, ident
        seen.add(ident)
        assert REGION.match(r["region"]), r
        assert float(r["price"]) > 0, r  # an unknown price is a missing row, never 0
        assert r["unit"] and r["source"] in sources and DATE.match(r["as_of"]), r
        assert build_snapshot.classify(r["key"])[0] == name, r


def test_instance_table_is_well_formed() -> None:
    table = rows("instance_types.csv")
    assert tuple(table[0]) == build_snapshot.INSTANCE_COLUMNS
    for r in table:
        assert r["service"] in ("ec2", "rds", "elasticache")
        assert r["arch"] in ("x86_64", "arm64") and r["generation"] in ("current", "previous")
        assert build_snapshot.split_name(r["name"]) == (r["service"], r["family"], r["size"])


def test_no_dedicated_or_untrusted_rows() -> None:
    for r in rows("prices_ec2.csv"):
        assert not (r["source"] == "karpenter" and ".metal" in r["key"]), r
    for r in rows("prices_elasticache.csv"):
        assert r["source"] in ("ec2shop", "curated"), r
    for r in rows("prices_rds.csv"):
        if r["source"] == "ec2instances-info":
            assert r["key"].startswith(("rds.aurora-mysql.", "rds.aurora-postgresql.")), r


def test_committed_size_stays_reasonable() -> None:
    total = sum(p.stat().st_size for p in DATA.iterdir() if p.suffix in (".csv", ".sqlite"))
    # about 12.5 MiB: 7.2 with the SQL Server and Oracle rows of every region, 5.3 more with the EC2 / RDS
    # reserved prices of 34 regions (prices_reserved.csv and its 2.1 MB in snapshot.sqlite)
    assert total < 14 * 1024 * 1024


def test_sqlite_matches_csv_tables(tmp_path: Path) -> None:
    assert build_snapshot.main(["--check"]) == 0


def test_build_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    build_snapshot.build_sqlite(DATA, first)
    build_snapshot.build_sqlite(DATA, second)
    assert first.read_bytes() == second.read_bytes()


def test_schema_accepts_refresh_writes(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "refresh.sqlite")
    snapshot_db.create_schema(conn)
    assert snapshot_db.validate(conn)  # empty: spot checks fail
    snapshot_db.write_sources(conn, [snapshot_db.SourceRow("aws-price-list", licence="AWS")])
    snapshot_db.write_prices(
        conn,
        [
            snapshot_db.PriceRow("ec2.m5.large", "us-east-1", 0.096, "hour", "aws-price-list", "2026-09-01"),
            snapshot_db.PriceRow(
                "ebs.gp3.storage", "us-east-1", 0.08, "GB-month", "aws-price-list", "2026-09-01"
            ),
        ],
    )
    snapshot_db.set_info(conn, kind="refreshed", refreshed_at="2026-09-01T00:00:00Z")
    assert snapshot_db.validate(conn) == []
    conn.close()


@pytest.mark.skipif(not os.environ.get("ADVISOR_PRICING_SOURCES"), reason="set ADVISOR_PRICING_SOURCES")
def test_tables_rebuild_from_sources(tmp_path: Path) -> None:
    build_snapshot.derive_tables(Path(os.environ["ADVISOR_PRICING_SOURCES"]), tmp_path)
    for path in sorted(tmp_path.glob("*.csv")):
        assert path.read_bytes() == (DATA / path.name).read_bytes(), path.name


def test_notice_ships_with_the_data() -> None:
    package_notice = DATA.parent / "NOTICE"
    root_notice = DATA.parent.parent / "NOTICE"
    text = package_notice.read_text(encoding="utf-8")
    if root_notice.is_file():  # source checkout: the two copies must agree
        assert root_notice.read_text(encoding="utf-8") == text
    for r in rows("sources.csv"):
        if r["url"]:
            assert r["url"] in text, r["name"]


def test_service_prices_come_from_aws_pricing_pages() -> None:
    pages = {name for name, _service, _url in build_snapshot.AWS_PAGES}
    table = rows("prices_services.csv")
    assert {r["source"] for r in table} <= pages
    keys = {r["key"] for r in table}
    # figures checked by hand against AWS's published us-east-1 prices (see pricing/data/services.md)
    published = {"msk.kafka.m5.large": 0.21, "fargate.x86_64.vcpu": 0.04048, "docdb.db.r5.large": 0.277}
    for r in table:
        if r["key"] in published:
            assert float(r["price"]) == published[r["key"]] and r["region"] == "us-east-1", r
    assert set(published) <= keys
    for name in build_snapshot.DERIVED_PRICE_FILES:  # one home per key: derived tables never repeat them
        assert not keys & {r["key"] for r in rows(name)}, name
