"""Open editor buffers: text, version and incremental edits, kept by the server itself.

The server keeps one copy of each buffer (pygls' own workspace copy is bypassed) so memory stays
proportional to what is open, and edits are applied with the same line rules the engine uses:
lines end at "\\n" and columns are code points. Client positions arrive in the negotiated encoding
and are converted here; anything out of range is clamped rather than rejected, because a refused
edit would leave the buffer out of step with the editor for good.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from collections.abc import Iterator
from urllib.parse import unquote, urlparse

ENCODINGS = ("utf-8", "utf-16", "utf-32")
# As-you-type analysis stops here: a buffer this big is generated, not edited, and parsing it on
# every keystroke would starve everything else. `advisor lint` still analyses files up to 5 MB.
MAX_BUFFER_BYTES = 2 * 1024 * 1024


class LineIndex:
    """Offsets of line starts in a text, built once per text and shared by every conversion."""

    __slots__ = ("_starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i >= 0:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._starts = starts
        return self._starts

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line(self, n: int) -> str:
        """Line `n` without its "\\n" (and without a "\\r" before it); "" beyond the end."""
        starts = self.starts
        if n < 0 or n >= len(starts):
            return ""
        end = starts[n + 1] - 1 if n + 1 < len(starts) else len(self.text)
        if end > starts[n] and self.text[end - 1] == "\r":
            end -= 1
        return self.text[starts[n] : end]

    def offset(self, line: int, column: int) -> int:
        """Code-point offset of (line, column in code points), clamped into the text."""
        starts = self.starts
        if line < 0:
            return 0
        if line >= len(starts):
            return len(self.text)
        return starts[line] + max(0, min(column, len(self.line(line))))

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column in code points) of an offset."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.starts, offset) - 1
        return line, offset - self.starts[line]


# -- column conversion between code points and the client's units -----------------------------------
def to_units(line_text: str, column: int, encoding: str) -> int:
    """Code-point column → column in the client's encoding (the prefix's length in its units)."""
    column = max(0, min(column, len(line_text)))
    if encoding == "utf-32" or line_text.isascii():
        return column
    prefix = line_text[:column]
    if encoding == "utf-8":
        return len(prefix.encode("utf-8", "surrogatepass"))
    return column + sum(1 for ch in prefix if ord(ch) > 0xFFFF)


def from_units(line_text: str, units: int, encoding: str) -> int:
    """Client column → code-point column; past the end clamps, inside a character rounds down."""
    if units <= 0:
        return 0
    if encoding == "utf-32" or line_text.isascii():
        return min(units, len(line_text))
    used = 0
    for i, ch in enumerate(line_text):
        o = ord(ch)
        if encoding == "utf-8":
            width = 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4
        else:
            width = 2 if o > 0xFFFF else 1
        if used + width > units:
            return i
        used += width
    return len(line_text)


def uri_to_path(uri: str) -> str | None:
    """A `file:` URI's normalised path, or None for any other scheme (untitled:, git:, ...)."""
    try:
        parsed = urlparse(uri)
    except (TypeError, ValueError):
        return None
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if parsed.netloc and parsed.netloc != "localhost":
        path = f"//{parsed.netloc}{path}"
    if os.name == "nt" and len(path) >= 3 and path[0] == "/" and path[2] == ":":
        path = path[1:]
    return os.path.normpath(path) if path else None


def path_to_uri(path: str) -> str:
    from pathlib import Path

    return Path(os.path.abspath(path)).as_uri()


