"""History import: 365 daily batches of 1,000 events each through ingest and load.

    python bench/backfill.py [--days 365] [--per-day 1000] [--target duckdb|postgres]

One job run covers every batch date (start-up and submission are paid once), then every
partition is loaded over one connection. Target: under 3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--target", default="duckdb")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pulse-backfill-") as tmp:
        work = Path(tmp)
        dates = write_history(work / "raw", date(2025, 11, 1), args.days, args.per_day)
        target = (Target("duckdb", duckdb_path=str(work / "wh.duckdb"))
                  if args.target == "duckdb" else target_from_env(args.target))
        t0 = time.perf_counter()
        manifests = ingest(work / "raw", work / "lake", dates, IngestOptions(runner="local"))
        t1 = time.perf_counter()
        loads = load_batches(target, open_lake(work / "lake"), sorted(manifests))
        t2 = time.perf_counter()
    rows = sum(tables["events"].rows for tables in manifests.values())
    print(f"backfill {args.days} batches x {args.per_day} events = {rows:,} rows into "
          f"{target.name}: ingest {t1 - t0:.1f} s, load {t2 - t1:.1f} s ({len(loads)} partitions),"
          f" total {t2 - t0:.1f} s (target < 180 s)")


if __name__ == "__main__":
    main()
