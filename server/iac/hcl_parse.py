"""Tolerant, incremental parsing of one HCL file (`.tf`, `.tfvars`).

The text is split into top-level chunks, each parsed on its own and cached by its exact text: an
edit re-parses only the chunk it touched, and a syntax error costs only its chunk, reported as a
`ParseError` at the real position.

Two parsers: each chunk first goes to `hcl_fast`, a hand-written parser many times faster than lark
(parsing was most of a cold run). It reports the syntax errors it is sure of itself. python-hcl2's
LALR grammar stays the reference: whatever the fast parser is not sure about (a rare construct) it
declines, and the chunk is parsed by python-hcl2 (`hcl_lark`, loaded only then), which accepts it or
reports the error message. Both build the same tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from advisor.cache import BoundedCache
from advisor.fastpickle import by_fields
from advisor.iac import hcl_fast
from advisor.iac.hcl_ast import MAX_NESTING, BlockNode, Item, LimitExceeded, Pos, label_problem, too_deep
from advisor.iac.hcl_scanner import Chunk, split_top_level
from advisor.model import ParseError, Span, point_span

if TYPE_CHECKING:
    from advisor.store import DiskStore

# A chunk's error: (line, column, message) relative to the chunk, and whether it is a limit of
# Advisor's (`ParseError.incomplete`) rather than a syntax error. Entries stored by earlier versions
# have three fields.
ChunkError = tuple[int, int, str] | tuple[int, int, str, bool]
ChunkResult = tuple[tuple[Item, ...], ChunkError | None]
CHUNK_LIMIT = 20_000  # chunks remembered by text
# Editors re-send a whole file on every keystroke: the previous parse of each path is kept so the
# next one rescans only around the change and reuses the items of chunks that did not move.
FILE_LIMIT = 256


@by_fields
@dataclass(frozen=True, slots=True)
class Locator:
    """Turns chunk-relative positions into absolute spans of one file."""

    path: str
    chunk: Chunk
    # spans already made: a chunk that did not move keeps its Locator across edits, and its spans
    spans: dict[Pos, Span] = field(default_factory=dict, compare=False, repr=False)

    def span(self, pos: Pos) -> Span:
        made = self.spans.get(pos)
        if made is not None:
            return made
        line, col, end_line, end_col, start, end = pos
        c = self.chunk
        made = Span(
            self.path,
            c.line + line,
            col + (c.column if line == 0 else 0),
            c.line + end_line,
            end_col + (c.column if end_line == 0 else 0),
            c.start + start,
            c.start + end,
        )
        self.spans[pos] = made
        return made


@by_fields
@dataclass(frozen=True, slots=True)
class ParsedItem:
    item: Item
    at: Locator


@by_fields
@dataclass(slots=True)
class HclFile:
    path: str
    text: str
    items: list[ParsedItem]
    errors: list[ParseError]


def _too_deep_at(text: str) -> int:
    """The offset of the first bracket nested deeper than MAX_NESTING, or -1."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
            if depth > MAX_NESTING:
                return i
        elif ch in ")]}":
            depth -= 1
    return -1


def _openers(text: str) -> int:
    return text.count("(") + text.count("[") + text.count("{")


def parse_chunk(text: str, parser: HclParser | None = None) -> ChunkResult:
    """Parse one chunk: its items, or a relative error (see `ChunkError`); remembered by `parser`."""
    return parser.chunk(text) if parser is not None else _parse_chunk(text)


def _parse_chunk(text: str) -> ChunkResult:
    """Parse one chunk, no memory: its items, or a relative error (see `ChunkError`).

    Beyond the syntax, a chunk is refused when it is nested deeper or is longer than `hcl_ast`'s limits
    (an error at the chunk, which leaves it unanalysed) and when a block label is one Terraform refuses.
    """
    result: ChunkResult
    # Brackets nested too deep are refused before either parser sees them (C-speed counts first: with
    # at most MAX_NESTING brackets in all, nesting cannot be deeper and the loop is skipped).
    deep = _too_deep_at(text) if _openers(text) > MAX_NESTING else -1
    if deep >= 0:
        line, column, message = hcl_fast.Invalid(too_deep(deep).message, deep).located(text)
        result = ((), (line, column, message, True))
    else:
        try:
            result = (hcl_fast.parse_items(text), None)
        except hcl_fast.Invalid as exc:  # a syntax error where the grammar is followed rule for rule
            result = ((), exc.located(text))
        except hcl_fast.Unsupported:  # not sure: the reference parser decides
            from advisor.iac import hcl_lark

            result = hcl_lark.parse(text)
        except LimitExceeded as exc:
            line, column, message = hcl_fast.Invalid(exc.message, exc.at).located(text)
            result = ((), (line, column, message, True))
        if result[1] is None:
            result = _check_labels(text, result[0])
    return result


