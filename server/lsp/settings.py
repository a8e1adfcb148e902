"""Editor settings (`initializationOptions` and the "advisor" configuration section), validated once.

Editors send whatever their users typed: a bad value is reported and replaced by its default, never
allowed to stop the server. Both the nested form VS Code sends (`{"rules": {"disable": [...]}}`) and
dotted keys (`{"rules.disable": [...]}`) are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from advisor.config import SEVERITY_NAMES, Config

DEFAULT_DEBOUNCE_MS = 150
MAX_DEBOUNCE_MS = 10_000
# How long one module's analysis may run before it is stopped (seconds); the user's to choose, never a
# workspace's: it bounds what a repository's content can cost (see `parse_editor_settings`).
TIME_BUDGET_KEY = "analysisTimeoutSeconds"
DEFAULT_TIME_BUDGET = 10.0
MAX_TIME_BUDGET = 600.0


@dataclass(frozen=True, slots=True)
class Settings:
    region: str | None = None
    disable: frozenset[str] = frozenset()
    severity: tuple[tuple[str, str], ...] = ()
    debounce_ms: int = DEFAULT_DEBOUNCE_MS
    inlay_hints: bool = False
    code_lens: bool = True
    time_budget: float = DEFAULT_TIME_BUDGET  # seconds per module analysis
    explain: bool = False  # offer the Explain action (the module's [explain] must be configured too)

    def apply_to(self, config: Config) -> Config:
        """The project's config with the editor's rule settings on top (like the CLI's flags)."""
        if not self.disable and not self.severity:
            return config
        severity = dict(config.severity)
        severity.update(self.severity)
        return replace(
            config, disabled_rules=set(config.disabled_rules) | set(self.disable), severity=severity
        )


@dataclass(slots=True)
class Parsed:
    settings: Settings
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


def parse_settings(raw: Any, known_rules: set[str]) -> Parsed:
    """Settings from an already merged dict; each invalid value falls back to its default."""
    problems: list[str] = []
    data = merge(raw) if isinstance(raw, dict) else {}
    if raw is not None and not isinstance(raw, dict):
        problems.append("settings must be an object; using defaults")
    base = Settings()

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

    explain_section = data.get("explain", {})
    explain = explain_section.get("enabled", False) if isinstance(explain_section, dict) else explain_section
    if not isinstance(explain, bool):
        problems.append(f"advisor.explain.enabled must be true or false, not {explain!r}")
        explain = False

    settings = Settings(
        region=region,
        disable=frozenset(disable),
        severity=tuple(sorted(severity.items())),
        debounce_ms=int(debounce),
        inlay_hints=flags["inlayHints"],
        code_lens=flags["codeLens"],
        time_budget=float(budget),
        explain=explain,
    )
    return Parsed(settings, problems)
