"""The pages of `advisor report` and `advisor history --format html`: one self-contained HTML page,
charts as files (the commands themselves are `commands.cli_report` and `commands.cli_history`).

The page is made with Jinja2 (autoescaping every value: names, paths, messages, commit subjects and
authors come from the repository) and its charts are Vega-Lite or Vega specs rendered to SVG and PNG by
vl-convert, which bundles the Vega JavaScript engine and runs it in-process with no network. Each chart
is embedded as an `<img>` with a `data:` URL: an SVG shown as an image runs no script and loads nothing,
whatever text it holds, and the page's Content-Security-Policy allows nothing else (no script, no
request; styles inline, system fonts). Both libraries are the optional extra `report`; without them the
command says how to install them.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.display import printable, rel
from advisor.money import money, signed
from advisor.report.common import SEVERITY_RANK, incomplete, md_cell, md_code

if TYPE_CHECKING:
    from advisor.budget import RootedAnalysis
    from advisor.history import History
    from advisor.model import Finding

INSTALL_HINT = (
    "the HTML report and its charts need the optional extra 'report' (Jinja2 and vl-convert-python): "
    "pip install 'advisor-iac[report]'"
)
TOP_FINDINGS = 50
TOP_RESOURCES_IN_TREEMAP = 400


class ReportUnavailable(Exception):
    """The optional libraries of the HTML report are not installed."""


def libraries() -> tuple[Any, Any]:
    """(jinja2, vl_convert), or `ReportUnavailable` saying how to install them."""
    try:
        import jinja2
        import vl_convert
    except ImportError as exc:
        raise ReportUnavailable(f"{INSTALL_HINT} ({exc.name or 'a module'} is missing)") from None
    return jinja2, vl_convert


# -- charts --------------------------------------------------------------------------------------------
@dataclass(slots=True)
class Chart:
    """A chart spec and whether it is Vega-Lite (else Vega); rendered on demand."""

    name: str
    title: str
    spec: dict[str, Any]
    lite: bool = True

    def svg(self) -> str:
        _, vlc = libraries()
        text: str = vlc.vegalite_to_svg(self.spec) if self.lite else vlc.vega_to_svg(self.spec)
        return text

    def png(self) -> bytes:
        _, vlc = libraries()
        data: bytes = (
            vlc.vegalite_to_png(self.spec, scale=2) if self.lite else vlc.vega_to_png(self.spec, scale=2)
        )
        return data

    def data_url(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg().encode()).decode("ascii")


_FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
_CONFIG: dict[str, Any] = {
    "font": _FONT,
    "view": {"stroke": None},
    "axis": {"labelFontSize": 12, "titleFontSize": 12},
}


def history_chart(history: History) -> Chart:
    """The monthly total at each commit, as a step line (a total holds until the next commit)."""
    values = [
        {"date": p.commit.date, "total": p.total, "commit": p.commit.id[:12]}
        for p in history.points
        if p.total is not None
    ]
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 720,
        "height": 260,
        "config": _CONFIG,
        "data": {"values": values},
        "layer": [
            {"mark": {"type": "line", "interpolate": "step-after", "color": "#3b6fb6", "strokeWidth": 2}},
            {"mark": {"type": "point", "filled": True, "color": "#3b6fb6", "size": 36}},
        ],
        "encoding": {
            "x": {"field": "date", "type": "temporal", "title": None},
            "y": {
                "field": "total",
                "type": "quantitative",
                "title": "USD per month",
                "axis": {"format": "$,.0f"},
            },
        },
    }
    return Chart("history", "Monthly cost at each commit", spec)


def services_chart(services: dict[str, float]) -> Chart:
    values = [{"service": k, "cost": v} for k, v in services.items() if v > 0]
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 640,
        "height": {"step": 22},
        "config": _CONFIG,
        "data": {"values": values},
        "mark": {"type": "bar", "color": "#3b6fb6"},
        "encoding": {
            "y": {"field": "service", "type": "nominal", "sort": "-x", "title": None},
            "x": {
                "field": "cost",
                "type": "quantitative",
                "title": "USD per month",
                "axis": {"format": "$,.0f"},
            },
        },
    }
    return Chart("services", "Monthly cost by service", spec)


def unit_chart(history: History) -> Chart:
    """Cost per unit by month; the months where cost grew faster than the business in red."""
    values = [
        {
            "month": m.month,
            "per_unit": m.cost_per_unit,
            "outgrew": "cost grew faster than the business" if m.outgrew else "cost per unit fell or held",
        }
        for m in history.months
        if m.cost_per_unit is not None
    ]
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 720,
        "height": 220,
        "config": _CONFIG,
        "data": {"values": values},
        "layer": [
            {"mark": {"type": "line", "color": "#888"}},
            {
                "mark": {"type": "point", "filled": True, "size": 70},
                "encoding": {
                    "color": {
                        "field": "outgrew",
                        "type": "nominal",
                        "title": None,
                        "legend": {"orient": "top", "labelLimit": 400},
                        "scale": {
                            "domain": ["cost per unit fell or held", "cost grew faster than the business"],
                            "range": ["#3b6fb6", "#c0392b"],
                        },
                    }
                },
            },
        ],
        "encoding": {
            "x": {"field": "month", "type": "ordinal", "title": None, "axis": {"labelAngle": 0}},
            "y": {"field": "per_unit", "type": "quantitative", "title": "USD per unit"},
        },
    }
    return Chart("unit-cost", "Cost per unit by month", spec)


def treemap_chart(rows: list[dict[str, Any]]) -> Chart:
    """Root module / stack → resource, each rectangle sized by its monthly cost and coloured by service."""
    spec = {
        "$schema": "https://vega.github.io/schema/vega/v5.json",
        "width": 960,
        "height": 480,
        "padding": 4,
        "autosize": "pad",
        "config": {"text": {"font": _FONT}, "legend": {"labelFont": _FONT, "labelFontSize": 12}},
        "data": [
            {
                "name": "tree",
                "values": rows,
                "transform": [
                    {"type": "stratify", "key": "id", "parentKey": "parent"},
                    {
                        "type": "treemap",
                        "field": "size",
                        "sort": {"field": "value", "order": "descending"},
                        "round": True,
                        "method": "squarify",
                        "paddingInner": 2,
                        "paddingTop": 18,
                        "size": [{"signal": "width"}, {"signal": "height"}],
                    },
                ],
            },
            {
                "name": "groups",
                "source": "tree",
                "transform": [{"type": "filter", "expr": "datum.depth === 1"}],
            },
            {
                "name": "leaves",
                "source": "tree",
                "transform": [{"type": "filter", "expr": "datum.depth === 2"}],
            },
        ],
        "scales": [
            {
                "name": "color",
                "type": "ordinal",
                "domain": {"data": "leaves", "field": "service", "sort": True},
                "range": {"scheme": "tableau20"},
            }
        ],
        "legends": [{"fill": "color", "orient": "bottom", "direction": "horizontal", "columns": 6}],
        "marks": [
            {
                "type": "rect",
                "from": {"data": "groups"},
                "encode": {
                    "enter": {"fill": {"value": "#eef1f5"}, "stroke": {"value": "#8a94a3"}},
                    "update": {
                        "x": {"field": "x0"},
                        "y": {"field": "y0"},
                        "x2": {"field": "x1"},
                        "y2": {"field": "y1"},
                    },
                },
            },
            {
                "type": "text",
                "from": {"data": "groups"},
                "encode": {
                    "enter": {
                        "fontSize": {"value": 12},
                        "fontWeight": {"value": "bold"},
                        "fill": {"value": "#222"},
                    },
                    "update": {
                        "x": {"signal": "datum.x0 + 4"},
                        "y": {"signal": "datum.y0 + 13"},
                        "text": {"signal": "datum.x1 - datum.x0 > 80 ? datum.label : ''"},
                        "limit": {"signal": "datum.x1 - datum.x0 - 8"},
                    },
                },
            },
            {
                "type": "rect",
                "from": {"data": "leaves"},
                "encode": {
                    "enter": {"fill": {"scale": "color", "field": "service"}, "stroke": {"value": "#fff"}},
                    "update": {
                        "x": {"field": "x0"},
                        "y": {"field": "y0"},
                        "x2": {"field": "x1"},
                        "y2": {"field": "y1"},
                    },
                },
            },
            {
                "type": "text",
                "from": {"data": "leaves"},
                "encode": {
                    "enter": {"fontSize": {"value": 11}, "fill": {"value": "#111"}},
                    "update": {
                        "x": {"signal": "datum.x0 + 4"},
                        "y": {"signal": "datum.y0 + 14"},
                        "text": {
                            "signal": "datum.x1 - datum.x0 > 70 && datum.y1 - datum.y0 > 20"
                            " ? datum.label : ''"
                        },
                        "limit": {"signal": "datum.x1 - datum.x0 - 8"},
                    },
                },
            },
        ],
    }
    return Chart("treemap", "Where the money goes: root module / stack, service, resource", spec, lite=False)


# -- the page's figures ----------------------------------------------------------------------------------
@dataclass(slots=True)
class Figures:
    """What the report page shows of the current state, computed from the engine's `Analysis`."""

    total: float
    savings: float
    resources: int
    groups: list[dict[str, Any]] = field(default_factory=list)
    services: dict[str, float] = field(default_factory=dict)
    treemap: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    unknown: list[dict[str, Any]] = field(default_factory=list)
    usage: list[dict[str, Any]] = field(default_factory=list)
    not_priced: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    incomplete: bool = False


