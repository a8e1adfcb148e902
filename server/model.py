"""The neutral model every front-end produces and every consumer reads.

Front-ends (Terraform, CloudFormation) turn text into `Resource`s whose attribute values carry
exact `Span`s; pricing and rules read only this model, so they never re-parse text.
Positions are 0-based inside the program; writers convert to 1-based output.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

from advisor.fastpickle import by_fields

Severity = Literal["error", "warning", "info", "hint"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info", "hint")
HOURS_PER_MONTH = 730.0


def base_address(address: str) -> str:
    """`aws_instance.web[2]` → `aws_instance.web` (module instance keys are kept)."""
    if address.endswith('"]'):
        return address[: address.rfind('["')]
    if address.endswith("]"):
        return address[: address.rfind("[")]
    return address


@by_fields
@dataclass(slots=True, unsafe_hash=True)
class Span:
    """A range in one file: 0-based lines, columns in Unicode code points, end exclusive.

    `start`/`end` are code-point offsets into the file text, so edits can splice text directly.
    A span is never changed once made. It is not a frozen dataclass only because thousands are
    made on every keystroke and a frozen one takes five times as long to build.
    """

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    start: int = -1
    end: int = -1

    def contains(self, line: int, column: int) -> bool:
        if (line, column) < (self.line, self.column):
            return False
        return (line, column) <= (self.end_line, self.end_column)


def point_span(path: str, text: str, line: int, column: int) -> Span:
    """A one-character span at (line, column), clamped into the text (error positions can point past it)."""
    lines = text.split("\n")
    line = min(max(line, 0), len(lines) - 1)
    column = min(max(column, 0), len(lines[line]))
    start = sum(len(ln) + 1 for ln in lines[:line]) + column
    end_column = min(column + 1, len(lines[line]))
    return Span(path, line, column, line, end_column, start, start + (end_column - column))


@by_fields
@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace the text at `span` with `new_text` (an insertion when the span is empty)."""

    span: Span
    new_text: str


ValueKind = Literal["literal", "resolved", "unknown"]


@by_fields
@dataclass(slots=True)
class Value:
    """An attribute's value after evaluation.

    `kind` says whether it was written as a literal, resolved from an expression, or is unknown.
    `span` is where the expression is written in the resource; `origin` is where the value really
    comes from (the literal itself, a variable default, a tfvars entry) and is where a fix edits.
    `reason` explains an unknown value.
    """

    value: Any
    kind: ValueKind
    span: Span | None = None
    origin: Span | None = None
    origin_note: str = ""
    reason: str = ""
    elements: list[Value] | dict[str, Value] | None = None

    @property
    def known(self) -> bool:
        return self.kind != "unknown"

    @property
    def editable(self) -> Span | None:
        """Where to edit to change this value, or None when no single literal decides it."""
        return self.origin if self.known else None


@by_fields
@dataclass(slots=True)
class Block:
    """A block's body: attributes by name and nested blocks by type, in source order."""

    type: str
    span: Span
    labels: list[str] = field(default_factory=list)
    attributes: dict[str, Value] = field(default_factory=dict)
    attribute_spans: dict[str, Span] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    body_indent: str = "  "
    source_names: dict[str, str] = field(default_factory=dict)  # attribute → key as written (CloudFormation)
    source_span: Span | None = None  # where new attributes go when it differs from `span`
    # computed once: blocks are not changed after evaluation (rules change copies, see `fresh_copy`)
    cached_signature: tuple[Any, ...] | None = field(default=None, compare=False, repr=False)

    def signature(self) -> tuple[Any, ...]:
        """What the block says, without where it says it (a memo key for prices)."""
        if self.cached_signature is None:
            attrs = tuple((name, v.kind == "unknown", repr(v.value)) for name, v in self.attributes.items())
            self.cached_signature = (self.type, attrs, tuple(b.signature() for b in self.blocks))
        return self.cached_signature

    def fresh_copy(self) -> Block:
        """A shallow copy whose attributes and nested blocks may be changed (the signature is redone)."""
        nb = copy.copy(self)
        nb.attributes = dict(self.attributes)
        nb.blocks = list(self.blocks)
        nb.cached_signature = None
        return nb

    def nested(self, block_type: str) -> list[Block]:
        return [b for b in self.blocks if b.type == block_type]

    def get(self, name: str) -> Value | None:
        return self.attributes.get(name)


