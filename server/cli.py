"""The `advisor` command line. Imports are lazy so `advisor --version` and `serve` start fast."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from typing import TYPE_CHECKING, Any

from advisor import __version__
from advisor.batch import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    EXIT_OK,
    UsageError,
    check_paths,
    incomplete_note,
    load_config_for,
    options_for,
    write_output,
)

if TYPE_CHECKING:
    from collections.abc import Callable


EXIT_CODES = (
    "Exit codes: 0 no finding at or above --fail-on and no budget exceeded; 1 findings at or above "
    "--fail-on, or a budget exceeded; 2 usage or configuration error; 3 analysis incomplete (an internal "
    "error, a file that could not be read or was skipped, a limit exceeded), even with --fail-on never."
)


def _csv(value: str) -> set[str]:
    return {p.strip() for p in value.split(",") if p.strip()}


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", default=[], metavar="PATH", help="files or folders (default: .)")
    p.add_argument(
        "--region", help="AWS region when the provider does not say (default from config, else us-east-1)"
    )
    p.add_argument(
        "--config", help="path of .advisor.toml (default: found by walking up from the first PATH)"
    )
    p.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE", help="set a Terraform variable"
    )
    p.add_argument(
        "--var-file", action="append", default=[], metavar="FILE", help="read variables from a .tfvars file"
    )
    p.add_argument(
        "--usage-file",
        metavar="FILE",
        help="usage figures in infracost's usage-file format (over [usage] in .advisor.toml)",
    )
    p.add_argument(
        "--workspace", default=None, help="Terraform workspace name (default: TF_WORKSPACE or 'default')"
    )
    p.add_argument("--jobs", "-j", type=int, default=0, help="worker processes (default: CPU count)")
    p.add_argument("--output", "-o", help="write the report to FILE instead of stdout")


def _color_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="colour text output: auto (on a terminal, unless NO_COLOR is set), always or never",
    )


def _lint_arguments(lint: argparse.ArgumentParser) -> None:
    _add_common(lint)
    lint.add_argument("--format", "-f", choices=["text", "json", "sarif", "github"], default="text")
    _color_flag(lint)
    lint.add_argument("--fail-on", choices=["error", "warning", "info", "never"], default=None)
    lint.add_argument("--select", type=_csv, default=set(), metavar="RULE,...", help="only these rules")
    lint.add_argument("--ignore", type=_csv, default=set(), metavar="RULE,...", help="skip these rules")
    lint.add_argument(
        "--explain", action="store_true", help="add LLM explanations (needs [explain] in your user config)"
    )
    _explain_flags(lint)


def _explain_flags(p: argparse.ArgumentParser) -> None:
    """The explain endpoint and model for this run (over OPENAI_BASE_URL and the user config)."""
    p.add_argument(
        "--explain-base-url", metavar="URL", help="OpenAI-compatible endpoint; turns explanations on"
    )
    p.add_argument("--explain-model", metavar="NAME", help="model name sent to the endpoint")


def _cost_arguments(cost: argparse.ArgumentParser) -> None:
    _add_common(cost)
    cost.add_argument("--format", "-f", choices=["text", "json"], default="text")
    _color_flag(cost)


def _serve_arguments(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead (for debugging)")
    serve.add_argument(
        "--stdio", action="store_true", help="use stdio (the default; accepted for editor clients)"
    )
    serve.add_argument("--log-file", help="also write the server log to this file")


def _pricing_arguments(pricing: argparse.ArgumentParser) -> None:
    psub = pricing.add_subparsers(dest="pricing_command", metavar="ACTION")
    status = psub.add_parser(
        "status", help="snapshot source, date and coverage", formatter_class=_help_formatter
    )
    status.add_argument("--format", "-f", choices=["text", "json"], default="text")
    refresh = psub.add_parser(
        "refresh",
        help="update prices from the AWS Price List API (needs AWS credentials)",
        formatter_class=_help_formatter,
    )
    refresh.add_argument(
        "--region", action="append", default=[], help="regions to refresh (repeatable; default us-east-1)"
    )
    refresh.add_argument("--service", action="append", default=[], help="services to refresh (default: all)")
    refresh.add_argument(
        "--spot",
        action="store_true",
        help="fetch current EC2 spot prices (Linux) for the regions instead of list prices; shown beside"
        " on-demand in hovers and cost JSON, never in totals (needs ec2:DescribeSpotPriceHistory)",
    )


def _rules_arguments(rules: argparse.ArgumentParser) -> None:
    rules.add_argument("--format", "-f", choices=["text", "json"], default="text")


def _explain_arguments(explain: argparse.ArgumentParser) -> None:
    explain.add_argument("location", nargs="?", metavar="FILE:LINE")
    explain.add_argument("--config", help="path of .advisor.toml")
    explain.add_argument("--region")
    explain.add_argument("--stats", action="store_true", help="show token and cost counters")
    _explain_flags(explain)


def _diff_arguments(diff: argparse.ArgumentParser) -> None:
    _add_common(diff)
    diff.add_argument("--base", required=True, metavar="REF", help="git revision to compare against")
    diff.add_argument("--format", "-f", choices=["text", "json", "markdown"], default="text")
    diff.add_argument(
        "--fail-on",
        choices=["error", "warning", "info", "never"],
        default="never",
        help="exit 1 when a new finding has this severity or higher (default: never)",
    )


def _range_arguments(history: argparse.ArgumentParser) -> None:
    """Which commits `history` (and `report --history`) show."""
    history.add_argument(
        "--range", metavar="REV|REV..REV", help="the commits to show, along first parents (default: HEAD)"
    )
    history.add_argument("--since", metavar="DATE", help="commits since a date: 2026-09-01, 30.days")
    history.add_argument("--max-commits", type=int, metavar="N", help="at most the N newest commits")
    history.add_argument("--top", type=int, metavar="N", help="resources shown per change (default 5)")
    history.add_argument(
        "--metrics", metavar="FILE", help="CSV of business figures per month: month,units[,revenue]"
    )
    history.add_argument("--progress", action="store_true", help="count analysed commits on stderr")


def _history_arguments(history: argparse.ArgumentParser) -> None:
    _add_common(history)
    _range_arguments(history)
    history.add_argument("--format", "-f", choices=["text", "json", "csv", "html"], default="text")


def _report_arguments(report: argparse.ArgumentParser) -> None:
    _add_common(report)
    _range_arguments(report)
    report.add_argument(
        "--history", action="store_true", help="add the cost over time and the biggest movers"
    )
    report.add_argument("--svg", metavar="DIR", help="also write the charts as SVG files into DIR")
    report.add_argument("--png", metavar="DIR", help="also write the charts as PNG files into DIR")
    report.add_argument("--markdown", metavar="FILE", help="also write a markdown summary (job summary)")


SUBCOMMANDS: list[tuple[str, str, Callable[[argparse.ArgumentParser], None]]] = [
    ("lint", "check IaC files and report findings with their savings", _lint_arguments),
    ("cost", "monthly cost breakdown per resource and total", _cost_arguments),
    ("serve", "run the language server on stdio", _serve_arguments),
    ("pricing", "price snapshot status and refresh", _pricing_arguments),
    ("rules", "list rules with ids, severities and descriptions", _rules_arguments),
    ("explain", "LLM explanation of the finding at FILE:LINE", _explain_arguments),
    ("diff", "cost and findings delta against a git ref", _diff_arguments),
    ("history", "monthly cost, findings and savings at each commit", _history_arguments),
    ("report", "the current state as one self-contained HTML page", _report_arguments),
]


def _help_formatter(prog: str) -> argparse.HelpFormatter:
    """argparse's help formatter, as wide as the terminal (`COLUMNS`, else the terminal, else 80) as
    argparse would make it, but without importing `shutil`: argparse makes one for every argument it
    adds, and that import alone costs more than the rest of parsing."""
    stream = sys.__stdout__
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
        if not columns and stream is not None:
            columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        columns = 0
    columns = columns or 80
    return argparse.HelpFormatter(prog, width=max(columns, 40) - 2)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser. With `only` (a command name), that command's parser alone: building
    every command's parser is a tenth of a short run's start-up."""
    parser = argparse.ArgumentParser(
        prog="advisor",
        description="Cost-aware Infrastructure-as-Code advisor.",
        epilog=EXIT_CODES,
        formatter_class=_help_formatter,
    )
    parser.add_argument("--version", action="version", version=f"advisor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary, add_arguments in SUBCOMMANDS:
        if only is None or name == only:
            epilog = EXIT_CODES if name in BATCH_COMMANDS else None
            add_arguments(sub.add_parser(name, help=summary, epilog=epilog, formatter_class=_help_formatter))
    return parser


def _text_layout(args: argparse.Namespace) -> tuple[bool, int]:
    """(colour, width) of a text report: `--color`, and the columns of the terminal it goes to."""
    if args.format != "text":
        return False, 0
    from advisor.display import terminal_width
    from advisor.report.text import color_for

    color = color_for(args.color, sys.stdout, to_file=bool(args.output))
    return color, terminal_width(None if args.output else sys.stdout)


def cmd_lint(args: argparse.Namespace) -> int:
    from advisor.engine import Found, analyze_paths, discover
    from advisor.report.common import at_or_above

    check_paths(args)
    if not args.explain and (args.explain_base_url or args.explain_model):
        raise UsageError("--explain-base-url and --explain-model need --explain")
    config = load_config_for(args)
    options = options_for(args, config)
    options.resource_bodies = bool(args.explain)  # the report counts resources; explanations quote them
    fail_on = args.fail_on or config.fail_on
    color, width = _text_layout(args)
    stored_key = None
    found: Found | None = None
    if options.disk_cache and not args.explain:  # an unchanged tree: the stored report, as it was
        from advisor.engine import report_key, stored_report

        found = discover(args.paths or ["."])
        stored_key = report_key(found, options, [args.format, fail_on, color, width, os.getcwd()])
        hit = stored_report(options, stored_key)
        if hit is not None:
            write_output(hit.text, args.output)
            sys.stderr.write(hit.stderr)
            return hit.exit_code
    analysis = analyze_paths(args.paths, options, found=found)
    if args.explain:
        from advisor.explain.runner import explain_findings, overrides_from

        explain_findings(analysis, options, overrides=overrides_from(args))
    unit = config.unit()
    region = options.default_region
    if args.format == "json":
        from advisor.report import json_report

        text = json_report.render(analysis, region, unit)
    elif args.format == "sarif":
        from advisor.report import sarif

        text = sarif.render(analysis)
    elif args.format == "github":
        from advisor.report import github

        text = github.render(analysis)
    else:
        from advisor.report import text as text_report

        text = text_report.render(analysis, color=color, unit=unit, width=width)
    write_output(text, args.output)
    breaches = ""
    if config.budget.configured:
        from advisor.budget import lint_budget_breaches

        breaches = lint_budget_breaches(config, analysis, args.paths, options)  # [budget] monthly_total
        sys.stderr.write(breaches)
    code = EXIT_OK
    if breaches or any(at_or_above(f, fail_on) for f in analysis.findings):
        code = EXIT_FINDINGS
    note = incomplete_note(analysis.errors)
    if note:  # whatever --fail-on says: a partial result must not pass as a whole one
        sys.stderr.write(note)
        return EXIT_INCOMPLETE
    if stored_key is not None:  # only complete reports: a defect or an unreadable file may be gone next run
        from advisor.engine import StoredReport, store_report

        store_report(options, stored_key, StoredReport(analysis.inputs, text, breaches, code))
    return code


def cmd_cost(args: argparse.Namespace) -> int:
    from advisor.engine import analyze_paths
    from advisor.report import cost_report

    check_paths(args)
    config = load_config_for(args)
    options = options_for(args, config)
    options.select = {"parse-error"}
    options.resource_bodies = False  # costs are priced in the workers: the report needs no attributes
    analysis = analyze_paths(args.paths, options)
    unit = config.unit()
    region = options.default_region
    if args.format == "json":
        text = cost_report.render_json(analysis, region, unit)
    else:
        color, width = _text_layout(args)
        text = cost_report.render_text(analysis, unit, color=color, width=width)
    write_output(text, args.output)
    note = incomplete_note(analysis.errors)
    sys.stderr.write(note)
    return EXIT_INCOMPLETE if note else EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from advisor.display import json_text, printable
    from advisor.rules.engine import load_rules

    rules = load_rules()
    if args.format == "json":
        doc = [
            {
                "id": r.id,
                "severity": r.severity,
                "title": r.title,
                "rationale": r.rationale,
                "fix_safe": r.safe,
                "doc_url": r.doc_url,
            }
            for r in rules
        ]
        sys.stdout.write(json_text(doc))
        return EXIT_OK
    width = max(len(r.id) for r in rules)
    for r in rules:  # rule tables may come from a refreshed data folder: shown escaped like the rest
        sys.stdout.write(printable(f"{r.id:<{width}}  {r.severity:<7}  {r.title}") + "\n")
    return EXIT_OK


def cmd_pricing(args: argparse.Namespace) -> int:
    if args.pricing_command == "refresh" and args.spot:
        if args.service:
            sys.stderr.write("advisor: --spot fetches spot prices only; it takes no --service\n")
            return EXIT_ERROR
        from advisor.pricing.spot import run_spot_refresh

        return int(run_spot_refresh(regions=args.region or ["us-east-1"]))
    if args.pricing_command == "refresh":
        from advisor.pricing.refresh import run_refresh

        return int(run_refresh(regions=args.region or ["us-east-1"], services=args.service or None))
    from advisor.pricing.catalog import Catalog

    status = Catalog.default().status()
    if getattr(args, "format", "text") == "json":
        import json

        sys.stdout.write(json.dumps(status, indent=2, default=str) + "\n")
        return EXIT_OK
    sys.stdout.write(_status_text(status))
    return EXIT_OK


def _status_text(status: dict[str, Any]) -> str:
    """`advisor pricing status` for people: which snapshot, how old, from where, how much."""
    from advisor.display import printable

    rows = status.get("rows", {})
    lines = [
        f"Prices: {status.get('source', '?')}, as of {status.get('as_of', '?')} "
        f"({status.get('currency', 'USD')})",
        f"File:   {status.get('path', '?')}",
        f"Rows:   {rows.get('price', 0):,} prices, {rows.get('instance_type', 0):,} instance types",
        f"Regions with prices: {len(status.get('regions', []))}; others fall back to "
        f"{status.get('fallback_region', 'us-east-1')} and are marked as estimates",
        "",
        "Sources:",
    ]
    for src in status.get("sources", []):
        dates = ", ".join(src.get("as_of") or []) or "n/a"
        lines.append(f"  {src.get('name')}: {src.get('title')} ({src.get('licence')}; data {dates})")
    for reason in status.get("ignored", []):
        lines.append(f"Ignored: {reason}")
    return "".join(printable(line) + "\n" for line in lines)


def cmd_serve(args: argparse.Namespace) -> int:
    from advisor.lsp.server import run

    return int(run(tcp=args.tcp, log_file=args.log_file))


def cmd_explain(args: argparse.Namespace) -> int:
    from advisor.explain.runner import cli_explain

    return int(cli_explain(args))


def cmd_diff(args: argparse.Namespace) -> int:
    from advisor.commands import cli_diff

    return int(cli_diff(args))


def cmd_history(args: argparse.Namespace) -> int:
    from advisor.commands import cli_history

    return int(cli_history(args))


def cmd_report(args: argparse.Namespace) -> int:
    from advisor.commands import cli_report

    return int(cli_report(args))


BATCH_COMMANDS = {"lint", "cost", "diff", "history", "report"}
COMMANDS: dict[str, Any] = {
    "lint": cmd_lint,
    "cost": cmd_cost,
    "rules": cmd_rules,
    "pricing": cmd_pricing,
    "serve": cmd_serve,
    "explain": cmd_explain,
    "diff": cmd_diff,
    "history": cmd_history,
    "report": cmd_report,
}


def _error_line(message: str) -> None:
    """One line on stderr; messages quote paths, names and values from the repository: escaped."""
    from advisor.display import printable

    sys.stderr.write(printable(message) + "\n")


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    command = next((w for w in words if not w.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help/--version
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    if args.command == "pricing" and args.pricing_command is None:
        args.pricing_command = "status"
    if args.command in BATCH_COMMANDS:
        # A batch run allocates parse trees, resources and findings by the hundred thousand and frees
        # them by reference counting (the engine makes no cycles): the cyclic collector's frequent
        # passes over them find nothing and cost about a fifth of a run. Forked workers inherit this.
        gc.set_threshold(50_000, 50, 100)
    try:
        return int(COMMANDS[args.command](args))
    except UsageError as exc:
        _error_line(f"advisor: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("advisor: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        from advisor.config import ConfigError

        if isinstance(exc, ConfigError):
            _error_line(f"advisor: {exc}")
            return EXIT_ERROR
        import traceback

        from advisor.engine import ISSUES_URL

        _error_line(f"advisor: internal error: {type(exc).__name__}: {exc}")
        _error_line(
            f"advisor: this is a defect in Advisor: please report it at {ISSUES_URL} "
            "(run with ADVISOR_DEBUG=1 for the traceback)"
        )
        if os.environ.get("ADVISOR_DEBUG"):
            traceback.print_exc()
        return EXIT_INCOMPLETE
