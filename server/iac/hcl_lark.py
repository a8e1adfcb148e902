"""The reference parser: python-hcl2's LALR grammar, through lark, converted to `hcl_ast`.

`hcl_fast` parses almost every chunk and reports most syntax errors; what it is not sure about (a rare
construct, an error it cannot place) comes here, and this parser either accepts it or says what is
wrong in words a user can act on.
Loaded only then: importing lark and loading its tables costs about 0.15 s (building them, 3 s).
"""

from __future__ import annotations

from typing import Any

from advisor.iac.hcl_ast import (
    MAX_NESTING,
    Attribute,
    BinOp,
    BlockNode,
    Call,
    Cond,
    Expr,
    ForExpr,
    Index,
    Item,
    LimitExceeded,
    Lit,
    ObjectExpr,
    Opaque,
    Pos,
    Ref,
    Splat,
    TupleExpr,
    Unary,
    body_indent,
    heredoc_expr,
    index_key,
    object_key,
    string_expr,
    too_deep,
    unquote,
)
from lark import Token, Tree

_parser: Any = None

# python-hcl2's grammar rejects two forms Terraform accepts: a newline before `=>` in a for-object
# expression, and blanks after a heredoc's closing marker. The grammar is adjusted at load time
# (and `hcl_fast` follows the adjusted grammar: a change here must be made there too).
_GRAMMAR_FIXES = (
    ("expression FOR_OBJECT_ARROW", "expression new_line_or_comment? FOR_OBJECT_ARROW"),
    ("\\s*(?P=heredoc)\\r?\\n", "\\s*(?P=heredoc)[ \\t]*\\r?\\n"),
    ("\\s*(?P=heredoc_trim)\\r?\\n", "\\s*(?P=heredoc_trim)[ \\t]*\\r?\\n"),
)


def get_parser() -> Any:
    """The LALR parser, built once per process from tables kept in the user's private cache folder.

    Building the tables takes about three seconds; loading stored ones about a tenth of a second. lark's
    own `cache=True` keeps them as a pickle under a name anyone can work out in the shared temp folder,
    and `cache=<path>` unpickles whatever file is there: either way a file another user planted would
    run code when loaded. So lark's cache is not used: the tables are saved with `Lark.save`, stored
    sealed by `advisor.store` (its MAC checked before `Lark.load` unpickles them) under a name that
    covers the grammar, lark, python-hcl2 and Python versions. Without a usable cache folder the
    tables are built in every process that needs them, which is slow but safe.
    """
    global _parser
    if _parser is None:
        import io
        import sys
        from importlib import resources

        import hcl2
        import lark
        from advisor import store as disk_store
        from hcl2.postlexer import PostLexer

        grammar = resources.files("hcl2").joinpath("hcl2.lark").read_text(encoding="utf-8")
        for old, new in _GRAMMAR_FIXES:
            grammar = grammar.replace(old, new)
        versions = f"{lark.__version__} {getattr(hcl2, '__version__', '?')} {sys.version_info[:2]}"
        name = disk_store.key("lark-tables", f"{versions}\0{grammar}")
        store = disk_store.sealed("lark")
        stored = store.read(name) if store is not None else None
        if stored is not None:
            try:
                _parser = lark.Lark.load(io.BytesIO(stored))
            except Exception:  # written by this user, but unreadable to this lark: built again
                _parser = None
        if _parser is None:
            _parser = lark.Lark(grammar, parser="lalr", propagate_positions=True, postlex=PostLexer())
            if store is not None:
                saved = io.BytesIO()
                _parser.save(saved)
                store.write(name, saved.getvalue())
    return _parser


def parse(text: str) -> tuple[tuple[Item, ...], tuple[int, int, str] | tuple[int, int, str, bool] | None]:
    """python-hcl2's parse of a chunk: its items, or a relative error (`hcl_parse.ChunkError`)."""
    try:
        tree = get_parser().parse(text + "\n")
        return (tuple(convert(tree, text)), None)
    except LimitExceeded as exc:
        line, column = _line_column(text, exc.at)
        return ((), (line, column, exc.message, True))
    except RecursionError:  # the converter's depth limit prevents it; should it happen, the same limit
        return ((), (0, 0, too_deep(0).message, True))
    except Exception as exc:  # lark raises many error types; each is a parse error here
        return ((), _describe(exc))


def _line_column(text: str, at: int) -> tuple[int, int]:
    at = min(at, len(text))
    return text.count("\n", 0, at), at - (text.rfind("\n", 0, at) + 1)


