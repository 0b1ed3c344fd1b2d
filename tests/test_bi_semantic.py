"""The dbt Semantic Layer: configs validate, every metric equals the pulse mart holding it,
and the docs site builds with everything documented.

One small warehouse per target (module scope). Each check queries a metric through
MetricFlow (compiled by its engine for the warehouse's dialect, bi.semantic) and compares it,
row by row, with the same number read from a mart. A metric whose definition drifts from its
mart fails here. docs/bi.md lists the pairs.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bi.semantic import SemanticLayer, load_semantic_manifest, run_sql, validate
from tests.bi_support import build_warehouse, dbt_artifacts
from tests.helpers import throwaway_database
from warehouse.target import Target

pytestmark = pytest.mark.slow

MONTH = "cast(date_trunc('month', {}) as date)"


def _day(value):
    return value.date() if isinstance(value, dt.datetime) else value


def _key(row: dict, columns: list[str]) -> tuple:
    return tuple(_day(row[c]) for c in columns)


def _same(a, b) -> bool:
    if a is None or b is None:
        return (a or 0) == (b or 0)
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


# (id, metric, MetricFlow group by, MetricFlow where, mart SQL: key columns..., value)
CHECKS = [
    ("dau/day", "dau", ["metric_time__day"], [],
     "select activity_date, dau from marts.rpt_active_users_daily"),
    ("dau/month", "dau", ["metric_time__month"], [],
     f"select {MONTH.format('activity_date')}, avg(dau) from marts.rpt_active_users_daily group by 1"),
    ("wau/day", "wau", ["metric_time__day"], [],
     "select activity_date, wau from marts.rpt_active_users_daily"),
    ("wau/month", "wau", ["metric_time__month"], [],
     f"select {MONTH.format('activity_date')}, wau from marts.rpt_active_users_daily "
     "where activity_date in (select max(activity_date) from marts.rpt_active_users_daily "
     f"group by {MONTH.format('activity_date')})"),
    ("mau/day", "mau", ["metric_time__day"], [],
     "select activity_date, mau from marts.rpt_active_users_daily"),
    ("mau/month", "mau", ["metric_time__month"], [],
     f"select {MONTH.format('activity_date')}, mau from marts.rpt_active_users_daily "
     "where activity_date in (select max(activity_date) from marts.rpt_active_users_daily "
     f"group by {MONTH.format('activity_date')})"),
    ("stickiness/day", "stickiness", ["metric_time__day"], [],
     "select activity_date, stickiness_dau_mau from marts.rpt_active_users_daily"),
    ("stickiness/month", "stickiness", ["metric_time__month"], [],
     f"select m, avg_dau / nullif(last_mau, 0) from (select {MONTH.format('a.activity_date')} as m, "
     "avg(a.dau) as avg_dau, max(case when a.activity_date = l.last_date then a.mau end) as last_mau "
     "from marts.rpt_active_users_daily as a inner join (select "
     f"{MONTH.format('activity_date')} as m, max(activity_date) as last_date "
     "from marts.rpt_active_users_daily group by 1) as l "
     f"on {MONTH.format('a.activity_date')} = l.m group by 1) as s"),
    ("active_users/week", "active_users", ["metric_time__week"], [],
     "select week_start, sum(active_users) from marts.rpt_retention_weekly group by week_start"),
    ("active_users/month", "active_users", ["metric_time__month"], [],
     "select month_start, sum(active_users) from marts.rpt_retention_monthly group by month_start"),
    ("signups/day", "signups", ["metric_time__day"], [],
     "select conversion_date, sum(first_touch_conversions) from marts.rpt_campaign_attribution_daily "
     "where conversion_type = 'signup' group by conversion_date"),
    ("signups/month", "signups", ["metric_time__month"], [],
     f"select {MONTH.format('conversion_date')}, sum(last_touch_conversions) "
     "from marts.rpt_campaign_attribution_daily where conversion_type = 'signup' group by 1"),
    ("new_paying_workspaces/day", "new_paying_workspaces", ["metric_time__day"], [],
     "select first_paid, count(*) from (select workspace_id, min(mrr_date) as first_paid "
     "from marts.fct_workspace_mrr_daily where is_paying group by workspace_id) as f group by first_paid"),
    ("new_paying_workspaces/month", "new_paying_workspaces", ["metric_time__month"], [],
     f"select {MONTH.format('first_paid')}, count(*) from (select workspace_id, min(mrr_date) as first_paid "
     "from marts.fct_workspace_mrr_daily where is_paying group by workspace_id) as f group by 1"),
    ("mrr/day", "mrr", ["metric_time__day"], [],
     "select mrr_date, sum(mrr_cents) from marts.fct_workspace_mrr_daily group by mrr_date"),
    ("mrr/month", "mrr", ["metric_time__month"], [],
     "select month_start, ending_mrr_cents from marts.rpt_mrr_movements_monthly"),
    ("paying_workspaces/month", "paying_workspaces", ["metric_time__month"], [],
     "select month_start, paying_workspaces from marts.rpt_mrr_movements_monthly"),
    ("net_new_mrr/month", "net_new_mrr", ["metric_time__month"], [],
     "select month_start, new_mrr_cents + reactivation_mrr_cents + expansion_mrr_cents "
     "+ contraction_mrr_cents + churned_mrr_cents from marts.rpt_mrr_movements_monthly"),
    ("net_new_mrr/day", "net_new_mrr", ["metric_time__day"], [],
     "with t as (select mrr_date as d, sum(mrr_cents) as v from marts.fct_workspace_mrr_daily group by 1) "
     "select a.d, a.v - coalesce(b.v, 0) from t as a left join t as b "
     "on b.d = cast(a.d - interval '1 month' as date)"),
    ("mrr_movement_net/month", "mrr_movement_net", ["metric_time__month"], [],
     "select month_start, ending_mrr_cents - starting_mrr_cents from marts.rpt_mrr_movements_monthly"),
    ("signup_to_paid_rate/day", "signup_to_paid_rate", ["metric_time__day"], [], None),
    ("signup_to_paid_rate/month", "signup_to_paid_rate", ["metric_time__month"], [], None),
    ("sessions/day", "sessions", ["metric_time__day"], [],
     "select session_date, count(*) from marts.fct_sessions group by session_date"),
    ("sessions/month", "sessions", ["metric_time__month"], [],
     f"select {MONTH.format('session_date')}, count(*) from marts.fct_sessions group by 1"),
    ("median_session_duration/day", "median_session_duration", ["metric_time__day"], [],
     "select session_date, percentile_cont(0.5) within group (order by duration_seconds) "
     "from marts.fct_sessions group by session_date"),
    ("median_session_duration/month", "median_session_duration", ["metric_time__month"], [],
     f"select {MONTH.format('session_date')}, percentile_cont(0.5) within group (order by duration_seconds) "
     "from marts.fct_sessions group by 1"),
    ("p90_session_duration/day", "p90_session_duration", ["metric_time__day"], [],
     "select session_date, percentile_cont(0.9) within group (order by duration_seconds) "
     "from marts.fct_sessions group by session_date"),
    ("p90_session_duration/month", "p90_session_duration", ["metric_time__month"], [],
     f"select {MONTH.format('session_date')}, percentile_cont(0.9) within group (order by duration_seconds) "
     "from marts.fct_sessions group by 1"),
    ("p90_latency/day x action x platform x version", "p90_latency",
     ["metric_time__day", "perf_call__action_name", "perf_call__platform", "perf_call__app_version"], [],
     "select performance_date, action_name, platform, app_version, p90_duration_ms "
     "from marts.fct_performance_daily"),
    ("p90_latency/month x action", "p90_latency", ["metric_time__month", "perf_call__action_name"], [],
     f"select {MONTH.format('timed_date')}, action_name, percentile_cont(0.9) within group "
     "(order by duration_ms) from intermediate.int_perf_timings where duration_ms is not null group by 1, 2"),
    ("perf_calls/day x action", "perf_calls", ["metric_time__day", "perf_call__action_name"], [],
     "select performance_date, action_name, sum(calls) from marts.fct_performance_daily group by 1, 2"),
    ("experiment_exposures/all time", "experiment_exposures", ["experiment_user__experiment_key"], [],
     "select experiment_key, exposed_users from intermediate.int_experiment_health"),
    ("experiment_exposures/multi-variant", "experiment_exposures", ["experiment_user__experiment_key"],
     ["{{ Dimension('experiment_user__is_multi_variant') }}"],
     "select distinct experiment_key, multi_variant_users from marts.rpt_experiment_results"),
    ("experiment_exposures/day", "experiment_exposures",
     ["metric_time__day", "experiment_user__experiment_key"], [],
     "select cast(first_exposure_at as date), experiment_key, count(*) "
     "from intermediate.int_experiment_exposures group by 1, 2"),
    ("experiment_exposures/month", "experiment_exposures",
     ["metric_time__month", "experiment_user__experiment_key"], [],
     f"select {MONTH.format('first_exposure_at')}, experiment_key, count(*) "
     "from intermediate.int_experiment_exposures group by 1, 2"),
]

# signup-to-paid within 30 days by signup day: MetricFlow compares days (the dimensions' grain),
# a conversion on day signup_date + 0 .. 29 counts
_CONVERSION_SQL = """
with base as (
    select user_id, signup_date as d from marts.dim_users where signed_up_at is not null
),
converted as (
    select distinct base.user_id
    from base
    inner join marts.fct_events as e
        on e.user_id = base.user_id and e.event_name = 'subscription_started'
        and cast(e.event_at as date) >= base.d and cast(e.event_at as date) < base.d + interval '30 day'
)
select {key}, cast(count(converted.user_id) as double precision) / count(*)
from base left join converted on converted.user_id = base.user_id
group by 1
"""


def expected_sql(check_id: str, sql: str | None) -> str:
    if sql is not None:
        return sql
    return _CONVERSION_SQL.format(key="base.d" if check_id.endswith("/day") else MONTH.format("base.d"))


def compare(layer: SemanticLayer, target: Target, check) -> list[str]:
    check_id, metric, group_by, where, sql = check
    got_rows = layer.query([metric], group_by, where=where)
    want_rows = run_sql(target, expected_sql(check_id, sql))
    assert want_rows, f"{check_id}: the mart query returned nothing; the test data is too small"
    got = {_key(r, group_by): r[metric] for r in got_rows}
    want = {}
    for row in want_rows:
        values = list(row.values())
        want[tuple(_day(v) for v in values[:-1])] = values[-1]
    problems = [f"{check_id} {k}: metricflow {got.get(k)!r} != mart {v!r}"
                for k, v in sorted(want.items(), key=str) if not _same(got.get(k), v)]
    # MetricFlow must not show numbers the mart does not have (within the mart's keys' range)
    low, high = min(want), max(want)
    problems += [f"{check_id} {k}: metricflow {v!r}, not in the mart"
                 for k, v in got.items() if k not in want and low <= k <= high and v not in (None, 0)]
    return problems


@pytest.fixture(scope="module")
def duckdb_wh(tmp_path_factory) -> tuple[Target, Path]:
    work = tmp_path_factory.mktemp("bi-duckdb")
    target = Target("duckdb", duckdb_path=str(work / "warehouse.duckdb"))
    build_warehouse(work, target)
    # the docs site: manifest, semantic manifest, catalog and index.html in one dbt run
    return target, dbt_artifacts(target, work / "dbt-target", command="docs generate")


@pytest.fixture(scope="module")
def duckdb_layer(duckdb_wh) -> SemanticLayer:
    return SemanticLayer(load_semantic_manifest(duckdb_wh[1]), duckdb_wh[0])


def test_semantic_configs_validate(duckdb_wh):
    report = validate(load_semantic_manifest(duckdb_wh[1]))
    assert report.ok, "\n".join(report.errors)


def test_mf_validate_configs_cli(duckdb_wh, tmp_path):
    """The real `mf validate-configs`: it reads <project>/target/semantic_manifest.json only, so
    run it in a copy-free project view (symlinks) with the artifacts of this session."""
    from warehouse.dbt import profiles_dir, project_dir

    root = project_dir()
    for name in ("dbt_project.yml", "models", "macros", "seeds", "analyses", "tests"):
        (tmp_path / name).symlink_to(root / name)
    (tmp_path / "target").mkdir()
    shutil.copy(duckdb_wh[1] / "semantic_manifest.json", tmp_path / "target")
    mf = Path(sys.executable).with_name("mf")
    env = {**os.environ, **duckdb_wh[0].dbt_env(), "DBT_PROFILES_DIR": str(profiles_dir(root)),
           "DBT_TARGET_PATH": str(tmp_path / "target")}
    proc = subprocess.run([str(mf), "validate-configs", "--skip-dw"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Successfully validated the semantics" in proc.stdout


@pytest.mark.parametrize("check", CHECKS, ids=[c[0] for c in CHECKS])
def test_metric_equals_mart_duckdb(duckdb_wh, duckdb_layer, check):
    problems = compare(duckdb_layer, duckdb_wh[0], check)
    assert not problems, "\n".join(problems[:20])


def test_every_metric_is_checked_and_owned(duckdb_layer):
    manifest = duckdb_layer.manifest
    checked = {c[1] for c in CHECKS}
    # dbt 1.11 adds hidden simple metrics for the measures of a conversion metric
    implicit = {p.name for m in manifest.metrics if m.type_params.conversion_type_params
                for p in (m.type_params.conversion_type_params.base_metric,
                          m.type_params.conversion_type_params.conversion_metric) if p is not None}
    metrics = [m for m in manifest.metrics if m.name not in implicit]
    untested = [m.name for m in metrics if m.name not in checked and m.name not in _CHECKED_ELSEWHERE]
    assert not untested, f"metrics without a mart check: {untested}"
    for metric in metrics:
        assert metric.description, metric.name
        assert (metric.config.meta or {}).get("owner"), f"{metric.name} has no owner"


# month-grain bridge metrics, checked through mrr_movement_net and below
_CHECKED_ELSEWHERE = {"new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr",
                      "events", "first_touch_conversions", "last_touch_conversions", "linear_conversions",
                      "p50_latency", "experiment_exposure_events"}


@pytest.mark.parametrize("metric,column", [
    ("new_mrr", "new_mrr_cents"), ("reactivation_mrr", "reactivation_mrr_cents"),
    ("expansion_mrr", "expansion_mrr_cents"), ("contraction_mrr", "contraction_mrr_cents"),
    ("churned_mrr", "churned_mrr_cents")])
def test_bridge_metrics_equal_mart(duckdb_wh, duckdb_layer, metric, column):
    check = (f"{metric}/month", metric, ["metric_time__month"], [],
             f"select month_start, {column} from marts.rpt_mrr_movements_monthly")
    assert not compare(duckdb_layer, duckdb_wh[0], check)


def test_other_metrics_equal_marts(duckdb_wh, duckdb_layer):
    checks = [
        ("events/day", "events", ["metric_time__day"], [],
         "select event_date, count(*) from marts.fct_events group by 1"),
        ("p50_latency/day", "p50_latency",
         ["metric_time__day", "perf_call__action_name", "perf_call__platform", "perf_call__app_version"], [],
         "select performance_date, action_name, platform, app_version, p50_duration_ms "
         "from marts.fct_performance_daily"),
        ("experiment_exposure_events/all time", "experiment_exposure_events",
         ["experiment_user__experiment_key"], [],
         "select experiment_key, sum(exposure_count) from intermediate.int_experiment_exposures group by 1"),
    ]
    for conversion_type in ("signup", "first_paid"):
        for metric in ("first_touch_conversions", "last_touch_conversions", "linear_conversions"):
            checks.append((f"{metric}/{conversion_type}/week x channel", metric,
                           ["metric_time__week", "attribution_row__channel"],
                           [f"{{{{ Dimension('attribution_row__conversion_type') }}}} = '{conversion_type}'"],
                           "select cast(date_trunc('week', conversion_date) as date), channel, "
                           f"sum({metric}) from marts.rpt_campaign_attribution_daily "
                           f"where conversion_type = '{conversion_type}' group by 1, 2"))
    problems = [p for check in checks for p in compare(duckdb_layer, duckdb_wh[0], check)]
    assert not problems, "\n".join(problems[:20])


def test_p90_latency_over_mart_windows(duckdb_wh, duckdb_layer):
    """p90 by action x platform over the trailing windows equals rpt_slowest_actions and
    rpt_perf_version_regression (percentiles are recomputed from calls, never averaged)."""
    target = duckdb_wh[0]
    for table, group in (("rpt_slowest_actions", ["perf_call__action_name", "perf_call__platform"]),
                         ("rpt_perf_version_regression",
                          ["perf_call__action_name", "perf_call__platform", "perf_call__app_version"])):
        bounds = run_sql(target, "select min(window_start_date) as s, max(window_end_date) as e "
                                 f"from marts.{table}")
        start, end = bounds[0]["s"], bounds[0]["e"]
        got = {_key(r, group): r["p90_latency"]
               for r in duckdb_layer.query(["p90_latency"], group, start=start, end=end)}
        cols = "action_name, platform" + (", app_version" if len(group) == 3 else "")
        want = run_sql(target, f"select {cols}, p90_duration_ms from marts.{table}")
        assert want
        for row in want:
            values = list(row.values())
            assert _same(got[tuple(values[:-1])], values[-1]), (table, values)


def test_saved_queries_run(duckdb_wh, duckdb_layer):
    names = [s.name for s in duckdb_layer.manifest.saved_queries]
    assert len(names) >= 5
    for name in names:
        assert run_sql(duckdb_wh[0], duckdb_layer.compile(saved_query=name)), name


# ---------------------------------------------------------------- PostgreSQL: three metrics and more
PG_CHECKS = [c for c in CHECKS if c[0] in (
    "dau/day", "mau/month", "mrr/day", "mrr/month", "net_new_mrr/month", "sessions/month",
    "p90_session_duration/day", "signup_to_paid_rate/month")]


@pytest.fixture(scope="module")
def pg_wh(pg_server, tmp_path_factory):
    work = tmp_path_factory.mktemp("bi-pg")
    for target in throwaway_database(pg_server):
        build_warehouse(work, target)
        yield target, SemanticLayer(load_semantic_manifest(dbt_artifacts(target, work / "dbt-target")),
                                    target)


@pytest.mark.postgres
@pytest.mark.parametrize("check", PG_CHECKS, ids=[c[0] for c in PG_CHECKS])
def test_metric_equals_mart_postgres(pg_wh, check):
    target, layer = pg_wh
    problems = compare(layer, target, check)
    assert not problems, "\n".join(problems[:20])


# ---------------------------------------------------------------- docs site (dbt docs generate, DuckDB)
def _artifacts(path: Path) -> tuple[dict, dict]:
    import json

    return json.loads((path / "manifest.json").read_text()), json.loads((path / "catalog.json").read_text())


def test_docs_site_built(duckdb_wh):
    path = duckdb_wh[1]
    assert (path / "index.html").stat().st_size > 10_000
    manifest, catalog = _artifacts(path)
    marts = [n for n in manifest["nodes"].values()
             if n["resource_type"] == "model" and n["schema"] == "marts"]
    assert len(marts) >= 19
    missing = [n["name"] for n in marts if n["unique_id"] not in catalog["nodes"]]
    assert not missing, f"marts missing from the docs catalog: {missing}"


def test_everything_documented(duckdb_wh):
    manifest, catalog = _artifacts(duckdb_wh[1])
    problems = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] != "marts":
            continue
        if not node["description"].strip():
            problems.append(f"model {node['name']}: no description")
        documented = {c for c, v in node["columns"].items() if (v.get("description") or "").strip()}
        built = {c.lower() for c in catalog["nodes"][node["unique_id"]]["columns"]}
        problems += [f"column {node['name']}.{c}: not documented" for c in sorted(built - documented)]
        problems += [f"column {node['name']}.{c}: documented but not built"
                     for c in sorted(set(node["columns"]) - built)]
    for metric in manifest["metrics"].values():
        if not metric["description"].strip():
            problems.append(f"metric {metric['name']}: no description")
    for exposure in manifest["exposures"].values():
        for field in ("description", "type", "maturity"):
            if not exposure.get(field):
                problems.append(f"exposure {exposure['name']}: no {field}")
        if not exposure["owner"].get("email") or not exposure["depends_on"]["nodes"]:
            problems.append(f"exposure {exposure['name']}: owner or marts missing")
    for macro in manifest["macros"].values():
        if macro["package_name"] == "pulse" and not macro["description"].strip():
            problems.append(f"macro {macro['name']}: no description")
    assert len(manifest["exposures"]) >= 5
    assert not problems, "\n".join(problems)


def test_lookml_types_match_the_warehouse(duckdb_wh):
    """The LookML generator types columns from the manifest alone (conventions + semantic layer +
    bi.lookml.TYPE_MAP); here every type it chose is checked against the built warehouse."""
    import json

    from bi.lookml import column_type, generate

    manifest, catalog = _artifacts(duckdb_wh[1])
    semantic = json.loads((duckdb_wh[1] / "semantic_manifest.json").read_text())
    generate(manifest, semantic)  # generation works on these artifacts too
    expected = {"time": ("TIMESTAMP",), "date": ("DATE",), "yesno": ("BOOLEAN",), "id": ("VARCHAR",),
                "string": ("VARCHAR",),
                "number": ("BIGINT", "INTEGER", "HUGEINT", "DOUBLE", "DECIMAL", "FLOAT")}
    problems = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] != "marts":
            continue
        for column, info in catalog["nodes"][node["unique_id"]]["columns"].items():
            kind = column_type(column.lower())
            if not info["type"].upper().startswith(expected[kind]):
                problems.append(f"{node['name']}.{column}: LookML {kind}, warehouse {info['type']}")
    assert not problems, "\n".join(problems)
