"""A simulated editor: pytest-lsp's client driving the real `advisor serve` over stdio.

Records every `publishDiagnostics` with its version, and lets a test wait for the first one that
matches a condition, so timing never needs sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

TIMEOUT = 15.0
IO1 = 'resource "aws_ebs_volume" "v" {\n  type = "io1"\n  size = 500\n  iops = 10000\n}\n'
GP2 = 'resource "aws_ebs_volume" "g" {\n  type = "gp2"\n  size = 100\n}\n'


class Editor:
    """One client connected to one server process."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.root = root
        self.published: list[lsp.PublishDiagnosticsParams] = []
        self.registrations: list[lsp.Registration] = []
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}
        self._changed = asyncio.Event()
        self.init_result: lsp.InitializeResult | None = None
        self.stderr: list[str] = []

    # -- notifications from the server -------------------------------------------------------------------
    def on_publish(self, params: lsp.PublishDiagnosticsParams) -> None:
        self.published.append(params)
        self.client.diagnostics[params.uri] = params.diagnostics
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(
        self,
        uri: str,
        predicate: Callable[[lsp.PublishDiagnosticsParams], bool] | None = None,
        *,
        version: int | None = None,
        after: int = 0,
        timeout: float = TIMEOUT,
    ) -> lsp.PublishDiagnosticsParams:
        """The first publication for `uri` (from index `after`) matching version and predicate."""
        deadline = asyncio.get_running_loop().time() + timeout
        seen = after
        while True:
            for p in self.published[seen:]:
                if (
                    p.uri == uri
                    and (version is None or p.version == version)
                    and (predicate is None or predicate(p))
                ):
                    return p
            seen = len(self.published)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                got = [
                    (p.uri.rsplit("/", 1)[-1], p.version, [d.code for d in p.diagnostics])
                    for p in self.published[-8:]
                ]
                raise AssertionError(f"no matching diagnostics for {uri} (version {version}); last: {got}")
            event = self._changed
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    # -- documents --------------------------------------------------------------------------------------
    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def uri(self, name: str) -> str:
        return (self.root / name).as_uri()

    def open(
        self, name: str, text: str | None = None, *, write: bool = True, language: str = "terraform"
    ) -> str:
        if text is None:
            text = (self.root / name).read_text(encoding="utf-8")
        elif write:
            self.write(name, text)
        uri = self.uri(name)
        self.versions[uri] = 1
        self.texts[uri] = text
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                lsp.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)
            )
        )
        return uri

    def change(self, uri: str, changes: list[lsp.TextDocumentContentChangeEvent]) -> int:
        self.versions[uri] += 1
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=changes,
            )
        )
        return self.versions[uri]

    def replace_all(self, uri: str, text: str) -> int:
        self.texts[uri] = text
        return self.change(uri, [lsp.TextDocumentContentChangeWholeDocument(text=text)])

    def insert(self, uri: str, line: int, character: int, text: str) -> int:
        pos = lsp.Position(line, character)
        return self.change(uri, [lsp.TextDocumentContentChangePartial(range=lsp.Range(pos, pos), text=text)])

    def close(self, uri: str) -> None:
        self.client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri)))

    async def pull(self, uri: str, previous: str | None = None) -> Any:
        return await self.client.text_document_diagnostic_async(
            lsp.DocumentDiagnosticParams(
                text_document=lsp.TextDocumentIdentifier(uri), previous_result_id=previous
            )
        )


def capabilities(
    encodings: list[str] | None = None,
    *,
    pull: bool = False,
    resolve: bool = True,
    watch: bool = True,
    configuration: bool = True,
    progress: bool = True,
) -> lsp.ClientCapabilities:
    text = lsp.TextDocumentClientCapabilities(
        synchronization=lsp.TextDocumentSyncClientCapabilities(),
        publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(version_support=True, tag_support=None),
        code_action=lsp.CodeActionClientCapabilities(
            code_action_literal_support=lsp.ClientCodeActionLiteralOptions(
                code_action_kind=lsp.ClientCodeActionKindOptions(value_set=[k for k in lsp.CodeActionKind])
            ),
            is_preferred_support=True,
            data_support=True,
            resolve_support=lsp.ClientCodeActionResolveOptions(properties=["edit"]) if resolve else None,
        ),
        hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown]),
        code_lens=lsp.CodeLensClientCapabilities(),
        inlay_hint=lsp.InlayHintClientCapabilities(),
        diagnostic=lsp.DiagnosticClientCapabilities(related_document_support=False) if pull else None,
    )
    workspace = lsp.WorkspaceClientCapabilities(
        configuration=configuration,
        did_change_watched_files=lsp.DidChangeWatchedFilesClientCapabilities(dynamic_registration=watch),
        did_change_configuration=lsp.DidChangeConfigurationClientCapabilities(dynamic_registration=True),
        workspace_edit=lsp.WorkspaceEditClientCapabilities(document_changes=True),
    )
    general = lsp.GeneralClientCapabilities(position_encodings=encodings) if encodings else None
    window = lsp.WindowClientCapabilities(work_done_progress=progress)
    return lsp.ClientCapabilities(text_document=text, workspace=workspace, general=general, window=window)


