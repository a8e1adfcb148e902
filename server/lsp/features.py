"""Answers to editor requests, built from one module analysis: hover, code lens, inlay hints and
code actions. Each function takes the analysis and the document and returns protocol objects; the
handlers in `server.py` only fetch the inputs and pass the answer on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from advisor.lsp import actions, convert, explain, presentation
from advisor.lsp.analysis import ModuleView
from advisor.lsp.documents import Document, LineIndex, from_units
from advisor.model import Finding, Resource, Span
from lsprotocol import types as lsp

UriVersion = Callable[[str], tuple[str, int | None]]


def client_point(doc: Document, pos: lsp.Position, encoding: str) -> tuple[int, int]:
    """A client position as (line, code-point column) in the document's current text."""
    index = doc.index
    line = min(max(pos.line, 0), max(index.line_count - 1, 0))
    return line, from_units(index.line(line), pos.character, encoding)


def _groups(resources: list[Resource]) -> list[list[Resource]]:
    """Instances of one block (count / for_each) share its span: one group per block."""
    by_block: dict[tuple[int, int], list[Resource]] = {}
    for r in resources:
        by_block.setdefault((r.span.line, r.span.column), []).append(r)
    return [by_block[k] for k in sorted(by_block)]


def _block_costs(result: ModuleView, group: list[Resource]) -> tuple[list[Any], bool]:
    costs = result.costs_by_address()
    not_priced = result.not_priced()
    found = [costs[r.address] for r in group if r.address in costs]
    return found, any(r.address in not_priced for r in group)


def _launchers(result: ModuleView, group: list[Resource]) -> list[Any]:
    """The costs of the autoscaling groups that launch a launch template's instances.

    A template launches nothing by itself: the engine prices its instances in the groups, and the
    rules give a finding on the template those groups' figures. Hover and lens show the same costs,
    so that what the editor says about a template agrees with its diagnostics."""
    from advisor.engine import TEMPLATE_TYPES

    if group[0].type not in TEMPLATE_TYPES:
        return []
    addresses = {r.address for r in group}
    costs = result.costs_by_address()
    return [
        costs[r.address]
        for r in result.outcome.resources
        if r.launch_template in addresses and r.address in costs
    ]


# -- hover ---------------------------------------------------------------------------------------------
def hover(
    result: ModuleView,
    doc: Document,
    pos: lsp.Position,
    encoding: str,
    answer_for: Callable[[Finding], str | None] | None = None,
) -> lsp.Hover | None:
    assert doc.path is not None
    line, col = client_point(doc, pos, encoding)
    index = result.index(doc.path)
    parts: list[str] = []
    span = None
    findings = [f for f in result.findings_in(doc.path) if f.span.contains(line, col)]
    for f in findings:
        text = presentation.finding_hover(f)
        answer = answer_for(f) if answer_for is not None else None
        if answer:
            text += "\n\n**Explanation** (from the configured model, not checked):\n\n" + explain.inert(
                answer
            )
        parts.append(text)
        span = span or f.span
    groups = [g for g in _groups(result.resources_in(doc.path)) if g[0].span.contains(line, col)]
    if groups:
        group = min(
            groups, key=lambda g: (g[0].span.end - g[0].span.start, g[0].span.end_line - g[0].span.line)
        )
        costs, not_priced = _block_costs(result, group)
        first = group[0]
        launchers = [] if costs else _launchers(result, group)
        alternatives = _alternatives(launchers or costs, first.region)
        if launchers:
            parts.append(
                presentation.template_hover(_block_address(group), first.region, launchers, alternatives)
            )
        else:
            parts.append(
                presentation.resource_hover(
                    _block_address(group), first.type, first.region, costs, not_priced, alternatives
                )
            )
        span = span or _header(first, index)
    if not parts or span is None:
        return None
    return lsp.Hover(
        contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)),
        range=convert.span_range(span, index, encoding),
    )


def _alternatives(costs: list[Any], region: str) -> presentation.Alternatives:
    """Reserved and spot prices of the EC2 / RDS instance lines the hover shows, by instance address
    (a few lookups in the open catalog, done only when a hover is asked for)."""
    from advisor.pricing.catalog import Catalog
    from advisor.pricing.commitments import alternatives_for

    catalog = Catalog.default()
    return {
        c.address: alternatives_for(c, region, catalog) for c in costs[: presentation.MAX_HOVER_INSTANCES]
    }


def _block_address(group: list[Resource]) -> str:
    """The address the user reads for a block: the instance's own (`aws_x.y[0]`,
    `module.db[0].aws_x.y`) when there is one instance, the block's (`aws_x.y`) when there are
    several; each instance's full address is in the hover's list."""
    if len(group) == 1:
        return group[0].address
    blocks = {presentation.block_address(r.address) for r in group}
    if len(blocks) == 1:
        return blocks.pop()
    # one block of a module that several calls instantiate: its address inside the module
    return ".".join(presentation.block_address(group[0].address).split(".")[-2:])


