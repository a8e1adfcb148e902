"""Reserved and spot prices shown beside the on-demand price (hovers, `advisor cost --format json`).

Every total Advisor states stays on-demand: a reservation or a spot request is a buying decision the
configuration does not record. What this module adds is the other price of the same hours, so a
reader sees what a commitment or spot capacity would change:

- Reserved: EC2 Linux (shared tenancy) standard reservations, 1 and 3 years, no upfront; RDS MySQL,
  PostgreSQL and MariaDB, Single-AZ and Multi-AZ, 1 year no upfront (AWS sells 3-year RDS terms only
  with an upfront payment, which the snapshot does not carry). Keys `ec2_reserved_1y.<type>`,
  `ec2_reserved_3y.<type>`, `rds_reserved_1y.<engine>.<deployment>.<class>`, per hour.
- Spot: `ec2_spot.<type>`, the lowest current Linux price among the region's zones. Spot prices move
  hourly and have no list, so the shipped snapshot has none: `advisor pricing refresh --spot`
  (`advisor.pricing.spot`) writes them into the user's refreshed copy.

A lookup is exact to the resource's region: a us-east-1 figure is never shown for another region (the
discount differs by region), and a missing row is said in words, never $0 and never left out.

The reserved rows are derived from the yeo/ec2.shop repository (MIT), which commits the JSON behind
AWS's public reserved-pricing pages: `python -m advisor.pricing.build_snapshot --from-ec2shop REPO`
regenerates `pricing/data/prices_reserved.csv` from a clone (bare or not) at the pinned revision,
then the SQLite file.
"""

from __future__ import annotations

import csv
import json
import math
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .catalog import Catalog
    from .costs import CostComponent, ResourceCost

TABLE = "prices_reserved.csv"
SOURCE_NAME = "ec2shop-reserved"
REPOSITORY = "https://github.com/yeo/ec2.shop"
REVISION = "74c9fd8ab5acfd9511cd6535f914d47071601ad2"
SOURCE_ROW = (
    SOURCE_NAME,
    "AWS reserved-instance list prices (EC2 Linux standard, RDS) as collected by ec2.shop",
    REPOSITORY,
    REVISION,
    "MIT",
    "EC2 standard 1/3 yr and RDS 1 yr, no upfront, per region; as_of is the file's publication date, "
    "or its commit date where the file states none",
)
SPOT_SOURCE = "aws-spot-price-history"
SPOT_HINT = "not in the snapshot; `advisor pricing refresh --spot` fetches current prices"
HOURS_PER_MONTH = 730.0

_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d+$")  # Local Zones (us-east-1-atl-1) are left out
_EC2_FILE = re.compile(r"^data/ec2/(?P<region>.+)-reservedinstance-(?P<term>1y|3y)\.json$")
_RDS_FILE = re.compile(
    r"^data/rds/(?P<region>.+)-rds-(?P<engine>mysql|postgresql|mariadb)-reservedinstance-"
    r"(?P<deployment>single|multi)-az-(?P<term>1y)\.json$"
)
_RDS_ENGINE = {"mysql": "mysql", "postgresql": "postgres", "mariadb": "mariadb"}
_RDS_ENGINE_NAME = {"mysql": "MySQL", "postgresql": "PostgreSQL", "mariadb": "MariaDB"}
_DEPLOYMENT_NAME = {"single": "Single-AZ", "multi": "Multi-AZ"}
_LEASE = {"1y": "1yr", "3y": "3yr"}
_NAME = re.compile(r"^(db\.)?[a-z0-9-]+\.[a-z0-9-]+$")


class DerivationError(Exception):
    """The repository cannot be read, or a file says something this derivation does not expect."""


# -- keys -------------------------------------------------------------------------------------------


def reserved_key(on_demand_key: str, term: str) -> str | None:
    """`ec2.m5.large` -> `ec2_reserved_1y.m5.large`; `rds.mysql.multi-az.db.m5.large` ->
    `rds_reserved_1y.mysql.multi-az.db.m5.large`; None for keys that have no reserved counterpart."""
    service, _, rest = on_demand_key.partition(".")
    if service not in ("ec2", "rds") or not rest:
        return None
    return f"{service}_reserved_{term}.{rest}"


