"""Every fix the linter offers on a CloudFormation template (each finding's, and each of its
alternatives'), applied as `advisor lint --format json` gives it, leaves a template that parses to the
same structure with only the edited values changed, its finding gone and every other finding as it was.

The templates are those in `examples/` and `tests/fixtures/cloudformation/`, plus every template under
the folder `ADVISOR_CORPUS` names when it is set. Each template and each fixed copy of it is linted by
the real command line, in two runs (all originals, then all fixed copies), so a large corpus stays fast.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLES, REPO, run_cli

SUFFIXES = (".yaml", ".yml", ".json", ".template")
MAX_TEMPLATE_BYTES = 2_000_000


def is_template(path: Path) -> bool:
    if path.suffix not in SUFFIXES or not path.is_file() or path.stat().st_size > MAX_TEMPLATE_BYTES:
        return False
    text = path.read_text(encoding="utf-8", errors="replace")
    return "Resources" in text and "AWS::" in text


def templates() -> list[Path]:
    folders = [EXAMPLES, REPO / "tests" / "fixtures" / "cloudformation"]
    corpus = os.environ.get("ADVISOR_CORPUS")
    if corpus:
        folders.append(Path(corpus))
    found = []
    for folder in folders:
        found.extend(sorted(p for p in folder.rglob("*") if is_template(p)))
    return found


# -- reading a template the way CloudFormation does, tags kept as data ---------------------------------
class DuplicateKey(Exception):
    pass


class TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (`!Ref x` becomes {"!Ref": "x"}); a duplicate key fails."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [
            self.construct_object(k, deep=True) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"
        ]
        hashable = [repr(k) for k in keys]
        if len(set(hashable)) != len(hashable):
            raise DuplicateKey(f"duplicate key at line {node.start_mark.line + 1}")
        return super().construct_mapping(node, deep=True)


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {"!" + suffix: value}


TemplateLoader.add_multi_constructor("!", _tagged)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({k for k, _ in pairs}) != len(pairs):
        raise DuplicateKey("duplicate key")
    return dict(pairs)


def load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        return json.loads(text, object_pairs_hook=_no_duplicates)
    return yaml.load(text, Loader=TemplateLoader)


def differences(a: Any, b: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any, Any]]:
    """Where two parsed templates differ: (path, before, after); `...` stands for a missing key."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in a.keys() | b.keys():
            out.extend(differences(a.get(k, ...), b.get(k, ...), (*path, k)))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, (*path, i))]
    return [] if a == b and type(a) is type(b) else [(path, a, b)]


def leaves(x: Any) -> list[Any]:
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in leaves(v)]
    if isinstance(x, list):
        return [leaf for v in x for leaf in leaves(v)]
    return [x]


