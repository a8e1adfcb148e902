"""How Advisor shows text that comes from a repository or a model: escaped (`printable`, and
`json_text` for JSON), paths relative to the working directory (`rel`), and fitted to a terminal's
width (`wrap` and the layouts built on it).

The base of every writer of text, below the reports, the explain pass and the command line alike, so
each of them escapes and wraps the same way. Standard library only.
"""

from __future__ import annotations

import functools
import json
import os
import re
import textwrap
from typing import Any, TextIO

# What a terminal, a CI log viewer or a code review page would act on instead of showing: the C0
# controls (escape sequences, bells, line breaks that forge extra lines), DEL, the C1 controls (0x9b
# starts a control sequence on its own), and the invisible characters that reorder text as displayed
# ("Trojan Source": ALM, LRM, RLM, the bidi embeddings, overrides and isolates) and line separators.
# Lone surrogates are the bytes of a file name that is not UTF-8 (Python's `surrogateescape`): written
# out they would be raw bytes again, 0x9b among them, or fail to encode.
_UNSAFE = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE_TEXT = re.compile(f"[\x00-\x1f{_UNSAFE}]")
_UNSAFE_JSON = re.compile(f"[{_UNSAFE}]")  # JSON's encoder escapes the C0 controls itself
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        code -= 0xDC00  # the byte that `surrogateescape` kept
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control and reordering character shown as an escape (`\\x1b`, `\\u202e`).

    For display only, like git's `core.quotePath`: every name, label, value, message and path that a
    text report, an annotation or an error line shows goes through here, so a repository cannot move
    the cursor, retitle the terminal, write the clipboard, forge lines or reorder what is displayed.
    JSON and SARIF keep the exact text (see `json_text`).
    """
    return _UNSAFE_TEXT.sub(_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(doc: Any, indent: int | None = 2) -> str:
    """`doc` as JSON with non-ASCII characters as they are, except those `printable` escapes: the
    encoder escapes C0 controls itself, and DEL, C1, bidi controls and lone surrogates become
    `\\uXXXX` here, so a report shown with `cat` is as safe as a text report and parses to the same
    strings."""
    text = json.dumps(doc, indent=indent, ensure_ascii=False)
    return _UNSAFE_JSON.sub(_json_escape, text) + "\n"


def rel(path: str) -> str:
    """Paths relative to the working directory, with forward slashes."""
    return relative_to(os.getcwd(), path)


@functools.lru_cache(maxsize=8192)
def relative_to(cwd: str, path: str) -> str:
    """`rel` from a known working directory (a report asks for it once, not per path)."""
    # a report names the same few files thousands of times, and `relpath` is slow
    try:
        r = os.path.relpath(path, cwd)
    except ValueError:
        r = path
    if r.startswith(".." + os.sep) and os.path.isabs(path):
        r = path
    return r.replace(os.sep, "/")


# -- fitting text to the terminal ----------------------------------------------------------------------
DEFAULT_WIDTH = 100  # a pipe or a file: wide enough to read, narrow enough for a CI log or a review
MIN_WIDTH = 40  # below this a layout cannot keep a location and a figure apart: wrap as if this wide
_GLUE = "\x1f"  # a space `wrap` never breaks at (escaped text holds no C0 control, so it is free)
_MIN_ROOM = 16  # columns of a message worth starting beside its location
_PAD = "\x7f"  # the second column of a wide character while textwrap counts (free for the same reason)


def terminal_width(stream: TextIO | None) -> int:
    """The columns text output may use: `COLUMNS`, else the width of the terminal `stream` is, else
    `DEFAULT_WIDTH` (not a terminal). `os.get_terminal_size` rather than `shutil`'s: the command
    line does not import `shutil` (see `cli._help_formatter`)."""
    try:
        columns = int(os.environ.get("COLUMNS", "").strip() or 0)
    except ValueError:
        columns = 0
    if columns <= 0 and stream is not None:
        try:
            if stream.isatty():
                columns = os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return max(columns, MIN_WIDTH) if columns > 0 else DEFAULT_WIDTH


# Text made only of these takes one column a character: Latin, Greek and Cyrillic letters, general
# punctuation (— …), arrows, mathematical operators (− ×) and box drawing (─), which is what Advisor's
# own messages use, and `_GLUE`; a regular expression answers that at C speed, unicodedata only for
# the rest.
_NARROW = re.compile("[\x1f-\u02ff\u0370-\u0482\u2010-\u2027\u2030-\u205e\u2190-\u2319\u2500-\u257f]*")


def _wide(char: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(char) in ("W", "F")


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal: East Asian wide and fullwidth characters take two,
    combining marks and format characters none."""
    if text.isascii() or _NARROW.fullmatch(text):
        return len(text)
    import unicodedata

    width = 0
    for char in text:
        if unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if _wide(char) else 1
    return width