def spot_key(on_demand_key: str) -> str | None:
    service, _, rest = on_demand_key.partition(".")
    return f"ec2_spot.{rest}" if service == "ec2" and rest else None


# Instance lines priced other than Linux shared tenancy: the reserved and spot rows do not apply.
_ONLY_LINUX_SHARED = "reserved and spot prices in the snapshot are for Linux, shared tenancy only"


def _eligible(key: str) -> str | None:
    """The service ("ec2" or "rds") when `key` is an on-demand price with alternatives here; "other"
    for an EC2 line with a licence (`ec2.m5.large+windows`) or dedicated tenancy."""
    if key.startswith("ec2_dedicated.") or (key.startswith("ec2.") and "+" in key):
        return "other"
    if key.startswith("ec2.") and key.count(".") >= 2:
        return "ec2"
    parts = key.split(".", 3)
    if (
        len(parts) == 4
        and parts[0] == "rds"
        and parts[1] in ("mysql", "postgres", "mariadb")
        and parts[2] in ("single-az", "multi-az")
    ):
        return "rds"
    return None


# -- lookups --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Alternative:
    """One other way to buy a component's hours: its monthly cost, or why there is no figure."""

    kind: str  # "reserved_1y" | "reserved_3y" | "spot"; "reserved_and_spot" when neither applies
    label: str  # "Reserved 1 yr, no upfront"
    hourly: float | None
    monthly_cost: float | None  # at the component's hours; None when unknown
    savings_percent: float | None  # against the on-demand line, rounded to a whole percent
    source: str = ""
    as_of: str = ""
    missing: str = ""  # why there is no figure (empty when there is one)


@dataclass(frozen=True, slots=True)
class ComponentAlternatives:
    component: str  # the bill line's name
    on_demand_monthly: float
    alternatives: tuple[Alternative, ...]


def _exact(catalog: Catalog, key: str, region: str) -> tuple[float, str, str] | None:
    """The price of `key` in exactly `region` (a fallback region's figure is not this region's)."""
    found = catalog.price(key, region)
    if found is None or found.estimate or found.region != region:
        return None
    return found.value, found.source, found.as_of


def _priced(
    kind: str, label: str, found: tuple[float, str, str], hours: float, on_demand: float
) -> Alternative:
    hourly, source, as_of = found
    monthly = hourly * hours
    saving = None if on_demand <= 0 else math.floor((1 - hourly / on_demand) * 100 + 0.5)  # half up
    return Alternative(kind, label, hourly, monthly, saving, source, as_of)


def component_alternatives(
    component: CostComponent, region: str, catalog: Catalog
) -> ComponentAlternatives | None:
    """Reserved (and for EC2, spot) prices of a priced EC2 or RDS instance line in `region`; None for
    any other line, or one whose on-demand price or hours are unknown."""
    key = component.key
    service = _eligible(key)
    if service is None or component.unit_price is None or component.quantity is None:
        return None
    hours = component.quantity
    on_demand = component.unit_price
    if service == "other":
        missing = Alternative(
            "reserved_and_spot", "Reserved and spot", None, None, None, missing=_ONLY_LINUX_SHARED
        )
        return ComponentAlternatives(component.name, hours * on_demand, (missing,))
    found: list[Alternative] = []
    parts = key.split(".")
    # what the user wrote: `m5.large`, or `db.m5.large (mysql, multi-az)`
    name = ".".join(parts[1:]) if service == "ec2" else f"{'.'.join(parts[3:])} ({parts[1]}, {parts[2]})"
    for term, years in (("1y", "1 yr"), ("3y", "3 yr")):
        label = f"Reserved {years}, no upfront"
        r_key = reserved_key(key, term)
        price = _exact(catalog, r_key, region) if r_key else None
        if price is not None:
            found.append(_priced(f"reserved_{term}", label, price, hours, on_demand))
        elif service == "rds" and term == "3y":
            why = "AWS sells 3-year RDS terms only with an upfront payment; not in the snapshot"
            found.append(Alternative("reserved_3y", label, None, None, None, missing=why))
        else:
            why = f"no {years} reserved price for {name} in {region} in the snapshot"
            found.append(Alternative(f"reserved_{term}", label, None, None, None, missing=why))
    if service == "ec2":
        s_key = spot_key(key)
        price = _exact(catalog, s_key, region) if s_key else None
        if price is not None:
            found.append(_priced("spot", "Spot", price, hours, on_demand))
        elif catalog.kind == "snapshot":
            found.append(Alternative("spot", "Spot", None, None, None, missing=SPOT_HINT))
        else:
            why = (
                f"no spot price for {name} in {region} in the prices in use; "
                f"`advisor pricing refresh --spot --region {region}` fetches them"
            )
            found.append(Alternative("spot", "Spot", None, None, None, missing=why))
    return ComponentAlternatives(component.name, hours * on_demand, tuple(found))


