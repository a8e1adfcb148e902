"""The CloudFormation front-end: a template (YAML or JSON, SAM included) in, resources out.

Templates are read with exact positions (YAML through PyYAML's node graph, JSON through `jsonpos`),
intrinsic functions are evaluated where their inputs are known (parameters and their defaults,
mappings, conditions, the region), and each resource is mapped onto the same model the Terraform
front-end produces (see cloudformation.toml), so pricing and rules need no CloudFormation code.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import itertools
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from advisor.deadline import check_deadline
from advisor.iac import jsonpos
from advisor.iac.frontend import ModuleResult, Settings, link_launch_templates
from advisor.iac.jsonpos import JNode, Pos
from advisor.model import Block, ParseError, Resource, Span, Value, point_span

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
_AWS_TYPE = re.compile(r"AWS::[A-Za-z0-9]+::[A-Za-z0-9]+")
_AWS_RESOURCE_TYPE = re.compile(r"""\bType["']?\s*:\s*["']?AWS::[A-Za-z0-9]+::""")
# What CloudFormation accepts as a logical id: ASCII letters and digits, at most 255 of them. Anything
# else is refused by CloudFormation, and here never becomes an address (it would reach output, and
# the explain prompt, as it is written).
_LOGICAL_ID = re.compile(r"[A-Za-z0-9]{1,255}")
# Condition names are not held to the logical-id alphabet (deployed templates use names such as
# `NATGateway&3AZCondition`); they must still be one printable line, since they reach reports and prompts.
_CONDITION_NAME = re.compile(r"[^\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]{1,255}")
_FOREACH = "Fn::ForEach::"
# YAML aliases may repeat what a template wrote, not multiply it: converting a document may make at
# most this many nodes per node written, plus the constant (a 543-byte "billion laughs" would make
# billions).
ALIAS_EXPANSION = 10
ALIAS_SLACK = 10_000
_SHORT_TAGS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    "!GetAtt": "Fn::GetAtt",
    "!Sub": "Fn::Sub",
    "!If": "Fn::If",
    "!FindInMap": "Fn::FindInMap",
    "!Select": "Fn::Select",
    "!Join": "Fn::Join",
    "!Split": "Fn::Split",
    "!Equals": "Fn::Equals",
    "!And": "Fn::And",
    "!Or": "Fn::Or",
    "!Not": "Fn::Not",
    "!Base64": "Fn::Base64",
    "!Cidr": "Fn::Cidr",
    "!GetAZs": "Fn::GetAZs",
    "!ImportValue": "Fn::ImportValue",
    "!Transform": "Fn::Transform",
    "!Length": "Fn::Length",
    "!ToJsonString": "Fn::ToJsonString",
}
PSEUDO = {
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::Partition",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
}


def looks_like_template(text: str) -> bool:
    """Cheap test before parsing: a template names its version or declares a resource of an AWS:: type
    (`Type: AWS::…`; a file that merely mentions AWS:: types, such as a resource specification, is not
    a template)."""
    if "AWSTemplateFormatVersion" in text:
        return True
    return "Resources" in text and _AWS_RESOURCE_TYPE.search(text) is not None


@functools.lru_cache(maxsize=1)
def mapping() -> dict[str, Any]:
    # read beside this file: importlib.resources costs a start-up
    with open(os.path.join(os.path.dirname(__file__), "cloudformation.toml"), encoding="utf-8") as f:
        text = f.read()
    table: dict[str, Any] = tomllib.loads(text)
    return table


@functools.cache
def source_keys_for(cfn_type: str) -> dict[str, str]:
    """{`iops`: `Iops`, …} for `AWS::EC2::Volume`: the key a fix writes into the template for each model
    attribute (`Resource.source_keys`; one dict per type, shared by its resources, never changed)."""
    keys: dict[str, str] = {}
    for source, target in (mapping().get(cfn_type) or {}).get("properties", {}).items():
        keys.setdefault(target.split(".")[-1], str(source.split(".")[-1]))
    return keys


# -- reading with positions -----------------------------------------------------------------------------
class _LineIndex:
    def __init__(self, text: str) -> None:
        self.starts = [0]
        for m in re.finditer("\n", text):
            self.starts.append(m.end())

    def pos(self, start: int, end: int) -> Pos:
        import bisect

        a = bisect.bisect_right(self.starts, start) - 1
        b = bisect.bisect_right(self.starts, end) - 1
        return (a, start - self.starts[a], b, end - self.starts[b], start, end)


class _Alias:
    """Where a YAML alias was written, and the node it stands for (see `_yaml_loader`)."""

    __slots__ = ("mark", "node")

    def __init__(self, node: Any, mark: Any) -> None:
        self.node = node
        self.mark = mark


class AliasBomb(Exception):
    """Aliases that would make a document far larger than what was written."""

    def __init__(self, mark: Any, limit: int) -> None:
        super().__init__(f"YAML aliases expand to more than {limit:,} values; the template is not analysed")
        self.mark = mark


class _Budget:
    """How many nodes converting one composed document may still make, and the aliases being expanded."""

    __slots__ = ("aliases", "left", "limit")

    def __init__(self, written: int) -> None:
        self.limit = self.left = ALIAS_EXPANSION * written + ALIAS_SLACK
        self.aliases: list[Any] = []


