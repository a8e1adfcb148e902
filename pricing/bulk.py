"""AWS price list offer files (the bulk CSV format): a streaming reader and a cautious downloader.

An offer file for a whole service in one region can be hundreds of megabytes (AmazonEC2), so rows are
read one at a time and filtered as they arrive; nothing keeps the file whole. The CSV layout is:

    "FormatVersion","v1.0"
    "Disclaimer","This pricing list is for informational purposes only. ..."
    "Publication Date","2026-07-01T00:00:00Z"
    "Version","20260701000000"
    "OfferCode","AWSLambda"
    "SKU","OfferTermCode","RateCode","TermType",...,"PricePerUnit","Currency",...,"usageType",...
    ...one row per price dimension: tiers are rows of the same SKU with their own StartingRange...

A file that does not look like that (a spreadsheet's `sep=,` line, a missing preamble, numbers that a
spreadsheet re-formatted) is rejected as a whole; single rows that cannot be read are skipped and
counted, and the refresh's row-count check catches a file that lost too many of them.

`Offer` is also the shape the Query API path produces, so both paths share one set of key mappers.
"""

from __future__ import annotations

import csv
import http.client
import io
import re
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Protocol
from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
PREAMBLE_KEYS = ("FormatVersion", "Disclaimer", "Publication Date", "Version", "OfferCode")
_REQUIRED_PREAMBLE = ("FormatVersion", "Publication Date", "Version", "OfferCode")
_REQUIRED_COLUMNS = (
    "SKU",
    "TermType",
    "StartingRange",
    "EndingRange",
    "Unit",
    "PricePerUnit",
    "Currency",
    "Product Family",
)
# Columns that describe the price dimension rather than the product; they are not attributes.
_TERM_COLUMNS = frozenset(
    {
        "SKU",
        "OfferTermCode",
        "RateCode",
        "TermType",
        "PriceDescription",
        "EffectiveDate",
        "StartingRange",
        "EndingRange",
        "Unit",
        "PricePerUnit",
        "Currency",
        "RelatedTo",
        "LeaseContractLength",
        "PurchaseOption",
        "OfferingClass",
        "Product Family",
    }
)
# CSV header -> the attribute name GetProducts uses, where the generic camelCase rule gets it wrong.
_ATTRIBUTE_NAMES = {
    "serviceCode": "servicecode",
    "usageType": "usagetype",
    "CapacityStatus": "capacitystatus",
    "Pre Installed S/W": "preInstalledSw",
    "vCPU": "vcpu",
    "GPU": "gpu",
    "Volume API Name": "volumeApiName",
    "Market Option": "marketoption",
}
_PUBLICATION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(T|$)")
_VERSION_RE = re.compile(r"^\d{8,20}$")


@dataclass(frozen=True, slots=True)
class Offer:
    """One on-demand price dimension of one product, in USD.

    `attributes` use the GetProducts names (`instanceType`, `usagetype`, `regionCode`, ...). A tiered
    price is several offers of one product, each with its own `begin`/`end` (in the unit's quantity).
    """

    sku: str
    product_family: str
    attributes: Mapping[str, str]
    unit: str
    price: Decimal
    begin: Decimal
    end: Decimal | None
    as_of: str  # YYYY-MM-DD: the price list's publication date


class OfferFileError(Exception):
    """The file is not an unmodified AWS offer CSV, or its download broke off; nothing from it is used."""


