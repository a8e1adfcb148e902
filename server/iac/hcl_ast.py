"""A small HCL syntax tree with positions, built by the parsers of `hcl_parse`.

Positions are relative to the chunk that was parsed (see `hcl_scanner`); `Pos` is
(line, column, end_line, end_column, start_offset, end_offset), 0-based, end exclusive.
The tree is immutable, so a parsed chunk can be cached by its text and reused at any place.

Two parsers build this tree: the hand-written `hcl_fast`, and `hcl_lark.convert` from python-hcl2's
lark tree (the reference). The public helpers below (`unquote`, `string_expr`, `heredoc_expr`,
`index_key`, `object_key`, `body_indent`) are the decisions both share, so that the two give equal trees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from advisor.fastpickle import by_fields

Pos = tuple[int, int, int, int, int, int]


@by_fields
@dataclass(frozen=True, slots=True)
class Lit:
    value: Any
    pos: Pos
    quoted: bool = False  # a string literal written with quotes (its span includes them)


@by_fields
@dataclass(frozen=True, slots=True)
class Template:
    """A string with interpolations (or a heredoc); parts are str or expressions."""

    parts: tuple[str | Expr, ...]
    pos: Pos


@by_fields
@dataclass(frozen=True, slots=True)
class Ref:
    """A traversal: `var.size`, `local.x[0]`, `aws_instance.web.id`, `each.value`."""

    parts: tuple[str | int | Expr, ...]
    pos: Pos

    def dotted(self) -> str:
        return ".".join(
            p if isinstance(p, str) else f"[{p}]" if isinstance(p, int) else "[…]" for p in self.parts
        )


@by_fields
@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Expr, ...]
    pos: Pos
    expand_last: bool = False


@by_fields
@dataclass(frozen=True, slots=True)
class Cond:
    cond: Expr
    then: Expr
    other: Expr
    pos: Pos


@by_fields
@dataclass(frozen=True, slots=True)
class BinOp:
    op: str
    left: Expr
    right: Expr
    pos: Pos


@by_fields
@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: Expr
    pos: Pos


@by_fields
@dataclass(frozen=True, slots=True)
class TupleExpr:
    items: tuple[Expr, ...]
    pos: Pos


@by_fields
@dataclass(frozen=True, slots=True)
class ObjectExpr:
    items: tuple[tuple[str | Expr, Expr], ...]
    pos: Pos


@by_fields
@dataclass(frozen=True, slots=True)
class Index:
    """`expr[key]` or `expr.attr` on something that is not a plain traversal."""

    target: Expr
    key: str | int | Expr
    pos: Pos


@by_fields
@dataclass(frozen=True, slots=True)
class ForExpr:
    """`[for k, v in coll : value if cond]` or `{for k, v in coll : key => value... if cond}`.

    `names` are the one or two iteration variables; `key` is None for the tuple form; `group` is the
    `...` after an object form's value (values of equal keys gathered into lists).
    """

    names: tuple[str, ...]
    collection: Expr
    key: Expr | None
    value: Expr
    cond: Expr | None
    group: bool
    pos: Pos


@by_fields
@dataclass(frozen=True, slots=True)
class Splat:
    """`target[*].a[0]` (full) or the legacy `target.*.a` (`legacy`): accessors are names and keys."""

    target: Expr
    accessors: tuple[str | int | Expr, ...]
    legacy: bool
    pos: Pos


@by_fields
@dataclass(frozen=True, slots=True)
class Opaque:
    """An expression we do not evaluate (template directives); `kind` says which.

    `inner` keeps the sub-expressions so that references inside still count.
    """

    kind: str
    pos: Pos
    inner: tuple[Expr, ...] = ()


Expr = (
    Lit | Template | Ref | Call | Cond | BinOp | Unary | TupleExpr | ObjectExpr | Index | ForExpr | Splat
) | Opaque


@by_fields
@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    expr: Expr
    pos: Pos
    name_pos: Pos


@by_fields
@dataclass(frozen=True, slots=True)
class BlockNode:
    type: str
    labels: tuple[str, ...]
    attributes: tuple[Attribute, ...]
    blocks: tuple[BlockNode, ...]
    pos: Pos
    body_indent: str = field(default="  ")

    def attr(self, name: str) -> Attribute | None:
        for a in self.attributes:
            if a.name == name:
                return a
        return None


Item = Attribute | BlockNode

# Limits both parsers (and the JSON syntax) enforce, so that no input reaches Python's recursion limit
# or takes memory out of proportion to its size. Real code nests a handful of levels and its largest
# blocks (long maps in `locals`) hold a few tens of thousands of tokens.
# At 100 levels the fast parser needs about 620 of Python's 1000 frames, lark's converter about 720.
MAX_NESTING = 100  # levels of expressions and blocks inside one top-level block
# Tokens of one top-level block: about 150,000 list elements, or 100,000 lines of dense code. The
# parse of a block at the limit takes about 80 MB at its peak.
MAX_TOKENS = 500_000


class LimitExceeded(Exception):
    """A block is beyond one of the limits above: an error at `at` (an offset in the chunk).

    Not a syntax error (Terraform might accept the text): the block is left unanalysed and the
    error says so. Neither parser falls back to the other on it.
    """

    def __init__(self, message: str, at: int) -> None:
        super().__init__(message)
        self.message = message
        self.at = at


def too_deep(at: int) -> LimitExceeded:
    return LimitExceeded(f"expressions or blocks nested deeper than {MAX_NESTING} levels; not analysed", at)


# Terraform's identifiers: block types and names of resources, data sources, modules, variables, outputs.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
# control characters, line and paragraph separators, and the invisible marks that reorder text (bidi)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_NAME_RULE = "a name must start with a letter or underscore and may contain only letters, digits, _ and -"
_NAMED_BLOCKS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1}


def label_problem(block: BlockNode) -> tuple[BlockNode, int, str] | None:
    """(the block, index of the label, what is wrong) for the first label Terraform would refuse.

    Names and types of resources, data sources, modules, variables and outputs must be identifiers
    (letters, digits, `_` and `-`, not starting with a digit or `-`); no label anywhere may hold a
    newline or another control character (labels flow into reports and prompts). Nested blocks are
    checked too.
    """
    named = _NAMED_BLOCKS.get(block.type, 0)
    for i, label in enumerate(block.labels):
        if _CONTROL.search(label):
            return block, i, f"block label {label[:40]!r} contains a newline or control character"
        if i < named and not _IDENTIFIER.match(label):
            what = "type" if named == 2 and i == 0 else "name"
            return block, i, f"invalid {block.type} {what} {label[:40]!r}: {_NAME_RULE}"
    for child in block.blocks:
        found = label_problem(child)
        if found is not None:
            return found
    return None


def unquote(raw: str) -> str:
    """Decode HCL escapes in a string part (\\n, \\", \\\\, \\uXXXX, $${ and %%{)."""
    if "\\" not in raw and "$${" not in raw and "%%{" not in raw:
        return raw
    out: list[str] = []
    i = 0
    simple = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
    while i < len(raw):
        c = raw[i]
        if c == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            if nxt in simple:
                out.append(simple[nxt])
                i += 2
                continue
            if nxt in "uU":
                width = 4 if nxt == "u" else 8
                digits = raw[i + 2 : i + 2 + width]
                try:
                    out.append(chr(int(digits, 16)))
                    i += 2 + width
                    continue
                except ValueError:
                    pass
        if raw.startswith("$${", i) or raw.startswith("%%{", i):
            out.append(raw[i + 1 : i + 3])
            i += 3
            continue
        out.append(c)
        i += 1
    return "".join(out)


def string_expr(parts: list[str | Expr], pos: Pos) -> Expr:
    """A quoted string from its decoded parts: a literal when no part is an expression, else a template."""
    if all(isinstance(p, str) for p in parts):
        return Lit("".join(p for p in parts if isinstance(p, str)), pos, quoted=True)
    return Template(tuple(parts), pos)


def heredoc_expr(raw: str, pos: Pos, trim: bool) -> Expr:
    """A heredoc from its whole token (`<<EOF` … closing marker line): its text, or opaque if templated."""
    first_nl = raw.index("\n")
    body = raw[first_nl + 1 :]
    lines = body.split("\n")
    # drop the closing marker line (and the empty string after its newline)
    while lines and lines[-1].strip() == "":
        lines.pop()
    if lines:
        lines.pop()
    if trim:
        indents = [len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()]
        cut = min(indents) if indents else 0
        lines = [ln[cut:] for ln in lines]
    content = "\n".join(lines) + ("\n" if lines else "")
    if "${" in content or "%{" in content:
        return Opaque("heredoc template", pos)
    return Lit(content, pos)


def index_key(key_expr: Expr) -> str | int | Expr:
    """The key of `x[key]`: a literal number or string is kept as its value (as in a `Ref` part)."""
    if isinstance(key_expr, Lit) and isinstance(key_expr.value, (int, str)):
        value: int | str = key_expr.value
        return value
    return key_expr


def object_key(key_expr: Expr) -> str | Expr:
    """The key of an object element: a bare name or a literal string becomes a plain string."""
    if isinstance(key_expr, Ref) and len(key_expr.parts) == 1 and isinstance(key_expr.parts[0], str):
        return key_expr.parts[0]
    if isinstance(key_expr, Lit) and isinstance(key_expr.value, str):
        return key_expr.value
    return key_expr


def body_indent(text: str, attrs: list[Attribute], blocks: list[BlockNode]) -> str:
    """The indentation of a block's body: what precedes its first attribute (else first block) on its line."""
    first = attrs[0].pos if attrs else blocks[0].pos if blocks else None
    if first is not None:
        line_start = text.rfind("\n", 0, first[4]) + 1
        prefix = text[line_start : first[4]]
        if prefix.strip() == "":
            return prefix
    return "  "
