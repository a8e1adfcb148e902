"""A hostile repository or a broken client cannot wedge, stall or outlive the language server.

The real `advisor serve` over stdio and the real command line, as subprocesses:

- a message with broken framing (a garbage header, a wrong Content-Length, a stream that stops or
  ends midway) makes the server log why and exit non-zero, promptly, instead of going deaf;
- worker processes of a batch run die with their parent, even when it is killed with SIGKILL;
- a module that is slow to analyse is stopped after its time budget (an editor setting) and never
  holds up the diagnostics of other files;
- the workspace scan refuses the whole disk, stays inside its folders, and cancels promptly.

Processes are found through /proc (`/proc/<pid>/task/*/children`), so those tests run on Linux only.
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsp_fixtures.harness import GP2, Editor, editor
from lsprotocol import types as lsp

SERVER = [sys.executable, "-m", "advisor", "serve"]
LINUX = sys.platform.startswith("linux")


# 50,000 instances (the most one root module may have) of a block with an expression per instance:
# a tiny file, and over ten seconds of evaluating, pricing and checking.
def counted(blocks: int) -> str:
    """`blocks` resource blocks of 10,000 instances each (`count`), an expression in every instance."""
    return "".join(
        f'resource "aws_instance" "i{b}" {{\n  count         = 10000\n  instance_type = "m4.large"\n'
        f'  tags          = {{ Name = "i-${{count.index}}" }}\n}}\n'
        for b in range(blocks)
    )


SLOW = counted(5)


def volumes(count: int) -> str:
    """`count` EBS volumes, one block each: plain content, and a lot of it to price and check."""
    return "".join(
        f'resource "aws_ebs_volume" "v{i}" {{\n  type = "gp2"\n  size = {10 + i % 50}\n}}\n'
        for i in range(count)
    )


# -- framing ---------------------------------------------------------------------------------------------
def frame(payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


INITIALIZE = frame(
    {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}, "processId": None}}
)
HOVER = {
    "jsonrpc": "2.0",
    "id": 2,
    "method": "textDocument/hover",
    "params": {"textDocument": {"uri": "file:///x.tf"}, "position": {"line": 0, "character": 0}},
}


def serve(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / "server.log"
    proc = subprocess.Popen(
        [*SERVER, "--log-file", str(log)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    return proc, log


def read_message(proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    """One message from the server (skipping nothing: the first one it writes)."""
    assert proc.stdout is not None
    length = 0
    while (line := proc.stdout.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    data: dict[str, Any] = json.loads(proc.stdout.read(length))
    return data


def initialized(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """A server that has answered `initialize`: alive, listening, in sync with its client."""
    proc, log = serve(tmp_path)
    assert proc.stdin is not None
    proc.stdin.write(INITIALIZE)
    proc.stdin.flush()
    while (message := read_message(proc)).get("id") != 1:
        pass
    assert "capabilities" in message["result"]
    return proc, log


def exits(proc: subprocess.Popen[bytes], within: float) -> tuple[int, str]:
    """The exit code and stderr of a server that must leave by itself within `within` seconds."""
    try:
        code = proc.wait(within)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"the server was still running {within} s later") from None
    assert proc.stderr is not None
    return code, proc.stderr.read().decode("utf-8", "replace")


BROKEN = {
    "garbage header": b"Hello there\r\n\r\n",
    "header without CRLF": b"Content-Length: 2\n\n{}",
    "non-numeric length": b"Content-Length: lots\r\n\r\n{}",
    "zero length": b"Content-Length: 0\r\n\r\n",
    "length over the cap": b"Content-Length: 999999999999\r\n\r\n{",
    "no length at all": b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}",
    "a header line that never ends": b"X-Padding: " + b"a" * 100_000,
    # too short: the rest of the body is read as the next header
    "length too short": b"Content-Length: 10\r\n\r\n" + json.dumps(HOVER).encode() + frame(HOVER),
}


@pytest.mark.parametrize("data", list(BROKEN.values()), ids=list(BROKEN))
def test_broken_framing_makes_the_server_exit(tmp_path: Path, data: bytes) -> None:
    proc, log = initialized(tmp_path)
    assert proc.stdin is not None
    proc.stdin.write(data)
    proc.stdin.flush()  # and the pipe stays open: the client is alive, waiting for an answer
    code, stderr = exits(proc, within=5)
    proc.stdin.close()
    assert code != 0
    assert "framing error" in stderr
    assert "framing error" in log.read_text()


def test_a_body_shorter_than_its_length_stops_the_server_after_a_pause(tmp_path: Path) -> None:
    """The bytes a Content-Length promises may come in pieces, but not stop coming midway."""
    proc, log = initialized(tmp_path)
    assert proc.stdin is not None
    body = json.dumps(HOVER).encode()
    proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body) + 40, body))
    proc.stdin.flush()
    started = time.monotonic()
    code, stderr = exits(proc, within=15)
    proc.stdin.close()
    assert code != 0 and time.monotonic() - started >= 4  # it did wait for the rest, a while
    assert "framing error" in stderr and "stopped arriving" in log.read_text()


def test_a_stream_that_ends_mid_message_is_reported(tmp_path: Path) -> None:
    proc, log = initialized(tmp_path)
    assert proc.stdin is not None
    proc.stdin.write(b"Content-Length: 500\r\n\r\n{")
    proc.stdin.close()
    code, stderr = exits(proc, within=5)
    assert code != 0
    assert "ended in the middle of a message" in stderr
    assert "ended in the middle of a message" in log.read_text()


def test_a_well_framed_body_that_is_not_json_is_answered_and_survived(tmp_path: Path) -> None:
    """Framing intact, content wrong: the stream is still in sync, so the server goes on."""
    proc, _ = initialized(tmp_path)
    assert proc.stdin is not None
    proc.stdin.write(b"Content-Length: 5\r\n\r\n{oops" + frame(HOVER))
    proc.stdin.flush()
    while (message := read_message(proc)).get("id") != 2:
        pass
    assert message["result"] is None
    proc.stdin.close()
    code, stderr = exits(proc, within=5)
    assert code == 1  # the stream ended without a shutdown request
    assert "framing error" not in stderr


@pytest.mark.parametrize(
    ("shut_down", "then", "status"),
    [(True, "exit", 0), (True, "close", 0), (False, "exit", 1)],
    ids=["shutdown then exit", "shutdown then the stream ends", "exit without shutdown"],
)
def test_the_exit_status_says_whether_the_client_asked_to_shut_down(
    tmp_path: Path, shut_down: bool, then: str, status: int
) -> None:
    proc, _ = initialized(tmp_path)
    assert proc.stdin is not None
    if shut_down:
        proc.stdin.write(frame({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}))
        proc.stdin.flush()
        while (message := read_message(proc)).get("id") != 3:
            pass
        assert "error" not in message
    if then == "exit":
        proc.stdin.write(frame({"jsonrpc": "2.0", "method": "exit"}))
        proc.stdin.flush()
    proc.stdin.close()
    code, _ = exits(proc, within=10)
    assert code == status


# -- worker processes --------------------------------------------------------------------------------------
def children(pid: int) -> set[int]:
    found: set[int] = set()
    for path in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            with open(path) as f:
                found.update(int(x) for x in f.read().split())
        except OSError:
            pass
    return found


def descendants(pid: int) -> set[int]:
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children(todo.pop()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def running(pid: int) -> bool:
    """Whether a process exists and is not a zombie (a container's init may be slow to reap)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def all_gone(pids: set[int], within: float) -> set[int]:
    """The processes still running after `within` seconds."""
    deadline = time.monotonic() + within
    while (alive := {p for p in pids if running(p)}) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


@pytest.fixture
def big_tree(tmp_path: Path) -> Path:
    """Six modules, about 4 MB of Terraform: well over the size that brings in worker processes."""
    root = tmp_path / "tree"
    for m in range(6):
        (root / f"m{m}").mkdir(parents=True)
        (root / f"m{m}" / "main.tf").write_text(volumes(10_000))
    return root


@pytest.fixture
def reaped() -> Iterator[set[int]]:
    """Pids the test saw: whatever survives the test is killed, so a failure leaves nothing behind."""
    pids: set[int] = set()
    yield pids
    for pid in pids:
        if running(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not LINUX, reason="finds processes through /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_worker_processes_die_with_the_command(
    big_tree: Path, tmp_path: Path, reaped: set[int], sig: signal.Signals
) -> None:
    env = dict(os.environ, ADVISOR_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "advisor", "lint", "--format", "json", str(big_tree)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    reaped.add(proc.pid)
    deadline = time.monotonic() + 60
    while len(workers := descendants(proc.pid)) < 2:
        assert proc.poll() is None, "the run ended before it started worker processes"
        assert time.monotonic() < deadline, "no worker processes"
        time.sleep(0.01)
    reaped.update(workers)
    time.sleep(0.3)  # inside the analysis, not just forked
    workers |= descendants(proc.pid)
    reaped.update(workers)
    assert proc.poll() is None, "the run ended before the test could stop it"
    proc.send_signal(sig)
    proc.wait(10)
    assert all_gone(workers, within=5) == set()


# -- time budget -------------------------------------------------------------------------------------------
def stopped(p: lsp.PublishDiagnosticsParams) -> bool:
    return any("stopped after" in d.message for d in p.diagnostics)


async def test_a_slow_module_is_stopped_and_never_holds_up_other_files(tmp_path: Path) -> None:
    async with editor(tmp_path, init={"analysisTimeoutSeconds": 1}) as s:
        slow = [s.open(f"slow{i}/main.tf", SLOW) for i in range(3)]  # more than the threads
        await asyncio.sleep(0.2)  # they are being analysed
        started = time.monotonic()
        fast = s.open("fast/main.tf", GP2)
        p = await s.wait_for(fast, version=1, timeout=30)
        assert [str(d.code) for d in p.diagnostics] == ["ebs-gp2-to-gp3"]
        assert time.monotonic() - started < 6, "the other file waited for the slow modules"
        server = s.client._server
        assert server is not None
        if LINUX:
            assert descendants(server.pid) == set(), "the server analyses on threads, not processes"
        for uri in slow:
            (d,) = (await s.wait_for(uri, stopped, version=1, timeout=20)).diagnostics
            assert "stopped after 1 s" in d.message and "analysisTimeoutSeconds" in d.message
            assert d.severity == lsp.DiagnosticSeverity.Warning
        # and the server is still itself: an edit elsewhere is analysed as usual
        v = s.insert(fast, 0, 0, "# edited\n")
        assert (await s.wait_for(fast, version=v)).diagnostics


async def test_long_runs_never_hold_up_other_files_whatever_the_budget(tmp_path: Path) -> None:
    """With a budget long enough for slow modules to finish, they still do not queue the others."""
    slow_text = counted(3)  # 30,000 instances: several seconds
    async with editor(tmp_path, init={"analysisTimeoutSeconds": 600}) as s:
        slow = [s.open(f"slow{i}/main.tf", slow_text) for i in range(2)]  # as many as the threads
        await asyncio.sleep(0.2)
        started = time.monotonic()
        fast = s.open("fast/main.tf", GP2)
        p = await s.wait_for(fast, version=1, timeout=60)
        assert [str(d.code) for d in p.diagnostics] == ["ebs-gp2-to-gp3"]
        assert time.monotonic() - started < 6, "the other file waited for the slow modules"
        assert not [q for q in s.published if q.uri in slow], "the slow modules were not that slow"
        for uri in slow:
            assert (await s.wait_for(uri, version=1, timeout=120)).diagnostics  # and they do finish


# -- workspace scan ----------------------------------------------------------------------------------------
SCAN = "advisor.scanWorkspace"


async def scan(s: Editor, *uris: str) -> Any:
    return await asyncio.wait_for(
        s.client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command=SCAN, arguments=list(uris))
        ),
        10,
    )


