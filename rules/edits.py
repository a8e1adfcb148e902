"""Text edits that make a fix: a value replaced where it is set, an attribute added to a block, or
(in HCL) one removed.

Edits are written in the file's own syntax (HCL, JSON or YAML), quoting and indentation; this is the
only place the rules read the original text, next to a span.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from advisor.model import Block, Resource, Span, TextEdit, Value


def literal_text(texts: dict[str, str], span: Span | None, value: Any) -> str:
    """`value` written the way the original literal was (quoted or bare)."""
    quoted = True
    if span is not None and span.start >= 0:
        original = texts.get(span.path, "")[span.start : span.end]
        quoted = original.startswith(('"', "'")) or original == ""
        if original.startswith("'"):
            return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal_text(texts, span, v) for v in value) + "]"
    return f'"{value}"' if quoted else str(value)


def header_span(resource: Resource, texts: dict[str, str]) -> Span:
    """The first line of a resource block (`resource "type" "name" {`), where resource-level findings go."""
    s = resource.span
    text = texts.get(s.path, "")
    if s.start >= 0 and text:
        end = text.find("\n", s.start, s.end)  # bounded: a one-line file (plan JSON) is not rescanned
        end = s.end if end < 0 or end > s.end else end
        line_text = text[s.start : end].rstrip("{ \r")
        return Span(
            s.path, s.line, s.column, s.line, s.column + len(line_text), s.start, s.start + len(line_text)
        )
    return Span(s.path, s.line, s.column, s.line, s.column)


def hcl_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(hcl_literal(v) for v in value) + "]"
    return f'"{value}"'


def yaml_literal(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(yaml_literal(v) for v in value) + "]"
    if isinstance(value, str) and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", value):
        return json.dumps(value)
    return hcl_literal(value).strip('"') if isinstance(value, str) else hcl_literal(value)


def insert_attribute(
    block: Block, texts: dict[str, str], name: str, value: Any, key: str | None = None
) -> TextEdit | None:
    """An edit adding an attribute as the block's last entry, in the file's syntax and indentation.

    `key` is the attribute's name as the template writes it (CloudFormation `Iops` for `iops`).
    """
    s = block.source_span or block.span
    text = texts.get(s.path)
    if text is None or s.end <= 0:
        return None
    if s.path.endswith(".tf"):
        return _insert_hcl(block, text, s, name, hcl_literal(value))
    if key is None:
        return None
    if block.type == "resource" and block.source_span is None:
        return _insert_properties(text, s, key, value)
    is_json = s.path.endswith(".json") or _is_json(text)
    if text[s.start : s.start + 1] == "{":  # not a block mapping whose last scalar ends in `}`
        return _insert_in_braces(text, s, block.body_indent, _entry(key, value, is_json), is_json)
    # a YAML block mapping: a new line at its indentation after its last value
    pos = text.find("\n", s.end - 1)
    pos = len(text) if pos < 0 else pos
    return _insertion(text, s.path, pos, f"\n{block.body_indent}{key}: {yaml_literal(value)}")


def _is_json(text: str) -> bool:
    """A template is JSON when its first character is `{` (a `.template` file may be either)."""
    return text.lstrip()[:1] == "{"


def _entry(key: str, value: Any, is_json: bool) -> str:
    return f"{json.dumps(key)}: {json.dumps(value)}" if is_json else f"{key}: {yaml_literal(value)}"


def _insertion(text: str, path: str, pos: int, new_text: str) -> TextEdit:
    line = text.count("\n", 0, pos)
    col = pos - (text.rfind("\n", 0, pos) + 1)
    return TextEdit(Span(path, line, col, line, col, pos, pos), new_text)


def _insert_in_braces(text: str, s: Span, indent: str, entry: str, is_json: bool) -> TextEdit:
    """`entry` added before the closing brace of a JSON object or YAML flow mapping `s`: on a line of
    its own when a JSON object spans lines, else on the same line (safe wherever a flow mapping is)."""
    last = s.end - 1
    while last > s.start and text[last - 1] in " \t\r\n":
        last -= 1
    comma = "" if text[last - 1] == "{" else ","
    if is_json and "\n" in text[s.start : s.end]:
        return _insertion(text, s.path, last, f"{comma}\n{indent}{entry}")
    return _insertion(text, s.path, last, f"{comma} {entry}" if comma else entry)


def _insert_properties(text: str, s: Span, key: str, value: Any) -> TextEdit | None:
    """A CloudFormation resource without `Properties`: the mapping is added holding the one entry,
    indented as the template indents.

    `s` runs from the logical id to the end of its declaration. Nothing is offered when the resource
    has a `Properties` that is not a mapping (an intrinsic function, null) or may get one from a YAML
    merge key (`<<: *defaults`): a second `Properties` would replace the first.
    """
    decl = text[s.start : s.end]
    if re.search(r"\bProperties[\"']?\s*:|<<\s*:", decl):  # a merge key may bring Properties in
        return None
    is_json = s.path.endswith(".json") or _is_json(text)
    inner = _entry(key, value, is_json)
    indent = _first_inner_indent(decl)
    if _LOGICAL_ID_THEN_BRACE.match(decl):  # a JSON object or a YAML flow mapping
        if is_json and "\n" in decl and indent is not None:
            step = " " * max(len(indent) - s.column, 1)
            entry = f'"Properties": {{\n{indent}{step}{inner}\n{indent}}}'
            return _insert_in_braces(text, s, indent, entry, is_json)
        entry = f'"Properties": {{{inner}}}' if is_json else f"Properties: {{{inner}}}"
        return _insert_in_braces(text, s, "", entry, False)
    if indent is None:  # `Logs: !Ref X` or a scalar: not a mapping to add to
        return None
    step = " " * max(len(indent) - s.column, 1)
    pos = text.find("\n", s.end - 1)
    pos = len(text) if pos < 0 else pos
    return _insertion(text, s.path, pos, f"\n{indent}Properties:\n{indent}{step}{inner}")


# a resource's logical id (bare or quoted) followed by the `{` of a JSON object or YAML flow mapping
_LOGICAL_ID_THEN_BRACE = re.compile(r"""(?:"[^"\n]*"|'[^'\n]*'|[^:\s]+)[ \t]*:\s*\{""")