def _split(text: str) -> list[str]:
    """Lines with their "\\n" (the last one without): "a\\nb" → ["a\\n", "b"]; "" → [""]."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + [parts[-1]]


class Document:
    """One open buffer. `path` is None for buffers that are not files (untitled:, diff views).

    The text is kept as a list of lines, so an edit touches only the lines it spans (a burst of
    keystrokes in a 5 MB buffer stays cheap); the whole text is joined when an analysis asks for it.
    """

    __slots__ = ("_index", "_lines", "_text", "language_id", "path", "uri", "version")

    def __init__(self, uri: str, path: str | None, version: int, text: str, language_id: str = "") -> None:
        self.uri = uri
        self.path = path
        self.version = version
        self.language_id = language_id
        self._lines = _split(text)
        self._text: str | None = text
        self._index: LineIndex | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "".join(self._lines)
        return self._text

    @property
    def index(self) -> LineIndex:
        text = self.text
        if self._index is None or self._index.text is not text:
            self._index = LineIndex(text)
        return self._index

    def is_template(self) -> bool:
        """Whether this YAML or JSON buffer is one Advisor reads: a CloudFormation template or a
        Terraform plan export, by the front-ends' own cheap tests (substring searches, no parsing), so
        that other YAML and JSON files cost no analysis at all."""
        from advisor.iac.cloudformation import looks_like_template
        from advisor.iac.plan_json import looks_like_plan

        text = self.text
        return looks_like_template(text) or looks_like_plan(text)

    def skip_reason(self) -> str | None:
        """Why this buffer is not analysed, or None."""
        text = self.text
        size = len(text)
        if size > MAX_BUFFER_BYTES or (
            size * 4 > MAX_BUFFER_BYTES and len(text.encode("utf-8", "surrogatepass")) > MAX_BUFFER_BYTES
        ):
            mb = MAX_BUFFER_BYTES // (1024 * 1024)
            return f"file is larger than {mb} MB: not analysed as you type (`advisor lint` checks it)"
        if "\0" in text[:8192]:
            return "binary content; not analysed"
        return None

    def apply(self, range_: tuple[int, int, int, int] | None, new_text: str, encoding: str) -> None:
        """Apply one content change: `range_` is (line, char, end line, end char) in client units, or
        None to replace the whole text. Positions past a line's end or the document's end clamp."""
        if range_ is None:
            self._lines = _split(new_text)
            self._text = new_text
            return
        start = self._point(range_[0], range_[1], encoding)
        end = self._point(range_[2], range_[3], encoding)
        if end < start:
            start, end = end, start
        (l0, c0), (l1, c1) = start, end
        lines = self._lines
        replacement = _split(lines[l0][:c0] + new_text + lines[l1][c1:])
        if l1 < len(lines) - 1:
            replacement.pop()  # the joined text ends with line l1's "\n": no empty line after it
        lines[l0 : l1 + 1] = replacement
        self._text = None

    def _point(self, line: int, units: int, encoding: str) -> tuple[int, int]:
        """(line, code-point column) of a client position, clamped into the document."""
        lines = self._lines
        if line >= len(lines):
            last = len(lines) - 1
            return last, len(lines[last])
        line = max(line, 0)
        content = lines[line]
        if content.endswith("\n"):
            content = content[:-1]
            if content.endswith("\r"):
                content = content[:-1]
        return line, from_units(content, units, encoding)


class DocumentStore:
    """The open buffers by URI, with a path view for the engine's overlay."""

    def __init__(self) -> None:
        self._by_uri: dict[str, Document] = {}
        self._by_path: dict[str, Document] = {}

    def __len__(self) -> int:
        return len(self._by_uri)

    def __iter__(self) -> Iterator[Document]:
        return iter(list(self._by_uri.values()))

    def open(self, uri: str, version: int, text: str, language_id: str = "") -> Document:
        doc = Document(uri, uri_to_path(uri), version, text, language_id)
        self._by_uri[uri] = doc
        if doc.path is not None:
            self._by_path[doc.path] = doc
        return doc

    def get(self, uri: str) -> Document | None:
        return self._by_uri.get(uri)

    def by_path(self, path: str) -> Document | None:
        return self._by_path.get(os.path.normpath(path))

    def close(self, uri: str) -> Document | None:
        doc = self._by_uri.pop(uri, None)
        if doc is not None and doc.path is not None and self._by_path.get(doc.path) is doc:
            del self._by_path[doc.path]
        return doc

    def in_directory(self, directory: str) -> list[Document]:
        return [
            d for d in self._by_uri.values() if d.path is not None and os.path.dirname(d.path) == directory
        ]
