"""Inline ignore comments: `# advisor:ignore <ids> -- reason` and `# advisor:ignore-file <ids>`.

An ignore applies on its own line or the line below (the resource or attribute it annotates);
`all` matches every rule. Ignores that silence nothing are reported, so stale ones do not pile up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from advisor.model import Finding, Span

UNUSED_IGNORE = "unused-ignore"
_PATTERN = re.compile(
    r"(?:#|//)\s*advisor:(ignore-file|ignore)\b[ \t]*([A-Za-z0-9_,\- \t]*?)[ \t]*(?:--.*)?$", re.M
)


@dataclass(slots=True)
class Ignore:
    rules: set[str]
    line: int
    whole_file: bool
    span: Span
    used: set[str] = field(default_factory=set)

    def matches(self, rule: str) -> bool:
        return "all" in self.rules or rule in self.rules


def find_ignores(path: str, text: str) -> list[Ignore]:
    if "advisor:ignore" not in text:
        return []
    out: list[Ignore] = []
    for m in _PATTERN.finditer(text):
        ids = {p.strip() for p in re.split(r"[,\s]+", m.group(2)) if p.strip()}
        line = text.count("\n", 0, m.start())
        line_start = text.rfind("\n", 0, m.start()) + 1
        col = m.start() - line_start
        span = Span(
            path, line, col, line, col + len(m.group(0).rstrip()), m.start(), m.start() + len(m.group(0))
        )
        out.append(Ignore(ids or {"all"}, line, m.group(1) == "ignore-file", span))
    return out


def apply_ignores(
    findings: list[Finding],
    ignores: dict[str, list[Ignore]],
    resource_lines: dict[str, int],
    known_rules: set[str],
) -> list[Finding]:
    """Drop ignored findings; add a hint for each ignore that matched nothing."""
    kept: list[Finding] = []
    for f in findings:
        file_ignores = ignores.get(f.span.path, [])
        res_line = resource_lines.get(f.resource, -10)
        hit = None
        for ig in file_ignores:
            if not ig.matches(f.rule):
                continue
            if ig.whole_file or ig.line in (f.span.line, f.span.line - 1, res_line, res_line - 1):
                hit = ig
                break
        if hit is None:
            kept.append(f)
        else:
            hit.used.add(f.rule)
    for path in sorted(ignores):
        for ig in ignores[path]:
            unknown = sorted(r for r in ig.rules if r != "all" and r not in known_rules)
            unused = sorted(r for r in ig.rules if r not in ig.used and r not in unknown)
            if "all" in unused and ig.used:
                unused.remove("all")
            if unknown:
                kept.append(
                    Finding(
                        UNUSED_IGNORE,
                        "hint",
                        f"unknown rule id in ignore comment: {', '.join(unknown)}",
                        ig.span,
                    )
                )
            if unused:
                kept.append(
                    Finding(
                        UNUSED_IGNORE,
                        "hint",
                        f"ignore comment matches no finding: {', '.join(unused)}",
                        ig.span,
                    )
                )
    return kept
