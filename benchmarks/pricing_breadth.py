"""How many AWS resources of a real-world folder get a known cost or are known to be free.

    python benchmarks/pricing_breadth.py CORPUS_DIR [--top N]

Runs the engine once over CORPUS_DIR without the disk cache and sorts every AWS resource into one of
four states, for Terraform (`aws_*` types) and CloudFormation (`AWS::*` types) apart:

- known cost: bill lines whose prices are known (lines that depend on usage included: their unit
  prices are known, the quantity waits for `[usage]`);
- known free: a type with no charge of its own (IAM, security groups, subnets, S3 objects ...);
- cost line, unknown: priced, but a price or quantity is unknown (an instance type from an unset
  variable, a license the catalog lacks) — never counted as $0;
- not priced: a type Advisor has no estimator for yet.

The engine is imported (not the CLI's JSON) because the JSON names unpriced resources only by address,
which does not say which front-end, or which CloudFormation type, they came from. Templates that
launch nothing by themselves (launch templates and configurations) are counted apart: they are priced
where an autoscaling group or node group uses them.
"""

from __future__ import annotations

import argparse
import collections
import os
from pathlib import Path

STATES = ("known cost", "known free", "cost line, unknown", "not priced")


def measure(corpus: Path) -> dict[str, dict[str, collections.Counter[str]]]:
    """front-end -> state -> Counter of resource types."""
    os.environ["ADVISOR_NO_CACHE"] = "1"
    from advisor.engine import TEMPLATE_TYPES, Options, analyze_paths

    analysis = analyze_paths([str(corpus)], Options())
    costs = {(c.path, c.address): c for c in analysis.costs}
    out: dict[str, dict[str, collections.Counter[str]]] = {
        kind: {state: collections.Counter() for state in (*STATES, "template")}
        for kind in ("terraform", "cloudformation")
    }
    for r in analysis.resources:
        kind = "cloudformation" if r.source_type else "terraform"
        rtype = r.source_type or r.type
        if not rtype.startswith(("aws_", "AWS::")):
            continue  # other providers, custom resources, template modules
        if r.type in TEMPLATE_TYPES:
            out[kind]["template"][rtype] += 1
            continue
        cost = costs.get((r.path, r.address))
        if cost is None:
            state = "not priced"
        elif not cost.components:
            state = "known free"
        elif cost.monthly_cost is None:
            state = "cost line, unknown"
        else:
            state = "known cost"
        out[kind][state][rtype] += 1
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--top", type=int, default=15, help="how many not-priced types to list")
    args = parser.parse_args(argv)
    result = measure(args.corpus)
    print(
        "| front-end | AWS resources | known cost | known free | cost line, unknown | not priced "
        "| known cost or free |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind, states in result.items():
        counts = {s: sum(states[s].values()) for s in STATES}
        total = sum(counts.values())
        known = counts["known cost"] + counts["known free"]
        share = f"{100 * known / total:.1f} %" if total else "n/a"
        print(f"| {kind} | {total} | " + " | ".join(str(counts[s]) for s in STATES) + f" | {share} |")
    for kind, states in result.items():
        print(f"\n{kind}: most frequent types not priced")
        for rtype, n in states["not priced"].most_common(args.top):
            print(f"  {n:5d}  {rtype}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
