"""Incremental marts equal a full rebuild, on DuckDB and PostgreSQL.

The same generated batches (late events and duplicates crossing batches) are built twice:
all days in one dbt run into a reference warehouse, and batch by batch into another. Every
incremental model in the dbt manifest must then hold the same rows in both, checked with
EXCEPT both ways (and equal row counts, which EXCEPT alone would not see), and so must the
experiment tables built over them (EXPERIMENT_TABLES). Both warehouses
also run the whole dbt test suite (data and unit tests): the reference when fresh, the
day-by-day one at the end.
"""

from __future__ import annotations

import json
import math
import os
from datetime import date, timedelta
from pathlib import Path

import pytest

from ingest.run import IngestOptions
from simulator import BehaviourConfig, generate
from tests.helpers import fetch, throwaway_database
from tests.pipeline_runs import run_graph
from warehouse import Target, connect, identifier
from warehouse.dbt import run_dbt

# the experiments' first day (seeds/experiments.csv, simulator/config.py start_day): nine days
# put pricing_page_v2's start (day 7) in the data and let the 7-day metric windows of the
# first days' exposures complete during the day-by-day runs
START = date(2026, 10, 1)
DAYS = 9
# day-by-day side: the first six days together, then one batch per run
BATCHES = [(0, 5), (6, 6), (7, 7), (8, 8)]
OPTIONS = IngestOptions(runner="inline")
# busier billing than the default, so a few days of 100 users carry subscription events
BILLING = BehaviourConfig(subscribe_base=0.25, change_per_day=0.3, cancel_per_day=0.15,
                          reactivate_per_day=0.6)