def figures(rooted: RootedAnalysis) -> Figures:
    from advisor.history import root_kind, service_of
    from advisor.iac.files import is_template_candidate

    a = rooted.analysis
    fig = Figures(a.monthly_cost, a.monthly_savings, len(a.costs) + len(a.not_priced))
    fig.incomplete = bool(incomplete(a.errors))
    groups: dict[str, float] = {}
    counts: dict[str, int] = {}
    usage_only: dict[str, bool] = {}  # root → every line of every resource depends on usage
    unknown: dict[str, int] = {}  # root → resources whose cost is unknown
    services: dict[str, float] = {}
    leaves: list[tuple[str, str, str, float]] = []
    sources: dict[tuple[str, str], int] = {}
    for c in a.costs:
        root = rel(c.root or os.path.dirname(c.path))
        cost = c.monthly_cost or 0.0
        groups[root] = groups.get(root, 0.0) + cost
        counts[root] = counts.get(root, 0) + 1
        usage_only[root] = usage_only.get(root, True) and c.usage_only
        unknown[root] = unknown.get(root, 0) + (c.monthly_cost is None)
        service = service_of(c.type)
        services[service] = services.get(service, 0.0) + cost
        if cost > 0:
            leaves.append((root, service, c.address, cost))
        if c.monthly_cost is None:
            fig.unknown.append({"address": c.address, "path": f"{rel(c.path)}:{c.line + 1}"})
        for comp in c.components:
            if comp.source:
                sources[(comp.source, comp.as_of)] = sources.get((comp.source, comp.as_of), 0) + 1
            if comp.usage_based and comp.unit_price is not None:
                fig.usage.append({"address": c.address, "line": comp.name, "unit": comp.unit})
    fig.groups = sorted(
        (
            {
                "name": name,
                "kind": root_kind(name, is_template_candidate),
                "monthly_cost": round(cost, 2),
                "resources": counts[name],
                "shown": group_figure(cost, usage_only[name], unknown[name]),
            }
            for name, cost in groups.items()
        ),
        key=lambda g: (-g["monthly_cost"], g["name"]),
    )
    fig.services = {k: round(v, 2) for k, v in sorted(services.items(), key=lambda kv: (-kv[1], kv[0]))}
    fig.treemap = _treemap_rows(leaves)
    fig.findings = [_finding(f) for f in _by_saving(a.findings)[:TOP_FINDINGS]]
    fig.not_priced = list(a.not_priced)
    fig.errors = [
        {"where": rel(e.path) + (f":{e.span.line + 1}" if e.span else ""), "message": e.message}
        for e in a.errors
    ]
    fig.sources = _sources(sources)
    return fig


