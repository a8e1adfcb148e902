"""Conditions a rule row states in data: on attribute values, the environment and the region.

A condition on one attribute is a list of accepted values (shorthand for `one_of`) or a table with
`one_of` (a list), `ends_with` (a string) and `unset` (the value an unset attribute has). Strings
compare without regard to letter case, booleans as `true`/`false`.
"""

from __future__ import annotations

from typing import Any

from advisor.model import Resource, Value
from advisor.rules.context import RuleContext


def normal(value: Any) -> str:
    """A value as conditions compare it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).lower()


def holds(value: Value | None, condition: Any, unknown: bool) -> bool:
    """Whether the value meets the condition; `unknown` is the answer for a value not known yet."""
    spec = condition if isinstance(condition, dict) else {"one_of": condition}
    if value is None:
        if "unset" not in spec:
            return False
        got = normal(spec["unset"])
    elif not value.known:
        return unknown
    else:
        got = normal(value.value)
    if "one_of" in spec and got not in {normal(v) for v in spec["one_of"]}:
        return False
    return not ("ends_with" in spec and not got.endswith(normal(spec["ends_with"])))


def attributes_hold(resource: Resource, conditions: dict[str, Any], unknown: bool) -> bool:
    """Every `attribute path = condition` holds on the resource."""
    return all(holds(resource.attr(path), cond, unknown) for path, cond in conditions.items())


def when(resource: Resource, ctx: RuleContext, spec: dict[str, Any]) -> str | None:
    """How a row's `when` holds for the resource ("" when nothing needs saying), or None when not.

    `environment`: "production" or "non-production" (an undecided environment never matches);
    `regions`: the regions it applies in; `attributes`: conditions on the resource's attributes (a
    value not known yet does not match).
    """
    if "regions" in spec and resource.region not in spec["regions"]:
        return None
    if "attributes" in spec and not attributes_hold(resource, spec["attributes"], unknown=False):
        return None
    if "environment" in spec:
        env, how = ctx.environment(resource)
        if env != spec["environment"]:
            return None
        return how
    return ""
