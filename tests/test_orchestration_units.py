"""Fast checks of the orchestration's building blocks: retry classification and backoff,
deadlines, locks that die with their holder, bounded log tails in alerts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import asdict
from pathlib import Path

import psycopg2.errors
import pytest

from pipeline.orchestrate import LOG_TAIL_CHARS, log_tail
from pipeline.retry import TaskTimeout, deadline, is_transient, retry_call
from warehouse.dbt import DbtError
from warehouse.locks import AlreadyRunning, LockSet
from warehouse.target import Target


class FakeClientError(Exception):
    """Shaped like botocore's ClientError: a response dict with the HTTP status and code."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(f"{code} ({status})")
        self.response = {"ResponseMetadata": {"HTTPStatusCode": status}, "Error": {"Code": code}}


def _chained() -> Exception:
    try:
        try:
            raise ConnectionRefusedError("connection refused")
        except ConnectionRefusedError as inner:
            raise RuntimeError("load failed") from inner
    except RuntimeError as outer:
        return outer


@pytest.mark.parametrize(("exc", "transient"), [
    (ConnectionRefusedError("[Errno 111] Connection refused"), True),
    (ConnectionError("cannot connect to postgres://x"), True),
    (psycopg2.errors.SerializationFailure("could not serialize access"), True),
    (psycopg2.errors.DeadlockDetected("deadlock detected"), True),
    (FakeClientError(503, "SlowDown"), True),
    (FakeClientError(500, "InternalError"), True),
    (RuntimeError('IO Error: Could not set lock on file "w.duckdb"'), True),
    (_chained(), True),
    (FakeClientError(403, "AccessDenied"), False),
    (FakeClientError(404, "NoSuchKey"), False),
    (psycopg2.errors.SyntaxError("syntax error at or near"), False),
    (psycopg2.errors.UndefinedColumn('column "x" does not exist'), False),
    (ValueError("unknown target 'snowflake'"), False),
    (DbtError(["build"], 1), False),
    (TaskTimeout("load exceeded its timeout"), False),
])
def test_transient_errors_are_retried_and_permanent_ones_are_not(exc, transient):
    assert is_transient(exc) is transient


def test_retry_backs_off_exponentially_then_succeeds():
    calls, sleeps = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionRefusedError("connection refused")
        return "ok"

    assert retry_call(flaky, attempts=4, base_delay=0.5, sleep=sleeps.append) == "ok"
    assert len(calls) == 3 and sleeps == [0.5, 1.0]


def test_permanent_errors_fail_fast_and_transient_ones_give_up_after_the_attempts():
    calls, sleeps = [], []

    def broken():
        calls.append(1)
        raise ValueError("bad config")

    with pytest.raises(ValueError):
        retry_call(broken, attempts=4, base_delay=1, sleep=sleeps.append)
    assert len(calls) == 1 and sleeps == []

    def down():
        calls.append(1)
        raise ConnectionRefusedError("connection refused")

    calls.clear()
    with pytest.raises(ConnectionRefusedError):
        retry_call(down, attempts=3, base_delay=1, sleep=sleeps.append)
    assert len(calls) == 3 and sleeps == [1, 2]


def test_deadline_interrupts_a_task_that_runs_too_long():
    started = time.monotonic()
    with pytest.raises(TaskTimeout), deadline(0.2, "slow task"):
        time.sleep(5)
    assert time.monotonic() - started < 2
    with deadline(1, "quick task"):  # no alarm left behind
        pass
    time.sleep(1.1)


