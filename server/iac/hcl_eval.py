"""Evaluate HCL expressions to `Value`s that remember where they came from.

Only what can be known before `terraform plan` is evaluated: literals, variables, locals, string
templates, conditionals, arithmetic and a set of pure functions. Anything else is unknown and says
why; nothing is guessed. A value traced to a single literal keeps that literal's span as `origin`,
so a fix on `instance_type = var.size` can edit the variable's default or tfvars entry.

Every value an expression builds is bounded (see `Budget`): an attacker's configuration can make
lists, maps, strings and numbers grow exponentially through locals (`concat(local.a, local.a)`
doubled forty times), so the size of each result is checked, and what all of a module tree's
expressions build together has a ceiling. Past a limit the value is unknown, and the limit is
reported as an error at the expression that crossed it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from advisor.iac.hcl_ast import (
    BinOp,
    Call,
    Cond,
    Expr,
    ForExpr,
    Index,
    Lit,
    ObjectExpr,
    Opaque,
    Ref,
    Splat,
    Template,
    TupleExpr,
    Unary,
)
from advisor.iac.hcl_parse import Locator
from advisor.model import Span, Value

MAX_RANGE = 1024  # Terraform's own limit on range(): it refuses to make longer lists
MAX_ELEMENTS = 100_000  # elements of one list or map an expression builds
MAX_STRING = 1_000_000  # characters of one string an expression builds
MAX_NUMBER_BITS = 1024  # an integer beyond ±2^1024 (Terraform's numbers are 512-bit floats)
# Elements and characters all the expressions of a module tree build together: real modules build a
# few thousand; ten million is tens of megabytes at most.
MAX_BUILT = 10_000_000
# Elements all the `for` expressions of a module tree walk together: nested `for`s over `range()` would
# otherwise multiply (1024³ bodies from one line) before any value they build crosses a limit.
MAX_ITERATIONS = 500_000


class LimitError(ValueError):
    """A value beyond one of the limits above (raised inside functions, reported as an error)."""


@dataclass(slots=True)
class Budget:
    """What the expressions of one module tree have built, and the limits they crossed.

    `problems` are (where, message, incomplete) for the engine to report as errors: `incomplete`
    for Advisor's own limits, not for Terraform's (`range` beyond 1024 values fails in Terraform too).
    """

    built: int = 0
    iterations: int = 0  # elements walked by `for` expressions (MAX_ITERATIONS)
    problems: list[tuple[Span | None, str, bool]] = field(default_factory=list)

    def report(self, span: Span | None, message: str, incomplete: bool = True) -> None:
        self.problems.append((span, message, incomplete))


def unknown(reason: str, at: Locator | None = None, expr: Expr | None = None) -> Value:
    span = at.span(expr.pos) if at is not None and expr is not None else None
    return Value(None, "unknown", span=span, reason=reason)


# The `reason` of a known object made of what a block's configuration states: a key it lacks is an
# attribute the provider computes (`id`, `arn`), known only after apply.
AFTER_APPLY = "computed by the provider"

# The `origin_note` of an unknown value that is an error in Terraform (a key not in a map, an index
# out of range, a function refusing its argument): what `try` skips and `can` answers false to. Any
# other unknown value is unknown to them too, as in Terraform.
FAILED = "an error in Terraform"

# The scope root that resolves references to resources of the module (`aws_db_instance.main.engine`):
# it is given the resource type's name as the first element of `rest`.
RESOURCE_ROOT = "\x00resource"


@dataclass(slots=True)
class Scope:
    """Names an expression can see. `lookup_root` resolves `var`, `local`, `each`, `count`, …"""

    roots: Mapping[str, Callable[[tuple[Any, ...], Ref, Locator], Value]]
    depth: int = 0
    notes: list[str] = field(default_factory=list)
    budget: Budget = field(default_factory=Budget)
    # functions of a front-end's own (Terragrunt's `find_in_parent_folders` ...), before the built-in ones
    functions: Mapping[str, Callable[[Call, Locator, Evaluator], Value]] | None = None


# Levels of evaluation: the parsers already bound a tree's depth; references (locals that use
# locals) add levels, and this keeps the whole well inside Python's recursion limit.
MAX_DEPTH = 64
_EXHAUSTED = (
    f"the module's expressions build more than {MAX_BUILT:,} elements and characters; the rest is unknown"
)
_ITERATED = f"the module's for expressions walk more than {MAX_ITERATIONS:,} elements; the rest is unknown"
_TOO_MANY = f"a collection of more than {MAX_ELEMENTS:,} elements; not evaluated"
_TOO_DEEP = f"expressions and references nested deeper than {MAX_DEPTH} levels; not evaluated"


class Evaluator:
    """Evaluates expressions of one file position (`Locator`) in a `Scope`."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def eval(self, expr: Expr, at: Locator) -> Value:
        self.scope.depth += 1
        try:
            if self.scope.depth > MAX_DEPTH:
                return self._limit(_TOO_DEEP, at, expr)
            return self._eval(expr, at)
        except RecursionError:  # prevented by MAX_DEPTH and the parsers' limits; the same limit if not
            return self._limit(_TOO_DEEP, at, expr)
        finally:
            self.scope.depth -= 1

    def _limit(self, message: str, at: Locator, expr: Expr, incomplete: bool = True) -> Value:
        """An unknown value for a limit crossed here, reported (once per place) as an error."""
        span = at.span(expr.pos)
        budget = self.scope.budget
        if not any(p[0] == span and p[1] == message for p in budget.problems):
            budget.report(span, message, incomplete)
        return Value(None, "unknown", span=span, reason=message)

    def _built(self, value: Any, at: Locator, expr: Expr) -> Value | None:
        """None when a value just built is within the limits, else the unknown value to return."""
        size = len(value) if isinstance(value, (str, list, dict)) else 1
        if isinstance(value, str):
            if size > MAX_STRING:
                return self._limit(f"a string longer than {MAX_STRING:,} characters; not evaluated", at, expr)
        elif size > MAX_ELEMENTS:
            return self._limit(
                f"a collection of more than {MAX_ELEMENTS:,} elements; not evaluated", at, expr
            )
        elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_NUMBER_BITS:
            return self._limit(f"a number beyond ±2^{MAX_NUMBER_BITS}; not evaluated", at, expr)
        budget = self.scope.budget
        budget.built += size
        if budget.built > MAX_BUILT:
            if budget.built - size > MAX_BUILT:  # reported where it was crossed: the rest is unknown
                return Value(None, "unknown", span=at.span(expr.pos), reason=_EXHAUSTED)
            return self._limit(
                _EXHAUSTED,
                at,
                expr,
            )
        return None

    def _eval(self, expr: Expr, at: Locator) -> Value:
        span = at.span(expr.pos)
        if isinstance(expr, Lit):
            return Value(expr.value, "literal", span=span, origin=span)
        if isinstance(expr, Template):
            if len(expr.parts) == 1 and not isinstance(expr.parts[0], str):
                # "${x}" is x itself in Terraform, of any type, and still edited where x is set
                return _rebase(self.eval(expr.parts[0], at), span)
            out: list[str] = []
            for part in expr.parts:
                if isinstance(part, str):
                    out.append(part)
                    continue
                v = self.eval(part, at)
                if not v.known:
                    return Value(None, "unknown", span=span, reason=v.reason)
                if isinstance(v.value, (list, dict)):
                    return Value(
                        None, "unknown", span=span, reason="a list or map cannot be part of a string"
                    )
                out.append(_to_str(v.value))
            text = "".join(out)
            return self._built(text, at, expr) or Value(text, "resolved", span=span)
        if isinstance(expr, Ref):
            return self._ref(expr, at, span)
        if isinstance(expr, Cond):
            c = self.eval(expr.cond, at)
            if not c.known:
                return Value(None, "unknown", span=span, reason=f"condition is unknown: {c.reason}")
            chosen = self.eval(expr.then if _truthy(c.value) else expr.other, at)
            return _rebase(chosen, span)
        if isinstance(expr, BinOp):
            return self._binop(expr, at, span)
        if isinstance(expr, Unary):
            v = self.eval(expr.operand, at)
            if not v.known:
                return Value(None, "unknown", span=span, reason=v.reason)
            try:
                negated: Any = (not _truthy(v.value)) if expr.op == "!" else -_num(v.value)
            except (TypeError, ValueError):
                return Value(None, "unknown", span=span, reason=f"cannot apply {expr.op} to {v.value!r}")
            # a negative literal is still a literal that a fix can edit
            return Value(negated, "resolved", span=span, origin=span if v.kind == "literal" else None)
        if isinstance(expr, TupleExpr):
            items = [self.eval(i, at) for i in expr.items]
            if any(not i.known for i in items):
                first = next(i for i in items if not i.known)
                v = Value(None, "unknown", span=span, reason=first.reason)
                v.elements = items  # the length is still known: a count of subnets, of zones
                return v
            value = Value([i.value for i in items], "resolved", span=span)
            value.elements = items
            return self._built(value.value, at, expr) or value
        if isinstance(expr, ObjectExpr):
            mapping: dict[str, Any] = {}
            elements: dict[str, Value] = {}
            for key_expr, val_expr in expr.items:
                key: str
                if isinstance(key_expr, str):
                    key = key_expr
                else:
                    k = self.eval(key_expr, at)
                    if not k.known:
                        return Value(None, "unknown", span=span, reason=f"object key is unknown: {k.reason}")
                    if isinstance(k.value, (list, dict)):
                        return Value(None, "unknown", span=span, reason="an object key must be a string")
                    key = _to_str(k.value)
                v = self.eval(val_expr, at)
                mapping[key] = v.value
                elements[key] = v
            # a partly known map is still useful (tags): unknown entries keep their reasons in `elements`
            value = Value(mapping, "resolved", span=span)
            value.elements = elements
            return self._built(mapping, at, expr) or value
        if isinstance(expr, Index):
            target = self.eval(expr.target, at)
            index: Any = expr.key
            if not isinstance(index, (str, int)):
                key_value = self.eval(index, at)
                if not key_value.known:
                    return Value(None, "unknown", span=span, reason=f"index is unknown: {key_value.reason}")
                index = key_value.value
            return _rebase(_index(target, index), span)
        if isinstance(expr, Call):
            return self._call(expr, at, span)
        if isinstance(expr, ForExpr):
            return self._for(expr, at, span)
        if isinstance(expr, Splat):
            return self._splat(expr, at, span)
        if isinstance(expr, Opaque):
            return Value(None, "unknown", span=span, reason=f"{expr.kind} is not evaluated")
        return Value(None, "unknown", span=span, reason="unsupported expression")

    def _for(self, expr: ForExpr, at: Locator, span: Span) -> Value:
        """A for-expression with Terraform's semantics: a map is walked in key order, `if` filters,
        an object form's duplicate key is an error unless `...` groups the values into lists."""
        coll = self.eval(expr.collection, at)
        if not coll.known:
            return Value(None, "unknown", span=span, reason=coll.reason)
        pairs = _pairs(coll)
        if pairs is None:
            return Value(None, "unknown", span=span, reason="a for expression needs a list, set or map")
        values: list[Value] = []
        keys: list[str] = []
        budget = self.scope.budget
        for k, v in pairs:
            budget.iterations += 1
            if budget.iterations > MAX_ITERATIONS:
                if budget.iterations - 1 > MAX_ITERATIONS:  # reported where it was crossed
                    return Value(None, "unknown", span=span, reason=_ITERATED)
                return self._limit(_ITERATED, at, expr)
            names = expr.names
            bound = {names[0]: v} if len(names) == 1 else {names[0]: Value(k, "resolved"), names[1]: v}
            roots = dict(self.scope.roots)
            roots.update((name, _value_root(value)) for name, value in bound.items())
            inner = Evaluator(Scope(roots, self.scope.depth, self.scope.notes, budget))
            if expr.cond is not None:
                keep = inner.eval(expr.cond, at)
                if not keep.known:
                    return Value(
                        None, "unknown", span=span, reason=f"the `if` condition is unknown: {keep.reason}"
                    )
                if not isinstance(keep.value, bool) and keep.value not in ("true", "false"):
                    return Value(None, "unknown", span=span, reason="the `if` condition is not a bool")
                if not _truthy(keep.value):
                    continue
            if expr.key is not None:
                key = inner.eval(expr.key, at)
                if not key.known:
                    return Value(None, "unknown", span=span, reason=f"a key is unknown: {key.reason}")
                if isinstance(key.value, (list, dict)) or key.value is None:
                    return Value(None, "unknown", span=span, reason="a for expression's keys must be strings")
                keys.append(_to_str(key.value))
            value = inner.eval(expr.value, at)
            if expr.key is None and not value.known:
                return Value(None, "unknown", span=span, reason=value.reason)
            values.append(value)
            if len(values) > MAX_ELEMENTS:
                return self._limit(
                    f"a collection of more than {MAX_ELEMENTS:,} elements; not evaluated", at, expr
                )
        if expr.key is None:
            out = Value([v.value for v in values], "resolved", span=span)
            out.elements = values
            return self._built(out.value, at, expr) or out
        elements: dict[str, Value] = {}
        if expr.group:
            groups: dict[str, list[Value]] = {}
            for k, v in zip(keys, values, strict=True):
                groups.setdefault(k, []).append(v)
            for k, members in groups.items():
                unknown_member = next((m for m in members if not m.known), None)
                if unknown_member is not None:
                    elements[k] = Value(None, "unknown", reason=unknown_member.reason)
                    continue
                grouped = Value([m.value for m in members], "resolved")
                grouped.elements = members
                elements[k] = grouped
        else:
            for k, v in zip(keys, values, strict=True):
                if k in elements:
                    return Value(
                        None,
                        "unknown",
                        span=span,
                        reason=f"duplicate key {k!r} in a for expression (Terraform needs `...` to group)",
                    )
                elements[k] = v
        out = Value({k: v.value for k, v in elements.items()}, "resolved", span=span)
        out.elements = elements
        return self._built(out.value, at, expr) or out

    def _splat(self, expr: Splat, at: Locator, span: Span) -> Value:
        """`x[*].a` applies every accessor to each element; the legacy `x.*.a` only the attributes
        before the first index, the rest to the list. A value that is not a list is a one-element list
        (null an empty one), as in Terraform."""
        target = self.eval(expr.target, at)
        if not target.known:
            return Value(None, "unknown", span=span, reason=target.reason)
        if isinstance(target.value, list):
            items = (
                list(target.elements)
                if isinstance(target.elements, list)
                else [Value(x, "resolved") for x in target.value]
            )
        elif target.value is None:
            items = []
        else:
            items = [target]
        per_item: list[Any] = []
        after: list[Any] = []
        for i, accessor in enumerate(expr.accessors):
            if expr.legacy and not isinstance(accessor, str):
                after = list(expr.accessors[i:])
                break
            per_item.append(accessor)
        keys: list[Any] = []
        for accessor in [*per_item, *after]:
            if isinstance(accessor, (str, int)):
                keys.append(accessor)
                continue
            k = self.eval(accessor, at)
            if not k.known:
                return Value(None, "unknown", span=span, reason=f"index is unknown: {k.reason}")
            keys.append(k.value)
        results: list[Value] = []
        for item in items:
            for key in keys[: len(per_item)]:
                item = _index(item, key)
                if not item.known:
                    return _rebase(item, span)
            results.append(item)
        out = Value([r.value for r in results], "resolved", span=span)
        out.elements = results
        too_big = self._built(out.value, at, expr)  # charged to the budget: splats inside instances add up
        if too_big is not None:
            return too_big
        for key in keys[len(per_item) :]:
            out = _index(out, key)
        return _rebase(out, span)

    def _ref(self, expr: Ref, at: Locator, span: Any) -> Value:
        root = expr.parts[0]
        resolver = self.scope.roots.get(root) if isinstance(root, str) else None
        if resolver is None and isinstance(root, str) and "_" in root and len(expr.parts) > 1:
            resolver = self.scope.roots.get(RESOURCE_ROOT)  # `aws_instance.web…`: another resource
        rest: list[Any] = []
        for p in expr.parts[1:]:
            if isinstance(p, (str, int)):
                rest.append(p)
            else:
                k = self.eval(p, at)
                if not k.known:
                    return Value(None, "unknown", span=span, reason=f"index is unknown: {k.reason}")
                rest.append(k.value)
        if resolver is None:
            return Value(None, "unknown", span=span, reason=f"{expr.dotted()} is known only after apply")
        if resolver is self.scope.roots.get(RESOURCE_ROOT) and root not in self.scope.roots:
            rest.insert(0, root)
        return _rebase(resolver(tuple(rest), expr, at), span)

    def _binop(self, expr: BinOp, at: Locator, span: Any) -> Value:
        left = self.eval(expr.left, at)
        if expr.op in ("&&", "||") and left.known:
            if expr.op == "&&" and not _truthy(left.value):
                return Value(False, "resolved", span=span)
            if expr.op == "||" and _truthy(left.value):
                return Value(True, "resolved", span=span)
        right = self.eval(expr.right, at)
        if not left.known or not right.known:
            bad = left if not left.known else right
            return Value(None, "unknown", span=span, reason=bad.reason)
        a, b = left.value, right.value
        try:
            result: Any
            op = expr.op
            if op == "==":
                result = _equal(a, b)
            elif op == "!=":
                result = not _equal(a, b)
            elif op in ("&&", "||"):
                result = _truthy(b)
            elif op == "<":
                result = _num(a) < _num(b)
            elif op == ">":
                result = _num(a) > _num(b)
            elif op == "<=":
                result = _num(a) <= _num(b)
            elif op == ">=":
                result = _num(a) >= _num(b)
            elif op == "+":
                result = _num(a) + _num(b)
            elif op == "-":
                result = _num(a) - _num(b)
            elif op == "*":
                result = _num(a) * _num(b)
            elif op == "/":
                result = _num(a) / _num(b)
            elif op == "%":
                result = _num(a) % _num(b)
            else:
                return Value(None, "unknown", span=span, reason=f"operator {op} is not supported")
        except LimitError as exc:
            return self._limit(str(exc), at, expr)
        except (TypeError, ValueError, ZeroDivisionError, OverflowError) as exc:
            return Value(None, "unknown", span=span, reason=f"cannot evaluate {expr.op}: {exc}")
        if isinstance(result, float) and result.is_integer() and expr.op != "/":
            result = int(result)
        return self._built(result, at, expr) or Value(result, "resolved", span=span)

    def _call(self, expr: Call, at: Locator, span: Any) -> Value:
        name = expr.name.removeprefix("provider::terraform::")
        own = self.scope.functions.get(name) if self.scope.functions else None
        if own is not None:
            return _rebase(own(expr, at, self), span)
        if name == "try":
            reasons = []
            for a in expr.args:
                v = self.eval(a, at)
                if v.known:
                    return _rebase(v, span)
                if v.origin_note != FAILED:  # known only later: so is what try() returns
                    return Value(None, "unknown", span=span, reason=v.reason)
                reasons.append(v.reason)
            return Value(None, "unknown", span=span, reason="; ".join(reasons) or "try() of nothing")
        if name == "can":  # true once the argument is known; unknown stays unknown, never false
            if len(expr.args) != 1:
                return Value(None, "unknown", span=span, reason="can() takes one argument")
            v = self.eval(expr.args[0], at)
            if not v.known:
                if v.origin_note == FAILED:
                    return Value(False, "resolved", span=span)
                return Value(None, "unknown", span=span, reason=v.reason)
            return Value(True, "resolved", span=span)
        if name == "coalesce":
            for a in expr.args:
                v = self.eval(a, at)
                if not v.known:
                    return Value(None, "unknown", span=span, reason=v.reason)
                if v.value not in (None, ""):
                    return _rebase(v, span)
            return Value(None, "unknown", span=span, reason="coalesce() found no value")
        fn = _FUNCTIONS.get(name)
        if fn is None:
            return Value(None, "unknown", span=span, reason=f"function {name}() is not evaluated")
        args = [self.eval(arg, at) for arg in expr.args]
        for evaluated in args:
            if not evaluated.known:
                return Value(None, "unknown", span=span, reason=evaluated.reason)
        values = [evaluated.value for evaluated in args]
        if expr.expand_last and values and isinstance(values[-1], list):
            values = values[:-1] + list(values[-1])
        try:
            result = fn(*values)
        except RangeTooLong as exc:  # Terraform fails the same call: an error in the configuration
            return self._limit(f"{name}() failed: {exc}", at, expr, incomplete=False)
        except LimitError as exc:
            return self._limit(f"{name}() failed: {exc}", at, expr)
        except Exception as exc:  # a bad argument to a pure function is a user error, not a crash
            return Value(None, "unknown", span=span, reason=f"{name}() failed: {exc}", origin_note=FAILED)
        too_big = self._built(result, at, expr)
        if too_big is not None:
            return too_big
        # lookup() of a literal map entry keeps the entry as origin
        if name == "lookup" and args and isinstance(args[0].elements, dict) and len(values) > 1:
            entry = args[0].elements.get(_to_str(values[1]))
            if entry is not None:
                return _rebase(entry, span)
        return Value(result, "resolved", span=span)


