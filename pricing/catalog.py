"""Price and instance-fact lookups by region and stable key, from the SQLite snapshot.

Keys are the project's own and never AWS SKUs (see pricing/data/README.md for the full list):
`ec2.m5.large` (Linux on-demand, shared tenancy, per hour), `ebs.gp3.storage` (GB-month), ...
Every answer carries its source and as-of date. A region the snapshot lacks falls back to
us-east-1 with `estimate=True`, or stays unknown where no fallback is honest (China and other
partitions with their own price lists, or a string that is not a region code).

The module imports only the standard library: the language server opens the catalog on its first
keystroke, so opening must stay in the low milliseconds.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from . import snapshot_db
from .snapshot_db import FALLBACK_REGION

SNAPSHOT_NAME = "snapshot.sqlite"
ENV_OVERRIDE = "ADVISOR_PRICING_DB"

# Regions whose list prices a us-east-1 figure can stand in for (flagged as an estimate). China (CNY,
# separate price list) and the isolated partitions do not match this pattern and stay unknown.
_FALLBACK_OK = re.compile(r"^(?!cn-)[a-z]{2}(-gov)?-[a-z]+-\d+$")
_SERVICE_PREFIXES = ("db.", "cache.")  # RDS classes and ElastiCache nodes; EC2 types have none


@dataclass(frozen=True, slots=True)
class Price:
    key: str
    region: str  # the region the figure is really for (us-east-1 on a fallback)
    value: float  # USD per `unit`
    unit: str
    source: str
    as_of: str
    estimate: bool = False  # True when taken from a fallback region


@dataclass(frozen=True, slots=True)
class InstanceType:
    name: str  # "m5.large", "db.r6g.xlarge", "cache.t3.micro"
    family: str  # "m5"
    size: str  # "large"
    vcpu: int | None
    memory_gib: float | None
    arch: str | None  # "x86_64" | "arm64"
    generation: str  # "current" | "previous"


Tier = tuple[float, float | None, Price]


class CatalogError(Exception):
    """The database cannot be used (missing, unreadable, or from another schema version)."""


def cache_db_path() -> Path:
    """Where a refresh writes its copy: `pricing.sqlite` in the user's cache folder (`advisor.paths`:
    `$ADVISOR_CACHE_DIR`, else `$XDG_CACHE_HOME/advisor`, else `~/.cache/advisor`)."""
    from advisor.paths import cache_dir  # standard library only, like this module

    return cache_dir() / "pricing.sqlite"


def check_refreshed_copy(path: Path) -> None:
    """Raise `advisor.paths.UnsafeFolder` unless the refreshed copy at `path` is this user's own: its
    folder private (see `advisor.paths.check_private`) and the file a plain file of this user's that
    no one else may write. Prices from a file another user could write would be theirs to choose."""
    import stat

    from advisor.paths import UnsafeFolder, check_private

    check_private(path.parent)
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeFolder(f"{path} is not a plain file (a link or something else stands there)")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise UnsafeFolder(f"{path} belongs to another user (uid {info.st_uid})")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafeFolder(f"{path} can be written by other users (mode {stat.S_IMODE(info.st_mode):o})")


def shipped_db_path() -> Path:
    """The snapshot inside the installed package (extracted once if the package is zipped)."""
    beside = Path(__file__).parent / "data" / SNAPSHOT_NAME
    if beside.is_file():  # an ordinary install: no need for importlib.resources (~20 ms to import)
        return beside
    from importlib import resources

    resource = resources.files(__package__ or "advisor.pricing").joinpath("data").joinpath(SNAPSHOT_NAME)
    if isinstance(resource, Path):
        return resource
    import atexit
    import contextlib

    stack = contextlib.ExitStack()
    atexit.register(stack.close)
    return stack.enter_context(resources.as_file(resource))


class Catalog:
    """Read-only lookups over one pricing database; safe to share between threads.

    Answers are memoised per instance: the language server asks for the same few keys on every
    keystroke, and after the first time none of them touches SQLite.
    """

    _default: ClassVar[Catalog | None] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path | str, *, kind: str = "file", immutable: bool = False) -> None:
        """Open `path` read-only. `kind` says where it came from ("snapshot", "refreshed", "override",
        "file") for `status()`; `immutable` is only for files nobody rewrites in place."""
        self.path = Path(path)
        self.kind = kind
        self.ignored: list[str] = []
        if not self.path.is_file():
            raise CatalogError(f"{self.path}: no such file")
        try:
            self._conn = snapshot_db.connect_readonly(self.path, immutable=immutable)
            problems = snapshot_db.validate(self._conn)
        except sqlite3.Error as exc:
            raise CatalogError(f"{self.path}: {exc}") from exc
        if problems:
            self._conn.close()
            raise CatalogError(f"{self.path}: {'; '.join(problems)}")
        self._lock = threading.Lock()
        with self._lock:
            self._region_ids = {str(c): int(i) for c, i in self._conn.execute("SELECT code, id FROM region")}
            self._units = {int(i): str(n) for i, n in self._conn.execute("SELECT id, name FROM unit")}
            self._origins = {
                int(i): (str(s), str(a))
                for i, s, a in self._conn.execute("SELECT id, source, as_of FROM origin")
            }
        self._prices: dict[tuple[str, str], Price | None] = {}
        self._types: dict[str, InstanceType | None] = {}
        self._tier_groups: dict[str, list[tuple[str, float, float | None]]] = {}
        self._tiers: dict[tuple[str, str], tuple[Tier, ...]] = {}
        self._names: list[str] | None = None

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str) -> Catalog:
        """A catalog over an explicit file (tests, `--pricing-db`)."""
        return cls(path, kind="file")

    @classmethod
    def shipped(cls) -> Catalog:
        """The snapshot that ships with the package."""
        return cls(shipped_db_path(), kind="snapshot", immutable=True)

    @classmethod
    def default(cls) -> Catalog:
        """The process-wide catalog: $ADVISOR_PRICING_DB, else a valid refreshed copy, else the snapshot."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = cls._open_default()
            return cls._default

    @classmethod
    def reset_default(cls) -> None:
        """Forget the cached default (after a refresh, or between tests)."""
        with cls._default_lock:
            cls._default = None

    @classmethod
    def _open_default(cls) -> Catalog:
        override = os.environ.get(ENV_OVERRIDE)
        if override:
            return cls(Path(override).expanduser(), kind="override")
        ignored: list[str] = []
        refreshed = cache_db_path()
        if os.path.lexists(refreshed):
            from advisor.paths import UnsafeFolder

            try:
                check_refreshed_copy(refreshed)
                return cls(refreshed, kind="refreshed")
            except UnsafeFolder as exc:  # said where every run shows it, not only in `pricing status`
                import logging

                ignored.append(f"refreshed copy ignored: {exc}")
                logging.getLogger("advisor.pricing").warning("advisor: refreshed prices not used: %s", exc)
            except (CatalogError, OSError) as exc:
                ignored.append(f"refreshed copy ignored: {exc}")
        catalog = cls.shipped()
        catalog.ignored = ignored
        return catalog

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- prices ----------------------------------------------------------------------------------

    def _row(self, key: str, region: str) -> tuple[float, str, str, str] | None:
        region_id = self._region_ids.get(region)
        if region_id is None:
            return None
        with self._lock:
            row = self._conn.execute(
                "SELECT value, unit, origin FROM price WHERE key = ? AND region = ?", (key, region_id)
            ).fetchone()
        if row is None:
            return None
        source, as_of = self._origins[int(row[2])]
        return float(row[0]), self._units[int(row[1])], source, as_of

    def _exact(self, key: str, region: str, asked: str) -> Price | None:
        row = self._row(key, region)
        if row is None:
            return None
        value, unit, source, as_of = row
        return Price(asked, region, value, unit, source, as_of, estimate=False)

    def price(self, key: str, region: str) -> Price | None:
        """The price of `key` in `region`; us-east-1 marked `estimate=True` when the region lacks it and a
        fallback is honest; None when unknown (never 0). For a tier group (`lambda.arm64.duration`) this
        is the first tier, which is what most accounts pay; `tiers()` gives the whole ladder."""
        cache_key = (key, region)
        try:
            return self._prices[cache_key]
        except KeyError:
            pass
        found = self._exact(key, region, key)
        if found is None and region != FALLBACK_REGION and _FALLBACK_OK.match(region):
            fallback = self._exact(key, FALLBACK_REGION, key)
            if fallback is not None:
                found = Price(
                    key,
                    fallback.region,
                    fallback.value,
                    fallback.unit,
                    fallback.source,
                    fallback.as_of,
                    estimate=True,
                )
        if found is None:
            ladder = self._tier_keys(key)
            if ladder:
                first = self.price(ladder[0][0], region)
                if first is not None:
                    found = Price(
                        key, first.region, first.value, first.unit, first.source, first.as_of, first.estimate
                    )
        self._prices[cache_key] = found
        return found

    def _tier_keys(self, group: str) -> list[tuple[str, float, float | None]]:
        try:
            return self._tier_groups[group]
        except KeyError:
            pass
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, tier_begin, tier_end FROM tier WHERE tier_group = ? ORDER BY tier_begin",
                (group,),
            ).fetchall()
        ladder = [(str(k), float(b), None if e is None else float(e)) for k, b, e in rows]
        self._tier_groups[group] = ladder
        return ladder

    def tiers(self, key: str, region: str) -> list[Tier]:
        """Volume tiers as (begin, end or None, Price), in the price's own unit (GB-seconds, IOPS, GB).

        All tiers come from one region: `region` if it has the whole ladder, else us-east-1 (estimate).
        A key without tiers yields a single open-ended tier; an unknown key yields [].
        """
        cache_key = (key, region)
        found = self._tiers.get(cache_key)
        if found is None:
            found = self._tiers[cache_key] = tuple(self._find_tiers(key, region))
        return list(found)

    def _find_tiers(self, key: str, region: str) -> list[Tier]:
        ladder = self._tier_keys(key)
        if not ladder:
            single = self.price(key, region)
            return [] if single is None else [(0.0, None, single)]
        candidates = [region]
        if region != FALLBACK_REGION and _FALLBACK_OK.match(region):
            candidates.append(FALLBACK_REGION)
        for where in candidates:
            prices = [self._exact(k, where, k) for k, _b, _e in ladder]
            if all(p is not None for p in prices):
                estimate = where != region
                return [
                    (begin, end, Price(p.key, p.region, p.value, p.unit, p.source, p.as_of, estimate))
                    for (_k, begin, end), p in zip(ladder, prices, strict=True)
                    if p is not None
                ]
        return []

    price_tiers = tiers

    # -- instance facts --------------------------------------------------------------------------

    def instance_type(self, name: str) -> InstanceType | None:
        """Facts for an EC2 type (`m5.large`), RDS class (`db.m5.large`) or ElastiCache node
        (`cache.m5.large`); None when the snapshot does not know the name."""
        try:
            return self._types[name]
        except KeyError:
            pass
        with self._lock:
            row = self._conn.execute(
                "SELECT name, family, size, vcpu, memory_gib, arch, generation FROM instance_type"
                " WHERE name = ?",
                (name,),
            ).fetchone()
        found = None
        if row is not None:
            found = InstanceType(
                name=str(row[0]),
                family=str(row[1]),
                size=str(row[2]),
                vcpu=None if row[3] is None else int(row[3]),
                memory_gib=None if row[4] is None else float(row[4]),
                arch=None if row[5] is None else str(row[5]),
                generation=str(row[6]),
            )
        self._types[name] = found
        return found

    def instance_types(self, prefix: str = "") -> list[str]:
        """Known names starting with `prefix`, sorted (`"m7g."` lists that family's sizes)."""
        if self._names is None:
            with self._lock:
                names = [
                    str(r[0]) for r in self._conn.execute("SELECT name FROM instance_type ORDER BY name")
                ]
            self._names = names
        return [n for n in self._names if n.startswith(prefix)]

    def suggest_instance_type(self, name: str) -> str | None:
        """The closest real name for a typo (`m5.lagre` -> `m5.large`), searching the same service
        (EC2, `db.` or `cache.`) and preferring the same family; None when nothing is close."""
        import difflib

        wanted = name.strip().lower()
        if self.instance_type(wanted) is not None:
            return wanted
        prefix = next((p for p in _SERVICE_PREFIXES if wanted.startswith(p)), "")
        pool = [
            n
            for n in self.instance_types(prefix)
            if prefix or not any(n.startswith(p) for p in _SERVICE_PREFIXES)
        ]
        if "." in wanted[len(prefix) :]:
            family, _, size = wanted[len(prefix) :].partition(".")
            siblings = [n for n in pool if n.startswith(f"{prefix}{family}.")]
            sizes = [n[len(prefix) + len(family) + 1 :] for n in siblings]
            close = difflib.get_close_matches(size, sizes, n=1, cutoff=0.6)
            if close:
                return f"{prefix}{family}.{close[0]}"
        close = difflib.get_close_matches(wanted, pool, n=1, cutoff=0.75)
        return close[0] if close else None

    # -- status ----------------------------------------------------------------------------------

    def as_of(self) -> str | None:
        """The newest date among the prices, as `status()` gives it, without its full-table counts."""
        newest_first = sorted(self._origins.items(), key=lambda o: o[1][1], reverse=True)
        with self._lock:
            for origin, (_source, date) in newest_first:
                found = self._conn.execute("SELECT 1 FROM price WHERE origin = ? LIMIT 1", (origin,))
                if date and found.fetchone():
                    return date
        return None

    def status(self) -> dict[str, Any]:
        """What `advisor pricing status` prints: which file, where from, per-source dates and coverage."""
        with self._lock:
            info = {str(k): str(v) for k, v in self._conn.execute("SELECT name, value FROM info")}
            per_origin = {
                int(o): int(n)
                for o, n in self._conn.execute("SELECT origin, count(*) FROM price GROUP BY origin")
            }
            types_per_origin = {
                int(o): int(n)
                for o, n in self._conn.execute("SELECT origin, count(*) FROM instance_type GROUP BY origin")
            }
            source_rows = self._conn.execute(
                "SELECT name, title, url, revision, licence FROM source"
            ).fetchall()
            tiers = int(self._conn.execute("SELECT count(*) FROM tier").fetchone()[0])
            priced_regions = {
                int(r[0])
                for r in self._conn.execute("SELECT DISTINCT region FROM price WHERE key LIKE 'ec2.%'")
            }
        sources: list[dict[str, Any]] = []
        for name, title, url, revision, licence in source_rows:
            mine = [o for o, (s, _a) in self._origins.items() if s == name]
            used = [o for o in mine if per_origin.get(o) or types_per_origin.get(o)]
            sources.append(
                {
                    "name": name,
                    "title": title,
                    "url": url,
                    "revision": revision,
                    "licence": licence,
                    "as_of": sorted({self._origins[o][1] for o in used if self._origins[o][1]}),
                    "price_rows": sum(per_origin.get(o, 0) for o in mine),
                    "instance_type_rows": sum(types_per_origin.get(o, 0) for o in mine),
                }
            )
        price_dates = [a for o, (_s, a) in self._origins.items() if per_origin.get(o) and a]
        id_to_region = {i: c for c, i in self._region_ids.items()}
        return {
            "source": self.kind,
            "path": str(self.path),
            "schema_version": int(info.get("schema_version", "0")),
            "currency": info.get("currency", "USD"),
            "as_of": max(price_dates) if price_dates else None,
            "info": info,
            "sources": sources,
            "rows": {
                "price": sum(per_origin.values()),
                "instance_type": sum(types_per_origin.values()),
                "tier": tiers,
            },
            "regions": sorted(self._region_ids),
            "ec2_regions": sorted(id_to_region[i] for i in priced_regions),
            "fallback_region": FALLBACK_REGION,
            "ignored": list(self.ignored),
        }
