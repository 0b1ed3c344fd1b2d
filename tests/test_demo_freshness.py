"""A fresh demo is fresh: `make demo` ends its data yesterday (UTC), so `dbt source
freshness` passes on it, judged against the wall clock as in production."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from ingest.run import IngestOptions
from simulator import generate
from tests.pipeline_runs import run_graph
from warehouse import Target
from warehouse.dbt import project_dir, run_dbt


def _demo_commands(*overrides: str) -> list[str]:
    """The pulse commands `make demo` would run (a dry run: nothing is executed)."""
    make = shutil.which("make")
    assert make, "make is needed for the demo"
    out = subprocess.run([make, "-n", "-s", "demo", f"PYTHON={sys.executable}", *overrides],
                         cwd=project_dir(), capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if "/pulse " in line]


def test_the_demo_ends_yesterday_utc():
    today = datetime.now(timezone.utc).date()
    generate_cmd, run_cmd, _summary = _demo_commands("DEMO_DAYS=28")
    start = (today - timedelta(days=28)).isoformat()
    assert f"--start {start} --days 28" in generate_cmd
    assert f"--from {start} --to {(today - timedelta(days=1)).isoformat()}" in run_cmd


def test_a_fixed_start_still_reproduces_a_fixed_run():
    _generate, run_cmd, _summary = _demo_commands("DEMO_START=2026-10-01", "DEMO_DAYS=28")
    assert "--from 2026-10-01 --to 2026-10-28" in run_cmd


def test_source_freshness_passes_on_data_ending_yesterday(tmp_path):
    yesterday = datetime.now(timezone.utc).date() - timedelta(days=1)
    start = yesterday - timedelta(days=1)
    generate(tmp_path / "raw", start, 2, users=20, seed=5, progress=False)
    target = Target("duckdb", duckdb_path=str(tmp_path / "warehouse.duckdb"))
    run_graph(tmp_path / "raw", tmp_path / "lake", start, yesterday, target, work=tmp_path / "run",
              options=IngestOptions(runner="inline"), skip_dbt=True)
    target_path = tmp_path / "dbt-target"
    run_dbt(["source", "freshness", "--target-path", str(target_path)], target=target, capture=True)
    results = json.loads((target_path / "sources.json").read_text())["results"]
    statuses = {r["unique_id"].split(".", 2)[-1]: r["status"] for r in results}
    assert "raw.events" in statuses, statuses
    assert set(statuses.values()) == {"pass"}, statuses
