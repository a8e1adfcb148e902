"""Terraform plan and state exports (`terraform show -json`) as input: the exact planned values.

A plan knows what the configuration alone cannot: every `count` and `for_each` expanded, registry and
git modules read, variables set by the pipeline. Its resources become the same model `Resource`s the
Terraform front-end makes, under their exact addresses (`module.a["k"].aws_instance.x[0]`), so pricing
and rules need nothing new.

Where findings point: when the configuration sits next to the plan (`.tf` files in the plan's folder),
it is evaluated by the Terraform front-end and each planned resource is matched to its block by
address; a value equal to what the block evaluates to keeps that value's place and origin, so a fix
edits the `.tf` literal. Otherwise (or for a resource the configuration does not show, such as one
from a registry module) findings point at the resource's object in the JSON file, and no fix is made:
a plan is an output, never edited.

The file is parsed with the standard `json` module (C speed: plans run to tens of MB). Positions in
the JSON are found only when needed, by a walk that descends just the `planned_values` modules and
skips everything else at the decoder's speed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from advisor.deadline import check_deadline
from advisor.iac.frontend import ModuleResult, Settings, link_launch_templates, string_leaves
from advisor.iac.platform import mark_from_plan, plan_images
from advisor.model import Block, ParseError, Resource, Span, Value, ValueKind

UNKNOWN_REASON = "known only after apply"
PLAN_NOTE = "the plan"  # where a value that no `.tf` literal decides comes from
SUPPORTED_MAJOR_VERSIONS = ("0", "1")  # the format's major version; a new major one may change meaning
HEAD_CHARS = 64 * 1024  # what `looks_like_plan` reads of a file
MAX_MODULE_DEPTH = 64  # nested `child_modules` followed (Terraform's own depth is far below)
MAX_BLOCK_DEPTH = 16  # nested blocks made from lists of objects; deeper ones stay plain values
_FORMAT_KEY = re.compile(r'"format_version"\s*:')
_TERRAFORM_KEY = re.compile(r'"terraform_version"\s*:')
_NOT_RESOURCES = ("var", "local", "module", "data", "each", "count", "path", "terraform")
_INSTANCE_KEY = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|\d+)\]')

Reader = Callable[[str], str | None]


def looks_like_plan(text: str) -> bool:
    """Cheap test before parsing: a JSON object that names its format and Terraform versions early
    (Terraform writes both first). Works on the head of a file too big to read whole."""
    head = text[:HEAD_CHARS].lstrip("\ufeff \t\r\n")
    return head.startswith("{") and bool(_FORMAT_KEY.search(head)) and bool(_TERRAFORM_KEY.search(head))


def config_address(address: str) -> str:
    """`module.a["k"].aws_instance.x[0]` → `module.a.aws_instance.x`: the block an instance comes from."""
    return _INSTANCE_KEY.sub("", address)


def evaluate_plan(path: str, text: str, settings: Settings, read: Reader) -> ModuleResult:
    """The resources a plan (or state export) will have, priced by their exact planned values."""
    result = ModuleResult(files=[path])
    try:
        doc = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        span = _point(path, exc.lineno - 1, exc.colno - 1)
        result.errors.append(ParseError(path, f"invalid plan JSON: {exc.msg}", span))
        return result
    except RecursionError:
        result.errors.append(ParseError(path, "invalid plan JSON: nesting too deep", incomplete=True))
        return result
    if not isinstance(doc, dict):
        return result
    version = str(doc.get("format_version", ""))
    if version.split(".")[0] not in SUPPORTED_MAJOR_VERSIONS:
        message = (
            f"plan format version {version[:20]!r} is not supported (Advisor reads versions 0.x and 1.x); "
            "the plan was not analysed"
        )
        result.errors.append(ParseError(path, message, incomplete=True))
        return result
    result.export = "plan" if "planned_values" in doc else "state"
    plan = _Plan(path, text, doc, settings, read, result)
    plan.build()
    return result


@dataclass(slots=True)
class _Planned:
    """One managed resource instance of `planned_values` (or a state's `values`)."""

    address: str
    type: str
    module: str  # the module instance's address ("" for the root)
    values: dict[str, Any]
    sensitive: Any = None  # `sensitive_values`: the same shape as `values`, `true` where sensitive


class _Plan:
    def __init__(
        self,
        path: str,
        text: str,
        doc: dict[str, Any],
        settings: Settings,
        read: Reader,
        result: ModuleResult,
    ) -> None:
        self.path = path
        self.text = text
        self.doc = doc
        self.settings = settings
        self.read = read
        self.result = result
        self._positions: _Positions | None = None

    # -- the planned resources --------------------------------------------------------------------------
    def build(self) -> None:
        planned = self._planned()
        unknown = self._after_unknown()
        configured = self._configured()
        regions = self._provider_regions()
        exact_blocks, config_blocks = self._beside()
        for p in planned:
            check_deadline()
            conf = configured.get(config_address(p.address), {})
            region, note = _region_of(p.values, conf, regions, self.settings.default_region)
            tf = exact_blocks.get(p.address)
            exact = tf is not None
            if tf is None:
                tf = config_blocks.get(
                    config_address(p.address)
                )  # its block, whatever instance was evaluated
            if tf is not None:
                body = _body(p.values, unknown.get(p.address), _TfPlaces(tf.body, exact))
                path = tf.path
                references = list(tf.references)
            else:
                places = self._json_places(p.address)
                body = _body(p.values, unknown.get(p.address), places)
                path = self.path
                references = _references(conf)
            tags_all = p.values.get("tags_all")
            self.result.resources.append(
                Resource(
                    type=p.type,
                    address=p.address,
                    body=body,
                    path=path,
                    module_path=p.module,
                    region=region,
                    region_note=note,
                    provider_tags=dict(tags_all) if isinstance(tags_all, dict) else {},
                    references=references,
                    root=self.path,
                )
            )
        mark_from_plan(self.result.resources, plan_images(self.doc))  # AMIs the plan read
        link_launch_templates(self.result.resources)  # autoscaling groups and ECS services, as for .tf
        self._sensitive_values(planned)

    def _sensitive_values(self, planned: list[_Planned]) -> None:
        """What Terraform marks sensitive is kept out of explanations (`ModuleResult.sensitive_values`):
        each resource's values under a `true` of its `sensitive_values`, and the values of the root
        module's variables the configuration declares sensitive."""
        for p in planned:
            self.result.sensitive_values.update(_marked(p.values, p.sensitive))
        declared = (self.doc.get("configuration") or {}).get("root_module") or {}
        declared_vars = declared.get("variables") if isinstance(declared, dict) else None
        given = self.doc.get("variables")
        if not isinstance(declared_vars, dict) or not isinstance(given, dict):
            return
        for name, decl in declared_vars.items():
            entry = given.get(name)
            if isinstance(decl, dict) and decl.get("sensitive") is True and isinstance(entry, dict):
                self.result.sensitive_variables.add(str(name))
                self.result.sensitive_values.update(string_leaves(entry.get("value")))

    def _planned(self) -> list[_Planned]:
        values = self.doc.get("planned_values")
        if values is None:
            values = self.doc.get("values")  # a state export
        root = values.get("root_module") if isinstance(values, dict) else None
        out: list[_Planned] = []
        seen: set[str] = set()
        stack: list[tuple[Any, int]] = [(root, 0)] if root is not None else []
        while stack:
            module, depth = stack.pop()
            if not isinstance(module, dict):
                self._malformed("a module in planned_values is not an object")
                continue
            address = str(module.get("address") or "")
            for r in _list(module.get("resources")):
                check_deadline()
                if not isinstance(r, dict) or not isinstance(r.get("address"), str):
                    self._malformed(f"a resource of {address or 'the root module'} has no address")
                    continue
                if r.get("mode", "managed") != "managed":
                    continue  # data sources cost nothing
                if r["address"] in seen:
                    self._malformed(f"{r['address']} is planned twice (counted once)")
                    continue
                seen.add(r["address"])
                values = r.get("values")
                if not isinstance(values, dict):
                    values = {}
                kind, marks = str(r.get("type", "")), r.get("sensitive_values")
                out.append(_Planned(r["address"], kind, address, values, marks))
            children = _list(module.get("child_modules"))
            if children and depth >= MAX_MODULE_DEPTH:
                self._malformed(f"child modules nested deeper than {MAX_MODULE_DEPTH} levels")
                continue
            stack.extend((c, depth + 1) for c in reversed(children))
        out.sort(key=lambda p: p.address)
        return out

    def _malformed(self, what: str) -> None:
        message = f"malformed plan: {what}; that part was not analysed"
        error = ParseError(self.path, message, incomplete=True)
        if error not in self.result.errors:
            self.result.errors.append(error)

    def _after_unknown(self) -> dict[str, Any]:
        """address → `change.after_unknown`: which planned values are known only after apply."""
        out: dict[str, Any] = {}
        for change in _list(self.doc.get("resource_changes")):
            if not isinstance(change, dict) or not isinstance(change.get("change"), dict):
                continue
            after_unknown = change["change"].get("after_unknown")
            if after_unknown and isinstance(change.get("address"), str):
                out[change["address"]] = after_unknown
        return out

    def _configured(self) -> dict[str, dict[str, Any]]:
        """Configuration resources by their config address (`module.m.aws_instance.x`)."""
        out: dict[str, dict[str, Any]] = {}
        configuration = self.doc.get("configuration")
        root = configuration.get("root_module") if isinstance(configuration, dict) else None
        stack: list[tuple[Any, str, int]] = [(root, "", 0)]
        while stack:
            module, prefix, depth = stack.pop()
            if not isinstance(module, dict) or depth > MAX_MODULE_DEPTH:
                continue
            for r in _list(module.get("resources")):
                if isinstance(r, dict) and isinstance(r.get("address"), str):
                    out[prefix + r["address"]] = r
            calls = module.get("module_calls")
            for name, call in calls.items() if isinstance(calls, dict) else []:
                if isinstance(call, dict):
                    stack.append((call.get("module"), f"{prefix}module.{name}.", depth + 1))
        return out

    def _provider_regions(self) -> dict[str, tuple[str, str]]:
        """Provider configuration key (`aws`, `aws.west`) → (region, where it was read)."""
        out: dict[str, tuple[str, str]] = {}
        configuration = self.doc.get("configuration")
        providers = configuration.get("provider_config") if isinstance(configuration, dict) else None
        variables = self.doc.get("variables")
        for key, provider in providers.items() if isinstance(providers, dict) else []:
            if not isinstance(provider, dict) or provider.get("name", "aws") != "aws":
                continue
            expressions = provider.get("expressions")
            region = expressions.get("region") if isinstance(expressions, dict) else None
            if not isinstance(region, dict):
                continue
            if isinstance(region.get("constant_value"), str):
                out[key] = (region["constant_value"], "aws provider region (plan)")
                continue
            for ref in _list(region.get("references")):
                name = ref[4:] if isinstance(ref, str) and ref.startswith("var.") else None
                if name is None or provider.get("module_address") or not isinstance(variables, dict):
                    continue
                entry = variables.get(name)
                value = entry.get("value") if isinstance(entry, dict) else None
                if isinstance(value, str):
                    out[key] = (value, f"aws provider region (var.{name} in the plan)")
                    break
        return out

    # -- the configuration beside the plan ---------------------------------------------------------------
    def _beside(self) -> tuple[dict[str, Resource], dict[str, Resource]]:
        """The configuration in the plan's folder, evaluated: resources by address, and by config address."""
        from advisor.iac.files import is_terraform_file

        folder = os.path.dirname(self.path) or "."
        try:
            names = os.listdir(folder)
        except OSError:
            return {}, {}
        if not any(is_terraform_file(n) for n in names):
            return {}, {}
        from advisor.iac.terraform import evaluate_root

        evaluated = evaluate_root(folder, self.settings, self.read)
        self.result.errors.extend(e for e in evaluated.errors if e not in self.result.errors)
        self.result.files.extend(f for f in evaluated.files if f not in self.result.files)
        by_address: dict[str, Resource] = {}
        by_config: dict[str, Resource] = {}
        for r in evaluated.resources:
            by_address.setdefault(r.address, r)
            by_config.setdefault(config_address(r.address), r)
        return by_address, by_config

    # -- places in the JSON file -----------------------------------------------------------------------
    def _json_places(self, address: str) -> _JsonPlaces:
        if self._positions is None:
            self._positions = _Positions(self.path, self.text)
        return self._positions.places(address)


def _list(value: Any) -> list[Any]:
    """A list from the plan, or none when the plan has something else there."""
    return value if isinstance(value, list) else []


def _point(path: str, line: int, column: int) -> Span:
    return Span(path, max(line, 0), max(column, 0), max(line, 0), max(column, 0) + 1)


def _region_of(
    values: dict[str, Any], conf: dict[str, Any], regions: dict[str, tuple[str, str]], default: str
) -> tuple[str, str]:
    """The region a resource is planned in: its own `region` (AWS provider 6), its provider's, the default."""
    own = values.get("region")
    if isinstance(own, str) and own:
        return own, "region (plan)"
    key = conf.get("provider_config_key")
    if isinstance(key, str):
        for candidate in (key, key.rpartition(":")[2]):
            if candidate in regions:
                return regions[candidate]
    if "aws" in regions and not (isinstance(key, str) and "." in key.rpartition(":")[2]):
        return regions["aws"]
    return default, "default region"


def _references(conf: dict[str, Any]) -> list[str]:
    """`type.name` of the resources a configuration block's expressions refer to."""
    found: set[str] = set()
    stack: list[Any] = [conf.get("expressions")]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            refs = node.get("references")
            if isinstance(refs, list):
                for ref in refs:
                    parts = ref.split(".") if isinstance(ref, str) else []
                    if len(parts) >= 2 and "_" in parts[0] and parts[0] not in _NOT_RESOURCES:
                        found.add(f"{parts[0]}.{config_address(parts[1])}")
            stack.extend(v for k, v in node.items() if k != "references")
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(found)


# -- building the body ------------------------------------------------------------------------------------
@dataclass(slots=True, frozen=True)
class Place:
    """Where a planned value is shown (`span`) and, when a `.tf` literal decides it, where to edit it."""

    span: Span | None
    origin: Span | None = None
    origin_note: str = ""
    literal: bool = False


class _Places:
    """Where a resource's values are shown, and whether a value there can be edited."""

    def block_span(self) -> Span:
        raise NotImplementedError

    def value(self, name: str, planned: Any) -> Place:
        """Where the planned value of an attribute is shown, and where it can be edited."""
        raise NotImplementedError

    def attribute_span(self, name: str) -> Span | None:
        raise NotImplementedError

    def nested(self, name: str, index: int) -> _Places:
        raise NotImplementedError

    def indent(self) -> str:
        return "  "

    def insert_at(self) -> Span | None:
        """Where new attributes of this block may go (`Block.source_span`): nowhere, unless the block
        is the `.tf` block itself (a plan is never edited, nor a block the source does not show)."""
        span = self.block_span()
        return Span(span.path, span.line, span.column, span.line, span.column)  # no offsets: no edit


class _TfPlaces(_Places):
    """Places in the `.tf` block the instance comes from. `exact`: the very instance was evaluated, so
    a literal it evaluates to, equal to the planned value, is the one to edit."""

    def __init__(self, block: Block, exact: bool) -> None:
        self.block = block
        self.exact = exact

    def block_span(self) -> Span:
        return self.block.span

    def value(self, name: str, planned: Any) -> Place:
        written = self.block.attributes.get(name)
        if written is None:
            return Place(None)
        if self.exact and written.known and written.value == planned:
            return Place(written.span, written.origin, written.origin_note, written.kind == "literal")
        return Place(written.span)

    def attribute_span(self, name: str) -> Span | None:
        return self.block.attribute_spans.get(name)

    def nested(self, name: str, index: int) -> _Places:
        children = self.block.nested(name)
        if index < len(children):
            return _TfPlaces(children[index], self.exact)
        return _Inside(self.block.span)

    def indent(self) -> str:
        return self.block.body_indent

    def insert_at(self) -> Span | None:
        return self.block.source_span


class _Inside(_Places):
    """Everything at one place: a nested block the source does not show as such."""

    def __init__(self, span: Span) -> None:
        self.span = span

    def block_span(self) -> Span:
        return self.span

    def value(self, name: str, planned: Any) -> Place:
        return Place(None)

    def attribute_span(self, name: str) -> Span | None:
        return None

    def nested(self, name: str, index: int) -> _Places:
        return self


class _JsonPlaces(_Places):
    """Places in the plan file: the resource's object, and each top-level value within it."""

    def __init__(self, span: Span, members: dict[str, tuple[Span, Span]]) -> None:
        self.span = span
        self.members = members  # name → (span of `"name": value`, span of the value)

    def block_span(self) -> Span:
        return self.span

    def value(self, name: str, planned: Any) -> Place:
        member = self.members.get(name)
        return Place(member[1] if member else self.span)

    def attribute_span(self, name: str) -> Span | None:
        member = self.members.get(name)
        return member[0] if member else None

    def nested(self, name: str, index: int) -> _Places:
        member = self.members.get(name)
        return _Inside(member[1] if member else self.span)


def _body(
    values: dict[str, Any], unknown: Any, places: _Places, block_type: str = "resource", depth: int = 0
) -> Block:
    """A model block from planned values: lists of objects are nested blocks (as in plan JSON, down to
    `MAX_BLOCK_DEPTH`), null is unset, and what `after_unknown` marks is unknown."""
    block = Block(
        type=block_type, span=places.block_span(), body_indent=places.indent(), source_span=places.insert_at()
    )
    unknown_map = unknown if isinstance(unknown, dict) else {}
    names = list(values) + [n for n in unknown_map if n not in values]
    for name in names:
        planned = values.get(name)
        flag = unknown_map.get(name)
        attribute_span = places.attribute_span(name)
        if flag is True:
            span = places.value(name, None).span
            block.attributes[name] = Value(None, "unknown", span=span, reason=UNKNOWN_REASON)
        elif (
            isinstance(planned, list)
            and planned
            and all(isinstance(x, dict) for x in planned)
            and depth < MAX_BLOCK_DEPTH
        ):
            inner = _list(flag)
            for i, element in enumerate(planned):
                nested_unknown = inner[i] if i < len(inner) else None
                block.blocks.append(_body(element, nested_unknown, places.nested(name, i), name, depth + 1))
            continue
        elif planned is None:
            continue  # unset
        elif _has_unknown(flag):
            span = places.value(name, None).span
            block.attributes[name] = Value(None, "unknown", span=span, reason=UNKNOWN_REASON)
        else:
            at = places.value(name, planned)
            kind: ValueKind = "literal" if at.literal else "resolved"
            note = at.origin_note if at.origin is not None else PLAN_NOTE
            block.attributes[name] = Value(planned, kind, span=at.span, origin=at.origin, origin_note=note)
        if attribute_span is not None:
            block.attribute_spans[name] = attribute_span
    return block


def _has_unknown(flag: Any) -> bool:
    """Whether an `after_unknown` entry marks anything inside a value unknown."""
    stack = [flag]
    while stack:
        item = stack.pop()
        if item is True:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


# -- positions in the JSON text ---------------------------------------------------------------------------
_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\r\n]*")