def _header(r: Resource, index: LineIndex | None) -> Span:
    """The first line of a resource block: where hovers point and lenses sit."""
    s = r.span
    width = len(index.line(s.line)) if index is not None else s.column
    return Span(s.path, s.line, s.column, s.line, max(width, s.column))


# -- code lens and inlay hints ---------------------------------------------------------------------------
def code_lenses(result: ModuleView, doc: Document, encoding: str) -> list[lsp.CodeLens]:
    """A lens above each resource block and module call, and the file's total on line 0: what this
    file adds to the bill, its own resources and the module instances it calls."""
    assert doc.path is not None
    resources = result.resources_in(doc.path)
    index = result.index(doc.path)
    calls = _module_calls(result, doc, index)
    if not resources and not calls:
        return []
    lenses: list[lsp.CodeLens] = []
    file_costs: list[Any] = []
    for group in _groups(resources):
        costs, not_priced = _block_costs(result, group)
        file_costs.extend(costs)
        rng = convert.span_range(_header(group[0], index), index, encoding)
        launchers = [] if costs else _launchers(result, group)
        title = (
            presentation.template_lens(launchers)
            if launchers
            else presentation.total_label(costs, not_priced)
        )
        lenses.append(lsp.CodeLens(range=rng, command=lsp.Command(title=title, command="")))
    for line, width, call in calls:
        file_costs.extend(call.costs)
        end = convert.position(index, line, width, encoding)
        rng = lsp.Range(start=lsp.Position(end.line, 0), end=end)
        title = presentation.module_label(call.costs, call.findings, call.instances)
        lenses.append(lsp.CodeLens(range=rng, command=lsp.Command(title=title, command="")))
    lenses.sort(key=lambda c: c.range.start.line)
    total = presentation.file_total_label(file_costs, len(_groups(resources)), len(calls))
    top = lsp.Range(start=lsp.Position(0, 0), end=lsp.Position(0, 0))
    return [lsp.CodeLens(range=top, command=lsp.Command(title=total, command="")), *lenses]


@dataclass(frozen=True, slots=True)
class ModuleCall:
    """What one `module "name" {` call adds to the analysis: its instances' costs (nested calls
    included) and findings."""

    costs: list[Any]
    findings: int
    instances: int


_MODULE_HEADER = re.compile(r'^[ \t]*module[ \t]+"([A-Za-z_][A-Za-z0-9_-]*)"[ \t]*\{')


def _module_calls(
    result: ModuleView, doc: Document, index: LineIndex | None
) -> list[tuple[int, int, ModuleCall]]:
    """(line, line width, call) for each `module "name" {` of this file that the analysis expanded
    (a registry module not fetched has its own diagnostic instead).

    Looked up here, on the lens request, in the result the diagnostics came from: the typing path
    does no extra work. The call's header is found by its first line, `module "name" {`."""
    if doc.path is None or result.unit.template is not None or index is None:
        return []
    if not any(r.module_path for r in result.outcome.resources):
        return []
    calls: list[tuple[int, int, ModuleCall]] = []
    for line in range(index.line_count):
        text = index.line(line)
        if "module" not in text:
            continue
        m = _MODULE_HEADER.match(text)
        if m is None:
            continue
        call = module_call(result, f"module.{m.group(1)}")
        if call is not None:
            calls.append((line, len(text.rstrip("\r\n")), call))
    return calls


def _in_module(address: str, prefix: str) -> bool:
    """Whether `address` lies in the module call `prefix` (`module.a`), any instance, any depth."""
    return address.startswith(prefix) and address[len(prefix) : len(prefix) + 1] in (".", "[")


def module_call(result: ModuleView, prefix: str) -> ModuleCall | None:
    """The costs and findings of the module call `prefix` (`module.search`), all its instances, or
    None when the analysis has no resource in it."""
    resources = [r for r in result.outcome.resources if r.module_path and _in_module(r.address, prefix)]
    if not resources:
        return None
    costs_by = result.costs_by_address()
    costs = [costs_by[r.address] for r in resources if r.address in costs_by]
    # A finding in a module's file is one for all the calls of that module (the engine merges the
    # instances' findings at one place): it counts for every call whose blocks contain it.
    blocks: dict[str, list[tuple[int, int]]] = {}
    for r in resources:
        blocks.setdefault(os.path.normpath(r.span.path), []).append((r.span.start, r.span.end))
    findings = sum(
        1
        for f in result.outcome.findings
        if _in_module(f.resource, prefix)
        or any(
            a <= f.span.start and f.span.end <= b for a, b in blocks.get(os.path.normpath(f.span.path), ())
        )
    )
    instances = len({_call_instance(r.module_path, prefix) for r in resources})
    return ModuleCall(costs, findings, instances)


def _call_instance(module_path: str, prefix: str) -> str:
    """`module.a[1]` for `module.a[1].module.b` and prefix `module.a`."""
    rest = module_path[len(prefix) :]
    if rest.startswith("["):
        return prefix + rest[: rest.index("]") + 1]
    return prefix


