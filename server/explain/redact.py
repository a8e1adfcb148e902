"""Keep secrets out of the explain prompt.

The prompt leaves the machine, so three layers remove what must not: (1) the value expressions of
attributes whose names look secret (passwords, tokens, keys, `user_data` …) or that read a variable
declared `sensitive = true`, found through the exact spans the front-end recorded; (2) a line-based
pass over the block for attribute lines the first layer could not see (inside `jsonencode`, dynamic
blocks, unparsed text); (3) every known secret *value* (sensitive variables' defaults, tfvars and
`--var` values, the resolved values of redacted attributes) scrubbed wherever it still appears.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from advisor.model import Block, Resource, Value

REDACTED = '"<redacted>"'
REDACTED_BARE = "<redacted>"

# Attribute and key names whose values must not leave the machine.
SENSITIVE_NAME = re.compile(
    r"""(?ix)
    passw(?:or)?d | passphrase | (?:^|[_-])pwd$
    | secret | token | credential
    | (?:private|api|access|signing|encryption|secret|master|client)[_-]?key
    | (?:^|[_-])keys?$
    | user[_-]?data
    | connection[_-]?string | (?:^|[_-])dsn$
    """
)
_VAR_REF = re.compile(r"\bvar\.([A-Za-z_][\w-]*)")
_SENSITIVE_CALL = re.compile(r"\bsensitive\s*\(")
# Secret values shorter than this are not scrubbed as text: "gp2" or "on" would mangle the prompt.
MIN_SCRUB_LENGTH = 4
MIN_SCRUB_LINE = 8


def is_sensitive_name(name: str) -> bool:
    return bool(SENSITIVE_NAME.search(name))


@dataclass(slots=True)
class Secrets:
    """What must not appear in a prompt: names of sensitive variables and known secret values."""

    variables: set[str] = field(default_factory=set)
    values: set[str] = field(default_factory=set)

    def add_value(self, value: Any) -> None:
        for text in _flatten(value):
            if len(text) >= MIN_SCRUB_LENGTH:
                self.values.add(text)

    def merged(self, other: Secrets) -> Secrets:
        return Secrets(self.variables | other.variables, self.values | other.values)


def _flatten(value: Any) -> Iterator[str]:
    """String leaves of a value (numbers are left alone: scrubbing "1000" would garble the facts)."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, str):
        yield value
        for line in value.splitlines():  # a key or script may be quoted one line at a time
            if len(line.strip()) >= MIN_SCRUB_LINE:
                yield line.strip()
    elif isinstance(value, dict):
        for v in value.values():
            yield from _flatten(v)
    elif isinstance(value, (list, tuple, set)):
        for v in value:
            yield from _flatten(v)


def sensitive_variables(
    directory: str, settings: Any = None, read: Callable[[str], str | None] | None = None
) -> Secrets:
    """Variables declared `sensitive = true` in a module folder, with the values they take there.

    Uses the Terraform front-end's own evaluation, so a value set in a `.tfvars` file or by `--var`
    is known as well as the default. Never raises: an unreadable module yields what could be read.
    """
    from advisor.iac.terraform import (
        ModuleEvaluator,
        Settings,
        load_module_files,
        load_tfvars,
        read_disk,
    )

    reader = read or read_disk
    cfg = settings if isinstance(settings, Settings) else Settings()
    secrets = Secrets()
    try:
        files = load_module_files(directory, reader)
        tfvars = load_tfvars(directory, reader, cfg.var_files)
        evaluator = ModuleEvaluator(directory, files, cfg, reader, tfvars=tfvars)
        values = {name: evaluator.variable(name) for name in list(evaluator.variables)}
        for name in evaluator.declared_sensitive():
            secrets.variables.add(name)
            value = values.get(name)
            if value is not None and value.known:
                secrets.add_value(value.value)
    except Exception:  # a broken module must not stop the explanation: layers 1 and 2 still apply
        pass
    return secrets


def _is_bool_literal(expr: str) -> bool:
    return expr.strip().strip('"') in ("true", "false")


def _reads_secret(expr: str, secrets: Secrets) -> bool:
    if _SENSITIVE_CALL.search(expr):
        return True
    return any(m.group(1) in secrets.variables for m in _VAR_REF.finditer(expr))


