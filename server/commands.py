"""The commands `advisor diff`, `advisor history` and `advisor report`: each runs its computation
(`advisor.diff`, `advisor.history`, `advisor.budget`), hands the result to its writer under
`advisor.report`, and maps the outcome to the exit code. `cli` parses their arguments and calls them.

A front door like `cli`: the computations below never render and never import this module.
"""

from __future__ import annotations

import argparse
import os
import sys

from advisor.batch import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    EXIT_OK,
    check_paths,
    incomplete_note,
    load_config_for,
    options_for,
    write_output,
)
from advisor.display import printable, terminal_width


def cli_diff(args: argparse.Namespace) -> int:
    """The `advisor diff` command: report, budget breaches on stderr, exit 0 / 1 / 2 / 3."""
    from advisor.budget import incomplete_budget
    from advisor.diff import DiffError, run_diff
    from advisor.report import diff_report
    from advisor.report.common import at_or_above

    config = load_config_for(args)
    options = options_for(args, config)
    try:
        result = run_diff(args, config, options)
    except DiffError as exc:
        sys.stderr.write(printable(f"advisor: {exc}") + "\n")
        return EXIT_ERROR
    region = options.default_region
    if args.format == "json":
        text = diff_report.render_json(result, region)
    elif args.format == "markdown":
        text = diff_report.render_markdown(result)
    else:
        text = diff_report.render_text(result, terminal_width(None if args.output else sys.stdout))
    write_output(text, args.output)
    for check in result.breaches:
        sys.stderr.write(printable(f"advisor: budget exceeded: {check.message()}") + "\n")
    if result.incomplete:  # either side: exit 3 whatever --fail-on and the budget say
        if result.checks:
            sys.stderr.write(f"advisor: {incomplete_budget([*result.head.errors, *result.base_errors])}\n")
        sys.stderr.write(incomplete_note(result.all_errors()))
        return EXIT_INCOMPLETE
    failing = [f for f in result.new_findings if at_or_above(f, args.fail_on)]
    return EXIT_FINDINGS if result.breaches or failing else EXIT_OK


def cli_history(args: argparse.Namespace) -> int:
    """The `advisor history` command: exit 0, 2 on a usage or git error, 3 when a commit is incomplete."""
    from advisor.config import Config
    from advisor.history import HistoryError, run_history
    from advisor.report import history_report

    for p in args.paths:
        if not os.path.exists(p):
            sys.stderr.write(printable(f"advisor: no such file or folder: {p}") + "\n")
            return EXIT_ERROR
    try:
        history = run_history(args)
    except HistoryError as exc:
        sys.stderr.write(printable(f"advisor: {exc}") + "\n")
        return EXIT_ERROR
    region = args.region or Config().region or "us-east-1"
    if args.format == "json":
        text = history_report.render_json(history, region)
    elif args.format == "csv":
        text = history_report.render_csv(history)
    elif args.format == "html":
        from advisor.report.html import ReportUnavailable, render_history_page

        try:
            text = render_history_page(history, region)
        except ReportUnavailable as exc:
            sys.stderr.write(f"advisor: {exc}\n")
            return EXIT_ERROR
    else:
        text = history_report.render_text(history, terminal_width(None if args.output else sys.stdout))
    write_output(text, args.output)
    for n in history.notes:
        if args.format != "text":
            sys.stderr.write(printable(f"advisor: note: {n}") + "\n")
    if history.incomplete:
        sys.stderr.write("advisor: analysis incomplete at some commits, exit code 3 (see their errors)\n")
        return EXIT_INCOMPLETE
    return EXIT_OK


def cli_report(args: argparse.Namespace) -> int:
    """`advisor report`: the page on stdout or --output, charts into --svg/--png, --markdown summary."""
    from advisor.budget import analyze_rooted
    from advisor.report.html import ReportUnavailable, libraries, render_markdown, render_report

    try:
        libraries()
    except ReportUnavailable as exc:
        sys.stderr.write(f"advisor: {exc}\n")
        return EXIT_ERROR
    check_paths(args)
    config = load_config_for(args)
    options = options_for(args, config)
    options.resource_bodies = False
    rooted = analyze_rooted(args.paths, options)
    history = None
    if args.history:
        from advisor.history import HistoryError, run_history

        try:
            history = run_history(args)
        except HistoryError as exc:
            sys.stderr.write(printable(f"advisor: {exc}") + "\n")
            return EXIT_ERROR
        for note in history.notes:
            sys.stderr.write(printable(f"advisor: note: {note}") + "\n")
    title = "Advisor cost report: " + (
        os.path.basename(os.path.abspath(args.paths[0] if args.paths else "."))
    )
    page, charts = render_report(rooted, options.default_region, history, title)
    write_output(page, args.output)
    for folder, kind in ((args.svg, "svg"), (args.png, "png")):
        if not folder:
            continue
        os.makedirs(folder, exist_ok=True)
        for chart in charts:
            target = os.path.join(folder, f"{chart.name}.{kind}")
            if kind == "svg":
                with open(target, "w", encoding="utf-8") as f:
                    f.write(chart.svg())
            else:
                with open(target, "wb") as fb:
                    fb.write(chart.png())
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(render_markdown(rooted, history))
    note = incomplete_note(rooted.analysis.errors)
    sys.stderr.write(note)
    return EXIT_INCOMPLETE if note or (history is not None and history.incomplete) else EXIT_OK