def _value_root(value: Value) -> Callable[[tuple[Any, ...], Ref, Locator], Value]:
    """A scope root bound to one value (a for expression's variable): `v`, `v.name`, `v[0]`."""

    def resolve(rest: tuple[Any, ...], ref: Ref, at: Locator) -> Value:
        out = value
        for key in rest:
            out = _index(out, key)
            if not out.known:
                break
        return out

    return resolve


def _pairs(coll: Value) -> list[tuple[Any, Value]] | None:
    """(key, element) of a list (index) or map (key, in Terraform's lexical order), else None."""
    v = coll.value
    if isinstance(v, list):
        elems = coll.elements if isinstance(coll.elements, list) and len(coll.elements) == len(v) else None
        return [(i, elems[i] if elems is not None else Value(x, "resolved")) for i, x in enumerate(v)]
    if isinstance(v, dict):
        elems_map = coll.elements if isinstance(coll.elements, dict) else {}
        return [(k, elems_map.get(k) or Value(v[k], "resolved")) for k in sorted(v)]
    return None


def _rebase(v: Value, span: Any) -> Value:
    """The value seen at a new place: same value and origin, span of the expression written here."""
    kind = v.kind if v.kind == "unknown" else "resolved"
    out = Value(v.value, kind, span=span, origin=v.origin, origin_note=v.origin_note, reason=v.reason)
    out.elements = v.elements
    return out