def _first_inner_indent(decl: str) -> str | None:
    """The indentation of the declaration's first entry on a line after the logical id's."""
    for line in decl.split("\n")[1:]:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return line[: len(line) - len(line.lstrip(" "))]
    return None


def _insert_hcl(block: Block, text: str, s: Span, name: str, value_text: str) -> TextEdit | None:
    if text[s.end - 1 : s.end] != "}":
        return None
    close = s.end - 1
    line_start = text.rfind("\n", 0, close) + 1
    before_brace = text[line_start:close]
    if before_brace.strip() == "":
        # closing brace on its own line: insert a new line above it
        indent = block.body_indent if block.attributes or block.blocks else before_brace + "  "
        pos = line_start
        new_text = f"{indent}{name} = {value_text}\n"
    else:
        head = text[text.rfind("\n", 0, s.start) + 1 : s.start]
        pad = " " * (len(head) - len(head.lstrip()))
        pos = close
        new_text = f"\n{pad}  {name} = {value_text}\n{pad}"
    line = text.count("\n", 0, pos)
    col = pos - (text.rfind("\n", 0, pos) + 1)
    return TextEdit(Span(s.path, line, col, line, col, pos, pos), new_text)


def replace_value(texts: dict[str, str], value: Value, new: Any) -> TextEdit | None:
    span = value.editable
    if span is None or span.start < 0:
        return None
    return TextEdit(span, literal_text(texts, span, new))


def set_attribute(
    block: Block, texts: dict[str, str], name: str, value: Any, key: str | None
) -> TextEdit | None:
    """An edit giving `name` this value in `block`: replacing it where it is set, else adding it
    (`key`: its name as the file writes it, see `insert_attribute`)."""
    existing = block.attributes.get(name)
    if existing is not None:
        return replace_value(texts, existing, value)
    return insert_attribute(block, texts, name, value, key)


def remove_attribute(block: Block, texts: dict[str, str], name: str) -> TextEdit | None:
    """An edit removing `name = …` from an HCL block: its whole line(s) when nothing else is on them
    (None for JSON or YAML, or an attribute sharing its line: no fix is then offered).

    A value set elsewhere (`iops = var.iops`, set by a module call or a `.tfvars` file) is made `null`
    where it is set, so the block, which other callers share, stays as it is; a computed value with no
    single place that sets it gets no fix."""
    span = block.attribute_spans.get(name)
    if span is None or span.start < 0 or not span.path.endswith((".tf", ".tfvars")):
        return None
    value = block.attributes.get(name)
    if value is not None and value.kind != "literal":
        origin = value.editable
        inside = origin is not None and origin.path == span.path and span.start <= origin.start < span.end
        if origin is None or origin.start < 0 or not origin.path.endswith((".tf", ".tfvars")):
            return None
        if not inside:
            return TextEdit(origin, "null")
    text = texts.get(span.path) or texts.get(os.path.normpath(span.path))
    if text is None or span.end > len(text):
        return None
    start = text.rfind("\n", 0, span.start) + 1
    end = text.find("\n", span.end)
    end = len(text) if end < 0 else end + 1
    if text[start : span.start].strip() or text[span.end : end].strip():
        return None  # something else shares the line
    where = Span(span.path, span.line, 0, span.line + text.count("\n", start, end), 0, start, end)
    return TextEdit(where, "")
