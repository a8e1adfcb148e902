"""`.advisor.toml`: discovery, validation with file-and-line errors, and defaults.

Unknown keys are errors, not silently ignored: a misspelt `[rules] disabel` must not leave a user
believing a rule is off.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

CONFIG_NAME = ".advisor.toml"
FAIL_ON = ("error", "warning", "info", "never")
SEVERITY_NAMES = ("error", "warning", "info", "hint")


class ConfigError(Exception):
    """A problem in a config file, with the place to fix it."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(slots=True)
class ExplainConfig:
    enabled: bool = False
    base_url: str = "http://localhost:11434/v1"
    model: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"
    max_prompt_tokens: int = 1500
    timeout_seconds: float = 20.0
    max_concurrency: int = 2
    auto: bool = False
    input_price_per_mtok: float | None = None
    output_price_per_mtok: float | None = None
    max_answer_tokens: int = 400
    max_findings: int = 25
    cache_dir: str = ""  # "" = the user cache folder; relative = from the config file's folder
    stream: bool = False  # ask for Server-Sent Events and assemble the answer as it arrives


@dataclass(slots=True)
class BudgetLimits:
    """Guardrails on monthly cost for the whole analysis (`scope` "") or one folder (`[[budget.paths]]`).

    `line` is where the table starts and `lines` where each limit is set, so a breach can point at the
    setting that caused it.
    """

    scope: str = ""
    monthly_total: float | None = None
    monthly_increase: float | None = None
    percent_increase: float | None = None
    line: int | None = None
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return any(v is not None for v in (self.monthly_total, self.monthly_increase, self.percent_increase))


@dataclass(slots=True)
class BudgetConfig:
    """The `[budget]` table: limits for the total and per folder, folders relative to `base_dir`."""

    total: BudgetLimits = field(default_factory=BudgetLimits)
    paths: list[BudgetLimits] = field(default_factory=list)
    base_dir: str = "."

    @property
    def configured(self) -> bool:
        return self.total.configured or any(p.configured for p in self.paths)


@dataclass(slots=True)
class Config:
    path: str | None = None
    region: str | None = None
    fail_on: str = "warning"
    disabled_rules: set[str] = field(default_factory=set)
    severity: dict[str, str] = field(default_factory=dict)
    required_tags: list[str] = field(default_factory=list)
    non_production: list[str] = field(default_factory=lambda: ["dev", "test", "staging", "sandbox"])
    production: list[str] = field(default_factory=lambda: ["prod", "production", "live"])
    usage: dict[str, dict[str, float]] = field(default_factory=dict)
    unit_name: str | None = None
    unit_monthly_volume: float | None = None
    explain: ExplainConfig = field(default_factory=ExplainConfig)
    budget: BudgetConfig = field(default_factory=BudgetConfig)

    def unit(self) -> tuple[str, float] | None:
        """(name, monthly volume) for unit economics, when `[unit]` is configured."""
        if self.unit_name and self.unit_monthly_volume:
            return self.unit_name, self.unit_monthly_volume
        return None

    def usage_for(self, address: str, rtype: str) -> dict[str, float]:
        """Usage assumptions for a resource: the most specific matching pattern wins."""
        if not self.usage:
            return {}
        import fnmatch

        merged: dict[str, float] = {}
        base = re.sub(r"\[[^\]]*\]", "", address)
        for pattern in sorted(self.usage, key=len):
            if (
                fnmatch.fnmatchcase(address, pattern)
                or fnmatch.fnmatchcase(base, pattern)
                or pattern == rtype
            ):
                merged.update(self.usage[pattern])
        return merged