def _index(target: Value, key: Any) -> Value:
    if not target.known:
        return target
    container = target.value
    try:
        if isinstance(container, dict):
            k = _to_str(key)
            if k not in container:
                if target.reason == AFTER_APPLY:
                    reason = f"{target.origin_note}.{k} is known only after apply"
                    return Value(None, "unknown", reason=reason)
                return Value(None, "unknown", reason=f"key {k!r} is not in the map", origin_note=FAILED)
            if isinstance(target.elements, dict) and k in target.elements:
                return target.elements[k]
            return Value(container[k], "resolved")
        if isinstance(container, (list, tuple)):
            i = int(key)
            if isinstance(target.elements, list) and -len(target.elements) <= i < len(target.elements):
                return target.elements[i]
            return Value(container[i], "resolved")
    except (ValueError, TypeError, IndexError):
        pass
    reason = f"cannot index {type(container).__name__} with {key!r}"
    return Value(None, "unknown", reason=reason, origin_note=FAILED)


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        return v.lower() == "true"
    return bool(v)


def _num(v: Any) -> float | int:
    if isinstance(v, bool):
        raise TypeError("a bool is not a number")
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        f = float(v)
        return int(f) if f.is_integer() and "." not in v and "e" not in v.lower() else f
    raise TypeError(f"{v!r} is not a number")


