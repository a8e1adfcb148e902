"""Recall of the cost rules on a folder of real repositories.

Greps the folder's Terraform and CloudFormation files for literal costly values — io1/gp2/standard
volume types and previous-generation instance types in every attribute that carries one — and checks
which of them got a finding at that file and line (the finding's own line or a line its fix edits),
from the JSON of `advisor lint --format json` run over the same folder:

    ADVISOR_NO_CACHE=1 advisor lint CORPUS_DIR --format json > lint.json
    python benchmarks/rules_recall.py CORPUS_DIR lint.json [--misses]

The patterns are deliberately plain regular expressions over the text, independent of the parser,
so a value the front-ends or the rules do not reach shows up as a miss. Each literal is counted as
`attribute` (written on an attribute that carries the type: `instance_type = "m3.medium"`,
`VolumeType: gp2`) or `indirect` (a variable default, a `.tfvars` entry, a module argument, a template
parameter's default or a mapping value: found only when what uses it is analysed). Lists of allowed
values and text about a type (descriptions, validation messages) are not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator

# keys that carry a volume type (Terraform and CloudFormation spellings)
VOLUME_KEYS = r"(?:volume_type|storage_type|VolumeType|StorageType|type)"
VOLUME = re.compile(rf"""\b{VOLUME_KEYS}["']?\s*[=:]\s*["']?(io1|gp2|standard)["']?\s*(?:[,#}}]|$)""")
# previous-generation families (EC2, RDS, ElastiCache, OpenSearch, Neptune/DocumentDB) and Redshift nodes
FAMILIES = r"(?:t1|t2|m1|m2|m3|m4|c1|c3|c4|cr1|cc2|hs1|hi1|r3|r4|i2|d2|g2|g3|g3s|p2|x1|x1e|a1)"
INSTANCE = re.compile(
    rf"""["'\s\[,:](?P<v>(?:db\.|cache\.|kafka\.)?{FAMILIES}\.(?:nano|micro|small|medium|\d*x?large)"""
    rf"""(?:\.search|\.elasticsearch)?|(?:dc1|ds1|ds2)\.(?:large|xlarge|8xlarge))["'\s,\]]"""
)
# text about a type (descriptions, validation messages) is not a choice of one
PROSE = re.compile(r"""\s*["']?(description|Description|ConstraintDescription|error_message)["']?\s*[:=]""")
# attributes that carry the type themselves (not a variable default, a .tfvars entry or a parameter)
ATTRIBUTE = re.compile(
    r"""\b(instance_types?|instance_class|node_type|dedicated_master_type|volume_type|storage_type|type"""
    r"""|InstanceTypes?|DBInstanceClass|CacheNodeType|NodeType|VolumeType|StorageType)["']?\s*[=:]"""
)
SUFFIXES = (".tf", ".tfvars", ".json", ".yaml", ".yml", ".template")
SKIP_DIRS = {".git", ".terraform", "node_modules"}


def literals(root: str) -> Iterator[tuple[str, int, str, str]]:
    """(real path, line, category, value) of every costly literal in the folder's IaC files."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in files:
            if not name.endswith(SUFFIXES):
                continue
            path = os.path.realpath(os.path.join(folder, name))
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read(2_000_000)
            except OSError:
                continue
            if name.endswith((".json", ".yaml", ".yml", ".template")) and not re.search(
                r"AWS::|aws_[a-z]", text
            ):
                continue
            offered_until: int | None = None  # inside a list of allowed values (offered, not chosen)
            for number, line in enumerate(text.splitlines(), 1):
                stripped = line.lstrip()
                indent = len(line) - len(stripped)
                if offered_until is not None:
                    if (offered_until < 0 and "]" in line) or (
                        offered_until >= 0
                        and stripped
                        and indent <= offered_until
                        and not stripped.startswith("-")
                    ):
                        offered_until = None
                    if offered_until is not None or "]" in line:
                        continue
                if stripped.startswith(("#", "//")) or PROSE.match(line):
                    continue
                if re.search(r"AllowedValues|allowed_values|contains\(\[", line):
                    if "]" not in line:
                        offered_until = -1 if "[" in line else indent
                    continue
                where = "attribute" if ATTRIBUTE.search(line) else "indirect"
                for m in VOLUME.finditer(line):
                    yield path, number, f"volume/{where}", m.group(1)
                for m in INSTANCE.finditer(line):
                    if re.match(r"[\"']?\s*:", line[m.end("v") :]):
                        continue  # a mapping key (CloudFormation Mappings by instance type)
                    yield path, number, f"instance/{where}", m.group("v")


def found_lines(lint: dict[str, object], cwd: str) -> set[tuple[str, int]]:
    """(real path, line) of every finding and every line its fixes edit."""
    out: set[tuple[str, int]] = set()
    for f in lint.get("findings", []):  # type: ignore[union-attr]
        path = os.path.realpath(os.path.join(cwd, f["path"]))
        out.add((path, f["line"]))
        edits = list(f.get("fix") or [])
        for alt in f.get("alternatives") or []:
            edits += alt.get("fix") or []
        for edit in edits:  # an edit may be in another file (a module argument, a .tfvars entry)
            out.add((os.path.realpath(os.path.join(cwd, edit.get("path", f["path"]))), edit["line"]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("lint_json")
    parser.add_argument(
        "--cwd", default=os.getcwd(), help="where the lint ran (its paths are relative to it)"
    )
    parser.add_argument("--misses", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    with open(args.lint_json, encoding="utf-8") as f:
        lint = json.load(f)
    hits = found_lines(lint, args.cwd)
    seen: set[tuple[str, int, str]] = set()
    total: Counter[str] = Counter()
    got: Counter[str] = Counter()
    misses: list[tuple[str, int, str]] = []
    for path, line, category, value in literals(args.folder):
        if (path, line, value) in seen:
            continue
        seen.add((path, line, value))
        total[category] += 1
        if (path, line) in hits:
            got[category] += 1
        else:
            misses.append((path, line, value))
    for category in sorted(total):
        print(f"{category:18} {got[category]:5}/{total[category]:<5} {got[category] / total[category]:.1%}")
    n, k = sum(total.values()), sum(got.values())
    print(f"{'all':18} {k:5}/{n:<5} {k / n:.1%}" if n else "no costly literals found")
    if args.misses:
        root = os.path.realpath(args.folder)
        for path, line, value in misses:
            print(f"MISS {os.path.relpath(path, root)}:{line} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