def _yaml_to_node(node: Any, index: _LineIndex, text: str, budget: _Budget) -> JNode:
    import yaml

    if isinstance(node, _Alias):
        budget.aliases.append(node.mark)
        try:
            return _yaml_to_node(node.node, index, text, budget)
        finally:
            budget.aliases.pop()
    budget.left -= 1
    if budget.left < 0:
        raise AliasBomb(budget.aliases[0] if budget.aliases else node.start_mark, budget.limit)
    start, end = node.start_mark.index, node.end_mark.index
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        # block collections end after trailing blanks and newlines; trim to the last character
        while end > start and text[end - 1] in " \t\r\n":
            end -= 1
    pos = index.pos(start, end)
    tag = node.tag or ""
    if tag in _SHORT_TAGS:
        inner_tag = {
            yaml.ScalarNode: "tag:yaml.org,2002:str",
            yaml.SequenceNode: "tag:yaml.org,2002:seq",
        }.get(type(node), "tag:yaml.org,2002:map")
        inner = _yaml_to_node(_retag(node, inner_tag), index, text, budget)
        fn = _SHORT_TAGS[tag]
        if fn == "Fn::GetAtt" and inner.kind == "string" and "." in inner.value:
            first, _, rest = inner.value.partition(".")
            inner = JNode(
                "array",
                [first, rest],
                inner.pos,
                elements=[JNode("string", first, inner.pos), JNode("string", rest, inner.pos)],
            )
        return JNode("object", {fn: inner.value}, pos, items=[(fn, pos, inner)])
    if isinstance(node, yaml.MappingNode):
        out = JNode("object", None, pos)
        for k, v in node.value:
            k = k.node if isinstance(k, _Alias) else k
            key = str(k.value) if isinstance(k, yaml.ScalarNode) else "?"
            if key == "<<":  # merge key: fold the referenced mapping's items in
                merged = _yaml_to_node(v, index, text, budget)
                out.items.extend(merged.items if merged.kind == "object" else [])
                continue
            out.items.append(
                (key, index.pos(k.start_mark.index, k.end_mark.index), _yaml_to_node(v, index, text, budget))
            )
        out.value = {k: v.value for k, _, v in out.items}
        return out
    if isinstance(node, yaml.SequenceNode):
        elements = [_yaml_to_node(v, index, text, budget) for v in node.value]
        return JNode("array", [e.value for e in elements], pos, elements=elements)
    raw = node.value
    quoted = node.style in ("'", '"')
    if not quoted and tag.endswith(":int"):
        try:
            return JNode("number", int(raw.replace("_", ""), 0) if raw[:2] in ("0x", "0o") else int(raw), pos)
        except ValueError:
            pass
    if not quoted and tag.endswith(":float"):
        try:
            return JNode("number", float(raw), pos)
        except ValueError:
            pass
    if not quoted and tag.endswith(":bool"):
        return JNode("bool", raw.lower() in ("true", "yes", "on"), pos)
    if not quoted and tag.endswith(":null"):
        return JNode("null", None, pos)
    return JNode("string", raw, pos, quoted=quoted)


def _retag(node: Any, tag: str) -> Any:
    import copy

    clone = copy.copy(node)
    clone.tag = tag
    return clone


