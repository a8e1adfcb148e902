"""Editor settings (`initializationOptions` and the "advisor" configuration section), validated once.

Editors send whatever their users typed: a bad value is reported and replaced by its default, never
allowed to stop the server. Both the nested form VS Code sends (`{"rules": {"disable": [...]}}`) and
dotted keys (`{"rules.disable": [...]}`) are accepted.

The `explain` settings (on/off, endpoint, model, the key's variable) decide where code is sent and which
secret goes with it, so they must be the user's own. The protocol does not say which settings a client
took from its user settings and which from a workspace, so the server reads `explain` only from
`initializationOptions`, which clients build from their user configuration when they start the server,
and ignores it in `workspace/configuration` answers, which clients fill from workspace and folder
settings (VS Code's `.vscode/settings.json`, Emacs' `.dir-locals.el`). A client that put workspace
values in its initialization options would defeat this: the VS Code extension sends user (global)
values only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from advisor.config import SEVERITY_NAMES, Config, ConfigError, ExplainConfig, ExplainOverrides

DEFAULT_DEBOUNCE_MS = 150
MAX_DEBOUNCE_MS = 10_000
# How long one module's analysis may run before it is stopped (seconds); the user's to choose, never a
# workspace's: it bounds what a repository's content can cost (see `parse_editor_settings`).
TIME_BUDGET_KEY = "analysisTimeoutSeconds"
DEFAULT_TIME_BUDGET = 10.0
MAX_TIME_BUDGET = 600.0
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# editor key → ExplainOverrides field
EXPLAIN_KEYS = {"baseUrl": "base_url", "model": "model", "apiKeyEnv": "api_key_env"}


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """What the editor asked for (initialization options and `workspace/configuration`), validated; the
    project's own `.advisor.toml` is `advisor.config.Config`, which `apply_to` puts these on top of."""

    region: str | None = None
    disable: frozenset[str] = frozenset()
    severity: tuple[tuple[str, str], ...] = ()
    debounce_ms: int = DEFAULT_DEBOUNCE_MS
    inlay_hints: bool = False
    code_lens: bool = True
    time_budget: float = DEFAULT_TIME_BUDGET  # seconds per module analysis
    explain: bool = False  # offer the Explain action (with the user's endpoint: `explain_config`)
    explain_overrides: ExplainOverrides = field(default_factory=ExplainOverrides)
    # The user's explain settings (their config file, the environment, then `explain_overrides`), read
    # when settings are applied with `explain` on; None when off or when they could not be read.
    explain_config: ExplainConfig | None = field(default=None, hash=False)
    # `usageFile`: an infracost usage file inside the workspace (like `--usage-file`), as named, and its
    # figures once the server has read it (`AdvisorServer.apply_settings`, which knows the folders)
    usage_file: str | None = None
    usage_entries: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()

    def apply_to(self, config: Config) -> Config:
        """The project's config with the editor's rule settings and usage file on top (like the CLI's
        flags)."""
        if not self.disable and not self.severity and not self.usage_entries:
            return config
        severity = dict(config.severity)
        severity.update(self.severity)
        usage_file = [(pattern, dict(figures)) for pattern, figures in self.usage_entries]
        return replace(
            config,
            disabled_rules=set(config.disabled_rules) | set(self.disable),
            severity=severity,
            usage_file=usage_file or config.usage_file,
        )


@dataclass(slots=True)
class Parsed:
    settings: ClientSettings
    problems: list[str] = field(default_factory=list)


def _nested(raw: dict[str, Any]) -> dict[str, Any]:
    """Expand dotted keys into nested tables; a section wrapped in {"advisor": {...}} is unwrapped."""
    if isinstance(raw.get("advisor"), dict) and len(raw) == 1:
        raw = raw["advisor"]
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            continue
        parts = key.removeprefix("advisor.").split(".")
        node = out
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        if isinstance(value, dict) and isinstance(node.get(parts[-1]), dict):
            node[parts[-1]].update(value)
        else:
            node[parts[-1]] = value
    return out


def merge(*layers: Any) -> dict[str, Any]:
    """Later layers override earlier ones, table by table."""
    out: dict[str, Any] = {}
    for layer in layers:
        if not isinstance(layer, dict):
            continue
        for key, value in _nested(layer).items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = {**out[key], **value}
            else:
                out[key] = value
    return out


def parse_editor_settings(init_options: Any, workspace: Any, known_rules: set[str]) -> Parsed:
    """Settings from the initialization options with the workspace section on top, except `explain`,
    which is taken from the initialization options alone (see the module's docstring)."""
    user = merge(init_options).get("explain")
    combined = merge(init_options, workspace)
    combined.pop("explain", None)
    if user is not None:
        combined["explain"] = user
    user_budget = merge(init_options).get(TIME_BUDGET_KEY)
    combined.pop(TIME_BUDGET_KEY, None)
    if user_budget is not None:
        combined[TIME_BUDGET_KEY] = user_budget
    parsed = parse_settings(combined, known_rules)
    ws_budget = merge(workspace).get(TIME_BUDGET_KEY)
    if ws_budget is not None and ws_budget != user_budget:
        parsed.problems.append(
            f"advisor.{TIME_BUDGET_KEY} from the workspace configuration ignored: the time budget is "
            "taken only from your user settings (initialization options)"
        )
    # Said when the workspace would turn something on or set a value the user did not: clients that
    # send the same section both ways, or only defaults (false, ""), are not warned at every start.
    ws_explain = merge(workspace).get("explain")
    ws = ws_explain if isinstance(ws_explain, dict) else {"enabled": ws_explain}
    mine = user if isinstance(user, dict) else {"enabled": user}
    differ = [f"advisor.explain.{k}" for k in sorted(ws) if ws[k] and ws[k] != mine.get(k)]
    if differ:
        parsed.problems.append(
            f"{', '.join(differ)} from the workspace configuration ignored: explanations take their "
            "settings only from your user settings (initialization options) and your own config file"
        )
    return parsed


