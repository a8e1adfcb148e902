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


def split_top_level(text: str, previous: tuple[str, list[Chunk]] | None = None) -> list[Chunk]:
    """Return the top-level items of `text` in order; whitespace and comments between them are dropped.

    `previous` is an earlier text and its chunks (this function's result for it). Only the part of
    the text around what changed is scanned again; the result is the same as without `previous`.

    Why that holds: the scanner's only state between two chunks is its position (depth 0, no item
    open), and the first character of every balanced chunk is read in that state. Scanning from the
    start of chunk j, where chunks j-1 and j are balanced, reads nothing at or beyond that start
    before getting there, so when the text is unchanged up to it, chunks before j and the state
    there are the same as the full scan's. After the change, once the new scan starts an item at
    the place where the old scan started a balanced chunk, on a line that begins after the changed
    text, everything that follows is read from the same characters in the same state: the old
    chunks from there on are the answer, moved by the change in length and in line count.
    """
    if previous is None:
        return _scan(text, 0, 0, 0, [], None)
    old_text, old_chunks = previous
    if old_text == text:
        return list(old_chunks)
    prefix = _common_prefix(old_text, text)
    suffix = _common_suffix(old_text, text, min(len(old_text), len(text)) - prefix)
    j = 0
    for k in range(len(old_chunks) - 1, -1, -1):
        c = old_chunks[k]
        if c.start <= prefix and c.balanced and (k == 0 or old_chunks[k - 1].balanced):
            j = k
            break
    if j == 0:
        start = line = line_start = 0
    else:
        c = old_chunks[j]
        start, line, line_start = c.start, c.line, c.start - c.column
    delta = len(text) - len(old_text)
    old_edit_end = len(old_text) - suffix
    resume = _Resume(
        len(text) - suffix,
        {c.start + delta: k for k, c in enumerate(old_chunks) if c.start >= old_edit_end and c.balanced},
        old_chunks,
        delta,
    )
    return _scan(text, start, line, line_start, list(old_chunks[:j]), resume)


@dataclass(slots=True)
class _Resume:
    """Where a rescan may rejoin the old chunks: new start offset → index of the old chunk there."""

    edit_end: int  # end of the changed text in the new text
    starts: dict[int, int]
    old: list[Chunk]
    delta: int

    def rest(self, k: int, line: int) -> list[Chunk]:
        old = self.old
        shift = line - old[k].line
        if shift == 0 and self.delta == 0:
            return old[k:]
        d = self.delta
        return [Chunk(c.start + d, c.end + d, c.line + shift, c.column, c.text, c.balanced) for c in old[k:]]


def _common_prefix(a: str, b: str) -> int:
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:  # the longest n with a[:n] == b[:n], by halving (each comparison is a memcmp)
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    lo, hi = 0, limit
    na, nb = len(a), len(b)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[na - mid : na - lo] == b[nb - mid : nb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _scan(
    text: str, i: int, line: int, line_start: int, chunks: list[Chunk], resume: _Resume | None
) -> list[Chunk]:
    n = len(text)
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
                if resume is not None and line_start > resume.edit_end and i in resume.starts:
                    return chunks + resume.rest(resume.starts[i], line)
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
            if resume is not None and line_start > resume.edit_end and i in resume.starts:
                return chunks + resume.rest(resume.starts[i], line)
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
    """Index just past the quoted string that opens at `i` (or at the end of its line if unterminated).

    Strings nest inside `${…}`/`%{…}` inside strings to any depth; an explicit stack (not recursion)
    follows them, so no nesting can exhaust Python's stack.
    """
    n = len(text)
    # 0: inside a quoted string; k > 0: inside a `${`/`%{` with k braces open. Innermost last.
    stack = [0]
    i += 1
    while i < n:
        top = stack[-1]
        if top == 0:
            m = _STRING_SPECIAL.search(text, i)
            if m is None:
                return n
            i = m.start()
            c = text[i]
            if c == "\\":
                i += 2
            elif c == '"' or c == "\n":
                stack.pop()
                if c == '"':
                    i += 1
                if not stack:
                    return i  # an unterminated string ends at its line: HCL strings cannot span lines
            elif text.startswith("{", i + 1) and not text.startswith(c * 2, i):
                stack.append(1)
                i += 2
            else:
                i += 1
            continue
        m = _TEMPLATE_SPECIAL.search(text, i)
        if m is None:
            return n
        i = m.start()
        c = text[i]
        if c == '"':
            stack.append(0)
        elif c == "{":
            stack[-1] = top + 1
        elif top == 1:  # the `}` that closes the template: back in its string
            stack.pop()
        else:
            stack[-1] = top - 1
        i += 1
    return n


_STRING_SPECIAL = re.compile(r'[\\"\n$%]')
_TEMPLATE_SPECIAL = re.compile(r'["{}]')


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
