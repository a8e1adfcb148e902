"""`.advisor.toml` and the user's own config: discovery, trust, validation with file-and-line errors.

Unknown keys are errors, not silently ignored: a misspelt `[rules] disabel` must not leave a user
believing a rule is off.

The trust boundary: a repository's `.advisor.toml` describes the code (rules, severities, tags,
environments, usage, unit, budgets). It never decides where data is sent, which secret is read or where
files are written, so its `[explain]` table is reported and ignored. The explain settings come from the
user alone: their config file (`$XDG_CONFIG_HOME/advisor/config.toml`), the environment, command-line
flags and the editor's user settings. A config file that another user could have written (owned by
someone other than this user or root, writable by others, or in a folder others control) is not read.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

CONFIG_NAME = ".advisor.toml"
USER_ONLY_TABLE = "explain"  # the table a repository's config may not set
MAX_CONFIG_BYTES = 1 << 20  # a config is a few lines; more is not a config
URL_SCHEMES = ("http://", "https://")
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


class UntrustedConfig(ConfigError):
    """A config file that another user could have written: not read (`check_config_owner`)."""


@dataclass(slots=True)
class ExplainConfig:
    """The explain pass's settings, all from the user (see `load_user_explain`), never a repository."""

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
    cache_dir: str = ""  # "" = the private per-user folder; the user config makes it absolute
    stream: bool = False  # ask for Server-Sent Events and assemble the answer as it arrives


@dataclass(frozen=True, slots=True)
class ExplainOverrides:
    """Explain settings given for this run by the command line or the editor's user settings.

    None leaves the setting to the environment, the user's config file and the defaults.
    """

    enabled: bool | None = None
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None


@dataclass(frozen=True, slots=True)
class IgnoredSetting:
    """A key of a repository's config that only the user may set: reported once, then ignored."""

    path: str
    line: int | None
    key: str  # "base_url", or "" for the `[explain]` table as a whole


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
    # `--usage-file` figures (`advisor.usage_file`): (address pattern, figures) in the order they apply,
    # over `usage`; a pattern's `*` is any text and `[*]` any instance key
    usage_file: list[tuple[str, dict[str, float]]] = field(default_factory=list)
    unit_name: str | None = None
    unit_monthly_volume: float | None = None
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    ignored: list[IgnoredSetting] = field(default_factory=list)  # user-only keys this file tried to set

    def ignored_message(self) -> str | None:
        """One line naming the file and every user-only key it tried to set with its line, or None."""
        if not self.ignored:
            return None
        first = self.ignored[0]
        where = f"{first.path}:{first.line}" if first.line else first.path
        keys = [f"{i.key} on line {i.line}" if i.line else i.key for i in self.ignored if i.key]
        listed = f" ({', '.join(keys)})" if keys else ""
        return (
            f"{where}: [{USER_ONLY_TABLE}] ignored{listed}: a project's config cannot choose where data is "
            f"sent, which secret is read or where files are written; set them in {user_config_display()}, "
            "the environment or a command-line flag"
        )

    def unit(self) -> tuple[str, float] | None:
        """(name, monthly volume) for unit economics, when `[unit]` is configured."""
        if self.unit_name and self.unit_monthly_volume:
            return self.unit_name, self.unit_monthly_volume
        return None

    def usage_for(self, address: str, rtype: str) -> dict[str, float]:
        """Usage assumptions for a resource: the most specific matching pattern wins, and a usage
        file's figures win over `[usage]`."""
        if not self.usage and not self.usage_file:
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
        from_config = set(merged)
        for pattern, figures in self.usage_file:
            if pattern in (rtype, base) or _usage_file_pattern(pattern).fullmatch(address):
                for key in figures:  # the file's figure replaces [usage]'s under another name too
                    for other in USAGE_SYNONYMS.get(key, ()):
                        if other in from_config:
                            merged.pop(other, None)
                merged.update(figures)
        return merged


# Usage keys that estimators read as one quantity under two names (`usage_number("a", "b")`)
_SYNONYM_PAIRS = (
    ("average_duration_ms", "request_duration_ms"),
    ("monthly_hours", "monthly_hrs"),
    ("storage_gb", "monthly_storage_gb"),
    ("storage_gb", "standard_storage_gb"),
    ("monthly_ingested_gb", "monthly_data_ingested_gb"),
    ("backup_storage_gb", "additional_backup_storage_gb"),
    ("api_throughput_limit_requests", "monthly_api_interactions"),
)
USAGE_SYNONYMS: dict[str, tuple[str, ...]] = {}
for _a, _b in _SYNONYM_PAIRS:
    USAGE_SYNONYMS[_a] = (*USAGE_SYNONYMS.get(_a, ()), _b)
    USAGE_SYNONYMS[_b] = (*USAGE_SYNONYMS.get(_b, ()), _a)


