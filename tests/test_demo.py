"""`make demo` as a newcomer runs it: a short terminal without escape codes, every mart and
analysis with rows, the volume monitor scoring real history, and exactly one alert: the
anomaly the demo plants on its last day.

The Makefile is run from a scratch folder (its data/ lands there) with the suite's own
interpreter, so the demo's commands are tested as the Makefile writes them; the install step
is the only part left out (RUNTIME= skips it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from warehouse.dbt import run_dbt
from warehouse.target import target_from_env

ROOT = Path(__file__).resolve().parents[1]
ESC = "\x1b"


@dataclass
class Demo:
    folder: Path
    terminal: str
    returncode: int
    last_day: str

    def sql(self, statement: str) -> list[tuple]:
        with duckdb.connect(str(self.folder / "data" / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(statement).fetchall()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Demo:
    folder = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PULSE_", "MAKE", "MFLAGS"))}  # the demo's own defaults
    bin_dir = Path(sys.executable).parent
    run = subprocess.run(["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), "demo",
                          "RUNTIME=", f"BIN={bin_dir}", f"PYTHON={sys.executable}"],
                         cwd=folder, env=env, capture_output=True, text=True, timeout=1500, check=False)
    last_day = (datetime.now(timezone.utc).date() - timedelta(days=1)).isoformat()
    return Demo(folder, run.stdout + run.stderr, run.returncode, last_day)


@pytest.mark.slow
def test_the_terminal_is_short_and_plain(demo):
    assert demo.returncode == 0, demo.terminal
    # make echoes its commands; generate's progress bar rewrites one line with \r
    assert len(demo.terminal.split("\n")) <= 45, demo.terminal
    assert ESC not in demo.terminal
    assert "No configs specified" not in demo.terminal and "pulse.dbt" not in demo.terminal
    assert "63/63 date(s) published" in demo.terminal
    (log_file,) = (demo.folder / "data" / "logs").glob("*/run.log")
    assert ESC not in log_file.read_text()


@pytest.mark.slow
def test_the_planted_anomaly_is_the_one_alert(demo):
    alerts = [ln for ln in demo.terminal.split("\n") if ln.startswith("ALERT")]
    assert alerts == [f"ALERT [error] volume_anomaly: 1 finding(s) for {demo.last_day} (task_created)"], \
        demo.terminal
    findings = demo.sql(f"""select monitor, check_key, status from pulse_meta.monitor_results
                           where status <> 'ok' and monitor_date = date '{demo.last_day}'""")
    assert findings == [("volume_anomaly", "task_created", "error")]


@pytest.mark.slow
def test_the_volume_monitor_scores_real_history(demo):
    (scored,) = demo.sql("""select count(distinct event_name) from marts.rpt_event_volume_anomalies
                            where history_weeks >= 3""")[0]
    assert scored >= 10
    # the product's first scored weeks still grow fast: the daily model flags some of that
    # growth as spikes (days the run does not alert on); the last day holds only the planted drop
    flagged = demo.sql(f"""select event_name, direction from marts.rpt_event_volume_anomalies
                           where is_anomaly and event_date = date '{demo.last_day}'""")
    assert flagged == [("task_created", "drop")]


@pytest.mark.slow
def test_every_mart_has_rows(demo):
    marts = [t for (t,) in demo.sql("select table_name from information_schema.tables "
                                    "where table_schema = 'marts' order by 1")]
    assert len(marts) >= 20
    empty = [t for t in marts if demo.sql(f"select count(*) from marts.{t}")[0][0] == 0]
    assert empty == []


@pytest.mark.slow
def test_every_analysis_returns_rows(demo, tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_DUCKDB_PATH", str(demo.folder / "data" / "warehouse.duckdb"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    run_dbt(["compile", "--select", "resource_type:analysis", "--quiet"], target_from_env("duckdb"),
            capture=True)
    compiled = sorted((tmp_path / "target" / "compiled" / "pulse" / "analyses").glob("*.sql"))
    assert {p.name for p in compiled} == {p.name for p in (ROOT / "analyses").glob("*.sql")}
    empty = [p.name for p in compiled if not demo.sql(p.read_text())]
    assert empty == []


@pytest.mark.slow
def test_the_summary_marks_no_complete_window_as_incomplete(demo):
    summary = demo.terminal[demo.terminal.index("warehouse duckdb:"):]
    assert re.search(r"last 7 days: date +DAU +WAU +MAU +DAU/MAU", summary), summary
    assert "incomplete" not in summary  # nine weeks: every 30-day window is whole
