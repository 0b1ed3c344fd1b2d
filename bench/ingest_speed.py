"""Ingest speed against DuckDB's own JSON → Parquet conversion of the same files.

    python bench/ingest_speed.py [--events 1000000] [--events 4000000] [--engine columnar]
                                 [--runner local] [--repeat 3] [--run-events 1000000]

For each size: generate N contract-valid events (one batch folder, 4 files), then time, in
turn (A B A B ..., `--repeat` times each), the full pulse ingest (parse, validate, UTC,
dedup, quarantine, partitions + manifests) with the chosen engine (and, for mrjob, runner)
and DuckDB's `read_json` → Parquet as the reference. Print events/s, the median ratio of
wall time and of CPU time (user + system over the process tree), and the peak memory of
each (max RSS over the process tree).

`--run-events N` (repeatable) measures the whole `pulse run` of such a one-day batch the same
way: `pulse run --from D --target duckdb --monitor none` (ingest, load, dbt build, check,
publish: the Luigi graph users run, in a fresh process, dbt's process counted in CPU) into a
fresh lake and DuckDB warehouse each time, interleaved with the same bare DuckDB conversion.
Target: the median wall ratio at most 6x.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
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


def run_measured(code: str, env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Run Python code in a fresh process (with `env` added to the environment); return
    (wall seconds, CPU seconds, peak RSS MiB), CPU and memory over its process tree."""
    wrapper = (
        "import resource, time, sys\n"
        "t = time.perf_counter()\n"
        f"exec({code!r})\n"
        "el = time.perf_counter() - t\n"
        "me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))\n"
        "cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime\n"
        "print(el, cpu, max(me.ru_maxrss, kids.ru_maxrss) / 1024)\n")
    out = subprocess.run([sys.executable, "-c", wrapper], check=True, capture_output=True,
                         text=True, env={**os.environ, **(env or {})}).stdout.strip().splitlines()[-1]
    seconds, cpu, mib = out.split()
    return float(seconds), float(cpu), float(mib)


def bench(n: int, engine: str, runner: str, work: Path, repeat: int = 3) -> dict:
    raw = work / "raw"
    size = write_events(raw / BATCH.isoformat(), n)
    ingest_code = (
        "import shutil\n"
        "from datetime import date\n"
        "from ingest.run import IngestOptions, ingest\n"
        f"shutil.rmtree({str(work / 'lake')!r}, ignore_errors=True)\n"
        f"ingest({str(raw)!r}, {str(work / 'lake')!r}, [date(2026, 11, 1)], "
        f"IngestOptions(engine={engine!r}, runner={runner!r}))\n")
    duck_code = (
        "import duckdb\n"
        f"duckdb.sql(\"copy (select * from read_json('{raw}/*/*.jsonl', "
        f"format='newline_delimited')) to '{work}/ref.parquet' (format parquet)\")\n")
    pulse, duck = [], []
    for _ in range(repeat):  # interleaved, so a busy moment hits both sides
        pulse.append(run_measured(ingest_code))
        duck.append(run_measured(duck_code))
    wall = statistics.median(p[0] / d[0] for p, d in zip(pulse, duck, strict=True))
    cpu = statistics.median(p[1] / d[1] for p, d in zip(pulse, duck, strict=True))
    pulse_s, duck_s = statistics.median(p[0] for p in pulse), statistics.median(d[0] for d in duck)
    return {"events": n, "input_mib": round(size / 2**20, 1), "engine": engine,
            "runner": runner if engine == "mrjob" else None, "repeat": repeat,
            "pulse_seconds": round(pulse_s, 2), "pulse_events_per_s": round(n / pulse_s),
            "pulse_peak_mib": round(max(p[2] for p in pulse)), "duckdb_seconds": round(duck_s, 2),
            "duckdb_events_per_s": round(n / duck_s),
            "duckdb_peak_mib": round(max(d[2] for d in duck)),
            "ratio": round(wall, 2), "cpu_ratio": round(cpu, 2)}


TARGET_INGEST_RATIO = 3.0  # issue 11: full ingest <= 3x the bare conversion (aim 2x)
TARGET_RUN_RATIO = 6.0


def duck_code(raw: Path, work: Path) -> str:
    return ("import duckdb\n"
            f"duckdb.sql(\"copy (select * from read_json('{raw}/*/*.jsonl', "
            f"format='newline_delimited')) to '{work}/ref.parquet' (format parquet)\")\n")


