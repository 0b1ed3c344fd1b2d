"""Cost of one incremental day after a short and a long history (DuckDB and PostgreSQL).

Incremental marts must cost in proportion to new data, not to history. This builds the
warehouse from HISTORY_SHORT (7) and from HISTORY_LONG (90) daily batches of the same
generated period, then times `dbt run` for the same next batch on each and prints the
ratio long / short (target <= 1.3 on DuckDB). Both histories end on the same day, so the
new batch (with its late and duplicate events) is byte-identical in both; only the length
of the history differs. The reconciliation tests (tag:reconciliation, full scans by
design) are not part of the timed run. `dbt test` on the same state is timed separately.

    python bench/incremental_cost.py [--users 4000] [--targets duckdb,postgres] [--workdir data/bench]

PostgreSQL comes from PULSE_PG_HOST/PORT/USER (default 127.0.0.1:5432, postgres); throwaway
databases are created and dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.run import IngestOptions, ingest
from pipeline import orchestrate
from simulator import generate
from warehouse import Target, connect, target_from_env
from warehouse.dbt import run_dbt

START = date(2026, 7, 1)
HISTORY_SHORT = 7
HISTORY_LONG = 90
SEED = 42
EXCLUDE = ["--exclude", "tag:reconciliation"]


def prepare_lake(workdir: Path, users: int) -> tuple[Path, list[date]]:
    """Generate and ingest HISTORY_LONG + 1 days once; reused by later runs."""
    days = [START + timedelta(days=i) for i in range(HISTORY_LONG + 1)]
    lake = workdir / "lake"
    marker = workdir / f"ready-{users}.json"
    if not marker.exists():
        raw = workdir / "raw"
        stats = generate(raw, START, len(days), users=users, seed=SEED, fault_rate=0.01, progress=False)
        ingest(raw, lake, days, IngestOptions(runner="local"))
        marker.write_text(json.dumps({"lines": stats["lines"], "batches": stats["batches"]}))
    return lake, days


def timed_dbt(target: Target, args: list[str]) -> tuple[float, dict[str, float]]:
    """Wall time of one dbt invocation and the execution time of each model in it."""
    started = time.perf_counter()
    run_dbt(args, target=target, capture=True)
    elapsed = time.perf_counter() - started
    results = json.loads((Path(os.environ["DBT_TARGET_PATH"]) / "run_results.json").read_text())
    per_node = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results["results"]
                if r["unique_id"].startswith("model.")}
    return elapsed, per_node


def load(target: Target, lake: Path, start: date, end: date) -> None:
    """Load the (already ingested) batches with `pulse run --skip-dbt`, in-process."""
    outcome = orchestrate.run_window(orchestrate.RunRequest(
        raw=str(lake.parent / "raw"), lake=str(lake), start=start, end=end,
        target=target, options=IngestOptions(runner="local"),
        skip_dbt=True, log_dir=str(Path(os.environ["PULSE_STATE_DIR"]) / "runs"), monitor="none"))
    if outcome.exit_code:
        raise SystemExit(f"loading {start}..{end} failed: {outcome.message} (log {outcome.log_file})")


def measure(target: Target, lake: Path, history: list[date], new_day: date) -> dict:
    """Build `history`, then load `new_day` and time the incremental dbt run and test."""
    load(target, lake, history[0], history[-1])
    run_dbt(["build", "--fail-fast", *EXCLUDE], target=target, capture=True)
    load(target, lake, new_day, new_day)
    run_seconds, per_model = timed_dbt(target, ["run", *EXCLUDE])
    test_seconds, _ = timed_dbt(target, ["test", *EXCLUDE])
    with connect(target) as client:
        events = client.scalar("select count(*) from marts.fct_events")
    return {"run_s": run_seconds, "test_s": test_seconds, "events": events, "models": per_model}


def pg_database(server: Target) -> Target:
    import psycopg2

    name = f"pulse_bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host=server.host, port=server.port, user=server.user, dbname="postgres",
                             password=os.environ.get("PULSE_PG_PASSWORD") or None)
    admin.autocommit = True
    admin.cursor().execute(f'create database "{name}"')
    admin.close()
    return replace(server, dbname=name)


def drop_pg_database(target: Target) -> None:
    import psycopg2

    admin = psycopg2.connect(host=target.host, port=target.port, user=target.user, dbname="postgres",
                             password=os.environ.get("PULSE_PG_PASSWORD") or None)
    admin.autocommit = True
    admin.cursor().execute(f'drop database if exists "{target.dbname}" with (force)')
    admin.close()


def bench_target(name: str, lake: Path, days: list[date], scratch: Path) -> dict[int, dict]:
    new_day = days[-1]
    out = {}
    for length in (HISTORY_SHORT, HISTORY_LONG):
        history = days[-1 - length:-1]
        if name == "duckdb":
            target = Target("duckdb", duckdb_path=str(scratch / f"bench-{length}.duckdb"))
        else:
            target = pg_database(target_from_env("postgres"))
        try:
            out[length] = measure(target, lake, history, new_day)
        finally:
            if name == "postgres":
                drop_pg_database(target)
    return out


def report(name: str, results: dict[int, dict]) -> None:
    short, long = results[HISTORY_SHORT], results[HISTORY_LONG]
    print(f"\n{name}: one incremental day after {HISTORY_SHORT} vs {HISTORY_LONG} days of history")
    print(f"  fct_events rows before+after: {short['events']:>10,} vs {long['events']:>10,}")
    print(f"  dbt run, wall time : {short['run_s']:6.1f} s vs {long['run_s']:6.1f} s  "
          f"ratio {long['run_s'] / short['run_s']:.2f}")
    short_models, long_models = sum(short["models"].values()), sum(long["models"].values())
    print(f"  dbt run, sum of model execution times: {short_models:6.2f} s vs {long_models:6.2f} s  "
          f"ratio {long_models / short_models:.2f}")
    print(f"  dbt test (all data + unit tests): {short['test_s']:6.1f} s vs {long['test_s']:6.1f} s  "
          f"ratio {long['test_s'] / short['test_s']:.2f}")
    models = sorted(long["models"], key=lambda m: -long["models"][m])
    print("  slowest models on the long history (s, short -> long):")
    for model in models[:8]:
        print(f"    {model:<36} {short['models'].get(model, 0):6.2f} -> {long['models'][model]:6.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=4000, help="signups over the 91 generated days")
    parser.add_argument("--targets", default="duckdb,postgres")
    parser.add_argument("--workdir", default="data/bench")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="pulse-bench-", dir=workdir))
    os.environ.setdefault("DBT_TARGET_PATH", str(scratch / "target"))
    os.environ.setdefault("DBT_LOG_PATH", str(scratch / "logs"))
    # the loads' lock files, run logs and alerts (a failing run alerts) stay in the scratch dir
    os.environ["PULSE_STATE_DIR"] = str(scratch / "state")
    os.environ["PULSE_ALERT_LOG"] = str(scratch / "alerts.log")
    lake, days = prepare_lake(workdir, args.users)
    lines = json.loads((workdir / f"ready-{args.users}.json").read_text())["batches"]
    print(f"generated {START}..{days[-1]}, {args.users} signups; new batch {days[-1]}: "
          f"{lines.get(days[-1].isoformat(), '?')} lines")
    for name in args.targets.split(","):
        report(name, bench_target(name, lake, days, scratch))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
