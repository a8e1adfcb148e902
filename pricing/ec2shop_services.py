"""Per-region managed-service prices derived from the ec2.shop repository (`--from-ec2shop DIR`).

`prices_services.csv` holds hand-checked us-east-1 figures; other regions fell back to them as
estimates. The ec2.shop repository (MIT) commits the JSON files behind AWS's public pricing pages
(`b0.p.awsstatic.com/pricing/2.0/meteredUnitMaps/<service>/...`), one file per service with every
region in it. This module reads four of them at pinned revisions and writes the project's own rows
(`prices_services_regional.csv`): OpenSearch instances and EBS volumes, Redshift nodes, MSK brokers
and storage, Amazon MQ brokers and storage.

Why it reads a git repository rather than a folder of files: the OpenSearch on-demand file at the
repository's newest revision is too large for some mirrors, so each file is read at its own pinned
revision (`FILES`), which makes the derivation reproducible byte for byte from any clone, bare or not.

What is taken, and why only that:

- Only entries whose meaning the file states are used: OpenSearch and MQ by their labelled keys, MSK
  by its `usageType` attribute, Redshift by the "OnDemand Compute Instance" set and the
  `Instance Type` attribute. Unlabelled entries (Redshift managed storage, reserved rows) are left out.
- A (key, region) that another table already prices keeps that row: the hand-kept us-east-1 figures
  are checked one by one (`services.md`). Where the two differ, the build prints both.
- A location name this module does not know, or two different prices for one key and region in one
  file, stops the build: a new region or an ambiguous file is fixed here, never dropped silently.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

TABLE = "prices_services_regional.csv"
SOURCE_NAME = "ec2shop-services"
REPOSITORY = "https://github.com/yeo/ec2.shop"
HEAD_REVISION = "74c9fd8ab5acfd9511cd6535f914d47071601ad2"
OPENSEARCH_REVISION = "dfecfb0aae8f25807f6c122c403abc4dd6f7a416"  # the newest es-ondemand.json stored

# path in the repository -> revision it is read at
FILES: Mapping[str, str] = {
    "data/es/es-ondemand.json": OPENSEARCH_REVISION,
    "data/redshift/redshift.json": HEAD_REVISION,
    "data/msk/msk.json": HEAD_REVISION,
    "data/mq/mq.json": HEAD_REVISION,
}

SOURCE_ROW = (
    SOURCE_NAME,
    "AWS pricing-page list prices for OpenSearch, Redshift, MSK and MQ as collected by ec2.shop",
    REPOSITORY,
    HEAD_REVISION,
    "MIT",
    "per-region on-demand prices; data/es/es-ondemand.json read at "
    f"{OPENSEARCH_REVISION} (its newest stored version); as_of is each file's publication date",
)

# AWS's location names in the pricing-page files -> region codes.
LOCATIONS: Mapping[str, str] = {
    "US East (N. Virginia)": "us-east-1",
    "US East (Ohio)": "us-east-2",
    "US West (N. California)": "us-west-1",
    "US West (Oregon)": "us-west-2",
    "AWS GovCloud (US)": "us-gov-west-1",
    "AWS GovCloud (US-East)": "us-gov-east-1",
    "Africa (Cape Town)": "af-south-1",
    "Asia Pacific (Hong Kong)": "ap-east-1",
    "Asia Pacific (Hyderabad)": "ap-south-2",
    "Asia Pacific (Jakarta)": "ap-southeast-3",
    "Asia Pacific (Malaysia)": "ap-southeast-5",
    "Asia Pacific (Melbourne)": "ap-southeast-4",
    "Asia Pacific (Mumbai)": "ap-south-1",
    "Asia Pacific (Osaka)": "ap-northeast-3",
    "Asia Pacific (Seoul)": "ap-northeast-2",
    "Asia Pacific (Singapore)": "ap-southeast-1",
    "Asia Pacific (Sydney)": "ap-southeast-2",
    "Asia Pacific (Thailand)": "ap-southeast-7",
    "Asia Pacific (Tokyo)": "ap-northeast-1",
    "Canada (Central)": "ca-central-1",
    "Canada West (Calgary)": "ca-west-1",
    "EU (Frankfurt)": "eu-central-1",
    "EU (Ireland)": "eu-west-1",
    "EU (London)": "eu-west-2",
    "EU (Milan)": "eu-south-1",
    "EU (Paris)": "eu-west-3",
    "EU (Spain)": "eu-south-2",
    "EU (Stockholm)": "eu-north-1",
    "EU (Zurich)": "eu-central-2",
    "Israel (Tel Aviv)": "il-central-1",
    "Mexico (Central)": "mx-central-1",
    "Middle East (Bahrain)": "me-south-1",
    "Middle East (UAE)": "me-central-1",
    "South America (Sao Paulo)": "sa-east-1",
}

# Groups that are not a region (MQ's free-tier rows are filed under "Any").
NOT_REGIONS = frozenset({"Any"})


class DerivationError(Exception):
    """The repository or one of its files is not what the derivation expects."""


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    region: str
    price: Decimal
    unit: str
    as_of: str

    def csv(self) -> tuple[str, str, str, str, str, str]:
        return (self.key, self.region, _fmt(self.price), self.unit, SOURCE_NAME, self.as_of)


Entry = Mapping[str, Any]
# (label, entry) -> (key, unit) or None: how one service's entries become keys
Picker = Callable[[str, Entry], tuple[str, str] | None]

_OPENSEARCH_VOLUMES: Mapping[str, tuple[str, str]] = {
    "EBS Volume General Purpose": ("opensearch.storage.gp2", "GB-month"),
    "EBS Volume GP3": ("opensearch.storage.gp3", "GB-month"),
    "EBS Volume GP3-ThroughPut-Storage": ("opensearch.throughput.gp3", "MiBps-month"),
    "EBS Volume GP3-Provisioned Storage": ("opensearch.iops.gp3", "IOPS-month"),  # IOPS above 3000
    "EBS Volume Magnetic": ("opensearch.storage.standard", "GB-month"),
    "EBS Volume Provisioned Storage": ("opensearch.storage.io1", "GB-month"),
    "EBS Volume Provisioned IOPS": ("opensearch.iops.io1", "IOPS-month"),
}
_OPENSEARCH_INSTANCE = re.compile(r"^[a-z0-9]+ [a-z0-9]+\.search - OnDemand - ")
_TYPE = re.compile(r"^[a-z0-9-]+\.[a-z0-9-]+$")


def _opensearch(label: str, entry: Entry) -> tuple[str, str] | None:
    if label in _OPENSEARCH_VOLUMES:
        return _OPENSEARCH_VOLUMES[label]
    name = str(entry.get("Instance Type", ""))
    if _OPENSEARCH_INSTANCE.match(label) and name.endswith(".search") and _TYPE.match(name[:-7]):
        return f"opensearch.{name}", "hour"
    return None


_REDSHIFT_ON_DEMAND = "OnDemand Compute Instance Current Generation"


def _redshift(on_demand: frozenset[str]) -> Picker:
    """Redshift nodes: the entries of the on-demand set (by rate-code key or by labelled key)."""

    def pick(label: str, entry: Entry) -> tuple[str, str] | None:
        if label not in on_demand and not label.endswith(f" {_REDSHIFT_ON_DEMAND}"):
            return None
        name = str(entry.get("Instance Type", ""))
        return (f"redshift.{name}", "hour") if _TYPE.match(name) else None

    return pick


# Usage types carry a region prefix (`EU-Kafka.m5.large`, `USE2-Kafka.m5.large`); us-east-1's is `USE1-`.
_MSK_USAGE = re.compile(r"^(?:[A-Z]{2,4}\d?-)?Kafka\.(?:(Storage\.GP2)|([a-z0-9]+\.[a-z0-9]+))$")


def _msk(_label: str, entry: Entry) -> tuple[str, str] | None:
    m = _MSK_USAGE.match(str(entry.get("usageType", "")))
    if m is None or entry.get("operation") not in ("RunBroker", "RunVolume"):
        return None
    if m.group(1):
        return "msk.storage", "GB-month"
    return f"msk.kafka.{m.group(2)}", "hour"


_MQ_BROKER = re.compile(r"^Single Instance mq ([a-z0-9]+\.[a-z0-9]+)$")
_MQ_STORAGE = {
    "Broker Storage GB Mo": ("mq.storage.efs", "GB-month"),
    "Broker Storage Single AZ GB-Mo": ("mq.storage.ebs", "GB-month"),
}


def _mq(label: str, _entry: Entry) -> tuple[str, str] | None:
    """ActiveMQ single-instance brokers (the `mq.mq.<type>` keys) and the two broker storage kinds."""
    m = _MQ_BROKER.match(label)
    if m:
        return f"mq.mq.{m.group(1)}", "hour"
    return _MQ_STORAGE.get(label)


def derive_rows(path: str, document: Mapping[str, Any]) -> list[Row]:
    """The rows one pricing-page file yields (`path` says which service it is)."""
    try:
        as_of = str(document["manifest"]["hawkFilePublicationDate"])[:10]
        regions = document["regions"]
        sets = document.get("sets", {})
    except (KeyError, TypeError) as exc:
        raise DerivationError(f"{path}: not a pricing-page file ({exc!r} missing)") from exc
    if not re.match(r"^\d{4}-\d{2}-\d{2}$", as_of) or not isinstance(regions, dict):
        raise DerivationError(f"{path}: no publication date or no regions")
    if document["manifest"].get("currencyCode", "USD") != "USD":
        raise DerivationError(f"{path}: prices are not in USD")
    pickers: Mapping[str, Picker] = {
        "data/es/es-ondemand.json": _opensearch,
        "data/redshift/redshift.json": _redshift(frozenset(sets.get(_REDSHIFT_ON_DEMAND, ()))),
        "data/msk/msk.json": _msk,
        "data/mq/mq.json": _mq,
    }
    pick = pickers[path]
    found: dict[tuple[str, str], Row] = {}
    for location, entries in sorted(regions.items()):
        if location in NOT_REGIONS:
            continue
        region = LOCATIONS.get(location)
        if region is None:
            raise DerivationError(f"{path}: unknown location {location!r}: add it to LOCATIONS")
        for label, entry in sorted(entries.items()):
            target = pick(label, entry) if isinstance(entry, dict) else None
            if target is None:
                continue
            try:
                price = Decimal(str(entry["price"]).strip())
            except (KeyError, InvalidOperation) as exc:
                raise DerivationError(f"{path}: {location} {label!r}: no price") from exc
            if not price.is_finite() or price <= 0:
                continue  # a free or placeholder entry is not a list price
            row = Row(target[0], region, price, target[1], as_of)
            old = found.setdefault((row.key, region), row)
            if old.price != row.price:
                raise DerivationError(f"{path}: {row.key} in {region}: {old.price} and {row.price}")
    return list(found.values())


def read_blob(repo: Path, revision: str, path: str) -> bytes:
    """One file of the repository at a revision (works on a bare mirror and on a checkout). The git
    directory is named explicitly, so a folder that is no clone is an error rather than a lookup in
    whatever repository happens to enclose it."""
    git_dir = repo / ".git" if (repo / ".git").exists() else repo
    try:
        done = subprocess.run(
            ["git", "--git-dir", str(git_dir), "cat-file", "blob", f"{revision}:{path}"],
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise DerivationError(f"cannot run git: {exc}") from exc
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip() or f"git exited {done.returncode}"
        raise DerivationError(f"{repo}: {path} at {revision[:12]}: {reason}")
    return done.stdout


def derive(repo: Path) -> list[Row]:
    """Every row of the four files, in a stable order."""
    rows: list[Row] = []
    for path, revision in FILES.items():
        try:
            document = json.loads(read_blob(repo, revision, path))
        except ValueError as exc:
            raise DerivationError(f"{path} at {revision[:12]}: not JSON ({exc})") from exc
        if not isinstance(document, dict):
            raise DerivationError(f"{path} at {revision[:12]}: not a JSON object")
        rows.extend(derive_rows(path, document))
    return sorted(rows, key=lambda r: (r.key, r.region))


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _priced_elsewhere(data_dir: Path, tables: Iterable[str]) -> dict[tuple[str, str], str]:
    """(key, region) -> price text of every row the other price tables already hold."""
    held: dict[tuple[str, str], str] = {}
    for name in tables:
        with (data_dir / name).open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                held[(r["key"], r["region"])] = r["price"]
    return held


def write_table(repo: Path, data_dir: Path, other_tables: Iterable[str]) -> int:
    """Derive the rows and write `TABLE` under `data_dir`, leaving out what other tables price."""
    held = _priced_elsewhere(data_dir, other_tables)
    kept: list[tuple[str, ...]] = []
    for row in derive(repo):
        other = held.get((row.key, row.region))
        if other is None:
            kept.append(row.csv())
        elif Decimal(other) != row.price:
            print(
                f"note: {row.key} {row.region}: kept {other}, ec2.shop {_fmt(row.price)} ({row.as_of})",
                file=sys.stderr,
            )
    with (data_dir / TABLE).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(("key", "region", "price", "unit", "source", "as_of"))
        writer.writerows(kept)
    return len(kept)
