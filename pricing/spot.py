"""Current EC2 spot prices into the refreshed price copy (`advisor pricing refresh --spot`).

Spot prices change hourly and AWS publishes no list of them, so the shipped snapshot has none and no
public dataset with a licence that allows shipping them was found. This fetch asks the user's own AWS
account, on request only: EC2 DescribeSpotPriceHistory in each region asked for, Linux/UNIX, with a
start time of now, which returns the current price of every instance type in every zone. The lowest
zone's price is stored per type and region as `ec2_spot.<type>` (per hour, source
`aws-spot-price-history`, as_of the date of the newest price read), the price a spot request placed
by price would pay today. Hovers and `advisor cost --format json` show it beside the on-demand price;
no total ever uses it.

The file is written like every refresh (`advisor.pricing.refresh`): a copy of the data in use, the new
rows inserted or replaced (spot prices of types AWS did not list this time keep their older row and
date), validation, then one atomic rename into the user's private cache folder.
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from . import snapshot_db
from .catalog import Catalog
from .commitments import SPOT_SOURCE
from .refresh import (
    _DENIED,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_SETUP,
    RETRIES,
    Progress,
    RefreshError,
    _aws,
    _base_database,
    _check_file,
    _error_code,
    _error_text,
    _fatal,
    _private_target,
    _remove,
    _sync_directory,
    copy_in_use,
    temporary_beside,
)
from .snapshot_db import PriceRow, SourceRow

PRODUCT = "Linux/UNIX"
PAGE_SIZE = 1000  # DescribeSpotPriceHistory's maximum
MAX_PAGES = 200  # far above the few pages a region takes; a service that never stops is refused
IAM_SPOT = ("ec2:DescribeSpotPriceHistory",)
SOURCE = SourceRow(
    SPOT_SOURCE,
    "Amazon EC2 DescribeSpotPriceHistory: current spot prices (Linux/UNIX), lowest zone per region",
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSpotPriceHistory.html",
    "",
    "AWS prices (facts), fetched with the user's own credentials",
    "fetched by `advisor pricing refresh --spot`; as_of is the date of the newest price read",
)
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d+$")
_TYPE = re.compile(r"^[a-z0-9-]+\.[a-z0-9-]+$")


def make_client(region: str) -> Any:
    """An EC2 client in `region` (spot prices are per region), adaptive retries against throttling."""
    config = _aws("botocore.config").Config(retries=dict(RETRIES))
    return _aws("boto3").client("ec2", region_name=region, config=config)


def _pages(client: Any, now: datetime) -> Iterator[dict[str, Any]]:
    token = ""
    for _ in range(MAX_PAGES):
        request: dict[str, Any] = {
            "StartTime": now,
            "ProductDescriptions": [PRODUCT],
            "MaxResults": PAGE_SIZE,
        }
        if token:
            request["NextToken"] = token
        page = client.describe_spot_price_history(**request)
        yield page
        token = str(page.get("NextToken") or "")
        if not token:
            return
    raise RefreshError(f"more than {MAX_PAGES} pages of spot prices: refused")


def lowest_prices(client: Any, now: datetime) -> tuple[dict[str, Decimal], str, int]:
    """The lowest current Linux price of each instance type across the region's zones, the date of
    the newest price read, and how many entries were unreadable (skipped)."""
    lowest: dict[str, Decimal] = {}
    newest = ""
    skipped = 0
    for page in _pages(client, now):
        for item in page.get("SpotPriceHistory", []):
            name = item.get("InstanceType")
            try:
                price = Decimal(str(item.get("SpotPrice")))
            except InvalidOperation:
                skipped += 1
                continue
            if (
                not isinstance(name, str)
                or not _TYPE.match(name)
                or item.get("ProductDescription") != PRODUCT
                or not price.is_finite()
                or price <= 0
            ):
                skipped += 1
                continue
            if name not in lowest or price < lowest[name]:
                lowest[name] = price
            stamp = item.get("Timestamp")
            if isinstance(stamp, datetime):
                newest = max(newest, stamp.astimezone(timezone.utc).strftime("%Y-%m-%d"))
    return lowest, newest or now.strftime("%Y-%m-%d"), skipped


def refresh_spot(
    regions: list[str],
    *,
    client_for: Callable[[str], Any],
    progress: Progress,
    target: Path,
    now: datetime,
) -> list[str]:
    """Fetch spot prices for `regions` into a new copy of the data in use and swap it in at `target`.
    Returns the regions that could not be refreshed (with why); raises RefreshError when none was."""
    bad = [r for r in regions if not _REGION.match(r)]
    if bad:
        raise RefreshError(f"not a region code: {', '.join(bad)}", EXIT_SETUP)
    base, immutable = _base_database(target, progress)
    tmp = temporary_beside(target)
    failed: list[str] = []
    try:
        conn = copy_in_use(tmp, base, immutable)
        try:
            base_rows = int(conn.execute("SELECT count(*) FROM price").fetchone()[0])
            applied: list[str] = []
            for region in regions:
                progress.update(f"spot {region}: fetching")
                try:
                    prices, as_of, skipped = lowest_prices(client_for(region), now)
                except RefreshError:
                    raise
                except Exception as exc:  # botocore raises many kinds; setup problems stop everything
                    if _error_code(exc) in _DENIED:
                        raise RefreshError(
                            f"AWS denied {IAM_SPOT[0]} ({_error_text(exc)}); allow it for these credentials",
                            EXIT_SETUP,
                        ) from exc
                    fatal = _fatal(exc, IAM_SPOT)
                    if fatal is not None and fatal.exit_code == EXIT_SETUP:
                        raise fatal from exc
                    failed.append(f"spot {region}: {_error_text(exc)}")
                    progress.warn(f"spot {region}: {_error_text(exc)}; previous prices kept")
                    continue
                if skipped:
                    progress.warn(f"spot {region}: skipped {skipped} unreadable entries")
                if not prices:
                    failed.append(f"spot {region}: AWS listed no Linux spot prices")
                    progress.warn(f"spot {region}: AWS listed no Linux spot prices; previous prices kept")
                    continue
                rows = [
                    PriceRow(f"ec2_spot.{t}", region, float(v), "hour", SPOT_SOURCE, as_of)
                    for t, v in sorted(prices.items())
                ]
                snapshot_db.write_prices(conn, rows)
                conn.commit()
                applied.append(region)
                progress.line(f"spot {region}: {len(rows)} instance types, as of {as_of}")
            if not applied:
                raise RefreshError("no spot prices were refreshed; the previous prices stay in use")
            snapshot_db.write_sources(conn, [SOURCE])
            snapshot_db.set_info(
                conn,
                kind="refreshed",
                spot_refreshed_at=now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                spot_regions=", ".join(applied),
            )
            conn.commit()
            problems = snapshot_db.validate(conn)
            if problems:
                raise RefreshError(f"the refreshed data failed validation: {'; '.join(problems)}")
        finally:
            conn.close()
        _check_file(tmp, base_rows)
        os.replace(tmp, target)
        _sync_directory(target.parent)
    finally:
        _remove(tmp)
    Catalog.reset_default()
    return failed


def run_spot_refresh(
    regions: list[str],
    *,
    client_for: Callable[[str], Any] | None = None,
    stream: TextIO | None = None,
    target: Path | None = None,
    now: datetime | None = None,
) -> int:
    """`advisor pricing refresh --spot`: 0 when every region was refreshed, 1 when only some or none
    were (the rest keeps its previous prices), 2 for bad arguments, credentials or permissions."""
    progress = Progress(stream if stream is not None else sys.stderr)
    try:
        failed = refresh_spot(
            regions,
            client_for=client_for or make_client,
            progress=progress,
            target=target or _private_target(),
            now=now or datetime.now(timezone.utc),
        )
    except RefreshError as exc:
        progress.error(str(exc))
        return exc.exit_code
    except (OSError, sqlite3.Error) as exc:
        progress.error(f"the spot prices could not be written ({exc}); the previous prices stay in use")
        return EXIT_FAILED
    for line in failed:
        progress.line(f"not refreshed (previous prices kept): {line}")
    return EXIT_FAILED if failed else EXIT_OK
