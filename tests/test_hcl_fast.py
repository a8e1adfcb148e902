"""The hand-written HCL parser builds exactly python-hcl2's tree, or declines.

`hcl_fast.parse_items` must equal `convert(lark parse)` (positions and all) on every chunk it accepts,
and must never accept a chunk lark rejects. Checked on every .tf/.tfvars of the repository, on a
generated project, on hand-written cases for each construct and on hypothesis mutations.
`ADVISOR_CORPUS=/path/to/tf/files` also runs the differential check over every .tf under that folder
(skipped otherwise); `ADVISOR_FUZZ_EXAMPLES=5000` runs the property tests longer.
"""

from __future__ import annotations

import collections
import importlib.util
import os
import re
import time
from pathlib import Path

import pytest
from advisor.iac import hcl_fast, hcl_lark, hcl_parse
from advisor.iac.hcl_ast import Item
from advisor.iac.hcl_lark import convert
from advisor.iac.hcl_scanner import split_top_level
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("ADVISOR_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def lark_items(text: str) -> tuple[Item, ...] | None:
    """The reference: what hcl_parse made of a chunk before the fast parser (None: a syntax error)."""
    try:
        return tuple(convert(hcl_lark.get_parser().parse(text + "\n"), text))
    except Exception:  # lark's errors, and the converter's (RecursionError, int() of a huge literal)
        return None


def fast_items(text: str) -> tuple[Item, ...] | None:
    try:
        return hcl_fast.parse_items(text)
    except hcl_fast.Unsupported:
        return None


def agrees(text: str) -> bool:
    """Assert the fast parser agrees with lark on `text`; whether it handled it (did not decline).

    A syntax error it reports itself (`Invalid`) must be one lark reports too.
    """
    try:
        fast = hcl_fast.parse_items(text)
    except hcl_fast.Invalid as exc:
        assert lark_items(text) is None, f"the fast parser rejects what lark accepts ({exc}): {text!r}"
        line, column, _ = exc.located(text)
        assert 0 <= line <= text.count("\n") and column >= 0
        return False
    except hcl_fast.Unsupported:
        return False
    reference = lark_items(text)
    assert reference is not None, f"the fast parser accepts what lark rejects: {text!r}"
    # repr as well: `==` alone takes True for 1 and 1.0 for 1
    assert fast == reference and repr(fast) == repr(reference), f"different trees for {text!r}"
    return True


# -- differential checks over files ----------------------------------------------------------------
def hcl_files(root: Path, suffixes: tuple[str, ...] = (".tf", ".tfvars")) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in suffixes and p.is_file())


def differential(paths: list[Path]) -> collections.Counter[str]:
    """Every chunk of every file: counts of `valid` (lark accepts), `handled` and decline kinds."""
    counts: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        for chunk in split_top_level(text):
            counts["chunks"] += 1
            valid = lark_items(chunk.text) is not None
            counts["valid"] += valid
            try:
                counts["handled"] += agrees(chunk.text)
            except AssertionError as exc:
                failures.append(f"{path}:{chunk.line + 1}: {exc}")
            if valid and fast_items(chunk.text) is None:
                try:
                    hcl_fast.parse_items(chunk.text)
                except hcl_fast.Unsupported as why:
                    counts["declined " + str(why).split(":")[0]] += 1
    assert not failures, "\n".join(failures[:10])
    return counts


def test_repository_files_agree_and_are_handled() -> None:
    counts = differential(hcl_files(REPO / "examples") + hcl_files(REPO / "tests"))
    assert counts["chunks"] >= 30
    assert counts["handled"] >= 0.99 * counts["valid"], counts