async def test_the_scan_refuses_the_whole_disk_and_the_home_folder(tmp_path: Path) -> None:
    home = tmp_path / "home" / "me"
    (home / "project").mkdir(parents=True)
    (home / "project" / "main.tf").write_text(GP2)
    async with editor(tmp_path, env={"HOME": str(home)}) as s:
        for folder in ("file:///", home.as_uri(), (tmp_path / "home").as_uri()):
            summary = await scan(s, folder)
            assert summary["modules"] == 0 and summary["scanned"] == 0, summary
            assert any("not scanned" in e for e in summary["errors"]), summary
        shown = [m.message for m in s.client.messages]
        assert any("not scanned" in m for m in shown), shown
        summary = await scan(s, (home / "project").as_uri())  # a project inside the home folder is fine
        assert summary["scanned"] == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
async def test_the_scan_stays_inside_its_folder(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "app").mkdir(parents=True)
    (root / "app" / "main.tf").write_text(GP2)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "main.tf").write_text(GP2)
    os.symlink("/", root / "disk")
    os.symlink(outside, root / "elsewhere")
    os.mkfifo(root / "app" / "pipe.tf")
    async with editor(root) as s:
        mark = len(s.published)
        summary = await scan(s, root.as_uri())
        assert summary["scanned"] == 1 and not summary["cancelled"], summary
        published = {p.uri for p in s.published[mark:]}
        assert s.uri("app/main.tf") in published
        assert all(u.startswith(root.as_uri() + "/") for u in published), published


async def test_cancelling_the_scan_stops_inside_a_slow_module(tmp_path: Path) -> None:
    (tmp_path / "slow").mkdir()
    (tmp_path / "slow" / "main.tf").write_text(SLOW)
    async with editor(tmp_path, init={"analysisTimeoutSeconds": 120}) as s:
        before = set(s.client.progress_reports)
        task = asyncio.ensure_future(
            s.client.workspace_execute_command_async(
                lsp.ExecuteCommandParams(command=SCAN, arguments=[tmp_path.as_uri()])
            )
        )
        while not any(
            any(r.kind == "report" for r in reports)
            for token, reports in s.client.progress_reports.items()
            if token not in before
        ):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.5)  # well inside the slow module
        (token,) = set(s.client.progress_reports) - before
        started = time.monotonic()
        s.client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token=token))
        summary = await asyncio.wait_for(task, 30)
        assert time.monotonic() - started < 3, "the scan went on after it was cancelled"
        assert summary["cancelled"] and summary["scanned"] == 0, summary