@functools.lru_cache(maxsize=1)
def _yaml_loader() -> Any:
    """PyYAML's safe loader (its C parser when built), composing in Python so that each alias is kept
    as an `_Alias` (with where it was written) and the nodes written are counted (`written`).

    Composing stays linear in the text: an alias is one reference to a node already made. Only
    converting the graph into `JNode`s would expand it, and that is budgeted (`_Budget`).
    """
    import yaml
    from yaml.composer import Composer
    from yaml.events import AliasEvent

    base = getattr(yaml, "CSafeLoader", None)

    def compose_node(self: Any, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            mark = self.peek_event().start_mark
            return _Alias(Composer.compose_node(self, parent, index), mark)
        self.written += 1
        return Composer.compose_node(self, parent, index)

    if base is None:  # pragma: no cover - PyYAML without its C extension

        class PyLoader(yaml.SafeLoader):  # type: ignore[misc]
            written = 0

        PyLoader.compose_node = compose_node  # type: ignore[method-assign]
        return PyLoader

    class CLoader(Composer, base):  # type: ignore[misc,valid-type]
        written = 0

        def __init__(self, stream: Any) -> None:
            base.__init__(self, stream)  # type: ignore[misc]
            Composer.__init__(self)

    CLoader.compose_node = compose_node  # type: ignore[method-assign]
    return CLoader


def _compose_all(text: str) -> tuple[list[Any], int]:
    """The documents of a YAML text as node graphs, and how many nodes the text wrote."""
    loader = _yaml_loader()(text)
    try:
        docs = []
        while loader.check_node():
            docs.append(loader.get_node())
        return docs, loader.written
    finally:
        loader.dispose()


def _compose_one(text: str) -> tuple[Any, int]:
    docs, written = _compose_all(text)
    return (docs[0] if docs else None), written


def load_nodes(path: str, text: str) -> tuple[list[JNode], list[ParseError]]:
    """The template's documents as positioned nodes, or the parse errors (with positions)."""
    if path.endswith(".json") or text.lstrip().startswith("{"):
        try:
            return [jsonpos.loads(text)], []
        except jsonpos.JsonPosError as exc:
            if path.endswith(".json"):
                span = point_span(path, text, exc.line, exc.column)
                return [], [ParseError(path, f"invalid JSON: {exc}", span)]
    import yaml

    index = _LineIndex(text)
    try:
        try:
            docs, written = _compose_all(text)
            budget = _Budget(written)
            return [_yaml_to_node(d, index, text, budget) for d in docs if d is not None], []
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line, col = (mark.line, mark.column) if mark is not None else (0, 0)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            err = ParseError(path, f"invalid YAML: {problem}", point_span(path, text, line, col))
            return _recover_resources(path, text, index), [err]
    except AliasBomb as bomb:
        span = point_span(path, text, bomb.mark.line, bomb.mark.column)
        return [], [ParseError(path, str(bomb), span, incomplete=True)]
    except RecursionError:
        return [], [ParseError(path, "YAML nested too deeply", point_span(path, text, 0, 0), incomplete=True)]


def _recover_resources(path: str, text: str, index: _LineIndex) -> list[JNode]:
    """After a YAML error, read each resource of the `Resources:` section on its own.

    A broken resource then costs only itself: its siblings still parse. Top-level sections other than
    Parameters/Mappings/Conditions/Resources are dropped.
    """
    import yaml

    lines = [ln + "\n" for ln in text.split("\n")]  # only "\n" ends a line, as in `_LineIndex`
    lines[-1] = lines[-1][:-1]
    sections: dict[str, tuple[int, int]] = {}
    current: str | None = None
    for i, ln in enumerate(lines):
        m = re.match(r"([A-Za-z][\w]*)\s*:", ln)
        if m:
            current = m.group(1)
            sections[current] = (i, len(lines))
            for name, (s0, _) in list(sections.items()):
                if name != current and sections[name][1] == len(lines) and s0 < i:
                    sections[name] = (s0, i)
    root = JNode("object", {}, (0, 0, 0, 0, 0, 0))
    offsets = [*index.starts, len(text)]
    for name in (
        "Parameters",
        "Mappings",
        "Conditions",
        "Resources",
        "Transform",
        "Globals",
        "AWSTemplateFormatVersion",
    ):
        if name not in sections:
            continue
        s0, s1 = sections[name]
        if name != "Resources":
            chunk = "".join(lines[s0:s1])
            try:
                node, written = _compose_one("\n" * s0 + chunk)
            except yaml.YAMLError:
                continue
            if node is not None:
                parsed = _yaml_to_node(node, index, text, _Budget(written))
                root.items.extend(parsed.items)
            continue
        res = JNode("object", {}, index.pos(offsets[s0], offsets[s1]))
        entries: list[int] = []
        indent: int | None = None
        for i in range(s0 + 1, s1):
            m = re.match(r"( +)[\w\"']", lines[i])
            if m and (indent is None or len(m.group(1)) == indent):
                indent = len(m.group(1))
                entries.append(i)
        entries.append(s1)
        for a, b in itertools.pairwise(entries):
            chunk = "Resources:\n" + "".join(lines[a:b])
            try:
                node, written = _compose_one("\n" * (a - 1) + chunk)
            except yaml.YAMLError:
                continue
            if node is None:
                continue
            parsed = _yaml_to_node(node, index, text, _Budget(written))
            inner = parsed.get("Resources")
            if inner is not None:
                res.items.extend(inner.items)
        res.value = {k: v.value for k, _, v in res.items}
        root.items.append(("Resources", res.pos, res))
    root.value = {k: v.value for k, _, v in root.items}
    return [root] if root.items else []


# -- evaluation -------------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Template:
    path: str
    text: str
    root: JNode
    settings: Settings
    result: ModuleResult
    params: dict[str, Value] = field(default_factory=dict)
    conditions: dict[str, Value] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)
    references: dict[str, set[str]] = field(default_factory=dict)
    element_blocks: dict[tuple[int, str, int], Block] = field(default_factory=dict)
    current: str = ""
    # (resource, where the deployment region's entry is written, another region, its entry) of each
    # region mapping a resource reads a type from: see `_region_variants`
    region_entries: dict[tuple[str, Span, str], Value] = field(default_factory=dict)

    def span(self, pos: Pos) -> Span:
        return Span(self.path, pos[0], pos[1], pos[2], pos[3], pos[4], pos[5])

    def section(self, name: str) -> JNode | None:
        node = self.root.get(name)
        return node if node is not None and node.kind == "object" else None

    # -- intrinsic functions -------------------------------------------------------------------------
    def eval(self, node: JNode, depth: int = 0) -> Value:
        span = self.span(node.pos)
        if depth > 50:
            return Value(None, "unknown", span=span, reason="expression nested too deeply")
        if (
            node.kind == "object"
            and len(node.items) == 1
            and (node.items[0][0] == "Ref" or node.items[0][0].startswith("Fn::"))
        ):
            fn, _, arg = node.items[0]
            return self._call(fn, arg, span, depth)
        if node.kind == "object":
            elements = {k: self.eval(v, depth + 1) for k, _, v in node.items}
            value = Value({k: v.value for k, v in elements.items()}, "resolved", span=span)
            value.elements = elements
            return value
        if node.kind == "array":
            items = [self.eval(e, depth + 1) for e in node.elements]
            if any(not i.known for i in items):
                return Value(None, "unknown", span=span, reason=next(i.reason for i in items if not i.known))
            value = Value([i.value for i in items], "resolved", span=span)
            value.elements = items
            return value
        return Value(node.value, "literal", span=span, origin=span)

    def _call(self, fn: str, arg: JNode, span: Span, depth: int) -> Value:
        def unknown(reason: str) -> Value:
            return Value(None, "unknown", span=span, reason=reason)

        if fn == "Ref":
            name = str(arg.value)
            if name == "AWS::Region":
                return Value(
                    self.settings.default_region, "resolved", span=span, origin_note="the deployment region"
                )
            if name == "AWS::NoValue":
                return Value(None, "resolved", span=span)
            if name in PSEUDO:
                return unknown(f"{name} is known only at deployment")
            if name in self.params:
                return _at(self.params[name], span)
            self._reference(name)
            return unknown(f"Ref {name} is known only after the stack is created")
        if fn == "Fn::GetAtt":
            target = (
                arg.value[0] if isinstance(arg.value, list) and arg.value else str(arg.value).split(".")[0]
            )
            self._reference(str(target))
            return unknown(f"Fn::GetAtt {target} is known only after the stack is created")
        if fn == "Fn::If":
            if arg.kind != "array" or len(arg.elements) != 3:
                return unknown("Fn::If needs [condition, value if true, value if false]")
            cond = self.condition(str(arg.elements[0].value))
            if not cond.known:
                return unknown(f"condition {arg.elements[0].value} is unknown: {cond.reason}")
            return _at(self.eval(arg.elements[1] if cond.value else arg.elements[2], depth + 1), span)
        if fn == "Fn::FindInMap":
            if arg.kind != "array" or len(arg.elements) < 3:
                return unknown("Fn::FindInMap needs [map, key, key]")
            keys = [self.eval(e, depth + 1) for e in arg.elements[:3]]
            if not all(k.known for k in keys):
                return unknown(next(k.reason for k in keys if not k.known))
            node = self.section("Mappings")
            for k in keys:
                node = node.get(str(k.value)) if node is not None and node.kind == "object" else None
            if node is None:
                if len(arg.elements) > 3:
                    return _at(self.eval(arg.elements[3], depth + 1), span)
                return unknown(f"mapping entry {'/'.join(str(k.value) for k in keys)} not found")
            found = self.eval(node, depth + 1)
            found.origin_note = f"mapping {keys[0].value}"
            if _is_region_ref(arg.elements[1]) and self.current:
                self._other_regions(found, [str(k.value) for k in keys], depth)
            return _at(found, span)
        if fn == "Fn::Sub":
            template_node = arg.elements[0] if arg.kind == "array" and arg.elements else arg
            extra: dict[str, Value] = {}
            if arg.kind == "array" and len(arg.elements) > 1 and arg.elements[1].kind == "object":
                extra = {k: self.eval(v, depth + 1) for k, _, v in arg.elements[1].items}
            if template_node.kind != "string":
                return unknown("Fn::Sub needs a string")
            out: list[str] = []
            for piece in re.split(r"(\$\{[^}]*\})", template_node.value):
                if piece.startswith("${!"):
                    out.append("${" + piece[3:])
                elif piece.startswith("${"):
                    name = piece[2:-1]
                    if name in extra:
                        v = extra[name]
                    elif "." in name:
                        self._reference(name.split(".")[0])
                        return unknown(f"${{{name}}} is known only after the stack is created")
                    else:
                        v = self._call("Ref", JNode("string", name, arg.pos), span, depth + 1)
                    if not v.known:
                        return unknown(v.reason)
                    out.append(str(v.value))
                else:
                    out.append(piece)
            return Value("".join(out), "resolved", span=span)
        if fn == "Fn::Join":
            if arg.kind != "array" or len(arg.elements) != 2:
                return unknown("Fn::Join needs [separator, list]")
            parts = self.eval(arg.elements[1], depth + 1)
            if not parts.known or not isinstance(parts.value, list):
                return unknown(parts.reason or "Fn::Join needs a list")
            return Value(str(arg.elements[0].value).join(str(p) for p in parts.value), "resolved", span=span)
        if fn == "Fn::Select":
            if arg.kind != "array" or len(arg.elements) != 2:
                return unknown("Fn::Select needs [index, list]")
            idx = self.eval(arg.elements[0], depth + 1)
            lst = self.eval(arg.elements[1], depth + 1)
            if not idx.known or not lst.known or not isinstance(lst.value, list):
                return unknown(idx.reason or lst.reason or "Fn::Select needs a list")
            try:
                i = int(idx.value)
                if isinstance(lst.elements, list):
                    return _at(lst.elements[i], span)
                return Value(lst.value[i], "resolved", span=span)
            except (ValueError, IndexError, TypeError):
                return unknown(f"Fn::Select index {idx.value!r} is out of range")
        if fn == "Fn::Split":
            if arg.kind != "array" or len(arg.elements) != 2:
                return unknown("Fn::Split needs [separator, string]")
            s = self.eval(arg.elements[1], depth + 1)
            if not s.known:
                return unknown(s.reason)
            return Value(str(s.value).split(str(arg.elements[0].value)), "resolved", span=span)
        if fn in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"):
            return self._logic(fn, arg, span, depth)
        if fn == "Condition":
            return self.condition(str(arg.value))
        for sub in arg.elements if arg.kind == "array" else [arg]:
            self._collect_refs(sub)
        return unknown(f"{fn} is not evaluated")

    def _other_regions(self, found: Value, keys: list[str], depth: int) -> None:
        """Record the other regions' entries of a region mapping that gives this resource a type (an
        instance class or a volume type, not an AMI id), so each is checked in its region."""
        if not isinstance(found.value, str) or not _TYPE_LIKE.fullmatch(found.value) or found.origin is None:
            return
        table = self.section("Mappings")
        mapping = table.get(keys[0]) if table is not None else None
        if mapping is None or mapping.kind != "object":
            return
        for region, _kpos, entry in mapping.items[:MAX_REGIONS]:
            if region == keys[1] or not _REGION.fullmatch(region) or entry.kind != "object":
                continue
            leaf = entry.get(keys[2])
            other = self.eval(leaf, depth + 1) if leaf is not None else None
            if (
                other is not None
                and other.known
                and isinstance(other.value, str)
                and other.origin is not None
            ):
                other.origin_note = f"mapping {keys[0]}"
                self.region_entries[(self.current, found.origin, region)] = other

    def _logic(self, fn: str, arg: JNode, span: Span, depth: int) -> Value:
        items = [self._cond_operand(e, depth + 1) for e in (arg.elements if arg.kind == "array" else [arg])]
        if not all(i.known for i in items):
            return Value(None, "unknown", span=span, reason=next(i.reason for i in items if not i.known))
        values = [i.value for i in items]
        if fn == "Fn::Equals":
            result = len(values) == 2 and _as_text(values[0]) == _as_text(values[1])
        elif fn == "Fn::And":
            result = all(bool(v) for v in values)
        elif fn == "Fn::Or":
            result = any(bool(v) for v in values)
        else:
            result = not bool(values[0]) if values else False
        return Value(result, "resolved", span=span)

    def _cond_operand(self, node: JNode, depth: int) -> Value:
        if node.kind == "object" and len(node.items) == 1 and node.items[0][0] == "Condition":
            return self.condition(str(node.items[0][2].value))
        return self.eval(node, depth)

    def condition(self, name: str) -> Value:
        if not _CONDITION_NAME.fullmatch(name):
            return Value(None, "unknown", reason="a condition name CloudFormation would refuse")
        if name in self.conditions:
            return self.conditions[name]
        section = self.section("Conditions")
        node = section.get(name) if section is not None else None
        if node is None:
            return Value(None, "unknown", reason=f"condition {name} is not defined")
        if name in self.busy:
            return Value(None, "unknown", reason=f"condition {name} refers to itself")
        self.busy.add(name)
        try:
            value = self.eval(node)
        finally:
            self.busy.discard(name)
        self.conditions[name] = value
        return value

    def _reference(self, target: str) -> None:
        if self.current and target != self.current and _LOGICAL_ID.fullmatch(target):
            self.references.setdefault(self.current, set()).add(target)

    def _collect_refs(self, node: JNode) -> None:
        if node.kind == "object":
            for k, _, v in node.items:
                if k == "Ref" and v.kind == "string":
                    self._reference(v.value)
                elif k == "Fn::GetAtt":
                    target = (
                        v.value[0] if isinstance(v.value, list) and v.value else str(v.value).split(".")[0]
                    )
                    self._reference(str(target))
                else:
                    self._collect_refs(v)
        elif node.kind == "array":
            for e in node.elements:
                self._collect_refs(e)


