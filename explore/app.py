"""``pulse explore``: a local Dash app over the lake (trends, funnels, slowest actions) and the
warehouse marts (retention, version regressions, experiments).

Every view shows the SQL it ran and how long it took. Queries run through one DuckDB session
over the lake (explore.query.LakeSession, behind a lock: a DuckDB connection serves one
statement at a time) and short-lived warehouse connections for the marts.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from dash import Dash, Input, Output, State, dcc, html

from explore.query import LakeSession, QueryError
from explore.views import (
    DIMENSIONS,
    EXPERIMENTS_SQL,
    INTERVALS,
    REGRESSIONS_SQL,
    TrendSpec,
    ViewError,
    funnel_sql,
    retention_sql,
    slowest_actions_sql,
    trend_sql,
)
from warehouse import Target, connect

MAX_SERIES = 10
# Every figure here is drawn on plotly_white. As plotly's default it is applied to each new
# figure without being validated again; passing template= to a figure costs ~60 ms a figure.
pio.templates.default = "plotly_white"
VIEWS = ("trends", "funnels", "retention", "performance", "experiments")


@dataclass(frozen=True)
class Answer:
    columns: list[str]
    rows: list[tuple]
    sql: str
    seconds: float


class Sources:
    """Where the views' SQL runs: the lake session and the warehouse target."""

    def __init__(self, lake: LakeSession, target: Target | None) -> None:
        self.lake, self.target = lake, target
        self._lock = threading.Lock()

    def lake_query(self, sql: str) -> Answer:
        with self._lock:
            result = self.lake.run(sql)
        return Answer(result.columns, result.rows, sql, result.seconds)

    def mart_query(self, sql: str) -> Answer:
        if self.target is None:
            raise ViewError("no warehouse given (--target): the marts are not available")
        start = time.perf_counter()
        with connect(self.target) as client:
            cur = client.execute(sql)
            columns = [d[0] for d in cur.description or ()]
            rows = [tuple(r) for r in cur.fetchall()]
        return Answer(columns, rows, sql, time.perf_counter() - start)


def trend_figure(answer: Answer, breakdowns: int) -> go.Figure:
    """One line per breakdown combination (the MAX_SERIES largest; the rest summed as 'other')."""
    series: dict[str, dict[Any, float]] = {}
    for row in answer.rows:
        name = " · ".join(str(v) for v in row[1:1 + breakdowns]) if breakdowns else "all"
        series.setdefault(name, {})[row[0]] = float(row[-1])
    ranked = sorted(series, key=lambda s: -sum(series[s].values()))
    shown, rest = ranked[:MAX_SERIES], ranked[MAX_SERIES:]
    if rest:
        other: dict[Any, float] = {}
        for name in rest:
            for x, y in series[name].items():
                other[x] = other.get(x, 0) + y
        series["other"] = other
        shown.append("other")
    buckets = sorted({row[0] for row in answer.rows})
    # a bucket without rows is a zero, not a gap to draw a line across; the figure is built in
    # one go (each add_trace re-validates the traces before it)
    lines = [go.Scatter(x=buckets, y=[series[name].get(b, 0) for b in buckets], name=name,
                        mode="lines+markers") for name in shown]
    return go.Figure(lines, layout=dict(margin=dict(l=40, r=10, t=30, b=40),
                                        legend_title_text="breakdown"))


def _table(columns: list[str], rows: list[tuple], limit: int = 200) -> html.Div:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
        return "" if v is None else str(v)

    return html.Div(className="tablewrap", children=html.Table(className="result", children=[
        html.Thead(html.Tr([html.Th(c) for c in columns])),
        html.Tbody([html.Tr([html.Td(cell(v)) for v in row]) for row in rows[:limit]])]))


def _footer(view: str) -> list:
    return [html.Details([html.Summary("SQL"), html.Pre(id=f"{view}-sql", className="sql")],
                         open=True),
            html.Div(id=f"{view}-time", className="timing")]


def _range(view: str, first: dt.date, last: dt.date) -> dcc.DatePickerRange:
    return dcc.DatePickerRange(id=f"{view}-range", min_date_allowed=first, max_date_allowed=last,
                               start_date=max(first, last - dt.timedelta(days=27)), end_date=last,
                               display_format="YYYY-MM-DD")


def _label(text: str, control) -> html.Div:
    return html.Div(className="control", children=[html.Label(text), control])