def bench_run(n: int, engine: str, runner: str, work: Path, repeat: int = 3) -> dict:
    """The whole `pulse run` of a one-day batch of n events against the bare conversion."""
    raw = work / "raw"
    size = write_events(raw / BATCH.isoformat(), n)
    args = ["run", "--raw", str(raw), "--lake", str(work / "lake"), "--from", BATCH.isoformat(),
            "--target", "duckdb", "--monitor", "none", "--log-dir", str(work / "logs"),
            "--engine", engine] + (["--runner", runner] if engine == "mrjob" else [])
    run_code = ("import sys\n"
                "from pipeline.cli import main\n"
                f"code = main({args!r})\n"
                "if code: sys.exit(f'pulse run exited {code}')\n")
    env = {"PULSE_STATE_DIR": str(work / "state"), "PULSE_DUCKDB_PATH": str(work / "wh.duckdb"),
           "PULSE_ALERT_LOG": str(work / "alerts.log")}
    pulse, duck = [], []
    for _ in range(repeat):  # interleaved; each run starts from an empty lake and warehouse
        for name in ("lake", "state", "logs", "wh.duckdb", "wh.duckdb.wal"):
            path = work / name
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        pulse.append(run_measured(run_code, env))
        duck.append(run_measured(duck_code(raw, work)))
    wall = statistics.median(p[0] / d[0] for p, d in zip(pulse, duck, strict=True))
    cpu = statistics.median(p[1] / d[1] for p, d in zip(pulse, duck, strict=True))
    pulse_s, duck_s = statistics.median(p[0] for p in pulse), statistics.median(d[0] for d in duck)
    return {"measure": "pulse run", "events": n, "input_mib": round(size / 2**20, 1),
            "engine": engine, "repeat": repeat, "run_seconds": round(pulse_s, 2),
            "run_cpu_seconds": round(statistics.median(p[1] for p in pulse), 2),
            "run_peak_mib": round(max(p[2] for p in pulse)), "duckdb_seconds": round(duck_s, 2),
            "ratio": round(wall, 2), "cpu_ratio": round(cpu, 2),
            "load_average": round(os.getloadavg()[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, action="append")
    parser.add_argument("--engine", default="columnar", choices=["columnar", "mrjob"])
    parser.add_argument("--runner", default="local", help="mrjob runner (--engine mrjob)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side, interleaved")
    parser.add_argument("--run-events", type=int, action="append", default=[],
                        help="also time the whole `pulse run` of a day of N events (repeatable)")
    args = parser.parse_args()
    sizes = args.events or ([] if args.run_events else [1_000_000])
    results = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="pulse-bench-") as tmp:
            results.append(bench(n, args.engine, args.runner, Path(tmp), args.repeat))
        r = results[-1]
        print(f"{r['events']:>9,} events ({r['input_mib']} MiB): pulse {r['pulse_seconds']} s "
              f"({r['pulse_events_per_s']:,}/s, peak {r['pulse_peak_mib']} MiB) | DuckDB "
              f"read_json->Parquet {r['duckdb_seconds']} s ({r['duckdb_events_per_s']:,}/s, peak "
              f"{r['duckdb_peak_mib']} MiB) | median ratio wall {r['ratio']}x (target <= "
              f"{TARGET_INGEST_RATIO:g}x: {'met' if r['ratio'] <= TARGET_INGEST_RATIO else 'NOT met'}), "
              f"CPU {r['cpu_ratio']}x", flush=True)
    for n in args.run_events:
        with tempfile.TemporaryDirectory(prefix="pulse-bench-run-") as tmp:
            results.append(bench_run(n, args.engine, args.runner, Path(tmp), args.repeat))
        r = results[-1]
        print(f"{r['events']:>9,} events ({r['input_mib']} MiB): whole pulse run (ingest + load + "
              f"dbt on DuckDB) {r['run_seconds']} s (CPU {r['run_cpu_seconds']} s, peak "
              f"{r['run_peak_mib']} MiB) | DuckDB read_json->Parquet {r['duckdb_seconds']} s | "
              f"median ratio wall {r['ratio']}x (target <= {TARGET_RUN_RATIO:g}x: "
              f"{'met' if r['ratio'] <= TARGET_RUN_RATIO else 'NOT met'}), CPU {r['cpu_ratio']}x "
              f"(load average {r['load_average']})", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
