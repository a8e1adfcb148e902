"""Nothing a client sends may take the server down: malformed messages, unknown documents, edits
out of range, huge or binary buffers, bursts of changes, and documents opened and closed forever."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from lsp_fixtures.harness import GP2, IO1, Editor, editor, raw_request, send_raw
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def ls(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Editor]:
    root = tmp_path_factory.mktemp("ws")
    async with editor(root, init={"debounceMs": 10}, log_file=root / "server.log") as s:
        yield s


def codes(p: lsp.PublishDiagnosticsParams) -> list[str]:
    return sorted(str(d.code) for d in p.diagnostics)


async def alive(s: Editor) -> None:
    """The server still answers, and still analyses."""
    uri = s.open(f"alive{len(s.published)}/main.tf", GP2)
    assert codes(await s.wait_for(uri, version=1)) == ["ebs-gp2-to-gp3"]


def rss_kb(s: Editor) -> int:
    server = s.client._server
    assert server is not None
    with open(f"/proc/{server.pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


async def test_malformed_params_get_an_error_response(ls: Editor) -> None:
    with pytest.raises(JsonRpcException) as err:
        await raw_request(ls, lsp.TEXT_DOCUMENT_HOVER, {"textDocument": {"uri": 5}, "position": {"line": -1}})
    assert err.value.code == -32602  # InvalidParams
    with pytest.raises(JsonRpcException) as err:
        await raw_request(ls, lsp.TEXT_DOCUMENT_CODE_ACTION, None)
    assert err.value.code == -32602
    notifications = [
        (lsp.TEXT_DOCUMENT_DID_CHANGE, {"textDocument": "nope", "contentChanges": 3}),
        (lsp.TEXT_DOCUMENT_DID_OPEN, {"textDocument": {"uri": "file:///x.tf"}}),
        (lsp.TEXT_DOCUMENT_DID_CLOSE, []),
        ("advisor/unknownNotification", {"x": 1}),
    ]
    for method, params in notifications:
        await send_raw(ls, {"jsonrpc": "2.0", "method": method, "params": params})
    with pytest.raises(JsonRpcException) as err:
        await raw_request(ls, "advisor/unknownRequest", {})
    assert err.value.code == -32601  # MethodNotFound
    await send_raw(ls, b'{"jsonrpc": "2.0", "method": ')  # not JSON at all
    await send_raw(ls, b"[1, 2, 3]")
    await alive(ls)
    logged = "\n".join(m.message for m in ls.client.log_messages)
    assert "invalid params" in logged


async def test_unknown_documents_get_empty_answers(ls: Editor) -> None:
    uri = ls.uri("never/opened.tf")
    doc = lsp.TextDocumentIdentifier(uri)
    zero = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
    assert await ls.client.text_document_hover_async(lsp.HoverParams(doc, lsp.Position(3, 3))) is None
    assert not await ls.client.text_document_code_lens_async(lsp.CodeLensParams(doc))
    assert not await ls.client.text_document_code_action_async(
        lsp.CodeActionParams(doc, zero, lsp.CodeActionContext(diagnostics=[]))
    )
    resolved = await ls.client.code_action_resolve_async(
        lsp.CodeAction(title="x", data={"uri": uri, "key": [1]})
    )
    assert resolved.edit is None
    resolved = await ls.client.code_action_resolve_async(lsp.CodeAction(title="y", data="garbage"))
    assert resolved.edit is None
    ls.client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(version=2, uri=uri),
            [lsp.TextDocumentContentChangeWholeDocument("x")],
        )
    )
    ls.close(uri)
    ls.close("untitled:Untitled-1")
    ls.open("notes.txt", "just text", language="plaintext")
    await alive(ls)


async def test_edits_out_of_range_are_clamped(ls: Editor) -> None:
    uri = ls.open("range/main.tf", GP2)
    await ls.wait_for(uri, version=1)
    far = lsp.Position(500, 80)
    ls.change(uri, [lsp.TextDocumentContentChangePartial(range=lsp.Range(far, far), text="\n" + IO1)])
    v = ls.change(
        uri,
        [
            lsp.TextDocumentContentChangePartial(
                range=lsp.Range(lsp.Position(1, 400), lsp.Position(1, 999)), text=""
            )
        ],
    )  # past the end of a line
    p = await ls.wait_for(uri, version=v)
    assert codes(p) == ["ebs-gp2-to-gp3", "ebs-io1-to-gp3"]


async def test_a_5_mb_document_is_accepted_but_not_analysed(ls: Editor) -> None:
    block = 'resource "aws_ebs_volume" "v%d" {\n  type = "gp2"\n  size = 10\n}\n'
    text = "".join(block % i for i in range(90_000))
    assert len(text) > 5 * 1024 * 1024
    uri = ls.open("huge/main.tf", text)
    (d,) = (await ls.wait_for(uri, version=1, timeout=30)).diagnostics
    assert d.severity == lsp.DiagnosticSeverity.Information and "not analysed" in d.message
    v = ls.insert(uri, 0, 0, "# edit\n")
    assert (await ls.wait_for(uri, version=v, timeout=30)).diagnostics[0].code == "not-analysed"
    await alive(ls)
    ls.close(uri)


async def test_binary_content(ls: Editor) -> None:
    uri = ls.open("binary/main.tf", "\x00\x01\x02garbage\x00" * 100)
    (d,) = (await ls.wait_for(uri, version=1)).diagnostics
    assert "binary" in d.message
    v = ls.replace_all(uri, GP2)
    assert codes(await ls.wait_for(uri, version=v)) == ["ebs-gp2-to-gp3"]


async def test_a_burst_of_1000_changes(ls: Editor) -> None:
    uri = ls.open("burst/main.tf", GP2)
    await ls.wait_for(uri, version=1)
    mark = len(ls.published)
    value = lsp.Range(lsp.Position(1, 10), lsp.Position(1, 13))  # the gp2 inside the quotes
    last = 1
    for i in range(1000):
        last = ls.change(
            uri, [lsp.TextDocumentContentChangePartial(range=value, text="io1" if i % 2 else "gp2")]
        )
    final = await ls.wait_for(uri, version=last, after=mark, timeout=30)
    # the text is intact: it ends on io1, which gp3 undercuts per GB whatever the IOPS
    assert codes(final) == ["ebs-io1-to-gp3"]
    burst = [p for p in ls.published[mark:] if p.uri == uri]
    assert len(burst) < 100, "changes were not coalesced"
    assert all(p.version is not None and p.version <= last for p in burst)
    v = ls.change(uri, [lsp.TextDocumentContentChangePartial(range=value, text="gp2")])
    assert codes(await ls.wait_for(uri, version=v)) == ["ebs-gp2-to-gp3"]


async def test_memory_stays_bounded_when_documents_open_and_close(ls: Editor) -> None:
    async def cycle(round_: int) -> None:
        for i in range(150):
            uri = ls.open(f"churn/m{i % 30}/main.tf", GP2 + f"# round {round_} {i}\n")
            if i % 10 == 0:
                await ls.wait_for(uri, version=1)
            ls.close(uri)
        await asyncio.sleep(0.3)
        await alive(ls)

    await cycle(0)
    before = rss_kb(ls)
    for r in range(1, 4):
        await cycle(r)
    grown = rss_kb(ls) - before
    assert grown < 15_000, f"RSS grew by {grown} kB over 450 open/close cycles"


async def test_errors_go_to_the_log_not_stderr(ls: Editor) -> None:
    """Runs last: everything above went to window/logMessage and the log file, nothing to stderr."""
    with pytest.raises(JsonRpcException):
        await raw_request(ls, lsp.TEXT_DOCUMENT_HOVER, {"bad": True})
    await alive(ls)
    log = (ls.root / "server.log").read_text()
    assert (
        "ignored textDocument/hover with invalid params: required field missing @ $.params.text_document"
        in log
    )
    assert any("invalid params" in m.message for m in ls.client.log_messages)
    assert ls.stderr == []
