"""What every batch command (`lint`, `cost`, `diff`, `history`, `report`) shares: its exit codes, the
project's config and the engine's options as the command line sets them, the check of its paths,
where its report goes, and the line that says its analysis is incomplete.

Below the command line and beside the computations that need it (`diff` and `history` analyse each
revision with the options a command line gives), so none of them imports the command line. Imports
are lazy: `advisor --version` imports this module.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.config import Config
    from advisor.engine import Options
    from advisor.model import ParseError

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INCOMPLETE = 0, 1, 2, 3


class UsageError(Exception):
    """A mistake in how the command was called (exit 2, message on stderr)."""


def _parse_vars(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise UsageError(f"--var expects NAME=VALUE, got {item!r}")
        out[name.strip()] = value
    return out


def load_config_for(args: argparse.Namespace) -> Config:
    from advisor.config import find_config, load_config
    from advisor.rules.engine import known_rule_ids

    path = args.config
    if path is None:
        paths = getattr(args, "paths", None) or ["."]
        path = find_config(paths[0])
    elif not os.path.isfile(path):
        raise UsageError(f"config file not found: {path}")
    config = load_config(path, known_rule_ids(), named=args.config is not None)
    ignored = config.ignored_message()  # a project's [explain]: reported once, not applied
    if ignored:
        from advisor.display import printable

        sys.stderr.write(printable(f"advisor: warning: {ignored}") + "\n")
    usage_file = getattr(args, "usage_file", None)
    if usage_file:
        apply_usage_file(config, usage_file)
    return config


def apply_usage_file(config: Config, path: str) -> None:
    """Put an infracost usage file's figures over the config's `[usage]` (`--usage-file`); each key it
    cannot use is a warning on stderr, and a bad file a usage error (exit 2). The file is read once
    per run, however many configurations (one per commit in `history`) it is applied to."""
    try:
        info = os.stat(path)
        stamp = (info.st_mtime_ns, info.st_size)
    except OSError:
        stamp = (0, -1)  # missing or unreadable: read_usage_file says which
    entries = _usage_entries(path, stamp)
    config.usage_file = [(pattern, dict(figures)) for pattern, figures in entries]


@functools.lru_cache(maxsize=4)
def _usage_entries(path: str, stamp: tuple[int, int]) -> tuple[tuple[str, dict[str, float]], ...]:
    """The file's figures, read once per path and version (`stamp`)."""
    from advisor.display import printable
    from advisor.usage_file import UsageFileError, read_usage_file

    try:
        read = read_usage_file(path)
    except UsageFileError as exc:
        raise UsageError(str(exc)) from None
    for warning in read.warnings:
        sys.stderr.write(printable(f"advisor: warning: {warning}") + "\n")
    return tuple(read.entries)


def options_for(args: argparse.Namespace, config: Config) -> Options:
    from advisor.engine import Options
    from advisor.rules.engine import known_rule_ids

    known = known_rule_ids()
    for flag in ("select", "ignore"):
        unknown = sorted(getattr(args, flag, set()) - known)
        if unknown:
            raise UsageError(
                f"--{flag}: unknown rule id{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}"
            )
    for vf in args.var_file:
        if not os.path.isfile(vf):
            raise UsageError(f"--var-file not found: {vf}")
    return Options(
        region=args.region,
        config=config,
        cli_vars=_parse_vars(args.var),
        var_files=list(args.var_file),
        select=set(getattr(args, "select", set())),
        ignore=set(getattr(args, "ignore", set())),
        workspace=args.workspace or os.environ.get("TF_WORKSPACE") or "default",
        jobs=args.jobs,
        disk_cache=os.environ.get("ADVISOR_NO_CACHE", "") in ("", "0"),
    )


def check_paths(args: argparse.Namespace) -> None:
    """A PATH that does not exist is a mistake in the call (exit 2), not an empty analysis."""
    missing = [p for p in args.paths if not os.path.exists(p)]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")


def incomplete_note(errors: list[ParseError]) -> str:
    """The stderr line of a batch command whose analysis is incomplete ("" when it is not): exit 3."""
    from advisor.display import printable, rel

    missing = [e for e in errors if e.incomplete]
    if not missing:
        return ""
    first = missing[0]
    more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
    line = f"advisor: analysis incomplete, exit code 3: {rel(first.path)}: {first.message}{more}"
    return printable(line) + "\n"


def write_output(text: str, output: str | None) -> None:
    """The report into the file `--output` names, else onto stdout."""
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