# tables over the incremental experiment models, rebuilt every run: equal too (up to the
# last bits of aggregated doubles, close_differences), the read-outs included: a constant
# CUPED value's rounding noise counts as no variance (macros/stats/comparison.sql), so the
# order rows are stored in cannot turn a null t statistic into a finite one
EXPERIMENT_TABLES = [
    ("intermediate", "int_experiment_user_slices"),
    ("intermediate", "int_experiment_slice_members"),
    ("intermediate", "int_experiment_slice_health"),
    ("intermediate", "int_experiment_health"),
    ("intermediate", "int_experiment_comparisons"),
    ("intermediate", "int_experiment_read_outs"),
    ("marts", "rpt_experiment_results"),
    ("marts", "rpt_experiment_slice_results"),
    ("marts", "rpt_experiment_quantile_results"),
    ("marts", "rpt_experiment_daily_results"),
]
BUILD_WITHOUT_TESTS = ["build", "--fail-fast", "--exclude-resource-type", "test", "unit_test"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("marts") / "raw"
    stats = generate(out, START, DAYS, users=100, seed=11, fault_rate=0.08, progress=False,
                     behaviour=BILLING)
    assert stats["faults"]["late"] > 0 and stats["faults"]["duplicate"] > 0
    return out


def dbt(target: Target, args: list[str]) -> None:
    run_dbt(args, target=target)


def load(raw: Path, lake: Path, target: Target, first: int, last: int) -> None:
    run_graph(raw, lake, START + timedelta(days=first), START + timedelta(days=last), target,
              work=lake.parent / f"run-{lake.name}", options=OPTIONS, skip_dbt=True)


def incremental_models() -> list[tuple[str, str]]:
    """(schema, table) of every incremental model, from the manifest of the last dbt run."""
    manifest = Path(os.environ["DBT_TARGET_PATH"]) / "manifest.json"
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return sorted((n["schema"], n["alias"]) for n in nodes
                  if n["resource_type"] == "model" and n["config"]["materialized"] == "incremental")


def differences(daily: Target, reference: Target, table: str) -> tuple[int, int, int, int]:
    """(rows daily, rows reference, rows only in daily, rows only in reference)."""
    with connect(daily) as client:
        cur = client.conn.cursor()
        if daily.name == "duckdb":
            cur.execute(f"attach '{reference.duckdb_path}' as reference (read_only)")
            other = f"reference.{table}"
        else:  # copy the reference rows into a temporary table next to the daily ones
            cur.execute(f"create temporary table reference_copy as select * from {table} where false")
            rows = fetch(reference, f"select * from {table}")
            if rows:
                marks = ", ".join(["%s"] * len(rows[0]))
                cur.executemany(f"insert into reference_copy values ({marks})", rows)
            other = "reference_copy"
        counts = []
        for sql in (f"select count(*) from {table}", f"select count(*) from {other}",
                    f"select count(*) from (select * from {table} except select * from {other}) as d",
                    f"select count(*) from (select * from {other} except select * from {table}) as d"):
            cur.execute(sql)
            counts.append(cur.fetchone()[0])
        return tuple(counts)


def close_differences(daily: Target, reference: Target, table: str) -> tuple[int, int, int, int]:
    """As differences, but floats compare with a relative tolerance of 1e-9: the experiment
    tables aggregate doubles, and a sum's last bits depend on the order rows are stored in,
    which differs between incremental and one-run builds. Rows pair up by their other columns."""
    sides = [fetch(target, f"select * from {table}") for target in (daily, reference)]
    width = len(sides[0][0]) if sides[0] else 0
    floats = [any(isinstance(row[i], float) for rows in sides for row in rows) for i in range(width)]

    def grouped(rows: list[tuple]) -> dict[tuple, list[tuple]]:
        groups: dict[tuple, list[tuple]] = {}
        for row in rows:
            exact = tuple(v for v, f in zip(row, floats) if not f)
            groups.setdefault(exact, []).append(tuple(v for v, f in zip(row, floats) if f))
        return {k: sorted(v, key=lambda t: [(x is None, x or 0.0) for x in t]) for k, v in groups.items()}

    def same(x: float | None, y: float | None) -> bool:
        if x is None or y is None:
            return x is y
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(x) and math.isnan(y))

    def close(a: tuple, b: tuple) -> bool:
        return all(same(x, y) for x, y in zip(a, b))

    mine, theirs = (grouped(rows) for rows in sides)
    only_daily = only_ref = 0
    for key in mine.keys() | theirs.keys():
        a, b = mine.get(key, []), theirs.get(key, [])
        matched = sum(close(x, y) for x, y in zip(a, b))
        only_daily += len(a) - matched
        only_ref += len(b) - matched
    return len(sides[0]), len(sides[1]), only_daily, only_ref


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def built(request, raw_dir, tmp_path_factory) -> tuple[Target, Target]:
    """(day-by-day warehouse, one-run reference warehouse), both built."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "duckdb":
        daily = Target("duckdb", duckdb_path=str(tmp / "daily.duckdb"))
        reference = Target("duckdb", duckdb_path=str(tmp / "reference.duckdb"))
    else:
        server = request.getfixturevalue("pg_server")
        daily, reference = (_pg_database(request, server) for _ in range(2))
    load(raw_dir, tmp / "lake-ref", reference, 0, DAYS - 1)
    # with tests: unit tests on a fresh warehouse (no incremental table exists yet) and data
    # tests on the one-run state; the daily side runs them again on its final state
    dbt(reference, ["build", "--fail-fast"])
    for first, last in BATCHES:
        load(raw_dir, tmp / "lake", daily, first, last)
        dbt(daily, BUILD_WITHOUT_TESTS if last < DAYS - 1 else ["build", "--fail-fast"])
    return daily, reference


def _pg_database(request, server: Target) -> Target:
    """A throwaway PostgreSQL database for this module (the conftest helper, module scope)."""

    gen = throwaway_database(server)
    target = next(gen)
    request.addfinalizer(lambda: next(gen, None))
    return target


def test_every_incremental_model_equals_full_rebuild(built):
    daily, reference = built
    models = incremental_models()
    assert ("marts", "fct_events") in models and ("marts", "fct_sessions") in models
    late = fetch(daily, "select count(*) from marts.fct_events where is_late")[0][0]
    assert late > 0, "the batches should carry late events"
    assert ("intermediate", "int_experiment_user_metrics") in models
    late_metric_events = fetch(daily, """
        select count(*) from marts.fct_events as events
        inner join intermediate.int_experiment_metric_events as metric_events
            on events.event_id = metric_events.event_id
        where events.is_late""")[0][0]
    assert late_metric_events > 0, "late events should reach experiment metrics"
    # onboarding_checklist has 7-day windows only, pricing_page_v2 open ones: both analysed
    analysed = fetch(daily, "select count(distinct experiment_key) from "
                            "intermediate.int_experiment_user_metrics")[0][0]
    assert analysed == 2, "both experiments should have users with complete metric windows"
    problems = {}
    for schema, alias in models + EXPERIMENT_TABLES:
        table = f"{identifier(schema)}.{identifier(alias)}"
        compare = close_differences if (schema, alias) in EXPERIMENT_TABLES else differences
        n_daily, n_ref, only_daily, only_ref = compare(daily, reference, table)
        assert n_ref > 0, f"{table} is empty: the comparison would prove nothing"
        if (n_daily, only_daily, only_ref) != (n_ref, 0, 0):
            problems[table] = dict(rows_daily=n_daily, rows_reference=n_ref,
                                   only_daily=only_daily, only_reference=only_ref)
    assert not problems


COMMENTS_SQL = {
    # (schema, relation, column or '' for the relation itself, comment)
    "postgres": """
        select n.nspname, c.relname, coalesce(a.attname, ''),
               case when a.attname is null then obj_description(c.oid, 'pg_class')
                    else col_description(c.oid, a.attnum) end
        from pg_catalog.pg_class as c
        join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        left join pg_catalog.pg_attribute as a
            on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where n.nspname in ('staging', 'intermediate', 'marts') and c.relkind in ('r', 'v', 'm')
        union all
        select n.nspname, c.relname, '', obj_description(c.oid, 'pg_class')
        from pg_catalog.pg_class as c
        join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        where n.nspname in ('staging', 'intermediate', 'marts') and c.relkind in ('r', 'v', 'm')""",
    "duckdb": """
        select schema_name, table_name, column_name, comment from duckdb_columns()
        where schema_name in ('staging', 'intermediate', 'marts')
        union all
        select schema_name, table_name, '', comment from duckdb_tables()
        where schema_name in ('staging', 'intermediate', 'marts')
        union all
        select schema_name, view_name, '', comment from duckdb_views()
        where schema_name in ('staging', 'intermediate', 'marts')""",
}


def test_descriptions_reach_the_warehouse_as_comments(built):
    """persist_docs: every model's and column's description is a comment on both warehouses,
    after a one-run build and after incremental day-by-day runs."""
    manifest = Path(os.environ["DBT_TARGET_PATH"]) / "manifest.json"
    nodes = [n for n in json.loads(manifest.read_text())["nodes"].values()
             if n["resource_type"] == "model" and n["config"]["materialized"] != "ephemeral"]
    expected = {(n["schema"], n["alias"], ""): n["description"].strip() for n in nodes}
    expected |= {(n["schema"], n["alias"], c["name"]): c["description"].strip()
                 for n in nodes for c in n["columns"].values()}
    assert len(expected) > 300 and all(expected.values())
    for target in built:
        comments = {(s, t, c): (text or "").strip()
                    for s, t, c, text in fetch(target, COMMENTS_SQL[target.name])}
        missing = {k: v for k, v in expected.items() if comments.get(k) != v}
        assert not missing, f"{target.describe()}: {len(missing)} description(s) not stored as " \
                            f"comments, e.g. {sorted(missing.items())[:3]}"
