"""Code actions as model edits: apply a finding's fix, add an ignore comment, fix everything safe.

An action is first offered as an `ActionSpec` (title, kind, the finding it belongs to) and its edits
are computed only when the editor asks for them (`codeAction/resolve`), from the same analysis.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from advisor.ignores import IgnoreComment, find_ignores, own_line_comment
from advisor.lsp.documents import LineIndex
from advisor.lsp.presentation import fix_title, money
from advisor.model import Finding, Span, TextEdit

FIX_ALL_KIND = "source.fixAll.advisor"
QUICKFIX = "quickfix"
NO_IGNORE = {"parse-error", "unused-ignore"}


@dataclass(slots=True)
class ActionSpec:
    title: str
    kind: str
    action: str  # fix | ignore-line | ignore-file | remove-ignore | fix-all
    rule: str = ""
    key: list[Any] = field(default_factory=list)
    preferred: bool = False
    findings: list[Finding] = field(default_factory=list)


def overlaps(f: Finding, line: int, col: int, end_line: int, end_col: int) -> bool:
    s = f.span
    return not ((s.end_line, s.end_column) < (line, col) or (end_line, end_col) < (s.line, s.column))


def comment_marker(text: str) -> str:
    """`//` when the file's comments are mostly `//`, else `#` (Terraform's default style)."""
    slashes = hashes = 0
    for raw in text.splitlines():
        stripped = raw.lstrip()
        if stripped.startswith("//"):
            slashes += 1
        elif stripped.startswith("#"):
            hashes += 1
    return "//" if slashes > hashes else "#"


def supports_comments(path: str) -> bool:
    return not path.endswith(".json")


def offer(
    findings: list[Finding], path: str, index: LineIndex | None, all_findings: list[Finding]
) -> list[ActionSpec]:
    """Quick fixes for the findings under the cursor, in the order editors show them: fixes first,
    then the ignore comments."""
    from advisor.lsp.convert import finding_key

    specs: list[ActionSpec] = []
    for f in findings:
        key = finding_key(f)
        several = len(f.alternatives) > 1
        for alt in f.alternatives or [f]:  # one fix per competing suggestion, the best first
            if alt.fix:
                title = fix_title(alt) + (f" ({alt.rule})" if several else "")
                preferred = alt.fix_safe and alt is (f.alternatives or [f])[0]
                specs.append(ActionSpec(title, QUICKFIX, "fix", alt.rule, key, preferred, [f]))
        if f.rule == "unused-ignore" and index is not None and _wholly_unused(f, index, all_findings):
            specs.append(
                ActionSpec(
                    "Remove the unused ignore comment", QUICKFIX, "remove-ignore", f.rule, key, True, [f]
                )
            )
    for f in findings:
        if f.rule in NO_IGNORE or not supports_comments(path):
            continue
        key = finding_key(f)
        for rule in [a.rule for a in f.alternatives] or [f.rule]:  # an ignore silences one rule id
            specs.append(ActionSpec(f"Ignore {rule} here", QUICKFIX, "ignore-line", rule, key, False, [f]))
            specs.append(
                ActionSpec(f"Ignore {rule} in this file", QUICKFIX, "ignore-file", rule, key, False, [f])
            )
    return specs


def _wholly_unused(f: Finding, index: LineIndex, all_findings: list[Finding]) -> bool:
    """Removing a comment is only right when none of its ids silences anything."""
    comment = find_ignores(f.span.path, index.line(f.span.line))
    if len(comment) != 1:
        return False
    named: set[str] = set()
    for other in all_findings:
        if (
            other.rule == "unused-ignore"
            and other.span.line == f.span.line
            and other.span.path == f.span.path
        ):
            named.update(p.strip() for p in other.message.rpartition(":")[2].split(",") if p.strip())
    return comment[0].rules <= named


def fix_all_spec(all_findings: list[Finding]) -> ActionSpec | None:
    chosen = safe_fixes(all_findings)
    if not chosen:
        return None
    saving = sum(f.monthly_savings or 0.0 for f in chosen if (f.monthly_savings or 0) > 0)
    n = len(chosen)
    title = f"Apply {n} safe Advisor fix{'es' if n != 1 else ''}"
    if saving > 0:
        title += f" (saves {money(saving)}/mo)"
    return ActionSpec(title, FIX_ALL_KIND, "fix-all", findings=chosen)


def safe_fixes(findings: list[Finding]) -> list[Finding]:
    """Safe fixes whose edits do not collide with each other (the first of two colliding fixes wins)."""
    taken: dict[str, list[tuple[tuple[int, int], tuple[int, int], str]]] = {}
    chosen: list[Finding] = []
    for found in sorted(findings, key=Finding.sort_key):
        # of competing suggestions for one value, the best whose fix is safe
        f = next((a for a in found.alternatives or [found] if a.fix and a.fix_safe), None)
        if f is None:
            continue
        ok = True
        for e in f.fix:
            for start, end, text in taken.get(os.path.normpath(e.span.path), []):
                same = (start, end, text) == (
                    (e.span.line, e.span.column),
                    (e.span.end_line, e.span.end_column),
                    e.new_text,
                )
                if not same and not (
                    (e.span.end_line, e.span.end_column) <= start or end <= (e.span.line, e.span.column)
                ):
                    ok = False
        if not ok:
            continue
        chosen.append(f)
        for e in f.fix:
            taken.setdefault(os.path.normpath(e.span.path), []).append(
                ((e.span.line, e.span.column), (e.span.end_line, e.span.end_column), e.new_text)
            )
    return chosen


def fix_all_edits(findings: list[Finding]) -> list[TextEdit]:
    seen: set[tuple[str, int, int, int, int, str]] = set()
    out: list[TextEdit] = []
    for f in safe_fixes(findings):
        for e in f.fix:
            k = (
                os.path.normpath(e.span.path),
                e.span.line,
                e.span.column,
                e.span.end_line,
                e.span.end_column,
                e.new_text,
            )
            if k not in seen:
                seen.add(k)
                out.append(e)
    return out


def _newline(index: LineIndex, line: int) -> str:
    starts = index.starts
    if line + 1 < len(starts):
        end = starts[line + 1] - 1
        if end > 0 and index.text[end - 1] == "\r":
            return "\r\n"
    return "\r\n" if "\r\n" in index.text[:4096] else "\n"


def _add_id(line_text: str, comment: IgnoreComment, rule: str) -> str:
    """`line_text`, an ignore comment on its own line, with `rule` among its ids (and its reason kept)."""
    if comment.covers(rule):
        return line_text
    ids = ", ".join([*comment.rules, rule])
    reason = f" {comment.reason}" if comment.reason else ""
    return f"{line_text[: comment.start]}{comment.marker} {comment.keyword} {ids}{reason}"


def _replace_line(path: str, index: LineIndex, line: int, new_text: str) -> TextEdit:
    text = index.line(line)
    start = index.offset(line, 0)
    return TextEdit(Span(path, line, 0, line, len(text), start, start + len(text)), new_text)


def _insert(path: str, index: LineIndex, line: int, new_text: str) -> TextEdit:
    at = index.offset(line, 0)
    return TextEdit(Span(path, line, 0, line, 0, at, at), new_text)


def ignore_line_edit(path: str, index: LineIndex, line: int, rule: str) -> TextEdit:
    """`# advisor:ignore <rule>` on its own line above `line`, indented like it; joins an ignore
    comment already there."""
    if line > 0:
        above = index.line(line - 1)
        comment = own_line_comment(above)
        if comment is not None and not comment.whole_file:
            return _replace_line(path, index, line - 1, _add_id(above, comment, rule))
    target = index.line(line)
    indent = target[: len(target) - len(target.lstrip())]
    marker = comment_marker(index.text)
    return _insert(path, index, line, f"{indent}{marker} advisor:ignore {rule}{_newline(index, line)}")


def ignore_file_edit(path: str, index: LineIndex, rule: str) -> TextEdit:
    """`# advisor:ignore-file <rule>` at the top, or the rule added to an existing one."""
    for n in range(index.line_count):
        text = index.line(n)
        if "advisor:ignore-file" not in text:
            continue
        comment = own_line_comment(text)
        if comment is not None and comment.whole_file:
            return _replace_line(path, index, n, _add_id(text, comment, rule))
    marker = comment_marker(index.text)
    return _insert(path, index, 0, f"{marker} advisor:ignore-file {rule}{_newline(index, 0)}")


def remove_ignore_edit(path: str, index: LineIndex, span: Span) -> TextEdit:
    """Delete an ignore comment: the whole line when it holds nothing else."""
    line = span.line
    text = index.line(line)
    before = text[: span.column]
    if before.strip() == "":
        start = index.offset(line, 0)
        if line + 1 < index.line_count:
            end = index.offset(line + 1, 0)
            return TextEdit(Span(path, line, 0, line + 1, 0, start, end), "")
        if line > 0:  # last line: take the newline before it instead
            prev = index.offset(line - 1, len(index.line(line - 1)))
            return TextEdit(
                Span(path, line - 1, len(index.line(line - 1)), line, len(text), prev, start + len(text)), ""
            )
        return TextEdit(Span(path, line, 0, line, len(text), start, start + len(text)), "")
    col = len(before.rstrip())
    start = index.offset(line, col)
    return TextEdit(Span(path, line, col, line, len(text), start, index.offset(line, len(text))), "")


def edits_for(
    spec_action: str,
    rule: str,
    finding: Finding | None,
    path: str,
    index: LineIndex | None,
    all_findings: list[Finding],
) -> list[TextEdit]:
    """The edits of one offered action, from the analysis the action was offered on."""
    if spec_action == "fix-all":
        return fix_all_edits(all_findings)
    if finding is None:
        return []
    if spec_action == "fix":  # the alternative of that rule, when the finding has several
        chosen = next((a for a in finding.alternatives if a.rule == rule), finding)
        return list(chosen.fix)
    if index is None:
        return []
    if spec_action == "ignore-line":
        return [ignore_line_edit(path, index, finding.span.line, rule)]
    if spec_action == "ignore-file":
        return [ignore_file_edit(path, index, rule)]
    if spec_action == "remove-ignore":
        return [remove_ignore_edit(path, index, finding.span)]
    return []
