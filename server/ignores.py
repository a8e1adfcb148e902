"""Inline ignore comments: `# advisor:ignore <ids> -- reason` and `# advisor:ignore-file <ids>`.

An ignore applies on its own line or the line below (the resource or attribute it annotates);
`all` matches every rule. Ignores that silence nothing are reported, so stale ones do not pile up.

An ignore above a `module` block covers the resources of the instances that call creates (and of the
modules they call in turn), wherever their files are: findings know their instance by their resource
address (`module.db[0].aws_db_instance.this`), and `ModuleFolders` says which folder each instance
evaluates, so the call in `app/main.tf` matches `module.app.module.db…` and not another caller's `db`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from advisor.model import Finding, Span

UNUSED_IGNORE = "unused-ignore"
# The one grammar of ignore comments, for the engine and for the editor's code actions alike: `#` or `//`,
# `advisor:ignore` or `advisor:ignore-file`, rule ids separated by commas or blanks (none: every rule),
# then an optional `-- reason` to the end of the line, which may end in "\r\n" as well as "\n".
IGNORE_COMMENT = re.compile(
    r"(#|//)\s*advisor:(ignore-file|ignore)\b[ \t]*([A-Za-z0-9_,\- \t]*?)[ \t]*(--[^\r\n]*)?\r?$", re.M
)


@dataclass(frozen=True, slots=True)
class IgnoreComment:
    """One ignore comment as written: what reading it and rewriting it (adding an id) both need."""

    start: int  # offset of its `#` or `//` in the text it was found in
    end: int  # offset just past it (its line break not included)
    marker: str  # "#" or "//"
    whole_file: bool  # `advisor:ignore-file`
    rules: tuple[str, ...]  # the ids in the order written; none means every rule
    reason: str  # the `-- …` part as written, or ""

    @property
    def keyword(self) -> str:
        return "advisor:ignore-file" if self.whole_file else "advisor:ignore"

    def covers(self, rule: str) -> bool:
        return not self.rules or "all" in self.rules or rule in self.rules


def _comment(m: re.Match[str]) -> IgnoreComment:
    rules = tuple(p for p in re.split(r"[,\s]+", m.group(3)) if p)
    end = m.end() - (1 if m.group(0).endswith("\r") else 0)
    return IgnoreComment(m.start(), end, m.group(1), m.group(2) == "ignore-file", rules, m.group(4) or "")


def ignore_comments(text: str) -> Iterator[IgnoreComment]:
    """The ignore comments of a text, wherever they are on their lines."""
    if "advisor:ignore" not in text:
        return
    for m in IGNORE_COMMENT.finditer(text):
        yield _comment(m)


def own_line_comment(line: str) -> IgnoreComment | None:
    """The ignore comment that fills `line` (one line, without its line break) but for its indentation:
    the only kind an edit may extend without touching code."""
    m = IGNORE_COMMENT.search(line)
    if m is None or line[: m.start()].strip():
        return None
    return _comment(m)


@dataclass(slots=True)
class Ignore:
    rules: set[str]
    line: int
    whole_file: bool
    span: Span
    used: set[str] = field(default_factory=set)

    def matches(self, rule: str) -> bool:
        return "all" in self.rules or rule in self.rules


# `module "name" {` at the start of a line, and the `source = "…"` that follows it in the block
_MODULE_HEADER = re.compile(r'^[ \t]*module[ \t]+"([A-Za-z0-9_-]+)"[ \t]*\{', re.M)
_SOURCE = re.compile(r'^[ \t]*source[ \t]*=[ \t]*"([^"\n]*)"', re.M)
_BLOCK_END = re.compile(r"^\}", re.M)
# one `module.NAME` or `module.NAME[key]` step at the start of a resource address
_MODULE_STEP = re.compile(r'module\.([A-Za-z0-9_-]+)(?:\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\])?\.')


@dataclass(frozen=True, slots=True)
class ModuleCall:
    """A `module` block as written: its name, the line of its header, the folder it is in, its source."""

    name: str
    path: str
    line: int
    source: str | None

    @property
    def folder(self) -> str:
        return os.path.normpath(os.path.dirname(self.path))


def module_calls(path: str, text: str) -> list[ModuleCall]:
    """The module blocks of a Terraform file (found by their header lines, without parsing)."""
    if not path.endswith(".tf") or "module" not in text:
        return []
    out = []
    for m in _MODULE_HEADER.finditer(text):
        end = _BLOCK_END.search(text, m.end())
        body = text[m.end() : end.start() if end else len(text)]
        src = _SOURCE.search(body)
        out.append(
            ModuleCall(m.group(1), path, text.count("\n", 0, m.start()), src.group(1) if src else None)
        )
    return out


class ModuleFolders:
    """Which folder each module instance evaluates (`module.app[0]` → `modules/app`): from the files of
    the instance's resources, else from its call's local `source` in the folder of the instance above."""

    def __init__(self, instances: dict[str, str], texts: dict[str, str]) -> None:
        self.known = {k: os.path.normpath(v) for k, v in instances.items()}
        self.texts = texts
        self._calls: dict[str, list[ModuleCall]] | None = None

    def calls_in(self, folder: str) -> list[ModuleCall]:
        if self._calls is None:
            self._calls = {}
            for path, text in self.texts.items():
                for call in module_calls(path, text):
                    self._calls.setdefault(call.folder, []).append(call)
        return self._calls.get(folder, [])

    def folder_of(self, instance: str) -> str | None:
        if instance in self.known:
            return self.known[instance]
        steps = list(_steps(instance + "."))
        if not steps or steps[-1][2] != len(instance) + 1:
            return None
        parent, name = instance[: steps[-1][0]].rstrip("."), steps[-1][1]
        above = self.folder_of(parent)
        if above is None:
            return None
        for call in self.calls_in(above):
            if call.name == name and call.source is not None and call.source.startswith(("./", "../")):
                self.known[instance] = os.path.normpath(os.path.join(above, call.source))
                return self.known[instance]
        return None

    def covers(self, call: ModuleCall, address: str) -> bool:
        """Whether the resource at `address` belongs to an instance `call` creates (or one below it)."""
        for start, name, _ in _steps(address):
            if name == call.name and self.folder_of(address[:start].rstrip(".")) == call.folder:
                return True
        return False


def _steps(address: str) -> Iterable[tuple[int, str, int]]:
    """(start, module name, end) of each leading `module.NAME[key].` step of an address."""
    pos = 0
    while (m := _MODULE_STEP.match(address, pos)) is not None:
        yield pos, m.group(1), m.end()
        pos = m.end()


def find_ignores(path: str, text: str) -> list[Ignore]:
    out: list[Ignore] = []
    for c in ignore_comments(text):
        line = text.count("\n", 0, c.start)
        col = c.start - (text.rfind("\n", 0, c.start) + 1)
        span = Span(path, line, col, line, col + len(text[c.start : c.end].rstrip()), c.start, c.end)
        out.append(Ignore(set(c.rules) or {"all"}, line, c.whole_file, span))
    return out


def find_all_ignores(texts: dict[str, str]) -> dict[str, list[Ignore]]:
    """The ignore comments of each file that has any."""
    return {path: found for path, text in texts.items() if (found := find_ignores(path, text))}


class CallIgnores:
    """The ignores written above module calls. They are matched before the findings of a module's
    instances are merged (one finding per place in the module's text), so that a finding two callers
    share keeps the figures of the caller that does not ignore it."""

    def __init__(self, ignores: dict[str, list[Ignore]], modules: ModuleFolders) -> None:
        self.modules = modules
        self.on_calls: list[tuple[Ignore, ModuleCall]] = []
        for path, file_ignores in ignores.items():
            calls = {c.line: c for c in module_calls(path, modules.texts.get(path, ""))}
            for ig in file_ignores:
                call = None if ig.whole_file else calls.get(ig.line) or calls.get(ig.line + 1)
                if call is not None:
                    self.on_calls.append((ig, call))

    def silences(self, f: Finding) -> bool:
        """Whether an ignore on a call above the finding's resource covers its rule (then it is used)."""
        if not f.resource.startswith("module."):
            return False
        for ig, call in self.on_calls:
            if ig.matches(f.rule) and self.modules.covers(call, f.resource):
                ig.used.add(f.rule)
                return True
        return False


def call_ignores(
    ignores: dict[str, list[Ignore]], texts: dict[str, str], folders: dict[str, str]
) -> CallIgnores | None:
    """The ignores above module calls in these files (`folders`: module instance → the folder of its
    resources), or None when there are none."""
    found = CallIgnores(ignores, ModuleFolders(folders, texts))
    return found if found.on_calls else None


def apply_ignores(
    findings: list[Finding],
    ignores: dict[str, list[Ignore]],
    resource_lines: dict[str, int],
    known_rules: set[str],
) -> list[Finding]:
    """Drop ignored findings; add a hint for each ignore that matched nothing (here or, for an ignore
    above a module call, in `CallIgnores.silences`)."""
    kept: list[Finding] = []
    # `./main.tf` and `main.tf` are one file (a folder given as `.` names its files the first way)
    by_path = {os.path.normpath(path): found for path, found in ignores.items()}
    for f in findings:
        file_ignores = by_path.get(os.path.normpath(f.span.path), [])
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
