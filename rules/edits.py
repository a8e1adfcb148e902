"""Text edits that make a fix: a value replaced where it is set, or an attribute added to a block.

Edits are written in the file's own syntax (HCL, JSON or YAML), quoting and indentation; this is the
only place the rules read the original text, next to a span.
"""

from __future__ import annotations

import json
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
    if text[s.end - 1 : s.end] == "}":
        # JSON object (or a YAML flow mapping): add an entry before the closing brace
        last = s.end - 1
        while last > s.start and text[last - 1] in " \t\r\n":
            last -= 1
        comma = "" if text[last - 1] == "{" else ","
        entry = json.dumps(key) if s.path.endswith(".json") else key
        sep = ": "
        literal = json.dumps(value) if s.path.endswith(".json") else yaml_literal(value)
        new_text = f"{comma}\n{block.body_indent}{entry}{sep}{literal}"
        pos = last
    else:
        pos = text.find("\n", s.end - 1)
        pos = len(text) if pos < 0 else pos
        new_text = f"\n{block.body_indent}{key}: {yaml_literal(value)}"
    line = text.count("\n", 0, pos)
    col = pos - (text.rfind("\n", 0, pos) + 1)
    return TextEdit(Span(s.path, line, col, line, col, pos, pos), new_text)


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
