"""How much of infracost's AWS golden dollars Advisor reproduces (an oracle, not a source of prices).

    python benchmarks/golden_coverage.py --testdata DIR --golden CSV [--types aws_msk_cluster,...]

`DIR` is infracost's `internal/providers/terraform/aws/testdata` folder (one `<test>/<test>.tf` per
golden test); `CSV` is the golden cost lines parsed into `test,region,...,resource,component,
monthly_qty,unit,monthly_cost,usage_based,...,currency` rows. Each test's `.tf` files are copied
into a scratch folder without the `.usage.yml` (Advisor gets no usage) and priced with one
`advisor cost --format json` run over all of them.

Per golden resource, the figure compared is its fixed monthly cost: the sum of the lines infracost
does not mark as usage-based (what it charges with no usage file). A resource counts as reproduced
when Advisor's monthly cost is within 5 % of that figure (or within a cent). Printed: the share of
golden dollars reproduced, the share Advisor does not price at all, and the resource types where the
most dollars are missed. USD tests only; resources in other currencies are skipped.

Resources with an entry in their test's `.usage.yml` are measured apart: infracost does not mark
every line whose quantity comes from the usage file as usage-based (Kinesis Firehose's format
conversion and VPC data lines are priced on `monthly_data_ingested_gb`), so their golden "fixed"
figure is not what infracost charges without usage and cannot be reproduced without it. The
headline share is over the resources without usage entries.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

TOLERANCE = 0.05


def golden_fixed_costs(path: Path) -> dict[tuple[str, str], float]:
    """(test, resource address) -> sum of non-usage-based monthly cost lines."""
    totals: dict[tuple[str, str], float] = defaultdict(float)
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["currency"] != "USD":
                continue
            key = (row["test"], row["resource"])
            totals.setdefault(key, 0.0)
            if row["usage_based"] != "yes" and row["monthly_cost"]:
                totals[key] += float(row["monthly_cost"])
    return dict(totals)


def golden_all_costs(path: Path) -> dict[tuple[str, str], float]:
    """(test, resource address) -> sum of every monthly cost line, usage-based ones included."""
    totals: dict[tuple[str, str], float] = defaultdict(float)
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["currency"] == "USD" and row["monthly_cost"]:
                totals[(row["test"], row["resource"])] += float(row["monthly_cost"])
    return dict(totals)


def advisor_costs_with_usage(
    testdata: Path, tests: set[str], advisor: str, dates: dict[str, str]
) -> tuple[dict[tuple[str, str], float | None], list[str]]:
    """(test, address) -> Advisor's monthly cost given the test's own usage file (`--usage-file`, which
    reads infracost's format), one run per test; and the tests whose usage file Advisor refused."""
    out: dict[tuple[str, str], float | None] = {}
    refused: list[str] = []
    for test in sorted(tests):
        usage_files = sorted((testdata / test).glob("*.usage.yml"))
        if not usage_files:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            dest = Path(tmp) / test
            dest.mkdir()
            for f in (testdata / test).iterdir():
                if f.suffix in (".tf", ".tfvars") or f.name.endswith(".tf.json"):
                    shutil.copy(f, dest / f.name)
            proc = subprocess.run(
                [advisor, "cost", "--format", "json", "--usage-file", str(usage_files[0].resolve()), "."],
                cwd=dest,
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, "ADVISOR_NO_CACHE": "1", "ADVISOR_PRICE_DATE": dates.get(test, "")},
            )
        if proc.returncode not in (0, 1, 3):
            refused.append(
                f"{test}: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}"
            )
            continue
        for r in json.loads(proc.stdout)["resources"]:
            out[(test, r["address"])] = r["monthly_cost"]
    return out, refused


