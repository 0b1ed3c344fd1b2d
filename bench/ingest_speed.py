"""Ingest speed against DuckDB's own JSON → Parquet conversion of the same files.

    python bench/ingest_speed.py [--events 1000000] [--events 4000000] [--runner local]

For each size: generate N contract-valid events (one batch folder, 4 files), time the full
pulse ingest (parse, validate, UTC, dedup, quarantine, partitions + manifests) with the
chosen mrjob runner, and DuckDB's `read_json` → Parquet as the reference; print events/s,
the ratio, and the peak memory of each (max RSS over the process tree).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import orjson

BATCH = date(2026, 11, 1)
EVENTS = ["page_view", "login", "task_created", "task_completed", "comment_added", "perf_timing"]


def write_events(folder: Path, n: int, files: int = 4, seed: int = 1) -> int:
    """N valid events with realistic fields, ~2% duplicates, across `files` files."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 11, 1)
    handles = [open(folder / f"events-{i}.jsonl", "wb") for i in range(files)]  # noqa: SIM115
    size = 0
    for i in range(n):
        event = EVENTS[i % len(EVENTS)]
        at = start + timedelta(seconds=rng.randrange(86_400), milliseconds=rng.randrange(1000))
        props = ({"action": "search", "duration_ms": round(rng.lognormvariate(5, 1), 1)}
                 if event == "perf_timing" else {"path": f"/p/{i % 97}"})
        eid = f"e{i:09d}" if rng.random() > 0.02 else f"e{max(i - 1, 0):09d}"
        line = orjson.dumps({
            "event_id": eid, "event": event, "ts": at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+01:00",
            "user_id": f"u_{rng.randrange(50_000):06d}", "anonymous_id": None,
            "workspace_id": f"w_{rng.randrange(5000):05d}", "platform": "web",
            "app_version": "4.12.0", "country": "DE", "properties": props}) + b"\n"
        size += len(line)
        handles[i % files].write(line)
    for h in handles:
        h.close()
    return size


def run_measured(code: str) -> tuple[float, float]:
    """Run Python code in a fresh process; return (seconds, peak RSS MiB over its tree)."""
    wrapper = (
        "import resource, time, sys\n"
        "t = time.perf_counter()\n"
        f"exec({code!r})\n"
        "el = time.perf_counter() - t\n"
        "peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,\n"
        "           resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(el, peak / 1024)\n")
    out = subprocess.run([sys.executable, "-c", wrapper], check=True, capture_output=True,
                         text=True).stdout.strip().splitlines()[-1]
    seconds, mib = out.split()
    return float(seconds), float(mib)


def bench(n: int, runner: str, work: Path) -> dict:
    raw = work / "raw"
    size = write_events(raw / BATCH.isoformat(), n)
    ingest_code = (
        "from datetime import date\n"
        "from ingest.run import IngestOptions, ingest\n"
        f"ingest({str(raw)!r}, {str(work / 'lake')!r}, [date(2026, 11, 1)], "
        f"IngestOptions(runner={runner!r}))\n")
    duck_code = (
        "import duckdb\n"
        f"duckdb.sql(\"copy (select * from read_json('{raw}/*/*.jsonl', "
        f"format='newline_delimited')) to '{work}/ref.parquet' (format parquet)\")\n")
    pulse_s, pulse_mib = run_measured(ingest_code)
    duck_s, duck_mib = run_measured(duck_code)
    return {"events": n, "input_mib": round(size / 2**20, 1), "runner": runner,
            "pulse_seconds": round(pulse_s, 2), "pulse_events_per_s": round(n / pulse_s),
            "pulse_peak_mib": round(pulse_mib), "duckdb_seconds": round(duck_s, 2),
            "duckdb_events_per_s": round(n / duck_s), "duckdb_peak_mib": round(duck_mib),
            "ratio": round(pulse_s / duck_s, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, action="append")
    parser.add_argument("--runner", default="local")
    args = parser.parse_args()
    sizes = args.events or [1_000_000]
    results = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="pulse-bench-") as tmp:
            results.append(bench(n, args.runner, Path(tmp)))
        r = results[-1]
        print(f"{r['events']:>9,} events ({r['input_mib']} MiB): pulse {r['pulse_seconds']} s "
              f"({r['pulse_events_per_s']:,}/s, peak {r['pulse_peak_mib']} MiB) | DuckDB "
              f"read_json->Parquet {r['duckdb_seconds']} s ({r['duckdb_events_per_s']:,}/s, peak "
              f"{r['duckdb_peak_mib']} MiB) | ratio {r['ratio']}x", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
