"""`advisor serve`: the language server. One small handler per LSP feature; the work happens in
`analysis` (scheduling the engine), `features` (answers), `actions` (edits) and `convert` (types).

Every handler is guarded: a bad request gets an empty answer and a log line, never a dead server.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import os
import sys
import uuid
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, BinaryIO, TypeGuard, TypeVar, cast

from advisor import __version__
from advisor.lsp import convert, explain, features, logs, pygls_adapter
from advisor.lsp.analysis import Analyzer, ModuleView, unit_of, warm_up
from advisor.lsp.configs import ConfigStore
from advisor.lsp.documents import ENCODINGS, Document, DocumentStore, LineIndex, path_to_uri, uri_to_path
from advisor.lsp.explain import Explanations
from advisor.lsp.framing import FramedStdin, FramingError
from advisor.lsp.scan import Scanner
from advisor.lsp.settings import ClientSettings, merge, parse_editor_settings, parse_settings
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

if TYPE_CHECKING:
    from cattrs import Converter

log = logging.getLogger("advisor.lsp")

SCAN_COMMAND = "advisor.scanWorkspace"
COST_TREE = "advisor/costTree"  # custom request: the workspace cost tree (docs: editors/README.md)
CONFIG_NAME = ".advisor.toml"
WATCH_GLOBS = ("**/*.tf", "**/*.tf.json", "**/*.tfvars", "**/*.tfvars.json", f"**/{CONFIG_NAME}")
CLIENT_TIMEOUT = 5.0
# How long a request waits for the analysis of the document's current version before answering
# empty: edits (code actions, pull diagnostics) must be exact; hover and lenses are only views.
REQUEST_FRESH_TIMEOUT = 10.0
HOVER_TIMEOUT = 3.0
LENS_TIMEOUT = 5.0
T = TypeVar("T")


class _Malformed:
    """A message whose params could not be read: answered with InvalidParams, never dispatched."""

    def __init__(self, msg_id: Any, method: str, reason: str) -> None:
        self.id = msg_id
        self.method = method
        self.reason = reason


# pygls' builtin handlers are generators that yield (handler, args, kwargs) and get its result back
Handoff = Generator[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any] | None], Any, Any]


class AdvisorProtocol(LanguageServerProtocol):
    """pygls' protocol with three changes: buffers live in `AdvisorServer.docs` (not pygls'
    workspace), malformed params get an error response instead of silence, and the scan command
    receives its full params (for the client's progress token)."""

    def __init__(self, server: LanguageServer, converter: Converter) -> None:
        super().__init__(server, converter)
        self.advisor = cast("AdvisorServer", server)
        self.params_converter = converter  # the converter pygls reads messages with

    def _user(self, method: str, params: Any) -> Handoff:
        handler = self.fm.features.get(method)
        if handler is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: lsp.DidOpenTextDocumentParams) -> Handoff:
        yield from self._user(lsp.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams) -> Handoff:
        yield from self._user(lsp.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: lsp.DidCloseTextDocumentParams) -> Handoff:
        yield from self._user(lsp.TEXT_DOCUMENT_DID_CLOSE, params)

    @lsp_method(lsp.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(self, params: lsp.ExecuteCommandParams) -> Handoff:
        if params.command == SCAN_COMMAND:
            result = yield self.advisor.scan_command, (params,), None
            return result
        if params.command == features.EXPLAIN_COMMAND:
            result = yield self.advisor.explain_command, (params,), None
            return result
        return (yield from super().lsp_workspace__execute_command(params))

    def structure_message(self, data: dict[str, Any]) -> Any:
        method = data.get("method") if "jsonrpc" in data else None
        message_type = self.get_message_type(method) if isinstance(method, str) else None
        if message_type is None:
            return super().structure_message(data)  # responses, unknown methods, nested objects
        try:
            return self.params_converter.structure(data, message_type)
        except Exception as exc:
            return _Malformed(data.get("id"), str(method), _why(exc))

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Malformed):
            log.warning("ignored %s with invalid params: %s", message.method, message.reason)
            if message.id is not None:
                error = JsonRpcInvalidParams(f"invalid params for {message.method}: {message.reason}")
                pygls_adapter.send_error(self, message.id, error.to_response_error())
            return
        super().handle_message(message)


