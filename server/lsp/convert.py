"""Model → LSP conversions: spans to ranges in the client's position encoding, findings to
diagnostics, model text edits to versioned workspace edits.

The model counts columns in code points; clients count UTF-16 units by default or UTF-8 bytes when
negotiated. Converting needs the text of the line, so every function here takes a lookup from a
path to the `LineIndex` of the exact text that was analysed.

Positions, ranges and diagnostics have one form: JSON-ready dicts (`point_json`, `range_json`,
`diagnostic_json` …). Diagnostics are built on every keystroke, in the worker thread, hundreds per
big module, and are pushed to the client as they are; plain dicts cost a tenth of protocol objects
to build and nothing to serialise. The replies that pygls sends as protocol objects (hover, lenses,
inlay hints, code actions) get theirs from these dicts (`position`, `span_range`, `diagnostic`), so
each is worked out in one place.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from advisor.lsp.documents import LineIndex, path_to_uri, to_units
from advisor.model import Finding, ParseError, Span, TextEdit
from lsprotocol import types as lsp

SOURCE = "advisor"
UNUSED_IGNORE = "unused-ignore"
CONFIG_ERROR = "config-error"

SEVERITY = {
    "error": lsp.DiagnosticSeverity.Error,
    "warning": lsp.DiagnosticSeverity.Warning,
    "info": lsp.DiagnosticSeverity.Information,
    "hint": lsp.DiagnosticSeverity.Hint,
}

IndexFor = Callable[[str], LineIndex | None]


def finding_key(f: Finding) -> list[Any]:
    """A stable identity for a finding within one analysis (travels in `data` of actions)."""
    s = f.span
    return [f.rule, s.line, s.column, s.end_line, s.end_column]


Json = dict[str, Any]  # the JSON form of a protocol object (see the module's docstring)


def point_json(index: LineIndex | None, line: int, column: int, encoding: str) -> Json:
    """A model position (column in code points) in the client's encoding; a line past the end of the
    text is the end of its last line."""
    line = max(line, 0)
    if index is None:
        return {"line": line, "character": max(column, 0)}
    if line >= index.line_count:  # past the end: the end of the last line
        line = index.line_count - 1
        text = index.line(line)
        return {"line": line, "character": to_units(text, len(text), encoding)}
    return {"line": line, "character": to_units(index.line(line), column, encoding)}


def range_json(span: Span, index: LineIndex | None, encoding: str) -> Json:
    """A span as a range in the client's encoding; one that ends before it starts is empty."""
    start = point_json(index, span.line, span.column, encoding)
    end = point_json(index, span.end_line, span.end_column, encoding)
    if (end["line"], end["character"]) < (start["line"], start["character"]):
        end = start
    return {"start": start, "end": end}


def diagnostic_json(f: Finding, index: LineIndex | None, encoding: str, doc_urls: dict[str, str]) -> Json:
    d: Json = {
        "range": range_json(f.span, index, encoding),
        "severity": int(SEVERITY.get(f.severity, lsp.DiagnosticSeverity.Warning)),
        "code": f.rule,
        "source": SOURCE,
        "message": f.message,
        "data": {"key": finding_key(f), "fixable": bool(f.fix)},
    }
    href = f.doc_url or doc_urls.get(f.rule, "")
    if href:
        d["codeDescription"] = {"href": href}
    if f.rule == UNUSED_IGNORE:
        d["tags"] = [int(lsp.DiagnosticTag.Unnecessary)]
    return d


def _at_start(message: str, severity: lsp.DiagnosticSeverity, code: str) -> Json:
    zero = {"line": 0, "character": 0}
    return {
        "range": {"start": zero, "end": zero},
        "severity": int(severity),
        "code": code,
        "source": SOURCE,
        "message": message,
    }


def error_diagnostic_json(e: ParseError, index: LineIndex | None, encoding: str) -> Json:
    """A read error (binary, too big, undecodable): at its place if it has one, else at the top."""
    d = _at_start(e.message, lsp.DiagnosticSeverity.Error, "parse-error")
    if e.span is not None:
        d["range"] = range_json(e.span, index, encoding)
    return d


def note_diagnostic_json(message: str, code: str = "not-analysed") -> Json:
    return _at_start(message, lsp.DiagnosticSeverity.Information, code)


def config_diagnostic_json(line: int | None, message: str, index: LineIndex | None, encoding: str) -> Json:
    n = max((line or 1) - 1, 0)
    text = index.line(n) if index is not None else ""
    d = _at_start(
        f"{message} (the previous settings stay in effect)", lsp.DiagnosticSeverity.Error, CONFIG_ERROR
    )
    d["range"] = {
        "start": {"line": n, "character": 0},
        "end": {"line": n, "character": to_units(text, len(text), encoding)},
    }
    return d


# -- protocol objects, from the JSON forms above ---------------------------------------------------------
def _position(p: Json) -> lsp.Position:
    return lsp.Position(line=p["line"], character=p["character"])


def position(index: LineIndex | None, line: int, column: int, encoding: str) -> lsp.Position:
    return _position(point_json(index, line, column, encoding))


def span_range(span: Span, index: LineIndex | None, encoding: str) -> lsp.Range:
    """`range_json` as a protocol object, made directly: lenses and hints ask for one per block, and
    this costs a third of lsprotocol's converter."""
    r = range_json(span, index, encoding)
    return lsp.Range(start=_position(r["start"]), end=_position(r["end"]))


def diagnostic(
    f: Finding, index: LineIndex | None, encoding: str, doc_urls: dict[str, str]
) -> lsp.Diagnostic:
    """`diagnostic_json` as a protocol object (code actions carry the few they fix), by lsprotocol's
    own converter."""
    from lsprotocol.converters import get_converter

    return get_converter().structure(diagnostic_json(f, index, encoding, doc_urls), lsp.Diagnostic)


def workspace_edit(
    edits: Iterable[TextEdit],
    index_for: IndexFor,
    encoding: str,
    uri_version: Callable[[str], tuple[str, int | None]],
) -> lsp.WorkspaceEdit:
    """Group edits per file into `documentChanges`, each with the document version they apply to
    (None for files that are not open), in a stable order."""
    by_path: dict[str, list[TextEdit]] = {}
    for e in edits:
        by_path.setdefault(os.path.normpath(e.span.path), []).append(e)
    changes: list[lsp.TextDocumentEdit | lsp.CreateFile | lsp.RenameFile | lsp.DeleteFile] = []
    for path in sorted(by_path):
        uri, version = uri_version(path)
        index = index_for(path)
        items = sorted(by_path[path], key=lambda e: (e.span.line, e.span.column))
        changes.append(
            lsp.TextDocumentEdit(
                text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                edits=[
                    lsp.TextEdit(range=span_range(e.span, index, encoding), new_text=e.new_text)
                    for e in items
                ],
            )
        )
    return lsp.WorkspaceEdit(document_changes=changes)


def uri_for(path: str) -> str:
    return path_to_uri(path)
