"""Build time of the experiment models on simulated data, DuckDB and PostgreSQL.

    python bench/experiments.py [--users 2000] [--days 28] [--targets duckdb,postgres]

Generates the demo's data, ingests and loads it, runs `dbt build` once (everything), then
rebuilds only the experiment models and prints each one's build time from dbt's
run_results.json. PostgreSQL comes from PULSE_PG_HOST/PORT/USER (a throwaway database is
created and dropped).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from dataclasses import asdict, replace
from datetime import date, timedelta
from pathlib import Path

from ingest.run import IngestOptions
from pipeline import orchestrate
from simulator import generate
from warehouse import Target, connect, target_from_env
from warehouse.dbt import run_dbt

START = date(2026, 10, 1)
MODELS = ("int_experiment_exposures", "int_experiment_slice_members", "int_experiment_slice_health",
          "int_experiment_health", "int_experiment_metric_events", "int_experiment_user_metrics",
          "int_experiment_comparisons", "int_experiment_read_outs", "rpt_experiment_results",
          "rpt_experiment_slice_results", "rpt_experiment_daily_results")


def _admin_run(server: Target, sql: str) -> None:
    with connect(replace(server, dbname="postgres")) as client:
        client.conn.autocommit = True
        client.conn.cursor().execute(sql)


def bench_target(name: str, raw: Path, work: Path, days: int) -> None:
    if name == "duckdb":
        target, dropdb = Target("duckdb", duckdb_path=str(work / "bench.duckdb")), None
    else:
        dbname = f"pulse_bench_{uuid.uuid4().hex[:8]}"
        server = target_from_env("postgres")
        _admin_run(server, f'create database "{dbname}"')
        target, dropdb = replace(server, dbname=dbname), f'drop database if exists "{dbname}" with (force)'
    try:
        end = START + timedelta(days=days - 1)
        # `pulse run` in-process: ingest, load, dbt build, check and publish per date
        outcome = orchestrate.run_window(orchestrate.RunRequest(
            raw=str(raw), lake=str(work / f"lake-{name}"), start=START, end=end,
            target=orchestrate.Target(**asdict(target)), options=IngestOptions(runner="inline"),
            log_dir=str(work / "runs"), monitor="none"))
        if outcome.exit_code:
            raise SystemExit(f"pulse run into {name} failed: {outcome.message} "
                             f"(log {outcome.log_file})")
        # the run's dbt wrote its artifacts to its state dir: parse once so the timed build
        # starts from a warm partial parse, as it did after a build into DBT_TARGET_PATH
        run_dbt(["parse"], target=target, capture=True)
        t0 = time.perf_counter()
        run_dbt(["build", "--select", "int_experiment_exposures+", "experiments+",
                 "--indirect-selection", "cautious"], target=target, capture=True)
        wall = time.perf_counter() - t0
        results = json.loads((Path(os.environ["DBT_TARGET_PATH"]) / "run_results.json").read_text())
        timing = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results["results"]}
        print(f"{name}: experiment models + their tests, one dbt build: {wall:.1f} s wall")
        for model in MODELS:
            print(f"  {model:<30} {timing.get(model, float('nan')):6.2f} s")
    finally:
        if dropdb:
            _admin_run(server, dropdb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--targets", default="duckdb,postgres")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pulse-bench-exp-"))
    os.environ.setdefault("DBT_TARGET_PATH", str(work / "target"))
    os.environ.setdefault("DBT_LOG_PATH", str(work / "logs"))
    # the runs' lock files, dbt artifacts and alerts (a failing run alerts) stay in `work`
    os.environ["PULSE_STATE_DIR"] = str(work / "state")
    os.environ["PULSE_ALERT_LOG"] = str(work / "alerts.log")
    stats = generate(work / "raw", START, args.days, args.users, seed=42, progress=False)
    print(f"data: {args.users} users, {args.days} days, {stats['events']:,} events")
    for name in args.targets.split(","):
        bench_target(name, work / "raw", work, args.days)


if __name__ == "__main__":
    main()
