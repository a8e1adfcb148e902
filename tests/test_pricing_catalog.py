"""Catalog lookups against the shipped snapshot: values, fallbacks, tiers, instance facts, opening rules."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from advisor.pricing import snapshot_db
from advisor.pricing.catalog import Catalog, CatalogError, InstanceType, cache_db_path, shipped_db_path


@pytest.fixture(scope="module")
def catalog() -> Iterator[Catalog]:
    cat = Catalog.shipped()
    yield cat
    cat.close()


@pytest.fixture()
def clean_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A process default with no override and an empty cache dir, restored afterwards."""
    monkeypatch.delenv("ADVISOR_PRICING_DB", raising=False)
    monkeypatch.delenv("ADVISOR_CACHE_DIR", raising=False)  # it would take precedence over XDG
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    Catalog.reset_default()
    yield tmp_path
    Catalog.reset_default()


# -- prices ----------------------------------------------------------------------------------------


def test_sanity_prices(catalog: Catalog) -> None:
    m5 = catalog.price("ec2.m5.large", "us-east-1")
    assert m5 is not None
    assert (m5.value, m5.unit, m5.region, m5.estimate) == (0.096, "hour", "us-east-1", False)
    assert m5.source == "karpenter" and m5.as_of == "2026-07-20"
    gp3 = catalog.price("ebs.gp3.storage", "us-east-1")
    assert gp3 is not None and gp3.value == 0.08 and gp3.unit == "GB-month"
    for key, value in [
        ("ec2.t3.micro", 0.0104),
        ("ec2.m6g.large", 0.077),
        ("ec2.t4g.micro", 0.0084),
        ("ebs.gp2.storage", 0.10),
        ("ebs.gp3.iops", 0.005),
        ("ebs.gp3.throughput", 0.04),
        ("ebs.io1.iops", 0.065),
        ("ebs.io2.iops.tier2", 0.0455),
        ("ebs.standard.io", 0.05),
        ("nat.hour", 0.045),
        ("vpc.public_ipv4.hour", 0.005),
        ("elb.alb.lcu", 0.008),
        ("eks.cluster.hour", 0.10),
        ("lambda.requests", 0.20),
        ("s3.standard.storage.tier1", 0.023),
        ("rds.mysql.single-az.db.m5.large", 0.171),
        ("rds.postgres.single-az.db.t3.large", 0.145),
        ("rds.postgres.multi-az.db.t3.large", 0.29),
        ("rds.storage.gp2.multi-az", 0.23),
        ("rds.aurora-mysql.single-az.db.t3.large", 0.164),
        ("cloudwatch.logs.ingest", 0.5),
    ]:
        price = catalog.price(key, "us-east-1")
        assert price is not None, key
        assert price.value == pytest.approx(value), key


def test_regional_prices_are_not_estimates(catalog: Catalog) -> None:
    m5 = catalog.price("ec2.m5.large", "eu-west-1")
    assert m5 is not None and m5.value == 0.107 and not m5.estimate and m5.region == "eu-west-1"
    gp2 = catalog.price("ebs.gp2.storage", "eu-west-1")
    assert gp2 is not None and gp2.value == 0.11 and not gp2.estimate
    mem = catalog.price("ec2.m7g.large", "ap-south-1")
    assert mem is not None and mem.value == 0.0583


def test_region_fallback_is_marked_estimate(catalog: Catalog) -> None:
    nat = catalog.price("nat.hour", "eu-west-1")
    assert nat is not None
    assert nat.estimate and nat.region == "us-east-1" and nat.value == 0.045
    assert nat.key == "nat.hour"
    # a type launched after the regional list was taken: us-east-1 price, flagged
    newer = catalog.price("ec2.c8i.large", "eu-west-1")
    assert newer is not None and newer.estimate and newer.region == "us-east-1"


def test_no_fallback_where_dishonest(catalog: Catalog) -> None:
    assert catalog.price("ec2.m5.large", "cn-north-1") is None  # CNY price list
    assert catalog.price("ec2.m5.large", "us-iso-east-1") is None
    assert catalog.price("ec2.m5.large", "mars-1") is None


