"""Cost of one incremental day after a short and a long history (DuckDB and PostgreSQL).

Incremental marts must cost in proportion to new data, not to history. This builds the
warehouse from HISTORY_SHORT (7) and from HISTORY_LONG (90) daily batches of the same
generated period and loads the same next batch into each. Both histories end on the same
day, so the new batch (with its late and duplicate events) is byte-identical in both; only
the length of the history differs. That state is kept as a snapshot (a PostgreSQL template
database, a copy of the DuckDB file), and the incremental `dbt run` is then timed on fresh
clones of the two snapshots in turn (short, long, short, long, ... `--repeats` times each),
so that a busy machine slows both sides alike; the ratio long / short of the medians is
printed (target <= 1.3). The reconciliation tests (tag:reconciliation, full scans by design)
are not part of the timed run. `dbt test` on the same state is timed the same way.

    python bench/incremental_cost.py [--users 4000] [--targets duckdb,postgres] [--repeats 3]
                                     [--workdir data/bench]

PostgreSQL comes from PULSE_PG_HOST/PORT/USER (default 127.0.0.1:5432, postgres); throwaway
databases are created and dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
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


def prepare(target: Target, lake: Path, history: list[date], new_day: date) -> None:
    """Build `history`, then load `new_day`: the state an incremental dbt run starts from."""
    load(target, lake, history[0], history[-1])
    run_dbt(["build", "--fail-fast", *EXCLUDE], target=target, capture=True)
    load(target, lake, new_day, new_day)


def measure(target: Target) -> dict:
    """Time the incremental dbt run and test on `target` (a clone of a prepared snapshot)."""
    run_seconds, per_model = timed_dbt(target, ["run", *EXCLUDE])
    test_seconds, _ = timed_dbt(target, ["test", *EXCLUDE])
    with connect(target) as client:
        events = client.scalar("select count(*) from marts.fct_events")
    return {"run_s": run_seconds, "test_s": test_seconds, "events": events, "models": per_model}


def _admin(server: Target):
    import psycopg2

    admin = psycopg2.connect(host=server.host, port=server.port, user=server.user, dbname="postgres",
                             password=os.environ.get("PULSE_PG_PASSWORD") or None)
    admin.autocommit = True
    return admin


def pg_database(server: Target, template: str | None = None) -> Target:
    """A new throwaway database, empty or a copy of `template` (a prepared snapshot)."""
    name = f"pulse_bench_{uuid.uuid4().hex[:10]}"
    admin = _admin(server)
    suffix = f' template "{template}"' if template else ""
    admin.cursor().execute(f'create database "{name}"{suffix}')
    admin.close()
    return replace(server, dbname=name)


def drop_pg_database(target: Target) -> None:
    admin = _admin(target)
    admin.cursor().execute(f'drop database if exists "{target.dbname}" with (force)')
    admin.close()


class Snapshot:
    """A prepared warehouse state that can be cloned for each timed run and dropped after."""

    def __init__(self, name: str, scratch: Path, label: str) -> None:
        self.name, self.scratch, self.label = name, scratch, label
        if name == "duckdb":
            self.target = Target("duckdb", duckdb_path=str(scratch / f"snapshot-{label}.duckdb"))
        else:
            self.target = pg_database(target_from_env("postgres"))

    def clone(self, run: int) -> Target:
        if self.name == "duckdb":
            path = self.scratch / f"run-{self.label}-{run}.duckdb"
            shutil.copyfile(self.target.duckdb_path, path)
            return Target("duckdb", duckdb_path=str(path))
        return pg_database(self.target, template=self.target.dbname)

    def drop(self, target: Target) -> None:
        if self.name == "duckdb":
            Path(target.duckdb_path).unlink(missing_ok=True)
        else:
            drop_pg_database(target)


def bench_target(name: str, lake: Path, days: list[date], scratch: Path,
                 repeats: int) -> dict[int, dict]:
    """Median run/test time per history length over `repeats` interleaved clones."""
    new_day = days[-1]
    snapshots = {}
    try:
        for length in (HISTORY_SHORT, HISTORY_LONG):
            snapshots[length] = Snapshot(name, scratch, str(length))
            prepare(snapshots[length].target, lake, days[-1 - length:-1], new_day)
        runs: dict[int, list[dict]] = {length: [] for length in snapshots}
        for run in range(repeats):
            for length, snapshot in snapshots.items():
                target = snapshot.clone(run)
                try:
                    runs[length].append(measure(target))
                finally:
                    snapshot.drop(target)
                print(f"  {name} run {run + 1}/{repeats}, {length} days: "
                      f"dbt run {runs[length][-1]['run_s']:.1f} s", flush=True)
    finally:
        for snapshot in snapshots.values():
            snapshot.drop(snapshot.target)
    return {length: median_of(results) for length, results in runs.items()}


def median_of(results: list[dict]) -> dict:
    """The medians of the timed runs (models: the median of each model's time)."""
    return {
        "run_s": statistics.median(r["run_s"] for r in results),
        "test_s": statistics.median(r["test_s"] for r in results),
        "events": results[0]["events"],
        "runs": [round(r["run_s"], 1) for r in results],
        "models": {m: statistics.median(r["models"].get(m, 0.0) for r in results)
                   for m in results[0]["models"]},
    }


def report(name: str, results: dict[int, dict]) -> None:
    short, long = results[HISTORY_SHORT], results[HISTORY_LONG]
    print(f"\n{name}: one incremental day after {HISTORY_SHORT} vs {HISTORY_LONG} days of history")
    print(f"  fct_events rows before+after: {short['events']:>10,} vs {long['events']:>10,}")
    print(f"  dbt run, wall time (median): {short['run_s']:6.1f} s vs {long['run_s']:6.1f} s  "
          f"ratio {long['run_s'] / short['run_s']:.2f}  (runs {short['runs']} vs {long['runs']})")
    short_models, long_models = sum(short["models"].values()), sum(long["models"].values())
    print(f"  dbt run, sum of model execution times: {short_models:6.2f} s vs {long_models:6.2f} s  "
          f"ratio {long_models / short_models:.2f}")
    print(f"  dbt test (all data + unit tests): {short['test_s']:6.1f} s vs {long['test_s']:6.1f} s  "
          f"ratio {long['test_s'] / short['test_s']:.2f}")
    grown = sorted(long["models"], key=lambda m: short["models"].get(m, 0) - long["models"][m])
    print("  models that grow most with history (median s, short -> long):")
    for model in grown[:10]:
        print(f"    {model:<36} {short['models'].get(model, 0):6.2f} -> {long['models'][model]:6.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=4000, help="signups over the 91 generated days")
    parser.add_argument("--targets", default="duckdb,postgres")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed runs per history length, interleaved (medians are reported)")
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
        report(name, bench_target(name, lake, days, scratch, args.repeats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
