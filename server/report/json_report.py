"""`--format json`: the contract of DESIGN §4, version 1."""

from __future__ import annotations

import json
import os
from typing import Any

from advisor import __version__
from advisor.display import json_text, rel, relative_to
from advisor.engine import Analysis
from advisor.model import Finding, ParseError
from advisor.report.common import edit_json, incomplete

COMPACT_ABOVE = 2000


def pricing_info(region: str) -> dict[str, Any]:
    from advisor.pricing.catalog import Catalog

    catalog = Catalog.default()
    return {
        "source": catalog.kind,
        "as_of": catalog.as_of(),
        "default_region": region,
    }


def finding_json(f: Finding, cwd: str | None = None) -> dict[str, Any]:
    """One finding as DESIGN §4 has it (`cwd`: the folder paths are relative to, if already known)."""
    cwd = cwd or os.getcwd()
    span = f.span
    out: dict[str, Any] = {
        "rule": f.rule,
        "severity": f.severity,
        "message": f.message,
        "path": relative_to(cwd, span.path),
        "line": span.line + 1,
        "column": span.column + 1,
        "end_line": span.end_line + 1,
        "end_column": span.end_column + 1,
        "resource": f.resource,
        "attribute": f.attribute,
        "current": f.current,
        "suggested": f.suggested,
        "monthly_cost": f.monthly_cost,
        "monthly_cost_after": f.monthly_cost_after,
        "monthly_savings": f.monthly_savings,
        "currency": "USD",
        "fix": [edit_json(e, cwd) for e in f.fix],
        "fix_safe": f.fix_safe,
        "doc_url": f.doc_url,
        "alternatives": [alternative_json(a, cwd) for a in alternatives_of(f)],
        "unit_savings": unit_savings_json(f),
    }
    if f.explanation:
        out["explanation"] = f.explanation
    return out


def alternatives_of(f: Finding) -> list[Finding]:
    """The competing suggestions for the finding's value, best first (itself when it is the only one)."""
    return f.alternatives or ([f] if f.suggested is not None else [])


def unit_savings_json(f: Finding) -> list[dict[str, Any]] | None:
    if f.unit_savings is None:
        return None
    return [{"unit": u.unit, "before": u.before, "after": u.after} for u in f.unit_savings]


def alternative_json(a: Finding, cwd: str) -> dict[str, Any]:
    """One entry of `alternatives`: its rule, suggestion, figures and fix (DESIGN §4)."""
    return {
        "rule": a.rule,
        "severity": a.severity,
        "message": a.message,
        "suggested": a.suggested,
        "monthly_cost_after": a.monthly_cost_after,
        "monthly_savings": a.monthly_savings,
        "unit_savings": unit_savings_json(a),
        "fix": [edit_json(e, cwd) for e in a.fix],
        "fix_safe": a.fix_safe,
        "doc_url": a.doc_url,
    }


def error_json(e: ParseError) -> dict[str, Any]:
    """An entry of `errors`: where, what, and whether it left input unanalysed (`incomplete`)."""
    return {
        "path": rel(e.path),
        "line": (e.span.line + 1) if e.span else None,
        "column": (e.span.column + 1) if e.span else None,
        "message": e.message,
        "incomplete": e.incomplete,
    }


def render(analysis: Analysis, region: str, unit: tuple[str, float] | None = None) -> str:
    cwd = os.getcwd()
    summary: dict[str, Any] = {
        "files": len(analysis.files),
        "resources": len(analysis.resources),
        "findings": len(analysis.findings),
        "parse_errors": len(analysis.errors),
        "monthly_cost": analysis.monthly_cost,
        "monthly_savings": analysis.monthly_savings,
        "incomplete": bool(incomplete(analysis.errors)),
        "count_unknown": analysis.count_unknown,
    }
    if unit is not None and unit[1] > 0:
        summary["unit"] = {
            "name": unit[0],
            "monthly_volume": unit[1],
            "cost_per_unit": analysis.monthly_cost / unit[1],
        }
    doc = {
        "version": 1,
        "tool": {"name": "advisor", "version": __version__},
        "pricing": pricing_info(region),
        "summary": summary,
        "findings": [finding_json(f, cwd) for f in analysis.findings],
        "errors": [error_json(e) for e in analysis.errors],
        "notes": analysis.notes,
    }
    # Indented, with `→` as it is, for people (controls and bidi characters escaped all the same). Very
    # large reports are for programs: compact, and with `\u2192` escapes (the same JSON once parsed),
    # because the indenting encoder and the one that writes non-ASCII characters as they are are each
    # about twice as slow.
    if len(analysis.findings) <= COMPACT_ABOVE:
        return json_text(doc)
    return json.dumps(doc) + "\n"