def group_figure(cost: float, usage_only: bool, unknown: int) -> str:
    """A group's monthly figure as the text bill says it: "depends on usage" when all it has are
    usage-priced lines without usage, never "$0.00"; unknown resources counted beside the sum."""
    if usage_only and cost == 0 and not unknown:
        return "depends on usage"
    return money(cost) + (f" + {unknown} unknown" if unknown else "")


def _treemap_rows(leaves: list[tuple[str, str, str, float]]) -> list[dict[str, Any]]:
    leaves.sort(key=lambda leaf: -leaf[3])
    rest = leaves[TOP_RESOURCES_IN_TREEMAP:]
    leaves = leaves[:TOP_RESOURCES_IN_TREEMAP]
    for root, service, _address, cost in rest:  # the many small ones: one rectangle per group and service
        leaves.append((root, service, "(smaller resources)", cost))
    rows: list[dict[str, Any]] = [{"id": "/"}]
    seen: set[str] = set()
    totals: dict[str, float] = {}
    for root, _service, _address, cost in leaves:
        totals[root] = totals.get(root, 0.0) + cost
    for n, (root, service, address, cost) in enumerate(leaves):
        gid = f"g:{root}"
        if gid not in seen:
            seen.add(gid)
            rows.append({"id": gid, "parent": "/", "label": f"{printable(root)}  {money(totals[root])}"})
        label = f"{printable(address)} {money(cost)}"
        rows.append({"id": f"r:{n}", "parent": gid, "service": service, "size": cost, "label": label})
    return rows