def test_unknown_is_none_never_zero(catalog: Catalog) -> None:
    assert catalog.price("ec2.m5.lagre", "us-east-1") is None
    assert catalog.price("no.such.key", "us-east-1") is None
    assert catalog.price("s3.glacier_ir.storage", "us-east-1") is None


def test_metal_rows_are_shared_tenancy_prices(catalog: Catalog) -> None:
    # Karpenter's metal rows are dedicated-host prices (c6g.metal 2.3066); only list prices are served
    metal = catalog.price("ec2.c6g.metal", "us-east-1")
    assert metal is not None and metal.value == 2.176 and metal.source != "karpenter"
    metals = [n for n in catalog.instance_types() if ".metal" in n]
    assert len(metals) > 100
    for name in metals:
        for region in ("us-east-1", "us-gov-west-1"):
            price = catalog.price(f"ec2.{name}", region)
            assert price is None or price.source != "karpenter", (name, region)


def test_elasticache_prices_only_from_trusted_rows(catalog: Catalog) -> None:
    r5 = catalog.price("elasticache.redis.cache.r5.4xlarge", "us-east-1")
    assert r5 is not None and r5.value == 1.724  # the 2022 file says 0.716
    m5 = catalog.price("elasticache.redis.cache.m5.xlarge", "us-east-1")
    assert m5 is not None and m5.value == 0.311  # the 2022 file says 0.119
    valkey = catalog.price("elasticache.valkey.cache.r5.4xlarge", "us-east-1")
    assert valkey is not None and valkey.value == pytest.approx(0.8 * 1.724)
    for name in catalog.instance_types("cache."):
        for engine in ("redis", "memcached", "valkey"):
            for region in ("us-east-1", "eu-west-1", "ca-central-1"):
                price = catalog.price(f"elasticache.{engine}.{name}", region)
                if price is not None and not price.estimate:
                    assert price.source in ("ec2shop", "curated"), (engine, name, region)
    # a node only the 2022 catalogue knows has facts but no price
    facts_only = [
        n
        for n in catalog.instance_types("cache.")
        if catalog.price(f"elasticache.redis.{n}", "us-east-1") is None
        and catalog.price(f"elasticache.memcached.{n}", "us-east-1") is None
    ]
    for name in facts_only:
        assert catalog.instance_type(name) is not None


def test_tiers(catalog: Catalog) -> None:
    x86 = catalog.tiers("lambda.x86_64.duration", "us-east-1")
    assert [(b, e) for b, e, _p in x86] == [(0, 6e9), (6e9, 15e9), (15e9, None)]
    assert [p.value for _b, _e, p in x86] == [1.66667e-05, 1.5e-05, 1.33334e-05]
    io2 = catalog.tiers("ebs.io2.iops", "eu-west-1")
    assert [p.value for _b, _e, p in io2] == [0.072, 0.0504, 0.03528]
    assert not any(p.estimate for _b, _e, p in io2)
    s3 = catalog.tiers("s3.standard.storage", "eu-west-1")
    assert len(s3) == 3 and all(p.estimate and p.region == "us-east-1" for _b, _e, p in s3)
    flat = catalog.tiers("nat.hour", "us-east-1")
    assert len(flat) == 1 and flat[0][:2] == (0.0, None)
    assert catalog.tiers("no.such.key", "us-east-1") == []
    group = catalog.price("lambda.arm64.duration", "us-east-1")
    assert group is not None and group.value == 1.33334e-05 and group.key == "lambda.arm64.duration"


# -- instance facts --------------------------------------------------------------------------------


def test_instance_type_facts(catalog: Catalog) -> None:
    assert catalog.instance_type("m5.large") == InstanceType(
        "m5.large", "m5", "large", 2, 8.0, "x86_64", "current"
    )
    assert catalog.instance_type("m6g.large") is not None
    assert catalog.instance_type("m6g.large").arch == "arm64"  # type: ignore[union-attr]
    for name, generation in [
        ("t1.micro", "previous"),
        ("m3.medium", "previous"),
        ("m1.small", "previous"),
        ("m7i.large", "current"),
        ("t2.micro", "current"),
    ]:
        found = catalog.instance_type(name)
        assert found is not None and found.generation == generation, name
    db = catalog.instance_type("db.r6g.large")
    assert db is not None and (db.family, db.size, db.arch) == ("r6g", "large", "arm64")
    old_db = catalog.instance_type("db.t2.micro")
    assert old_db is not None and old_db.generation == "previous"
    cache = catalog.instance_type("cache.t4g.micro")
    assert cache is not None and cache.arch == "arm64" and cache.vcpu == 2
    assert catalog.instance_type("m5.lagre") is None


