"""`pulse query` and the explorer against DuckDB's bare query over the same Parquet files.

    python bench/explore_speed.py [--events 100000000] [--days 30] [--filter-days 365]
                            [--filter-per-day 20000] [--trend-events 10000000] [--rounds 3]
                            [--skip-big] [--skip-trend]

The lakes are generated directly as Parquet with DuckDB (the simulator is too slow at 100M
events) and published like ingest does: one file per day, then its manifest. Each figure is
the median of ``--rounds`` runs, pulse and bare in turn. pulse's time includes what a
`pulse query` pays every time: parsing the SQL for the tables it names and their literal
``batch_date`` bounds, finding those partitions' manifests, checking their files against them
(the index and stamps, after the first read) and creating those views. Targets (issue 13):

- group by event, day and unique users per day over 100M events: <= 1.2x the bare query;
- one day's query over 365 daily partitions: <= 1.5x the bare query over that day's file;
- the explorer's trend view with one breakdown at 10M events (SQL, figure, JSON the page
  gets): <= 1.5x the bare query behind it, and under a second.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb

from explore.query import LakeSession
from ingest.lake import MANIFEST, DataFile, Manifest, open_lake, partition_dir
from ingest.lake.writers import sha256_file
from ingest.schema import EVENTS

START = date(2025, 1, 1)
EVENT_NAMES = ["page_view", "task_created", "task_completed", "login", "comment_added", "signup",
               "perf_timing", "invite_sent"]
PLATFORMS = ["web", "ios", "android", "desktop", "api"]


def write_lake(root: Path, days: int, per_day: int) -> Path:
    """``days`` published Parquet partitions of ``per_day`` events (uniform users and names)."""
    lake = open_lake(root)
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = false")
    names = "[" + ", ".join(f"'{n}'" for n in EVENT_NAMES) + "]"
    platforms = "[" + ", ".join(f"'{p}'" for p in PLATFORMS) + "]"
    for n in range(days):
        day = START + timedelta(days=n)
        folder = root / partition_dir("events", day.isoformat())
        folder.mkdir(parents=True)
        tmp = folder / "part.parquet"
        con.execute(f"""
            copy (select
                'e' || {n} || '-' || i as event_id,
                {names}[1 + (hash(i) % {len(EVENT_NAMES)})::int] as event_name,
                timestamp '{day}' + to_microseconds((hash(i, 1) % 86400000000)::bigint) as event_at,
                'u' || (hash(i, 2) % 200000) as user_id,
                null::varchar as anonymous_id,
                'w' || (hash(i, 3) % 5000) as workspace_id,
                null::varchar as client_session_id,
                {platforms}[1 + (hash(i, 4) % {len(PLATFORMS)})::int] as platform,
                '4.' || (hash(i, 5) % 12) || '.0' as app_version,
                'US' as country, '{{}}' as properties, true as ts_has_offset,
                date '{day}' as batch_date, 'bench.jsonl' as source_file, i as source_line
              from range({per_day}) r(i))
            to '{tmp}' (format parquet, compression zstd)""")
        sha = sha256_file(str(tmp))
        final = folder / f"part-00000-{sha[:12]}.parquet"
        tmp.rename(final)
        file = DataFile(final.name, per_day, final.stat().st_size, sha)
        manifest = Manifest.build("events", day.isoformat(), contract_version=1, fmt="parquet",
                                  columns=EVENTS.column_names, files=[file], rows=per_day, inputs=[],
                                  duplicates=0, max_quarantine_share=0.05, job={"bench": True},
                                  quarantined={})
        lake.write_bytes(f"{partition_dir('events', day.isoformat())}/{MANIFEST}", manifest.to_json())
    con.close()
    return root


def bare(files: str, sql: str) -> Callable[[], object]:
    """DuckDB alone: a new connection, the query over read_parquet of the files."""
    def run():
        con = duckdb.connect()
        con.execute(f"create view events as select * from read_parquet({files}, hive_partitioning = true)")
        rows = con.execute(sql).fetchall()
        con.close()
        return rows
    return run


def pulse(lake: Path, cache: Path, sql: str) -> Callable[[], object]:
    def run():
        with LakeSession(lake, cache) as session:
            return session.run(sql).rows
    return run


def interleaved(rounds: int, a: Callable[[], object], b: Callable[[], object]) -> tuple[float, float]:
    """Median seconds of a and b, run in turn (a, b, a, b, ...) so load drifts hit both, after
    one untimed run of each (file cache, plotly's first figure)."""
    a(), b()
    ta, tb = [], []
    for _ in range(rounds):
        for fn, out in ((a, ta), (b, tb)):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return statistics.median(ta), statistics.median(tb)


def report(name: str, pulse_s: float, bare_s: float, target: float, extra: str = "") -> None:
    ratio = pulse_s / bare_s
    verdict = "met" if ratio <= target else "NOT met"
    print(f"{name}: pulse {pulse_s:.3f} s, bare DuckDB {bare_s:.3f} s, ratio {ratio:.2f} "
          f"(target <= {target}: {verdict}){extra}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--filter-days", type=int, default=365)
    parser.add_argument("--filter-per-day", type=int, default=20_000)
    parser.add_argument("--trend-events", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-trend", action="store_true", help="no explorer figure (needs .[explore])")
    parser.add_argument("--skip-big", action="store_true", help="only the one-day and trend figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pulse-bench-explore-") as tmp:
        work = Path(tmp)
        cache = work / "cache"
        if not args.skip_big:
            big_lake(work, cache, args)
        year = write_lake(work / "year", args.filter_days, args.filter_per_day)
        pulse(year, cache, "select 1")()
        day = START + timedelta(days=args.filter_days // 2)
        sql = f"select event_name, count(*) from events where batch_date = '{day}' group by 1"
        one_file = f"'{year}/events/batch_date={day}/*.parquet'"
        p, b = interleaved(args.rounds, pulse(year, cache, sql), bare(one_file, sql))
        report(f"one day of {args.filter_days} partitions", p, b, 1.5)

        if not args.skip_trend:
            trend(work, cache, args)


def big_lake(work: Path, cache: Path, args: argparse.Namespace) -> None:
    """group by event, day and unique users per day over --events events."""
    t0 = time.perf_counter()
    big = write_lake(work / "big", args.days, args.events // args.days)
    print(f"generated {args.events:,} events in {args.days} Parquet partitions in "
          f"{time.perf_counter() - t0:.0f} s", flush=True)
    t0 = time.perf_counter()
    pulse(big, cache, "select 1")()  # first read: every file checked against its manifest
    print(f"first session (sha256 of every file against its manifest): "
          f"{time.perf_counter() - t0:.1f} s, once", flush=True)
    files = f"'{big}/events/*/*.parquet'"
    for name, sql in (
            ("count(*) by event, day, 100M", "select event_name, event_at::date as day, count(*) "
                                             "from events group by all"),
            ("unique users per day, 100M", "select event_at::date as day, count(distinct user_id) "
                                           "from events group by all")):
        p, b = interleaved(args.rounds, pulse(big, cache, sql), bare(files, sql))
        report(name.replace("100M", f"{args.events / 1e6:g}M events"), p, b, 1.2)


def trend(work: Path, cache: Path, args: argparse.Namespace) -> None:
    """The trend view's answer (SQL over the lake session, figure, its JSON) against the bare SQL."""
    from explore.app import Sources, trend_figure
    from explore.views import TrendSpec, trend_sql

    days = 30
    lake = write_lake(work / "trend", days, args.trend_events // days)
    spec = TrendSpec(start=START, end=START + timedelta(days=days - 1), breakdowns=("platform",))
    sql = trend_sql(spec)
    session = LakeSession(lake, cache)  # the explorer keeps one session for its lifetime,
    session.open_all()  # every view over every partition, made at start (pulse explore)
    sources = Sources(session, None)

    def page():
        answer = sources.lake_query(sql)
        return trend_figure(answer, 1).to_json()

    p, b = interleaved(args.rounds, page, bare(f"'{lake}/events/*/*.parquet'", sql))
    report(f"explorer trend, one breakdown, {args.trend_events / 1e6:g}M events", p, b, 1.5,
           f"; page answer {'under' if p < 1 else 'OVER'} 1 s")
    cpu = []
    for _ in range(args.rounds):
        start = time.process_time()
        page()
        cpu.append(time.process_time() - start)
    print(f"  the page's CPU time (all threads): median {statistics.median(cpu):.3f} s "
          f"(wall time on {os.cpu_count()} idle cores cannot be less than this / cores)", flush=True)
    session.close()


if __name__ == "__main__":
    main()
