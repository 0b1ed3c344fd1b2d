"""End to end on generated data: raw logs → lake → warehouse → dbt, on DuckDB and PostgreSQL.

Proves the skeleton's promises: counts reconcile from raw lines to fct_events and a rerun of
the same dates changes nothing. That building day by day gives the same fct_events (and every
other incremental model) as one run is proved in tests/test_marts_equivalence.py.
"""

from __future__ import annotations

import gzip
from datetime import date, timedelta
from pathlib import Path

import pytest

from ingest.load.warehouse import Target, connect
from ingest.run import IngestOptions
from ingest.simulator import generate
from pipeline.run import run_pipeline

START = date(2026, 10, 5)
DAYS = 5
END = START + timedelta(days=DAYS - 1)
OPTIONS = IngestOptions(runner="local")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("e2e") / "raw"
    stats = generate(out, START, DAYS, users=120, seed=7, fault_rate=0.02, progress=False)
    return out, stats


def rows(target: Target, sql: str) -> list[tuple]:
    conn = connect(target)
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return cur.fetchall()
    finally:
        conn.close()


# dbt's per-run bookkeeping (docs/marts.md, run limits): the limits and the rows of the latest
# run, different after every run by design. int_incremental_manifest is compared.
PER_RUN_TABLES = {"intermediate.int_run_limits", "intermediate.int_events_this_run"}


def snapshot(target: Target) -> dict[str, list[tuple]]:
    """Every raw, intermediate and mart table's full content, in a stable order."""
    tables = rows(target, "select table_schema, table_name from information_schema.tables "
                          "where table_schema in ('raw', 'intermediate', 'marts') "
                          "and table_type = 'BASE TABLE'")
    assert len(tables) > 20, tables
    return {f"{s}.{t}": sorted(rows(target, f"select * from {s}.{t}"), key=repr) for s, t in tables
            if f"{s}.{t}" not in PER_RUN_TABLES}


def raw_line_count(raw: Path) -> int:
    return sum(len(gzip.decompress(p.read_bytes()).splitlines()) for p in raw.rglob("*.jsonl.gz"))


def test_full_run_reconciles_and_rerun_changes_nothing(raw_dir, tmp_path, any_target):
    raw, stats = raw_dir
    result = run_pipeline(raw, tmp_path / "lake", START, END, any_target, OPTIONS)
    manifests = result.manifests
    # raw lines → manifests: every line is a row, a quarantined line or a duplicate
    lines = sum(m["input"]["lines"] for m in manifests.values())
    assert lines == raw_line_count(raw) == stats["lines"]
    assert all(m["reconciled"] for m in manifests.values())
    quarantined = sum(m["quarantined_total"] for m in manifests.values())
    assert quarantined == stats["faults"]["malformed_json"] + stats["faults"]["missing_field"]
    # manifests → raw.events, per batch
    loaded = dict(rows(any_target, "select cast(batch_date as varchar), count(*) from raw.events "
                                   "group by batch_date"))
    assert loaded == {b: m["rows"] for b, m in manifests.items()}
    # raw.events → fct_events: one row per distinct event_id, even across batches
    (distinct_ids,) = rows(any_target, "select count(distinct event_id) from raw.events")[0]
    (fct_rows, fct_ids) = rows(any_target, "select count(*), count(distinct event_id) "
                                           "from marts.fct_events")[0]
    assert fct_rows == fct_ids == distinct_ids
    assert distinct_ids < sum(m["rows"] for m in manifests.values()), \
        "the generated data should carry duplicates across batches"
    assert rows(any_target, "select count(*) from marts.dim_users")[0][0] > 0
    assert rows(any_target, "select count(*) from marts.rpt_active_users_daily")[0][0] == DAYS

    before = snapshot(any_target)
    again = run_pipeline(raw, tmp_path / "lake", START, END, any_target, OPTIONS)
    assert {r.status for r in again.loads} == {"unchanged"}
    assert snapshot(any_target) == before
