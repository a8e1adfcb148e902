"""Applies the rule tables to priced resources.

Each rule row names a `kind`; the kind's check finds candidate values at the row's target paths,
builds the suggested configuration, and prices both with the catalog. A suggestion that is not
cheaper in the resource's region is dropped. Fixes are text edits on the value's origin, so a value
set through a variable default or a tfvars entry is fixed there.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from advisor.config import Config
from advisor.deadline import check_deadline
from advisor.model import (
    HOURS_PER_MONTH,
    Block,
    Finding,
    Relocation,
    Resource,
    Span,
    TextEdit,
    Value,
    base_address,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

DOCS_BASE = "https://github.com/advisor-iac/advisor/blob/main/docs/rules/"
SIZE_ATTRIBUTES = ("size", "volume_size", "allocated_storage", "disk_size")
TAG_KEYS_ENVIRONMENT = ("environment", "env", "stage", "tier")


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    kind: str
    severity: str
    title: str
    rationale: str
    safe: bool
    targets: tuple[tuple[str, tuple[str, ...], bool], ...]  # (resource type, path, each element)
    params: dict[str, Any]

    @property
    def doc_url(self) -> str:
        return f"{DOCS_BASE}{self.id}.md"


def _table_text(name: str) -> str:
    """A table shipped in `tables/` (read beside this file: importlib.resources costs a start-up)."""
    with open(os.path.join(os.path.dirname(__file__), "tables", name), encoding="utf-8") as f:
        return f.read()


@functools.lru_cache(maxsize=1)
def load_rules() -> tuple[Rule, ...]:
    data = tomllib.loads(_table_text("rules.toml"))
    out: list[Rule] = []
    for row in data["rule"]:
        targets = []
        for t in row.get("targets", []):
            rtype, _, path = t.partition(":")
            each = path.endswith("[]")
            targets.append((rtype, tuple(path.removesuffix("[]").split(".")), each))
        params = {
            k: v
            for k, v in row.items()
            if k not in {"id", "kind", "severity", "title", "rationale", "safe", "targets"}
        }
        out.append(
            Rule(
                row["id"],
                row["kind"],
                row["severity"],
                row["title"],
                row["rationale"],
                row["safe"],
                tuple(targets),
                params,
            )
        )
    return tuple(out)


@functools.lru_cache(maxsize=1)
def families() -> dict[str, dict[str, list[str]]]:
    text = _table_text("families.toml")
    tables: dict[str, dict[str, list[str]]] = tomllib.loads(text)
    return tables


def known_rule_ids() -> set[str]:
    return {r.id for r in load_rules()}


@dataclass(slots=True)
class RuleContext:
    config: Config
    texts: dict[str, str]
    costs: dict[str, Any] = field(default_factory=dict)
    catalog: Any = None
    workspace: str = "default"
    var_files: list[str] = field(default_factory=list)
    _signatures: dict[int, tuple[Resource, tuple[Any, ...]]] = field(default_factory=dict)

    def get_catalog(self) -> Any:
        if self.catalog is None:
            from advisor.pricing.catalog import Catalog

            self.catalog = Catalog.default()
        return self.catalog

    def estimate(self, resource: Resource, shared: bool = False) -> Any:
        """The resource's estimate (`shared`: the memoised object, which the caller must not change)."""
        from advisor.pricing.memo import estimate_cached

        usage = self.config.usage_for(resource.address, resource.type)
        return estimate_cached(resource, self.get_catalog(), usage, shared=shared)

    def price(self, resource: Resource) -> float | None:
        """Monthly cost of a resource configuration (None when unknown or not priced)."""
        cost = self.estimate(resource, shared=True)
        return None if cost is None else cost.monthly_cost

    def signature(self, resource: Resource) -> tuple[Any, ...]:
        """What the resource's price depends on (a memo key for comparisons)."""
        from advisor.pricing.memo import priced_signature

        sig = self._signatures.get(id(resource))
        if sig is None or sig[0] is not resource:
            sig = (resource, (resource.type, resource.region, priced_signature(resource.body)))
            self._signatures[id(resource)] = sig
        return sig[1]

    def compare_change(
        self, resource: Resource, chain: tuple[int, ...], changes: dict[str, Any], element: int | None = None
    ) -> tuple[float | None, float | None]:
        """`compare` of the resource against itself with `changes` applied, memoised across runs."""
        usage = self.config.usage_for(resource.address, resource.type)
        key = (
            id(self.get_catalog()),
            self.signature(resource),
            tuple(sorted(usage.items())),
            chain,
            tuple((k, repr(v)) for k, v in changes.items()),
            element,
        )
        hit = _COMPARISONS.get(key)
        if hit is None:
            hit = self.compare(resource, with_changes(resource, chain, changes, element))
            if len(_COMPARISONS) >= _MEMO_LIMIT:
                with contextlib.suppress(StopIteration, RuntimeError):  # shared by server threads
                    _COMPARISONS.pop(next(iter(_COMPARISONS)), None)
            _COMPARISONS[key] = hit
        return hit

    def compare(self, current: Resource, suggested: Resource) -> tuple[float | None, float | None]:
        """Monthly cost of what the change touches, before and after.

        Line items identical in both configurations (the instance hours when only a disk changes) are
        left out, so the figures and the percentage speak of the part that changes.
        """
        a, b = self.estimate(current, shared=True), self.estimate(suggested, shared=True)
        if a is None or b is None:
            return None, None

        def key(c: Any) -> tuple[Any, ...]:
            return (c.name, c.unit, c.quantity, c.unit_price)

        common = [key(c) for c in a.components]
        after_keys = [key(c) for c in b.components]
        shared = []
        for k in common:
            if k in after_keys:
                after_keys.remove(k)
                shared.append(k)

        def total(cost: Any) -> float | None:
            remaining = list(shared)
            out = 0.0
            for c in cost.components:
                k = key(c)
                if k in remaining:
                    remaining.remove(k)
                    continue
                if c.quantity is None:
                    continue
                if c.monthly_cost is None:
                    return None
                out += c.monthly_cost
            return out

        return total(a), total(b)


