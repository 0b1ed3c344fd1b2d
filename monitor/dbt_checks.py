"""Critical-value checks: the dbt tests tagged ``pulse_monitor``, run for one monitor date.

The tests themselves (macros/monitoring/critical_value_nonzero.sql) hold the logic and the
severity; this runs them with ``--vars {monitor_date: D}`` and turns run_results.json into
MonitorResults.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path

from monitor.results import MonitorResult
from warehouse.dbt import DbtError, run_dbt
from warehouse.target import Target

DBT_STATUS = {"pass": "ok", "warn": "warn", "fail": "error", "error": "error", "skipped": "error"}


def critical_value_tests(target: Target, day: date) -> list[MonitorResult]:
    with tempfile.TemporaryDirectory(prefix="pulse-monitor-dbt-") as scratch:
        args = ["test", "--select", "tag:pulse_monitor", "--vars", json.dumps({"monitor_date": str(day)}),
                "--target-path", str(Path(scratch) / "target")]
        failed_run = None
        try:
            run_dbt(args, target=target, capture=True)
        except DbtError as exc:  # failing tests exit 1; the results file tells which
            failed_run = exc
        results_file = Path(scratch) / "target" / "run_results.json"
        if not results_file.exists():
            return [MonitorResult("critical_values", "dbt", "error",
                                  f"dbt tests for {day} did not run: {failed_run}")]
        run_results = json.loads(results_file.read_text())["results"]
    results = []
    for item in run_results:
        name = item["unique_id"].split(".")[2]
        status = DBT_STATUS.get(item["status"], "error")
        failures = item.get("failures")
        message = (f"{name} for {day}: {item['status']}"
                   + (f" ({failures} failing row(s))" if failures else "")
                   + (f": {item['message']}" if item.get("message") and status != "ok" else ""))
        results.append(MonitorResult("critical_values", name, status, message,
                                     float(failures) if failures is not None else None, 0.0))
    return results or [MonitorResult("critical_values", "dbt", "error",
                                     "no dbt test tagged pulse_monitor was found")]