def test_suggestions(catalog: Catalog) -> None:
    assert catalog.suggest_instance_type("m5.lagre") == "m5.large"
    assert catalog.suggest_instance_type("M5.Large") == "m5.large"
    assert catalog.suggest_instance_type("db.m5.lagre") == "db.m5.large"
    assert catalog.suggest_instance_type("cache.t3.mirco") == "cache.t3.micro"
    assert catalog.suggest_instance_type("t3.nano2") == "t3.nano"
    assert catalog.suggest_instance_type("zzzz") is None


def test_instance_type_listing(catalog: Catalog) -> None:
    sizes = catalog.instance_types("m7g.")
    assert "m7g.large" in sizes and sizes == sorted(sizes)
    assert all(n.startswith("db.") for n in catalog.instance_types("db."))
    assert len(catalog.instance_types()) > 1500


# -- status and opening ----------------------------------------------------------------------------


def test_status(catalog: Catalog) -> None:
    status = catalog.status()
    assert status["source"] == "snapshot"
    assert status["as_of"] == "2026-07-20" == catalog.as_of()
    assert status["schema_version"] == snapshot_db.SCHEMA_VERSION
    assert status["rows"]["price"] > 40000 and status["rows"]["instance_type"] > 1500
    assert {"us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"} <= set(status["regions"])
    by_name = {s["name"]: s for s in status["sources"]}
    assert by_name["karpenter"]["as_of"] == ["2026-07-20"] and by_name["karpenter"]["licence"] == "Apache-2.0"
    assert "2025-04-04" in by_name["ec2shop"]["as_of"]


def test_snapshot_is_read_only() -> None:
    conn = snapshot_db.connect_readonly(shipped_db_path(), immutable=True)
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("DELETE FROM price")
    conn.close()


def test_default_uses_shipped_snapshot(clean_default: Path) -> None:
    assert Catalog.default().status()["source"] == "snapshot"
    assert Catalog.default() is Catalog.default()


def test_default_prefers_valid_refreshed_copy(clean_default: Path) -> None:
    target = cache_db_path()
    assert str(target).startswith(str(clean_default))
    target.parent.mkdir(parents=True)
    shutil.copyfile(shipped_db_path(), target)
    conn = sqlite3.connect(target)
    snapshot_db.write_prices(
        conn, [snapshot_db.PriceRow("ec2.m5.large", "us-east-1", 0.1, "hour", "refresh", "2026-09-01")]
    )
    conn.commit()
    conn.close()
    cat = Catalog.default()
    assert cat.status()["source"] == "refreshed" == cat.kind
    assert cat.as_of() == cat.status()["as_of"] == "2026-09-01"
    price = cat.price("ec2.m5.large", "us-east-1")
    assert price is not None and price.value == 0.1 and price.source == "refresh"


def test_default_ignores_invalid_refreshed_copy(clean_default: Path) -> None:
    target = cache_db_path()
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not a database")
    cat = Catalog.default()
    status = cat.status()
    assert status["source"] == "snapshot" and status["ignored"]


def test_env_override(clean_default: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = clean_default / "mine.sqlite"
    shutil.copyfile(shipped_db_path(), copy)
    monkeypatch.setenv("ADVISOR_PRICING_DB", str(copy))
    assert Catalog.default().status()["source"] == "override"
    monkeypatch.setenv("ADVISOR_PRICING_DB", str(clean_default / "missing.sqlite"))
    Catalog.reset_default()
    with pytest.raises(CatalogError):
        Catalog.default()


def test_wrong_schema_version_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    shutil.copyfile(shipped_db_path(), path)
    conn = sqlite3.connect(path)
    snapshot_db.set_info(conn, schema_version="0")
    conn.commit()
    conn.close()
    with pytest.raises(CatalogError, match="schema version"):
        Catalog.open(path)


def test_import_stays_light() -> None:
    code = (
        "import sys, advisor.pricing.catalog\n"
        "print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