_LABEL_WORD = re.compile(r'"(?:[^"\\\n]|\\.)*"|[^\s"{]+')


def _check_labels(text: str, items: tuple[Item, ...]) -> tuple[tuple[Item, ...], ChunkError | None]:
    """The items, or an error at the first block label Terraform would refuse (`label_problem`)."""
    for item in items:
        if not isinstance(item, BlockNode) or (not item.labels and not item.blocks):
            continue
        found = label_problem(item)
        if found is None:
            continue
        block, index, message = found
        # the label's place: the words of the block's header are its type, then its labels
        at = block.pos[4]
        for n, word in enumerate(_LABEL_WORD.finditer(text, at)):
            if n == index + 1:
                at = word.start()
                break
        line, column, _ = hcl_fast.Invalid(message, at).located(text)
        return (), (line, column, message)
    return items, None


@dataclass(frozen=True, slots=True)
class _LastParse:
    """A file's previous text, its chunks and what each chunk became (items, or an error)."""

    text: str
    chunks: list[Chunk]
    results: dict[int, tuple[Chunk, tuple[ParsedItem, ...], ParseError | None]]  # id(chunk) → result


@dataclass(slots=True)
class HclParser:
    """Parses HCL with what a session remembers (see `engine/session.py`): chunks by their text, the
    last parse of each path (an edit rescans only around the change), and, for the command line, whole
    files by content in the disk store (`disk`; `store_parses`: also write them there).

    Storing a file's parse costs a tenth of a cold run and pays off only when its module changes later
    (an unchanged module is served whole from its stored outcome): the engine asks for it only for
    modules that changed since a stored run. A parser made with no arguments remembers only for itself.
    """

    chunks: BoundedCache[str, ChunkResult] = field(
        default_factory=lambda: BoundedCache("chunks", CHUNK_LIMIT)
    )
    files: BoundedCache[str, _LastParse] = field(default_factory=lambda: BoundedCache("files", FILE_LIMIT))
    disk: DiskStore | None = None
    store_parses: bool = False

    def chunk(self, text: str) -> ChunkResult:
        hit = self.chunks.get(text)
        return hit if hit is not None else self.chunks.put(text, _parse_chunk(text))

    def _chunks_stored(
        self, disk: DiskStore, text: str
    ) -> list[tuple[Chunk, tuple[Item, ...], ChunkError | None]]:
        from advisor.store import key

        digest = key("hcl", text)
        stored = disk.load(digest)
        if isinstance(stored, list):
            return stored
        fresh = [(chunk, *self.chunk(chunk.text)) for chunk in split_top_level(text)]
        if self.store_parses:
            disk.store(digest, fresh)
        return fresh

    def file(self, path: str, text: str) -> HclFile:
        """Parse a whole file tolerantly: good chunks become items, broken ones become errors."""
        items: list[ParsedItem] = []
        errors: list[ParseError] = []
        if self.disk is not None:
            for chunk, parsed, err in self._chunks_stored(self.disk, text):
                _, chunk_items, error = _chunk_result(path, text, chunk, parsed, err)
                items.extend(chunk_items)
                if error is not None:
                    errors.append(error)
            return HclFile(path, text, items, errors)
        last = self.files.get(path)
        chunks = split_top_level(text, (last.text, last.chunks) if last is not None else None)
        results: dict[int, tuple[Chunk, tuple[ParsedItem, ...], ParseError | None]] = {}
        for chunk in chunks:
            old = last.results.get(id(chunk)) if last is not None else None
            if old is not None and old[0] is chunk and old[2] is None:
                result = old  # the same chunk object: the same text at the same place
            else:
                result = _chunk_result(path, text, chunk, *self.chunk(chunk.text))
            results[id(chunk)] = result
            items.extend(result[1])
            if result[2] is not None:
                errors.append(result[2])
        self.files.put(path, _LastParse(text, chunks, results))
        return HclFile(path, text, items, errors)


def parse_hcl(path: str, text: str, parser: HclParser | None = None) -> HclFile:
    """Parse a whole file tolerantly (see `HclParser.file`); without `parser`, nothing is remembered."""
    return (parser or HclParser()).file(path, text)


def _chunk_result(
    path: str, text: str, chunk: Chunk, parsed: tuple[Item, ...], err: ChunkError | None
) -> tuple[Chunk, tuple[ParsedItem, ...], ParseError | None]:
    at = Locator(path, chunk)
    if err is not None:
        line, col, message = err[0], err[1], err[2]
        incomplete = len(err) > 3 and bool(err[3])
        span = at.span((line, col, line, col + 1, 0, 0))
        where = point_span(path, text, span.line, span.column)
        return chunk, (), ParseError(path, message, where, incomplete=incomplete)
    return chunk, tuple(ParsedItem(item, at) for item in parsed), None
