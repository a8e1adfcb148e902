"""Random edits and malformed requests against the real server: it must keep answering.

A fixed seed in CI; `ADVISOR_LSP_FUZZ_STEPS=2000 ADVISOR_LSP_FUZZ_SEED=7 pytest tests/test_lsp_fuzz.py`
runs longer locally with another seed.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from lsp_fixtures.harness import GP2, IO1, Editor, editor, raw_request, send_raw
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

pytestmark = pytest.mark.asyncio(loop_scope="module")

STEPS = int(os.environ.get("ADVISOR_LSP_FUZZ_STEPS", "150"))
SEED = int(os.environ.get("ADVISOR_LSP_FUZZ_SEED", "20261127"))
PIECES = [
    '"',
    "{",
    "}",
    "[",
    "]",
    "${",
    "<<EOF\n",
    "#",
    "/*",
    "\n",
    "é☕",
    "resource ",
    " = ",
    "io1",
    "\x00",
    "\r\n",
]
METHODS = [
    lsp.TEXT_DOCUMENT_HOVER,
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.TEXT_DOCUMENT_CODE_LENS,
    lsp.TEXT_DOCUMENT_INLAY_HINT,
    lsp.TEXT_DOCUMENT_DIAGNOSTIC,
    lsp.CODE_ACTION_RESOLVE,
    lsp.WORKSPACE_EXECUTE_COMMAND,
]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def ls(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Editor]:
    root = tmp_path_factory.mktemp("fuzz")
    async with editor(root, init={"debounceMs": 0}) as s:
        yield s


def junk(rng: random.Random, depth: int = 0) -> object:
    """A random JSON value: what a confused client might send as params."""
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([-1, 0, 2**31, 1.5, True])
    if kind == 2:
        return rng.choice(["", "file:///nope.tf", "x" * 50, "é"])
    if kind == 3:
        return rng.choice([[], {}])
    if kind == 4:
        return [junk(rng, depth + 1) for _ in range(rng.randrange(3))]
    keys = ["textDocument", "position", "range", "uri", "context", "command", "arguments", "data", "line"]
    return {rng.choice(keys): junk(rng, depth + 1) for _ in range(rng.randrange(4))}


async def test_random_edits_and_requests_never_take_the_server_down(ls: Editor) -> None:
    rng = random.Random(SEED)
    uri = ls.open("fuzz/main.tf", IO1 + "\n" + GP2)
    for _ in range(STEPS):
        action = rng.randrange(4)
        if action <= 1:
            line = rng.randrange(14)  # sometimes past the end: the server clamps
            char = rng.randrange(80)
            piece = rng.choice(PIECES) if action == 0 else ""
            end_line = line + rng.randrange(2)
            end_char = rng.randrange(80)
            change = lsp.TextDocumentContentChangePartial(
                range=lsp.Range(lsp.Position(line, char), lsp.Position(end_line, end_char)), text=piece
            )
            ls.change(uri, [change])
        elif action == 2:
            method = rng.choice(METHODS)
            with contextlib.suppress(JsonRpcException):  # an error answer is an answer
                await raw_request(ls, method, junk(rng))
        else:
            await send_raw(ls, {"jsonrpc": "2.0", "method": rng.choice(METHODS), "params": junk(rng)})
    # still alive: a fresh document gets its diagnostics, and a real request gets a real answer
    fresh = ls.open("fuzz-after/main.tf", GP2)
    published = await ls.wait_for(fresh, version=1)
    assert [str(d.code) for d in published.diagnostics] == ["ebs-gp2-to-gp3"]
    lens = await ls.client.text_document_code_lens_async(
        lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(fresh))
    )
    assert lens