def _at(v: Value, span: Span) -> Value:
    out = Value(
        v.value,
        "unknown" if not v.known else "resolved",
        span=span,
        origin=v.origin,
        origin_note=v.origin_note,
        reason=v.reason,
    )
    out.elements = v.elements
    return out


# -- parameters -------------------------------------------------------------------------------------------
def read_parameter_file(path: str, text: str) -> dict[str, str]:
    """Parameters as `aws cloudformation deploy --parameter-overrides file://…` and the console write them."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{path}: not a JSON parameters file ({exc})") from None
    if isinstance(data, dict) and "Parameters" in data and isinstance(data["Parameters"], dict):
        return {str(k): str(v) for k, v in data["Parameters"].items()}
    if isinstance(data, dict):
        return {str(k): str(v) for k, v in data.items()}
    out: dict[str, str] = {}
    if isinstance(data, list):
        for item in data:
            if isinstance(item, str) and "=" in item:
                k, _, v = item.partition("=")
                out[k] = v
            elif isinstance(item, dict) and "ParameterKey" in item:
                out[str(item["ParameterKey"])] = str(item.get("ParameterValue", ""))
    return out


def _as_text(value: Any) -> str:
    """A value as CloudFormation compares it: every parameter is a string, so a YAML `true` is "true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parameters(t: _Template, overrides: dict[str, str]) -> None:
    section = t.section("Parameters")
    if section is None:
        return
    for name, kpos, decl in section.items:
        if not _LOGICAL_ID.fullmatch(name):  # never defined: a Ref to it stays unknown
            t.result.errors.append(_bad_logical_id(t, name, kpos, "parameter"))
            continue
        type_node = decl.get("Type") if decl.kind == "object" else None
        ptype = str(type_node.value) if type_node is not None else "String"
        if name in overrides:
            raw: Any = overrides[name]
            if ptype == "Number":
                with contextlib.suppress(ValueError):
                    raw = float(raw) if "." in raw else int(raw)
            elif ptype.startswith("List<") or ptype == "CommaDelimitedList":
                raw = [p.strip() for p in str(raw).split(",")]
            t.params[name] = Value(raw, "resolved", origin_note=f"parameter {name} set on the command line")
            continue
        default = decl.get("Default") if decl.kind == "object" else None
        if default is None:
            t.params[name] = Value(
                None, "unknown", reason=f"parameter {name} has no Default and is not set (--var)"
            )
            continue
        v = t.eval(default)
        if (
            v.known
            and (ptype.startswith("List<") or ptype == "CommaDelimitedList")
            and isinstance(v.value, str)
        ):
            v = Value([p.strip() for p in v.value.split(",")], "resolved", span=v.span)
        elif v.known:
            v.kind = "resolved"
        v.origin_note = f"Default of parameter {name!r}"
        t.params[name] = v