def _describe(exc: Exception) -> tuple[int, int, str]:
    """(line, column, message) from a lark error, 0-based, in words a user can act on."""
    line = max(int(getattr(exc, "line", 1) or 1) - 1, 0)
    col = max(int(getattr(exc, "column", 1) or 1) - 1, 0)
    token = getattr(exc, "token", None)
    if token is not None:
        ttype = getattr(token, "type", "")
        value = str(token).strip()
        if ttype == "$END" or not value:
            what = "unexpected end of block"
        else:
            first = value.splitlines()[0][:30]
            what = f"unexpected {first!r}"
        expected = getattr(exc, "expected", None) or getattr(exc, "allowed", None) or set()
        if {"NAME", "DBLQUOTE"} <= set(expected):
            what += " (expected an expression)"
        elif "RBRACE" in expected:
            what += " (expected '}')"
        elif "DBLQUOTE" in expected:
            what += " (unterminated string: expected '\"')"
        return line, col, what
    char = getattr(exc, "char", None)
    if char is not None:
        return line, col, f"unexpected character {char!r}"
    return line, col, str(exc).splitlines()[0][:200]


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


# lark's tree has two or three levels per level of HCL nesting (an `expr_term` around each value)
_MAX_TREE_DEPTH = 3 * MAX_NESTING + 10


class _Converter:
    def __init__(self, text: str) -> None:
        self.text = text
        self.depth = 0  # `expr` calls open: bounded, so Python's recursion limit is never reached

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
            return "".join(unquote(str(p.children[0])) for p in node.children if isinstance(p, Tree))
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
        return BlockNode(
            type=self.name(head[0]),
            labels=tuple(self.name(h) for h in head[1:]),
            attributes=tuple(attrs),
            blocks=tuple(blocks),
            pos=_pos(node),
            body_indent=body_indent(self.text, attrs, blocks),
        )

    # -- expressions -------------------------------------------------------------------------------
    def expr(self, node: Tree[Any] | Token) -> Expr:
        if isinstance(node, Token):
            return Opaque(f"token {node.type}", _pos(node))
        self.depth += 1
        if self.depth > _MAX_TREE_DEPTH:
            raise too_deep(_pos(node)[4])
        try:
            return self._expr(node)
        finally:
            self.depth -= 1

    def _expr(self, node: Tree[Any]) -> Expr:
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
            return heredoc_expr(str(kids[0]), pos, data.endswith("trim"))
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
            key: str | int | Expr
            if idx_node.data == "short_index":
                key = int(str(idx_node.children[-1]))
            else:
                inner = [
                    c for c in idx_node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"
                ]
                key = index_key(self.expr(inner[0]))
            if isinstance(target, Ref):
                return Ref((*target.parts, key), pos)
            return Index(target, key, pos)
        if data in ("attr_splat_expr_term", "full_splat_expr_term"):
            accessors = tuple(self._accessor(c) for c in kids[1].children if isinstance(c, Tree))
            return Splat(self.expr(kids[0]), accessors, data == "attr_splat_expr_term", pos)
        if data in ("for_tuple_expr", "for_object_expr"):
            return self._for(node, pos)
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
                items.append((object_key(key_expr), self.expr(ek[1])))
            return ObjectExpr(tuple(items), pos)
        if data == "interpolation":
            inner = [c for c in kids if isinstance(c, Tree)]
            return self.expr(inner[0])
        return Opaque(data, pos)

    def _accessor(self, node: Tree[Any]) -> str | int | Expr:
        """One `.name` or `[key]` after a splat."""
        if node.data == "get_attr":
            return self.name(node.children[-1])
        if node.data == "short_index":
            return int(str(node.children[-1]))
        inner = [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
        return index_key(self.expr(inner[0]))

    def _for(self, node: Tree[Any], pos: Pos) -> ForExpr:
        """A for-expression: its names, collection, key (object form), value, `...` and condition."""
        names: list[str] = []
        exprs: list[Expr] = []
        cond: Expr | None = None
        group = False
        for child in node.children:
            if isinstance(child, Token):
                group = group or child.type == "ELLIPSIS"
                continue
            if child.data == "new_line_or_comment":
                continue
            if child.data == "for_intro":
                for part in child.children:
                    if isinstance(part, Tree) and part.data == "identifier":
                        names.append(self.name(part))
                    elif isinstance(part, Tree) and part.data != "new_line_or_comment":
                        exprs.append(self.expr(part))
            elif child.data == "for_cond":
                inner = [c for c in child.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
                cond = self.expr(inner[0])
            else:
                exprs.append(self.expr(child))
        if node.data == "for_object_expr":
            collection, key, value = exprs
            return ForExpr(tuple(names), collection, key, value, cond, group, pos)
        collection, value = exprs
        return ForExpr(tuple(names), collection, None, value, cond, False, pos)

    def string(self, node: Tree[Any]) -> Expr:
        pos = _pos(node)
        parts: list[str | Expr] = []
        for part in node.children:
            if not isinstance(part, Tree):
                continue
            inner = part.children[0]
            if isinstance(inner, Token):
                parts.append(unquote(str(inner.value)))
            elif inner.data == "interpolation":
                parts.append(self.expr(inner))
            else:
                return Opaque("template directive", pos)
        return string_expr(parts, pos)


def convert(tree: Tree[Any], text: str) -> list[Item]:
    """Turn a parsed chunk into our syntax tree (positions relative to `text`)."""
    body = tree.children[0]
    return _Converter(text).items(body)