def _explain_settings(data: dict[str, Any], problems: list[str]) -> tuple[bool, ExplainOverrides]:
    section = data.get("explain", {})
    if not isinstance(section, dict):
        section = {"enabled": section}
    enabled = section.get("enabled", False)
    if not isinstance(enabled, bool):
        problems.append(f"advisor.explain.enabled must be true or false, not {enabled!r}")
        enabled = False
    values: dict[str, str | None] = {}
    for key, name in EXPLAIN_KEYS.items():
        value = section.get(key)
        if value is None or value == "":
            values[name] = None  # "" is VS Code's default: not set
        elif not isinstance(value, str) or (key == "apiKeyEnv" and not _ENV_NAME.fullmatch(value)):
            kind = "the name of an environment variable" if key == "apiKeyEnv" else "a string"
            problems.append(f"advisor.explain.{key} must be {kind}, not {value!r}")
            values[name] = None
        else:
            values[name] = value.strip()
    return enabled, ExplainOverrides(
        enabled=True if enabled else None,
        base_url=values["base_url"],
        model=values["model"],
        api_key_env=values["api_key_env"],
    )


def _user_explain(overrides: ExplainOverrides, problems: list[str]) -> ExplainConfig | None:
    from advisor.config import load_user_explain

    try:
        return load_user_explain(overrides)
    except ConfigError as exc:
        problems.append(f"explanations are off: {exc}")
        return None


def parse_settings(raw: Any, known_rules: set[str]) -> Parsed:
    """Settings from an already merged dict; each invalid value falls back to its default."""
    problems: list[str] = []
    data = merge(raw) if isinstance(raw, dict) else {}
    if raw is not None and not isinstance(raw, dict):
        problems.append("settings must be an object; using defaults")
    base = ClientSettings()

    region = data.get("region", None)
    if region is not None and (not isinstance(region, str) or not region.strip()):
        problems.append(f"advisor.region must be a region code such as 'eu-west-1', not {region!r}")
        region = None
    region = region.strip() if isinstance(region, str) and region.strip() else None

    rules = data.get("rules", {})
    if not isinstance(rules, dict):
        problems.append("advisor.rules must be an object with 'disable' and 'severity'")
        rules = {}
    disable: set[str] = set()
    raw_disable = rules.get("disable", [])
    if not isinstance(raw_disable, list):
        problems.append("advisor.rules.disable must be a list of rule ids")
        raw_disable = []
    for rid in raw_disable:
        if isinstance(rid, str) and rid in known_rules:
            disable.add(rid)
        else:
            problems.append(f"advisor.rules.disable: unknown rule id {rid!r}")
    severity: dict[str, str] = {}
    raw_sev = rules.get("severity", {})
    if not isinstance(raw_sev, dict):
        problems.append("advisor.rules.severity must map rule ids to error|warning|info|hint")
        raw_sev = {}
    for rid, sev in raw_sev.items():
        if rid not in known_rules:
            problems.append(f"advisor.rules.severity: unknown rule id {rid!r}")
        elif sev not in SEVERITY_NAMES:
            problems.append(
                f"advisor.rules.severity: {rid} must be one of {', '.join(SEVERITY_NAMES)}, not {sev!r}"
            )
        else:
            severity[rid] = sev

    debounce = data.get("debounceMs", base.debounce_ms)
    if (
        isinstance(debounce, bool)
        or not isinstance(debounce, (int, float))
        or not 0 <= debounce <= MAX_DEBOUNCE_MS
    ):
        problems.append(
            f"advisor.debounceMs must be a number of milliseconds 0..{MAX_DEBOUNCE_MS}, not {debounce!r}"
        )
        debounce = base.debounce_ms

    flags: dict[str, bool] = {}
    for key, default in (("inlayHints", base.inlay_hints), ("codeLens", base.code_lens)):
        value = data.get(key, default)
        if not isinstance(value, bool):
            problems.append(f"advisor.{key} must be true or false, not {value!r}")
            value = default
        flags[key] = value

    budget = data.get(TIME_BUDGET_KEY, base.time_budget)
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not 1 <= budget <= MAX_TIME_BUDGET:
        problems.append(
            f"advisor.{TIME_BUDGET_KEY} must be a number of seconds 1..{MAX_TIME_BUDGET:g}, not {budget!r}"
        )
        budget = base.time_budget

    usage_file = data.get("usageFile")
    if usage_file is not None and not isinstance(usage_file, str):
        problems.append(f"advisor.usageFile must be the path of a usage file, not {usage_file!r}")
        usage_file = None
    usage_file = usage_file.strip() if usage_file and usage_file.strip() else None  # "": not set

    explain, overrides = _explain_settings(data, problems)
    explain_config = _user_explain(overrides, problems) if explain else None

    settings = ClientSettings(
        region=region,
        disable=frozenset(disable),
        severity=tuple(sorted(severity.items())),
        debounce_ms=int(debounce),
        inlay_hints=flags["inlayHints"],
        code_lens=flags["codeLens"],
        time_budget=float(budget),
        explain=explain,
        explain_overrides=overrides,
        explain_config=explain_config,
        usage_file=usage_file,
    )
    return Parsed(settings, problems)