_SCHEMA: dict[str, Any] = {
    "region": str,
    "fail_on": str,
    "rules": {"disable": list, "severity": dict},
    "tags": {"required": list},
    "environments": {"non_production": list, "production": list},
    "usage": dict,
    "unit": {"name": str, "monthly_volume": (int, float)},
    "explain": {
        "enabled": bool,
        "base_url": str,
        "model": str,
        "api_key_env": str,
        "max_prompt_tokens": int,
        "timeout_seconds": (int, float),
        "max_concurrency": int,
        "auto": bool,
        "input_price_per_mtok": (int, float),
        "output_price_per_mtok": (int, float),
        "max_answer_tokens": int,
        "max_findings": int,
        "cache_dir": str,
        "stream": bool,
    },
    "budget": {
        "monthly_total": (int, float),
        "monthly_increase": (int, float),
        "percent_increase": (int, float),
        "paths": list,
    },
}
_BUDGET_LIMITS = ("monthly_total", "monthly_increase", "percent_increase")


def _line_of(text: str, key: str) -> int | None:
    m = re.search(rf'(?m)^\s*"?{re.escape(key)}"?\s*=|^\s*\[{re.escape(key)}\]', text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def find_config(start: str) -> str | None:
    """Walk up from a file or folder to the nearest `.advisor.toml`."""
    d = os.path.abspath(start)
    if not os.path.isdir(d):
        d = os.path.dirname(d)
    while True:
        candidate = os.path.join(d, CONFIG_NAME)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def load_config(path: str | None, known_rules: set[str] | None = None, text: str | None = None) -> Config:
    """Read and validate a config file; `None` gives the defaults."""
    if path is None:
        return Config()
    if text is None:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as exc:
            raise ConfigError(path, None, f"cannot read: {exc.strerror}") from None
    return parse_config(path, text, known_rules)


def parse_config(path: str, text: str, known_rules: set[str] | None = None) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ConfigError(path, int(m.group(1)) if m else None, f"invalid TOML: {exc}") from None
    budget = _parse_budget(path, text, data.get("budget"))  # before _check: its errors know the exact line
    _check(path, text, data, _SCHEMA, "")
    cfg = Config(path=path)
    cfg.region = data.get("region")
    fail_on = data.get("fail_on", "warning")
    if fail_on not in FAIL_ON:
        raise ConfigError(path, _line_of(text, "fail_on"), f"fail_on must be one of {', '.join(FAIL_ON)}")
    cfg.fail_on = fail_on
    rules = data.get("rules", {})
    for rid in rules.get("disable", []):
        if known_rules is not None and rid not in known_rules:
            raise ConfigError(path, _line_of(text, "disable"), f"unknown rule id {rid!r} in [rules] disable")
        cfg.disabled_rules.add(rid)
    for rid, sev in rules.get("severity", {}).items():
        if known_rules is not None and rid not in known_rules:
            raise ConfigError(
                path, _line_of(text, "severity"), f"unknown rule id {rid!r} in [rules] severity"
            )
        if sev not in SEVERITY_NAMES:
            raise ConfigError(
                path, _line_of(text, "severity"), f"severity of {rid!r} must be one of {SEVERITY_NAMES}"
            )
        cfg.severity[rid] = sev
    cfg.required_tags = [str(t) for t in data.get("tags", {}).get("required", [])]
    envs = data.get("environments", {})
    if "non_production" in envs:
        cfg.non_production = [str(e).lower() for e in envs["non_production"]]
    if "production" in envs:
        cfg.production = [str(e).lower() for e in envs["production"]]
    for pattern, assumptions in data.get("usage", {}).items():
        if not isinstance(assumptions, dict):
            raise ConfigError(
                path, _line_of(text, pattern), f"[usage] {pattern!r} must be a table of numbers"
            )
        for k, v in assumptions.items():
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                raise ConfigError(
                    path, _line_of(text, pattern), f"[usage] {pattern}.{k} must be a number >= 0"
                )
        cfg.usage[pattern] = {k: float(v) for k, v in assumptions.items()}
    unit = data.get("unit", {})
    if unit:
        if "name" not in unit or "monthly_volume" not in unit or unit["monthly_volume"] <= 0:
            raise ConfigError(path, _line_of(text, "unit"), "[unit] needs name and a positive monthly_volume")
        cfg.unit_name = unit["name"]
        cfg.unit_monthly_volume = float(unit["monthly_volume"])
    ex = data.get("explain", {})
    for k, v in ex.items():
        setattr(cfg.explain, k, v)
    cfg.budget = budget
    return cfg


def _budget_lines(text: str) -> dict[tuple[int, str], int]:
    """1-based line of each key in `[budget]` (entry -1) and in the n-th `[[budget.paths]]` (entry n)."""
    lines: dict[tuple[int, str], int] = {}
    entry: int | None = None
    count = -1
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if re.match(r"\[\[\s*budget\s*\.\s*paths\s*\]\]", line):
            count += 1
            entry = count
            lines.setdefault((entry, ""), number)
        elif re.match(r"\[\s*budget\s*\]", line):
            entry = -1
            lines.setdefault((entry, ""), number)
        elif line.startswith("["):
            entry = None
        elif entry is not None:
            m = re.match(r'"?([A-Za-z0-9_-]+)"?\s*=', line)
            if m:
                lines.setdefault((entry, m.group(1)), number)
    return lines


def _parse_budget(path: str, text: str, data: Any) -> BudgetConfig:
    """Validate `[budget]` and `[[budget.paths]]`: non-negative numbers, known keys, one entry per folder."""
    budget = BudgetConfig(base_dir=os.path.dirname(os.path.abspath(path)))
    if data is None:
        return budget
    lines = _budget_lines(text)

    def where(entry: int, key: str = "") -> int | None:
        return lines.get((entry, key)) or lines.get((entry, "")) or _line_of(text, key or "budget")

    if not isinstance(data, dict):
        raise ConfigError(path, _line_of(text, "budget"), "'budget' must be a table")

    def limits(table: dict[str, Any], entry: int, scope: str, allowed: tuple[str, ...]) -> BudgetLimits:
        name = "[budget]" if entry < 0 else f"[[budget.paths]] {scope!r}"
        out = BudgetLimits(scope=scope, line=where(entry))
        for key, value in table.items():
            if key not in allowed:
                raise ConfigError(path, where(entry, key), f"unknown key {name} {key!r}")
            if key in ("paths", "path"):
                continue
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ConfigError(path, where(entry, key), f"{name} {key} must be a number >= 0")
            setattr(out, key, float(value))
            out.lines[key] = where(entry, key) or 0
        return out

    budget.total = limits(data, -1, "", (*_BUDGET_LIMITS, "paths"))
    entries = data.get("paths", [])
    if not isinstance(entries, list):
        raise ConfigError(
            path, where(-1, "paths"), "[budget] paths must be a list of tables ([[budget.paths]])"
        )
    seen: set[str] = set()
    for i, item in enumerate(entries):
        if not isinstance(item, dict):
            raise ConfigError(path, where(-1, "paths"), "[budget] paths must be a list of tables")
        folder = item.get("path")
        if not isinstance(folder, str) or not folder.strip():
            raise ConfigError(path, where(i, "path"), '[[budget.paths]] needs path = "<folder>"')
        folder = folder.strip().replace("\\", "/").rstrip("/") or "."
        entry = limits(item, i, folder, (*_BUDGET_LIMITS, "path"))
        if not entry.configured:
            raise ConfigError(
                path, where(i), f"[[budget.paths]] {folder!r} sets none of {', '.join(_BUDGET_LIMITS)}"
            )
        if os.path.normpath(folder) in seen:
            raise ConfigError(path, where(i, "path"), f"[[budget.paths]] {folder!r} is listed twice")
        seen.add(os.path.normpath(folder))
        budget.paths.append(entry)
    return budget


def _check(path: str, text: str, data: dict[str, Any], schema: dict[str, Any], prefix: str) -> None:
    for key, value in data.items():
        if key not in schema:
            where = f"[{prefix}] " if prefix else ""
            raise ConfigError(path, _line_of(text, key), f"unknown key {where}{key!r}")
        expected = schema[key]
        if isinstance(expected, dict):
            if not isinstance(value, dict):
                raise ConfigError(path, _line_of(text, key), f"{key!r} must be a table")
            _check(path, text, value, expected, key)
        elif not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
            raise ConfigError(path, _line_of(text, key), f"{key!r} has the wrong type")
