"""Real-world run: lint a folder of public IaC with the CLI, then open every file in the server.

    python benchmarks/corpus.py CORPUS_DIR [--server] [--limit N]

CORPUS_DIR is laid out locally from the repositories listed in the project's corpus manifest (never
committed). Reports files per second, crashes (must be 0: an internal error on a module, a traceback,
or a server that stops answering), parse errors with their messages grouped, and findings by rule.
With --server every Terraform and CloudFormation file is also opened in `advisor serve` one after
another; each must get its diagnostics and the server must still answer a request at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
IAC_SUFFIXES = (".tf", ".tfvars", ".tf.json", ".yaml", ".yml", ".json", ".template")


def cli_run(corpus: Path) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as cache, tempfile.NamedTemporaryFile(suffix=".json") as out:
        env = dict(os.environ, ADVISOR_CACHE_DIR=cache)
        cmd = [
            sys.executable,
            "-m",
            "advisor",
            "lint",
            str(corpus),
            "--format",
            "json",
            "--fail-on",
            "never",
            "--output",
            out.name,
        ]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        # exit 3 is an honest "analysis incomplete" (skipped or unread files, limits): still a report
        doc = json.loads(Path(out.name).read_text()) if proc.returncode in (0, 3) else {}
    errors = doc.get("errors", [])
    crashes = [e for e in errors if "internal error" in e["message"]]
    if proc.returncode not in (0, 3) or "Traceback" in proc.stderr:
        crashes.append({"path": str(corpus), "message": proc.stderr.strip()[-500:]})
    lines = 0
    for f in corpus.rglob("*"):
        if f.is_file() and f.name.endswith(IAC_SUFFIXES):
            with contextlib.suppress(OSError):
                lines += f.read_bytes().count(b"\n")
    return {
        "wall": wall,
        "summary": doc.get("summary", {}),
        "lines": lines,
        "crashes": crashes,
        "parse_errors": collections.Counter(
            (e["message"].split(" (")[0][:70]) for e in errors if "internal error" not in e["message"]
        ),
        "error_files": sorted({e["path"] for e in errors}),
        "rules": collections.Counter(f["rule"] for f in doc.get("findings", [])),
    }


async def server_run(corpus: Path, limit: int | None) -> dict[str, object]:
    sys.path.insert(0, str(HERE))
    from advisor.iac.cloudformation import looks_like_template
    from lsp import Client

    def is_iac(p: Path) -> bool:
        if p.name.endswith((".tf", ".tfvars", ".tf.json")):
            return True
        try:  # other YAML/JSON gets no diagnostics at all: open only what is a template
            return looks_like_template(p.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return False

    files = sorted(
        p for p in corpus.rglob("*") if p.is_file() and p.name.endswith(IAC_SUFFIXES) and is_iac(p)
    )
    if limit:
        files = files[:limit]
    client = Client()
    await client.start(corpus)
    opened = timeouts = 0
    t0 = time.perf_counter()
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        uri = path.as_uri()
        since = len(client.arrivals)
        language = (
            "terraform"
            if path.suffix in (".tf", ".tfvars")
            else "yaml"
            if path.suffix in (".yaml", ".yml")
            else "json"
        )
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}},
        )
        opened += 1
        try:
            await client.wait(uri, None, since, timeout=30)
        except TimeoutError:
            timeouts += 1
        client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    wall = time.perf_counter() - t0
    alive = True
    try:
        await client.request(
            "workspace/executeCommand", {"command": "advisor.noSuchCommand", "arguments": []}
        )
    except Exception:
        alive = client.proc is not None and client.proc.returncode is None
    await client.stop()
    return {"opened": opened, "wall": wall, "no_diagnostics": timeouts, "alive": alive}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--server", action="store_true", help="also open every file in the language server")
    ap.add_argument("--limit", type=int, help="open at most N files in the server")
    args = ap.parse_args()
    cli = cli_run(args.corpus)
    summary = cli["summary"]
    assert isinstance(summary, dict)
    wall = float(cli["wall"])  # type: ignore[arg-type]
    print(
        f"CLI: {summary.get('files', 0)} files ({cli['lines']:,} lines) in {wall:.1f} s = "
        f"{summary.get('files', 0) / wall:.0f} files/s, {int(cli['lines']) / wall:,.0f} lines/s"
    )  # type: ignore[call-overload]
    print(
        f"     {summary.get('resources', 0)} resources, {summary.get('findings', 0)} findings, "
        f"crashes: {len(cli['crashes'])}"
    )  # type: ignore[arg-type]
    for crash in cli["crashes"]:  # type: ignore[attr-defined]
        print(f"     CRASH {crash['path']}: {crash['message']}")
    print("Parse errors by message:")
    for message, n in cli["parse_errors"].most_common():  # type: ignore[attr-defined]
        print(f"  {n:4d}  {message}")
    print("Files with errors:")
    for path in cli["error_files"]:  # type: ignore[attr-defined]
        print(f"  {path}")
    print("Findings by rule:")
    for rule, n in cli["rules"].most_common():  # type: ignore[attr-defined]
        print(f"  {n:5d}  {rule}")
    if args.server:
        srv = asyncio.run(server_run(args.corpus, args.limit))
        print(
            f"Server: opened {srv['opened']} files in {float(srv['wall']):.1f} s "  # type: ignore[arg-type]
            f"({int(srv['opened']) / float(srv['wall']):.1f} files/s); without diagnostics: "  # type: ignore[call-overload,arg-type]
            f"{srv['no_diagnostics']}; still answering: {srv['alive']}"
        )
    sys.exit(1 if cli["crashes"] else 0)


if __name__ == "__main__":
    main()