class Readable(Protocol):
    """What the downloader needs from an HTTP response (urllib's, or a test double)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


Opener = Callable[[str], Readable]
ProgressCallback = Callable[[int, int | None], None]  # (bytes read so far, total size if known)


def attribute_name(column: str) -> str:
    """The GetProducts attribute for a CSV column: `Instance Type` -> `instanceType`."""
    known = _ATTRIBUTE_NAMES.get(column)
    if known is not None:
        return known
    words = column.replace("-", " ").split()
    if not words:
        return column
    return words[0][:1].lower() + words[0][1:] + "".join(w[:1].upper() + w[1:] for w in words[1:])


def _decimal(text: str) -> Decimal:
    value = Decimal(text.strip())
    if not value.is_finite():
        raise InvalidOperation(text)
    return value


@dataclass
class OfferCsv:
    """A parsed preamble and header, and a one-pass iterator over the on-demand USD rows."""

    offer_code: str
    version: str
    publication_date: str
    columns: tuple[str, ...]
    _rows: Iterator[list[str]] = field(repr=False)
    skipped: int = 0  # rows that could not be read (wrong field count, a price that is not a number)
    rows_read: int = 0
    first_problem: str = ""

    @property
    def as_of(self) -> str:
        return self.publication_date[:10]

    def offers(self, region: str | None = None) -> Iterator[Offer]:
        """Yield on-demand USD offers, dropping rows of other regions before building anything.

        A row with no region code (older files, free-tier rows) is kept: the file is for one region,
        and the key mappers ignore products they do not know.
        """
        index = {name: i for i, name in enumerate(self.columns)}
        i_sku, i_term, i_cur = index["SKU"], index["TermType"], index["Currency"]
        i_unit, i_price = index["Unit"], index["PricePerUnit"]
        i_begin, i_end, i_family = index["StartingRange"], index["EndingRange"], index["Product Family"]
        i_region = index.get("Region Code")
        names = [(i, attribute_name(c)) for i, c in enumerate(self.columns) if c not in _TERM_COLUMNS]
        width = len(self.columns)
        as_of = self.as_of
        try:
            for row in self._rows:
                self.rows_read += 1
                if len(row) != width:
                    if any(cell.strip() for cell in row):
                        self._skip(f"row {self.rows_read} has {len(row)} fields, expected {width}")
                    continue
                if row[i_term] != "OnDemand" or row[i_cur] != "USD":
                    continue
                if region is not None and i_region is not None and row[i_region] not in ("", region):
                    continue
                try:
                    price = _decimal(row[i_price])
                    begin = _decimal(row[i_begin] or "0")
                    end_text = row[i_end].strip()
                    end = None if end_text in ("", "Inf") else _decimal(end_text)
                except (InvalidOperation, ValueError):
                    self._skip(
                        f"row {self.rows_read} ({row[i_sku]!r}) has a price or range that is not a number"
                    )
                    continue
                if price < 0:
                    self._skip(f"row {self.rows_read} ({row[i_sku]!r}) has a negative price")
                    continue
                attributes = {name: row[i] for i, name in names if row[i]}
                yield Offer(row[i_sku], row[i_family], attributes, row[i_unit], price, begin, end, as_of)
        except csv.Error as exc:
            raise OfferFileError(f"unreadable CSV after row {self.rows_read}: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise OfferFileError(f"not UTF-8 text after row {self.rows_read}: {exc}") from exc
        except (http.client.IncompleteRead, OSError) as exc:
            raise OfferFileError(f"the download broke off after row {self.rows_read}: {exc!r}") from exc

    def _skip(self, problem: str) -> None:
        self.skipped += 1
        if not self.first_problem:
            self.first_problem = problem


def read_offer_csv(text: Iterator[str] | io.TextIOBase) -> OfferCsv:
    """Check the preamble and header of an offer CSV; the rows are read later, by `OfferCsv.offers()`.

    Raises OfferFileError for anything that is not an AWS offer file as AWS publishes it.
    """
    rows = csv.reader(text)
    try:
        first = next(rows, None)
        if first is None or not any(cell.strip() for cell in first):
            raise OfferFileError("the file is empty")
        lead = first[0].lstrip("\ufeff").strip()
        if lead.lower().startswith("sep="):
            shown = ",".join(first).lstrip("\ufeff").strip()
            raise OfferFileError(
                f"the first line is {shown!r}, which spreadsheets add: not an unmodified AWS offer file"
            )
        if lead != "FormatVersion":
            raise OfferFileError(f"no offer-file preamble: the first line starts with {lead[:40]!r}")
        meta: dict[str, str] = {}
        row: list[str] | None = [lead, *first[1:]]
        line = 1
        while row is not None and row[:1] != ["SKU"]:
            if line > len(PREAMBLE_KEYS):
                raise OfferFileError(
                    f"no header row (starting with SKU) after {len(PREAMBLE_KEYS)} preamble lines"
                )
            if len(row) != 2 or row[0] not in PREAMBLE_KEYS:
                raise OfferFileError(f"preamble line {line} is not a known name/value pair: {row[:3]!r}")
            meta[row[0]] = row[1]
            row = next(rows, None)
            line += 1
        if row is None:
            raise OfferFileError(f"the file ends after {line - 1} lines, before its header row (truncated?)")
    except csv.Error as exc:
        raise OfferFileError(f"unreadable CSV preamble: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise OfferFileError(f"not UTF-8 text: {exc}") from exc
    missing = [k for k in _REQUIRED_PREAMBLE if k not in meta]
    if missing:
        raise OfferFileError(f"the preamble lacks {', '.join(missing)}")
    if meta["FormatVersion"] != "v1.0":
        raise OfferFileError(f"unsupported offer file format {meta['FormatVersion']!r} (expected v1.0)")
    if not _VERSION_RE.match(meta["Version"]):
        raise OfferFileError(
            f"version {meta['Version']!r} is not a timestamp (was the file re-saved by a spreadsheet?)"
        )
    if not _PUBLICATION_RE.match(meta["Publication Date"]):
        raise OfferFileError(f"publication date {meta['Publication Date']!r} is not an ISO date")
    columns = tuple(row)
    absent = [c for c in _REQUIRED_COLUMNS if c not in columns]
    if absent:
        raise OfferFileError(f"the header row lacks the columns {', '.join(absent)}")
    if len(set(columns)) != len(columns):
        raise OfferFileError("the header row repeats a column name")
    return OfferCsv(meta["OfferCode"], meta["Version"], meta["Publication Date"], columns, rows)


def open_url(url: str, timeout: float = 60.0) -> Readable:
    """Open an offer-file URL: https only (plain http is allowed for loopback, which tests use).

    Loopback requests bypass any proxy settings, so a local test server is really the one answering.
    """
    parts = urlsplit(url)
    if parts.scheme == "https":
        opener = urllib.request.build_opener()
    elif parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    else:
        raise OfferFileError(f"refusing to download {url!r}: only https URLs are used")
    response: Readable = opener.open(url, timeout=timeout)
    return response


class _CountingReader(io.RawIOBase):
    """Counts bytes as they stream past: for progress, and to notice a body shorter than announced."""

    def __init__(self, inner: Readable, total: int | None, progress: ProgressCallback | None) -> None:
        super().__init__()
        self._inner = inner
        self._total = total
        self._progress = progress
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        n = len(data)
        if not n and self._total is not None and self.count < self._total:
            # http.client ends a short body quietly when read in chunks; a cut file must not look whole
            raise http.client.IncompleteRead(b"", self._total - self.count)
        buffer[:n] = data
        self.count += n
        if self._progress is not None and n:
            self._progress(self.count, self._total)
        return n

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def _content_length(response: Readable) -> int | None:
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@dataclass
class OfferStream:
    """The offers kept from one downloaded file, and what was learned about the file on the way."""

    offer_code: str
    as_of: str
    offers: list[Offer]
    rows_read: int
    skipped: int
    first_problem: str


def read_offers(
    url: str,
    *,
    keep: Callable[[Offer], bool],
    opener: Opener | None = None,
    region: str | None = None,
    progress: ProgressCallback | None = None,
) -> OfferStream:
    """Download an offer CSV and keep the on-demand offers `keep` accepts, dropping the rest as they
    arrive (see `OfferCsv.offers()` for the region rule).

    Raises OfferFileError when the file is malformed or the transfer stops early.
    """
    try:
        response = (opener or open_url)(url)
    except OfferFileError:
        raise
    except OSError as exc:  # urllib's URLError and HTTPError are OSErrors
        raise OfferFileError(f"cannot download {url}: {exc}") from exc
    reader = _CountingReader(response, _content_length(response), progress)
    text = io.TextIOWrapper(io.BufferedReader(reader, 1 << 16), encoding="utf-8-sig", newline="")
    try:
        try:
            parsed = read_offer_csv(text)
        except (http.client.IncompleteRead, OSError) as exc:
            raise OfferFileError(f"the download of {url} broke off: {exc!r}") from exc
        kept = [offer for offer in parsed.offers(region) if keep(offer)]
    finally:
        text.close()
    return OfferStream(
        parsed.offer_code, parsed.as_of, kept, parsed.rows_read, parsed.skipped, parsed.first_problem
    )