class _Positions:
    """Where each planned resource's object (and its top-level values) is in the plan file.

    Found by walking only `planned_values` (or `values`) → modules → resources; every other value is
    skipped by the standard decoder, so this costs little more than parsing the file once.
    """

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.found: dict[str, _JsonPlaces] = {}
        self.whole = Span(path, 0, 0, 0, 0)
        with contextlib.suppress(ValueError, IndexError, RecursionError):
            self._walk()  # the text parsed once already: a surprise here costs only positions

    def places(self, address: str) -> _JsonPlaces:
        return self.found.get(address) or _JsonPlaces(self.whole, {})

    def span(self, start: int, end: int) -> Span:
        line = bisect_right(self.line_starts, start) - 1
        end_line = bisect_right(self.line_starts, end) - 1
        column, end_column = start - self.line_starts[line], end - self.line_starts[end_line]
        return Span(self.path, line, column, end_line, end_column, start, end)

    def _ws(self, i: int) -> int:
        m = _WS.match(self.text, i)
        return m.end() if m else i

    def _members(self, i: int) -> Iterator[tuple[str, int, int, int]]:
        """(key, key start, value start, value end) of each member of the object at `i`."""
        text = self.text
        i = self._ws(i)
        if text[i] != "{":
            return
        i = self._ws(i + 1)
        if text[i] == "}":
            return
        while True:
            key_start = i
            key, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
            i = self._ws(i)
            if text[i] != ":":
                raise ValueError("expected ':'")
            start = self._ws(i + 1)
            end = _DECODER.raw_decode(text, start)[1]
            yield key, key_start, start, end
            i = self._ws(end)
            if text[i] == ",":
                i = self._ws(i + 1)
                continue
            return

    def _elements(self, i: int) -> Iterator[tuple[int, int]]:
        """(start, end) of each element of the array at `i`."""
        text = self.text
        i = self._ws(i)
        if text[i] != "[":
            return
        i = self._ws(i + 1)
        if text[i] == "]":
            return
        while True:
            end = _DECODER.raw_decode(text, i)[1]
            yield i, end
            i = self._ws(end)
            if text[i] == ",":
                i = self._ws(i + 1)
                continue
            return

    def _member(self, i: int, name: str) -> int | None:
        for key, _, start, _ in self._members(i):
            if key == name:
                return start
        return None

    def _walk(self) -> None:
        top = self._member(0, "planned_values")
        if top is None:
            top = self._member(0, "values")
        module = self._member(top, "root_module") if top is not None else None
        stack = [module] if module is not None else []
        while stack:
            at = stack.pop()
            for key, _, start, _ in self._members(at):
                if key == "resources":
                    for r_start, r_end in self._elements(start):
                        self._resource(r_start, r_end)
                elif key == "child_modules":
                    stack.extend(s for s, _ in self._elements(start))

    def _resource(self, start: int, end: int) -> None:
        address = None
        members: dict[str, tuple[Span, Span]] = {}
        for key, _, value_start, value_end in self._members(start):
            if key == "address":
                address = json.loads(self.text[value_start:value_end])
            elif key == "values":
                for name, key_start, v_start, v_end in self._members(value_start):
                    members[name] = (self.span(key_start, v_end), self.span(v_start, v_end))
        if isinstance(address, str):
            self.found[address] = _JsonPlaces(self.span(start, end), members)


def _marked(value: Any, sensitive: Any) -> Iterator[str]:
    """The strings of `value` where `sensitive` (its `sensitive_values` mirror) says `true`."""
    if sensitive is True:
        yield from string_leaves(value)
    elif isinstance(sensitive, dict) and isinstance(value, dict):
        for key, mark in sensitive.items():
            if key in value:
                yield from _marked(value[key], mark)
    elif isinstance(sensitive, list) and isinstance(value, list):
        for item, mark in zip(value, sensitive, strict=False):
            yield from _marked(item, mark)
