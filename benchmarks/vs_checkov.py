"""Advisor against checkov on the same folders: wall time and peak memory, median of several runs.

checkov installs its own `hcl2` module, which clashes with python-hcl2, so it lives in its own virtual
environment: `python benchmarks/vs_checkov.py --setup` creates benchmarks/.work/checkov-venv (PyPI).
Then: `python benchmarks/vs_checkov.py [--corpus DIR] [--runs 3]`. Advisor runs cold (empty cache) and
warm (second run of the unchanged tree). Prints a markdown table for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
CHECKOV_VENV = WORK / "checkov-venv"
TIME = shutil.which("time") or "/usr/bin/time"


def setup() -> None:
    subprocess.run([sys.executable, "-m", "venv", str(CHECKOV_VENV)], check=True)
    subprocess.run([str(CHECKOV_VENV / "bin" / "pip"), "install", "-q", "checkov"], check=True)


def generated_project() -> Path:
    """200 files in 40 modules of realistic Terraform (about 60,000 lines)."""
    sys.path.insert(0, str(HERE))
    from parse import write_project

    root = WORK / "gen200-unique"
    if not root.is_dir():
        write_project(root)
    return root


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in MiB) of one run, measured by GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        subprocess.run(
            [TIME, "-f", "%e %M", "-o", out.name, *cmd],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        wall, rss_kib = out.read().split()[-2:]
    return float(wall), int(rss_kib) // 1024


def run(name: str, folder: Path, runs: int, checkov: Path | None) -> dict[str, object]:
    files = sum(1 for p in folder.rglob("*") if p.suffix in (".tf", ".yaml", ".yml", ".json", ".template"))
    command = Path(sys.executable).with_name("advisor")  # the installed command, as checkov's is
    advisor = [
        *([str(command)] if command.exists() else [sys.executable, "-m", "advisor"]),
        "lint",
        str(folder),
        "--format",
        "json",
        "--fail-on",
        "never",
        "--output",
        os.devnull,
    ]
    cold, warm, rss = [], [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as cache:
            # bytecode caching on, as in an installed package (this tree's CI shell turns it off)
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env["ADVISOR_CACHE_DIR"] = cache
            w, r = timed(advisor, env)
            cold.append(w)
            rss.append(r)
            warm.append(timed(advisor, env)[0])
    row: dict[str, object] = {
        "dataset": name,
        "files": files,
        "advisor_cold": statistics.median(cold),
        "advisor_warm": statistics.median(warm),
        "advisor_rss": max(rss),
    }
    if checkov is not None:
        cmd = [
            str(checkov),
            "-d",
            str(folder),
            "--framework",
            "terraform",
            "cloudformation",
            "--quiet",
            "--compact",
            "-o",
            "json",
            "--skip-download",
        ]
        times, rss_c = [], []
        for _ in range(runs):
            w, r = timed(
                cmd, dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false")
            )
            times.append(w)
            rss_c.append(r)
        row["checkov"] = statistics.median(times)
        row["checkov_rss"] = max(rss_c)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--setup", action="store_true", help="create the checkov virtual environment and exit")
    ap.add_argument("--corpus", type=Path, help="also measure this folder (e.g. the local real-world corpus)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if args.setup:
        setup()
        return
    checkov = CHECKOV_VENV / "bin" / "checkov"
    found: Path | None = checkov if checkov.exists() else None
    if found is None:
        print("checkov not set up (run with --setup); measuring Advisor only", file=sys.stderr)
    datasets = [("examples/", HERE.parent / "examples"), ("generated 200 files", generated_project())]
    if args.corpus:
        datasets.append(("real-world corpus", args.corpus))
    rows = [run(name, folder, args.runs, found) for name, folder in datasets]
    print(
        "| dataset | files | advisor cold | advisor warm | warm speed-up | checkov | checkov ÷ advisor cold "
        f"| peak RSS advisor / checkov | ({os.cpu_count()} cores, median of {args.runs}) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        cold, warm = float(r["advisor_cold"]), float(r["advisor_warm"])  # type: ignore[arg-type]
        ck = r.get("checkov")
        ratio = f"{float(ck) / cold:.1f}×" if ck else "–"  # type: ignore[arg-type]
        ck_s = f"{float(ck):.2f} s" if ck else "–"  # type: ignore[arg-type]
        rss = f"{r['advisor_rss']} / {r.get('checkov_rss', '–')} MiB"
        speedup = f"{cold / warm:.1f}×"
        cells = [
            str(r["dataset"]),
            str(r["files"]),
            f"{cold:.2f} s",
            f"{warm:.2f} s",
            speedup,
            ck_s,
            ratio,
            rss,
            "",
        ]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
