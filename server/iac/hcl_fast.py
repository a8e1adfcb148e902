"""A hand-written HCL parser: chunk text straight to the `hcl_ast` tree, many times faster than lark.

Why it exists: python-hcl2's LALR parser (contextual lexer, parse tree, then `hcl_ast.convert`) costs
about a millisecond a chunk and was most of a cold run. This parser builds the very same tree (equal
dataclasses, positions included) without the parse tree.

python-hcl2 stays the reference. Its grammar (hcl2.lark with `hcl_parse`'s fixes) and its postlexer
are what this module reproduces, quirks included; whatever this parser is not sure about — a rare
construct, a token the contextual lexer might read differently — raises `Unsupported`, and the caller
parses the chunk with lark, which then accepts it or reports the error. So this parser must never
accept text lark rejects nor build a different tree; declining is always safe. A syntax error found
where the parser follows the grammar rule for rule raises `Invalid` (a subclass) with its place and
what was expected: lark is not loaded for it, and it must be text lark rejects too.

Quirks of the reference reproduced here (each checked against lark in tests/test_hcl_fast.py):

- Newlines and comments are tokens. One newline or comment right before a binary operator or `?` joins
  that operator, and the operator's text keeps it (`BinOp.op == "\\n  +"`).
- A binary operation swallows the newlines right after its right operand, so its span ends after them,
  and then only an operator of the same or a looser level may follow: `(a + b\\n\\n+ c)` parses,
  `(a + b\\n\\n* c)` and `(a\\n\\n+ b)` do not.
- `-12` and `-1.5` are number literals but `-1` is `Unary("-", 1)`; `a -12` is an error.
- After a dot only whole numbers are read: `a.1.5` is `a[1][5]`.
- The words `in`, `for`, `if`, `for_each`, `else`, `endif`, `endfor` are names where an expression
  starts, but keywords in an object key and after two or more newlines or comments (lark lexes that
  token in the state of its newline rule).
- A heredoc token includes the newline after its closing marker; the text is parsed with a newline
  appended, so positions may reach one past the end of the chunk.

Declined on purpose (rare, and fragile to mimic): those words as object keys, as for-variables or
after blank lines; `-` glued to a number after an operand; an exponent after a dot; `true.x`; heredoc
object keys; block labels with templates (lark turns them into garbage); `\\"…\\"` template strings;
`%{ifx}` (lark reads `%{if x}`); characters outside the grammar.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate, islice

from advisor.iac.hcl_ast import (
    MAX_NESTING,
    MAX_TOKENS,
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


class Unsupported(Exception):
    """The text is not something this parser is sure about: parse it with python-hcl2 instead.

    `args[0]` says why, starting with a short kind (`keyword`, `directive`, …) used in reports.
    """


class Invalid(Unsupported):
    """The text breaks the grammar at `at` (an offset): a syntax error, reported without lark.

    Raised only where this parser follows the grammar rule for rule, so lark rejects the same text
    (tests/test_hcl_fast.py checks it on every rejected input). Editors hit errors on every keystroke;
    loading lark for them would cost a quarter of a second the first time.
    """

    def __init__(self, message: str, at: int) -> None:
        super().__init__(f"syntax: {message}")
        self.message = message
        self.at = at

    def located(self, text: str) -> tuple[int, int, str]:
        """(line, column, message), 0-based within `text`; the end of the text for its end."""
        at = min(self.at, len(text))
        line = text.count("\n", 0, at)
        return line, at - (text.rfind("\n", 0, at) + 1), self.message


_WORDS = {"nl": "end of line", "eof": "end of block", "iend": "'}'", "dend": "'}'", "qt": "'\"'"}
_WORDS.update({"interp": "'${'", "dir": "'%{'", "heredoc": "heredoc", "qend": "'\"'"})


def _describe(kind: str, text: str) -> str:
    """A token in words for an error message."""
    if kind == "nl" and text.lstrip(" \t\r").startswith(("#", "//", "/*")):
        return "comment"
    if kind in _WORDS:
        return _WORDS[kind]
    if kind == "str" or kind == "part":
        return f"string {text[:30]!r}"
    if kind in ("line", "key", "head", "name", "num"):
        word = re.match(r"[^\s=\"{]*", text)
        return f"'{(word.group() if word else text)[:30]}'"
    return f"'{kind.strip()}'"


# Code between strings: blanks, then one token. Order matters: comments before `/`, the `line` token
# before a plain name, the simple string before a bare quote, longer operators before their prefixes;
# `bad` catches any other character. (`(?=(?P<x>…))(?P=x)` matches without backtracking into it; no
# part may match the same text in two ways, or a failing match would take exponential time.)
_NAME = r"[a-zA-Z_][a-zA-Z0-9_-]*"
_KEYWORD = r"(?:in|if|for|for_each|else|endif|endfor)(?![a-zA-Z0-9_-])"
_NAME_RE = re.compile(_NAME)
_LABEL = re.compile(r'"[^"\\$%\n]*"|' + _NAME)
_CODE = re.compile(
    r"[ \t\r]*(?:"
    r"(?P<nl>\n[ \t]*|#[^\n]*\n|//[^\n]*\n|/\*[^*]*\*+(?:[^/*][^*]*\*+)*/)"
    # The most common line, `name = "text"` (or a number, or `a.b.0`), with the newline (or comment)
    # that ends it, as one token: the next line does not start with an operator that newline would
    # join, and nothing else needs it (a simple value does not take newlines as an operation does).
    r"|(?P<line>(?=(?P<ln>" + _NAME + r"))(?P=ln)[ \t]*=[ \t]*"
    r'(?P<lv>"[^"\\$%\n]*"|[0-9]+(?:\.[0-9]+)?|' + _NAME + r"(?:\.(?:" + _NAME + r"|[0-9]+))*)"
    r"[ \t\r]*(?:#[^\n]*\n|//[^\n]*\n|\n[ \t]*)(?=[ \t\r]*(?:[^-=!<>*/%&|+?\s]|\n|\Z)))"
    # `name =` before any other value, and a block's header `type "label" label {` (no keyword as a
    # word there: `for k, v in {…}` and `x if {…}` are not headers; at most 4 labels, so that a long
    # line of words is not scanned again from each of them).
    r"|(?P<key>(?=(?P<kn>" + _NAME + r"))(?P=kn)[ \t]*=(?![=>]))"
    r"|(?P<head>(?!" + _KEYWORD + r")(?=(?P<hn>" + _NAME + r"))(?P=hn)"
    r"(?:[ \t]*(?!" + _KEYWORD + r')(?:"[^"\\$%\n]*"|' + _NAME + r"(?![a-zA-Z0-9_-]))){0,4}"
    r"[ \t]*(?P<hb>\{)(?:[ \t\r]*\n[ \t]*)?)"  # and the newline after `{`
    r"|(?P<name>" + _NAME + r")"
    r'|(?P<str>"[^"\\$%]*(?:[$%](?!\{)[^"\\$%]*)*")'  # no escapes, no `${`/`%{`: one literal token
    r'|(?P<qt>")'
    r"|(?P<num>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<heredoc><<-?[a-zA-Z][a-zA-Z0-9._-]*\r?\n)"
    r"|(?P<op>[{}(),\]+*%?~-]|=[=>]?|\.(?:\.\.|\*)?|\[(?:\*\])?|::?|!=?|<=?|>=?|&&|\|\||/)"
    r"|(?P<bad>[\s\S]))"
)
_LINE_NAME = _CODE.groupindex["ln"]  # group numbers: faster than names in `Match.span`
_LINE_VALUE = _CODE.groupindex["lv"]
_HEAD_BRACE = _CODE.groupindex["hb"]
# Inside quotes: an escaped `$${…}`/`%%{…}` (up to the first `}`, as the grammar has it) or a run of
# characters is one part; `${` and `%{` open a template; `"` closes the string.
_STRING = re.compile(
    r"(?P<part>\$\$\{[^}]*\}|%%\{[^}]*\}"
    r'|(?:(?!\$\$\{|\$\{|%%\{|%\{)[^"\\]|\\.|\$(?!\$?\{)|%(?!%?\{))+)'
    r"|(?P<interp>\$\{)|(?P<dir>%\{)|(?P<qend>\")"
)
# A whole heredoc: the grammar's pattern (blanks allowed after the closing marker, as hcl_parse fixes it).
_HEREDOC = re.compile(r"<<-?([a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:[\s\S]*?\r?\n)??\s*\1[ \t]*\r?\n")
# How the reference lexer reads a `-` glued to digits (it tries these before the `-` operator).
_LARK_FLOAT = re.compile(r"(?:(?:-[0-9])?[0-9]+|(?:-[0-9])+)(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)")
_LARK_INT = re.compile(r"-[0-9][0-9]+")

# Operators a preceding newline joins (python-hcl2's postlexer; not `-`, which may be a sign).
_JOINS_NEWLINE = frozenset({"==", "!=", "<", ">", "<=", ">=", "*", "/", "%", "&&", "||", "+", "?"})
_PREC = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, ">": 4, "<=": 4, ">=": 4}
_PREC.update({"+": 5, "-": 5, "*": 6, "/": 6, "%": 6})
_KEYWORDS = frozenset({"in", "for", "if", "for_each", "else", "endif", "endfor"})
_LITERALS: dict[str, bool | None] = {"true": True, "false": False, "null": None}
_VALUE_END = frozenset({"nl", "}", "eof"})  # after one of these an attribute's value is complete
# Tokens that no expression continues with: after a lone literal or name, the expression is that token.
_EXPR_END = frozenset(
    {"nl", ",", ")", "]", "}", ":", "=", "=>", "...", "iend", "dend", "eof", "line", "key", "head", "~"}
)
_SIMPLE = frozenset({"str", "num", "name"})


def parse_items(text: str) -> tuple[Item, ...]:
    """The items of one chunk, equal to `tuple(convert(get_parser().parse(text + "\\n"), text))`.

    Raises `Unsupported` for anything this parser does not handle or that is not valid, and
    `LimitExceeded` for a block nested deeper than `MAX_NESTING` or longer than `MAX_TOKENS`: the
    parser counts the depth of the tree it builds, so Python's recursion limit is never reached.
    """
    try:
        return _Parser(text).chunk()
    except RecursionError:  # the limits above prevent it; should it happen, it is the same limit
        raise too_deep(0) from None
    except ValueError as exc:  # int() of a huge literal: lark's converter fails there too
        raise Unsupported(f"number: {exc}") from None


_Tokens = tuple[list[str], list[str], list[int], list[int], dict[int, "re.Match[str]"]]


def _tokenize(src: str) -> _Tokens:
    """Kinds, texts, start and end offsets of the tokens of `src`, then `eof` tokens.

    Operators are their own kind (`"+"`, `"=="` …). A quoted string is either one `str` token or
    `qt`, then `part`s and templates (`interp` … `iend`, `dir` … `dend`), then `qend`. A `line`
    token is a whole simple attribute and the newline after it, a `head` token a block's header up to
    its `{` and the newline after; their matches (by token index) are in the last result.
    """
    lines: dict[int, re.Match[str]] = {}
    kinds: list[str] = []
    texts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    depth: list[int] = []  # braces open inside each open `${`/`%{`, innermost last
    closers: list[str] = []  # what the `}` that closes each of them is: `iend` or `dend`
    opened: list[int] = []  # where each open string and `${`/`%{` starts, innermost last
    n = len(src)
    pos = 0
    in_string = False
    while pos < n:
        if in_string:
            m = _STRING.match(src, pos)
            if m is None:
                raise Unsupported("syntax: unterminated string or bad escape")
            kind = m.lastgroup or ""
            end = m.end()
            kinds.append(kind)
            texts.append(m.group())
            starts.append(pos)
            ends.append(end)
            pos = end
            if kind == "qend":
                in_string = False
                opened.pop()
            elif kind != "part":
                opened.append(pos - len(m.group()))
                depth.append(0)
                closers.append("iend" if kind == "interp" else "dend")
                in_string = False
            continue
        # At most MAX_TOKENS in all: `islice` stops the scan there without any work per token here.
        m = None
        for m in islice(_CODE.finditer(src, pos), max(MAX_TOKENS - len(kinds), 0)):
            kind = m.lastgroup or ""
            text = m.group(kind)
            end = m.end()
            if kind == "op":
                kind = text
                if text in _JOINS_NEWLINE:
                    if kinds[-1:] == ["nl"]:  # the operator keeps the newline's text (not its place)
                        kinds.pop()
                        text = texts.pop() + text
                        starts.pop()
                        ends.pop()
                elif depth and text == "{":
                    depth[-1] += 1
                elif depth and text == "}":
                    if depth[-1] == 0:  # back into the string this `${`/`%{` is in
                        depth.pop()
                        opened.pop()
                        kind = closers.pop()
                        in_string = True
                    else:
                        depth[-1] -= 1
            elif kind != "nl" and kind != "name" and kind != "str":
                if (kind == "line" or kind == "key" or kind == "head") and kinds[-1:] == ["."]:
                    # `e.f = 5` as an object key: after a dot, only the name
                    start = end - len(text)
                    end = start + len(_NAME_RE.match(src, start).group())  # type: ignore[union-attr]
                    kinds.append("name")
                    texts.append(src[start:end])
                    starts.append(start)
                    ends.append(end)
                    pos = end
                    break
                if kind == "line" or kind == "head":
                    lines[len(kinds)] = m
                elif kind == "key":  # the name only: the `=` after it is implied
                    text = m.group("kn")
                    end = m.end("kn")
                elif kind == "qt":
                    in_string = True
                    opened.append(end - 1)
                elif kind == "heredoc":
                    whole = _HEREDOC.match(src, end - len(text))
                    if whole is None:
                        raise Unsupported("syntax: heredoc without its closing marker")
                    end = whole.end()
                    text = whole.group()
                    kinds.append(kind)
                    texts.append(text)
                    starts.append(whole.start())
                    ends.append(end)
                    pos = end
                    break
                elif kind == "bad":
                    raise Unsupported(f"character: {text!r}")
            kinds.append(kind)
            texts.append(text)
            starts.append(end - len(text))
            ends.append(end)
            if in_string:
                pos = end
                break
        else:
            stop = m.end() if m is not None else pos
            if stop < n:  # stopped by the budget, not by the end of the text
                raise LimitExceeded(f"more than {MAX_TOKENS:,} tokens in one block; not analysed", stop)
            pos = n
    if in_string or depth:
        what = "unterminated string (expected '\"')" if in_string else "'${' or '%{' without its '}'"
        raise Invalid(what, opened[-1])
    # two `eof` tokens: the parser looks one token ahead without checking for the end
    kinds += ("eof", "eof")
    texts += ("", "")
    starts += (n, n)
    ends += (n, n)
    return kinds, texts, starts, ends, lines


class _Parser:
    """Recursive descent over the tokens of one chunk, rule by rule as in hcl2.lark."""

    __slots__ = ("depth", "e", "i", "k", "lines", "matches", "s", "src", "text", "v")

    def __init__(self, text: str) -> None:
        src = text + "\n"  # what hcl_parse gives lark: positions past the chunk's end are the same
        self.text = text
        self.src = src
        self.k, self.v, self.s, self.e, self.matches = _tokenize(src)
        self.i = 0
        self.depth = 0  # levels of expressions and blocks open around the current token
        # offsets where lines start, then one past every offset (so `lines[line + 1]` always exists)
        self.lines = list(accumulate([len(line) + 1 for line in src.split("\n")], initial=0))

    # -- helpers -----------------------------------------------------------------------------------
    def pos(self, start: int, end: int) -> Pos:
        lines = self.lines
        line = bisect_right(lines, start) - 1
        first = lines[line]
        if end < lines[line + 1]:
            return (line, start - first, line, end - first, start, end)
        end_line = bisect_right(lines, end, line) - 1
        return (line, start - first, end_line, end - lines[end_line], start, end)

    def invalid(self, i: int, expected: str) -> Invalid:
        """The syntax error at token i, which is not what the grammar allows there."""
        return Invalid(f"unexpected {_describe(self.k[i], self.v[i])} ({expected})", self.s[i])

    def skip_nl(self) -> None:
        k = self.k
        i = self.i
        while k[i] == "nl":
            i += 1
        self.i = i

    def expect(self, kind: str) -> int:
        """Consume a token of `kind`; its end offset."""
        i = self.i
        if self.k[i] != kind:
            raise self.invalid(i, f"expected {_describe(kind, kind)}")
        self.i = i + 1
        return self.e[i]

    def keyword(self, word: str) -> bool:
        """Whether the next token is the word `word` (then consumed)."""
        i = self.i
        if self.k[i] == "name" and self.v[i] == word:
            self.i = i + 1
            return True
        return False

    def plain_name(self) -> str:
        """A name that lark reads as NAME in every state: not a keyword nor `true`/`false`/`null`."""
        i = self.i
        if self.k[i] != "name":
            raise self.invalid(i, "expected a name")
        name = self.v[i]
        if name in _KEYWORDS or name in _LITERALS:
            raise Unsupported(f"keyword: {name!r} as a name")
        self.i = i + 1
        return name

    def number(self, i: int) -> Lit:
        text = self.v[i]
        pos = self.pos(self.s[i], self.e[i])
        if "." in text or "e" in text or "E" in text:
            return Lit(float(text), pos)
        return Lit(int(text), pos)

    def glued_number(self, i: int) -> str | None:
        """The literal lark lexes at a `-` (token i) glued to a number (`-12`, `-1.5`), if any."""
        if self.k[i + 1] != "num" or self.s[i + 1] != self.e[i]:
            return None
        m = _LARK_FLOAT.match(self.src, self.s[i]) or _LARK_INT.match(self.src, self.s[i])
        if m is None:
            return None  # `-1`: the operator, then the number
        if m.end() != self.e[i + 1]:
            raise Unsupported(f"negative number: {m.group()!r}")
        return m.group()

    # -- bodies ------------------------------------------------------------------------------------
    def chunk(self) -> tuple[Item, ...]:
        items = self.body()
        if self.k[self.i] != "eof":
            raise self.invalid(self.i, "expected an attribute or a block")
        return tuple(items)

    def body(self) -> list[Item]:
        """`(nl? (attribute | block))* nl?`: stops before whatever cannot start an item."""
        k, v, s, e = self.k, self.v, self.s, self.e
        items: list[Item] = []
        i = self.i
        while True:
            kind = k[i]
            if kind == "nl":
                i += 1
                while k[i] == "nl":
                    i += 1
                kind = k[i]
            if kind == "line":
                items.append(self.line(i))
                i += 1
                continue
            if kind == "key":
                j = i + 1
            elif kind == "name" and k[i + 1] == "=":
                j = i + 2
            elif kind == "name" or kind == "head":
                self.i = i
                items.append(self.block())
                i = self.i
                continue
            else:
                self.i = i
                return items
            vk = k[j]
            expr: Expr
            if k[j + 1] in _VALUE_END and (vk == "str" or vk == "num" or vk == "name"):
                # fast path: a one-token value ending the line (not one of the `line` token's shapes)
                self.i = j
                expr = self.primary()
            else:
                self.i = j
                expr = self.expression()
            start = s[i]
            items.append(Attribute(v[i], expr, self.pos(start, e[self.i - 1]), self.pos(start, e[i])))
            i = self.i

    def block(self) -> BlockNode:
        """`name (name | "label")* nl? { body }` (or a `head` token up to its `{`)."""
        k, v = self.k, self.v
        i = self.i
        start = self.s[i]
        depth = self.depth = self.depth + 1
        if depth > MAX_NESTING:
            raise too_deep(start)
        labels: list[str]
        if k[i] == "head":
            block_type, *labels = self.head_words(i)
            i += 1
        else:
            block_type = v[i]
            labels = []
            i += 1
            while True:
                kind = k[i]
                if kind == "name":
                    labels.append(v[i])
                elif kind == "str":
                    labels.append(v[i][1:-1])
                elif kind == "qt":
                    self.i = i
                    labels.append(self.label())
                    i = self.i
                    continue
                elif kind == "head":  # the rest of the header, `{` included (after a keyword label)
                    labels += self.head_words(i)
                    i += 1
                    break
                else:
                    while k[i] == "nl":
                        i += 1
                    if k[i] != "{":
                        raise self.invalid(i, "expected '{' or '='")
                    i += 1
                    break
                i += 1
        self.i = i
        items = self.body()
        end = self.expect("}")
        self.depth = depth - 1
        attrs = [x for x in items if isinstance(x, Attribute)]
        blocks = [x for x in items if isinstance(x, BlockNode)]
        return BlockNode(
            block_type,
            tuple(labels),
            tuple(attrs),
            tuple(blocks),
            self.pos(start, end),
            body_indent(self.text, attrs, blocks),
        )

    def head_words(self, i: int) -> list[str]:
        """The type and labels of a `head` token (token i), quotes removed."""
        m = self.matches[i]
        words = _LABEL.findall(self.src, m.start(), m.start(_HEAD_BRACE))
        return [word[1:-1] if word[0] == '"' else word for word in words]

    def label(self) -> str:
        """A block label written with escapes: its decoded text (a template would be garbage in lark)."""
        k, v = self.k, self.v
        i = self.i + 1
        out: list[str] = []
        while k[i] == "part":
            out.append(unquote(v[i]))
            i += 1
        if k[i] != "qend":
            raise Unsupported("template label: a block label with an interpolation or directive")
        self.i = i + 1
        return "".join(out)

    def line(self, i: int) -> Attribute:
        """The attribute of a `line` token (token i): `name = value` with a simple value."""
        m = self.matches[i]
        start, name_end = m.span(_LINE_NAME)
        value_start, end = m.span(_LINE_VALUE)
        lines = self.lines
        line = bisect_right(lines, start) - 1
        first = lines[line]
        text = self.src[value_start:end]
        pos = (line, value_start - first, line, end - first, value_start, end)
        expr: Expr
        head = text[0]
        if head == '"':
            expr = Lit(text[1:-1], pos, True)
        elif head in "0123456789":
            expr = Lit(float(text) if "." in text else int(text), pos)
        elif "." not in text:
            expr = Lit(_LITERALS[text], pos) if text in _LITERALS else Ref((text,), pos)
        else:
            parts = text.split(".")
            if parts[0] in _LITERALS:
                raise Unsupported(f"literal: {parts[0]!r} with attributes")
            expr = Ref(tuple(int(p) if p[0] in "0123456789" else p for p in parts), pos)
        column = start - first
        return Attribute(
            self.src[start:name_end],
            expr,
            (line, column, line, end - first, start, end),
            (line, column, line, name_end - first, start, name_end),
        )

    # -- expressions -------------------------------------------------------------------------------
    def expression(self) -> Expr:
        """`or_expr (? nl? expression nl? : nl? expression)?`."""
        i = self.i
        if self.k[i + 1] in _EXPR_END and self.k[i] in _SIMPLE:
            return self.primary()  # shortcut: nothing after this token can continue the expression
        start = self.s[i]
        depth = self.depth = self.depth + 1
        if depth > MAX_NESTING:
            raise too_deep(start)
        cond = self.binary(1)
        if self.k[self.i] != "?":
            self.depth = depth - 1
            return cond
        self.i += 1
        self.skip_nl()
        then = self.expression()
        self.skip_nl()
        self.expect(":")
        self.skip_nl()
        other = self.expression()
        self.depth = depth - 1
        return Cond(cond, then, other, self.pos(start, self.e[self.i - 1]))

    def binary(self, min_prec: int) -> Expr:
        """Binary operators of precedence `min_prec` and tighter, left-associative."""
        k = self.k
        start = self.s[self.i]
        left = self.unary()
        depth = self.depth  # each operation of a chain is one level deeper in the tree: counted
        while True:
            i = self.i
            op = k[i]
            prec = _PREC.get(op)
            if prec is None or prec < min_prec:
                self.depth = depth
                return left
            if op == "-" and self.glued_number(i) is not None:
                raise Unsupported("negative number: `-` glued to a number after an operand")
            text = self.v[i]
            self.i = i + 1
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise too_deep(self.s[i])
            self.skip_nl()
            right = self.binary(prec + 1)
            i = self.i
            swallowed = k[i] == "nl"
            if swallowed:  # lark shifts these newlines into the operation (its span includes them)
                i += 1
                while k[i] == "nl":
                    i += 1
                self.i = i
            left = BinOp(text, left, right, self.pos(start, self.e[i - 1]))
            if swallowed:
                after = _PREC.get(k[i])
                if after is not None and after > prec:
                    raise self.invalid(i, "an operator that binds tighter cannot start a new line here")

    def unary(self) -> Expr:
        """`(- | !) expr_term`, or an expr_term (`-12` is a literal, not a negation)."""
        i = self.i
        op = self.k[i]
        if op == "!" or (op == "-" and self.glued_number(i) is None):
            start = self.s[i]
            self.i = i + 1
            operand = self.term()
            return Unary(op, operand, self.pos(start, self.e[self.i - 1]))
        return self.term()

    def term(self) -> Expr:
        """A primary followed by `.name`, `.0`, `[key]` and splats (no newline before them)."""
        k = self.k
        start = self.s[self.i]
        expr = self.primary()
        kind = k[self.i]
        if kind != "." and kind != "[" and kind != "[*]" and kind != ".*":
            return expr
        # A traversal grows one `Ref`; its parts are gathered first, so only the last Ref is built.
        parts: list[str | int | Expr] | None = list(expr.parts) if isinstance(expr, Ref) else None
        grown = False
        depth = self.depth  # an index or splat around an expression that is not a traversal nests it
        while True:
            i = self.i
            kind = k[i]
            if parts is None:
                depth += 1
                if depth > MAX_NESTING:
                    raise too_deep(self.s[i])
            key: str | int | Expr
            if kind == ".":
                keys = self.attr_keys(i + 1)
                self.i = i + 2
                if len(keys) == 2:  # `.1.5`: the first number now, the second below
                    if parts is not None:
                        parts.append(keys[0])
                        grown = True
                    else:
                        first_end = self.s[i + 1] + self.v[i + 1].index(".")
                        expr = Index(expr, keys[0], self.pos(start, first_end))
                key = keys[-1]
            elif kind == "[":
                self.i = i + 1
                self.skip_nl()
                key = index_key(self.expression())
                self.skip_nl()
                self.expect("]")
            elif kind == "[*]" or kind == ".*":
                if parts is not None:
                    if grown:
                        expr = Ref(tuple(parts), self.pos(start, self.e[i - 1]))
                    parts = None
                self.i = i + 1
                accessors = self.splat_accessors()
                expr = Splat(expr, accessors, kind == ".*", self.pos(start, self.e[self.i - 1]))
                continue
            else:
                break
            if parts is not None:
                parts.append(key)
                grown = True
            else:
                expr = Index(expr, key, self.pos(start, self.e[self.i - 1]))
        if parts is not None and grown:
            return Ref(tuple(parts), self.pos(start, self.e[self.i - 1]))
        return expr

    def attr_keys(self, i: int) -> tuple[str | int, ...]:
        """What follows a `.` (token i): a name (any word) or a whole number; `a.1.5` is `a.1 .5`."""
        kind = self.k[i]
        if kind == "name":
            return (self.v[i],)
        if kind == "num":
            text = self.v[i]
            if "e" in text or "E" in text:
                raise Unsupported(f"number after dot: {text!r}")
            if "." in text:  # after a dot lark reads whole numbers only: `1`, `.`, `5`
                whole, fraction = text.split(".")
                return (int(whole), int(fraction))
            return (int(text),)
        raise self.invalid(i, "expected a name after '.'")

    def splat_accessors(self) -> tuple[str | int | Expr, ...]:
        """The `.name`/`[key]` after `.*` or `[*]`: lark takes them all into the splat."""
        k = self.k
        out: list[str | int | Expr] = []
        while True:
            i = self.i
            kind = k[i]
            if kind == ".":
                out.extend(self.attr_keys(i + 1))
                self.i = i + 2
            elif kind == "[":
                self.i = i + 1
                self.skip_nl()
                out.append(index_key(self.expression()))
                self.skip_nl()
                self.expect("]")
            else:
                return tuple(out)

    def primary(self) -> Expr:
        k, v, s, e = self.k, self.v, self.s, self.e
        i = self.i
        kind = k[i]
        if kind == "str":
            self.i = i + 1
            return Lit(v[i][1:-1], self.pos(s[i], e[i]), True)
        if kind == "name":
            name = v[i]
            if name in _LITERALS:
                self.i = i + 1
                return Lit(_LITERALS[name], self.pos(s[i], e[i]))
            if name in _KEYWORDS and k[i - 1] == "nl" and k[i - 2] == "nl":
                # lark reads the token after two newlines in its newline rule's state, where this
                # word is a keyword. Anywhere else it is a name here (object keys are checked before).
                raise Unsupported(f"keyword: {name!r} after blank lines or comments")
            after = k[i + 1]
            if after == "(" or after == "::":
                return self.call()
            self.i = i + 1
            return Ref((name,), self.pos(s[i], e[i]))
        if kind == "num":
            self.i = i + 1
            return self.number(i)
        if kind == "qt":
            return self.string()
        if kind == "(":
            self.i = i + 1
            self.skip_nl()
            inner = self.expression()
            self.skip_nl()
            self.expect(")")
            return inner
        if kind == "[":
            return self.tuple_()
        if kind == "{":
            return self.object_()
        if kind == "heredoc":
            self.i = i + 1
            raw = v[i]
            return heredoc_expr(raw, self.pos(s[i], e[i]), raw.startswith("<<-"))
        if kind == "-":
            glued = self.glued_number(i)
            if glued is not None:
                self.i = i + 2
                pos = self.pos(s[i], e[i + 1])
                value = float(glued) if "." in glued or "e" in glued or "E" in glued else int(glued)
                return Lit(value, pos)
        raise self.invalid(i, "expected an expression")

    def call(self) -> Call:
        """`name(args)` or `provider::ns::name(args)`; `...` after the last argument expands it."""
        k, v = self.k, self.v
        i = self.i
        start = self.s[i]
        names = [v[i]]  # any word: after `::` and where a call starts, lark reads words as names
        if k[i + 1] == "::":
            if k[i + 2] != "name" or k[i + 3] != "::" or k[i + 4] != "name":
                raise self.invalid(i, "a provider function is `provider::namespace::name(…)`")
            names += (v[i + 2], v[i + 4])
            i += 4
        self.i = i + 1
        self.expect("(")
        self.skip_nl()
        args: list[Expr] = []
        expand = False
        if k[self.i] != ")":
            while True:
                args.append(self.expression())
                kind = k[self.i]
                if kind == ",":  # a comma right after an argument may be the last thing
                    self.i += 1
                    self.skip_nl()
                    if k[self.i] == ")":
                        break
                    continue
                if kind == "...":
                    self.i += 1
                    expand = True
                    self.skip_nl()
                    break
                if kind == "nl":
                    self.skip_nl()
                    if k[self.i] == ",":  # after a newline, a comma must be followed by an argument
                        self.i += 1
                        self.skip_nl()
                        continue
                break
        end = self.expect(")")
        return Call("::".join(names), tuple(args), self.pos(start, end), expand)

    def for_end(
        self,
        intro: tuple[tuple[str, ...], Expr],
        key: Expr | None,
        value: Expr,
        group: bool,
        closer: str,
        start: int,
    ) -> Expr:
        """The rest of a for-expression: its optional `if` condition and the closing bracket."""
        cond: Expr | None = None
        if self.keyword("if"):
            self.skip_nl()
            cond = self.expression()
            self.skip_nl()
        end = self.expect(closer)
        names, collection = intro
        return ForExpr(names, collection, key, value, cond, group, self.pos(start, end))

    def tuple_(self) -> Expr:
        """`[a, b]` or `[for … : value if cond]`."""
        k = self.k
        start = self.s[self.i]
        self.i += 1
        self.skip_nl()
        if self.keyword("for"):
            intro = self.for_intro()
            value = self.expression()
            self.skip_nl()
            return self.for_end(intro, None, value, False, "]", start)
        items: list[Expr] = []
        while k[self.i] != "]":
            items.append(self.expression())
            self.skip_nl()
            if k[self.i] == ",":
                self.i += 1
                self.skip_nl()
            elif k[self.i] != "]":
                raise self.invalid(self.i, "expected ',' or ']'")
        end = self.expect("]")
        return TupleExpr(tuple(items), self.pos(start, end))

    def object_(self) -> Expr:
        """`{ key = value, key: value … }` or `{for … : key => value... if cond}`."""
        k, v = self.k, self.v
        start = self.s[self.i]
        self.i += 1
        self.skip_nl()
        if self.keyword("for"):
            intro = self.for_intro()
            key_expr = self.expression()
            self.skip_nl()
            self.expect("=>")
            self.skip_nl()
            value = self.expression()
            self.skip_nl()
            group = k[self.i] == "..."
            if group:
                self.i += 1
                self.skip_nl()
            return self.for_end(intro, key_expr, value, group, "}", start)
        items: list[tuple[str | Expr, Expr]] = []
        while k[self.i] != "}":
            kind = k[self.i]
            if kind == "line":  # `name = value`: the key is the name (keywords are declined as keys)
                attr = self.line(self.i)
                key: str | Expr = attr.name
                if key in _KEYWORDS:
                    raise Unsupported(f"keyword: {key!r} as an object key")
                if key in _LITERALS:
                    key = Lit(_LITERALS[attr.name], attr.name_pos)
                items.append((key, attr.expr))
                self.i += 1
                self.skip_nl()
                if k[self.i] == ",":
                    self.i += 1
                    self.skip_nl()
                continue
            if kind == "key":  # `name =`
                key = v[self.i]
                if key in _KEYWORDS:
                    raise Unsupported(f"keyword: {key!r} as an object key")
                if key in _LITERALS:
                    key = Lit(_LITERALS[v[self.i]], self.pos(self.s[self.i], self.e[self.i]))
                self.i += 1
                items.append((key, self.expression()))
                self.skip_nl()
                if k[self.i] == ",":
                    self.i += 1
                    self.skip_nl()
                continue
            if kind == "heredoc":
                raise Unsupported("heredoc key: a heredoc as an object key")
            if kind == "name" and v[self.i] in _KEYWORDS:
                raise Unsupported(f"keyword: {v[self.i]!r} as an object key")
            key = self.expression()
            if k[self.i] != "=" and k[self.i] != ":":
                raise self.invalid(self.i, "expected '=' or ':'")
            self.i += 1
            items.append((object_key(key), self.expression()))
            self.skip_nl()
            if k[self.i] == ",":
                self.i += 1
                self.skip_nl()
        end = self.expect("}")
        return ObjectExpr(tuple(items), self.pos(start, end))

    def for_intro(self) -> tuple[tuple[str, ...], Expr]:
        """After `for`: `nl? name (, name nl?)? nl? in nl? collection nl? : nl?`; names, collection."""
        self.skip_nl()
        names = [self.plain_name()]
        if self.k[self.i] == ",":
            self.i += 1
            names.append(self.plain_name())
        self.skip_nl()
        if not self.keyword("in"):
            raise self.invalid(self.i, "expected 'in'")
        self.skip_nl()
        collection = self.expression()
        self.skip_nl()
        self.expect(":")
        self.skip_nl()
        return tuple(names), collection

    def string(self) -> Expr:
        """A quoted string with escapes or templates: a literal, a template or an opaque directive."""
        k, v = self.k, self.v
        i = self.i
        start = self.s[i]
        i += 1
        parts: list[str | Expr] = []
        directive = False
        while True:
            kind = k[i]
            if kind == "part":
                parts.append(unquote(v[i]))
                i += 1
            elif kind == "interp":
                self.i = i + 1
                parts.append(self.expression())
                i = self.i
                if k[i] != "iend":
                    raise self.invalid(i, "expected '}' to end an interpolation")
                i += 1
            elif kind == "dir":
                self.i = i + 1
                self.directive()
                directive = True
                i = self.i
            else:  # qend: the tokenizer ends every string
                break
        self.i = i + 1
        pos = self.pos(start, self.e[i])
        if directive:
            return Opaque("template directive", pos)
        return string_expr(parts, pos)

    def directive(self) -> None:
        """Inside `%{ … }`: `~? (if expr | else | endif | for name (, name)? in expr | endfor) ~?`."""
        k = self.k
        if k[self.i] == "~":
            self.i += 1
        i = self.i
        word = self.v[i] if k[i] == "name" else ""
        if word not in ("if", "else", "endif", "for", "endfor"):
            # lark matches the keyword as a prefix (`%{ifx}` is `if x`): not worth mimicking
            raise Unsupported(f"directive: {word or k[i]!r} after '%{{'")
        self.i = i + 1
        if word == "if":
            self.expression()
        elif word == "for":
            self.plain_name()
            if k[self.i] == ",":
                self.i += 1
                self.plain_name()
            if not self.keyword("in"):
                raise self.invalid(self.i, "expected 'in' in a for directive")
            self.expression()
        if k[self.i] == "~":
            self.i += 1
        self.expect("dend")
