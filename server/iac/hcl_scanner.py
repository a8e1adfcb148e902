"""Split HCL text into top-level items without parsing them.

The real parser fails a whole text on one syntax error. Splitting first lets each top-level block
be parsed (and cached) on its own, so a broken block costs only itself and an edit re-parses only
the block it touched. The scanner understands strings with `${…}`/`%{…}`, heredocs and all
three comment styles; when braces never balance it resynchronises on a line that starts a new
top-level block at column 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from advisor.fastpickle import by_fields

# A line that can only begin a top-level construct: keyword, labels, then `{`.
_TOP_LEVEL = re.compile(
    r"(resource|data|module|variable|output|locals|provider|terraform|moved|import|check|removed)"
    r'(\s+("[^"\n]*"|[A-Za-z_][\w-]*))*\s*\{'
)
_HEREDOC = re.compile(r"<<-?([A-Za-z][A-Za-z0-9._-]*)\r?\n")
_SPECIAL = frozenset('\n"#/<{}[]()')
_NEXT_SPECIAL = re.compile(r'[\n"#/<{}\[\]()]')


@by_fields
@dataclass(frozen=True, slots=True)
class Chunk:
    """One top-level item: `text[start:end]` of the file, starting at (line, column)."""

    start: int
    end: int
    line: int
    column: int
    text: str
    balanced: bool


def split_top_level(text: str) -> list[Chunk]:
    """Return the top-level items of `text` in order; whitespace and comments between them are dropped."""
    chunks: list[Chunk] = []
    n = len(text)
    i = 0
    line = 0
    line_start = 0
    item_start = -1
    item_line = item_col = 0
    depth = 0

    def close(end: int, balanced: bool) -> None:
        nonlocal item_start
        if item_start >= 0:
            chunk_text = text[item_start:end].rstrip()
            if chunk_text:
                chunks.append(
                    Chunk(item_start, item_start + len(chunk_text), item_line, item_col, chunk_text, balanced)
                )
        item_start = -1

    while i < n:
        c = text[i]
        if c in " \t\r\ufeff":
            i += 1
            continue
        if c not in _SPECIAL:
            if item_start < 0:
                item_start = i
                item_line = line
                item_col = i - line_start
            # jump over a run of ordinary characters in one step
            m = _NEXT_SPECIAL.search(text, i + 1)
            i = m.start() if m else n
            continue
        if c == "\n":
            if item_start >= 0 and depth == 0:
                close(i, True)
            line += 1
            line_start = i + 1
            i += 1
            if depth > 0 and item_start >= 0 and _TOP_LEVEL.match(text, i):
                # A new top-level block while braces are still open: the current item is broken.
                close(i, False)
                depth = 0
            continue
        if c == "#" or (c == "/" and text.startswith("//", i)):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            end = n if j < 0 else j + 2
            line, line_start = _advance_lines(text, i, end, line, line_start)
            i = end
            continue
        if item_start < 0:
            item_start = i
            item_line = line
            item_col = i - line_start
        if c == '"':
            end = _skip_string(text, i)
            line, line_start = _advance_lines(text, i, end, line, line_start)
            i = end
            continue
        if c == "<" and text.startswith("<<", i):
            m = _HEREDOC.match(text, i)
            if m:
                end = _skip_heredoc(text, m)
                line, line_start = _advance_lines(text, i, end, line, line_start)
                # The heredoc consumed its final newline: the item may end here.
                i = end
                if depth == 0 and end > 0 and text[end - 1] == "\n":
                    close(end - 1, True)
                continue
        if c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
            if depth < 0:
                close(i, True)
                chunks.append(Chunk(i, i + 1, line, i - line_start, c, False))
                depth = 0
                i += 1
                continue
        i += 1
    close(n, depth == 0)
    return chunks


def _advance_lines(text: str, start: int, end: int, line: int, line_start: int) -> tuple[int, int]:
    count = text.count("\n", start, end)
    if count:
        return line + count, text.rfind("\n", start, end) + 1
    return line, line_start


def _skip_string(text: str, i: int) -> int:
    """Index just past the quoted string that opens at `i` (or at the end of its line if unterminated)."""
    n = len(text)
    i += 1
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i + 1
        if c == "\n":
            return i  # unterminated: HCL strings cannot span lines outside templates
        if c in "$%" and text.startswith("{", i + 1) and not text.startswith(c * 2, i):
            i = _skip_template_expr(text, i + 2)
            continue
        i += 1
    return n


def _skip_template_expr(text: str, i: int) -> int:
    """Index just past the `}` that closes a `${`/`%{` whose body starts at `i`."""
    n = len(text)
    depth = 1
    while i < n:
        c = text[i]
        if c == '"':
            i = _skip_string(text, i)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c == "\n" and depth == 1 and text.startswith("\n", i):
            # interpolations may span lines; keep going
            pass
        i += 1
    return n


def _skip_heredoc(text: str, m: re.Match[str]) -> int:
    """Index just past the heredoc's closing marker line (or the end of the text)."""
    marker = m.group(1)
    pos = m.end()
    closing = re.compile(r"[ \t]*" + re.escape(marker) + r"[ \t]*\r?(\n|$)")
    n = len(text)
    while pos <= n:
        cm = closing.match(text, pos)
        if cm:
            return cm.end()
        nl = text.find("\n", pos)
        if nl < 0:
            return n
        pos = nl + 1
    return n
