"""A small HCL syntax tree with positions, converted from python-hcl2's lark parse tree.

Positions are relative to the chunk that was parsed (see `hcl_scanner`); `Pos` is
(line, column, end_line, end_column, start_offset, end_offset), 0-based, end exclusive.
The tree is immutable, so a parsed chunk can be cached by its text and reused at any place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advisor.fastpickle import by_fields
from lark import Token, Tree

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
class Opaque:
    """An expression we do not evaluate (for-expressions, splats); `kind` says which.

    `inner` keeps the sub-expressions so that references inside (`aws_eip.nat[*].id`) still count.
    """

    kind: str
    pos: Pos
    inner: tuple[Expr, ...] = ()


Expr = Lit | Template | Ref | Call | Cond | BinOp | Unary | TupleExpr | ObjectExpr | Index | Opaque


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


def _pos(node: Tree[Any] | Token) -> Pos:
    if isinstance(node, Token):
        return (
            (node.line or 1) - 1,
            (node.column or 1) - 1,
            (node.end_line or 1) - 1,
            (node.end_column or 1) - 1,
            node.start_pos or 0,
            node.end_pos or 0,
        )
    m = node.meta
    if m.empty:
        return (0, 0, 0, 0, 0, 0)
    return (m.line - 1, m.column - 1, m.end_line - 1, m.end_column - 1, m.start_pos, m.end_pos)


def _unquote(raw: str) -> str:
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


class _Converter:
    def __init__(self, text: str) -> None:
        self.text = text

    def items(self, body: Tree[Any]) -> list[Item]:
        out: list[Item] = []
        for child in body.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "attribute":
                out.append(self.attribute(child))
            elif child.data == "block":
                out.append(self.block(child))
        return out

    def name(self, node: Tree[Any] | Token) -> str:
        if isinstance(node, Token):
            return str(node.value)
        if node.data == "string":
            return "".join(_unquote(str(p.children[0])) for p in node.children if isinstance(p, Tree))
        return "".join(self.name(c) for c in node.children)

    def attribute(self, node: Tree[Any]) -> Attribute:
        name_node = node.children[0]
        expr = self.expr(node.children[-1])
        return Attribute(self.name(name_node), expr, _pos(node), _pos(name_node))

    def block(self, node: Tree[Any]) -> BlockNode:
        parts = [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
        body = next(c for c in parts if c.data == "body")
        head = [c for c in parts if c.data != "body"]
        attrs: list[Attribute] = []
        blocks: list[BlockNode] = []
        for item in self.items(body):
            (attrs if isinstance(item, Attribute) else blocks).append(item)  # type: ignore[arg-type]
        indent = "  "
        first = attrs[0].pos if attrs else blocks[0].pos if blocks else None
        if first is not None:
            line_start = self.text.rfind("\n", 0, first[4]) + 1
            prefix = self.text[line_start : first[4]]
            if prefix.strip() == "":
                indent = prefix
        return BlockNode(
            type=self.name(head[0]),
            labels=tuple(self.name(h) for h in head[1:]),
            attributes=tuple(attrs),
            blocks=tuple(blocks),
            pos=_pos(node),
            body_indent=indent,
        )

    # -- expressions -------------------------------------------------------------------------------
    def expr(self, node: Tree[Any] | Token) -> Expr:
        if isinstance(node, Token):
            return Opaque(f"token {node.type}", _pos(node))
        data = node.data
        pos = _pos(node)
        kids = [c for c in node.children if not (isinstance(c, Tree) and c.data == "new_line_or_comment")]
        if data == "expr_term":
            if len(kids) == 3 and isinstance(kids[0], Token) and kids[0].type == "LPAR":
                return self.expr(kids[1])
            return self.expr(kids[0])
        if data == "int_lit":
            return Lit(int(str(kids[0])), pos)
        if data == "float_lit":
            return Lit(float(str(kids[0])), pos)
        if data == "literal_value":
            word = str(kids[0])
            return Lit({"true": True, "false": False, "null": None}[word], pos)
        if data == "string":
            return self.string(node)
        if data in ("heredoc_template", "heredoc_template_trim"):
            return self.heredoc(str(kids[0]), pos, data.endswith("trim"))
        if data == "identifier":
            return Ref((str(kids[0]),), pos)
        if data == "get_attr_expr_term":
            target = self.expr(kids[0])
            attr = kids[1].children[-1]
            attr_name = self.name(attr)
            if isinstance(target, Ref):
                return Ref((*target.parts, attr_name), pos)
            return Index(target, attr_name, pos)
        if data == "index_expr_term":
            target = self.expr(kids[0])
            idx_node = kids[1]
            index_key: str | int | Expr
            if idx_node.data == "short_index":
                index_key = int(str(idx_node.children[-1]))
            else:
                inner = [
                    c for c in idx_node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"
                ]
                key_expr = self.expr(inner[0])
                index_key = (
                    key_expr.value
                    if isinstance(key_expr, Lit) and isinstance(key_expr.value, (int, str))
                    else key_expr
                )
            if isinstance(target, Ref):
                return Ref((*target.parts, index_key), pos)
            return Index(target, index_key, pos)
        if data in ("attr_splat_expr_term", "full_splat_expr_term"):
            return Opaque("splat expression", pos, (self.expr(kids[0]),))
        if data in ("for_tuple_expr", "for_object_expr"):
            return Opaque("for expression", pos, tuple(self._subexprs(node)))
        if data == "template_string":
            return Opaque("template directive", pos)
        if data == "function_call":
            names = [c for c in kids if isinstance(c, Tree) and c.data == "identifier"]
            fname = "::".join(self.name(n) for n in names)
            args_node = next((c for c in kids if isinstance(c, Tree) and c.data == "arguments"), None)
            args: list[Expr] = []
            expand = False
            if args_node is not None:
                for a in args_node.children:
                    if isinstance(a, Tree) and a.data != "new_line_or_comment":
                        args.append(self.expr(a))
                    elif isinstance(a, Token) and a.type == "ELLIPSIS":
                        expand = True
            return Call(fname, tuple(args), pos, expand)
        if data == "conditional":
            exprs = [c for c in kids if isinstance(c, Tree)]
            return Cond(self.expr(exprs[0]), self.expr(exprs[1]), self.expr(exprs[2]), pos)
        if data == "binary_op":
            left = self.expr(kids[0])
            term = kids[1]
            term_kids = [c for c in term.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
            op = str(term_kids[0].children[0])
            return BinOp(op, left, self.expr(term_kids[1]), pos)
        if data == "unary_op":
            return Unary(str(kids[0]), self.expr(kids[1]), pos)
        if data == "tuple":
            return TupleExpr(tuple(self.expr(c) for c in kids if isinstance(c, Tree)), pos)
        if data == "object":
            items: list[tuple[str | Expr, Expr]] = []
            for elem in kids:
                if not (isinstance(elem, Tree) and elem.data == "object_elem"):
                    continue
                ek = [c for c in elem.children if isinstance(c, Tree)]
                key_node = ek[0].children[0]
                key_expr = (
                    self.expr(key_node) if isinstance(key_node, Tree) else Lit(str(key_node), _pos(key_node))
                )
                elem_key: str | Expr
                if (
                    isinstance(key_expr, Ref)
                    and len(key_expr.parts) == 1
                    and isinstance(key_expr.parts[0], str)
                ):
                    elem_key = key_expr.parts[0]
                elif isinstance(key_expr, Lit) and isinstance(key_expr.value, str):
                    elem_key = key_expr.value
                else:
                    elem_key = key_expr
                items.append((elem_key, self.expr(ek[1])))
            return ObjectExpr(tuple(items), pos)
        if data == "interpolation":
            inner = [c for c in kids if isinstance(c, Tree)]
            return self.expr(inner[0])
        return Opaque(data, pos)

    def _subexprs(self, node: Tree[Any]) -> list[Expr]:
        """The expressions directly inside a for-expression (collection, key, value, condition)."""
        out: list[Expr] = []
        for child in node.children:
            if not isinstance(child, Tree) or child.data == "new_line_or_comment":
                continue
            if child.data in ("for_intro", "for_cond"):
                out.extend(self._subexprs(child))
            elif child.data != "identifier":
                out.append(self.expr(child))
        return out

    def string(self, node: Tree[Any]) -> Expr:
        pos = _pos(node)
        parts: list[str | Expr] = []
        for part in node.children:
            if not isinstance(part, Tree):
                continue
            inner = part.children[0]
            if isinstance(inner, Token):
                parts.append(_unquote(str(inner.value)))
            elif inner.data == "interpolation":
                parts.append(self.expr(inner))
            else:
                return Opaque("template directive", pos)
        if all(isinstance(p, str) for p in parts):
            return Lit("".join(p for p in parts if isinstance(p, str)), pos, quoted=True)
        return Template(tuple(parts), pos)

    def heredoc(self, raw: str, pos: Pos, trim: bool) -> Expr:
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


def convert(tree: Tree[Any], text: str) -> list[Item]:
    """Turn a parsed chunk into our syntax tree (positions relative to `text`)."""
    body = tree.children[0]
    return _Converter(text).items(body)
