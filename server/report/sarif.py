"""`--format sarif`: SARIF 2.1.0 with one reportingDescriptor per rule and fixes as replacements."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advisor import __version__
from advisor.display import json_text, rel
from advisor.engine import Analysis
from advisor.model import Finding, Span

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note", "hint": "note"}


def _region(span: Span) -> dict[str, int]:
    region = {"startLine": span.line + 1, "startColumn": span.column + 1}
    if (span.end_line, span.end_column) > (span.line, span.column):
        region["endLine"] = span.end_line + 1
        region["endColumn"] = span.end_column + 1
    return region


def _fix(f: Finding) -> dict[str, Any]:
    """A SARIF fix: the finding's edits grouped by file, described with its rule when it is one of
    several alternatives."""
    by_file: dict[str, list[dict[str, Any]]] = {}
    for e in f.fix:
        by_file.setdefault(e.span.path, []).append(
            {
                "deletedRegion": _region(e.span)
                | {"endLine": e.span.end_line + 1, "endColumn": e.span.end_column + 1},
                "insertedContent": {"text": e.new_text},
            }
        )
    return {
        "description": {"text": f"{f.fix_title or 'Apply the fix'} ({f.rule})"},
        "artifactChanges": [
            {"artifactLocation": {"uri": rel(p), "uriBaseId": "%SRCROOT%"}, "replacements": reps}
            for p, reps in by_file.items()
        ],
    }


def render(analysis: Analysis) -> str:
    from advisor.rules.engine import load_rules

    rules = load_rules()
    index = {r.id: i for i, r in enumerate(rules)}
    results: list[dict[str, Any]] = []
    for f in analysis.findings:
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": index.get(f.rule, 0),
            "level": _LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": rel(f.span.path), "uriBaseId": "%SRCROOT%"},
                        "region": _region(f.span),
                    },
                    **(
                        {"logicalLocations": [{"fullyQualifiedName": f.resource, "kind": "resource"}]}
                        if f.resource
                        else {}
                    ),
                }
            ],
            "properties": {
                "monthlyCost": f.monthly_cost,
                "monthlyCostAfter": f.monthly_cost_after,
                "monthlySavings": f.monthly_savings,
                "currency": "USD",
                "current": f.current if isinstance(f.current, (str, int, float)) else str(f.current),
                "suggested": f.suggested if isinstance(f.suggested, (str, int, float)) else str(f.suggested),
                **(
                    {
                        "unitSavings": [
                            {"unit": u.unit, "before": u.before, "after": u.after} for u in f.unit_savings
                        ]
                    }
                    if f.unit_savings is not None
                    else {}
                ),
                **(
                    {
                        "alternatives": [
                            {
                                "ruleId": a.rule,
                                "suggested": a.suggested
                                if isinstance(a.suggested, (str, int, float))
                                else str(a.suggested),
                                "monthlyCostAfter": a.monthly_cost_after,
                                "monthlySavings": a.monthly_savings,
                            }
                            for a in f.alternatives
                        ]
                    }
                    if f.alternatives
                    else {}
                ),
            },
        }
        fixes = [_fix(a) for a in (f.alternatives or [f]) if a.fix]  # the best first
        if fixes:
            result["fixes"] = fixes
        if f.explanation:
            result["message"]["markdown"] = f.message + "\n\n" + f.explanation
        results.append(result)
    # Errors without a place (files that could not be read) and every error that left input unanalysed
    # are notifications; the run is unsuccessful when any input was left unanalysed (exit code 3).
    notifications: list[dict[str, Any]] = []
    for error in analysis.errors:
        if error.span is not None and not error.incomplete:
            continue  # a syntax error at its place: a `parse-error` result already
        where: dict[str, Any] = {"artifactLocation": {"uri": rel(error.path), "uriBaseId": "%SRCROOT%"}}
        if error.span is not None:
            where["region"] = _region(error.span)
        notifications.append(
            {"level": "error", "message": {"text": error.message}, "locations": [{"physicalLocation": where}]}
        )
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "advisor",
                "version": __version__,
                "informationUri": "https://github.com/advisor-iac/advisor",
                "rules": [
                    {
                        "id": r.id,
                        "name": "".join(p.capitalize() for p in r.id.split("-")),
                        "shortDescription": {"text": r.title},
                        "fullDescription": {"text": r.rationale},
                        "helpUri": r.doc_url,
                        "defaultConfiguration": {"level": _LEVEL[r.severity]},
                        "properties": {"tags": ["cost"], "fixSafe": r.safe},
                    }
                    for r in rules
                ],
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri().rstrip("/") + "/"}},
        "results": results,
        "invocations": [
            {
                "executionSuccessful": not any(e.incomplete for e in analysis.errors),
                "toolExecutionNotifications": notifications,
            }
        ],
    }
    doc = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json_text(doc)
