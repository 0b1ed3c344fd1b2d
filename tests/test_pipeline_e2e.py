"""End to end on generated data: raw logs → lake → warehouse → dbt, on DuckDB and PostgreSQL.

Proves the skeleton's promises: counts reconcile from raw lines to fct_events and a rerun of
the same dates changes nothing. The last date also holds the hostile batch of
tests/hostile_corpus.py, so whatever ingest accepts there is stored and built by every model
on both warehouses (columnar engine); the hostile date alone also goes through the graph on
each ingest engine. That building day by day gives the same fct_events (and every other
incremental model) as one run is proved in tests/test_marts_equivalence.py.
"""

from __future__ import annotations

import gzip
from datetime import date, timedelta
from pathlib import Path

import pytest

from ingest.lake import open_lake, read_manifest
from ingest.run import IngestOptions
from simulator import generate
from tests.helpers import fetch, ingest_options
from tests.hostile_corpus import add_hostile_batch
from tests.pipeline_runs import run_graph
from warehouse import Target
from warehouse.dbt import run_dbt

START = date(2026, 10, 5)
DAYS = 5
END = START + timedelta(days=DAYS - 1)
OPTIONS = IngestOptions(runner="local")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory) -> tuple[Path, dict, dict]:
    out = tmp_path_factory.mktemp("e2e") / "raw"
    stats = generate(out, START, DAYS, users=120, seed=7, fault_rate=0.02, progress=False)
    return out, stats, add_hostile_batch(out, END)


# dbt's per-run bookkeeping (docs/marts.md, run limits): the limits and the rows of the latest
# run, different after every run by design. int_incremental_manifest is compared.
PER_RUN_TABLES = {"intermediate.int_run_limits", "intermediate.int_events_this_run"}


def snapshot(target: Target) -> dict[str, list[tuple]]:
    """Every raw, intermediate and mart table's full content, in a stable order."""
    tables = fetch(target, "select table_schema, table_name from information_schema.tables "
                           "where table_schema in ('raw', 'intermediate', 'marts') "
                           "and table_type = 'BASE TABLE'")
    assert len(tables) > 20, tables
    return {f"{s}.{t}": sorted(fetch(target, f"select * from {s}.{t}"), key=repr) for s, t in tables
            if f"{s}.{t}" not in PER_RUN_TABLES}


def raw_line_count(raw: Path) -> int:
    return sum(len(gzip.decompress(p.read_bytes()).splitlines()) for p in raw.rglob("*.jsonl.gz"))


def manifests_in(lake: Path) -> dict[str, dict]:
    """The published events manifests of the window by batch date (what ingest returned)."""
    days = [(START + timedelta(days=i)).isoformat() for i in range(DAYS)]
    return {day: read_manifest(open_lake(str(lake)), "events", day) for day in days}


def assert_hostile_batch_built(target: Target, last, hostile: dict) -> None:
    """The hostile date's manifest `last`: each limit quarantined with its reason, each odd
    entry named as skipped, and every hostile line ingest accepted built into fct_events."""
    assert last.reconciled
    assert all(last.quarantined.get(r, 0) >= n for r, n in hostile["quarantined"].items())
    assert {s.name: s.reason for s in last.input.skipped} == hostile["skipped"]
    kept = {i for (i,) in fetch(target, "select event_id from marts.fct_events "
                                        "where left(event_id, 7) = 'hostile'")}
    assert kept == hostile["accepted_ids"]


def test_full_run_reconciles_and_rerun_changes_nothing(raw_dir, tmp_path, any_target):
    raw, stats, hostile = raw_dir
    run_graph(raw, tmp_path / "lake", START, END, any_target, work=tmp_path, options=OPTIONS)
    manifests = manifests_in(tmp_path / "lake")
    # raw lines → manifests: every line is a row, a quarantined line or a duplicate
    lines = sum(m.input.lines for m in manifests.values())
    assert lines - hostile["lines"] == raw_line_count(raw) == stats["lines"]
    assert all(m.reconciled for m in manifests.values())
    quarantined = sum(m.quarantined_total for m in manifests.values())
    assert quarantined - sum(hostile["quarantined"].values()) == \
        stats["faults"]["malformed_json"] + stats["faults"]["missing_field"]
    # manifests → raw.events, per batch
    loaded = dict(fetch(any_target, "select cast(batch_date as varchar), count(*) from raw.events "
                                    "group by batch_date"))
    assert loaded == {b: m.rows for b, m in manifests.items()}
    # raw.events → fct_events: one row per distinct event_id, even across batches
    (distinct_ids,) = fetch(any_target, "select count(distinct event_id) from raw.events")[0]
    (fct_rows, fct_ids) = fetch(any_target, "select count(*), count(distinct event_id) "
                                            "from marts.fct_events")[0]
    assert fct_rows == fct_ids == distinct_ids
    assert distinct_ids < sum(m.rows for m in manifests.values()), \
        "the generated data should carry duplicates across batches"
    assert fetch(any_target, "select count(*) from marts.dim_users")[0][0] > 0
    assert fetch(any_target, "select count(*) from marts.rpt_active_users_daily")[0][0] == DAYS
    # the hostile batch: what ingest accepted went all the way through dbt on this warehouse
    assert_hostile_batch_built(any_target, manifests[END.isoformat()], hostile)

    before = snapshot(any_target)
    audit = sorted(fetch(any_target, "select * from pulse_meta.load_audit"), key=repr)
    again = run_graph(raw, tmp_path / "lake", START, END, any_target, work=tmp_path, options=OPTIONS)
    # nothing was loaded again: no load task ran and the load audit holds no new row
    reloads = fetch(any_target, "select task_id from pulse_meta.pipeline_task_runs "
                               f"where run_id = '{again.run_id}' and task_family = 'LoadTask'")
    assert reloads == []
    assert sorted(fetch(any_target, "select * from pulse_meta.load_audit"), key=repr) == audit
    assert snapshot(any_target) == before
    # the graph's rerun had nothing to do; dbt building the same loads again changes nothing either
    run_dbt(["build"], target=any_target)
    assert snapshot(any_target) == before


def test_hostile_date_through_the_graph_on_each_engine(raw_dir, tmp_path, duckdb_target, engine):
    """`pulse run` of the hostile date alone on each ingest engine (mrjob on its inline
    runner): the batch reconciles, raw.events holds the manifest's rows and fct_events every
    accepted line."""
    raw, _, hostile = raw_dir
    run_graph(raw, tmp_path / "lake", END, END, duckdb_target, work=tmp_path,
              options=ingest_options(engine))
    last = read_manifest(open_lake(str(tmp_path / "lake")), "events", END.isoformat())
    assert last.job.get("engine", "mrjob") == engine  # an mrjob manifest names its runner only
    assert fetch(duckdb_target, "select count(*) from raw.events")[0][0] == last.rows
    assert_hostile_batch_built(duckdb_target, last, hostile)