_COMPARISONS: dict[tuple[Any, ...], tuple[float | None, float | None]] = {}
_MEMO_LIMIT = 50_000


@dataclass(slots=True)
class Target:
    """One place a rule looks at: the attribute `name` of `block` (a body inside `resource`)."""

    resource: Resource
    block: Block
    chain: tuple[int, ...]  # indexes of nested blocks from the resource body down to `block`
    name: str
    value: Value | None
    element: int | None = None


def iter_targets(resource: Resource, path: tuple[str, ...], each: bool) -> Iterator[Target]:
    yield from _walk_targets(resource, each, resource.body, path, ())


def _walk_targets(
    resource: Resource, each: bool, block: Block, steps: tuple[str, ...], chain: tuple[int, ...]
) -> Iterator[Target]:
    # A module-level function, not a recursive closure: a closure that calls itself is a reference
    # cycle, left for the cyclic collector on every call.
    if len(steps) == 1:
        value = block.attributes.get(steps[0])
        if each and value is not None and isinstance(value.elements, list):
            for i, el in enumerate(value.elements):
                yield Target(resource, block, chain, steps[0], el, i)
        elif not each:
            yield Target(resource, block, chain, steps[0], value)
        return
    for i, child in enumerate(block.blocks):
        if child.type == steps[0]:
            yield from _walk_targets(resource, each, child, steps[1:], (*chain, i))


def with_changes(
    resource: Resource, chain: tuple[int, ...], changes: dict[str, Any], element: int | None = None
) -> Resource:
    """A copy of the resource with attributes of one (nested) block replaced by literal values."""
    clone = copy.copy(resource)
    clone.body = _copy_block(resource.body)
    block = clone.body
    for i in chain:
        block.blocks = list(block.blocks)
        block.blocks[i] = _copy_block(block.blocks[i])
        block = block.blocks[i]
    for name, new in changes.items():
        if (
            element is not None
            and name in block.attributes
            and isinstance(block.attributes[name].value, list)
        ):
            items = list(block.attributes[name].value)
            items[element] = new
            block.attributes[name] = Value(items, "literal")
        else:
            block.attributes[name] = Value(new, "literal")
    return clone