def write_project(root: Path) -> None:
    """The benchmark's generated project (benchmarks/parse.py is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("bench_parse", REPO / "benchmarks" / "parse.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_project(root)


def test_generated_project_agrees_and_is_handled(tmp_path: Path) -> None:
    write_project(tmp_path)
    # the 40 modules repeat the same shapes with other names: every tenth is enough
    files = [p for p in hcl_files(tmp_path) if int(p.parent.name[-2:]) % 10 == 0]
    counts = differential(files)
    assert counts["chunks"] > 700
    assert counts["handled"] == counts["valid"] == counts["chunks"], counts


@pytest.mark.skipif(
    not os.environ.get("ADVISOR_CORPUS"), reason="set ADVISOR_CORPUS to a folder of .tf files"
)
def test_corpus_agrees_and_is_handled() -> None:
    root = Path(os.environ["ADVISOR_CORPUS"])
    counts = differential(hcl_files(root, (".tf",)))
    print(dict(counts))  # shown with -s: chunks, valid, handled and declined kinds
    assert counts["handled"] >= 0.99 * counts["valid"], counts


# -- hand-written cases ----------------------------------------------------------------------------
# Each must be handled by the fast parser, with lark's exact tree.
HANDLED = [
    # literals
    "x = 1",
    "x = 1.5",
    "x = 1e5",
    "x = 2E-3",
    "x = 1.5e+2",
    "x = 007",
    "x = 99999999999999999999999",
    "x = -12",  # one literal to lark …
    "x = -12.5",
    "x = -1.5",
    "x = -1e3",
    "x = -1",  # … but this is `Unary("-", 1)`
    "x = - 12",
    "x = !-12",
    "x = - -12",
    "x = true\ny = false\nz = null",
    # strings and templates
    'x = "a"',
    'x = ""',
    'x = "a\\nb\\t\\"q\\" \\\\ \\r"',
    'x = "\\u00e9 \\U0001F600 \\x"',
    'x = "$${x}"',
    'x = "%%{x}"',
    'x = "a$${x}${y}"',
    'x = "$$${x}"',
    'x = "\\$${x}"',
    'x = "a$b%c$$ %%"',
    'x = "multi\nline"',
    'x = "é ü 字"',
    'x = "${a}"',
    'x = "a-${b.c}-${d[0]}-${f(1)}"',
    'x = "${ "${x}" }"',
    'x = "${ {a = 1}.a }"',
    'x = "${a + b\n}"',  # the operation takes the newline: valid for lark
    'x = "%{ if a }y%{ else }z%{ endif }"',
    'x = "%{~ for k, v in m ~}${k}%{ endfor ~}"',
    'x = "%{if a}${b}%{endif}"',
    # heredocs
    "x = <<EOF\nhi\nEOF",
    "x = <<-EOF\n  a\n    b\n  EOF\n",
    "x = <<EOF\nEOF",
    "x = <<EOF\n${a}\nEOF",
    "x = <<EOF\n%{ if a }b%{ endif }\nEOF",
    "x = <<EOF\r\nhi\r\nEOF\r\n",
    "x = <<EOT\nhi\n  EOT  \ny = 1",
    "x = [<<EOF\nhi\nEOF\n, 1]",
    'x = <<E.x-y\n{ } " $$\nE.x-y',
    "x = <<EOF\n\n\nEOF\n",
    # names and traversals
    "x = a",
    "x = a-b",
    "x = a-1",
    "x = _a",
    "x = in",
    "x = for_each",
    "x = in.x",
    "x = [in, for, if]",
    "x = a.b.c",
    "x = a.0.b",
    "x = a.1.5",
    "x = a.01",
    "x = f(x).1.05.x",
    "x = a[0]",
    'x = a["k"]',
    "x = a[true]",
    "x = a[1.5]",
    "x = a[b.c]",
    "x = a [0]",
    "x = a[\n 0\n]",
    "x = a.true.null",
    "x = (a).b",
    "x = f(a).b",
    "x = [1][0]",
    'x = "s"[0]',
    "x = {a = 1}.a",
    "x = 1.x",
    "x = a[0].b[c].d",
    # splats
    "x = a[*].b",
    "x = a.*.b",
    "x = a[*].id[0]",
    "x = a[*][*]",
    "x = a.*[*]",
    "x = a.*.b.*",
    "x = (a)[*]",
    "x = f(x)[*].y",
    "x = a.b[*]",
    "x = a[*].1.5",
    # function calls
    "x = f()",
    "x = f(a, b)",
    "x = f(a,)",
    "x = f(a, b...)",
    "x = f(\n  a,\n  b\n)",
    "x = f(a\n, b)",
    "x = f(a,\n)",
    "x = f(\n)",
    "x = f (1)",
    "x = if(1)",
    "x = provider::aws::arn_parse(x)",
    "x = a :: b :: c (1)",
    "x = provider::in::for(1)",
    "x = f(a + b\n, c)",
    "x = f(a + b\n...)",
    # operators
    "x = a || b && c == d < e + f * -g",
    "x = a - b - c",
    "x = a / b * c % d",
    "x = a%b",
    "x = a <= b != c >= d > e",
    "x = !a",
    "x = !a.b[0]",
    "x = -a[0]",
    "x = (a + b) * c",
    "x = a ? b : c ? d : e",
    "x = a ?\n  b\n  :\n  c",
    "x = a\n? b : c",
    "x = a ? b\n : c",
    "x = (a\n  + b)",
    "x = (a # c\n+ b)",
    "x = (a /* c */ + b)",
    "x = (a + b\n)",
    "x = (a + b\n\n+ c)",
    "x = a + b\n  y = 1",
    "x = a + b # c\ny = 1",
    "x = a * b + c\n\n? d : e",
    "x = a == b + c\n\n< d",
    "x = 1-2",
    "x = a -1",
    "x = 5-1",
    "x = a - -12",
    "x = (in) + for",
    # collections
    "x = []",
    "x = [1, 2,]",
    "x = [\n  1,\n  2\n]",
    "x = [a\n, b]",
    "x = {}",
    "x = {\n}",
    "x = { a = 1, b = 2 }",
    "x = {a = 1 b = 2}",
    "x = {a:1}",
    "x = {a=1}",
    'x = {\n  a = 1\n  b: 2,\n  "c" = 3\n  (d) = 4\n  e.f = 5\n  6 = 7\n  null = 8\n  true: 9\n}',
    'x = { "a-${b}" = 1 }',
    "x = {a = b ? c : d e = f}",
    "x = {\n  a = [\n    1,\n  ]\n  b = { c = d }\n}",
    "x = {\n  a = 1\n  , b = 2\n}",
    "x = { a + b\n = 1 }",
    # for expressions
    "x = [for x in xs : x]",
    "x = [for k, v in m : v if v != null]",
    "x = {for k, v in m : k => v}",
    "x = {for k, v in m : k => v... if v}",
    "x = {for k, v in m : k\n => v}",
    "x = [\n  for x in xs :\n  x\n  if x\n]",
    "x = [for x in a ? b : c : x]",
    "x = [for x in xs : x].y",
    "x = [for x in xs : if if c]",
    "x = [\n\n for x in y : x]",
    # comments and blank text
    "x = 1 # c",
    "x = 1 // c",
    "/* c */ x = 1",
    "x = [ /* c */ 1 ]",
    "# only\n",
    "",
    "\n\n",
    "x = 1 /* a\nb */",
    # bodies and blocks
    "a {}",
    'a "b" c {\n  x = 1\n}',
    "a\n{\n}",
    'a "b" { x = 1 }',
    "a {} b = 1 c {}",
    "x = 1 b = 2",
    'resource "r" "n" {\n\tx = 1\n}',
    "a {\n  b {\n    c = 1\n  }\n}",
    'a "b\\"c" {}',
    'a "$${x}" {}',
    'a "" {}',
    "in { for = 1 }",
    'endif a "" {  }',
    'a b "c" endif d {}',
    "a {\n  # only a comment\n}",
    "locals {\n\n  x = 1\n}",
    "a {\n  b {}\n    x = 1\n}",
    "a {\r\n  x = 1\r\n}\r\n",
    "a { x = 1 }",
    'module "m" {\n  source = "./m"\n  for_each = var.m\n  count = 2\n  in = 1\n}',
    'variable "v" {\n  type = map(object({ a = string, b = optional(number, 1) }))\n  default = {}\n}',
]

# Lark rejects each; the fast parser must decline (and parse_chunk then reports lark's error).
REJECTED = [
    "x = a\n\n+ b",
    "x = (a + b\n\n* c)",
    "x = (a\n# c\n+ b)",
    'x = "${a\n}"',
    'x = "${~x}"',
    "x = f(a\n,)",
    "x = f(a\n...)",
    "x = f(...)",
    "x = f(a)(b)",
    "x = a.b (c)",
    "x = { a = 1,, b = 2 }",
    "x = [1 2]",
    "x = [,]",
    "x = a -12",
    "x = 5-12",
    "x = [1 -12]",
    "x = --1",
    "x = -1-2.5",
    "x = /* c */ 1",
    "x = <<EOF \nEOF",
    "x = <<EOF\nhi",
    "x = a\n.b",
    "x = a\n[0]",
    "x = a.-1",
    "x = [\n\n in]",
    "x = f(\n\n in)",
    'x = "unterminated',
    'x = "a\\\nb"',
    "x = {",
    "x = 1_000",
    "x == 1",
    "x = a ?",
    "x = {a =\n 1}",
    "x\n= 1",
    "a b = 1",
    "}",
    "x = 1 2",
    "x = a & b",
    "x = $x",
    "x = é",
    "x = a.0.5e3",
]

# Valid for lark, declined on purpose (rare, and lark's contextual lexer makes them fragile to mimic).
DECLINED = [
    "x = {in = 1}",  # a keyword as an object key
    "x = {a = 1\n for_each = 2}",
    'x = "%{ifx}y%{endif}"',  # lark reads `%{ifx}` as `%{if x}`
    'x = \\"a\\"',  # a template string
    'a "${x}" {}',  # lark makes a label of the parse tree's text
    "x = true.x",
    "x = [for in in xs : 1]",
    "x = {x = 1\n a -b = 1}",  # `b = 1` reads as one attribute line; lark has the key `a - b`
]


@pytest.mark.parametrize("text", HANDLED)
def test_handled_constructs(text: str) -> None:
    assert lark_items(text) is not None, "not valid for the reference parser"
    assert agrees(text), f"declined: {text!r}"


@pytest.mark.parametrize("text", REJECTED)
def test_rejected_constructs_are_declined(text: str) -> None:
    assert lark_items(text) is None
    assert fast_items(text) is None


@pytest.mark.parametrize("text", DECLINED)
def test_declined_constructs(text: str) -> None:
    assert lark_items(text) is not None
    assert fast_items(text) is None


def test_positions_past_the_chunk_end_match_lark() -> None:
    # a heredoc at the end takes the newline lark's caller appends: its span ends past the text
    items = hcl_fast.parse_items("x = <<EOF\nhi\nEOF")
    assert items == lark_items("x = <<EOF\nhi\nEOF")
    assert items[0].pos[5] == len("x = <<EOF\nhi\nEOF") + 1


def test_operator_keeps_the_newline_it_absorbed() -> None:
    (attr,) = hcl_fast.parse_items("x = (a\n  + b)")
    assert attr.expr.op == "\n  +"  # type: ignore[union-attr]


def test_parse_chunk_uses_the_fast_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_lark() -> None:
        raise AssertionError("lark was used")

    monkeypatch.setattr(hcl_lark, "get_parser", no_lark)
    text = 'resource "a" "fast_path_only" {\n  x = [for v in var.l : v.id]\n}'
    items, err = hcl_parse.parse_chunk(text)
    assert err is None and items == hcl_fast.parse_items(text)


def test_parse_chunk_falls_back_to_lark() -> None:
    declined = "x = {in = 1} # fallback"
    items, err = hcl_parse.parse_chunk(declined)
    assert err is None and items == lark_items(declined)
    deep = "x = " + "[" * (hcl_parse.MAX_NESTING + 1) + "]" * (hcl_parse.MAX_NESTING + 1)
    line, column, message, incomplete = hcl_parse.parse_chunk(deep)[1]  # type: ignore[misc]
    assert (line, column, incomplete) == (0, 4 + hcl_parse.MAX_NESTING, True)
    assert f"nested deeper than {hcl_parse.MAX_NESTING} levels" in message


@pytest.mark.parametrize(
    ("broken", "line", "column", "message"),
    [
        ('resource "a" "b" {\n  x = [1 2]\n}', 1, 9, "unexpected '2' (expected ',' or ']')"),
        ('resource "a" "b" {\n  x = \n}', 1, 6, "unexpected end of line (expected an expression)"),
        ('resource "a" "b" {\n  x = "abc\n}', 1, 6, "unterminated string (expected '\"')"),
        ('resource "a" "b" {\n  x = "${var.a\n}', 1, 6, "unterminated string (expected '\"')"),
        ('x = "${var.a', 0, 5, "'${' or '%{' without its '}'"),
        ('resource "a" "b" {\n  x = "${var.a"\n}', 1, 14, "unterminated string (expected '\"')"),
        ('resource "a" "b" {\n  x = 1\n', 2, 0, "unexpected end of block (expected '}')"),
        ("x = a.\ny = 1", 0, 6, "unexpected end of line (expected a name after '.')"),
    ],
)
def test_syntax_errors_are_reported_without_lark(
    monkeypatch: pytest.MonkeyPatch, broken: str, line: int, column: int, message: str
) -> None:
    """Where the fast parser follows the grammar it reports the error itself, where lark points."""
    monkeypatch.setattr(hcl_lark, "get_parser", lambda: pytest.fail("lark was used"))
    items, err = hcl_parse.parse_chunk(broken)
    assert items == () and err == (line, column, message)
    monkeypatch.undo()
    assert lark_items(broken) is None


@pytest.mark.parametrize(
    "text",
    [
        "a " * 20000,
        "resource " + "x " * 20000 + '"',
        'outputs_x" {\n  description = "List of blocks of subnets"\n  value = ' + "m " * 2000,
        "x = " + "a." * 5000 + "(",
        '"' + "$" * 20000 + '"',
        "/*" * 10000,
        "a = " * 10000,
    ],
)
def test_no_slow_inputs(text: str) -> None:
    """The token patterns cannot backtrack badly: a long line of words is read in linear time."""
    start = time.perf_counter()
    fast_items(text)
    assert time.perf_counter() - start < 2.0


# -- property tests --------------------------------------------------------------------------------
SEED_TEXT = """\
variable "size" {
  type    = string
  default = "m5.large" # comment
}
locals {
  tags  = { team = "a", "cost-center" = "42", (var.k) = 1 }
  name  = "app-${var.size}-$${raw}-%{ if var.on }on%{ else }off%{ endif }"
  list  = [for s in var.subnets : s.id if s.public]
  map   = {for k, v in var.m : k => v...}
  n     = -12 + 3 * (4 - 1) / 2 % 5 - -1.5e3
  cond  = var.a == "x" && !var.b || var.c != null ? local.x[0] : aws_eip.nat[*].id
  call  = merge(local.tags, { Name = "web-${count.index}" }, provider::aws::arn_parse(x)...)
  multi = (
    var.a
    + var.b
  )
}
resource "aws_instance" "web" {
  count         = 2
  instance_type = var.size == "x" ? "t3.micro" : var.size
  root_block_device {
    volume_type = "gp2"
  }
  user_data = <<-EOF
    #!/bin/sh
    echo "${local.name}" }
  EOF
  tags = merge(local.tags, { Name = "web-${count.index}" }).x.*.y
}
/* block
comment */
output "o" { value = aws_instance.web[0].id }
"""

INSERTS = ['"', "{", "}", "[", "]", "(", ")", "${", "%{", "<<EOF\n", "EOF\n", "#", "//", "/*", "*/", "\n"]
INSERTS += ["\n\n", "\r\n", ":", "::", "=", "==", "=>", ",", ".", ".*", "[*]", "...", "?", "-", "-1", "-12"]
INSERTS += [
    "!",
    "+",
    "*",
    "/",
    "%",
    "&&",
    "<",
    "~",
    "\\",
    "$$",
    "%%",
    " in ",
    " for ",
    " if ",
    "for_each",
    " ",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = SEED_TEXT
    ops = st.sampled_from(["cut", "flip", "insert", "delete", "move", "unicode"])
    for op in draw(st.lists(ops, min_size=1, max_size=5)):
        i = draw(st.integers(0, len(text)))
        if op == "cut":
            text = text[:i]
        elif op == "flip" and i < len(text):
            text = text[:i] + chr((ord(text[i]) ^ draw(st.integers(1, 127))) or 1) + text[i + 1 :]
        elif op == "insert":
            text = text[:i] + draw(st.sampled_from(INSERTS)) + text[i:]
        elif op == "delete":
            text = text[:i] + text[draw(st.integers(i, min(len(text), i + 30))) :]
        elif op == "move":
            j = draw(st.integers(i, min(len(text), i + 30)))
            k = draw(st.integers(0, len(text)))
            text = text[:k] + text[i:j] + text[k:]
        elif op == "unicode":
            text = text[:i] + draw(st.text(min_size=1, max_size=4)) + text[i:]
    return text


@seed(20261127)
@FUZZ
@given(mutated())
def test_mutations_fast_accepts_only_what_lark_accepts_with_the_same_tree(text: str) -> None:
    for chunk in split_top_level(text):
        agrees(chunk.text)


# Small expressions joined by random separators: newlines and comments land everywhere, where HCL
# allows them and where it does not.
SEPARATORS = [" ", " ", " ", "", "\n", "\n  ", "\n\n", " # c\n", " // c\n", "/* c */", "\r\n", "\t"]
LEAVES = ["1", "12", "1.5", "-1", "-12", "- 1", "1e3", "true", "null", "a", "a.b", "x-y", "in", "for_each"]
LEAVES += ['"s"', '""', '"a${b}c"', '"$${x}"', '"%{ if a }b%{ endif }"', "<<EOF\nh\nEOF\n", "a[*].b", "a.*"]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    """An expression whose parts are joined by random separators (`_` in the shapes below)."""
    if depth >= 2:
        return draw(st.sampled_from(LEAVES))
    shapes = [
        "<0>",
        "<0>_<OP>_<1>",
        "<U><0>",
        "<0>_?_<1>_:_<2>",
        "f(_<0>_,_<1><END>_)",
        "[_<0>_,_<1><END>_]",
        "{_k <EQ> <0><SEP>_(<1>) = 1_}",
        "[_for x in <0>_:_<1>_if <2>_]",
        "{_for k, v in <0> :_k => <1>_..._}",
    ]
    subs = {f"<{n}>": draw(expressions(depth + 1)) for n in range(3)}
    values = {
        "<OP>": st.sampled_from(["+", "-", "*", "/", "%", "==", "!=", "<", ">=", "&&", "||"]),
        "<U>": st.sampled_from(["-", "!", "- "]),
        "<END>": st.sampled_from(["", ",", "..."]),
        "<EQ>": st.sampled_from(["=", ":"]),
        "<SEP>": st.sampled_from([",", "\n", " ", ",\n"]),
        "_": st.sampled_from(SEPARATORS),
    }
    out = []
    for part in re.split(r"(<\w+>|_)", draw(st.sampled_from(shapes))):
        out.append(draw(values[part]) if part in values else subs.get(part, part))
    return "".join(out)


@seed(20261128)
@FUZZ
@given(expressions(), st.sampled_from(["x = {}", "x = {}\ny = 2", 'b "l" {{\n  x = {}\n}}', "x = [{}]"]))
def test_generated_expressions_agree(expression: str, template: str) -> None:
    agrees(template.format(expression))
