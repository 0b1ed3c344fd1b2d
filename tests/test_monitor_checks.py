"""Pipeline monitors, ingest health, freshness and result storage on DuckDB and PostgreSQL,
with hand-made run history, publications, audit rows and lake manifests (no dbt)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from ingest.lake import InputFile, Manifest
from ingest.load.loader import create_raw_tables
from ingest.schema import EVENTS
from monitor.config import IngestMonitorConfig, MonitorConfig, PipelineMonitorConfig
from monitor.data_checks import freshness, ingest_health
from monitor.pipeline_checks import (
    deadline_for,
    duration_regressions,
    publish_deadline,
    record_publication,
)
from monitor.results import RESULTS_TABLE, MonitorResult, store_results
from warehouse import connect, meta
from warehouse.meta import TaskRun, record_task_run

DAY = date(2026, 11, 1)
T0 = datetime(2026, 10, 1, 2, 0)


def by_key(results):
    return {r.check_key: r for r in results}


def test_duration_regression_against_recent_p95(any_target):
    client = connect(any_target)
    try:
        (none,) = duration_regressions(client, DAY, PipelineMonitorConfig())
        assert none.message == "no run history yet" and not meta.is_set_up(client)
        meta.setup(client)
        for i in range(10):  # history: LoadTask 90..108 s, TransformTask 100 s, PublishTask 2 runs
            day = str(DAY - timedelta(days=10 - i))
            record_task_run(client, TaskRun("r", "LoadTask", f"load-{i}", day, "done",
                                             T0 + timedelta(days=i), duration_seconds=90 + 2 * i))
            record_task_run(client, TaskRun("r", "TransformTask", f"t-{i}", day, "done",
                                             T0 + timedelta(days=i), duration_seconds=100))
        record_task_run(client, TaskRun("r", "LoadTask", "load-failed", str(DAY), "failed",
                                         T0 + timedelta(days=30), duration_seconds=9999))
        for i in range(2):
            record_task_run(client, TaskRun("r", "PublishTask", f"p-{i}", str(DAY - timedelta(days=i + 1)),
                                             "done", T0 + timedelta(days=i), duration_seconds=10))
        today = T0 + timedelta(days=31)
        record_task_run(client, TaskRun("r2", "LoadTask", "load-today", str(DAY), "done", today,
                                         duration_seconds=250))
        record_task_run(client, TaskRun("r2", "TransformTask", "t-today", str(DAY), "done", today,
                                         duration_seconds=150))
        record_task_run(client, TaskRun("r2", "PublishTask", "p-today", str(DAY), "done", today,
                                         duration_seconds=500))
        results = by_key(duration_regressions(client, DAY, PipelineMonitorConfig()))
    finally:
        client.close()
    assert results["LoadTask"].status == "warn"           # 250 s > 2 x p95 (~107 s)
    assert 200 < results["LoadTask"].expected < 220
    assert results["TransformTask"].status == "ok"        # 150 s < 2 x 100 s
    assert results["PublishTask"].status == "ok" and "too few" in results["PublishTask"].message


def test_publish_deadline(any_target):
    cfg = PipelineMonitorConfig(publish_deadline_utc="06:00")
    deadline = deadline_for(DAY, cfg)
    assert deadline == datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)
    client = connect(any_target)
    try:
        # pulse_meta is not set up yet: not published, and the verdict depends on the time
        assert publish_deadline(client, DAY, cfg, deadline - timedelta(minutes=1))[0].status == "ok"
        missed = publish_deadline(client, DAY, cfg, deadline + timedelta(minutes=1))[0]
        assert missed.status == "error" and "not published" in missed.message
        assert not meta.is_set_up(client)  # the check created nothing
        meta.setup(client)
        record_publication(client, DAY, deadline + timedelta(hours=2), "run-late")
        assert publish_deadline(client, DAY, cfg, deadline + timedelta(hours=3))[0].status == "warn"
        other = DAY + timedelta(days=1)
        record_publication(client, other, deadline_for(other, cfg) - timedelta(hours=3), "run-ok")
        assert publish_deadline(client, other, cfg, deadline_for(other, cfg))[0].status == "ok"
    finally:
        client.close()


def test_freshness_from_the_load_audit(any_target):
    client = connect(any_target)
    try:
        meta.setup(client)
        create_raw_tables(client, ["events"])
        with client.transaction():
            meta.record_load(client, 1, "events", DAY - timedelta(days=2), "loaded", 0, "x", "lake", T0)
        cfg = IngestMonitorConfig(freshness_warn_days=1, freshness_error_days=2)
        assert freshness(client, DAY, cfg)[0].status == "error"
        assert freshness(client, DAY - timedelta(days=1), cfg)[0].status == "warn"
        at_day = by_key(freshness(client, DAY - timedelta(days=2), cfg))
        assert at_day["events"].status == "ok"
        assert at_day["events_rows"].status == "error"  # loaded, but raw.events holds nothing
    finally:
        client.close()


def write_manifest(lake, day: date, lines: int, reasons: dict[str, int], status: str = "ok") -> None:
    manifest = Manifest.build(
        "events", day.isoformat(), contract_version=1, fmt="csv.gz", columns=EVENTS.column_names,
        files=[], rows=lines - sum(reasons.values()),
        inputs=[InputFile("a.jsonl", lines, 0, False, None, {})], duplicates=0,
        max_quarantine_share=1.0, job={}, quarantined=reasons)
    folder = lake / "events" / f"batch_date={day}"
    folder.mkdir(parents=True)
    (folder / "_manifest.json").write_bytes(replace(manifest, status=status).to_json())


def test_ingest_health_per_batch_and_reason(tmp_path):
    lake = tmp_path / "lake"
    write_manifest(lake, DAY, 10_000, {"invalid_json": 30, "missing_identity": 2})
    write_manifest(lake, DAY + timedelta(days=1), 10_000, {"invalid_json": 120, "wrong_type": 80})
    cfg = IngestMonitorConfig()
    clean = by_key(ingest_health(str(lake), DAY, cfg))
    assert clean["quarantine"].status == "ok" and set(clean) == {"quarantine"}
    bad = by_key(ingest_health(str(lake), DAY + timedelta(days=1), cfg))
    assert bad["quarantine"].status == "warn" and bad["quarantine"].observed == 0.02
    assert bad["quarantine.invalid_json"].status == "warn"
    assert bad["quarantine.wrong_type"].status == "warn"
    missing = ingest_health(str(lake), DAY + timedelta(days=2), cfg)
    assert missing[0].status == "error" and "not published" in missing[0].message


def test_results_are_replaced_per_monitor_date(any_target):
    client = connect(any_target)
    now = datetime(2026, 11, 2, 7, 0, tzinfo=timezone.utc)
    try:
        meta.setup(client)
        first = [MonitorResult("freshness", "events", "ok", "fine"),
                 MonitorResult("volume_anomaly", "login", "error", "x", 1, 9)]
        store_results(client, "run1", DAY, now, first)
        store_results(client, "run1", DAY + timedelta(days=1), now,
                      [MonitorResult("freshness", "events", "ok", "fine")])
        store_results(client, "run2", DAY, now, [MonitorResult("freshness", "events", "warn", "late")])
        rows = client.fetchall(f"select run_id, cast(monitor_date as varchar), monitor, status "
                               f"from {RESULTS_TABLE} order by monitor_date")
    finally:
        client.close()
    assert rows == [("run2", "2026-11-01", "freshness", "warn"), ("run1", "2026-11-02", "freshness", "ok")]


def test_run_monitors_on_an_empty_warehouse_sets_up_and_stores(any_target, tmp_path, monkeypatch):
    """No dbt, nothing loaded: every monitor gives a verdict (a crashing one does not abort the
    others on the same connection), pulse_meta is set up once and the results are stored."""
    monkeypatch.setenv("PULSE_STATE_DIR", str(tmp_path / "state"))
    from monitor.run import run_monitors

    config = MonitorConfig(lake=None, run_dbt_tests=False)
    now = datetime(2026, 11, 2, 7, 0, tzinfo=timezone.utc)
    report = run_monitors(any_target, DAY, config, now=now, send=False)
    found = {(r.monitor, r.check_key): r for r in report.results}
    assert found[("freshness", "events")].status == "error"
    assert found[("late_arrivals", "monitor")].status == "error"  # raw.events is missing: crashed
    assert found[("schema_drift", "all")].status == "ok"
    assert found[("task_duration", "all")].message == "no run history yet"
    assert found[("publish_deadline", str(DAY))].status == "error"
    # the hourly and dimension monitor runs by default: without dbt its input is missing
    assert found[("hourly_volume", "all")].status == "error"
    assert "int_event_volume_hourly does not exist" in found[("hourly_volume", "all")].message
    with connect(any_target) as client:
        assert meta.is_set_up(client)
        stored = client.fetchall(f"select monitor, check_key, status from {RESULTS_TABLE}")
    assert sorted(stored) == sorted((r.monitor, r.check_key, r.status) for r in report.results)
