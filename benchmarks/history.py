"""`advisor history` over a synthetic repository: N commits of a tree of M Terraform files.

    python benchmarks/history.py [--commits 500] [--files 2000] [--per-module 20] [--no-cache-commits 20]

The repository is written with `git fast-import` (seconds, not minutes): a first commit with all M files
(M / per-module root modules, each file holding an EBS volume and an instance), then commits that each
resize or retype a resource in one or two files, and now and then add a file or remove one. It then
runs, as subprocesses with a fresh cache folder:

- `advisor history --format json` over every commit (cold: only the first commit is analysed whole;
  each later one re-analyses the modules its files changed, the rest come from the disk store),
- the same again (warm: every module outcome is stored),
- `--max-commits K` with the disk store off (ADVISOR_NO_CACHE=1), which is what analysing each commit
  from scratch (or through editor-style overlays, which bypass the store) costs per commit,

and prints a markdown table: wall time, and the CPU time of the command and its workers (on a shared
machine the wall time mostly measures the other jobs).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TYPES = ["m5.large", "m5.xlarge", "t3.medium", "c5.large", "r5.large"]


def resource_file(module: int, index: int, size: int, itype: str) -> str:
    return (
        f'resource "aws_ebs_volume" "data_{module}_{index}" {{\n'
        f'  availability_zone = "us-east-1a"\n  type = "gp2"\n  size = {size}\n}}\n'
        f'resource "aws_instance" "app_{module}_{index}" {{\n'
        f'  ami = "ami-0123456789abcdef0"\n  instance_type = "{itype}"\n}}\n'
    )


def build(repo: Path, commits: int, files: int, per_module: int, seed: int = 7) -> None:
    """Write the repository with one `git fast-import` stream."""
    rng = random.Random(seed)
    subprocess.run(["git", "-c", "init.defaultBranch=main", "init", "-q", str(repo)], check=True)
    state: dict[str, tuple[int, int, int, str]] = {}
    for n in range(files):
        module, index = divmod(n, per_module)
        state[f"envs/m{module:04d}/r{index:03d}.tf"] = (module, index, 100, TYPES[n % len(TYPES)])
    for module in range(-(-files // per_module)):
        state[f"envs/m{module:04d}/provider.tf"] = (module, -1, 0, "")
    chunks: list[bytes] = []
    stamp = 1_780_000_000  # 2026-05-28

    def blob(path: str) -> bytes:
        module, index, size, itype = state[path]
        if index < 0:
            return b'provider "aws" {\n  region = "us-east-1"\n}\n'
        return resource_file(module, index, size, itype).encode()

    def commit(n: int, message: str, changes: list[tuple[str, str]]) -> None:
        lines = [f"commit refs/heads/main\nmark :{n + 1}\n".encode()]
        lines.append(f"committer Bench <bench@example.invalid> {stamp + n * 3600} +0000\n".encode())
        lines.append(f"data {len(message)}\n{message}\n".encode())
        if n:
            lines.append(f"from :{n}\n".encode())
        for op, path in changes:
            if op == "D":
                lines.append(f"D {path}\n".encode())
            else:
                data = blob(path)
                lines.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        chunks.append(b"".join(lines))

    commit(0, "Initial infrastructure", [("M", p) for p in sorted(state)])
    resources = [p for p in state if not p.endswith("provider.tf")]
    for n in range(1, commits):
        changes: list[tuple[str, str]] = []
        roll = rng.random()
        if roll < 0.05:
            module = rng.randrange(-(-files // per_module))
            index = 500 + n
            path = f"envs/m{module:04d}/r{index:03d}.tf"
            state[path] = (module, index, 50, "t3.small")
            resources.append(path)
            changes.append(("M", path))
        elif roll < 0.08 and len(resources) > 1:
            path = resources.pop(rng.randrange(len(resources)))
            del state[path]
            changes.append(("D", path))
        else:
            for path in rng.sample(resources, rng.choice([1, 2])):
                module, index, size, itype = state[path]
                if rng.random() < 0.7:
                    size += rng.choice([10, 50, 100])
                else:
                    itype = rng.choice(TYPES)
                state[path] = (module, index, size, itype)
                changes.append(("M", path))
        commit(n, f"Change {n}", changes)
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(chunks), check=True, capture_output=True
    )


def timed(
    repo: Path, cache: str, *args: str, no_cache: bool = False
) -> tuple[float, float, dict[str, object]]:
    """(wall seconds, CPU seconds of the command and its workers, the JSON it wrote)."""
    import resource

    env = dict(os.environ, ADVISOR_CACHE_DIR=cache)
    if no_cache:
        env["ADVISOR_NO_CACHE"] = "1"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "advisor", "history", "--format", "json", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"advisor history failed ({done.returncode}): {done.stderr[-2000:]}")
    doc: dict[str, object] = json.loads(done.stdout)
    return wall, cpu, doc


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--commits", type=int, default=500)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--per-module", type=int, default=20)
    parser.add_argument("--no-cache-commits", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="advisor-bench-history-") as tmp:
        repo = Path(tmp) / "repo"
        t0 = time.perf_counter()
        build(repo, args.commits, args.files, args.per_module)
        made = time.perf_counter() - t0
        cache = str(Path(tmp) / "cache")
        cold, cold_cpu, doc = timed(repo, cache)
        warm, warm_cpu, _ = timed(repo, cache)
        k = min(args.no_cache_commits, args.commits)
        scratch, scratch_cpu, _ = timed(
            repo, str(Path(tmp) / "cache2"), "--max-commits", str(k), no_cache=True
        )
        commits = doc["commits"]
        assert isinstance(commits, list) and len(commits) == args.commits
        last = commits[-1]
        modules = -(-args.files // args.per_module)
        print(f"Repository: {args.commits} commits, {args.files} files in {modules} root modules")
        print(f"(built in {made:.1f} s); last total ${last['monthly_cost']:,.2f}")
        print()
        print(f"Load average at the end: {os.getloadavg()[0]:.1f} (CPU time is what a quiet machine needs)")
        print()
        print("| run | commits | wall | CPU (user + system) | CPU per commit |")
        print("|---|---:|---:|---:|---:|")
        n = args.commits
        for name, count, wall, cpu in (
            ("cold (disk store empty)", n, cold, cold_cpu),
            ("warm (every outcome stored)", n, warm, warm_cpu),
            ("no disk store (ADVISOR_NO_CACHE=1)", k, scratch, scratch_cpu),
        ):
            print(f"| {name} | {count} | {wall:.1f} s | {cpu:.1f} s | {cpu / count * 1000:.0f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