def build_app(sources: Sources) -> Dash:
    """The Dash app; the lake's event names, property keys and date range fill the controls."""
    names = [r[0] for r in sources.lake_query(
        "select event_name from events group by 1 order by count(*) desc").rows]
    keys = [r[0] for r in sources.lake_query(
        "select k from (select unnest(json_keys(properties)) as k from "
        "(select properties from events limit 100000)) group by 1 order by count(*) desc").rows]
    span = sources.lake_query("select min(event_at)::date, max(event_at)::date from events").rows
    first, last = span[0] if span and span[0][0] else (dt.date.today(), dt.date.today())
    dims = [*DIMENSIONS, *(f"properties.{k}" for k in keys)]
    funnel_default = [n for n in ("signup", "task_created", "task_completed") if n in names]

    app = Dash(__name__, title="pulse explore", update_title=None)
    app.index_string = app.index_string.replace("</head>", f"<style>{CSS}</style></head>")
    trends = html.Div([
        html.Div(className="controls", children=[
            _label("events", dcc.Dropdown(id="trends-events", options=names, multi=True,
                                          placeholder="all events")),
            _label("measure", dcc.RadioItems(id="trends-measure", inline=True, value="events",
                                             options=[{"label": "event count", "value": "events"},
                                                      {"label": "unique users", "value": "users"}])),
            _label("per", dcc.RadioItems(id="trends-interval", options=list(INTERVALS), value="day",
                                         inline=True)),
            _label("breakdown", dcc.Dropdown(id="trends-breakdown1", options=dims,
                                             placeholder="none")),
            _label("then by", dcc.Dropdown(id="trends-breakdown2", options=dims, placeholder="none")),
            _label("filter", html.Div([dcc.Dropdown(id="trends-filter-column", options=dims,
                                                    placeholder="column"),
                                       dcc.Input(id="trends-filter-value", placeholder="= value",
                                                 debounce=True)])),
            _label("time range", _range("trends", first, last)),
        ]),
        dcc.Graph(id="trends-graph"), *_footer("trends")])
    funnels = html.Div([
        html.Div(className="controls", children=[
            _label("steps, in order", dcc.Dropdown(id="funnels-steps", options=names, multi=True,
                                                   value=funnel_default)),
            _label("conversion window (hours)", dcc.Input(id="funnels-window", type="number",
                                                          value=168, min=1, debounce=True)),
            _label("time range", _range("funnels", first, last)),
        ]),
        dcc.Graph(id="funnels-graph"), html.Div(id="funnels-table"), *_footer("funnels")])
    retention = html.Div([
        html.Div(className="controls", children=[
            _label("cohorts", dcc.RadioItems(id="retention-grain", options=["weekly", "monthly"],
                                             value="weekly", inline=True))]),
        dcc.Graph(id="retention-graph"), *_footer("retention")])
    performance = html.Div([
        html.Div(className="controls", children=[
            _label("minimum calls", dcc.Input(id="performance-min-calls", type="number", value=20,
                                              min=1, debounce=True)),
            _label("time range", _range("performance", first, last))]),
        dcc.Graph(id="performance-graph"), html.H4("Version regressions (p90, marts)"),
        html.Div(id="performance-table"), *_footer("performance")])
    experiments = html.Div([dcc.Graph(id="experiments-graph"), html.Div(id="experiments-table"),
                            *_footer("experiments")])
    app.layout = html.Div(className="page", children=[
        html.H2("pulse explore"),
        html.Div(f"lake {sources.lake.cache.lake.uri} · marts "
                 f"{sources.target.describe() if sources.target else 'none'}", className="where"),
        dcc.Tabs(id="tabs", value="trends", children=[
            dcc.Tab(label=v.capitalize(), value=v, id=f"tab-{v}", children=c)
            for v, c in zip(VIEWS, (trends, funnels, retention, performance, experiments), strict=False)]),
    ])
    _callbacks(app, sources)
    return app


def _failed(view: str, exc: Exception, n: int = 1) -> tuple:
    fig = go.Figure()
    fig.update_layout(title=f"cannot show {view}: {exc}")
    return (fig, *[html.Div(f"error: {exc}", className="error")] * (n - 1), "", f"error: {exc}")


def _timing(*answers: Answer) -> str:
    rows = sum(len(a.rows) for a in answers)
    return f"{sum(a.seconds for a in answers) * 1000:.0f} ms · {rows} rows"