def golden_dates(path: Path) -> dict[str, str]:
    """test -> the date of its golden output (prices and support calendars are read as of that day)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["test"]: row["golden_date"] for row in csv.DictReader(fh)}


def usage_addresses(testdata: Path, test: str) -> set[str]:
    """The resource addresses a test's usage file gives usage for (`[*]` entries as their base)."""
    found: set[str] = set()
    for path in (testdata / test).glob("*.usage.yml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            m = re.match(r"^\s{2}([A-Za-z0-9_.\-\[\]\"*]+):\s*$", line)
            if m and m.group(1) != "version":
                found.add(m.group(1).replace("[*]", ""))
    return found


def has_usage(address: str, entries: set[str]) -> bool:
    return address in entries or re.sub(r"\[[^\]]*\]$", "", address) in entries


def advisor_costs(
    testdata: Path, tests: set[str], advisor: str, dates: dict[str, str]
) -> dict[tuple[str, str], float | None]:
    """(test, address) -> Advisor's monthly cost (None: priced but unknown); absent: not priced.

    One `advisor cost` run per golden date, with `ADVISOR_PRICE_DATE` set to it: an engine version's
    support phase (EKS, RDS extended support) is the one on the day infracost wrote the figure."""
    out: dict[tuple[str, str], float | None] = {}
    by_date: dict[str, set[str]] = defaultdict(set)
    for test in tests:
        by_date[dates.get(test, "")].add(test)
    for day, group in sorted(by_date.items()):
        out.update(_advisor_costs(testdata, group, advisor, day))
    return out


def _advisor_costs(
    testdata: Path, tests: set[str], advisor: str, day: str
) -> dict[tuple[str, str], float | None]:
    out: dict[tuple[str, str], float | None] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for test in sorted(tests):
            src = testdata / test
            if not src.is_dir():
                continue
            dest = root / test
            dest.mkdir()
            for f in src.iterdir():
                if f.suffix in (".tf", ".tfvars") or f.name.endswith(".tf.json"):
                    shutil.copy(f, dest / f.name)
        proc = subprocess.run(
            [advisor, "cost", "--format", "json", "."],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
            # price with this checkout's code and tables, as of the golden output's date
            env={**os.environ, "ADVISOR_NO_CACHE": "1", "ADVISOR_PRICE_DATE": day},
        )
        if proc.returncode not in (0, 1, 3):
            sys.exit(f"advisor cost failed ({proc.returncode}): {proc.stderr[-2000:]}")
        report = json.loads(proc.stdout)
    for r in report["resources"]:
        test = Path(r["path"]).parts[0]
        out[(test, r["address"])] = r["monthly_cost"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--testdata", type=Path, required=True)
    parser.add_argument("--golden", type=Path, required=True)
    parser.add_argument("--advisor", default=shutil.which("advisor") or "advisor")
    parser.add_argument("--types", default="", help="only these resource types (comma-separated)")
    parser.add_argument("--misses", type=int, default=15, help="how many missed types to list")
    parser.add_argument(
        "--details", action="store_true", help="also list each missed resource, golden against Advisor"
    )
    parser.add_argument(
        "--with-usage",
        action="store_true",
        help="also price the resources with usage entries given their test's usage file, against"
        " infracost's whole figure (usage-based lines included)",
    )
    args = parser.parse_args(argv)

    golden = golden_fixed_costs(args.golden)
    if args.types:
        wanted = set(args.types.split(","))
        golden = {k: v for k, v in golden.items() if k[1].split(".")[0] in wanted}
    ours = advisor_costs(args.testdata, {t for t, _ in golden}, args.advisor, golden_dates(args.golden))
    usage = {t: usage_addresses(args.testdata, t) for t in {t for t, _ in golden}}
    with_usage = {k: v for k, v in golden.items() if has_usage(k[1], usage[k[0]])}
    golden = {k: v for k, v in golden.items() if k not in with_usage}
    usage_total = sum(with_usage.values())
    usage_reproduced = sum(
        v
        for k, v in with_usage.items()
        if ours.get(k) is not None and abs((ours[k] or 0.0) - v) <= max(TOLERANCE * v, 0.01)
    )

    total = reproduced = not_priced = 0.0
    n_reproduced = n_not_priced = 0
    missed: dict[str, float] = defaultdict(float)
    missed_rows: list[tuple[float, str, str, float | None, bool]] = []
    for key, dollars in golden.items():
        total += dollars
        rtype = key[1].split(".")[0]
        if key not in ours:
            not_priced += dollars
            n_not_priced += 1
            missed[rtype] += dollars
            missed_rows.append((dollars, key[0], key[1], None, False))
            continue
        mine = ours[key]
        if mine is not None and abs(mine - dollars) <= max(TOLERANCE * dollars, 0.01):
            reproduced += dollars
            n_reproduced += 1
        else:
            missed[rtype] += dollars
            missed_rows.append((dollars, key[0], key[1], mine, True))

    def share(x: float) -> str:
        return f"{100 * x / total:.1f} %" if total else "n/a"

    print("| measurement | value |")
    print("|---|---:|")
    print(f"| golden resources (USD) without usage entries | {len(golden)} |")
    print(f"| golden fixed monthly dollars | ${total:,.2f} |")
    print(f"| **dollars reproduced within 5 %** | **{share(reproduced)}** ({n_reproduced} resources) |")
    print(f"| dollars on resources not priced | {share(not_priced)} ({n_not_priced} resources) |")
    print(
        f"| apart: resources with usage entries | {len(with_usage)}, ${usage_total:,.2f} "
        f"(${usage_reproduced:,.2f} reproduced) |"
    )
    if args.with_usage:
        everything = golden_all_costs(args.golden)
        tests = {t for t, _ in with_usage}
        given, refused = advisor_costs_with_usage(
            args.testdata, tests, args.advisor, golden_dates(args.golden)
        )
        full = {k: everything.get(k, v) for k, v in with_usage.items()}
        full_total = sum(full.values())
        matched = [
            k
            for k, v in full.items()
            if given.get(k) is not None and abs((given[k] or 0.0) - v) <= max(TOLERANCE * v, 0.01)
        ]
        matched_dollars = sum(full[k] for k in matched)
        print(
            f"| with their usage files (`--usage-file`): resources with usage entries | {len(full)}, "
            f"${full_total:,.2f} with usage-based lines |"
        )
        print(
            f"| … **dollars reproduced within 5 %** | **{100 * matched_dollars / full_total:.1f} %** "
            f"({len(matched)} resources) |"
            if full_total
            else "| … dollars reproduced within 5 % | n/a |"
        )
        for line in refused:
            print(f"| usage file refused | {line} |")
        if args.details:
            print()
            print("| test | resource (with usage) | golden | Advisor |")
            print("|---|---|---:|---:|")
            for k in sorted((k for k in full if k not in matched), key=lambda k: -full[k]):
                mine = given.get(k)
                figure = "not priced" if k not in given else "unknown" if mine is None else f"${mine:,.2f}"
                print(f"| {k[0]} | {k[1]} | ${full[k]:,.2f} | {figure} |")
    print()
    print("| resource type | golden dollars missed |")
    print("|---|---:|")
    for rtype, dollars in sorted(missed.items(), key=lambda kv: -kv[1])[: args.misses]:
        print(f"| {rtype} | ${dollars:,.2f} |")
    if args.details:
        print()
        print("| test | resource | golden | Advisor |")
        print("|---|---|---:|---:|")
        for dollars, test, address, mine, priced in sorted(missed_rows, reverse=True):
            figure = "not priced" if not priced else "unknown" if mine is None else f"${mine:,.2f}"
            print(f"| {test} | {address} | ${dollars:,.2f} | {figure} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
