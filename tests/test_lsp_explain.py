"""The explain code action end to end, against a small OpenAI-compatible endpoint on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from lsp_fixtures.harness import IO1, Editor, editor, raw_request
from lsprotocol import types as lsp
from lsprotocol.converters import get_converter

ANSWER = "gp3 prices IOPS separately from size, so [this volume](http://example.invalid) costs less."
NO_PROXY = {
    name: None
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
}


@pytest.fixture
def endpoint() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A chat-completions endpoint that always gives ANSWER and records what it was asked."""
    asked: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            asked.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0))))
            body = json.dumps(
                {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "gpt-4o-mini",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": ANSWER},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", asked
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_user_config(xdg: Path, base_url: str, cache: Path) -> None:
    """The user's own config (`$XDG_CONFIG_HOME/advisor/config.toml`): the explain endpoint is theirs."""
    (xdg / "advisor").mkdir(parents=True, exist_ok=True)
    (xdg / "advisor" / "config.toml").write_text(
        f'[explain]\nenabled = true\nbase_url = "{base_url}"\nmodel = "gpt-4o-mini"\n'
        f"cache_dir = {json.dumps(str(cache))}\ntimeout_seconds = 1\n",
        encoding="utf-8",
    )


async def explain_action(s: Editor, uri: str) -> dict[str, Any]:
    """The explain action's command, read from the raw answer: a code action that carries only a
    command is easily mistaken for a bare Command by clients that go by keys (as lsprotocol does)."""
    (diag,) = (await s.wait_for(uri, version=1)).diagnostics
    rng = get_converter().unstructure(diag.range)
    context = {"diagnostics": [{"range": rng, "message": diag.message, "code": diag.code}]}
    params = {"textDocument": {"uri": uri}, "range": rng, "context": context}
    result = await raw_request(s, "textDocument/codeAction", params)
    (action,) = [a for a in result if a["title"].startswith("Explain")]
    assert action["title"] == "Explain ebs-io1-to-gp3 (asks the configured model)"
    assert action["kind"] == "quickfix" and "edit" not in action
    command: dict[str, Any] = action["command"]
    assert command["command"] == "advisor.explain"
    return command


async def test_explain_action_answer_and_hover(
    tmp_path: Path, endpoint: tuple[str, list[dict[str, Any]]]
) -> None:
    base_url, asked = endpoint
    xdg = tmp_path / "xdg"
    write_user_config(xdg, base_url, tmp_path / "answers")
    env = {
        **NO_PROXY,
        "NO_PROXY": "127.0.0.1,localhost",
        "XDG_CONFIG_HOME": str(xdg),
        "OPENAI_BASE_URL": None,
    }
    async with editor(tmp_path, env=env, init={"explain": {"enabled": True}}) as s:
        uri = s.open("ok/main.tf", IO1)
        command = await explain_action(s, uri)
        result = await s.client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command=command["command"], arguments=command["arguments"])
        )
        assert result == {"rule": "ebs-io1-to-gp3", "text": ANSWER}
        assert any(m.message == f"ebs-io1-to-gp3: {ANSWER}" for m in s.client.messages)
        (request,) = asked
        prompt = json.dumps(request["messages"])
        assert "ebs-io1-to-gp3" in prompt and "io1" in prompt
        hover = await s.client.text_document_hover_async(
            lsp.HoverParams(lsp.TextDocumentIdentifier(uri), lsp.Position(1, 11))
        )
        assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
        text = hover.contents.value
        assert "**Explanation** (from the configured model, not checked)" in text
        assert "\\[this volume\\]\\(http://example\\.invalid\\)" in text  # shown, never a live link

        # the user points their config at an endpoint that is down (and a fresh answer cache); the
        # server reads it again with the settings: a warning and an answer, no hang and no crash
        write_user_config(xdg, f"http://127.0.0.1:{closed_port()}/v1", tmp_path / "answers-2")
        mark = len(s.published)
        s.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
        await s.wait_for(uri, after=mark)  # the settings changed: open files are analysed again
        uri2 = s.open("down/main.tf", IO1)
        command2 = await explain_action(s, uri2)
        failed = await s.client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command=command2["command"], arguments=command2["arguments"])
        )
        assert "cannot reach the explain endpoint" in failed["error"]
        assert any("could not explain" in m.message for m in s.client.messages)