def inlay_hints(result: ModuleView, doc: Document, rng: lsp.Range, encoding: str) -> list[lsp.InlayHint]:
    assert doc.path is not None
    index = result.index(doc.path)
    hints: list[lsp.InlayHint] = []
    for group in _groups(result.resources_in(doc.path)):
        line = group[0].span.line
        if not rng.start.line <= line <= rng.end.line:
            continue
        costs, not_priced = _block_costs(result, group)
        text = index.line(line) if index is not None else ""
        end = convert.position(index, line, len(text), encoding)
        hints.append(
            lsp.InlayHint(
                position=end,
                label=f"{presentation.total_label(costs, not_priced)}",
                padding_left=True,
                tooltip=f"Advisor: monthly cost of {_block_address(group)}",
            )
        )
    return hints


# -- code actions ------------------------------------------------------------------------------------------
def _matches(f: Finding, diagnostics: list[lsp.Diagnostic], index: LineIndex | None, encoding: str) -> bool:
    if not diagnostics:
        return False
    rng = convert.span_range(f.span, index, encoding)
    return any(d.code == f.rule and d.range == rng for d in diagnostics)


def code_actions(
    result: ModuleView,
    doc: Document,
    params: lsp.CodeActionParams,
    encoding: str,
    resolve_edits: bool,
    uri_version: UriVersion,
    doc_urls: dict[str, str],
    explainable: bool = False,
) -> list[lsp.CodeAction]:
    assert doc.path is not None
    index = result.index(doc.path)
    all_findings = result.findings_in(doc.path)
    only = [str(k) for k in (params.context.only or [])]

    def wanted(kind: str) -> bool:
        return not only or any(kind == k or kind.startswith(k + ".") for k in only)

    out: list[lsp.CodeAction] = []
    if wanted(actions.QUICKFIX):
        start = client_point(doc, params.range.start, encoding)
        end = client_point(doc, params.range.end, encoding)
        here = [
            f
            for f in all_findings
            if actions.overlaps(f, *start, *end)
            or _matches(f, list(params.context.diagnostics), index, encoding)
        ]
        for spec in actions.offer(here, doc.path, index, all_findings):
            out.append(_action(spec, result, doc, index, encoding, resolve_edits, uri_version, doc_urls))
        if explainable:
            out.extend(
                _explain_action(f, doc, index, encoding, doc_urls)
                for f in here
                if f.rule not in actions.NO_IGNORE
            )
    if wanted(actions.FIX_ALL_KIND) and only:  # source actions only when asked for by kind
        fix_all = actions.fix_all_spec(all_findings)
        if fix_all is not None:
            out.append(_action(fix_all, result, doc, index, encoding, resolve_edits, uri_version, doc_urls))
    return out


def _action(
    spec: actions.ActionSpec,
    result: ModuleView,
    doc: Document,
    index: LineIndex | None,
    encoding: str,
    resolve_edits: bool,
    uri_version: UriVersion,
    doc_urls: dict[str, str],
) -> lsp.CodeAction:
    data = {"uri": doc.uri, "version": doc.version, "action": spec.action, "rule": spec.rule, "key": spec.key}
    diags = (
        [convert.diagnostic(f, index, encoding, doc_urls) for f in spec.findings]
        if spec.kind == actions.QUICKFIX
        else None
    )
    action = lsp.CodeAction(
        title=spec.title,
        kind=spec.kind,
        diagnostics=diags,
        is_preferred=spec.preferred or None,
        data=data,
    )
    if not resolve_edits:
        action.edit = edit_for(result, doc, data, encoding, uri_version)
    return action


EXPLAIN_COMMAND = "advisor.explain"


def _explain_action(
    f: Finding, doc: Document, index: LineIndex | None, encoding: str, doc_urls: dict[str, str]
) -> lsp.CodeAction:
    """Runs the explain command: no edit, the answer is shown and kept for the hover."""
    args = {"uri": doc.uri, "version": doc.version, "key": convert.finding_key(f)}
    return lsp.CodeAction(
        title=f"Explain {f.rule} (asks the configured model)",
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[convert.diagnostic(f, index, encoding, doc_urls)],
        command=lsp.Command(title=f"Explain {f.rule}", command=EXPLAIN_COMMAND, arguments=[args]),
    )


def find_finding(result: ModuleView, path: str, key: list[Any]) -> Finding | None:
    for f in result.findings_in(path):
        if convert.finding_key(f) == list(key):
            return f
    return None


def edit_for(
    result: ModuleView, doc: Document, data: dict[str, Any], encoding: str, uri_version: UriVersion
) -> lsp.WorkspaceEdit | None:
    """The workspace edit of an offered action, or None when the analysis no longer has it."""
    assert doc.path is not None
    finding = find_finding(result, doc.path, data.get("key") or [])
    action = str(data.get("action", ""))
    if action != "fix-all" and finding is None:
        return None
    edits = actions.edits_for(
        action,
        str(data.get("rule", "")),
        finding,
        doc.path,
        result.index(doc.path),
        result.findings_in(doc.path),
    )
    if not edits:
        return None
    return convert.workspace_edit(edits, result.index, encoding, uri_version)


def same_file(a: str, b: str) -> bool:
    return os.path.normpath(a) == os.path.normpath(b)
