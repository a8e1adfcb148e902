"""`advisor.usageFile` in the editor: an infracost usage file inside the workspace prices usage-based
lines as `--usage-file` does on the command line, over `.advisor.toml`'s `[usage]`; a file outside the
workspace or a broken one is a window message, never a stopped server.

Figures from AWS's us-east-1 prices: Lambda $0.20 per 1M requests and $0.0000166667 per GB-second.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsp_fixtures.harness import Editor, editor
from lsprotocol import types as lsp

pytestmark = pytest.mark.asyncio(loop_scope="function")

LAMBDA = """resource "aws_lambda_function" "hi" {
  function_name = "hi"
  role          = "arn:aws:iam::123456789012:role/x"
  handler       = "index.handler"
  runtime       = "python3.12"
  filename      = "f.zip"
  memory_size   = 512
}
"""
USAGE = (
    "version: 0.1\nresource_usage:\n  aws_lambda_function.hi:\n    monthly_requests: 10000000\n"
    "    request_duration_ms: 250\n    monthly_streams: 3\n"
)


async def message(s: Editor, text: str) -> str:
    """The first window message holding `text`, waited for up to ten seconds."""
    for _ in range(200):
        found = [m.message for m in s.client.messages if text in m.message]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no message with {text!r}: {[m.message for m in s.client.messages]}")


async def hover_text(s: Editor, uri: str) -> str:
    h = await s.client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri), lsp.Position(0, 3))
    )
    assert h is not None and isinstance(h.contents, lsp.MarkupContent)
    return h.contents.value


async def test_the_usage_file_prices_the_function_and_its_unknown_keys_are_said(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(LAMBDA)
    (tmp_path / "usage.yml").write_text(USAGE)
    (tmp_path / ".advisor.toml").write_text('[usage]\n"aws_lambda_function.hi" = { monthly_requests = 1 }\n')
    async with editor(tmp_path, settings={"usageFile": "usage.yml"}) as s:
        uri = s.open("main.tf", LAMBDA)
        await s.wait_for(uri, version=1)
        # 10M requests x $0.20 per 1M, and 10M x 0.25 s x 0.5 GB = 1,250,000 GB-s x $0.0000166667
        assert "$22.83" in await hover_text(s, uri)
        await message(s, "usage.yml:6: aws_lambda_function.hi.monthly_streams has no equivalent")


async def test_a_usage_file_outside_the_workspace_or_broken_is_a_message(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "main.tf").write_text(LAMBDA)
    (tmp_path / "outside.yml").write_text(USAGE)
    (workspace / "broken.yml").write_text(
        "version: 0.1\nresource_usage:\n  a: &x {monthly_requests: 1}\n  b: *x\n"
    )
    async with editor(workspace, settings={"usageFile": str(tmp_path / "outside.yml")}) as s:
        uri = s.open("main.tf", LAMBDA)
        await s.wait_for(uri, version=1)
        assert "$22.83" not in await hover_text(s, uri)
        await message(s, "outside.yml: outside the workspace folders; not read")
        s.client.set_configuration({"usageFile": "broken.yml"}, section="advisor")
        s.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
        await message(s, "broken.yml:4: YAML aliases")
        # the server still answers
        assert "aws_lambda_function.hi" in await hover_text(s, uri)