@functools.lru_cache(maxsize=256)
def _usage_file_pattern(pattern: str) -> re.Pattern[str]:
    """A usage file's address pattern as a regular expression: `[*]` is any instance key, `*` any text."""
    parts = [re.escape(p).replace(r"\*", ".*") for p in pattern.split("[*]")]
    return re.compile(r"\[[^\]]*\]".join(parts))


_EXPLAIN_SCHEMA: dict[str, Any] = {
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
}
_USER_SCHEMA: dict[str, Any] = {USER_ONLY_TABLE: _EXPLAIN_SCHEMA}
_SCHEMA: dict[str, Any] = {
    "region": str,
    "fail_on": str,
    "rules": {"disable": list, "severity": dict},
    "tags": {"required": list},
    "environments": {"non_production": list, "production": list},
    "usage": dict,
    "unit": {"name": str, "monthly_volume": (int, float)},
    # Read only from the user's own config: in a repository's it is reported and ignored.
    USER_ONLY_TABLE: _EXPLAIN_SCHEMA,
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
    """Walk up from a file or folder to the nearest `.advisor.toml` (whether it may be read is
    `check_config_owner`'s question: the search stops at the first one either way)."""
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


# -- who could have written a config file ---------------------------------------------------------------
def _private_group(gid: int, uid: int) -> bool:
    """Whether `gid` is the user private group of `uid` (named after the user, no other members): the
    default on Debian, Ubuntu and Fedora, whose umask 002 makes every new file group-writable."""
    try:
        import grp
        import pwd

        group = grp.getgrgid(gid)
        user = pwd.getpwuid(uid)
    except (ImportError, KeyError):
        return False
    return user.pw_gid == gid and group.gr_name == user.pw_name and set(group.gr_mem) <= {user.pw_name}


def _written_by_others(info: os.stat_result, what: str) -> str | None:
    """Why someone other than this user or root could have changed `what` (a file or folder), or None."""
    if info.st_uid not in (os.geteuid(), 0):
        return f"{what} belongs to another user (uid {info.st_uid})"
    mode = info.st_mode
    if mode & stat.S_IWOTH or (mode & stat.S_IWGRP and not _private_group(info.st_gid, info.st_uid)):
        return f"other users can write to {what} (mode {stat.S_IMODE(mode):o})"
    return None


def check_config_owner(path: str, info: os.stat_result | None = None, *, named_hint: bool = True) -> None:
    """Raise `ConfigError` unless only this user or root could have written `path` and its folder.

    Like git's `safe.directory`: a config changes what Advisor reports, so one that another local user
    could have put there (in /tmp, a shared folder, a checkout owned by someone else) is not read.
    `info` is the file's `fstat` when it is already open. Without POSIX owners (Windows) nothing is
    checked.
    """
    if not hasattr(os, "geteuid"):
        return
    why = _written_by_others(info if info is not None else os.stat(path), "it")
    if why is None:
        folder = os.path.dirname(os.path.abspath(path))
        try:
            why = _written_by_others(os.stat(folder), f"its folder {folder}")
        except OSError:
            why = None
    if why is not None:
        hint = "; advisor --config FILE reads a file you name anyway" if named_hint else ""
        raise UntrustedConfig(
            path,
            None,
            f"not read: {why}; Advisor reads only config files that you or root own and no one else "
            f"can write{hint}",
        )


def read_config_text(path: str, *, check_owner: bool = True, named_hint: bool = True) -> str:
    """The text of a config file, refused (`ConfigError`) when another user could have written it,
    when it is not a regular file (a FIFO would block), or when it is too large to be a config."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigError(path, None, f"cannot read: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(path, None, "not read: it is not a regular file")
        if check_owner:
            check_config_owner(path, info, named_hint=named_hint)
        data = f.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(path, None, f"not read: larger than {MAX_CONFIG_BYTES // 1024} KiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(path, None, f"cannot read: not UTF-8 (byte {exc.start})") from None


def load_config(
    path: str | None, known_rules: set[str] | None = None, text: str | None = None, *, named: bool = False
) -> Config:
    """Read, check and validate a repository's config file; `None` gives the defaults.

    `named`: the user gave this file on the command line (`--config`), so its owner is their call; a
    file found by walking up must pass `check_config_owner`. Either way `[explain]` is ignored.
    """
    if path is None:
        return Config()
    if text is None:
        text = read_config_text(path, check_owner=not named)
    return parse_config(path, text, known_rules)


def _load_toml(path: str, text: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ConfigError(path, int(m.group(1)) if m else None, f"invalid TOML: {exc}") from None
    return data


def _user_only_lines(text: str) -> dict[str, int]:
    """1-based line of each key set in `[explain]` (or as `explain.key`), and of the table itself ("")."""
    lines: dict[str, int] = {}
    inside = False
    table = re.compile(rf"\[\s*{USER_ONLY_TABLE}\s*(\.|\])")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("["):
            inside = bool(table.match(line))
            if inside:
                lines.setdefault("", number)
            continue
        m = re.match(rf'(?:"?{USER_ONLY_TABLE}"?\s*\.\s*)?"?([A-Za-z0-9_-]+)"?\s*=', line)
        if m is None:
            continue
        dotted = not inside and re.match(rf'"?{USER_ONLY_TABLE}"?\s*\.', line)
        if inside or dotted:
            lines.setdefault(m.group(1), number)
        elif m.group(1) == USER_ONLY_TABLE:
            lines.setdefault("", number)
    return lines


def _user_only(path: str, text: str, value: Any) -> list[IgnoredSetting]:
    """What a repository's `[explain]` tried to set, each with its line."""
    lines = _user_only_lines(text)
    if not isinstance(value, dict) or not value:
        return [IgnoredSetting(path, lines.get(""), "")]
    return [IgnoredSetting(path, lines.get(key) or lines.get(""), key) for key in value]


def parse_config(path: str, text: str, known_rules: set[str] | None = None) -> Config:
    """A repository's config from its text. `[explain]` is not applied: `Config.ignored` lists what it
    tried to set, for the caller to report once."""
    data = _load_toml(path, text)
    ignored = _user_only(path, text, data.pop(USER_ONLY_TABLE)) if USER_ONLY_TABLE in data else []
    budget = _parse_budget(path, text, data.get("budget"))  # before _check: its errors know the exact line
    _check(path, text, data, _SCHEMA, "")
    cfg = Config(path=path, ignored=ignored)
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
    cfg.budget = budget
    return cfg


# -- the user's own config: the only file the explain settings come from ---------------------------------
def user_config_path() -> Path:
    """`$XDG_CONFIG_HOME/advisor/config.toml`, else `~/.config/advisor/config.toml` (a relative
    `XDG_CONFIG_HOME` is ignored, as the XDG specification says)."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "advisor" / "config.toml"


def user_config_display() -> str:
    """The user config's path for messages, with the home folder as `~`."""
    path = str(user_config_path())
    home = os.path.expanduser("~")
    return "~" + path[len(home) :] if home not in ("", "/") and path.startswith(home + os.sep) else path


def _check_url(url: str, where: str, line: int | None = None) -> str:
    url = url.strip()
    if not url.lower().startswith(URL_SCHEMES):
        raise ConfigError(
            where, line, f"the explain endpoint must be an http:// or https:// URL, not {url!r}"
        )
    return url


def parse_user_config(path: str, text: str) -> ExplainConfig:
    """The user's config file: an `[explain]` table (project settings belong in `.advisor.toml`)."""
    data = _load_toml(path, text)
    for key in data:
        if key != USER_ONLY_TABLE:
            raise ConfigError(
                path,
                _line_of(text, key),
                f"unknown key {key!r}: this file holds only [{USER_ONLY_TABLE}]; "
                f"project settings go in a project's {CONFIG_NAME}",
            )
    _check(path, text, data, _USER_SCHEMA, "")
    explain = ExplainConfig()
    for key, value in data.get(USER_ONLY_TABLE, {}).items():
        setattr(explain, key, value)
    if USER_ONLY_TABLE in data and "base_url" in data[USER_ONLY_TABLE]:
        explain.base_url = _check_url(explain.base_url, path, _line_of(text, "base_url"))
    if explain.cache_dir:
        folder = Path(os.path.expanduser(explain.cache_dir))
        explain.cache_dir = str(folder if folder.is_absolute() else Path(path).parent / folder)
    return explain


def load_user_explain(
    overrides: ExplainOverrides | None = None, environ: Mapping[str, str] | None = None
) -> ExplainConfig:
    """The explain settings in force, from the user alone. Later sources win, setting by setting:

    defaults < the user config file < the environment (`OPENAI_BASE_URL`) < `overrides` (command-line
    flags, or the editor's user settings). The key itself is read, when a request is sent, from the
    variable `api_key_env` names (`OPENAI_API_KEY` unless the user says otherwise).
    Raises `ConfigError` for a user config that is broken or that another user could have written.
    """
    env = os.environ if environ is None else environ
    path = user_config_path()
    explain = ExplainConfig()
    if os.path.lexists(path):
        explain = parse_user_config(str(path), read_config_text(str(path), named_hint=False))
    base_url = env.get("OPENAI_BASE_URL", "").strip()
    if base_url:
        explain.base_url = _check_url(base_url, "OPENAI_BASE_URL")
    if overrides is not None:
        if overrides.enabled is not None:
            explain.enabled = overrides.enabled
        if overrides.base_url is not None:
            explain.base_url = _check_url(overrides.base_url, "the explain base URL setting")
        if overrides.model is not None and overrides.model.strip():
            explain.model = overrides.model.strip()
        if overrides.api_key_env is not None and overrides.api_key_env.strip():
            explain.api_key_env = overrides.api_key_env.strip()
    return explain


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