def _padded(text: str) -> str:
    """`text` with a `_PAD` after each wide character, so textwrap's `len` counts display columns."""
    if text.isascii() or _NARROW.fullmatch(text):
        return text
    return "".join(c + _PAD if _wide(c) else c for c in text)


def cut(text: str, width: int) -> str:
    """`text` in at most `width` columns, ended by "…" when shortened: for free text a layout may
    abbreviate (a commit subject, an author), never for a location, an address or a figure."""
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for char in text:
        w = display_width(char)
        if used + w > width - 1:
            break
        out.append(char)
        used += w
    return "".join(out).rstrip() + "…"


def pad(text: str, width: int) -> str:
    """`text` left-aligned in `width` columns (wide characters count two)."""
    return text + " " * max(width - display_width(text), 0)


def right(text: str, width: int) -> str:
    """`text` right-aligned in `width` columns (wide characters count two)."""
    return " " * max(width - display_width(text), 0) + text


def glued(text: str) -> str:
    """`text` as one word for `wrap` (kept whole on one line): "[fix: unsafe]", "aws_x ×3"."""
    return text.replace(" ", _GLUE)


def wrap(text: str, width: int, indent: str = "", hanging: str | None = None) -> list[str]:
    """`text` (already `printable`) in lines of at most `width` columns, the first starting with
    `indent`, the others with `hanging` (default: `indent`).

    The standard library's `textwrap`, told never to cut a word: a path, an address, a price or a
    rule id stays whole, and only a single word wider than `width` makes a longer line. Wide
    characters count as two columns; words joined by `glued` stay on one line.
    """
    if not text:
        return [indent.rstrip()]
    if display_width(indent) + display_width(text) <= width:  # one line: what textwrap would return
        return [(indent + text).replace(_GLUE, " ").rstrip()]
    hang = indent if hanging is None else hanging
    lines = textwrap.wrap(
        _padded(text),
        width=max(width, 1),
        initial_indent=_padded(indent),
        subsequent_indent=_padded(hang),
        expand_tabs=False,  # escaped text has no tab or line break left
        replace_whitespace=False,
        break_long_words=False,
        break_on_hyphens=False,
    )
    lines = [line.replace(_PAD, "").replace(_GLUE, " ") for line in lines] or [indent.rstrip()]
    for i, line in enumerate(lines):  # a word that fits only without its indent goes without it
        if display_width(line) > width and display_width(line.lstrip()) <= width:
            lines[i] = line.lstrip()
    return lines


def entry(where: str, label: str, body: str, width: int, hanging: str = "  ") -> list[str]:
    """A located line, "WHERE: LABEL BODY": the location and the label (`warning[rule-id]`) are never
    cut, the body wraps under them with a `hanging` indent. When the location leaves too little room,
    the label and the body start on the next line; a location wider than `width` stands alone (cut
    at its spaces, if it has any)."""
    head = f"{where}: {label}" if label else f"{where}:"
    if display_width(head) + 1 + _MIN_ROOM <= width:
        lines = wrap(body, width, head + " ", hanging) if body else [head]
        if display_width(lines[0]) <= width:  # else the body's first word is wider than the room left
            return lines
    tail = f"{glued(label)} {body}" if label else body
    place = glued(where + ":") if display_width(where) < width else where + ":"  # whole if it fits
    return wrap(f"{place} {tail}".rstrip(), width, "", hanging)


def spread(left: str, right: str, width: int) -> list[str]:
    """`left` and `right` on one line `width` columns wide (`right` flush right), or `right` on a
    line of its own under `left` when both do not fit: a figure is never cut or pushed off."""
    gap = width - display_width(left) - display_width(right)
    if gap >= 2:
        return [left + " " * gap + right]
    return [left, " " * max(width - display_width(right), 0) + right]


def pack(parts: list[str], width: int, sep: str = " · ") -> list[str]:
    """`parts` joined by `sep` in lines of at most `width` columns, each part kept whole on a line
    when it fits one (a summary: "3 findings in 2 files · 4 resources · $10.00/mo")."""
    words = [glued(p) if display_width(p) <= width else p for p in parts]
    mark = sep.strip()
    text = " ".join(w + _GLUE + mark if i < len(words) - 1 else w for i, w in enumerate(words))
    return wrap(text, width)


def explanation_lines(text: str, width: int = DEFAULT_WIDTH) -> list[str]:
    """An explanation under its finding (`lint --explain`, `advisor explain`): indented, wrapped, list
    items with a hanging indent (the text comes from a model that read the repository: escaped like
    everything else shown)."""
    lines: list[str] = []
    for para in text.splitlines():
        lead = " " * (4 + len(para) - len(para.lstrip(" ")))
        bullet = re.match(r"(?:[-*•]|\d+[.)])\s+", para.strip())
        hang = lead + " " * (len(bullet.group(0)) if bullet else 0)
        lines.extend(wrap(printable(para.strip()), max(20 + len(lead), width), lead, hang))
    return lines