# -- building the model -------------------------------------------------------------------------------------
def _indent_of(text: str, node: JNode) -> str:
    if node.kind == "object" and node.items:
        kpos = node.items[0][1]
        line_start = text.rfind("\n", 0, kpos[4]) + 1
        prefix = text[line_start : kpos[4]]
        if prefix.strip() in ("", "-"):
            return " " * len(prefix)
    return "  "


def _block(t: _Template, node: JNode, btype: str) -> Block:
    return Block(type=btype, span=t.span(node.pos), body_indent=_indent_of(t.text, node))


def _apply_mapping(t: _Template, resource: Resource, props: JNode, table: dict[str, str]) -> None:
    for source, target in table.items():
        src_groups = source.split("[].")
        tgt_groups = target.split("[].")
        if len(src_groups) != len(tgt_groups):
            continue  # a malformed row in the table; the table test catches it
        _assign(t, resource.body, props, src_groups, tgt_groups)


def _navigate(t: _Template, node: JNode, dotted: str) -> JNode | None:
    for step in dotted.split("."):
        if node.kind != "object":
            return None
        child = node.get(step)
        if child is None:
            return None
        node = _resolve_if(t, child)
    return node


def _resolve_if(t: _Template, node: JNode) -> JNode:
    """The branch an `Fn::If` takes when its condition is known (so positions point into that branch)."""
    if node.kind == "object" and len(node.items) == 1 and node.items[0][0] == "Fn::If":
        chosen = _chosen_branch(t, node)
        if chosen is not None:
            return chosen
    return node