def _by_saving(findings: list[Finding]) -> list[Finding]:
    return sorted(
        findings,
        key=lambda f: (
            -(f.monthly_savings or 0.0),
            -SEVERITY_RANK.get(f.severity, 0),
            f.span.path,
            f.span.line,
        ),
    )


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "severity": f.severity,
        "where": f"{rel(f.span.path)}:{f.span.line + 1}",
        "resource": f.resource,
        "message": f.message,
        "before": f.monthly_cost,
        "after": f.monthly_cost_after,
        "saving": f.monthly_savings,
        "diff": fix_diff(f),
    }


def fix_diff(f: Finding) -> list[tuple[str, str]]:
    """The finding's fix as a unified diff of the file it edits: [(kind, line)], kind one of
    'head', 'hunk', 'del', 'add', 'ctx'. Empty when there is no fix or the file cannot be read."""
    import difflib

    if not f.fix:
        return []
    out: list[tuple[str, str]] = []
    by_path: dict[str, list[Any]] = {}
    for edit in f.fix:
        by_path.setdefault(edit.span.path, []).append(edit)

    for path, edits in sorted(by_path.items()):
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read(4 << 20)
        except OSError:
            return []
        new = text
        for edit in sorted(edits, key=lambda e: e.span.start, reverse=True):
            new = new[: edit.span.start] + edit.new_text + new[edit.span.end :]
        name = rel(path)
        for line in difflib.unified_diff(
            text.splitlines(), new.splitlines(), f"a/{name}", f"b/{name}", n=1, lineterm=""
        ):
            kind = (
                "head"
                if line.startswith(("---", "+++"))
                else "hunk"
                if line.startswith("@@")
                else "del"
                if line.startswith("-")
                else "add"
                if line.startswith("+")
                else "ctx"
            )
            out.append((kind, printable(line)))
    return out


def _sources(used: dict[tuple[str, str], int]) -> list[dict[str, Any]]:
    """The price sources behind the figures (with their dates), then the catalog's own list."""
    from advisor.pricing.catalog import Catalog

    status = Catalog.default().status()
    named = {s.get("name"): s for s in status.get("sources", [])}
    out = []
    for (source, as_of), lines in sorted(used.items()):
        info = named.get(source, {})
        out.append({"name": source, "as_of": as_of, "lines": lines, "title": info.get("title", "")})
    for name, info in sorted(named.items(), key=lambda kv: str(kv[0])):
        if not any(s["name"] == name for s in out):
            dates = ", ".join(info.get("as_of") or [])
            out.append({"name": name, "as_of": dates, "lines": 0, "title": info.get("title", "")})
    return out


