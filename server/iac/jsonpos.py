"""A JSON reader that keeps the position of every key and value.

The standard `json` module drops positions, and findings must point at the exact value and fixes
must splice it, so `.tf.json` and CloudFormation JSON are read with this instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

Pos = tuple[int, int, int, int, int, int]


@dataclass(slots=True)
class JNode:
    """A JSON value; for objects `items` keeps (key, key position, value) in order."""

    kind: str  # "object" | "array" | "string" | "number" | "bool" | "null"
    value: Any
    pos: Pos
    items: list[tuple[str, Pos, JNode]] = field(default_factory=list)
    elements: list[JNode] = field(default_factory=list)
    quoted: bool = True  # a string written with quotes (JSON always; YAML when quoted)

    def get(self, key: str) -> JNode | None:
        for k, _, v in self.items:
            if k == key:
                return v
        return None


class JsonPosError(ValueError):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


_WS = re.compile(r"[ \t\r\n]*")
_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
MAX_DEPTH = 500


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line_starts = [0]
        for m in re.finditer("\n", text):
            self.line_starts.append(m.end())

    def lc(self, offset: int) -> tuple[int, int]:
        import bisect

        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line, offset - self.line_starts[line]

    def pos(self, start: int, end: int) -> Pos:
        a, b = self.lc(start)
        c, d = self.lc(end)
        return (a, b, c, d, start, end)

    def fail(self, message: str) -> JsonPosError:
        line, col = self.lc(min(self.i, len(self.text)))
        return JsonPosError(message, line, col)

    def ws(self) -> None:
        m = _WS.match(self.text, self.i)
        if m:
            self.i = m.end()

    def value(self, depth: int) -> JNode:
        if depth > MAX_DEPTH:
            raise self.fail("nesting too deep")
        self.ws()
        if self.i >= len(self.text):
            raise self.fail("unexpected end of file")
        c = self.text[self.i]
        start = self.i
        if c == "{":
            self.i += 1
            node = JNode("object", None, (0, 0, 0, 0, 0, 0))
            self.ws()
            if self.text.startswith("}", self.i):
                self.i += 1
            else:
                while True:
                    self.ws()
                    m = _STRING.match(self.text, self.i)
                    if not m:
                        raise self.fail("expected a quoted key")
                    key = json.loads(m.group(0))
                    kpos = self.pos(m.start(), m.end())
                    self.i = m.end()
                    self.ws()
                    if not self.text.startswith(":", self.i):
                        raise self.fail("expected ':'")
                    self.i += 1
                    node.items.append((key, kpos, self.value(depth + 1)))
                    self.ws()
                    if self.text.startswith(",", self.i):
                        self.i += 1
                        continue
                    if self.text.startswith("}", self.i):
                        self.i += 1
                        break
                    raise self.fail("expected ',' or '}'")
            node.value = {k: v.value for k, _, v in node.items}
            node.pos = self.pos(start, self.i)
            return node
        if c == "[":
            self.i += 1
            node = JNode("array", None, (0, 0, 0, 0, 0, 0))
            self.ws()
            if self.text.startswith("]", self.i):
                self.i += 1
            else:
                while True:
                    node.elements.append(self.value(depth + 1))
                    self.ws()
                    if self.text.startswith(",", self.i):
                        self.i += 1
                        continue
                    if self.text.startswith("]", self.i):
                        self.i += 1
                        break
                    raise self.fail("expected ',' or ']'")
            node.value = [e.value for e in node.elements]
            node.pos = self.pos(start, self.i)
            return node
        if c == '"':
            m = _STRING.match(self.text, self.i)
            if not m:
                raise self.fail("unterminated string")
            self.i = m.end()
            try:
                s = json.loads(m.group(0))
            except ValueError as exc:
                raise self.fail(f"bad string escape: {exc}") from None
            return JNode("string", s, self.pos(start, self.i))
        for word, val, kind in (("true", True, "bool"), ("false", False, "bool"), ("null", None, "null")):
            if self.text.startswith(word, self.i):
                self.i += len(word)
                return JNode(kind, val, self.pos(start, self.i))
        m = _NUMBER.match(self.text, self.i)
        if m and m.end() > m.start():
            self.i = m.end()
            raw = m.group(0)
            num: Any = float(raw) if any(ch in raw for ch in ".eE") else int(raw)
            return JNode("number", num, self.pos(start, self.i))
        raise self.fail(f"unexpected character {c!r}")


def loads(text: str) -> JNode:
    """Parse JSON text; raises `JsonPosError` (with 0-based line and column) on bad input."""
    r = _Reader(text.lstrip("\ufeff") if text.startswith("\ufeff") else text)
    if text.startswith("\ufeff"):
        r = _Reader(" " + text[1:])
    node = r.value(0)
    r.ws()
    if r.i != len(r.text):
        raise r.fail("unexpected text after the JSON value")
    return node
