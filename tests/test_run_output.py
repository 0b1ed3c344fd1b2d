"""`pulse run` is quiet on the terminal and complete in its run log: one line per stage with
counts and a closing summary, no escape codes anywhere; dbt's detail is in the run log."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from pipeline.progress import StageProgress, strip_ansi
from simulator import generate

ESC = "\x1b"
START, END = date(2026, 10, 5), date(2026, 10, 6)


def _pulse(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900, check=False)


@pytest.mark.slow
def test_pulse_run_terminal_is_short_and_run_log_has_the_detail(tmp_path):
    generate(tmp_path / "raw", START, 2, users=30, seed=11, fault_rate=0.0, progress=False)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
           "PULSE_STATE_DIR": str(tmp_path / "state"), "PULSE_ALERT_LOG": str(tmp_path / "alerts.log"),
           "PULSE_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"), "PULSE_TARGET": "duckdb"}
    # the mrjob engine, whose "No configs specified" note must stay off the terminal
    run = _pulse(["run", "--raw", "raw", "--lake", "lake", "--from", START.isoformat(),
                  "--to", END.isoformat(), "--runner", "local", "--log-dir", "logs"], tmp_path, env)
    terminal = run.stdout + run.stderr
    assert run.returncode == 0, terminal
    lines = terminal.splitlines()
    assert len(lines) < 40, terminal
    assert ESC not in terminal
    assert "No configs specified" not in terminal and "pulse.dbt" not in terminal
    for stage, count in (("ingest", "2/2 dates"), ("load", "6/6 partitions"),
                         ("transform", "1/1 dbt runs"), ("check", "2/2 dates"),
                         ("publish", "2/2 dates"), ("monitor", "1/1 dates")):
        assert [ln for ln in lines if ln.split()[:2] == [stage, *count.split()[:1]]], \
            f"no `{stage} {count}` line:\n{terminal}"
    assert re.search(r"transform .*dbt PASS=\d+ WARN=\d+ ERROR=0", terminal), terminal
    assert "2/2 date(s) published" in terminal
    # the run log: everything, dbt's lines included, and no escape code
    (log_file,) = (tmp_path / "logs").glob("*/run.log")
    text = log_file.read_text()
    assert ESC not in text
    dbt_lines = [ln for ln in text.splitlines() if " pulse.dbt: " in ln]
    assert len(dbt_lines) > 100 and any(" of " in ln and " OK " in ln for ln in dbt_lines)
    assert not any(re.search(r"pulse\.dbt: \d\d:\d\d:\d\d ", ln) for ln in dbt_lines), \
        "dbt's own clock repeats the log line's time"
    assert "to do: ingest 2, load 6, transform 1, check 2, publish 2, monitor 1" in text
    assert "No configs specified" in text  # mrjob's note is kept, only off the terminal

    summary = _pulse(["summary"], tmp_path, env)
    assert summary.returncode == 0, summary.stderr
    assert "fct_events:" in summary.stdout
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", summary.stdout), summary.stdout  # no microseconds


def _record(msg: str, level: int = logging.INFO, **progress) -> logging.LogRecord:
    record = logging.LogRecord("pulse.tasks", level, __file__, 1, msg, (), None)
    if progress:
        record.pulse_progress = progress
    return record


class _Stream:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def test_stage_progress_prints_a_stage_once_its_planned_tasks_finished():
    stream = _Stream()
    handler = StageProgress(stream)
    try:
        handler.handle(_record("to do", kind="plan", plan={"load": 2, "check": 1, "publish": 1}))
        handler.handle(_record("done", kind="task", stage="load", status="done", rows_in=5,
                               rows_out=5, seconds=0.5))
        assert stream.text == ""  # one of two loads: no line yet
        handler.handle(_record("done", kind="task", stage="load", status="done", rows_in=7,
                               rows_out=7, seconds=0.5))
        handler.handle(_record("info only"))  # INFO records stay in the run log
        handler.handle(_record("\x1b[31mdisk nearly full\x1b[0m", logging.WARNING))
        handler.handle(_record("No configs specified for local runner", logging.WARNING))
        handler.handle(_record("failed", kind="task", stage="check", status="failed", seconds=1))
        handler.handle(_record("luigi: failed", kind="end"))
    finally:
        handler.close()
    lines = stream.text.splitlines()
    assert lines[0].startswith("  load       2/2 partitions: 12 rows loaded (")
    assert "disk nearly full" in lines[1] and ESC not in stream.text
    assert "info only" not in stream.text and "No configs" not in stream.text
    assert lines[2].startswith("  check      0/1 dates, 1 FAILED")
    assert lines[3].startswith("  publish    0/1 dates, 1 not run")
    assert len(lines) == 4


def test_stage_progress_counts_tasks_of_forked_workers():
    stream = _Stream()
    handler = StageProgress(stream)
    logger = logging.getLogger("pulse.test_progress_fork")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        handler.handle(_record("to do", kind="plan", plan={"ingest": 1}))
        pid = os.fork()
        if pid == 0:  # a Luigi worker process
            logger.info("done", extra={"pulse_progress": {"kind": "task", "stage": "ingest",
                                                          "status": "done", "rows_in": 3,
                                                          "rows_out": 2, "seconds": 0.1}})
            os._exit(0)
        os.waitpid(pid, 0)
        for _ in range(100):
            if stream.text:
                break
            time.sleep(0.05)
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert stream.text.startswith("  ingest     1/1 dates: 3 lines -> 2 rows")


def test_strip_ansi():
    assert strip_ansi("\x1b[0m12:00:01  \x1b[32mOK\x1b[0m created") == "12:00:01  OK created"


def test_on_a_terminal_a_passing_line_is_overwritten_not_escaped():
    class Tty(_Stream):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    handler = StageProgress(stream)
    try:
        handler.handle(_record("to do", kind="plan", plan={"transform": 1}))
        handler.handle(_record("dbt", kind="live", text="transform  dbt node 12/140"))
        assert stream.text == "\r  transform  dbt node 12/140"
        handler.handle(_record("done", kind="task", stage="transform", status="done",
                               rows_in=9, rows_out=9, seconds=2, note="dbt PASS=140 ERROR=0"))
    finally:
        handler.close()
    assert ESC not in stream.text
    final = stream.text.split("\r")[-1]
    assert final.startswith("  transform  1/1 dbt runs: 9 raw events -> 9 fct_events rows; "
                            "dbt PASS=140 ERROR=0 (") and final.endswith("\n")


@pytest.mark.slow
def test_a_failed_task_is_one_terminal_line_and_its_traceback_is_in_the_run_log(tmp_path):
    generate(tmp_path / "raw", START, 1, users=30, seed=11, fault_rate=0.2, progress=False)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
           "PULSE_STATE_DIR": str(tmp_path / "state"), "PULSE_ALERT_LOG": str(tmp_path / "alerts.log"),
           "PULSE_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"), "PULSE_TARGET": "duckdb"}
    run = _pulse(["run", "--raw", "raw", "--lake", "lake", "--from", START.isoformat(),
                  "--max-quarantine-share", "0.01", "--log-dir", "logs"], tmp_path, env)
    terminal = run.stdout + run.stderr
    assert run.returncode == 1, terminal
    assert "Traceback" not in terminal and 'File "' not in terminal
    failed = [ln for ln in terminal.splitlines() if " failed: BatchFailed: " in ln]
    assert failed and all(ln.endswith("(traceback in the run log)") for ln in failed), terminal
    assert f"IngestTask(warehouse=duckdb:{tmp_path / 'warehouse.duckdb'}, batch_date={START}) failed" \
        in terminal
    assert f"(the whole alert: {tmp_path / 'alerts.log'})" in terminal
    (log_file,) = (tmp_path / "logs").glob("*/run.log")
    assert "Traceback (most recent call last)" in log_file.read_text()
    assert "last log lines:" in (tmp_path / "alerts.log").read_text()


def test_terminal_formatter_names_the_exception_in_one_line():
    from pipeline.progress import TerminalFormatter

    record = logging.LogRecord("luigi-interface", logging.ERROR, __file__, 1,
                               "[pid %s] Worker %s failed    %s",
                               (7, "Worker(salt=1, pid=7)", "LoadTask(batch_date=2026-10-05)"), None)
    record.exc_text = ('Traceback (most recent call last):\n  File "x.py", line 1\n'
                       "warehouse.x.LoadError: no table")
    text = TerminalFormatter("%(levelname)s %(message)s").format(record)
    assert text == ("ERROR LoadTask(batch_date=2026-10-05) failed: LoadError: no table "
                    "(traceback in the run log)")
    plain = logging.LogRecord("pulse", logging.WARNING, __file__, 1, "just a warning", (), None)
    assert TerminalFormatter("%(message)s").format(plain) == "just a warning"
