"""`pulse run --full-refresh` rebuilds published dates and says what it rebuilt; a new or
changed log table is backfilled over past dates (`--reingest`); the run summary never calls
a date published when one of its tasks failed.

One published two-day DuckDB warehouse is built once (module fixture); each test works on
a copy of it (warehouse, lake and state), through the in-process CLI.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

import ingest.jobs.logic as logic
import ingest.tables as tables
from ingest.run import IngestOptions
from ingest.schema import Column
from ingest.tables import LogTable
from pipeline.cli import main
from pipeline.status import run_summary
from simulator import generate
from tests.helpers import fetch
from tests.pipeline_runs import run_graph
from warehouse import Target, connection, meta

D0, D1 = date(2026, 10, 5), date(2026, 10, 6)
SHIPPED_LOG_TABLES = tables.log_tables  # the cached discovery, before any test patches it

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """raw/, lake/, run/state and warehouse.duckdb of a run that published D0 and D1."""
    base = tmp_path_factory.mktemp("published")
    generate(base / "raw", D0, 2, users=20, seed=5, progress=False)
    target = Target("duckdb", duckdb_path=str(base / "warehouse.duckdb"))
    run_graph(base / "raw", base / "lake", D0, D1, target, work=base / "run",
              options=IngestOptions(runner="inline"))
    assert len(fetch(target, "select * from pulse_meta.published_batches")) == 2
    return base


@pytest.fixture
def work(published, tmp_path, monkeypatch) -> Path:
    for name in ("raw", "lake", "run"):
        shutil.copytree(published / name, tmp_path / name)
    shutil.copy(published / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    monkeypatch.setenv("PULSE_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("PULSE_STATE_DIR", str(tmp_path / "run" / "state"))
    monkeypatch.setenv("PULSE_ALERT_LOG", str(tmp_path / "run" / "alerts.log"))
    return tmp_path


def target_of(work: Path) -> Target:
    return Target("duckdb", duckdb_path=str(work / "warehouse.duckdb"))


def pulse_run(work: Path, capsys, *more: str) -> tuple[int, str]:
    code = main(["run", "--raw", str(work / "raw"), "--lake", str(work / "lake"),
                 "--from", D0.isoformat(), "--to", D1.isoformat(), "--runner", "inline",
                 "--monitor", "none", "--target", "duckdb", "--log-dir", str(work / "logs"), *more])
    out = capsys.readouterr().out
    return code, next(line for line in out.splitlines() if line.startswith(f"pulse run {D0}..{D1} into"))


def declare(monkeypatch, derive) -> None:
    """A log table `login_log` (one row per login), as if its module had been added."""
    table = LogTable("login_log", "One row per login.", [Column("platform_name", "short_string", True, "p")],
                     events={"login"}, derive=derive)
    shipped = SHIPPED_LOG_TABLES.__wrapped__()
    monkeypatch.setattr(tables, "log_tables", lambda: {**shipped, "login_log": table})
    monkeypatch.setattr(logic, "log_tables", tables.log_tables)


def test_full_refresh_rebuilds_the_incremental_models_of_published_dates(work, capsys):
    target = target_of(work)
    with connection(target) as client:
        client.execute("update marts.rpt_engagement_daily set dau = -1")  # damage only a rebuild repairs
    code, summary = pulse_run(work, capsys)
    assert code == 0 and "tasks run: nothing to do" in summary and "rebuilt" not in summary
    assert fetch(target, "select min(dau) from marts.rpt_engagement_daily")[0][0] == -1

    code, summary = pulse_run(work, capsys, "--full-refresh")
    assert code == 0, summary
    assert fetch(target, "select min(dau) from marts.rpt_engagement_daily")[0][0] >= 0
    assert "transform 1 done" in summary and "check 2 done" in summary
    assert "2/2 date(s) published" in summary
    rebuilt = summary.split("dbt build --full-refresh: rebuilt ", 1)[1]
    count = int(rebuilt.split()[0])
    names = rebuilt.split("(", 1)[1].rstrip(")").split(", ")
    assert count == len(names) >= 10
    assert {"fct_events", "fct_sessions", "rpt_engagement_daily", "rpt_funnel_conversion"} <= set(names)


def test_a_new_then_changed_log_table_is_backfilled_over_published_dates(work, capsys, monkeypatch):
    target = target_of(work)
    declare(monkeypatch, lambda e: {"platform_name": e.platform})
    code, summary = pulse_run(work, capsys)  # a new table: its partitions are missing
    assert code == 0 and "2/2 date(s) published" in summary, summary
    rows = dict(fetch(target, "select batch_date, count(*) from raw.login_log group by 1"))
    assert set(rows) == {D0, D1} and all(rows.values())
    events_loads = fetch(target, "select count(*) from pulse_meta.load_audit where table_name = 'events'")

    declare(monkeypatch, lambda e: {"platform_name": f"v2-{e.platform}"})  # derive changed
    code, summary = pulse_run(work, capsys)  # the partitions verify: nothing to redo
    assert "nothing to do" in summary
    code, summary = pulse_run(work, capsys, "--reingest", "login_log")
    assert code == 0 and "2/2 date(s) published" in summary, summary
    assert "load 2 done" in summary  # login_log of both dates; events were not reloaded
    assert fetch(target, "select count(*) from pulse_meta.load_audit where table_name = 'events'") \
        == events_loads
    names = {r[0] for r in fetch(target, "select platform_name from raw.login_log")}
    assert names and all(n.startswith("v2-") for n in names), names
    assert dict(fetch(target, "select batch_date, count(*) from raw.login_log group by 1")) == rows


def test_reingest_without_the_raw_folder_changes_nothing(work, capsys):
    shutil.rmtree(work / "raw" / D1.isoformat())
    manifest = work / "lake" / "events" / f"batch_date={D1}" / "_manifest.json"
    code, _summary = pulse_run(work, capsys, "--reingest", "all")
    assert code == 4
    assert (work / "logs").exists()
    run_log = next((work / "logs").glob("*/run.log")).read_text()
    assert f"--reingest needs the raw folder of every date: missing {D1}" in run_log
    assert "nothing was changed" in run_log
    assert manifest.exists()
    assert fetch(target_of(work), "select count(*) from pulse_meta.published_batches")[0][0] == 2


def test_reingest_of_an_unknown_table_is_a_one_line_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["run", "--from", D0.isoformat(), "--reingest", "nope"])
    err = capsys.readouterr().err
    assert caught.value.code == 2 and len(err.strip().splitlines()) == 1
    assert "--reingest 'nope': no such table" in err


def test_a_date_with_a_failed_task_is_not_called_published(duckdb_target, tmp_path):
    with connection(duckdb_target) as client:
        meta.setup(client)
        meta.publish(client, D0.isoformat(), 1, 10, "older-run")
        meta.publish(client, D1.isoformat(), 2, 10, "older-run")
        run = meta.TaskRun("r1", "LoadTask", "LoadTask_2026_10_06_login_log", D1.isoformat(), "failed",
                           meta.utcnow())
        meta.record_task_run(client, run)
    summary = run_summary(duckdb_target, str(tmp_path / "lake"), D0, D1, "r1")
    assert "1/2 date(s) published" in summary and f"failed: load {D1}" in summary
