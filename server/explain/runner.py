"""The command-line side of the explain pass: `advisor explain FILE:LINE` and `advisor lint --explain`.

Explanations are text next to findings; nothing here edits a file. Any failure is one line on
stderr and the lint itself goes on unchanged.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from advisor.explain.errors import ExplainError

if TYPE_CHECKING:
    from advisor.config import Config, ExplainConfig, ExplainOverrides
    from advisor.engine import Analysis, Options
    from advisor.explain.explainer import Explainer, Explanation
    from advisor.explain.prompt import FindingContext
    from advisor.model import Finding

EXIT_OK, EXIT_ERROR = 0, 2
SKIPPED_RULES = frozenset({"parse-error", "unused-ignore"})


def _contexts(findings: Sequence[Finding], analysis: Analysis) -> list[FindingContext]:
    """Each finding's facts and redacted block, from the analysis that found it (its resources,
    costs, and the sensitive variables and values its front-end evaluated)."""
    from advisor.engine import read_text
    from advisor.explain.prompt import finding_context
    from advisor.explain.redact import secrets_of

    secrets = secrets_of(analysis.sensitive_variables, analysis.sensitive_values)
    texts: dict[str, str] = {}
    out = []
    for f in findings:
        path = f.span.path
        if path not in texts:
            texts[path] = read_text(path)[0] or ""
        out.append(
            finding_context(
                f,
                text=texts[path],
                resources=analysis.resources,
                costs=analysis.costs,
                secrets=secrets,
                display_path=_display(path),
            )
        )
    return out


def _display(path: str) -> str:
    """Relative to the working directory when below it; otherwise the file name (no home paths sent)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return os.path.basename(path)
    return os.path.basename(path) if rel.startswith("..") else rel.replace(os.sep, "/")


def _say(stream: TextIO, text: str) -> None:
    """One `advisor: …` line on stderr: paths, messages and endpoint answers quoted in it are escaped."""
    from advisor.display import printable

    stream.write(f"advisor: {printable(text)}\n")
    stream.flush()


def _report_failures(results: Sequence[object], stream: TextIO) -> int:
    """One line per kind of failure (the first one's text, and how many findings it hit)."""
    first: dict[str, str] = {}
    counts: dict[str, int] = {}
    for r in results:
        if isinstance(r, ExplainError):
            first.setdefault(r.kind, r.message)
            counts[r.kind] = counts.get(r.kind, 0) + 1
    for kind, message in first.items():
        n = counts[kind]
        suffix = f" ({n} findings without an explanation)" if n > 1 else ""
        _say(stream, f"explain: {message}{suffix}")
    return sum(counts.values())


def overrides_from(args: argparse.Namespace) -> ExplainOverrides:
    """The explain settings given on the command line. Naming an endpoint there turns explanations
    on for the run: the user chose where the code goes."""
    from advisor.config import ExplainOverrides

    base_url = getattr(args, "explain_base_url", None)
    return ExplainOverrides(
        enabled=True if base_url else None, base_url=base_url, model=getattr(args, "explain_model", None)
    )


def report_ignored(config: Config, stream: TextIO) -> None:
    """One warning for what a project's config may not set (it was not applied)."""
    ignored = config.ignored_message()
    if ignored:
        _say(stream, f"warning: {ignored}")


def explain_findings(
    analysis: Analysis,
    options: Options | None = None,
    *,
    overrides: ExplainOverrides | None = None,
    explain: ExplainConfig | None = None,
    stderr: TextIO | None = None,
) -> int:
    """`lint --explain`: fill `Finding.explanation` for up to `max_findings` findings.

    The settings are the user's (`load_user_explain` with the command line's `overrides`), unless
    `explain` gives them. Returns how many got one. Off or misconfigured: one message, and the lint
    proceeds unchanged.
    """
    from advisor.config import ConfigError, load_user_explain
    from advisor.explain.explainer import Explainer, Explanation, explain_cache_dir, unavailable_reason

    err = stderr or sys.stderr
    if explain is None:
        try:
            explain = load_user_explain(overrides)
        except ConfigError as exc:
            _say(err, f"--explain: {exc}; findings are reported without explanations")
            return 0
    reason = unavailable_reason(explain)
    if reason is not None:
        _say(err, f"--explain: {reason}; findings are reported without explanations")
        return 0
    wanted = [f for f in analysis.findings if f.rule not in SKIPPED_RULES]
    limit = max(0, explain.max_findings)
    if len(wanted) > limit:
        # The largest savings first: they are the ones worth reading about.
        total = len(wanted)
        wanted = sorted(wanted, key=lambda f: -(f.monthly_savings or 0.0))[:limit]
        _say(
            err,
            f"--explain: explaining the {limit} largest savings of {total} findings "
            f"([explain] max_findings = {limit})",
        )
    cache, no_cache = explain_cache_dir(explain)
    if no_cache is not None:
        _say(err, f"--explain: {no_cache}")
    explainer = Explainer(explain, cache)
    try:
        contexts = _contexts(wanted, analysis)
        results = explainer.explain_many(contexts)
    finally:
        explainer.close()
    done = 0
    for finding, result in zip(wanted, results, strict=True):
        if isinstance(result, Explanation):
            finding.explanation = result.text
            done += 1
    _report_failures(results, err)
    return done


def _parse_location(location: str) -> tuple[str, int]:
    path, sep, line = location.rpartition(":")
    if not sep or not path or not line.strip().isdigit() or int(line) < 1:
        raise ValueError(f"expected FILE:LINE (line numbers start at 1), got {location!r}")
    return path, int(line)