@by_fields
@dataclass(slots=True)
class Resource:
    """One priced unit: a resource instance (a `count = 3` resource yields three)."""

    type: str
    address: str
    body: Block
    path: str
    module_path: str = ""
    region: str = "us-east-1"
    region_note: str = ""
    provider_tags: dict[str, Any] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)
    referenced_by: list[str] = field(default_factory=list)
    launch_template: str = ""
    source_type: str = ""  # the template's own type (`AWS::EC2::Volume`) when it differs from `type`
    # with `source_type`: the template's key for each model attribute, for fixes that add one (`Iops`
    # for `iops`); an attribute missing here gets no such fix
    source_keys: dict[str, str] = field(default_factory=dict)
    root: str = ""  # the root module folder (or template) whose evaluation produced this instance
    # its count or for_each (or a module call's above it) is unknown before apply: this is one instance
    # standing for "at least one", priced and checked once
    count_unknown: bool = False
    # the address of the resource this is a copy of, as a CloudFormation region mapping makes it in
    # another region (`region`): checked by the rules with that region's prices, never priced or counted
    variant_of: str = ""

    @property
    def span(self) -> Span:
        return self.body.span

    def attr(self, path: str) -> Value | None:
        """Look up a dotted attribute path; nested blocks take their first instance."""
        node: Block | None = self.body
        parts = path.split(".")
        for i, part in enumerate(parts):
            if node is None:
                return None
            if i == len(parts) - 1:
                return node.attributes.get(part)
            children = node.nested(part)
            node = children[0] if children else None
        return None


@by_fields
@dataclass(slots=True)
class ParseError:
    """A file or a block that could not be read; the rest of the file is still analysed.

    `incomplete` marks an error that leaves part of the input unanalysed for a reason other than its
    syntax: an internal error, a file that could not be read, a file skipped for its size or kind, a
    limit exceeded. Batch commands exit 3 when any error is incomplete, whatever `--fail-on` says.
    """

    path: str
    message: str
    span: Span | None = None
    incomplete: bool = False


@dataclass(frozen=True, slots=True)
class UnitSaving:
    """A price per unit before and after a change, for a finding whose quantity is unknown."""

    unit: str
    before: float
    after: float


@by_fields
@dataclass(slots=True)
class Finding:
    """A rule's verdict on one resource, with computed figures and a fix.

    `alternatives` are the competing suggestions for the same value (each a finding of its own rule,
    best first, this finding's top-level fields being the best's); empty when there is only one.
    `unit_savings` replaces the monthly figures when a quantity (size, IOPS) is unknown.
    """

    rule: str
    severity: Severity
    message: str
    span: Span
    resource: str = ""
    attribute: str = ""
    current: Any = None
    suggested: Any = None
    monthly_cost: float | None = None
    monthly_cost_after: float | None = None
    fix: list[TextEdit] = field(default_factory=list)
    fix_safe: bool = True
    fix_title: str = ""
    doc_url: str = ""
    explanation: str = ""
    alternatives: list[Finding] = field(default_factory=list)
    unit_savings: list[UnitSaving] | None = None

    @property
    def monthly_savings(self) -> float | None:
        if self.monthly_cost is None or self.monthly_cost_after is None:
            return None
        return round(self.monthly_cost - self.monthly_cost_after, 2)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.path, self.span.line, self.span.column, self.rule)


@dataclass(frozen=True, slots=True)
class Relocation:
    """A piece of a file whose text did not change but moved (an edit above it), old and new place.

    Results computed at the old place (resources, findings) are reused at the new one by moving the
    spans that lie inside the piece; spans elsewhere (a variable's default, a tfvars entry) stay.
    """

    path: str
    old_start: int
    old_end: int
    old_line: int
    old_column: int
    new_start: int
    new_line: int
    new_column: int

    def span(self, s: Span) -> Span:
        if s.path != self.path or s.start < self.old_start or s.end > self.old_end:
            return s
        lines = self.new_line - self.old_line
        shift = self.new_column - self.old_column
        return Span(
            s.path,
            s.line + lines,
            s.column + (shift if s.line == self.old_line else 0),
            s.end_line + lines,
            s.end_column + (shift if s.end_line == self.old_line else 0),
            s.start + self.new_start - self.old_start,
            s.end + self.new_start - self.old_start,
        )

    def optional_span(self, s: Span | None) -> Span | None:
        return None if s is None else self.span(s)

    def value(self, v: Value) -> Value:
        moved = copy.copy(v)
        moved.span = self.optional_span(v.span)
        moved.origin = moved.span if v.origin is v.span else self.optional_span(v.origin)
        if isinstance(v.elements, list):
            moved.elements = [self.value(e) for e in v.elements]
        elif isinstance(v.elements, dict):
            moved.elements = {k: self.value(e) for k, e in v.elements.items()}
        return moved

    def block(self, b: Block) -> Block:
        moved = copy.copy(b)  # the signature says nothing of positions: it stays valid
        moved.span = self.span(b.span)
        moved.attributes = {k: self.value(v) for k, v in b.attributes.items()}
        moved.attribute_spans = {k: self.span(s) for k, s in b.attribute_spans.items()}
        moved.blocks = [self.block(c) for c in b.blocks]
        moved.source_span = self.optional_span(b.source_span)
        return moved

    def resource(self, r: Resource) -> Resource:
        moved = copy.copy(r)
        moved.body = self.block(r.body)
        return moved

    def finding(self, f: Finding) -> Finding:
        moved = copy.copy(f)
        moved.span = self.span(f.span)
        moved.fix = [TextEdit(self.span(e.span), e.new_text) for e in f.fix]
        return moved
