"""GitLab Code Quality JSON from `advisor lint --format json`, so merge requests show the findings.

The lint command's formats are a fixed contract, so this is a converter run after it:

    advisor lint --format json --output advisor.json
    python -m advisor.report.codequality advisor.json > gl-code-quality-report.json

Fingerprints hash what a finding is about (rule, path, resource, attribute), not its line, so GitLab
keeps recognising a finding when code above it moves.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from typing import Any

from advisor.display import json_text, printable

SEVERITY = {"error": "critical", "warning": "major", "info": "minor", "hint": "info"}
READ_ERROR_SEVERITY = "blocker"  # a file that could not be read at all was not checked


def fingerprint(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def convert(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The Code Quality issues for one lint report (the JSON of `advisor lint --format json`)."""
    issues: list[dict[str, Any]] = []
    seen: Counter[str] = Counter()

    def unique(base: str) -> str:
        seen[base] += 1  # the same rule twice on one attribute (rare) still needs two fingerprints
        return base if seen[base] == 1 else fingerprint(base, str(seen[base]))

    for f in report.get("findings", []):
        path = str(f.get("path", ""))
        rule = str(f.get("rule", ""))
        key = fingerprint(rule, path, str(f.get("resource") or ""), str(f.get("attribute") or ""))
        if not f.get("resource"):  # parse errors and other findings without a resource: their text
            key = fingerprint(rule, path, str(f.get("message", "")))
        issues.append(
            {
                "type": "issue",
                "description": str(f.get("message", rule)),
                "check_name": rule,
                "fingerprint": unique(key),
                "severity": SEVERITY.get(str(f.get("severity")), "info"),
                "categories": ["Performance"] if f.get("monthly_savings") else ["Style"],
                "location": {"path": path, "lines": {"begin": int(f.get("line") or 1)}},
            }
        )
    flagged = {(i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues}
    for e in report.get("errors", []):
        path, line = str(e.get("path", "")), int(e.get("line") or 1)
        if (path, line) in flagged:
            continue  # already there as a parse-error finding
        issues.append(
            {
                "type": "issue",
                "description": str(e.get("message", "")),
                "check_name": "parse-error",
                "fingerprint": unique(fingerprint("parse-error", path, str(e.get("message", "")))),
                "severity": READ_ERROR_SEVERITY,
                "categories": ["Bug Risk"],
                "location": {"path": path, "lines": {"begin": line}},
            }
        )
    return issues


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m advisor.report.codequality",
        description="Convert `advisor lint --format json` output to GitLab Code Quality JSON.",
    )
    parser.add_argument("input", nargs="?", default="-", help="the lint JSON file (default: stdin)")
    parser.add_argument("--output", "-o", help="write to FILE instead of stdout")
    args = parser.parse_args(argv)
    try:
        if args.input == "-":
            report = json.load(sys.stdin)
        else:
            with open(args.input, encoding="utf-8") as f:
                report = json.load(f)
    except (OSError, ValueError) as exc:
        sys.stderr.write(printable(f"codequality: cannot read {args.input}: {exc}") + "\n")
        return 2
    if not isinstance(report, dict) or report.get("version") != 1 or "findings" not in report:
        what = printable(f"codequality: {args.input} is not the JSON of `advisor lint --format json`")
        sys.stderr.write(what + "\n")
        return 2
    text = json_text(convert(report))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