def _callbacks(app: Dash, sources: Sources) -> None:
    @app.callback(Output("trends-graph", "figure"), Output("trends-sql", "children"),
                  Output("trends-time", "children"),
                  Input("trends-events", "value"), Input("trends-measure", "value"),
                  Input("trends-interval", "value"), Input("trends-breakdown1", "value"),
                  Input("trends-breakdown2", "value"), Input("trends-filter-column", "value"),
                  Input("trends-filter-value", "value"), Input("trends-range", "start_date"),
                  Input("trends-range", "end_date"))
    def trends(events, measure, interval, b1, b2, fcol, fval, start, end):
        try:
            breakdowns = tuple(b for b in (b1, b2) if b)
            spec = TrendSpec(start=dt.date.fromisoformat(start[:10]), end=dt.date.fromisoformat(end[:10]),
                             events=tuple(events or ()), measure=measure, interval=interval,
                             breakdowns=breakdowns,
                             filters=((fcol, fval),) if fcol and fval not in (None, "") else ())
            answer = sources.lake_query(trend_sql(spec))
            fig = trend_figure(answer, len(breakdowns))
            fig.update_layout(yaxis_title="unique users" if measure == "users" else "events")
            return fig, answer.sql, _timing(answer)
        except (ViewError, QueryError) as exc:
            return _failed("trends", exc)

    @app.callback(Output("funnels-graph", "figure"), Output("funnels-table", "children"),
                  Output("funnels-sql", "children"), Output("funnels-time", "children"),
                  Input("funnels-steps", "value"), Input("funnels-window", "value"),
                  Input("funnels-range", "start_date"), Input("funnels-range", "end_date"))
    def funnels(steps, window, start, end):
        try:
            answer = sources.lake_query(funnel_sql(steps or [], float(window or 0),
                                                   dt.date.fromisoformat(start[:10]),
                                                   dt.date.fromisoformat(end[:10])))
            users = [r[2] for r in answer.rows]
            first = users[0] or 1
            rows = [(r[0], r[1], r[2], f"{r[2] / first:.1%}",
                     f"{r[2] / users[i - 1]:.1%}" if i and users[i - 1] else "",
                     None if r[3] is None else round(r[3], 1)) for i, r in enumerate(answer.rows)]
            fig = go.Figure(go.Bar(x=[f"{r[0]}. {r[1]}" for r in rows], y=users,
                                   text=[r[3] for r in rows], textposition="auto"))
            fig.update_layout(yaxis_title="users",
                              margin=dict(l=40, r=10, t=30, b=40))
            table = _table(["step", "event", "users", "of first step", "of previous step",
                            "median hours from first step"], rows)
            return fig, table, answer.sql, _timing(answer)
        except (ViewError, QueryError, TypeError) as exc:
            return _failed("funnels", exc, 2)

    @app.callback(Output("retention-graph", "figure"), Output("retention-sql", "children"),
                  Output("retention-time", "children"), Input("retention-grain", "value"))
    def retention(grain):
        try:
            answer = sources.mart_query(retention_sql(grain))
            cohorts = sorted({r[0] for r in answer.rows})
            periods = sorted({r[1] for r in answer.rows})
            grid = {(r[0], r[1]): r for r in answer.rows}
            z = [[float(grid[c, p][4]) if (c, p) in grid else None for p in periods] for c in cohorts]
            text = [[(f"{grid[c, p][4]:.0%}" + ("*" if not grid[c, p][5] else ""))
                     if (c, p) in grid else "" for p in periods] for c in cohorts]
            partial = {r[0] for r in answer.rows if not r[6]}  # cohorts cut by the start of the data

            def label(c) -> str:
                size = f" (n={grid[c, 0][2]})" if (c, 0) in grid else ""
                return f"{c}{size}" + (" partial" if c in partial else "")
            fig = go.Figure(go.Heatmap(z=z, x=periods, y=[label(c) for c in cohorts],
                                       text=text, texttemplate="%{text}", colorscale="Blues",
                                       zmin=0, zmax=1, colorbar_title="retained"))
            fig.update_layout(xaxis_title=f"{grain[:-2]}s since cohort",
                              xaxis_dtick=1,
                              yaxis_autorange="reversed", margin=dict(l=40, r=10, t=30, b=40),
                              title="* period not complete yet (rate understated); "
                                    "partial: cohort cut by the start of the data")
            return fig, answer.sql, _timing(answer)
        except Exception as exc:  # the warehouse's own errors differ by kind
            return _failed("retention", exc)

    @app.callback(Output("performance-graph", "figure"), Output("performance-table", "children"),
                  Output("performance-sql", "children"), Output("performance-time", "children"),
                  Input("performance-min-calls", "value"), Input("performance-range", "start_date"),
                  Input("performance-range", "end_date"))
    def performance(min_calls, start, end):
        try:
            slow = sources.lake_query(slowest_actions_sql(dt.date.fromisoformat(start[:10]),
                                                          dt.date.fromisoformat(end[:10]),
                                                          int(min_calls or 1)))
            labels = [f"{r[0]} · {r[1]} · {r[2]}" for r in slow.rows]
            fig = go.Figure([go.Bar(name=p, x=labels, y=[r[i] for r in slow.rows])
                             for i, p in ((4, "p50"), (5, "p90"), (6, "p99"))])
            fig.update_layout(barmode="group", yaxis_title="ms",
                              title="slowest actions (lake): action · platform · version",
                              margin=dict(l=40, r=10, t=40, b=120))
            try:
                reg = sources.mart_query(REGRESSIONS_SQL)
                table = _table(reg.columns, reg.rows) if reg.rows else html.Div("no regressions")
            except Exception as exc:  # marts missing: the lake half still shows
                reg, table = Answer([], [], REGRESSIONS_SQL, 0.0), html.Div(f"error: {exc}",
                                                                             className="error")
            sql = f"-- slowest actions (lake)\n{slow.sql};\n\n-- version regressions (marts)\n{reg.sql};"
            return fig, table, sql, _timing(slow, reg)
        except (ViewError, QueryError, TypeError) as exc:
            return _failed("performance", exc, 2)

    @app.callback(Output("experiments-graph", "figure"), Output("experiments-table", "children"),
                  Output("experiments-sql", "children"), Output("experiments-time", "children"),
                  Input("tabs", "value"), State("experiments-graph", "figure"))
    def experiments(_tab, _fig):
        try:
            answer = sources.mart_query(EXPERIMENTS_SQL)
            col = {c: i for i, c in enumerate(answer.columns)}
            treat = [r for r in answer.rows if not r[col["is_control"]] and r[col["rel_lift"]] is not None]
            fig = go.Figure()
            for trusted in (True, False):
                rows = [r for r in treat if bool(r[col["is_trustworthy"]]) is trusted]
                if not rows:
                    continue
                lift = [r[col["rel_lift"]] for r in rows]
                fig.add_trace(go.Scatter(
                    x=lift, y=[f"{r[0]} · {r[1]} · {r[3]}" for r in rows], mode="markers",
                    name="trustworthy" if trusted else "do not trust (SRM / multi-variant)",
                    error_x=dict(type="data", symmetric=False,
                                 array=[r[col["rel_lift_ci_high"]] - r[col["rel_lift"]] for r in rows],
                                 arrayminus=[r[col["rel_lift"]] - r[col["rel_lift_ci_low"]] for r in rows])))
            fig.add_vline(x=0, line_dash="dot")
            fig.update_layout(xaxis_title="relative lift (95% interval)",
                              xaxis_tickformat=".0%", margin=dict(l=40, r=10, t=30, b=40),
                              height=max(300, 40 * len(treat)))
            return fig, _table(answer.columns, answer.rows), answer.sql, _timing(answer)
        except Exception as exc:  # the warehouse's own errors differ by kind
            return _failed("experiments", exc, 2)


CSS = """
body { font-family: system-ui, sans-serif; margin: 0; background: #fafafa; }
.page { max-width: 1200px; margin: 0 auto; padding: 12px 20px; }
.where { color: #666; font-size: 13px; margin-bottom: 8px; }
.controls { display: flex; flex-wrap: wrap; gap: 12px; padding: 10px 0; }
.control { min-width: 200px; flex: 1 1 200px; }
.control label { display: block; font-size: 12px; color: #555; margin-bottom: 2px; }
.sql { background: #f3f3f3; padding: 8px; font-size: 12px; white-space: pre-wrap; }
.timing { color: #444; font-size: 13px; margin: 4px 0 12px; }
.error { color: #a00; }
.tablewrap { overflow-x: auto; }
table.result { border-collapse: collapse; font-size: 12px; margin: 6px 0; }
table.result th, table.result td { border: 1px solid #ddd; padding: 2px 6px; text-align: right; }
"""


def serve(sources: Sources, host: str = "127.0.0.1", port: int = 8050) -> None:
    """Run the app until interrupted (Flask's threaded server: a local, single-user tool)."""
    build_app(sources).run(host=host, port=port, debug=False)
