"""Language-server speed and memory, measured with a real client over stdio.

    python benchmarks/lsp.py [--edits 40] [--cold-runs 5] [--json]

Measures `python -m advisor serve` with the debounce set to 0:

- edit latency: from writing a `didChange` to having read and parsed the `publishDiagnostics` of that
  version, for generated 50-, 500- and 3,000-line files (one edit in the middle of the file at a time,
  each waited for before the next): a character typed and deleted again, which moves everything
  after it, and for the 3,000-line file also a value overwritten in place, which moves nothing;
- cold start: from launching the server process to the first diagnostic of a file opened at once
  (median of several launches; bytecode caching is on, as in an installed package);
- memory: the server's resident set after opening 200 files (20 modules of 10 files), each analysed.

The client is a minimal JSON-RPC framer (asyncio subprocess pipes, `json` to parse), so the figures
are the server's and not a Python client's object mapping. Files are generated in a temporary
folder; nothing is downloaded. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SERVER = [sys.executable, "-m", "advisor", "serve"]

# One cycle of a realistic module: seven resources the rules have nothing to say about, three with
# findings (gp2, a previous-generation-adjacent m5 with two suggestions, io1 that fits gp3).
BLOCKS = [
    'resource "aws_instance" "app_{i}" {{\n  ami           = "ami-{i:08d}"\n  instance_type = "m7g.large"\n'
    '  tags = {{\n    Name = "app-{i}"\n  }}\n}}\n\n',
    'resource "aws_ebs_volume" "data_{i}" {{\n  availability_zone = "us-east-1a"\n  type = "gp2"\n'
    "  size = {size}\n}}\n\n",
    'resource "aws_s3_bucket" "assets_{i}" {{\n  bucket = "assets-{i}"\n}}\n\n',
    'resource "aws_security_group" "web_{i}" {{\n  name = "web-{i}"\n  ingress {{\n    from_port   = 443\n'
    '    to_port     = 443\n    protocol    = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }}\n}}\n\n',
    'resource "aws_instance" "web_{i}" {{\n  ami           = "ami-{i:08d}"\n'
    '  instance_type = "m5.large"\n}}\n\n',
    'resource "aws_cloudwatch_log_group" "logs_{i}" {{\n  name              = "/app/{i}"\n'
    "  retention_in_days = 30\n}}\n\n",
    'resource "aws_ebs_volume" "scratch_{i}" {{\n  type = "gp3"\n  size = {size}\n}}\n\n',
    'resource "aws_ebs_volume" "fast_{i}" {{\n  type = "io1"\n  size = 500\n  iops = 10000\n}}\n\n',
    'resource "aws_db_instance" "db_{i}" {{\n  engine            = "postgres"\n'
    '  instance_class    = "db.m7g.large"\n  allocated_storage = 100\n  storage_type      = "gp3"\n}}\n\n',
    'resource "aws_iam_role" "role_{i}" {{\n  name = "role-{i}"\n}}\n\n',
]


def generate(lines: int) -> str:
    """Terraform of about `lines` lines cycling through BLOCKS."""
    out: list[str] = []
    count = 0
    for i in itertools.count():
        if count >= lines:
            break
        block = BLOCKS[i % len(BLOCKS)].format(i=i, size=100 + i % 7)
        out.append(block)
        count += block.count("\n")
    return "".join(out)


class Client:
    """Frames JSON-RPC over the server's stdin/stdout and timestamps every publication."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.arrivals: list[tuple[float, str, int | None]] = []  # (time, uri, version)
        self.started = 0.0
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._event = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def start(self, root: Path) -> None:
        self.started = time.perf_counter()
        # bytecode caching on, as in an installed package (this tree's CI shell turns it off)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.proc = await asyncio.create_subprocess_exec(
            *SERVER,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            limit=64 * 1024 * 1024,
        )
        self._reader = asyncio.create_task(self._read())
        caps = {"textDocument": {"publishDiagnostics": {"versionSupport": True}}}
        await self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": "bench"}],
                "capabilities": caps,
                "initializationOptions": {"debounceMs": 0},
            },
        )
        self.notify("initialized", {})

    def _write(self, message: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        body = json.dumps(message).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def notify(self, method: str, params: Any) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    async def request(self, method: str, params: Any) -> Any:
        msg_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        self._write({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return await asyncio.wait_for(future, 60)

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        out = self.proc.stdout
        while True:
            length = 0
            while True:
                line = await out.readline()
                if not line:
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                elif line in (b"\r\n", b"\n"):
                    break
            message = json.loads(await out.readexactly(length))
            now = time.perf_counter()
            if "method" in message and "id" in message:
                self._write({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "id" in message:
                future = self._pending.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message.get("result"))
            elif message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                self.arrivals.append((now, params["uri"], params.get("version")))
                self._event.set()
                self._event = asyncio.Event()

    async def stop(self) -> None:
        assert self.proc is not None
        with contextlib.suppress(Exception):
            await self.request("shutdown", None)
            self.notify("exit", None)
            await asyncio.wait_for(self.proc.wait(), 10)
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        if self._reader is not None:
            self._reader.cancel()

    def open(self, path: Path, text: str) -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        uri = path.as_uri()
        item = {"uri": uri, "languageId": "terraform", "version": 1, "text": text}
        self.notify("textDocument/didOpen", {"textDocument": item})
        return uri

    async def wait(self, uri: str, version: int | None, since: int = 0, timeout: float = 60.0) -> float:
        """Arrival time of the first publication for uri/version at or after index `since`."""
        deadline = time.perf_counter() + timeout
        seen = since
        while True:
            for at, got_uri, got_version in self.arrivals[seen:]:
                if got_uri == uri and (version is None or got_version == version):
                    return at
            seen = len(self.arrivals)
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"no diagnostics for {uri} version {version}")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._event.wait(), remaining)


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident set of a process in MB."""
    fields: dict[str, float] = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value, _unit = line.split()
                fields[name.rstrip(":")] = int(value) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))]


def typing_edit(line: int, k: int) -> dict[str, Any]:
    """Typing a digit and deleting it again: everything after it moves by one character each time."""
    end = 12 if k % 2 == 0 else 13
    return {
        "range": {"start": {"line": line, "character": 12}, "end": {"line": line, "character": end}},
        "text": "0" if k % 2 == 0 else "",
    }


def replacing_edit(line: int, k: int) -> dict[str, Any]:
    """Overwriting a value with one of the same length (`100` → `200`): nothing else moves."""
    return {
        "range": {"start": {"line": line, "character": 9}, "end": {"line": line, "character": 12}},
        "text": str(200 + k % 2),
    }


async def edit_latency(
    client: Client, root: Path, lines: int, edits: int, kind: str = "typing"
) -> dict[str, Any]:
    text = generate(lines)
    uri = client.open(root / f"edit{lines}-{kind}" / "main.tf", text)
    await client.wait(uri, 1)
    all_lines = text.split("\n")
    middle = len(all_lines) // 2
    target = next(n for n in range(middle, len(all_lines)) if all_lines[n].startswith("  size = 10"))
    make = typing_edit if kind == "typing" else replacing_edit
    samples: list[float] = []
    for k in range(edits):
        version = k + 2
        change = make(target, k)
        since = len(client.arrivals)
        sent = time.perf_counter()
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )
        samples.append((await client.wait(uri, version, since) - sent) * 1000)
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    return {
        "lines": text.count("\n"),
        "kind": kind,
        "p50": statistics.median(samples),
        "p95": percentile(samples, 95),
        "max": max(samples),
    }


async def cold_start(root: Path, run: int) -> float:
    client = Client()
    await client.start(root)
    uri = client.open(root / f"cold{run}" / "main.tf", generate(50))
    got = await client.wait(uri, 1)
    await client.stop()
    return (got - client.started) * 1000


async def memory(client: Client, root: Path, files: int = 200, per_module: int = 10) -> tuple[float, float]:
    uris = [
        client.open(root / "mem" / f"m{i // per_module:02d}" / f"f{i % per_module}.tf", generate(50))
        for i in range(files)
    ]
    for uri in uris:
        await client.wait(uri, 1)
    await asyncio.sleep(0.5)
    assert client.proc is not None
    return rss_mb(client.proc.pid)


async def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--edits", type=int, default=40, help="edits measured per file size")
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a markdown table")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="advisor-lsp-bench-") as tmp:
        root = Path(tmp)
        cold = [await cold_start(root, n) for n in range(args.cold_runs)]
        client = Client()
        await client.start(root)
        latencies = [await edit_latency(client, root, n, args.edits) for n in (50, 500, 3000)]
        latencies.append(await edit_latency(client, root, 3000, args.edits, "replacing"))
        rss, peak = await memory(client, root)
        await client.stop()
    results = {"edit": latencies, "cold_start_ms": cold, "rss_mb_200_files": rss, "peak_rss_mb": peak}
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; "
        f"{args.edits} edits per size, debounce 0\n"
    )
    print("| measurement | p50 | p95 | max | target |")
    print("|---|---:|---:|---:|---|")
    for r in latencies:
        target = "p95 ≤ 50 ms" if r["lines"] >= 3000 else ""
        how = "a character typed or deleted" if r["kind"] == "typing" else "a value overwritten in place"
        name = f"edit → diagnostics, {r['lines']:,}-line file, {how}"
        print(f"| {name} | {r['p50']:.1f} ms | {r['p95']:.1f} ms | {r['max']:.1f} ms | {target} |")
    name = f"cold start → first diagnostic ({len(cold)} runs)"
    print(f"| {name} | {statistics.median(cold):.0f} ms | | {max(cold):.0f} ms | ≤ 1,500 ms |")
    print(f"| RSS after opening 200 files | {rss:.0f} MB | | peak {peak:.0f} MB | ≤ 150 MB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