# -- pages ---------------------------------------------------------------------------------------------
def _environment() -> Any:
    jinja2, _ = libraries()
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("advisor.report", "templates"),
        autoescape=True,  # every value: repository text included
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    from advisor.report.history_report import sparkline

    env.filters["money"] = money
    env.filters["signed"] = signed
    env.filters["printable"] = printable
    env.globals["sparkline"] = sparkline
    return env


def _pricing(region: str) -> dict[str, Any]:
    from advisor.report.json_report import pricing_info

    return pricing_info(region)


def _history_context(history: History) -> dict[str, Any]:
    points = list(reversed(history.points))
    movers = [p for p in points if p.movers]
    charts = [history_chart(history)] if any(p.total is not None for p in history.points) else []
    if history.months:
        charts.append(unit_chart(history))
    return {
        "history": history,
        "points": points,
        "movers": movers,
        "history_charts": charts,
        "rel": rel,
        "unit": next((p.unit for p in points if p.unit is not None), None),
    }


def render_history_page(history: History, region: str) -> str:
    """`advisor history --format html`."""
    env = _environment()
    context = _history_context(history)
    return str(
        env.get_template("history.html.j2").render(
            title="Advisor cost history", pricing=_pricing(region), **context
        )
    )


def render_report(
    rooted: RootedAnalysis, region: str, history: History | None, title: str
) -> tuple[str, list[Chart]]:
    """The report page and its charts (for --svg / --png)."""
    env = _environment()
    fig = figures(rooted)
    charts = []
    if fig.treemap[1:]:
        charts.append(treemap_chart(fig.treemap))
    if any(v > 0 for v in fig.services.values()):
        charts.append(services_chart(fig.services))
    context: dict[str, Any] = {"history": None, "history_charts": [], "movers": [], "points": []}
    if history is not None:
        context.update(_history_context(history))
    page = env.get_template("report.html.j2").render(
        title=title, pricing=_pricing(region), fig=fig, charts=charts, **context
    )
    return str(page), charts + list(context["history_charts"])


def render_markdown(rooted: RootedAnalysis, history: History | None) -> str:
    """A short summary for a GitHub Actions job summary or a wiki page."""
    from advisor.report.history_report import sparkline

    fig = figures(rooted)
    out = [
        f"### Advisor: {money(fig.total)} per month",
        "",
        f"{fig.resources} resources; {len(rooted.analysis.findings)} findings, potential savings "
        f"{money(fig.savings)} per month.",
    ]
    if fig.groups:
        out += ["", "| Root module / stack | Monthly cost |", "|---|---:|"]
        out += [f"| {md_code(g['name'])} | {g['shown']} |" for g in fig.groups[:10]]
    if fig.findings:
        out += ["", "| Saving/mo | Rule | Where | Finding |", "|---:|---|---|---|"]
        for f in fig.findings[:10]:
            saving = money(f["saving"]) if (f["saving"] or 0) > 0 else ""
            out.append(
                f"| {saving} | {md_code(f['rule'])} | {md_code(f['where'])} | {md_cell(f['message'])} |"
            )
    if fig.unknown or fig.not_priced:
        out += ["", f"Not in the total: {len(fig.unknown)} unknown prices, {len(fig.not_priced)} not priced."]
    if history is not None and history.points:
        totals = [p.total for p in history.points]
        first, last = history.points[0], history.points[-1]
        out += [
            "",
            f"Cost over {len(history.points)} commits ({first.commit.date[:10]} to {last.commit.date[:10]}): "
            f"`{sparkline(totals)}`",
        ]
        moved = [p for p in reversed(history.points) if p.movers][:5]
        if moved:
            out += ["", "| Commit | Change | Subject |", "|---|---:|---|"]
            out += [
                f"| {md_code(p.commit.id[:12])} | {signed(p.delta)} | {md_cell(p.commit.subject)} |"
                for p in moved
            ]
    if fig.incomplete:
        out += ["", "**Analysis incomplete**: the total leaves out what could not be read."]
    return "".join(printable(line) + "\n" for line in out)
