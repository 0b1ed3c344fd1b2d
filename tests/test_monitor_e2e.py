"""Monitors end to end: generated data with injected anomalies → real pipeline → dbt models,
`run_monitors` and `pulse monitor`, on DuckDB (and the anomaly model also on PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from ingest.run import IngestOptions
from monitor.config import AlertConfig, MonitorConfig, SinkConfig
from monitor.pipeline_checks import record_publication
from monitor.results import RESULTS_TABLE
from monitor.run import run_monitors
from pipeline.cli import main
from simulator import generate
from tests.helpers import fetch
from tests.pipeline_runs import run_graph
from warehouse import Target, connect, meta

START = date(2026, 9, 7)  # a Monday
DAYS = 42
END = START + timedelta(days=DAYS - 1)
DROP_DAY, SPIKE_DAY, NO_SIGNUP_DAY, LATE_DAY = (START + timedelta(days=d) for d in (33, 35, 37, 39))
ANOMALIES = [
    {"date": str(DROP_DAY), "event": "task_created", "factor": 0.3},
    {"date": str(SPIKE_DAY), "event": "page_view", "factor": 3.0},
    {"date": str(NO_SIGNUP_DAY), "event": "signup", "factor": 0.0},
    {"date": str(LATE_DAY), "late_batch": True},
]
OPTIONS = IngestOptions(runner="inline")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("monitor-raw")
    stats = generate(out, START, DAYS, users=2000, seed=5, progress=False, anomalies=ANOMALIES)
    assert stats["late_batches"] == [str(LATE_DAY)]
    return out


@pytest.fixture(scope="module")
def warehouse(raw, tmp_path_factory) -> tuple[Target, Path]:
    work = tmp_path_factory.mktemp("monitor-duckdb")
    target = Target("duckdb", duckdb_path=str(work / "warehouse.duckdb"))
    run_graph(raw, work / "lake", START, END, target, work=work, options=OPTIONS)
    return target, work / "lake"


def verdicts(target: Target) -> dict[tuple[str, str], tuple[bool, str | None, float]]:
    rows = fetch(target, "select event_name, cast(event_date as varchar), is_anomaly, direction, expected "
                         "from marts.rpt_event_volume_anomalies where expected is not null")
    return {(e, d): (a, direction, x) for e, d, a, direction, x in rows}


def test_injected_anomalies_are_flagged_and_clean_days_are_not(warehouse):
    target, _ = warehouse
    v = verdicts(target)
    assert v[("task_created", str(DROP_DAY))][:2] == (True, "drop")
    assert v[("page_view", str(SPIKE_DAY))][:2] == (True, "spike")
    assert v[("signup", str(NO_SIGNUP_DAY))][:2] == (True, "drop")
    late = [e for (e, d), (a, direction, _) in v.items() if d == str(LATE_DAY) and a and direction == "drop"]
    assert len(late) >= 3, "a late batch shows as drops across event types on its day"
    injected_days = {str(DROP_DAY), str(SPIKE_DAY), str(NO_SIGNUP_DAY), str(LATE_DAY)}
    clean = {k: x for k, x in v.items() if k[1] not in injected_days}
    false_alarms = [k for k, (a, _, _) in clean.items() if a]
    assert len(clean) > 80
    assert len(false_alarms) <= len(clean) / 100, false_alarms
    # the drop-to-zero day is scored against history that excludes the earlier injected days
    assert v[("signup", str(NO_SIGNUP_DAY))][2] > 10


def test_postgres_gives_the_same_verdicts(raw, warehouse, pg_target, tmp_path):
    run_graph(raw, tmp_path / "lake", START, END, pg_target, work=tmp_path, options=OPTIONS)
    duck, pg = verdicts(warehouse[0]), verdicts(pg_target)
    assert duck.keys() == pg.keys()
    assert {k for k, x in duck.items() if x[0]} == {k for k, x in pg.items() if x[0]}
    for key, (_, _, expected) in duck.items():
        assert pg[key][2] == pytest.approx(expected, rel=1e-9)
    drift = fetch(pg_target, "select count(*) from intermediate.int_event_schema_first_seen")[0][0]
    assert drift > 14


def test_run_monitors_on_the_zero_signup_day(warehouse, tmp_path):
    target, lake = warehouse
    alert_log = tmp_path / "alerts.log"
    config = MonitorConfig(lake=str(lake), alerts=AlertConfig(
        sinks=(SinkConfig("log", "log", {"path": str(alert_log), "stderr": False}),),
        state_path=str(tmp_path / "state.json"), full_text_dir=str(tmp_path / "full")))
    now = datetime.combine(NO_SIGNUP_DAY + timedelta(days=1), datetime.min.time(), timezone.utc)
    # as of `now` the batch is not published yet: withdraw the run's publication, stamped with
    # the wall clock, months after these generated dates
    with connect(target) as client:
        meta.unpublish(client, str(NO_SIGNUP_DAY))
    report = run_monitors(target, NO_SIGNUP_DAY, config, now=now)
    found = {(r.monitor, r.check_key): r for r in report.results}
    assert found[("critical_values", "critical_signups_nonzero")].status == "error"
    assert found[("critical_values", "critical_dau_nonzero")].status == "ok"
    assert found[("volume_anomaly", "signup")].status == "error"
    assert found[("freshness", "events")].status == "ok"
    assert found[("ingest_health", "quarantine")].status == "ok"
    assert found[("publish_deadline", str(NO_SIGNUP_DAY))].status == "ok"  # deadline not reached yet
    assert report.exit_code == 1 and not report.delivery_errors
    stored = fetch(target, f"select monitor, check_key, status from {RESULTS_TABLE} "
                           f"where monitor_date = '{NO_SIGNUP_DAY}'")
    assert ("critical_values", "critical_signups_nonzero", "error") in stored
    assert len(stored) == len(report.results)
    subjects = [json.loads(line)["subject"] for line in alert_log.read_text().splitlines()]
    assert any(s.startswith("critical_values: 1 finding(s)") for s in subjects)
    assert any(s.startswith("volume_anomaly:") for s in subjects)


def test_cli_after_the_late_batch_with_a_failing_sink(warehouse, tmp_path, capsys, monkeypatch):
    target, lake = warehouse
    monkeypatch.setenv("PULSE_DUCKDB_PATH", target.duckdb_path)
    day = LATE_DAY + timedelta(days=1)
    with connect(target) as client:
        meta.setup(client)
        record_publication(client, day, datetime.combine(day, datetime.min.time(), timezone.utc)
                           + timedelta(hours=23), "run-1")
    config = tmp_path / "monitor.yml"
    config.write_text(yaml.safe_dump({"lake": str(lake), "alerts": {
        "state_path": str(tmp_path / "state.json"), "full_text_dir": str(tmp_path / "full"),
        "sinks": {"email": {"host": "127.0.0.1", "port": 9, "sender": "a@example.com",
                            "recipients": ["b@example.com"], "timeout_seconds": 2}},
        "fallback": {"kind": "log", "path": str(tmp_path / "fallback.log"), "stderr": False}}}))
    rc = main(["monitor", "--date", str(day), "--target", "duckdb", "--config", str(config),
               "--now", f"{day + timedelta(days=1)}T05:00"])
    out = capsys.readouterr().out
    assert "[warn] late_arrivals/events" in out
    assert "DELIVERY FAILED" in out and rc == 1  # the email sink is down: loud, not silent
    fallback = [json.loads(line) for line in (tmp_path / "fallback.log").read_text().splitlines()]
    assert any("late_arrivals" in r["subject"] for r in fallback)


def test_hourly_monitor_and_backtest_report(warehouse, tmp_path, capsys, monkeypatch):
    target, _ = warehouse
    config = MonitorConfig(lake=None, run_dbt_tests=False)  # the hourly monitor is on by default
    assert config.volume.active
    report = run_monitors(target, NO_SIGNUP_DAY, config, send=False)
    hourly = {r.check_key: r for r in report.results if r.monitor == "hourly_volume"}
    # no signups all day: the hourly day total rolls up, and as the daily monitor flagged the
    # same drop it is one finding, the daily one, which names what the hourly monitor saw
    assert "signup" not in hourly
    assert hourly["all"].status == "ok" and "1 more shown by volume_anomaly" in hourly["all"].message
    (daily,) = [r for r in report.results if r.monitor == "volume_anomaly" and r.check_key == "signup"]
    assert daily.status == "error" and "; hourly: signup" in daily.message
    assert "whole day" in daily.message and "drop to 0%" in daily.message
    volume = ("volume_anomaly", "hourly_volume", "dimension_volume")
    findings = [(r.monitor, r.check_key) for r in report.results if r.status != "ok" and r.monitor in volume]
    assert findings == [("volume_anomaly", "signup")], findings  # nothing spurious on the day
    stored = fetch(target, f"select monitor, check_key, status from {RESULTS_TABLE} "
                           f"where monitor_date = '{NO_SIGNUP_DAY}' and status <> 'ok' "
                           f"and monitor in {volume}")
    assert stored == [("volume_anomaly", "signup", "error")]

    monkeypatch.setenv("PULSE_DUCKDB_PATH", target.duckdb_path)
    out_dir = tmp_path / "backtest"
    first = START + timedelta(days=21)
    rc = main(["monitor", "backtest", "--from", str(first), "--to", str(END), "--target", "duckdb",
               "--out", str(out_dir)])
    printed = capsys.readouterr().out
    assert rc == 0 and f"{(END - first).days + 1} day(s)" in printed
    index = (out_dir / "index.html").read_text()
    assert "<td>signup</td><td>drop</td>" in index and "<td>page_view</td><td>spike</td>" in index
    assert (out_dir / "signup.png").stat().st_size > 10_000
    assert (out_dir / "page_view.png").stat().st_size > 10_000
    flags = (out_dir / "flags.csv").read_text().splitlines()
    assert any(line.startswith(f"{SPIKE_DAY},") and ",page_view,spike," in line for line in flags)
    late_drops = {line.split(",")[3] for line in flags
                  if line.startswith(f"{LATE_DAY},") and ",drop," in line and "[" not in line.split(",")[3]}
    assert len(late_drops) >= 3, "the late batch shows as drops across event types on its day"