def _assign(t: _Template, block: Block, node: JNode, source: list[str], target: list[str]) -> None:
    """Copy one template property into the model, walking list levels (`[]`) in step."""
    if len(source) == 1:
        leaf = _navigate(t, node, source[0])
        if leaf is None:
            return
        *blocks, name = target[0].split(".")
        parent = _ensure_path(t, block, blocks, leaf)
        *steps, _ = source[0].split(".")
        holder = _navigate(t, node, ".".join(steps)) if steps else node
        if parent.source_span is None and holder is not None and holder.kind == "object":
            parent.source_span = t.span(holder.pos)
            parent.body_indent = _indent_of(t.text, holder)
        value = _tags(t, leaf) if name == "tags" else t.eval(leaf)
        if value is None:
            return
        parent.attributes[name] = value
        parent.attribute_spans[name] = t.span(leaf.pos)
        parent.source_names[name] = source[0].split(".")[-1]
        return
    seq = _navigate(t, node, source[0])
    if seq is None or seq.kind != "array":
        return
    *single, repeated = target[0].split(".")
    parent = _ensure_path(t, block, single, seq)
    for i, element in enumerate(seq.elements):
        key = (id(parent), repeated, i)
        nested = t.element_blocks.get(key)
        if nested is None:
            nested = _block(t, element, repeated)
            t.element_blocks[key] = nested
            parent.blocks.append(nested)
        _assign(t, nested, element, source[1:], target[1:])


def _ensure_path(t: _Template, block: Block, path: list[str], near: JNode) -> Block:
    for step in path:
        existing = next((b for b in block.blocks if b.type == step), None)
        if existing is None:
            existing = Block(type=step, span=t.span(near.pos), body_indent=block.body_indent)
            block.blocks.append(existing)
        block = existing
    return block


def _chosen_branch(t: _Template, node: JNode) -> JNode | None:
    arg = node.items[0][2]
    if arg.kind != "array" or len(arg.elements) != 3:
        return None
    cond = t.condition(str(arg.elements[0].value))
    if not cond.known:
        return None
    return arg.elements[1] if cond.value else arg.elements[2]


def _tags(t: _Template, node: JNode) -> Value | None:
    if node.kind == "object" and not (len(node.items) == 1 and node.items[0][0].startswith(("Fn::", "Ref"))):
        return t.eval(node)
    if node.kind != "array":
        return Value(None, "unknown", span=t.span(node.pos), reason="tags are not a list")
    tags: dict[str, Any] = {}
    for el in node.elements:
        k, v = (
            el.get("Key") if el.kind == "object" else None,
            el.get("Value") if el.kind == "object" else None,
        )
        if k is None or v is None:
            continue
        key, value = t.eval(k), t.eval(v)
        if key.known:
            tags[str(key.value)] = value.value
    return Value(tags, "resolved", span=t.span(node.pos))