def _copy_block(b: Block) -> Block:
    return b.fresh_copy()


# -- figures and text ------------------------------------------------------------------------------------
def money(x: float) -> str:
    return f"${x:,.2f}"


def figures(before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return "price unknown in the catalog"
    if after >= before:
        return (
            f"{money(before)} → {money(after)}/mo (same price)"
            if after == before
            else f"{money(before)} → {money(after)}/mo"
        )
    saving = before - after
    pct = round(saving / before * 100) if before else 0
    return f"{money(before)} → {money(after)}/mo, saves {money(saving)} (−{pct}%)"


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


def source_key(resource: Resource, attribute: str) -> str | None:
    """The template's own name for a model attribute (CloudFormation), from the front-end's table."""
    if not resource.source_type:
        return attribute
    from advisor.iac.cloudformation import source_key_for

    return source_key_for(resource.source_type, attribute)


def replace_value(texts: dict[str, str], value: Value, new: Any) -> TextEdit | None:
    span = value.editable
    if span is None or span.start < 0:
        return None
    return TextEdit(span, literal_text(texts, span, new))


def _num(v: Value | None) -> float | None:
    if v is None or not v.known:
        return None
    try:
        return float(v.value)
    except (TypeError, ValueError):
        return None


def _origin_note(value: Value | None) -> str:
    if value is None or not value.origin_note or value.kind == "literal":
        return ""
    return f" (value from {value.origin_note})"


# -- checks ------------------------------------------------------------------------------------------------
Check = Callable[[Rule, Target, RuleContext], Finding | None]


def _finding(
    rule: Rule,
    t: Target,
    ctx: RuleContext,
    message: str,
    current: Any,
    suggested: Any,
    before: float | None,
    after: float | None,
    edits: list[TextEdit | None],
    span: Span | None = None,
    attribute: str | None = None,
) -> Finding:
    fix = [e for e in edits if e is not None]
    if len(fix) != len([e for e in edits]):
        fix = []  # a partial fix would leave a wrong configuration: offer none
    if span is None:
        span = (
            t.value.span
            if t.value is not None and t.value.span is not None
            else header_span(t.resource, ctx.texts)
        )
    return Finding(
        rule=rule.id,
        severity=ctx.config.severity.get(rule.id, rule.severity),  # type: ignore[arg-type]
        message=message,
        span=span,
        resource=t.resource.address,
        attribute=attribute if attribute is not None else _attr_path(t),
        current=current,
        suggested=suggested,
        monthly_cost=None if before is None else round(before, 2),
        monthly_cost_after=None if after is None else round(after, 2),
        fix=fix,
        fix_safe=rule.safe,
        fix_title=f"Change {current} to {suggested}" if suggested is not None else "",
        doc_url=rule.doc_url,
    )


def _attr_path(t: Target) -> str:
    names = []
    block = t.resource.body
    for i in t.chain:
        block = block.blocks[i]
        names.append(block.type)
    names.append(t.name)
    if t.element is not None:
        names[-1] += f"[{t.element}]"
    return ".".join(names)


def check_volume_type(rule: Rule, t: Target, ctx: RuleContext) -> Finding | None:
    p = rule.params
    defaults = p.get("defaults", {})
    if t.value is None:
        key = f"{t.resource.type}:{'.'.join(_attr_path(t).split('.'))}"
        current = defaults.get(key)
        if current is None:
            return None
    elif not t.value.known:
        return None
    else:
        current = str(t.value.value).lower()
    if current not in p["from"]:
        return None
    attrs = t.block.attributes
    size = next((_num(attrs.get(a)) for a in SIZE_ATTRIBUTES if a in attrs), None)
    iops = _num(attrs.get("iops"))
    throughput = _num(attrs.get("throughput"))
    to = p["to"]
    changes: dict[str, Any] = {t.name: to}
    extra_note = ""
    edits: list[TextEdit | None] = []
    if p.get("carry_iops"):
        if iops is None or size is None:
            return None  # cannot prove the volume fits gp3's limits
        if (
            iops > p["max_iops"]
            or iops > p["max_iops_per_gib"] * size
            or (throughput or 0) > p["max_throughput"]
        ):
            return None
        new_iops = int(max(iops, 3000))
        changes["iops"] = new_iops
        extra_note = f" keeps {int(iops)} IOPS" if iops > 3000 else ""
        if new_iops != iops:
            edits.append(_set_attr(t, ctx, "iops", new_iops))
    if "only_beyond_iops" in p:
        if iops is None or size is None:
            return None
        if not (iops > p["only_beyond_iops"] or iops > p["only_beyond_iops_per_gib"] * size):
            return None
    if p.get("keep_baseline_iops") and size is not None:
        baseline = int(min(max(3 * size, 100), 16000))
        if baseline > 3000 and iops is None:
            changes["iops"] = baseline
            extra_note = f" keeps its {baseline} baseline IOPS"
            edits.append(_set_attr(t, ctx, "iops", baseline))
    before, after = ctx.compare_change(t.resource, t.chain, changes)
    dearer_note = ""
    if before is not None and after is not None:
        if after > before and p.get("report_even_if_dearer"):
            dearer_note = f" — {p['report_even_if_dearer']}"
        elif after > before or (after == before and not p.get("allow_equal_price")):
            return None
    if t.value is None:
        edits.insert(0, insert_attribute(t.block, ctx.texts, t.name, to, source_key(t.resource, t.name)))
        span = header_span(t.resource, ctx.texts)
        note = f" ({t.name} is not set and defaults to {current})"
    else:
        edits.insert(0, replace_value(ctx.texts, t.value, to))
        span = None
        note = _origin_note(t.value)
    msg = f"{current} → {to}{extra_note}: {figures(before, after)}{note}{dearer_note}"
    return _finding(rule, t, ctx, msg, current, to, before, after, edits, span)


def _set_attr(t: Target, ctx: RuleContext, name: str, value: Any) -> TextEdit | None:
    existing = t.block.attributes.get(name)
    if existing is not None:
        return replace_value(ctx.texts, existing, value)
    return insert_attribute(t.block, ctx.texts, name, value, source_key(t.resource, name))


def check_instance_family(rule: Rule, t: Target, ctx: RuleContext) -> Finding | None:
    if t.value is None or not t.value.known or not isinstance(t.value.value, str):
        return None
    current = t.value.value.strip()
    prefix = rule.params.get("catalog_prefix", "")
    if not current.startswith(prefix):
        return None
    family, dot, size = current[len(prefix) :].partition(".")
    if not dot:
        return None
    table = families().get(rule.params["successors"], {})
    candidates = table.get(family)
    if not candidates:
        return None
    catalog = ctx.get_catalog()
    info = catalog.instance_type(current)
    generation = getattr(info, "generation", None)
    if rule.params.get("only_previous_generation") and generation == "current":
        return None
    if rule.params.get("only_current_generation") and generation != "current":
        return None
    best: tuple[float | None, float | None, str] | None = None
    for fam in candidates:
        candidate = f"{prefix}{fam}.{size}"
        if catalog.instance_type(candidate) is None:
            continue
        before, after = ctx.compare_change(t.resource, t.chain, {t.name: candidate}, t.element)
        if before is not None and (after is None or after >= before):
            continue
        if best is None or (after is not None and (best[1] is None or after < best[1])):
            best = (before, after, candidate)
        if before is None:
            break  # no figures to compare: the first real successor is the suggestion
    if best is None:
        return None
    before, after, suggested = best
    note = _origin_note(t.value)
    msg = f"{current} → {suggested}: {figures(before, after)}{note}"
    if rule.id.endswith("graviton"):
        msg += " — needs arm64 builds"
    return _finding(
        rule, t, ctx, msg, current, suggested, before, after, [replace_value(ctx.texts, t.value, suggested)]
    )


def check_lambda_arch(rule: Rule, t: Target, ctx: RuleContext) -> Finding | None:
    value = t.value
    if value is not None and (not value.known or value.value != ["x86_64"]):
        return None
    before, after = ctx.compare_change(t.resource, t.chain, {t.name: ["arm64"]})
    catalog = ctx.get_catalog()
    x86 = catalog.price("lambda.x86_64.duration", t.resource.region)
    arm = catalog.price("lambda.arm64.duration", t.resource.region)
    if before is not None and after is not None and before > 0:
        figure = figures(before, after)
    elif x86 is not None and arm is not None and x86.value > 0:
        pct = round((x86.value - arm.value) / x86.value * 100)
        figure = (
            f"duration ${x86.value:.10f} → ${arm.value:.10f} per GB-s (−{pct}%); "
            "monthly figure depends on usage"
        )
        before = after = None
    else:
        figure = "price unknown in the catalog"
        before = after = None
    if before is not None and after is not None and after > before:
        return None
    if value is None:
        edits = [
            insert_attribute(
                t.block, ctx.texts, "architectures", ["arm64"], source_key(t.resource, "architectures")
            )
        ]
        span = header_span(t.resource, ctx.texts)
        msg = f"x86_64 (default) → arm64: {figure}"
    else:
        target = value.elements[0] if isinstance(value.elements, list) and value.elements else value
        edits = [replace_value(ctx.texts, target, "arm64")]
        span = None
        msg = f"x86_64 → arm64: {figure}"
    f = _finding(rule, t, ctx, msg, "x86_64", "arm64", before, after, edits, span)
    return f


def check_missing_attribute(rule: Rule, t: Target, ctx: RuleContext) -> Finding | None:
    value = t.value
    p = rule.params
    if value is not None:
        if not value.known:
            return None
        if not (p.get("zero_means_missing") and value.value in (0, "0")):
            return None
        edits = [replace_value(ctx.texts, value, int(p["insert"]))]
        span = None
        msg = f"{p['attribute']} = 0 keeps logs forever; set a retention (e.g. {p['insert']} days)"
    else:
        edits = [
            insert_attribute(
                t.block, ctx.texts, p["attribute"], int(p["insert"]), source_key(t.resource, p["attribute"])
            )
        ]
        span = header_span(t.resource, ctx.texts)
        msg = (
            f"no {p['attribute']}: logs are kept forever and storage grows every month; "
            f"set a retention (e.g. {p['insert']} days)"
        )
    cost = ctx.costs.get(t.resource.address)
    before = cost.monthly_cost if cost is not None else None
    f = _finding(rule, t, ctx, msg, None, int(p["insert"]), None, None, edits, span)
    f.fix_title = f"Set {p['attribute']} = {p['insert']}"
    if before:
        f.monthly_cost = round(before, 2)
    return f


def check_eip_unattached(rule: Rule, t: Target, ctx: RuleContext) -> Finding | None:
    r = t.resource
    attrs = r.body.attributes
    if any(a in attrs for a in rule.params["attach_attributes"]) or r.referenced_by:
        return None
    cost = ctx.costs.get(r.address)
    before = cost.monthly_cost if cost is not None else None
    fig = (
        f"{money(before)}/mo for an address nothing uses"
        if before is not None
        else "billed hourly; price unknown"
    )
    msg = f"{r.address} is not associated with an instance, network interface or NAT gateway here: {fig}"
    f = _finding(
        rule,
        t,
        ctx,
        msg,
        None,
        None,
        before,
        0.0 if before is not None else None,
        [],
        header_span(r, ctx.texts),
        "",
    )
    return f


def environment_of(resource: Resource, ctx: RuleContext) -> tuple[str | None, str]:
    """('production'|'non-production'|None, how it was decided) from config names, tags, workspace, paths."""
    non_prod = ctx.config.non_production
    prod = ctx.config.production
    tags = resource.body.attributes.get("tags")
    merged: dict[str, Any] = dict(resource.provider_tags)
    if tags is not None and isinstance(tags.value, dict):
        merged.update(tags.value)
    for key, val in merged.items():
        if str(key).lower() in TAG_KEYS_ENVIRONMENT and isinstance(val, str):
            v = val.lower()
            if v in non_prod:
                return "non-production", f"tag {key} = {val!r}"
            if v in prod:
                return "production", f"tag {key} = {val!r}"
    import os

    workspace = ctx.workspace.lower()
    if workspace != "default":
        if workspace in non_prod:
            return "non-production", f"workspace {ctx.workspace!r}"
        if workspace in prod:
            return "production", f"workspace {ctx.workspace!r}"
    for vf in ctx.var_files:
        stem = os.path.basename(vf).split(".")[0].lower()
        if stem in non_prod:
            return "non-production", f"variables file {os.path.basename(vf)!r}"
        if stem in prod:
            return "production", f"variables file {os.path.basename(vf)!r}"
    parts = [p.lower() for p in os.path.normpath(resource.path).split(os.sep)[:-1]]
    for part in reversed(parts):
        for name in non_prod:
            if (
                part == name
                or part.startswith(name + "-")
                or part.endswith("-" + name)
                or part.endswith("_" + name)
            ):
                return "non-production", f"path segment {part!r}"
        if part in prod:
            return "production", f"path segment {part!r}"
    return None, ""


def check_nat_per_az(rule: Rule, t: Target, ctx: RuleContext, group: list[Resource]) -> Finding | None:
    if len(group) < 2 or t.resource is not group[0]:
        return None
    env, how = environment_of(t.resource, ctx)
    if env != "non-production":
        return None
    costs = [ctx.costs.get(r.address) for r in group]
    each = [c.monthly_cost for c in costs if c is not None and c.monthly_cost is not None]
    before = sum(each) if len(each) == len(group) else None
    hourly = ctx.get_catalog().price("nat.hour", t.resource.region)
    after = None
    if before is not None and hourly is not None:
        # the remaining gateway still processes all the data; only the others' hours go away
        after = before - (len(group) - 1) * hourly.value * HOURS_PER_MONTH
    msg = (
        f"{len(group)} NAT gateways in a non-production environment ({how}): one shared gateway "
        f"{figures(before, after)}"
    )
    return _finding(
        rule, t, ctx, msg, len(group), 1, before, after, [], header_span(t.resource, ctx.texts), ""
    )


# Priced types AWS gives no tags: asking for cost-allocation tags there could never be satisfied.
UNTAGGABLE_TYPES = frozenset({
    "aws_route53_record", "aws_ec2_client_vpn_network_association", "aws_dx_gateway_association",
    "aws_cloudwatch_dashboard", "aws_scheduler_schedule", "aws_cloudwatch_event_api_destination",
    "aws_cloudwatch_event_archive", "aws_config_configuration_recorder", "aws_launch_configuration",
    "aws_s3_bucket_analytics_configuration", "aws_s3_bucket_inventory",
})  # fmt: skip


def check_tags_missing(rule: Rule, r: Resource, ctx: RuleContext) -> Finding | None:
    required = ctx.config.required_tags
    cost = ctx.costs.get(r.address)
    if not required or cost is None or not cost.components or r.type in UNTAGGABLE_TYPES:
        return None  # free resources do not need cost-allocation tags; some types cannot have any
    tags = r.body.attributes.get("tags")
    if tags is not None and not tags.known:
        return None
    present = set(r.provider_tags)
    if tags is not None and isinstance(tags.value, dict):
        present |= {k for k, v in tags.value.items() if v not in (None, "")}
    for block in r.body.nested("tag"):  # aws_autoscaling_group's `tag { key = … }` blocks
        key = block.attributes.get("key")
        if key is not None and key.known:
            present.add(str(key.value))
    missing = [t for t in required if t not in present]
    if not missing:
        return None
    t = Target(r, r.body, (), "tags", tags)
    msg = f"missing required tag{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"
    f = _finding(
        rule, t, ctx, msg, sorted(present), missing, None, None, [], header_span(r, ctx.texts), "tags"
    )
    return f


CHECKS: dict[str, Check] = {
    "volume_type": check_volume_type,
    "instance_family": check_instance_family,
    "lambda_arch": check_lambda_arch,
    "missing_attribute": check_missing_attribute,
    "eip_unattached": check_eip_unattached,
}


@dataclass(slots=True)
class FindingReuse:
    """Findings of a module's previous run per resource, for the language server's next run.

    The Terraform front-end hands back the very same `Resource` object for a block the edit did not
    touch (see `ResourceReuse`); what a per-resource rule finds on it depends only on that object and
    the run's settings (`token`), so it is not checked again. The very same `Finding` objects are
    handed out again, so nothing after the rules changes a finding in place: it changes a copy.
    """

    token: tuple[Any, ...] = ()
    entries: dict[int, tuple[Resource, dict[tuple[str, int], list[Finding]]]] = field(default_factory=dict)


class _Checked:
    """One run's view of a `FindingReuse`: what the last run found, and what this run keeps."""

    def __init__(
        self,
        reuse: FindingReuse | None,
        token: tuple[Any, ...],
        relocated: dict[int, tuple[Resource, Relocation]],
    ) -> None:
        self.reuse = reuse
        self.relocated = relocated
        self.previous = reuse.entries if reuse is not None and reuse.token == token else {}
        self.token = token
        self.kept: dict[int, tuple[Resource, dict[tuple[str, int], list[Finding]]]] = {}

    def findings(
        self, key: tuple[str, int], res: Resource, check: Callable[..., list[Finding]], *args: Any
    ) -> list[Finding]:
        """`check(*args)`'s findings on `res`, from the previous run when it saw the same resource."""
        if self.reuse is None:
            return check(*args)
        entry = self.kept.get(id(res))
        if entry is None:
            entry = self.kept[id(res)] = (res, self._previous_findings(res))
        found = entry[1].get(key)
        if found is None:
            found = entry[1][key] = check(*args)
        return found

    def _previous_findings(self, res: Resource) -> dict[tuple[str, int], list[Finding]]:
        old = self.previous.get(id(res))
        if old is not None and old[0] is res:
            return old[1]
        moved = self.relocated.get(id(res))  # the same block, moved by an edit above it
        old = self.previous.get(id(moved[0])) if moved is not None else None
        if moved is None or old is None or old[0] is not moved[0]:
            return {}
        return {key: [moved[1].finding(f) for f in found] for key, found in old[1].items()}

    def done(self) -> None:
        if self.reuse is not None:
            self.reuse.token, self.reuse.entries = self.token, self.kept


def check_resources(
    resources: list[Resource],
    ctx: RuleContext,
    reuse: FindingReuse | None = None,
    relocated: dict[int, tuple[Resource, Relocation]] | None = None,
) -> list[Finding]:
    """Every finding of every enabled rule on these resources, merged across count/for_each instances.

    `reuse` carries the previous run's findings of resources that did not change (language server);
    `relocated` maps resources reused at a new place to their old selves and how they moved."""
    findings: list[Finding] = []
    rules = [r for r in load_rules() if r.id not in ctx.config.disabled_rules]
    token = (
        tuple(r.id for r in rules),
        repr(ctx.config),
        ctx.workspace,
        tuple(ctx.var_files),
        id(ctx.get_catalog()),
    )
    checked = _Checked(reuse, token, relocated or {})
    by_type: dict[str, list[Resource]] = {}
    for res in resources:
        by_type.setdefault(res.type, []).append(res)
    for rule in rules:
        check_deadline()  # the language server's time budget
        if rule.kind == "tags_missing":
            for r in resources:
                findings += checked.findings((rule.id, -1), r, _tags_findings, rule, r, ctx)
            continue
        for n, (rtype, path, each) in enumerate(rule.targets):
            for res in by_type.get(rtype, []):
                if rule.kind == "nat_per_az":  # looks at the module's other gateways: never reused
                    group = [r for r in by_type[rtype] if r.module_path == res.module_path]
                    for target in iter_targets(res, path, each):
                        f = check_nat_per_az(rule, target, ctx, group)
                        if f is not None:
                            findings.append(f)
                    continue
                findings += checked.findings((rule.id, n), res, _target_findings, rule, res, path, each, ctx)
    checked.done()
    _scale_templates(findings, resources)
    return _merge_instances(findings)


def _tags_findings(rule: Rule, res: Resource, ctx: RuleContext) -> list[Finding]:
    f = check_tags_missing(rule, res, ctx)
    return [] if f is None else [f]


def _target_findings(
    rule: Rule, res: Resource, path: tuple[str, ...], each: bool, ctx: RuleContext
) -> list[Finding]:
    check = CHECKS.get(rule.kind)
    if check is None:
        return []
    return [f for t in iter_targets(res, path, each) if (f := check(rule, t, ctx)) is not None]


def launched_by(resources: list[Resource]) -> dict[str, tuple[int, list[str]]]:
    """Launch template address → (instances its autoscaling groups run, the groups' addresses)."""
    out: dict[str, tuple[int, list[str]]] = {}
    for r in resources:
        if r.type != "aws_autoscaling_group" or not r.launch_template:
            continue
        n = None
        for attr in ("desired_capacity", "min_size"):
            v = _num(r.body.attributes.get(attr))
            if v is not None:
                n = int(v)
                break
        count, groups = out.get(r.launch_template, (0, []))
        out[r.launch_template] = (count + (n if n is not None else 1), [*groups, r.address])
    return out


def _scale_templates(findings: list[Finding], resources: list[Resource]) -> None:
    """A finding on a launch template counts once per instance its autoscaling groups launch."""
    launched = launched_by(resources)
    for i, f in enumerate(findings):
        cost = f.monthly_cost
        if f.resource not in launched or cost is None:
            continue
        n, groups = launched[f.resource]
        if n <= 1:
            continue
        f = findings[i] = copy.copy(f)  # findings may be shared with the previous run: never changed
        f.monthly_cost = round(cost * n, 2)
        if f.monthly_cost_after is not None:
            f.monthly_cost_after = round(f.monthly_cost_after * n, 2)
        head, _, tail = f.message.partition(": ")
        rest = tail.split(" (value from", 1)
        note = f" (value from{rest[1]}" if len(rest) > 1 else ""
        fig = figures(f.monthly_cost, f.monthly_cost_after)
        f.message = f"{head}: {fig} for {n} instances of {', '.join(groups)}{note}"


def _merge_instances(findings: list[Finding]) -> list[Finding]:
    """One finding per place in the text: instances of a counted resource add their figures up."""
    merged: dict[tuple[Any, ...], tuple[Finding, int]] = {}
    order: list[tuple[Any, ...]] = []
    for f in findings:
        key = (
            f.rule,
            f.span.path,
            f.span.start,
            f.span.line,
            f.span.column,
            str(f.current),
            str(f.suggested),
        )
        if key not in merged:
            merged[key] = (f, 1)
            order.append(key)
            continue
        first, n = merged[key]
        if n == 1:
            first = copy.copy(first)  # the merged finding is a new one: the instances' stay as they are
        if first.monthly_cost is not None and f.monthly_cost is not None:
            first.monthly_cost = round(first.monthly_cost + f.monthly_cost, 2)
        if first.monthly_cost_after is not None and f.monthly_cost_after is not None:
            first.monthly_cost_after = round(first.monthly_cost_after + f.monthly_cost_after, 2)
        merged[key] = (first, n + 1)
    out = []
    for key in order:
        f, n = merged[key]
        if n > 1:
            base = base_address(f.resource)
            f.resource = base
            if f.monthly_cost is not None and f.monthly_cost_after is not None and "→" in f.message:
                head = f.message.split(": ", 1)[0]
                f.message = f"{head}: {figures(f.monthly_cost, f.monthly_cost_after)} for {n} instances"
        out.append(f)
    return out