# -- applying a fix ----------------------------------------------------------------------------------
def apply_edits(text: str, edits: list[dict[str, Any]]) -> str:
    """Splice the edits (1-based lines and code-point columns, as the JSON report gives them)."""
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    spans = sorted(
        (
            (offset(e["line"], e["column"]), offset(e["end_line"], e["end_column"]), e["new_text"])
            for e in edits
        ),
        reverse=True,
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def lint(folder: Path) -> dict[str, Any]:
    proc = run_cli(
        "lint", "--format", "json", "--fail-on", "never", ".", cwd=folder, env={"ADVISOR_NO_CACHE": "1"}
    )
    assert proc.returncode in (0, 3), proc.stderr[-2000:]
    return json.loads(proc.stdout)


def by_path(report: dict[str, Any], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for item in report[key]:
        out.setdefault(Path(item["path"]).as_posix(), []).append(item)
    return out


def place(f: dict[str, Any]) -> tuple[str, str, int]:
    """Where a finding is: one attribute of a resource may hold a finding per region of a region
    mapping, each at that region's entry."""
    return (f.get("resource") or "", f.get("attribute") or "", int(f.get("line") or 0))


def summary(f: dict[str, Any]) -> tuple[Any, ...]:
    return (
        f["rule"],
        f.get("resource"),
        f.get("attribute"),
        repr(f.get("current")),
        repr(f.get("suggested")),
    )


@dataclass
class Case:
    template: Path
    original: str  # the copy's path relative to the run folder
    fixed: str
    finding: dict[str, Any]  # for an alternative: the finding with the alternative's rule, value and fix
    alternative: bool = False


def check_case(case: Case, before: dict[str, Any], after: dict[str, Any], run: Path) -> str | None:
    """What is wrong with one fixed copy, or None."""
    f = case.finding
    try:
        old_tree = load(run / "originals" / case.original)
        new_tree = load(run / "fixed" / case.fixed)
    except (DuplicateKey, yaml.YAMLError, json.JSONDecodeError, UnicodeDecodeError) as e:
        return f"fixed template does not parse: {e}"
    # resources whose findings the same edit fixes (a parameter's default, a YAML anchor they share)
    sharing = {f["resource"]} | {
        g["resource"] for g in before["findings"] if g["fix"] and _same_ranges(g["fix"], f["fix"])
    }
    diffs = differences(old_tree, new_tree)
    if not diffs:
        return "the fix changed nothing"
    if len(diffs) > len(f["fix"]) * len(sharing):  # an aliased node changes under each of its names
        return f"more changed than the fix edits: {diffs}"
    for path, old, new in diffs:
        if isinstance(old, (dict, list)) or (old is not ... and isinstance(new, (dict, list))):
            return f"a structure changed at {path}: {old!r} -> {new!r}"
        if not path or path[0] not in ("Resources", "Parameters", "Mappings"):
            return f"changed outside the resources and their parameters: {path}"
        if path[0] == "Resources" and path[1] not in sharing:
            return f"changed another resource: {path}"
    if not any(str(f["suggested"]) in map(str, leaves(new)) or new == f["suggested"] for _, _, new in diffs):
        return f"the suggested value {f['suggested']!r} is not in the changes {diffs}"
    touched = {place(f)} | {
        place(g) for g in before["findings"] if g["fix"] and _same_ranges(g["fix"], f["fix"])
    }
    # after the best suggestion nothing is left to say there; after an alternative, a better value may
    # still be suggested, but never for the value the fix replaced
    if any(
        place(g) == place(f)
        and (repr(g["current"]) == repr(f["current"]) or not case.alternative)
        and g["rule"] == f["rule"]
        for g in after["findings"]
    ):
        return "the finding is still there"
    others_before = Counter(summary(g) for g in before["findings"] if place(g) not in touched)
    others_after = Counter(summary(g) for g in after["findings"] if place(g) not in touched)
    if others_before != others_after:
        return f"other findings changed: {others_before - others_after} -> {others_after - others_before}"
    if len(before["errors"]) != len(after["errors"]):
        return f"errors changed: {after['errors']}"
    if before["resources"] != after["resources"]:
        return "the resources changed"
    return None


def _same_ranges(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    def ranges(edits: list[dict[str, Any]]) -> set[tuple[int, ...]]:
        return {(e["line"], e["column"], e["end_line"], e["end_column"]) for e in edits}

    return bool(ranges(a) & ranges(b))


def test_every_cloudformation_fix_round_trips(tmp_path: Path) -> None:
    found = templates()
    assert len(found) >= 6  # the examples and the fixtures at least
    originals = tmp_path / "originals"
    for i, template in enumerate(found):
        (originals / f"t{i}").mkdir(parents=True)
        shutil.copyfile(template, originals / f"t{i}" / template.name)
    first = lint(originals)
    findings = by_path(first, "findings")
    errors = by_path(first, "errors")
    cases: list[Case] = []
    fixed_root = tmp_path / "fixed"
    for i, template in enumerate(found):
        name = f"t{i}/{template.name}"
        text = (originals / name).read_text(encoding="utf-8")
        for j, f in enumerate(findings.get(name, [])):
            offered = [(f, False)] + [
                ({**f, "rule": a["rule"], "suggested": a["suggested"], "fix": a["fix"]}, True)
                for a in f.get("alternatives") or []
                if a["fix"] != f["fix"]
            ]
            for k, (fix_of, alternative) in enumerate(offered):
                if not fix_of["fix"]:
                    continue
                fixed = f"t{i}-{j}-{k}/{template.name}"
                (fixed_root / fixed).parent.mkdir(parents=True)
                with open(fixed_root / fixed, "w", encoding="utf-8", newline="") as out:
                    out.write(apply_edits(text, fix_of["fix"]))
                cases.append(Case(template, name, fixed, fix_of, alternative))
    assert cases, "no template offered a fix"
    second = lint(fixed_root)
    fixed_findings = by_path(second, "findings")
    fixed_errors = by_path(second, "errors")
    resources_of = _resources(originals, [c.original for c in cases]) | _resources(
        fixed_root, [c.fixed for c in cases]
    )
    failures = []
    for case in cases:
        before = {
            "findings": findings.get(case.original, []),
            "errors": errors.get(case.original, []),
            "resources": resources_of.get(case.original),
        }
        after = {
            "findings": fixed_findings.get(case.fixed, []),
            "errors": fixed_errors.get(case.fixed, []),
            "resources": resources_of.get(case.fixed),
        }
        problem = check_case(case, before, after, tmp_path)
        if problem:
            failures.append(f"{case.template} {case.finding['rule']} {case.finding['resource']}: {problem}")
    alternatives = sum(c.alternative for c in cases)
    print(
        f"\n{len(found)} templates, {len(cases)} fixes applied ({alternatives} alternatives), {len(failures)} failures"
    )
    assert not failures, "\n".join(failures[:40])


def _resources(root: Path, names: list[str]) -> dict[str, list[str]]:
    """Each template's priced resources (type and address), from `advisor cost --format json`."""
    proc = run_cli("cost", "--format", "json", ".", cwd=root, env={"ADVISOR_NO_CACHE": "1"})
    assert proc.returncode in (0, 1, 3), proc.stderr[-2000:]
    out: dict[str, list[str]] = {}
    for r in json.loads(proc.stdout)["resources"]:
        out.setdefault(Path(r["path"]).as_posix(), []).append(f"{r['type']} {r['address']}")
    wanted = set(names)
    return {k: sorted(v) for k, v in out.items() if k in wanted}


@pytest.mark.parametrize(
    ("text", "edits", "expected"),
    [
        ("ab\ncd", [{"line": 2, "column": 2, "end_line": 2, "end_column": 3, "new_text": "X"}], "ab\ncX"),
        ("é\nx", [{"line": 1, "column": 2, "end_line": 1, "end_column": 2, "new_text": "!"}], "é!\nx"),
    ],
)
def test_edits_are_applied_at_code_point_columns(
    text: str, edits: list[dict[str, Any]], expected: str
) -> None:
    assert apply_edits(text, edits) == expected
