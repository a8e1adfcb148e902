"""`lint` and `cost` text fit the terminal: the real command line at 80 and 120 columns on the
examples and on a multi-module fixture (tests/golden/multi), compared with reviewed golden files.

`ADVISOR_UPDATE_GOLDEN=1` rewrites the golden files from the current output (then review the diff).
The other checks hold whatever the goldens say: no line wider than the terminal unless it is a single
word wider than it, every location, rule id, message, address and figure of the JSON report shown.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from advisor.display import display_width

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
TARGETS = {"examples": (ROOT, "examples/"), "multi": (GOLDEN, "multi")}  # (working directory, PATH)
UPDATE = os.environ.get("ADVISOR_UPDATE_GOLDEN", "") not in ("", "0")


def env(columns: int | None, **extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR", "TERM")}
    out["ADVISOR_NO_CACHE"] = "1"
    if columns is not None:
        out["COLUMNS"] = str(columns)
    out.update(extra)
    return out


def advisor(
    *args: str, cwd: Path, columns: int | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "advisor", *args],
        cwd=cwd,
        env=env(columns, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def flat(text: str) -> str:
    """Text with every run of whitespace as one space: what wrapping may change."""
    return " ".join(text.split())


def assert_fits(text: str, width: int) -> None:
    for line in text.splitlines():
        if display_width(line) > width:  # only a single word wider than the terminal may overflow
            words = line.split()
            assert len(words) == 1 and display_width(words[0]) > width, (
                f"{display_width(line)} > {width}: {line!r}"
            )


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("command", ["lint", "cost"])
def test_text_matches_its_golden_file_and_fits_the_width(command: str, target: str, width: int) -> None:
    cwd, path = TARGETS[target]
    r = advisor(command, path, cwd=cwd, columns=width)
    assert r.returncode in ((0, 1) if command == "lint" else (0,)), r.stderr
    assert "\x1b" not in r.stdout  # not a terminal: no colour
    assert_fits(r.stdout, width)
    golden = GOLDEN / f"{command}-{target}-{width}.txt"
    if UPDATE:
        golden.write_text(r.stdout, encoding="utf-8")
    assert r.stdout == golden.read_text(encoding="utf-8"), (
        f"{golden.name} differs: review, then ADVISOR_UPDATE_GOLDEN=1"
    )


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_lint_text_keeps_every_location_rule_and_message(target: str) -> None:
    cwd, path = TARGETS[target]
    doc = json.loads(advisor("lint", path, "--format", "json", cwd=cwd).stdout)
    assert doc["findings"]
    for width in (40, 80):
        text = advisor("lint", path, cwd=cwd, columns=width).stdout
        assert_fits(text, width)
        for f in doc["findings"]:
            assert f"{f['path']}:{f['line']}:{f['column']}:" in text, f
            assert f"{f['severity']}[{f['rule']}]" in text
            assert flat(f["message"]) in flat(text)
        summary = f"in {doc['summary']['files']} files · {doc['summary']['resources']} resources"
        assert summary in flat(text)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_cost_text_keeps_every_address_and_figure(target: str) -> None:
    cwd, path = TARGETS[target]
    doc = json.loads(advisor("cost", path, "--format", "json", cwd=cwd).stdout)
    for width in (40, 80, 120):
        text = advisor("cost", path, cwd=cwd, columns=width).stdout
        assert_fits(text, width)
        lines = text.splitlines()
        for res in doc["resources"]:
            assert any(line.startswith(res["address"]) for line in lines), res  # never cut
            if res["monthly_cost"] is not None:
                assert f"${res['monthly_cost']:,.2f}" in text
            for comp in res["components"] if width >= 80 else []:  # narrower, names wrap beside figures
                assert flat(comp["name"]) in flat(text)
        assert any(line.startswith("Total") and line.endswith(f"${doc['total']:,.2f}") for line in lines)
        assert "per hours" not in text and " 1 resources" not in text


def test_units_are_singular_per_unit_and_plural_by_count() -> None:
    text = advisor("cost", "multi", cwd=GOLDEN, columns=120).stdout
    assert "$0.10 per hour" in text and "730 hours" in text and "$0.0000166667 per GB-second" in text
    assert "$0.20 per 1M requests" in text  # a price per batch keeps its batch


def test_not_priced_is_a_summary_by_type_most_frequent_first() -> None:
    text = advisor("cost", "multi", cwd=GOLDEN, columns=80).stdout
    expected = "Not priced (6 resources): time_sleep ×3, random_id ×2, null_resource ×1"
    assert expected in flat(text)
    assert "time_sleep.settle[0]" not in text  # the JSON report lists each address


def test_one_file_is_counted_once(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_ebs_volume" "data" {\n  availability_zone = "us-east-1a"\n  type = "io1"\n'
        "  size = 500\n  iops = 10000\n}\n",
        encoding="utf-8",
    )
    r = advisor("lint", ".", cwd=tmp_path, columns=120)
    assert "1 finding (1 warning) in 1 file · 1 resource · $712.50/mo" in r.stdout, r.stdout
    doc = json.loads(advisor("lint", ".", "--format", "json", cwd=tmp_path).stdout)
    assert doc["summary"]["files"] == 1


def test_a_pipe_without_columns_is_100_wide() -> None:
    text = advisor("lint", "examples/", cwd=ROOT).stdout
    assert_fits(text, 100)
    assert max(display_width(line) for line in text.splitlines()) > 80  # it did use the room


def on_a_terminal(*args: str, columns: int, **extra: str) -> str:
    """`advisor ARGS` with its output on a pseudo-terminal `columns` wide (COLUMNS unset)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "advisor", *args],
        cwd=ROOT,
        env=env(None, **{"TERM": "xterm", **extra}),
        stdout=follower,
        stderr=subprocess.DEVNULL,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the follower side closed: the command is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def strip_color(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_a_terminal_gets_its_own_width_and_colour() -> None:
    text = on_a_terminal("lint", "examples/", columns=90)
    assert "\x1b[33mwarning[" in text and "\x1b[1mexamples/" in text
    assert_fits(strip_color(text), 90)
    plain = advisor("lint", "examples/", cwd=ROOT, columns=90).stdout
    assert strip_color(text) == plain  # colour never moves a line break


@pytest.mark.parametrize(
    ("flags", "extra"),
    [(["--color", "never"], {}), ([], {"NO_COLOR": "1"}), (["--color", "auto"], {"TERM": "dumb"})],
)
def test_no_colour_when_asked(flags: list[str], extra: dict[str, str]) -> None:
    text = on_a_terminal("lint", "examples/storage", *flags, columns=100, **extra)
    assert "warning[" in text and "\x1b" not in text


def test_colour_always_even_into_a_pipe_and_for_cost() -> None:
    lint = advisor("lint", "examples/storage", "--color", "always", cwd=ROOT, columns=80).stdout
    assert "\x1b[33mwarning[ebs-io1-to-gp3]\x1b[0m" in lint
    assert_fits(strip_color(lint), 80)
    cost = advisor("cost", "examples/storage", "--color", "always", cwd=ROOT, columns=80).stdout
    assert (
        cost.startswith("\x1b[1mResource")
        and strip_color(cost) == advisor("cost", "examples/storage", cwd=ROOT, columns=80).stdout
    )


def test_a_stored_report_is_reused_only_at_its_width(tmp_path: Path) -> None:
    cache = {"ADVISOR_NO_CACHE": "0", "ADVISOR_CACHE_DIR": str(tmp_path / "cache")}
    wide = advisor("lint", "examples/storage", cwd=ROOT, columns=120, **cache).stdout
    narrow = advisor("lint", "examples/storage", cwd=ROOT, columns=60, **cache).stdout
    assert narrow != wide and flat(narrow) == flat(wide)
    assert_fits(narrow, 60)
    assert advisor("lint", "examples/storage", cwd=ROOT, columns=120, **cache).stdout == wide


@pytest.mark.parametrize(
    ("unit", "one"),
    [
        ("hours", "hour"),
        ("GB-seconds", "GB-second"),
        ("KPU-hours", "KPU-hour"),
        ("rWCU-hours", "rWCU-hour"),
        ("alarm metrics", "alarm metric"),
        ("write request units", "write request unit"),
        ("months", "month"),
        ("GB", "GB"),
        ("IOPS", "IOPS"),
        ("MBps", "MBps"),
        ("MiBps", "MiBps"),
        ("1M requests", "1M requests"),
        ("1k objects", "1k objects"),
    ],
)
def test_a_unit_in_the_singular(unit: str, one: str) -> None:
    from advisor.report.cost_report import singular

    assert singular(unit) == one


def test_wide_characters_take_two_columns() -> None:
    assert display_width("東京-production") == 15 and display_width("m4.large → m6g.large (−23%)") == 27
    assert display_width("e\u0301") == 1  # a combining accent takes no column of its own


def test_an_error_at_a_path_wider_than_the_terminal(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder-whose-name-alone-is-wider-than-forty-columns"
    folder.mkdir()
    (folder / "main.tf").write_text('resource "aws_instance" "x" {\n  ami =\n}\n', encoding="utf-8")
    for command in ("lint", "cost"):
        text = advisor(command, folder.name, cwd=tmp_path, columns=40).stdout
        assert_fits(text, 40)
        assert f"{folder.name}/main.tf" in text and "error" in text


def test_an_unknown_size_reads_unknown_not_depends_on_usage(tmp_path: Path) -> None:
    """A size from an unset variable leaves the volume's cost unknown: never "depends on usage", never $0."""
    (tmp_path / "main.tf").write_text(
        'variable "size" {}\nresource "aws_ebs_volume" "v" {\n  availability_zone = "us-east-1a"\n'
        '  type = "gp3"\n  size = var.size\n}\n',
        encoding="utf-8",
    )
    text = advisor("cost", ".", cwd=tmp_path, columns=100).stdout
    assert "unknown quantity" in text and "depends on usage" not in text, text
    assert "Price unknown for 1 resource: aws_ebs_volume.v" in text, text
    doc = json.loads(advisor("cost", ".", "--format", "json", cwd=tmp_path).stdout)
    assert doc["resources"][0]["monthly_cost"] is None
