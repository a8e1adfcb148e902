"""The SQLite layout shared by the shipped snapshot and a refreshed copy.

The build script and a future refresh write through these functions, and the catalog reads the same
tables, so the three can never disagree about column names. The layout is documented in
`pricing/data/README.md`; bump `SCHEMA_VERSION` whenever it changes so an old refreshed copy in the
user's cache is ignored instead of misread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SCHEMA_VERSION = 1
FALLBACK_REGION = "us-east-1"
CURRENCY = "USD"

_DDL = """
CREATE TABLE IF NOT EXISTS info (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS source (
    name     TEXT PRIMARY KEY,
    title    TEXT NOT NULL DEFAULT '',
    url      TEXT NOT NULL DEFAULT '',
    revision TEXT NOT NULL DEFAULT '',
    licence  TEXT NOT NULL DEFAULT '',
    note     TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS origin (
    id     INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    as_of  TEXT NOT NULL,
    UNIQUE (source, as_of)
);
CREATE TABLE IF NOT EXISTS region (
    id   INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS unit (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS price (
    key    TEXT NOT NULL,
    region INTEGER NOT NULL REFERENCES region (id),
    value  REAL NOT NULL,
    unit   INTEGER NOT NULL REFERENCES unit (id),
    origin INTEGER NOT NULL REFERENCES origin (id),
    PRIMARY KEY (key, region)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tier (
    key        TEXT PRIMARY KEY,
    tier_group TEXT NOT NULL,
    tier_begin REAL NOT NULL,
    tier_end   REAL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tier_by_group ON tier (tier_group, tier_begin);
CREATE TABLE IF NOT EXISTS instance_type (
    name       TEXT PRIMARY KEY,
    service    TEXT NOT NULL,
    family     TEXT NOT NULL,
    size       TEXT NOT NULL,
    vcpu       INTEGER,
    memory_gib REAL,
    gpu        INTEGER,
    arch       TEXT,
    generation TEXT NOT NULL,
    origin     INTEGER NOT NULL REFERENCES origin (id)
) WITHOUT ROWID;
"""

REQUIRED_TABLES = ("info", "source", "origin", "region", "unit", "price", "tier", "instance_type")

# Lookups that must resolve in any usable database: a refresh that loses them is rejected.
SPOT_CHECKS: tuple[tuple[str, str], ...] = (
    ("ec2.m5.large", FALLBACK_REGION),
    ("ebs.gp3.storage", FALLBACK_REGION),
)


@dataclass(frozen=True, slots=True)
class SourceRow:
    """Where a family of rows comes from, and under which licence."""

    name: str
    title: str = ""
    url: str = ""
    revision: str = ""
    licence: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class PriceRow:
    """One price for one key in one region; `unit` is what one unit of `value` buys."""

    key: str
    region: str
    value: float
    unit: str
    source: str
    as_of: str


@dataclass(frozen=True, slots=True)
class TierRow:
    """Says that price key `key` is one volume tier of `tier_group`, from `tier_begin` to `tier_end`."""

    key: str
    tier_group: str
    tier_begin: float
    tier_end: float | None


@dataclass(frozen=True, slots=True)
class InstanceTypeRow:
    """Facts about an EC2 instance type, RDS instance class or ElastiCache node type."""

    name: str
    service: str  # "ec2" | "rds" | "elasticache"
    family: str
    size: str
    vcpu: int | None
    memory_gib: float | None
    gpu: int | None
    arch: str | None
    generation: str  # "current" | "previous"
    source: str
    as_of: str


def create_schema(conn: sqlite3.Connection) -> None:
    """Create every table (idempotent) and stamp the schema version."""
    conn.executescript(_DDL)
    set_info(conn, schema_version=str(SCHEMA_VERSION), currency=CURRENCY)


def set_info(conn: sqlite3.Connection, **values: str) -> None:
    """Record facts about the database as a whole (kind, built_from, refreshed_at, ...)."""
    conn.executemany(
        "INSERT INTO info (name, value) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        sorted(values.items()),
    )


def write_sources(conn: sqlite3.Connection, rows: Iterable[SourceRow]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO source (name, title, url, revision, licence, note) VALUES (?, ?, ?, ?, ?, ?)",
        [(r.name, r.title, r.url, r.revision, r.licence, r.note) for r in rows],
    )


def _origin_ids(conn: sqlite3.Connection, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Map (source, as_of) pairs to small integers, so each price row stores one byte instead of two dates."""
    wanted = sorted(set(pairs))
    conn.executemany("INSERT OR IGNORE INTO origin (source, as_of) VALUES (?, ?)", wanted)
    found = conn.execute("SELECT source, as_of, id FROM origin").fetchall()
    return {(s, a): int(i) for s, a, i in found}


def _name_ids(conn: sqlite3.Connection, table: str, column: str, names: Iterable[str]) -> dict[str, int]:
    """Small-integer ids for region codes and unit names (the snapshot repeats them ~50 000 times)."""
    conn.executemany(
        f"INSERT OR IGNORE INTO {table} ({column}) VALUES (?)", [(n,) for n in sorted(set(names))]
    )
    return {str(n): int(i) for n, i in conn.execute(f"SELECT {column}, id FROM {table}")}


def write_prices(conn: sqlite3.Connection, rows: Iterable[PriceRow]) -> int:
    """Insert or replace prices (a refresh overwrites the key/region it fetched); returns the row count."""
    batch = list(rows)
    ids = _origin_ids(conn, ((r.source, r.as_of) for r in batch))
    regions = _name_ids(conn, "region", "code", (r.region for r in batch))
    units = _name_ids(conn, "unit", "name", (r.unit for r in batch))
    conn.executemany(
        "INSERT OR REPLACE INTO price (key, region, value, unit, origin) VALUES (?, ?, ?, ?, ?)",
        [(r.key, regions[r.region], float(r.value), units[r.unit], ids[(r.source, r.as_of)]) for r in batch],
    )
    return len(batch)


def write_tiers(conn: sqlite3.Connection, rows: Iterable[TierRow]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO tier (key, tier_group, tier_begin, tier_end) VALUES (?, ?, ?, ?)",
        [(r.key, r.tier_group, r.tier_begin, r.tier_end) for r in rows],
    )


def write_instance_types(conn: sqlite3.Connection, rows: Iterable[InstanceTypeRow]) -> int:
    batch = list(rows)
    ids = _origin_ids(conn, ((r.source, r.as_of) for r in batch))
    conn.executemany(
        "INSERT OR REPLACE INTO instance_type (name, service, family, size, vcpu, memory_gib, gpu, arch,"
        " generation, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                r.name,
                r.service,
                r.family,
                r.size,
                r.vcpu,
                r.memory_gib,
                r.gpu,
                r.arch,
                r.generation,
                ids[(r.source, r.as_of)],
            )
            for r in batch
        ],
    )
    return len(batch)


def validate(conn: sqlite3.Connection) -> list[str]:
    """Problems that make a database unusable (empty list = fine); cheap enough to run at every open."""
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        return [f"not a readable SQLite database: {exc}"]
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        return [f"missing tables: {', '.join(missing)}"]
    problems: list[str] = []
    row = conn.execute("SELECT value FROM info WHERE name = 'schema_version'").fetchone()
    if row is None or row[0] != str(SCHEMA_VERSION):
        problems.append(f"schema version {row[0] if row else 'missing'}, expected {SCHEMA_VERSION}")
    for key, region in SPOT_CHECKS:
        found = conn.execute(
            "SELECT 1 FROM price JOIN region ON region.id = price.region WHERE key = ? AND code = ?",
            (key, region),
        ).fetchone()
        if found is None:
            problems.append(f"spot check failed: no {key} in {region}")
    return problems


def connect_readonly(path: Path, *, immutable: bool) -> sqlite3.Connection:
    """Open without any chance of writing. `immutable` also skips locking: only for files nobody rewrites
    in place (the shipped snapshot; a refresh replaces its file by rename, never edits it)."""
    uri = path.resolve().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")
    return sqlite3.connect(uri, uri=True, check_same_thread=False)