def _value_ranges(value: Value, name: str, text: str, secrets: Secrets) -> Iterator[tuple[int, int]]:
    span = value.span
    if span is None or span.start < 0 or span.end > len(text) or span.start >= span.end:
        return
    expr = text[span.start : span.end]
    if is_sensitive_name(name) and not _is_bool_literal(expr):
        secrets.add_value(value.value)
        yield span.start, span.end
        return
    # An object or tuple literal: redact only the elements that need it, unless the secret is read
    # outside them (a computed key), in which case the whole value goes.
    inner: list[tuple[int, int]] = []
    elements = value.elements
    if isinstance(elements, dict):
        for key, element in elements.items():
            inner.extend(_value_ranges(element, str(key), text, secrets))
    elif isinstance(elements, list):
        for element in elements:
            inner.extend(_value_ranges(element, "", text, secrets))
    rest = expr
    for a, b in sorted(inner, reverse=True):
        rest = rest[: a - span.start] + rest[b - span.start :]
    if _reads_secret(rest, secrets):
        secrets.add_value(value.value)
        yield span.start, span.end
        return
    yield from inner


def _block_ranges(block: Block, path: str, text: str, secrets: Secrets) -> Iterator[tuple[int, int]]:
    for name, value in block.attributes.items():
        if value.span is not None and value.span.path != path:
            continue
        yield from _value_ranges(value, name, text, secrets)
    for child in block.blocks:
        yield from _block_ranges(child, path, text, secrets)


def redact_resource(resource: Resource, text: str, secrets: Secrets) -> tuple[str, int]:
    """The resource's source text with secret values replaced, and its first line (0-based).

    `secrets` gains the resolved values of every attribute redacted here, so the final scrub also
    removes them if they are repeated elsewhere (a comment, a tag, the finding's own facts).
    """
    span = resource.span
    start = max(0, span.start)
    line_start = text.rfind("\n", 0, start) + 1
    if not text[line_start:start].strip():  # keep the first line's indentation (YAML, nested blocks)
        start = line_start
    end = min(len(text), span.end) if span.end >= 0 else len(text)
    ranges = sorted(
        (max(a, start), min(b, end))
        for a, b in _block_ranges(resource.body, span.path, text, secrets)
        if b > start and a < end
    )
    pieces: list[str] = []
    cursor = start
    for a, b in ranges:
        if a < cursor:  # nested inside a range already replaced
            continue
        pieces.append(text[cursor:a])
        pieces.append(REDACTED + "\n" * text.count("\n", a, b))  # keep the file's line numbers
        cursor = b
    pieces.append(text[cursor:end])
    block = "".join(pieces)
    return redact_lines(block, secrets), text.count("\n", 0, start)


_ATTRIBUTE_LINE = re.compile(
    r"""^(?P<lead>\s*)(?P<q>"?)(?P<name>[A-Za-z_][\w.-]*)(?P=q)(?P<sep>\s*[=:]\s*)(?P<value>.*?)(?P<tail>\s*,?\s*)$"""
)
_HEREDOC = re.compile(r"^<<-?\s*([A-Za-z_]\w*)\s*$")


def redact_lines(block: str, secrets: Secrets | None = None) -> str:
    """Line-based second layer: `name = value` / `"name": value` lines with a secret-looking name."""
    lines = block.split("\n")
    out: list[str] = []
    skip_until: str | None = None
    for line in lines:
        if skip_until is not None:
            if line.strip() == skip_until:
                skip_until = None
            out.append("")  # keep the file's line numbers
            continue
        m = _ATTRIBUTE_LINE.match(line)
        if m and is_sensitive_name(m.group("name")):
            value = m.group("value")
            heredoc = _HEREDOC.match(value)
            if heredoc:
                skip_until = heredoc.group(1)
            if heredoc or (
                value
                and REDACTED not in value
                and not _is_bool_literal(value)
                and value not in ("{", "[", "(")
            ):
                line = f"{m.group('lead')}{m.group('q')}{m.group('name')}{m.group('q')}{m.group('sep')}"
                line += REDACTED + m.group("tail")
        out.append(line)
    text = "\n".join(out)
    return scrub(text, secrets.values) if secrets else text


def scrub(text: str, values: Iterable[str]) -> str:
    """Third layer: remove every known secret value wherever it still appears (longest first)."""
    for value in sorted(set(values), key=len, reverse=True):
        if len(value) >= MIN_SCRUB_LENGTH and value in text:
            text = text.replace(value, REDACTED_BARE)
    return text
