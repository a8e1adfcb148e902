"""Model → LSP conversions: spans to ranges in the client's position encoding, findings to
diagnostics, model text edits to versioned workspace edits.

The model counts columns in code points; clients count UTF-16 units by default or UTF-8 bytes when
negotiated. Converting needs the text of the line, so every function here takes a lookup from a
path to the `LineIndex` of the exact text that was analysed.
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


def position(index: LineIndex | None, line: int, column: int, encoding: str) -> lsp.Position:
    line = max(line, 0)
    if index is None:
        return lsp.Position(line=line, character=max(column, 0))
    if line >= index.line_count:  # past the end: the end of the last line
        last = index.line_count - 1
        return lsp.Position(line=last, character=to_units(index.line(last), len(index.line(last)), encoding))
    return lsp.Position(line=line, character=to_units(index.line(line), column, encoding))


def span_range(span: Span, index: LineIndex | None, encoding: str) -> lsp.Range:
    start = position(index, span.line, span.column, encoding)
    end = position(index, span.end_line, span.end_column, encoding)
    if (end.line, end.character) < (start.line, start.character):
        end = start
    return lsp.Range(start=start, end=end)


def finding_key(f: Finding) -> list[Any]:
    """A stable identity for a finding within one analysis (travels in `data` of actions)."""
    s = f.span
    return [f.rule, s.line, s.column, s.end_line, s.end_column]


def diagnostic(
    f: Finding, index: LineIndex | None, encoding: str, doc_urls: dict[str, str]
) -> lsp.Diagnostic:
    href = f.doc_url or doc_urls.get(f.rule, "")
    tags = [lsp.DiagnosticTag.Unnecessary] if f.rule == UNUSED_IGNORE else None
    return lsp.Diagnostic(
        range=span_range(f.span, index, encoding),
        message=f.message,
        severity=SEVERITY.get(f.severity, lsp.DiagnosticSeverity.Warning),
        code=f.rule,
        code_description=lsp.CodeDescription(href=href) if href else None,
        source=SOURCE,
        tags=tags,
        data={"key": finding_key(f), "fixable": bool(f.fix)},
    )


def error_diagnostic(e: ParseError, index: LineIndex | None, encoding: str) -> lsp.Diagnostic:
    """A read error (binary, too big, undecodable) that has no place in the text: line 0."""
    rng = (
        span_range(e.span, index, encoding)
        if e.span
        else lsp.Range(start=lsp.Position(0, 0), end=lsp.Position(0, 0))
    )
    return lsp.Diagnostic(
        range=rng, message=e.message, severity=lsp.DiagnosticSeverity.Error, code="parse-error", source=SOURCE
    )


def note_diagnostic(message: str, code: str = "not-analysed") -> lsp.Diagnostic:
    return lsp.Diagnostic(
        range=lsp.Range(start=lsp.Position(0, 0), end=lsp.Position(0, 0)),
        message=message,
        severity=lsp.DiagnosticSeverity.Information,
        code=code,
        source=SOURCE,
    )


def config_diagnostic(
    line: int | None, message: str, index: LineIndex | None, encoding: str
) -> lsp.Diagnostic:
    n = max((line or 1) - 1, 0)
    text = index.line(n) if index is not None else ""
    end = to_units(text, len(text), encoding)
    return lsp.Diagnostic(
        range=lsp.Range(start=lsp.Position(n, 0), end=lsp.Position(n, end)),
        message=f"{message} (the previous settings stay in effect)",
        severity=lsp.DiagnosticSeverity.Error,
        code=CONFIG_ERROR,
        source=SOURCE,
    )


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