def _why(exc: Exception) -> str:
    """A one-line account of what was wrong with the params."""
    try:
        from cattrs import transform_error
        from cattrs.errors import BaseValidationError, ClassValidationError

        problems = (
            transform_error(exc)
            if isinstance(exc, (ClassValidationError, BaseValidationError))
            else [str(exc)]
        )
    except Exception:
        problems = [str(exc)]
    return "; ".join(problems)[:300]


def guarded(default: Any = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Exceptions in a handler are logged and answered with `default`."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        if asyncio.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(params: Any) -> Any:
                try:
                    return await fn(params)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("%s failed", fn.__name__)
                    return default

            return run_async

        @functools.wraps(fn)
        def run(params: Any) -> Any:
            try:
                return fn(params)
            except Exception:
                log.exception("%s failed", fn.__name__)
                return default

        return run

    return decorate


def _is_iac(path: str | None) -> bool:
    """A file Advisor analyses: Terraform, tfvars, or a possible CloudFormation template."""
    return path is not None and unit_of(path) is not None


def _is_terraform(path: str | None) -> bool:
    unit = unit_of(path) if path is not None else None
    return unit is not None and unit.template is None


def _is_config(path: str | None) -> TypeGuard[str]:
    return path is not None and os.path.basename(path) == CONFIG_NAME


def _capability(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


class AdvisorServer(LanguageServer):
    """State shared by the handlers: buffers, settings, configs, the analyzer and the scanner."""

    def __init__(self) -> None:
        super().__init__("advisor", __version__, protocol_cls=AdvisorProtocol, max_workers=4)
        from advisor.engine.session import Session

        self.docs = DocumentStore()
        self.session = Session()  # what every analysis of this server remembers (parses, prices, reuse)
        self.client_log = logs.ClientLogHandler()
        self.init_options: Any = None
        self.client_section: Any = None
        self.settings = ClientSettings()
        self.caps = lsp.ClientCapabilities()
        self.folders: list[str] = []
        self._known: set[str] | None = None
        self.configs = ConfigStore(
            set(),
            self._config_error,
            self._buffer_of,
            lambda m: self.show(lsp.MessageType.Warning, f"Advisor: {m}"),
        )
        self.analyzer = Analyzer(self.docs, self.options_for, self.publish, self._after_analysis)
        self.scanner = Scanner(self.analyzer, self.publish)
        self.explanations = Explanations()
        self._lens_signatures: dict[str, Any] = {}
        self._pull_ids: dict[str, str] = {}
        self._published: set[str] = set()  # URIs with diagnostics sent: closing one clears them
        self._background: set[asyncio.Task[Any]] = set()
        self.shutdown_requested = False  # the client asked to shut down: exit with 0 (the spec)

    # -- helpers the handlers share --------------------------------------------------------------------
    @property
    def known_rules(self) -> set[str]:
        if self._known is None:
            from advisor.rules.engine import known_rule_ids, load_rules

            self._known = known_rule_ids()
            self.configs.set_known_rules(self._known)
            self.analyzer.doc_urls = {r.id: r.doc_url for r in load_rules()}
        return self._known

    @property
    def encoding(self) -> str:
        return self.analyzer.encoding

    def options_for(self, directory: str) -> Any:
        from advisor.engine import Options

        _ = self.known_rules
        config = self.settings.apply_to(self.configs.for_directory(directory))
        return Options(
            region=self.settings.region,
            config=config,
            incremental=True,
            roots=tuple(self.folders),
            session=self.session,  # one per server: every analysis it runs remembers into it
        )

    def publish(self, uri: str, version: int | None, diagnostics: list[convert.Json]) -> None:
        """Push diagnostics, already in JSON form, straight to the writer (on the event loop)."""
        self._published.add(uri)
        params: convert.Json = {"uri": uri, "diagnostics": diagnostics}
        if version is not None:
            params["version"] = version
        pygls_adapter.send_json(
            self.protocol,
            {"jsonrpc": "2.0", "method": lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, "params": params},
        )

    def spawn(self, coro: Awaitable[T]) -> None:
        """Run a coroutine in the background, keeping a reference and logging its failure."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._background.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._background.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background task failed: %r", t.exception())

        task.add_done_callback(done)

    def uri_version(self, path: str) -> tuple[str, int | None]:
        doc = self.docs.by_path(path)
        return (doc.uri, doc.version) if doc is not None else (path_to_uri(path), None)

    def schedule(self, doc: Document, delay: float | None = None) -> None:
        unit = unit_of(doc.path) if doc.path is not None else None
        if unit is not None and unit.template is not None and not doc.is_template():
            if doc.uri in self._published:  # it was a template: what was said about it goes
                self.publish(doc.uri, doc.version, [])
                self._published.discard(doc.uri)
            return
        if unit is not None:
            self.analyzer.schedule(unit, self.settings.debounce_ms / 1000 if delay is None else delay)

    def _buffer_of(self, path: str) -> tuple[int, str] | None:
        doc = self.docs.by_path(path)
        return (doc.version, doc.text) if doc is not None else None

    def _config_error(self, path: str, error: Any) -> None:
        """Push the config file's diagnostic (a pull client asks for it when it is open)."""
        doc = self.docs.by_path(path)
        if error is not None:
            log.warning("%s", error)
        if doc is not None and not self.analyzer.push:
            self._refresh(diagnostics=True)
            return
        uri = doc.uri if doc is not None else path_to_uri(path)
        if error is None:
            self.publish(uri, doc.version if doc else None, [])
            return
        text = doc.text if doc is not None else _read(path)
        diag = convert.config_diagnostic_json(error.line, error.message, LineIndex(text), self.encoding)
        self.publish(uri, doc.version if doc else None, [diag])

    def apply_settings(self) -> None:
        parsed = parse_editor_settings(self.init_options, self.client_section, self.known_rules)
        settings = self._with_usage_file(parsed.settings, parsed.problems)
        for problem in parsed.problems:
            self.show(lsp.MessageType.Warning, f"Advisor settings: {problem}")
        changed = settings != self.settings
        self.settings = settings
        self.analyzer.time_budget = self.settings.time_budget
        if changed:
            self.analyzer.invalidate()
            self.analyzer.schedule_all(0.0)
            self._refresh(lens=True, inlay=True)

    def _with_usage_file(self, settings: ClientSettings, problems: list[str]) -> ClientSettings:
        """The settings with the figures of `advisor.usageFile`, read now: relative to the first
        workspace folder and never outside the workspace folders (a workspace's settings may name it).
        A file that cannot be used is a problem and no figures; keys it cannot use are problems too."""
        if settings.usage_file is None:
            return settings
        from dataclasses import replace

        from advisor.iac.files import real_roots
        from advisor.usage_file import UsageFileError, read_usage_file

        path = os.path.expanduser(settings.usage_file)
        if not os.path.isabs(path):
            if not self.folders:
                problems.append("advisor.usageFile: a relative path needs a workspace folder")
                return settings
            path = os.path.join(self.folders[0], path)
        try:
            read = read_usage_file(path, real_roots(self.folders))
        except UsageFileError as exc:
            problems.append(f"advisor.usageFile: {exc}")
            return settings
        problems.extend(f"advisor.usageFile: {warning}" for warning in read.warnings)
        entries = tuple((pattern, tuple(sorted(figures.items()))) for pattern, figures in read.entries)
        return replace(settings, usage_entries=entries)

    def show(self, kind: lsp.MessageType, message: str) -> None:
        log.warning("%s", message)
        self.window_show_message(lsp.ShowMessageParams(type=kind, message=message))

    async def fetch_settings(self) -> None:
        if not _capability(self.caps, "workspace.configuration"):
            return
        try:
            items = await asyncio.wait_for(
                self.workspace_configuration_async(
                    lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section="advisor")])
                ),
                CLIENT_TIMEOUT,
            )
        except Exception as exc:
            log.info("workspace/configuration unavailable: %s", exc or type(exc).__name__)
            return
        self.client_section = items[0] if items else None

    async def fresh(
        self, uri: str, timeout: float = REQUEST_FRESH_TIMEOUT
    ) -> tuple[Document, ModuleView] | None:
        """The open document and the analysis of its current version (None when there is none)."""
        doc = self.docs.get(uri)
        if doc is None or doc.path is None or not _is_iac(doc.path):
            return None
        if not _is_terraform(doc.path) and not doc.is_template():
            return None  # YAML or JSON of another kind: nothing to say, nothing to analyse
        result = await self.analyzer.fresh(doc, timeout)
        current = self.docs.get(uri)
        if result is None or current is None or result.versions.get(doc.path) != current.version:
            return None
        return current, result

    def _after_analysis(self, result: ModuleView) -> None:
        lens_sig = []
        diag_changed = False
        for doc in self.analyzer.docs_in(result.unit):
            assert doc.path is not None
            lens_sig.append((doc.path, result.lens_signature(doc.path)))
            if not self.analyzer.push and self._pull_ids.get(doc.uri) != _result_id(
                result.diagnostics.get(doc.path, [])
            ):
                diag_changed = True
        changed = self._lens_signatures.get(result.unit.key) != lens_sig
        self._lens_signatures[result.unit.key] = lens_sig
        self._refresh(lens=changed, inlay=changed, diagnostics=diag_changed)

    def _refresh(self, lens: bool = False, inlay: bool = False, diagnostics: bool = False) -> None:
        """Ask the client to re-request what it caches, where it says it can."""
        wanted = [
            (
                lens and self.settings.code_lens,
                "workspace.code_lens.refresh_support",
                self.workspace_code_lens_refresh_async,
            ),
            (
                inlay and self.settings.inlay_hints,
                "workspace.inlay_hint.refresh_support",
                self.workspace_inlay_hint_refresh_async,
            ),
            (diagnostics, "workspace.diagnostics.refresh_support", self.workspace_diagnostic_refresh_async),
        ]
        for on, capability, send in wanted:
            if on and _capability(self.caps, capability):
                self.spawn(_quietly(send(None)))

    def forget(self, doc: Document) -> None:
        self._pull_ids.pop(doc.uri, None)
        unit = unit_of(doc.path) if doc.path is not None else None
        if unit is not None and not self.analyzer.docs_in(unit):
            self._lens_signatures.pop(unit.key, None)

    async def scan_command(self, params: lsp.ExecuteCommandParams) -> Any:
        return await scan_workspace(self, params)

    async def explain_command(self, params: lsp.ExecuteCommandParams) -> Any:
        """Explain one finding: the answer is shown, returned, and kept for the finding's hover."""
        args = params.arguments[0] if params.arguments else None
        if not isinstance(args, dict) or not isinstance(args.get("uri"), str):
            return {"error": "expected {uri, version, key}"}
        found = await self.fresh(args["uri"])
        finding = (
            features.find_finding(found[1], found[0].path or "", args.get("key") or []) if found else None
        )
        config = found[1].options.config if found and found[1].options else None
        if found is None or finding is None or found[0].version != args.get("version") or config is None:
            return {"error": "the finding is no longer there; try again on the current text"}
        text, error = await self.explanations.explain(self.settings, finding, found[1])
        if error is not None:
            self.show(lsp.MessageType.Warning, f"Advisor could not explain {finding.rule}: {error}")
            return {"error": error}
        self.window_show_message(
            lsp.ShowMessageParams(type=lsp.MessageType.Info, message=f"{finding.rule}: {text}")
        )
        return {"rule": finding.rule, "text": text}

    def config_diagnostics(self, doc: Document) -> list[convert.Json]:
        error = self.configs.error(doc.path) if doc.path else None
        if error is None:
            return []
        return [convert.config_diagnostic_json(error.line, error.message, doc.index, self.encoding)]

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls' default shows a message box for every error; a log line is enough."""
        log.error("%s: %s", getattr(source, "__name__", source), error)


