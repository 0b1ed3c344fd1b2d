"""Incremental marts equal a full rebuild, on DuckDB and PostgreSQL.

The same generated batches (late events and duplicates crossing batches) are built twice:
all days in one dbt run into a reference warehouse, and batch by batch into another. Every
incremental model in the dbt manifest must then hold the same rows in both, checked with
EXCEPT both ways (and equal row counts, which EXCEPT alone would not see). Both warehouses
also run the whole dbt test suite (data and unit tests): the reference when fresh, the
day-by-day one at the end.
"""

from __future__ import annotations

import json
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

START = date(2026, 10, 5)
DAYS = 5
# day-by-day side: the first two days together, then one batch per run
BATCHES = [(0, 1), (2, 2), (3, 3), (4, 4)]
OPTIONS = IngestOptions(runner="inline")
# busier billing than the default, so five days of 100 users carry subscription events
BILLING = BehaviourConfig(subscribe_base=0.25, change_per_day=0.3, cancel_per_day=0.15,
                          reactivate_per_day=0.6)
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
    problems = {}
    for schema, alias in models:
        table = f"{identifier(schema)}.{identifier(alias)}"
        n_daily, n_ref, only_daily, only_ref = differences(daily, reference, table)
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