def _findings_in(findings: Sequence[Finding], path: str) -> list[Finding]:
    target = os.path.normpath(os.path.abspath(path))
    return [
        f
        for f in findings
        if os.path.normpath(os.path.abspath(f.span.path)) == target and f.rule not in SKIPPED_RULES
    ]


def _findings_at(findings: Sequence[Finding], path: str, line: int) -> list[Finding]:
    here = _findings_in(findings, path)
    exact = [f for f in here if f.span.line + 1 == line]
    if exact:
        return exact
    return [f for f in here if f.span.line + 1 <= line <= f.span.end_line + 1]


def _format(finding: Finding, result: Explanation | ExplainError, path: str, width: int) -> str:
    """The finding as `lint` shows it (its location and rule id whole, the message wrapped under
    them), then its explanation, all in `width` columns."""
    from advisor.display import entry, explanation_lines, glued, printable

    s = finding.span
    where = f"{printable(path)}:{s.line + 1}:{s.column + 1}"
    message = printable(finding.message).replace(" → ", glued(" → "))
    head = "\n".join(entry(where, f"{finding.severity}[{printable(finding.rule)}]", message, width))
    if isinstance(result, ExplainError):
        return head + "\n    (no explanation: see the message above)\n"
    return head + "\n" + "\n".join(explanation_lines(result.text, width)) + "\n"


def _stats_text(explainer: Explainer | None, cache: Path | None, width: int) -> str:
    """Token and cost counts of this run and of every run the ledger recorded, wrapped between words
    (a count or a figure is one word: never cut)."""
    from advisor.display import printable, wrap
    from advisor.explain.explainer import read_ledger

    lines = []
    if explainer is not None:
        lines.append(f"this run: {explainer.stats.summary()}")
    totals = read_ledger(cache) if cache is not None else {}
    if cache is None:
        lines.append("all runs: not counted (explanations run without a cache)")
    elif not totals:
        lines.append(f"all runs: no answers recorded yet ({cache})")
    for model, t in sorted(totals.items()):
        cost = f"${t['cost']:.4f}" if t["cost"] is not None else "cost unknown"
        answers = f"{t['answers']} answer{'s' if t['answers'] != 1 else ''}"
        tokens = f"{t['prompt_tokens']:,} prompt + {t['completion_tokens']:,} completion tokens"
        lines.append(f"all runs, {model}: {answers}; {tokens}; {cost}")
    return "".join(line + "\n" for text in lines for line in wrap(printable(text), width, "", "  "))


def cli_explain(args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """`advisor explain FILE:LINE [--stats]`: lint the file's module and explain the finding(s) there.

    The project's config decides the findings; the explain settings are the user's alone.
    """
    from advisor.config import ConfigError, find_config, load_config, load_user_explain
    from advisor.display import terminal_width
    from advisor.engine import Options, analyze_buffer
    from advisor.explain.explainer import Explainer, explain_cache_dir, unavailable_reason
    from advisor.rules.engine import known_rule_ids

    out = stdout or sys.stdout
    err = stderr or sys.stderr
    location = getattr(args, "location", None)
    if not location:
        if getattr(args, "stats", False):  # totals only, from the ledger in the user's answer cache
            try:
                explain = load_user_explain(overrides_from(args))
            except ConfigError as exc:
                _say(err, str(exc))
                return EXIT_ERROR
            out.write(_stats_text(None, explain_cache_dir(explain)[0], terminal_width(out)))
            return EXIT_OK
        _say(err, "explain needs FILE:LINE, e.g. advisor explain main.tf:14")
        return EXIT_ERROR
    try:
        path, line = _parse_location(location)
    except ValueError as exc:
        _say(err, f"explain: {exc}")
        return EXIT_ERROR
    if not os.path.isfile(path):
        _say(err, f"explain: no such file: {path}")
        return EXIT_ERROR
    config_path = getattr(args, "config", None)
    if config_path is not None and not os.path.isfile(config_path):
        _say(err, f"config file not found: {config_path}")
        return EXIT_ERROR
    try:
        config = load_config(
            config_path or find_config(path), known_rule_ids(), named=config_path is not None
        )
        report_ignored(config, err)
        explain = load_user_explain(overrides_from(args))
    except ConfigError as exc:
        _say(err, str(exc))
        return EXIT_ERROR
    reason = unavailable_reason(explain)
    if reason is not None:
        _say(err, f"explain: {reason}")
        return EXIT_ERROR
    options = Options(region=getattr(args, "region", None), config=config)
    outcome = analyze_buffer(path, {}, options)
    findings = _findings_at(outcome.findings, path, line)
    shown = _display(path)
    if not findings:
        lines = sorted({f.span.line + 1 for f in _findings_in(outcome.findings, path)})
        plural = "s" if len(lines) > 1 else ""
        hint = (
            f"; findings in this file are on line{plural} {', '.join(map(str, lines))}"
            if lines
            else "; this file has no findings"
        )
        _say(err, f"explain: no finding at {shown}:{line}{hint}")
        return EXIT_ERROR
    cache, no_cache = explain_cache_dir(explain)
    if no_cache is not None:
        _say(err, f"explain: {no_cache}")
    explainer = Explainer(explain, cache)
    try:
        contexts = _contexts(findings, outcome)
        results = explainer.explain_many(contexts)
    finally:
        explainer.close()
    failed = _report_failures(results, err)
    width = terminal_width(out)
    out.write("\n".join(_format(f, r, shown, width) for f, r in zip(findings, results, strict=True)))
    if getattr(args, "stats", False):
        out.write("\n" + _stats_text(explainer, explainer.cache_dir, width))
    out.flush()
    return EXIT_ERROR if failed else EXIT_OK
