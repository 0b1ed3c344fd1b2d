"""History import: 365 daily batches of 1,000 events each through ingest and load.

    python bench/backfill.py [--days 365] [--per-day 1000] [--target duckdb|postgres]
                             [--pulse-run | --no-library]

One job run covers every batch date (start-up and submission are paid once), then every
partition is loaded over one connection. Target: under 3 minutes on 2 cores.

`--pulse-run` then also times the same history through `pulse run --from --to` (a fresh
process, the Luigi graph users run: ingest, load, dbt, check and publish per date; monitors
off) into a fresh DuckDB warehouse, printing its stage lines and the wall time against the
60 s target; `--no-library` skips the library-call timing above.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import orjson

from ingest.lake import open_lake
from ingest.load.loader import load_batches
from ingest.run import IngestOptions, ingest
from warehouse import Target, target_from_env


def write_history(raw: Path, start: date, days: int, per_day: int) -> list[date]:
    dates = [start + timedelta(days=i) for i in range(days)]
    for n, day in enumerate(dates):
        folder = raw / day.isoformat()
        folder.mkdir(parents=True)
        with open(folder / "events.jsonl", "wb") as handle:
            for i in range(per_day):
                handle.write(orjson.dumps({
                    "event_id": f"d{n:04d}-{i:05d}", "event": "task_created",
                    "ts": f"{day}T{i % 24:02d}:{i % 60:02d}:00-05:00", "user_id": f"u{i % 300}",
                    "workspace_id": f"w{i % 40}", "platform": "web"}) + b"\n")
    return dates


PULSE_RUN_TARGET_SECONDS = 60.0


def time_pulse_run(work: Path, dates: list[date]) -> float:
    """`pulse run --from --to` over the history in `work/raw` into a fresh DuckDB file, in a
    fresh process; print its stage lines; return its wall seconds."""
    env = {**os.environ, "PULSE_STATE_DIR": str(work / "run-state"),
           "PULSE_DUCKDB_PATH": str(work / "run.duckdb"), "PULSE_ALERT_LOG": str(work / "alerts.log")}
    pulse = Path(sys.executable).with_name("pulse")
    args = [str(pulse), "run", "--raw", str(work / "raw"), "--lake", str(work / "run-lake"),
            "--from", dates[0].isoformat(), "--to", dates[-1].isoformat(), "--target", "duckdb",
            "--max-late-days", "-1", "--monitor", "none", "--log-dir", str(work / "run-logs")]
    t0 = time.perf_counter()
    proc = subprocess.run(args, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"pulse run exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    for line in proc.stderr.splitlines():
        if re.match(r"\s+(ingest|load|transform|check|publish)\s", line):
            print(f"  {line.strip()}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--target", default="duckdb")
    parser.add_argument("--pulse-run", action="store_true",
                        help="also time the history through `pulse run --from --to` (DuckDB)")
    parser.add_argument("--no-library", action="store_true",
                        help="skip the library ingest + load timing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pulse-backfill-") as tmp:
        work = Path(tmp)
        dates = write_history(work / "raw", date(2025, 11, 1), args.days, args.per_day)
        target = (Target("duckdb", duckdb_path=str(work / "wh.duckdb"))
                  if args.target == "duckdb" else target_from_env(args.target))
        if not args.no_library:
            t0 = time.perf_counter()
            manifests = ingest(work / "raw", work / "lake", dates, IngestOptions(runner="local"))
            t1 = time.perf_counter()
            loads = load_batches(target, open_lake(work / "lake"), sorted(manifests))
            t2 = time.perf_counter()
            rows = sum(tables["events"].rows for tables in manifests.values())
            print(f"backfill {args.days} batches x {args.per_day} events = {rows:,} rows into "
                  f"{target.name}: ingest {t1 - t0:.1f} s, load {t2 - t1:.1f} s ({len(loads)} "
                  f"partitions), total {t2 - t0:.1f} s (target < 180 s)", flush=True)
        if args.pulse_run:
            seconds = time_pulse_run(work, dates)
            verdict = "met" if seconds <= PULSE_RUN_TARGET_SECONDS else "NOT met"
            print(f"pulse run --from {dates[0]} --to {dates[-1]} ({args.days} batches x "
                  f"{args.per_day} events, DuckDB): {seconds:.1f} s (target <= "
                  f"{PULSE_RUN_TARGET_SECONDS:.0f} s: {verdict}; load average "
                  f"{os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