def _norm(v: Any) -> Any:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    return v


def _equal(a: Any, b: Any) -> bool:
    """`==` on values (numbers compared as numbers), walking at most MAX_ELEMENTS elements.

    Values share their parts (`[local.a, local.a]`), so a plain `==` on a value built from a few
    lines can have to walk billions of elements.
    """
    left = MAX_ELEMENTS
    pairs = [(a, b)]
    while pairs:
        x, y = pairs.pop()
        left -= 1
        if left < 0:
            raise LimitError(f"comparing collections of more than {MAX_ELEMENTS:,} elements")
        if x is y:
            continue
        if isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                return False
            pairs.extend(zip(x, y, strict=True))
        elif isinstance(x, dict) and isinstance(y, dict):
            if x.keys() != y.keys():
                return False
            pairs.extend((x[k], y[k]) for k in x)
        elif isinstance(x, (list, dict)) or isinstance(y, (list, dict)) or _norm(x) != _norm(y):
            return False
    return True


def _to_str(v: Any) -> str:
    if isinstance(v, (list, dict)):
        raise TypeError("a list or map is not a string")
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if v is None:
        return ""
    return str(v)


def _format(fmt: str, *args: Any) -> str:
    out: list[str] = []
    i = 0
    arg_i = 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%" and i + 1 < len(fmt):
            j = i + 1
            while j < len(fmt) and fmt[j] in "0123456789.-+# ":
                j += 1
            verb = fmt[j] if j < len(fmt) else ""
            if verb == "%":
                out.append("%")
            elif verb in "sdvqft":
                widths = [int(w) for w in re.findall(r"[0-9]+", fmt[i + 1 : j])]
                if any(w > 1000 for w in widths):
                    raise LimitError(f"a width or precision above 1000 in %{verb}")
                a = args[arg_i]
                arg_i += 1
                if verb == "d":
                    number = _num(a)
                    if not float(number).is_integer():
                        raise ValueError(f"%d needs a whole number, not {a!r}")
                    out.append(("%" + fmt[i + 1 : j] + "d") % int(number))
                elif verb == "f":
                    out.append(("%" + fmt[i + 1 : j] + "f") % float(_num(a)))
                elif verb == "q":
                    out.append('"' + _to_str(a) + '"')
                else:
                    out.append(("%" + fmt[i + 1 : j].replace("#", "").replace("+", "") + "s") % _to_str(a))
            else:
                raise ValueError(f"unsupported format verb %{verb}")
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _merge(*maps: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        if not isinstance(m, dict):
            raise TypeError("merge() takes maps")
        out.update(m)
    return out


def _lookup(m: Any, key: Any, *default: Any) -> Any:
    k = _to_str(key)
    if isinstance(m, dict) and k in m:
        return m[k]
    if default:
        return default[0]
    raise KeyError(k)


def _flatten(v: Any) -> list[Any]:
    """Nested lists into one, stopping at MAX_ELEMENTS (lists may share parts: see `_equal`)."""
    out: list[Any] = []
    stack = [iter(v)]
    while stack:
        for x in stack[-1]:
            if isinstance(x, list):
                if len(stack) > MAX_ELEMENTS:
                    raise LimitError("lists nested too deeply")
                stack.append(iter(x))
                break
            out.append(x)
            if len(out) > MAX_ELEMENTS:
                raise LimitError(f"more than {MAX_ELEMENTS:,} elements")
        else:
            stack.pop()
    return out


class RangeTooLong(ValueError):
    """range() beyond Terraform's limit: Terraform fails the call too."""


def _range(*args: Any) -> list[int]:
    numbers = range(*(int(_num(x)) for x in args))  # a range object: its length costs nothing
    if len(numbers) > MAX_RANGE:
        raise RangeTooLong(
            f"it would make {len(numbers):,} numbers, and Terraform allows at most {MAX_RANGE}; "
            "bring start and limit closer together or make the step larger"
        )
    return list(numbers)


def _concat(*lists: Any) -> list[Any]:
    if sum(len(lst) for lst in lists) > MAX_ELEMENTS:
        raise LimitError(f"more than {MAX_ELEMENTS:,} elements")
    return [x for lst in lists for x in lst]


def _join(sep: Any, items: Any) -> str:
    parts = [_to_str(x) for x in items]
    separator = _to_str(sep)
    if sum(map(len, parts)) + len(separator) * len(parts) > MAX_STRING:
        raise LimitError(f"a string longer than {MAX_STRING:,} characters")
    return separator.join(parts)


def _replace(s: Any, old: Any, new: Any) -> str:
    text, a, b = _to_str(s), _to_str(old), _to_str(new)
    if len(a) > 1 and a.startswith("/") and a.endswith("/"):
        # a regular expression in Terraform; Python's engine would differ from Go's and has no time
        # limit (a repository's pattern could backtrack for hours), so the result is unknown
        raise ValueError("regular expressions are not evaluated")
    times = text.count(a) if a else len(text) + 1
    if len(text) + times * (len(b) - len(a)) > MAX_STRING:
        raise LimitError(f"a string longer than {MAX_STRING:,} characters")
    return text.replace(a, b)


def _jsonencode(v: Any) -> str:
    """Terraform's encoding: keys sorted, no spaces, `<`, `>` and `&` escaped."""
    import json

    text = json.dumps(v, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    if len(text) > MAX_STRING:
        raise LimitError(f"a string longer than {MAX_STRING:,} characters")
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _jsondecode(text: Any) -> Any:
    """A JSON string as a value; anything but a string is an error, as in Terraform."""
    import json

    if not isinstance(text, str):
        raise TypeError("jsondecode() takes a string")
    return json.loads(text)


def _cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> str:
    """The `netnum`th subnet of `prefix` with `newbits` more bits of prefix length."""
    import ipaddress

    network = ipaddress.ip_network(_to_str(prefix), strict=False)
    bits, number = int(_num(newbits)), int(_num(netnum))
    new_prefix = network.prefixlen + bits
    if bits < 0 or new_prefix > network.max_prefixlen:
        raise ValueError(f"cannot add {bits} bits to a /{network.prefixlen} prefix")
    if not 0 <= number < 2**bits:
        raise ValueError(f"netnum {number} does not fit in {bits} bits")
    size = 2 ** (network.max_prefixlen - new_prefix)
    address = ipaddress.ip_address(int(network.network_address) + number * size)
    return f"{address}/{new_prefix}"


def _element(lst: Any, index: Any) -> Any:
    if not lst:
        raise ValueError("element() of an empty list")
    i = int(_num(index))
    if i < 0:
        raise ValueError("element() takes an index of zero or more")
    return lst[i % len(lst)]


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "jsonencode": _jsonencode,
    "jsondecode": _jsondecode,
    "cidrsubnet": _cidrsubnet,
    "coalescelist": lambda *lists: next((lst for lst in lists if lst), []),
    "reverse": lambda lst: list(reversed(lst)),
    "slice": lambda lst, a, b: list(lst)[int(_num(a)) : int(_num(b))],
    "trimprefix": lambda s, p: _to_str(s).removeprefix(_to_str(p)),
    "trimsuffix": lambda s, p: _to_str(s).removesuffix(_to_str(p)),
    "lookup": _lookup,
    "merge": _merge,
    "concat": _concat,
    "lower": lambda s: _to_str(s).lower(),
    "upper": lambda s: _to_str(s).upper(),
    "title": lambda s: _to_str(s).title(),
    "trimspace": lambda s: _to_str(s).strip(),
    "format": _format,
    "min": lambda *a: min(_num(x) for x in a),
    "max": lambda *a: max(_num(x) for x in a),
    "abs": lambda x: abs(_num(x)),
    "ceil": lambda x: math.ceil(_num(x)),
    "floor": lambda x: math.floor(_num(x)),
    "tostring": _to_str,
    "tonumber": _num,
    "tobool": _truthy,
    "length": len,
    "element": _element,
    "contains": lambda lst, v: v in lst,
    "join": _join,
    "split": lambda sep, s: _to_str(s).split(_to_str(sep)),
    "replace": _replace,
    "substr": lambda s, off, n: _to_str(s)[int(off) : (int(off) + int(n)) if int(n) >= 0 else None],
    "startswith": lambda s, p: _to_str(s).startswith(_to_str(p)),
    "endswith": lambda s, p: _to_str(s).endswith(_to_str(p)),
    "keys": lambda m: sorted(m.keys()),
    "values": lambda m: [m[k] for k in sorted(m.keys())],
    "toset": lambda lst: sorted(set(lst), key=_to_str),
    "tolist": lambda v: list(v) if isinstance(v, list) else (_ for _ in ()).throw(TypeError("not a list")),
    "tomap": lambda m: dict(m) if isinstance(m, dict) else (_ for _ in ()).throw(TypeError("not a map")),
    "distinct": lambda lst: list(dict.fromkeys(lst)),
    "flatten": _flatten,
    "zipmap": lambda ks, vs: dict(zip((_to_str(k) for k in ks), vs, strict=True)),
    "range": _range,
    "compact": lambda lst: [x for x in lst if x not in (None, "")],
    "one": lambda lst: (
        (lst[0] if lst else None) if len(lst) <= 1 else (_ for _ in ()).throw(ValueError("more than one"))
    ),
    "sum": lambda lst: sum(_num(x) for x in lst),
}