def _client_factory(holder: dict[str, Editor]) -> Callable[[], LanguageClient]:
    def make() -> LanguageClient:
        client = LanguageClient(converter_factory=default_converter)
        features = dict(DEFAULT_CLIENT_FEATURES)

        def publish(ls: LanguageClient, params: lsp.PublishDiagnosticsParams) -> None:
            holder["editor"].on_publish(params)

        def register(ls: LanguageClient, params: lsp.RegistrationParams) -> None:
            holder["editor"].registrations.extend(params.registrations)

        features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
        features[lsp.CLIENT_REGISTER_CAPABILITY] = register
        register_lsp_features(client, features)
        return client

    return make


SERVER = [sys.executable, "-m", "advisor", "serve"]


async def _collect_stderr(client: LanguageClient, lines: list[str]) -> None:
    server = client._server
    if server is None or server.stderr is None:
        return
    while line := await server.stderr.readline():
        lines.append(line.decode("utf-8", "replace"))


@contextlib.asynccontextmanager
async def editor(
    root: Path,
    *,
    caps: lsp.ClientCapabilities | None = None,
    init: Any = None,
    settings: dict[str, Any] | None = None,
    log_file: Path | None = None,
    env: dict[str, str | None] | None = None,
) -> AsyncIterator[Editor]:
    """Start `advisor serve`, initialize it with `root` as the workspace folder, shut it down after.

    `env` adds (or, with None, removes) environment variables of the server process."""
    holder: dict[str, Editor] = {}
    server_env = dict(os.environ)
    for name, value in (env or {}).items():
        if value is None:
            server_env.pop(name, None)
        else:
            server_env[name] = value
    command = list(SERVER) + (["--log-file", str(log_file)] if log_file else [])
    config = ClientServerConfig(
        server_command=command, client_factory=_client_factory(holder), server_env=server_env
    )
    client = await config.start()
    assert isinstance(client, LanguageClient)
    s = holder["editor"] = Editor(client, root)
    # keep the server's stderr for the test to check, instead of forwarding it
    if client._stderr_forwarder is not None:
        client._stderr_forwarder.cancel()
    client._stderr_forwarder = asyncio.create_task(_collect_stderr(client, s.stderr))
    if settings is not None:
        client.set_configuration(settings, section="advisor")
    s.init_result = await client.initialize_session(
        lsp.InitializeParams(
            capabilities=caps or capabilities(),
            root_uri=root.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="ws")],
            initialization_options=init,
        )
    )
    try:
        yield s
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_session(), 10)
        await client.stop()


def _offset(text: str, pos: lsp.Position) -> int:
    """Offset of a UTF-16 position (the default encoding) in `text`."""
    lines = text.split("\n")
    line = min(pos.line, len(lines) - 1)
    start = sum(len(x) + 1 for x in lines[:line])
    units = 0
    for i, ch in enumerate(lines[line]):
        if units >= pos.character:
            return start + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return start + len(lines[line])


def apply_edits(text: str, edits: Any) -> str:
    """Apply LSP text edits (UTF-16 positions) to a text, last first."""
    ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
    for e in ordered:
        text = text[: _offset(text, e.range.start)] + e.new_text + text[_offset(text, e.range.end) :]
    return text


async def send_raw(s: Editor, payload: dict[str, Any] | bytes) -> None:
    """Write one message exactly as given, bypassing the client's type checks."""
    import inspect
    import json

    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
    writer = s.client.protocol.writer
    assert writer is not None
    res = writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    if inspect.isawaitable(res):
        await res


async def raw_request(s: Editor, method: str, params: Any) -> Any:
    """A request with hand-made params; returns the result or raises the server's error."""
    import uuid
    from concurrent.futures import Future

    msg_id = f"raw-{uuid.uuid4().hex}"
    future: Future[Any] = Future()
    s.client.protocol._request_futures[msg_id] = future
    await send_raw(s, {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return await asyncio.wait_for(asyncio.wrap_future(future), TIMEOUT)
