"""Parsing speed: cold parse, one-character edit re-parse, CLI throughput and start-up.

Run: `python benchmarks/parse.py [--runs N]`. Prints a markdown table (median and p95 over the runs)
to paste into benchmarks/README.md. Nothing here is a test: the figures are measured on the machine
it runs on.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BLOCKS = [
    'resource "aws_ebs_volume" "data_{i}" {{\n  availability_zone = "us-east-1a"\n'
    '  type              = "gp2"\n'
    '  size              = {size}\n  tags = {{\n    Name = "data-{i}"\n    team = local.team\n  }}\n}}\n\n',
    'resource "aws_instance" "web_{i}" {{\n  ami           = "ami-0123456789abcdef0"\n'
    "  instance_type = var.size\n"
    '  root_block_device {{\n    volume_type = "gp3"\n    volume_size = {size}\n  }}\n'
    '  tags = merge(local.tags, {{ Name = "web-${{local.env}}-{i}" }})\n}}\n\n',
    'variable "v_{i}" {{\n  type    = number\n  default = {size}\n}}\n\n',
    'resource "aws_lambda_function" "fn_{i}" {{\n  function_name = "fn-{i}"\n'
    '  role          = "arn:aws:iam::1:role/r"\n'
    '  runtime       = "python3.12"\n  handler       = "app.handler"\n  memory_size   = 512\n}}\n\n',
]
HEADER = (
    'provider "aws" {\n  region = "us-east-1"\n}\n\nvariable "size" {\n  default = "m5.large"\n}\n\n'
    'locals {\n  env  = "dev"\n  team = "platform"\n  tags = { team = local.team }\n}\n\n'
)


def generate(lines: int, salt: str = "") -> str:
    """About `lines` lines of Terraform; `salt` makes names (and so the text) unique per file."""
    out = [HEADER]
    n = HEADER.count("\n")
    i = 0
    while n < lines:
        block = BLOCKS[i % len(BLOCKS)].format(i=f"{salt}{i}", size=10 + i % 90)
        out.append(block)
        n += block.count("\n")
        i += 1
    return "".join(out)


def measure(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def bench_parse(runs: int) -> list[tuple[str, float, float]]:
    from advisor.iac import hcl_parse

    rows = []
    for size in (50, 500, 3000):
        text = generate(size)

        def cold(t: str = text) -> None:
            hcl_parse.parse_hcl("bench.tf", t, hcl_parse.HclParser())  # nothing parsed before

        med, p95 = measure(cold, max(3, runs // (10 if size == 3000 else 3)))
        rows.append((f"cold parse, {size} lines", med, p95))

        pos = text.rindex("size              = ") + len("size              = ")
        variants = [text[:pos] + str(d) + text[pos + 1 :] for d in range(10)]
        state = {"k": 0}

        parser = hcl_parse.HclParser()  # what a session remembers: chunks by text, each file's last parse

        def edit(
            variants: list[str] = variants,
            state: dict[str, int] = state,
            parser: hcl_parse.HclParser = parser,
        ) -> None:
            state["k"] += 1
            hcl_parse.parse_hcl("bench.tf", variants[state["k"] % 10], parser)

        hcl_parse.parse_hcl("bench.tf", text, parser)
        med, p95 = measure(edit, runs)
        rows.append((f"edit re-parse, {size} lines", med, p95))

        from advisor.engine import Options, analyze_buffer

        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "main.tf")
            Path(path).write_text(text)
            options = Options()  # not incremental, but one session: parses and prices are remembered
            analyze_buffer(path, {path: text}, options)

            def analyse(
                path: str = path,
                variants: list[str] = variants,
                state: dict[str, int] = state,
                options: Options = options,
            ) -> None:
                state["k"] += 1
                analyze_buffer(path, {path: variants[state["k"] % 10]}, options)

            med, p95 = measure(analyse, max(5, runs // (5 if size == 3000 else 1)))
        rows.append((f"edit re-analysis (parse+evaluate+price+rules), {size} lines", med, p95))
    return rows


def write_project(root: Path) -> int:
    """200 distinct files in 40 modules of 5 (about 60,000 lines); returns the number of lines."""
    total = 0
    for m in range(40):
        mod = root / f"module{m:02d}"
        mod.mkdir(parents=True)
        for f in range(5):
            text = generate(300, salt=f"m{m}f{f}_")
            total += text.count("\n")
            (mod / f"file{f}.tf").write_text(
                text.replace('variable "size"', f'variable "size_{f}"') if f else text
            )
    return total


def bench_cli(runs: int) -> list[tuple[str, float, float]]:
    rows = []
    with tempfile.TemporaryDirectory() as d:
        total = write_project(Path(d))
        cmd = [
            sys.executable,
            "-m",
            "advisor",
            "lint",
            d,
            "--format",
            "json",
            "--fail-on",
            "never",
            "--output",
            os.devnull,
        ]
        times = []
        cold_env = dict(os.environ, ADVISOR_NO_CACHE="1")  # no stored results: every run parses everything
        for _ in range(max(3, runs // 20)):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, env=cold_env)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        rows.append(
            (f"cold CLI, 200 files / {total:,} lines: lines per second", total / med, total / max(times))
        )
        rows.append(("cold CLI, 200 files: wall seconds", med * 1000, max(times) * 1000))
    ver = [sys.executable, "-m", "advisor", "--version"]
    med, p95 = measure(lambda: subprocess.run(ver, check=True, capture_output=True), max(5, runs // 5))
    rows.append(("`advisor --version`", med, p95))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    rows = bench_parse(args.runs) + bench_cli(args.runs)
    print(f"| measurement ({os.cpu_count()} cores, Python {sys.version.split()[0]}) | median | p95 / worst |")
    print("|---|---:|---:|")
    for name, med, p95 in rows:
        unit = "" if "lines per second" in name else " ms"
        print(f"| {name} | {med:,.1f}{unit} | {p95:,.1f}{unit} |")


if __name__ == "__main__":
    main()