async def _quietly(awaitable: Awaitable[Any]) -> None:
    try:
        await asyncio.wait_for(awaitable, CLIENT_TIMEOUT)
    except Exception as exc:
        log.debug("client request failed: %s", exc)


def _read(path: str) -> str:
    from advisor.engine import read_text

    text, _ = read_text(path)
    return text or ""


def _result_id(diagnostics: list[convert.Json]) -> str:
    return hashlib.blake2b(json.dumps(diagnostics, sort_keys=True).encode(), digest_size=12).hexdigest()


# -- handlers ----------------------------------------------------------------------------------------------
def build() -> AdvisorServer:
    ls = AdvisorServer()

    @ls.feature(lsp.INITIALIZE)
    @guarded()
    def initialize(params: lsp.InitializeParams) -> None:
        ls.caps = params.capabilities
        encoding = str(
            getattr(ls.workspace.position_encoding, "value", ls.workspace.position_encoding) or "utf-16"
        )
        ls.analyzer.encoding = encoding if encoding in ENCODINGS else "utf-16"
        ls.analyzer.push = _capability(ls.caps, "text_document.diagnostic") is None
        ls.init_options = params.initialization_options
        folders = [uri_to_path(f.uri) for f in params.workspace_folders or []]
        if not folders and params.root_uri:
            folders = [uri_to_path(params.root_uri)]
        elif not folders and params.root_path:
            folders = [params.root_path]
        ls.folders = [f for f in folders if f]
        loop = asyncio.get_running_loop()
        ls.client_log.attach(_log_sender(ls), loop)
        loop.run_in_executor(ls.analyzer.pool, warm_up)
        ls.settings = parse_settings(merge(ls.init_options), ls.known_rules).settings
        ls.analyzer.time_budget = ls.settings.time_budget

    @ls.feature(lsp.INITIALIZED)
    @guarded()
    async def initialized(params: lsp.InitializedParams) -> None:
        ls.spawn(register_watchers(ls))
        await ls.fetch_settings()
        ls.apply_settings()
        ls.analyzer.ready.set()

    @ls.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    @guarded()
    def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
        td = params.text_document
        doc = ls.docs.open(td.uri, td.version, td.text, td.language_id)
        scanned = convert.uri_for(doc.path) if doc.path is not None else td.uri
        if not ls.analyzer.push and scanned in ls.scanner.published:
            # a scan pushed them while the file was closed: a pull client keeps pushed diagnostics
            # apart from pulled ones, so they would outlive every fix made now the file is open
            ls.scanner.published.discard(scanned)
            ls.publish(td.uri, None, [])
        if _is_config(doc.path):
            config_changed(ls, doc.path)
        ls.schedule(doc, 0.0)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    @guarded()
    def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
        doc = ls.docs.get(params.text_document.uri)
        if doc is None:
            log.warning("didChange for a document that is not open: %s", params.text_document.uri)
            return
        for change in params.content_changes:
            if isinstance(change, lsp.TextDocumentContentChangePartial):
                r = change.range
                doc.apply(
                    (r.start.line, r.start.character, r.end.line, r.end.character), change.text, ls.encoding
                )
            else:
                doc.apply(None, change.text, ls.encoding)
        doc.version = params.text_document.version
        if _is_config(doc.path):
            config_changed(ls, doc.path)
        ls.schedule(doc)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    @guarded()
    def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
        doc = ls.docs.close(params.text_document.uri)
        if params.text_document.uri in ls._published:  # never a word about other YAML or JSON files
            ls.publish(params.text_document.uri, None, [])
            ls._published.discard(params.text_document.uri)
        if doc is None:
            return
        ls.analyzer.closed(doc)
        ls.forget(doc)
        if _is_config(doc.path):
            config_changed(ls, doc.path)

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded()
    def watched(params: lsp.DidChangeWatchedFilesParams) -> None:
        relevant = False
        for change in params.changes:
            path = uri_to_path(change.uri)
            if _is_config(path):
                assert path is not None
                config_changed(ls, path)
            elif _is_terraform(path) and ls.docs.get(change.uri) is None:
                relevant = True
        if relevant:
            ls.analyzer.invalidate()
            ls.analyzer.schedule_all(ls.settings.debounce_ms / 1000)

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @guarded()
    async def configuration_changed(params: lsp.DidChangeConfigurationParams) -> None:
        if _capability(ls.caps, "workspace.configuration"):
            await ls.fetch_settings()
        elif isinstance(params.settings, dict):
            ls.client_section = params.settings.get("advisor", params.settings)
        ls.apply_settings()

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    @guarded()
    def folders_changed(params: lsp.DidChangeWorkspaceFoldersParams) -> None:
        removed = {uri_to_path(f.uri) for f in params.event.removed}
        added = [p for p in (uri_to_path(f.uri) for f in params.event.added) if p]
        ls.folders = [f for f in ls.folders if f not in removed] + added

    @ls.feature(
        lsp.TEXT_DOCUMENT_DIAGNOSTIC,
        lsp.DiagnosticOptions(
            identifier="advisor", inter_file_dependencies=True, workspace_diagnostics=False
        ),
    )
    @guarded()
    async def pull_diagnostics(params: lsp.DocumentDiagnosticParams) -> convert.Json:
        """Answered as JSON: the report of a big file is built once, in the worker thread."""
        uri = params.text_document.uri
        found = await ls.fresh(uri)
        if found is None:
            doc = ls.docs.get(uri)
            diags: list[convert.Json] = []
            if doc is not None and _is_config(doc.path):
                diags = ls.config_diagnostics(doc)
            elif doc is not None and (reason := doc.skip_reason()) and _is_terraform(doc.path):
                diags = [convert.note_diagnostic_json(reason)]
            return {"kind": "full", "items": diags}
        doc, result = found
        assert doc.path is not None
        diags = result.diagnostics.get(doc.path, [])
        rid = _result_id(diags)
        ls._pull_ids[uri] = rid
        if params.previous_result_id == rid:
            return {"kind": "unchanged", "resultId": rid}
        return {"kind": "full", "resultId": rid, "items": diags}

    @ls.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[
                lsp.CodeActionKind.QuickFix,
                lsp.CodeActionKind.SourceFixAll,
                "source.fixAll.advisor",
            ],
            resolve_provider=True,
        ),
    )
    @guarded(default=[])
    async def code_action(params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        found = await ls.fresh(params.text_document.uri)
        if found is None:
            return []
        doc, result = found
        lazy = "edit" in (_capability(ls.caps, "text_document.code_action.resolve_support.properties") or [])
        explainable = explain.available(ls.settings)
        return features.code_actions(
            result, doc, params, ls.encoding, lazy, ls.uri_version, ls.analyzer.doc_urls, explainable
        )

    @ls.feature(lsp.CODE_ACTION_RESOLVE)
    @guarded()
    async def resolve_code_action(action: lsp.CodeAction) -> lsp.CodeAction:
        data = action.data if isinstance(action.data, dict) else {}
        uri = data.get("uri")
        found = await ls.fresh(uri) if isinstance(uri, str) else None
        if found is None or found[0].version != data.get("version"):
            log.info("code action %r is out of date; not resolved", action.title)
            return action
        doc, result = found
        action.edit = features.edit_for(result, doc, data, ls.encoding, ls.uri_version)
        return action

    @ls.feature(lsp.TEXT_DOCUMENT_HOVER)
    @guarded()
    async def hover(params: lsp.HoverParams) -> lsp.Hover | None:
        found = await ls.fresh(params.text_document.uri, HOVER_TIMEOUT)
        if found is None:
            return None
        return features.hover(found[1], found[0], params.position, ls.encoding, ls.explanations.answer_for)

    @ls.feature(lsp.TEXT_DOCUMENT_CODE_LENS, lsp.CodeLensOptions(resolve_provider=False))
    @guarded(default=[])
    async def code_lens(params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
        if not ls.settings.code_lens:
            return []
        found = await ls.fresh(params.text_document.uri, LENS_TIMEOUT)
        return features.code_lenses(found[1], found[0], ls.encoding) if found else []

    @ls.feature(lsp.TEXT_DOCUMENT_INLAY_HINT, lsp.InlayHintOptions(resolve_provider=False))
    @guarded(default=[])
    async def inlay_hint(params: lsp.InlayHintParams) -> list[lsp.InlayHint]:
        if not ls.settings.inlay_hints:
            return []
        found = await ls.fresh(params.text_document.uri, LENS_TIMEOUT)
        return features.inlay_hints(found[1], found[0], params.range, ls.encoding) if found else []

    @ls.feature(COST_TREE)
    @guarded(default=None)
    async def cost_tree_request(params: Any) -> Any:
        """Scans the workspace (or the folders given as `{"folders": [uri, …]}`) and answers its cost
        tree, built from the very analyses whose totals the scan reports."""
        from advisor.lsp.scan import cost_tree

        raw = getattr(params, "folders", None)
        if raw is None and isinstance(params, dict):
            raw = params.get("folders")
        folders = _scan_folders([{"folders": list(raw)}]) if isinstance(raw, (list, tuple)) else []
        folders = folders or list(ls.folders)
        _ = ls.known_rules
        request_id = ls.protocol.msg_id
        summary = await ls.scanner.scan(
            folders,
            lambda message, percentage: None,
            lambda: request_id is not None and not pygls_adapter.request_pending(ls.protocol, request_id),
            keep=True,
        )
        tree = cost_tree(ls.scanner.last_results, folders)
        ls.scanner.last_results = []  # a whole workspace's analyses: not kept longer than needed
        tree["cancelled"] = summary.cancelled
        tree["errors"] = summary.errors
        return tree

    @ls.command(SCAN_COMMAND)
    def _scan_placeholder(*args: Any) -> None:
        """Advertises the command; `AdvisorProtocol` routes it to `scan_workspace` with its params."""

    @ls.command(features.EXPLAIN_COMMAND)
    def _explain_placeholder(*args: Any) -> None:
        """Advertises the command; `AdvisorProtocol` routes it to `explain_command` with its params."""

    @ls.feature(lsp.SHUTDOWN)
    @guarded()
    def shutdown(params: Any) -> None:
        ls.shutdown_requested = True
        ls.analyzer.shutdown()
        ls.scanner.shutdown()
        ls.explanations.close()

    @ls.feature(lsp.EXIT)
    def exit_now(params: Any) -> None:
        """Leave at once, over stdio or TCP alike: a worker thread may still be inside an analysis
        and must not hold the process up. Exit code 0 only after a shutdown request (the spec)."""
        ls.analyzer.shutdown()
        ls.scanner.shutdown()
        logging.shutdown()
        os._exit(0 if ls.shutdown_requested else 1)

    return ls


def config_changed(ls: AdvisorServer, path: str) -> None:
    """A config file changed (disk or buffer): re-read it now, then re-analyse what is open."""
    _ = ls.known_rules
    before = ls.configs.cached(path)
    ls.configs.invalidate(path)
    if ls.configs.load(path) == before and before is not None:
        return
    ls.analyzer.invalidate()
    ls.analyzer.schedule_all(0.0)


async def register_watchers(ls: AdvisorServer) -> None:
    registrations = []
    if _capability(ls.caps, "workspace.did_change_watched_files.dynamic_registration"):
        watchers = [lsp.FileSystemWatcher(glob_pattern=g) for g in WATCH_GLOBS]
        registrations.append(
            lsp.Registration(
                id="advisor-watch",
                method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
            )
        )
    if _capability(ls.caps, "workspace.did_change_configuration.dynamic_registration"):
        registrations.append(
            lsp.Registration(id="advisor-config", method=lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
        )
    if registrations:
        await _quietly(
            ls.client_register_capability_async(lsp.RegistrationParams(registrations=registrations))
        )


async def scan_workspace(ls: AdvisorServer, params: lsp.ExecuteCommandParams) -> dict[str, Any]:
    """The scan command: progress per module, stops between modules when cancelled."""
    progress = ls.work_done_progress
    token = params.work_done_token
    if token is None and _capability(ls.caps, "window.work_done_progress"):
        token = f"advisor-scan-{uuid.uuid4().hex}"
        try:
            await asyncio.wait_for(progress.create_async(token), CLIENT_TIMEOUT)
        except Exception as exc:
            log.info("no progress for the scan: %s", exc)
            progress.tokens.pop(token, None)
            token = None
    if token is not None:
        progress.begin(
            token,
            lsp.WorkDoneProgressBegin(
                title="Advisor: scanning the workspace", cancellable=True, percentage=0
            ),
        )

    def report(message: str, percentage: int) -> None:
        if token is not None:
            progress.report(token, lsp.WorkDoneProgressReport(message=message, percentage=percentage))

    request_id = ls.protocol.msg_id

    def cancelled() -> bool:
        fut = progress.tokens.get(token) if token is not None else None
        if fut is not None and fut.cancelled():
            return True
        # $/cancelRequest drops the request's future: stop at the next module boundary
        return request_id is not None and not pygls_adapter.request_pending(ls.protocol, request_id)

    folders = _scan_folders(params.arguments) or list(ls.folders)
    summary = None
    try:
        _ = ls.known_rules
        summary = await ls.scanner.scan(folders, report, cancelled)
        for why in summary.refused:
            ls.show(lsp.MessageType.Warning, f"Advisor: {why}")
        return summary.as_dict()
    finally:
        if token is not None:
            if summary is None or summary.cancelled:
                message = "cancelled"
            else:
                message = f"{summary.scanned} modules, {summary.findings} findings"
            progress.end(token, lsp.WorkDoneProgressEnd(message=message))
            progress.tokens.pop(token, None)


def _scan_folders(arguments: Any) -> list[str]:
    """Folders named in the command's arguments (file URIs), if any; else the workspace folders."""
    if not isinstance(arguments, (list, tuple)):
        return []
    uris = [a for a in arguments if isinstance(a, str)]
    for a in arguments:
        if isinstance(a, dict) and isinstance(a.get("folders"), (list, tuple)):
            uris += [u for u in a["folders"] if isinstance(u, str)]
    return [p for p in (uri_to_path(u) for u in uris) if p and os.path.isdir(p)]


def _log_sender(ls: AdvisorServer) -> Callable[[int, str], None]:
    def send(level: int, message: str) -> None:
        kind = (
            lsp.MessageType.Error
            if level >= logging.ERROR
            else lsp.MessageType.Warning
            if level >= logging.WARNING
            else lsp.MessageType.Info
            if level >= logging.INFO
            else lsp.MessageType.Log
        )
        ls.window_log_message(lsp.LogMessageParams(type=kind, message=message))

    return send


def run(tcp: str | None = None, log_file: str | None = None) -> int:
    """Serve on stdio (or TCP for debugging) until the client says exit or goes away."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    ls = build()
    logs.setup(log_file, ls.client_log)
    log.info("advisor %s language server starting (pid %d)", __version__, os.getpid())
    broken: FramingError | None = None
    try:
        if tcp:
            host, _, port = tcp.rpartition(":")
            ls.start_tcp(host or "127.0.0.1", int(port))
        else:
            # pygls reads its stdin with readline() and read(n) alone: FramedStdin checks both
            ls.start_io(cast(BinaryIO, FramedStdin(stdin)), stdout)
    except FramingError as exc:
        broken = exc
    finally:
        ls.analyzer.shutdown()
        ls.scanner.shutdown()
    if broken is not None:
        logs.fatal(f"framing error on stdin: {broken}; exiting, for the client to start a new server")
    logging.shutdown()
    code = 0 if ls.shutdown_requested and broken is None else 1
    # worker threads may still be inside an analysis: do not wait for them at interpreter exit
    os._exit(code)