def _bad_logical_id(t: _Template, logical_id: str, kpos: Pos, what: str = "resource") -> ParseError:
    """An error at a key CloudFormation would refuse as a logical id; the key itself is never repeated."""
    if len(logical_id) > 255:
        why = f"{len(logical_id)} characters long (at most 255)"
    elif what == "condition":
        why = "a control, line-separator or bidirectional character"
    else:
        why = "not only ASCII letters and digits"
    return ParseError(
        t.path,
        f"a {what} logical id CloudFormation would refuse ({why}); the {what} is not analysed",
        t.span(kpos),
        incomplete=True,
    )


def _metadata_ignores(decl: JNode) -> set[str]:
    meta = decl.get("Metadata") if decl.kind == "object" else None
    adv = meta.get("advisor") if meta is not None and meta.kind == "object" else None
    ign = adv.get("ignore") if adv is not None and adv.kind == "object" else None
    if ign is None:
        return set()
    if ign.kind == "array":
        return {str(e.value) for e in ign.elements if e.kind == "string"}
    if ign.kind == "string":
        return {p.strip() for p in ign.value.split(",") if p.strip()}
    return set()


def evaluate_template(
    path: str, text: str, settings: Settings, read: Callable[[str], str | None]
) -> ModuleResult:
    """Resources of one template, evaluated with its parameters, mappings and conditions."""
    result = ModuleResult(files=[path])
    docs, errors = load_nodes(path, text)
    region_entries: dict[tuple[str, Span, str], Value] = {}  # see `_Template.region_entries`
    result.errors.extend(errors)
    overrides = dict(settings.cli_vars)
    for vf in settings.var_files:
        if vf.endswith(".json"):
            raw = read(vf)
            if raw is not None:
                try:
                    overrides = {**read_parameter_file(vf, raw), **dict(settings.cli_vars)}
                except ValueError as exc:
                    result.notes.append(str(exc))
    for root in docs:
        if root.kind != "object":
            continue
        res_section = root.get("Resources")
        if res_section is None or res_section.kind != "object":
            continue
        t = _Template(path, text, root, settings, result)
        t.region_entries = region_entries  # one record for every document of the file
        _parameters(t, overrides)
        conditions = t.section("Conditions")
        for name, kpos, _ in conditions.items if conditions is not None else []:
            if not _CONDITION_NAME.fullmatch(name):  # `condition` never evaluates it
                result.errors.append(_bad_logical_id(t, name, kpos, "condition"))
        globals_fn = _sam_globals(root)
        table = mapping()
        built: list[tuple[Resource, set[str]]] = []
        for logical_id, kpos, decl in res_section.items:
            check_deadline()  # the language server's time budget
            if logical_id.startswith(_FOREACH) and _LOGICAL_ID.fullmatch(logical_id[len(_FOREACH) :]):
                result.errors.append(
                    ParseError(
                        t.path,
                        "Fn::ForEach (the AWS::LanguageExtensions transform) is not expanded: the resources"
                        " it makes are not analysed",
                        t.span(kpos),
                        incomplete=True,
                    )
                )
                continue
            if not _LOGICAL_ID.fullmatch(logical_id):
                result.errors.append(_bad_logical_id(t, logical_id, kpos))
                continue
            if decl.kind != "object":
                continue
            type_node = decl.get("Type")
            cfn_type = str(type_node.value) if type_node is not None else ""
            t.current = logical_id
            cond = decl.get("Condition")
            if cond is not None:
                c = t.condition(str(cond.value))
                named = str(cond.value) if _CONDITION_NAME.fullmatch(str(cond.value)) else "(an invalid name)"
                if c.known and not c.value:
                    result.notes.append(f"{path}: {logical_id} is not created (condition {named} is false)")
                    continue
                if not c.known:
                    result.notes.append(f"{path}: condition {named} of {logical_id} is unknown; counted")
            spec = table.get(cfn_type)
            kind = spec["type"] if spec else cfn_type
            span = Span(path, kpos[0], kpos[1], decl.pos[2], decl.pos[3], kpos[4], decl.pos[5])
            props = decl.get("Properties")
            body = Block(type="resource", span=span, labels=[kind, logical_id])
            if props is not None and props.kind == "object":
                body = Block(
                    type="resource", span=span, labels=[kind, logical_id], body_indent=_indent_of(text, props)
                )
                body.source_span = t.span(props.pos)
            r = Resource(
                type=kind,
                address=logical_id,
                body=body,
                path=path,
                region=settings.default_region,
                region_note="deployment region",
            )
            r.source_type = cfn_type
            r.source_keys = source_keys_for(cfn_type)
            r.root = path
            if props is not None and props.kind == "object" and spec:
                _apply_mapping(t, r, props, spec.get("properties", {}))
                if cfn_type == "AWS::Serverless::Function" and globals_fn is not None:
                    _apply_globals(t, r, globals_fn, spec.get("properties", {}))
            if props is not None:
                t._collect_refs(props)
                if cfn_type in NESTED_STACKS and props.kind == "object":
                    result.unanalysed_calls.append(_stack_parameters(t, r, props))
            _root_device(r)
            built.append((r, _metadata_ignores(decl)))
        for section in ("Outputs",):
            node = root.get(section)
            if node is not None:
                t.current = f"__{section}__"
                t._collect_refs(node)
        referrers: dict[str, set[str]] = {}
        for src, targets in t.references.items():
            for target in targets:
                referrers.setdefault(target, set()).add(src)
        for r, ignores in built:
            r.references = sorted(t.references.get(r.address, set()))
            r.referenced_by = sorted(referrers.get(r.address, set()))
            result.resources.append(r)
            if ignores:
                result.resource_ignores[r.address] = ignores
    link_launch_templates(result.resources)
    if region_entries:
        result.region_variants = _region_variants(region_entries, result.resources + result.unanalysed_calls)
    return result