def alternatives_for(cost: ResourceCost, region: str, catalog: Catalog) -> list[ComponentAlternatives]:
    """The alternatives of every eligible line of one priced resource instance."""
    found = (component_alternatives(c, region, catalog) for c in cost.components)
    return [a for a in found if a is not None]


def as_json(found: Iterable[ComponentAlternatives]) -> list[dict[str, Any]]:
    """The `alternatives_pricing` entries of `advisor cost --format json` (docs/cli.md)."""
    out: list[dict[str, Any]] = []
    for entry in found:
        for alt in entry.alternatives:
            item: dict[str, Any] = {
                "component": entry.component,
                "kind": alt.kind,
                "label": alt.label,
                "unit_price": alt.hourly,
                "monthly_cost": None if alt.monthly_cost is None else round(alt.monthly_cost, 2),
                "savings_percent": alt.savings_percent,
                "source": alt.source,
                "as_of": alt.as_of,
            }
            if alt.missing:
                item["note"] = alt.missing
            out.append(item)
    return out


# -- derivation from the ec2.shop repository -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    region: str
    price: Decimal
    as_of: str


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    git_dir = repo / ".git" if (repo / ".git").exists() else repo
    try:
        done = subprocess.run(
            ["git", "--git-dir", str(git_dir), *args], input=stdin, capture_output=True, check=False
        )
    except OSError as exc:
        raise DerivationError(f"cannot run git: {exc}") from exc
    if done.returncode != 0:
        raise DerivationError(f"git {args[0]} in {repo}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def wanted_files(names: Iterable[str]) -> list[str]:
    """The repository paths this derivation reads: EC2 standard 1/3 yr and RDS 1 yr no-upfront files
    of every region (not Local Zones)."""
    out = []
    for name in names:
        m = _EC2_FILE.match(name) or _RDS_FILE.match(name)
        if m and _REGION.match(m.group("region")):
            out.append(name)
    return sorted(out)


def _read_blobs(repo: Path, revision: str, paths: list[str]) -> dict[str, bytes]:
    """Every file's bytes at `revision`, through one `git cat-file --batch`."""
    request = "".join(f"{revision}:{p}\n" for p in paths).encode()
    out = _git(repo, "cat-file", "--batch", stdin=request)
    blobs: dict[str, bytes] = {}
    pos = 0
    for path in paths:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        if len(header) != 3:
            raise DerivationError(f"{path} is not in {repo} at {revision}")
        size = int(header[2])
        blobs[path] = out[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1
    return blobs


def _commit_date(repo: Path, revision: str, path: str) -> str:
    return _git(repo, "log", "-1", "--format=%cs", revision, "--", path).decode().strip()


def _decimal(text: object, what: str) -> Decimal:
    try:
        value = Decimal(str(text))
    except InvalidOperation as exc:
        raise DerivationError(f"{what}: {text!r} is not a number") from exc
    if not value.is_finite():
        raise DerivationError(f"{what}: {text!r} is not a number")
    return value


def derive_file(path: str, document: Mapping[str, Any], commit_date: str) -> tuple[list[Row], list[str]]:
    """The rows of one reserved-price file, and notes on entries left out (with why)."""
    ec2 = _EC2_FILE.match(path)
    rds = _RDS_FILE.match(path)
    m = ec2 or rds
    if m is None:
        raise DerivationError(f"{path}: not a file this derivation reads")
    manifest = document.get("manifest")
    regions = document.get("regions")
    if not isinstance(manifest, dict) or not isinstance(regions, dict):
        raise DerivationError(f"{path}: no manifest or regions")
    if manifest.get("currencyCode") != "USD":
        raise DerivationError(f"{path}: currency {manifest.get('currencyCode')!r}, not USD")
    published = str(manifest.get("hawkFilePublicationDate") or "")[:10]
    as_of = published or commit_date
    region, term = m.group("region"), m.group("term")
    expect: dict[str, str] = {"PurchaseOption": "No Upfront", "LeaseContractLength": _LEASE[term]}
    if ec2:
        expect |= {"Operating System": "Linux", "Tenancy": "Shared", "Pre Installed S/W": "NA"}
    else:
        expect |= {
            "Database Engine": _RDS_ENGINE_NAME[m.group("engine")],
            "Deployment Option": _DEPLOYMENT_NAME[m.group("deployment")],
        }
    rows: dict[str, Row] = {}
    notes: list[str] = []
    for location, entries in regions.items():
        if not isinstance(entries, dict):
            raise DerivationError(f"{path}: {location!r} is not a table of entries")
        for label, entry in entries.items():
            if not isinstance(entry, dict):
                raise DerivationError(f"{path}: entry {label!r} is not an object")
            odd = {k: entry.get(k) for k, v in expect.items() if entry.get(k) != v}
            if odd:
                raise DerivationError(f"{path}: entry {label!r} has {odd}, expected {expect}")
            name = str(entry.get("Instance Type", ""))
            if not _NAME.match(name) or (rds is not None) != name.startswith("db."):
                raise DerivationError(f"{path}: entry {label!r} names {name!r}, not an instance type")
            price = _decimal(entry.get("price"), f"{path} {name} price")
            on_demand = _decimal(entry.get("OnDemand:PricePerUnit"), f"{path} {name} on-demand")
            if price <= 0 or price >= on_demand:  # a no-upfront rate is always below on-demand
                notes.append(f"{region} {name}: reserved {price} against on-demand {on_demand}; left out")
                continue
            if ec2:
                key = f"ec2_reserved_{term}.{name}"
            else:
                engine = _RDS_ENGINE[m.group("engine")]
                key = f"rds_reserved_{term}.{engine}.{m.group('deployment')}-az.{name}"
            previous = rows.get(key)
            if previous is not None and previous.price != price:
                raise DerivationError(f"{path}: {name} listed at {previous.price} and {price}")
            rows[key] = Row(key, region, price, as_of)
    return list(rows.values()), notes


def derive(repo: Path, revision: str = REVISION) -> tuple[list[Row], list[str]]:
    """All reserved rows from a clone of yeo/ec2.shop at `revision`, and notes on what was left out.

    A file whose content is not JSON (the repository holds a few S3 error pages where AWS served
    none, today every RDS MariaDB file) is reported and skipped: MariaDB then has no reserved row
    and the hover says so."""
    names = _git(repo, "ls-tree", "-r", "--name-only", revision, "data/ec2", "data/rds").decode().split()
    paths = wanted_files(names)
    if not paths:
        raise DerivationError(f"{repo} at {revision} has no reserved-price files")
    blobs = _read_blobs(repo, revision, paths)
    rows: list[Row] = []
    notes: list[str] = []
    not_json: list[str] = []
    for path in paths:
        try:
            document = json.loads(blobs[path])
        except ValueError:
            not_json.append(path)
            continue
        if not isinstance(document, dict):
            raise DerivationError(f"{path}: not a JSON object")
        manifest = document.get("manifest")
        has_date = isinstance(manifest, dict) and manifest.get("hawkFilePublicationDate")
        commit_date = "" if has_date else _commit_date(repo, revision, path)
        found, left_out = derive_file(path, document, commit_date)
        rows.extend(found)
        notes.extend(left_out)
    if not_json:
        notes.append(f"{len(not_json)} files are not JSON and were skipped: {', '.join(not_json)}")
    rows.sort(key=lambda r: (r.key, r.region))
    return rows, notes


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def write_table(rows: Iterable[Row], data_dir: Path) -> int:
    """Write `prices_reserved.csv` (the build's column layout: key,region,price,unit,source,as_of)."""
    count = 0
    target = data_dir / TABLE
    with target.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(("key", "region", "price", "unit", "source", "as_of"))
        for r in rows:
            writer.writerow((r.key, r.region, _fmt(r.price), "hour", SOURCE_NAME, r.as_of))
            count += 1
    return count
