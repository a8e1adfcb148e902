"""Terraform's JSON syntax (`.tf.json`, `.tfvars.json`) into the same syntax tree as HCL.

Without a provider schema JSON cannot say whether an object is a nested block or a map argument;
objects under the usual map arguments (tags, environment variables …) stay maps, others are blocks.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from advisor.iac import jsonpos
from advisor.iac.hcl_ast import (
    MAX_NESTING,
    Attribute,
    BlockNode,
    Expr,
    Item,
    LimitExceeded,
    Lit,
    ObjectExpr,
    Pos,
    TupleExpr,
    label_problem,
    too_deep,
)
from advisor.iac.hcl_parse import HclFile, Locator, ParsedItem, parse_chunk
from advisor.iac.hcl_scanner import Chunk
from advisor.model import ParseError, point_span

MAP_ARGUMENTS = {
    "tags",
    "tags_all",
    "default_tags_map",
    "variables",
    "parameters",
    "labels",
    "triggers",
    "metadata",
    "environment_variables",
    "options",
    "policy",
    "assume_role_policy",
    "default",
    "inputs",
    "values",
}
# Top-level keys and how many labels their blocks have
_LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1, "terraform": 0}


def parse_tf_json(path: str, text: str) -> HclFile:
    chunk = Chunk(0, len(text), 0, 0, text, True)
    at = Locator(path, chunk)
    try:
        root = jsonpos.loads(text)
    except jsonpos.JsonPosError as exc:
        span = point_span(path, text, exc.line, exc.column)
        return HclFile(path, text, [], [ParseError(path, f"invalid JSON: {exc}", span)])
    if root.kind != "object":
        span = at.span(root.pos)
        return HclFile(path, text, [], [ParseError(path, "expected a JSON object at the top level", span)])
    try:
        items = _items(path, root)
    except LimitExceeded as exc:  # the file is one block here: nothing of it is analysed
        span = point_span(path, text, *_line_column(text, exc.at))
        return HclFile(path, text, [], [ParseError(path, exc.message, span, incomplete=True)])
    errors: list[ParseError] = []
    kept: list[ParsedItem] = []
    for item in items:
        found = label_problem(item) if isinstance(item, BlockNode) else None
        if found is None:
            kept.append(ParsedItem(item, at))
        else:  # a name Terraform refuses: an error at the block, which is left out
            block, _, message = found
            errors.append(
                ParseError(path, message, point_span(path, text, *_line_column(text, block.pos[4])))
            )
    return HclFile(path, text, kept, errors)


def _line_column(text: str, at: int) -> tuple[int, int]:
    return text.count("\n", 0, at), at - (text.rfind("\n", 0, at) + 1)


def _items(path: str, root: jsonpos.JNode) -> list[Item]:
    items: list[Item] = []
    if path.endswith(".tfvars.json"):
        return [Attribute(k, _expr(v, 1), _join(kpos, v.pos), kpos) for k, kpos, v in root.items]
    for key, _, node in root.items:
        if key == "locals":
            for obj in _objects(node):
                attrs = tuple(Attribute(k, _expr(v, 1), _join(kp, v.pos), kp) for k, kp, v in obj.items)
                items.append(BlockNode("locals", (), attrs, (), obj.pos))
        elif key in _LABELS:
            items.extend(_blocks(key, node, _LABELS[key], ()))
    return items


def _objects(node: jsonpos.JNode) -> list[jsonpos.JNode]:
    if node.kind == "object":
        return [node]
    if node.kind == "array":
        return [e for e in node.elements if e.kind == "object"]
    return []


def _blocks(btype: str, node: jsonpos.JNode, labels_left: int, labels: tuple[str, ...]) -> list[BlockNode]:
    if labels_left == 0:
        return [_body(btype, labels, obj, 1) for obj in _objects(node)]
    out: list[BlockNode] = []
    for obj in _objects(node):
        for k, _, v in obj.items:
            out.extend(_blocks(btype, v, labels_left - 1, (*labels, k)))
    return out


def _body(btype: str, labels: tuple[str, ...], obj: jsonpos.JNode, depth: int) -> BlockNode:
    """A block from its JSON object; `depth` counts blocks and values around it (`MAX_NESTING` at most)."""
    if depth > MAX_NESTING:
        raise too_deep(obj.pos[4])
    attrs: list[Attribute] = []
    blocks: list[BlockNode] = []
    for k, kpos, v in obj.items:
        if k == "//":
            continue
        nested = k not in MAP_ARGUMENTS and btype in ("resource", "data", "provider", "terraform", "block")
        if nested and v.kind == "object" and k != "dynamic":
            blocks.append(_body_nested(k, v, depth + 1))
        elif nested and v.kind == "array" and v.elements and all(e.kind == "object" for e in v.elements):
            blocks.extend(_body_nested(k, e, depth + 1) for e in v.elements)
        else:
            attrs.append(Attribute(k, _expr(v, depth + 1), _join(kpos, v.pos), kpos))
    return BlockNode(btype, labels, tuple(attrs), tuple(blocks), obj.pos, "  ")


def _body_nested(btype: str, obj: jsonpos.JNode, depth: int) -> BlockNode:
    b = _body("block", (), obj, depth)
    return dataclasses.replace(b, type=btype)


def _join(a: Pos, b: Pos) -> Pos:
    return (a[0], a[1], b[2], b[3], a[4], b[5])


def _expr(node: jsonpos.JNode, depth: int) -> Expr:
    if depth > MAX_NESTING:
        raise too_deep(node.pos[4])
    if node.kind == "string":
        s = node.value
        if "${" in s and "$${" not in s:
            return _template(s, node.pos)
        return Lit(s, node.pos, quoted=True)
    if node.kind in ("number", "bool", "null"):
        return Lit(node.value, node.pos)
    if node.kind == "array":
        return TupleExpr(tuple(_expr(e, depth + 1) for e in node.elements), node.pos)
    return ObjectExpr(tuple((k, _expr(v, depth + 1)) for k, _, v in node.items), node.pos)


def _template(s: str, pos: Pos) -> Expr:
    """A JSON string holding `${…}`: parsed as an HCL template, placed at the string's position."""
    items, err = parse_chunk("v = " + json.dumps(s, ensure_ascii=False))
    if err is not None or not items or not isinstance(items[0], Attribute):
        return Lit(s, pos, quoted=True)
    placed: Expr = _repos(items[0].expr, pos)
    return placed


def _repos(e: Any, pos: Pos) -> Any:
    if isinstance(e, tuple):
        return tuple(_repos(x, pos) for x in e)
    if dataclasses.is_dataclass(e) and not isinstance(e, type):
        changes = {f.name: _repos(getattr(e, f.name), pos) for f in dataclasses.fields(e) if f.name != "pos"}
        return dataclasses.replace(e, pos=pos, **changes)
    return e