ROOT_DEVICES = {"/dev/xvda", "/dev/sda1", "/dev/sda"}
MAX_REGIONS = 64  # entries of one region mapping looked at (AWS has about 35 regions)
_REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}")
# a value that names a type: `m5.large`, `db.r6g.xlarge`, `cache.t3.micro`, `t3.small.search`, `gp2`
_TYPE_LIKE = re.compile(
    r"(db\.|cache\.)?[a-z][a-z0-9-]*\.[0-9]*x?(nano|micro|small|medium|large|metal)[a-z.]*|gp2|io1|standard"
)


def _is_region_ref(node: JNode) -> bool:
    """`{"Ref": "AWS::Region"}` (`!Ref AWS::Region`)."""
    return (
        node.kind == "object"
        and len(node.items) == 1
        and node.items[0][0] == "Ref"
        and node.items[0][2].value == "AWS::Region"
    )


def _region_variants(
    region_entries: dict[tuple[str, Span, str], Value], resources: list[Resource]
) -> list[Resource]:
    """For each resource that reads a type from a region mapping, a copy per other region of the
    mapping with that region's entries and prices (`Resource.variant_of`)."""
    by_resource: dict[str, dict[str, dict[Span, Value]]] = {}
    for (logical_id, origin, region), value in region_entries.items():
        by_resource.setdefault(logical_id, {}).setdefault(region, {})[origin] = value
    out: list[Resource] = []
    for r in resources:
        for region, entries in sorted(by_resource.get(r.address, {}).items()):
            body = _with_entries(r.body, entries)
            if body is r.body:
                continue
            variant = copy.copy(r)
            variant.body = body
            variant.address = f"{r.address} ({region})"
            variant.region = region
            variant.region_note = f"the {region} entry of its region mapping"
            variant.variant_of = r.address
            out.append(variant)
    return out


def _with_entries(block: Block, entries: dict[Span, Value]) -> Block:
    """The block with each value read from a mapping entry in `entries` replaced by the other
    region's (a copy when anything changes; the block itself otherwise)."""
    attributes: dict[str, Value] | None = None
    for name, v in block.attributes.items():
        other = entries.get(v.origin) if v.origin is not None else None
        if other is not None:
            attributes = dict(block.attributes) if attributes is None else attributes
            attributes[name] = Value(
                other.value, "resolved", span=v.span, origin=other.origin, origin_note=other.origin_note
            )
    children = [_with_entries(b, entries) for b in block.blocks]
    if attributes is None and all(c is b for c, b in zip(children, block.blocks, strict=True)):
        return block
    out = block.fresh_copy()
    out.attributes = attributes if attributes is not None else dict(block.attributes)
    out.blocks = children
    return out


# resources that run another template, which is not read here (it is named by a URL)
NESTED_STACKS = ("AWS::CloudFormation::Stack", "AWS::Serverless::Application")


def _stack_parameters(t: _Template, stack: Resource, props: JNode) -> Resource:
    """A nested stack's `Parameters`, as the model's "module" resource of a call that is not analysed:
    the rules check the values passed on (an instance type for the child template) where they are
    written; it is never priced or counted."""
    body = Block(type="resource", span=stack.span, labels=["module", stack.address])
    params = props.get("Parameters")
    if params is not None and params.kind == "object":
        for name, _kpos, node in params.items:
            leaf = _resolve_if(t, node)
            body.attributes[name] = t.eval(leaf)
            body.attribute_spans[name] = t.span(leaf.pos)
    call = Resource(
        type="module",
        address=stack.address,
        body=body,
        path=stack.path,
        region=stack.region,
        region_note=stack.region_note,
    )
    call.source_type = stack.source_type
    call.root = stack.root
    return call


def _root_device(r: Resource) -> None:
    """A block device mapping on the usual root device name describes the root volume."""
    if r.type not in ("aws_instance", "aws_launch_configuration"):
        return
    for b in r.body.blocks:
        name = b.attributes.get("device_name")
        if b.type == "ebs_block_device" and name is not None and name.value in ROOT_DEVICES:
            b.type = "root_block_device"
            break


def _sam_globals(root: JNode) -> JNode | None:
    g = root.get("Globals")
    fn = g.get("Function") if g is not None and g.kind == "object" else None
    return fn if fn is not None and fn.kind == "object" else None


def _apply_globals(t: _Template, r: Resource, globals_fn: JNode, table: dict[str, str]) -> None:
    """SAM Globals.Function fill in what a function does not set itself."""
    before = set(r.body.attributes)
    scratch = Resource(
        type=r.type, address=r.address, body=Block(type="resource", span=r.body.span), path=r.path
    )
    _apply_mapping(t, scratch, globals_fn, table)
    for name, value in scratch.body.attributes.items():
        if name not in before:
            value.origin_note = value.origin_note or "SAM Globals"
            r.body.attributes[name] = value
            r.body.source_names[name] = scratch.body.source_names.get(name, name)