def _hold_in_child(target: Target, state: Path, name: str) -> subprocess.Popen:
    """A separate process that takes the lock and sleeps."""
    code = textwrap.dedent(f"""
        import sys, time
        from warehouse.locks import LockSet
        from warehouse.target import Target
        locks = LockSet(Target(**{asdict(target)!r}))
        locks.acquire([{name!r}])
        print("held", flush=True)
        time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PULSE_STATE_DIR": str(state)})
    assert proc.stdout.readline().strip() == "held"
    return proc


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_lock_excludes_a_second_holder_and_dies_with_its_holder(dialect, tmp_path, monkeypatch, request):
    monkeypatch.setenv("PULSE_STATE_DIR", str(tmp_path / "state"))
    target = (Target("duckdb", duckdb_path=str(tmp_path / "w.duckdb")) if dialect == "duckdb"
              else request.getfixturevalue("pg_target"))
    holder = _hold_in_child(target, tmp_path / "state", "batch:2026-10-05")
    try:
        with LockSet(target) as locks, pytest.raises(AlreadyRunning, match="batch:2026-10-05"):
            locks.acquire(["batch:2026-10-04", "batch:2026-10-05"], wait_seconds=0.3)
        with LockSet(target) as other:  # a failed acquire released what it had taken
            other.acquire(["batch:2026-10-04"])
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    with LockSet(target) as locks:  # SIGKILL freed it: no stale lock
        locks.acquire(["batch:2026-10-05"], wait_seconds=5)


def test_alert_log_tail_is_bounded_and_keeps_the_end(tmp_path):
    log = tmp_path / "run.log"
    log.write_text("\n".join(f"line {i} " + "x" * 500 for i in range(1000)) + "\nTHE ERROR\n")
    tail = log_tail(log)
    assert len(tail) <= LOG_TAIL_CHARS + len("[...]")
    assert tail.endswith("THE ERROR") and tail.startswith("[...]")
    assert log_tail(tmp_path / "missing.log") == ""


def test_run_settings_cross_the_luigi_boundary_as_one_parameter_parsed_once(tmp_path):
    from datetime import date

    from ingest.contract import Limits
    from ingest.run import IngestOptions
    from pipeline.orchestrate import RunRequest
    from pipeline.settings import RunSettings
    from pipeline.tasks import LoadTask, PulseRun

    target = Target("duckdb", duckdb_path=str(tmp_path / "w.duckdb"))
    req = RunRequest(raw="raw", lake=str(tmp_path / "lake"), start=date(2026, 10, 5),
                     end=date(2026, 10, 7), target=target,
                     options=IngestOptions(limits=Limits(max_late_days=None), lake_format="parquet"))
    settings = req.settings("run-1", tmp_path / "run-1")
    assert settings.dates == (date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 7))
    assert settings.raw == str(Path("raw").resolve()) and settings.target is target
    text = settings.to_json()
    assert RunSettings.from_json(text) == settings
    assert RunSettings.from_json(text) is RunSettings.from_json(text), "parsed once per process"

    run = PulseRun.of(settings)
    assert "settings" not in run.to_str_params(), "private and insignificant: not in task ids"
    load = LoadTask(batch_date=date(2026, 10, 6), warehouse=run.warehouse, settings=text)
    assert load.settings == settings and load.task_id == LoadTask(
        batch_date=date(2026, 10, 6), warehouse=run.warehouse,
        settings=RunSettings.from_json(text.replace("run-1", "run-2"))).task_id
    with pytest.raises(ValueError, match="before"):
        RunRequest(raw="raw", lake="lake", start=date(2026, 10, 7), end=date(2026, 10, 5),
                   target=target).settings("run-1", tmp_path)


def test_status_only_reads_a_warehouse_without_pulse_meta(tmp_path, monkeypatch):
    from pipeline.status import status_report
    from warehouse import connect

    monkeypatch.setenv("PULSE_STATE_DIR", str(tmp_path / "state"))
    target = Target("duckdb", duckdb_path=str(tmp_path / "w.duckdb"))
    assert "nothing is built yet" in status_report(target)
    assert list(tmp_path.iterdir()) == []  # neither the DuckDB file nor the state folder
    with connect(target) as client:
        client.execute("select 1")  # an existing warehouse without pulse_meta
    assert "(no runs recorded" in status_report(target)
    with connect(target) as client:
        assert client.fetchall("select table_name from information_schema.tables") == []
