"""Benchmark of the data monitors: 90 days of generated data, clean and with injected anomalies.

Runs the real pipeline (ingest, load, dbt build) into two DuckDB warehouses, then scores
rpt_event_volume_anomalies against the injected truth and runs the late-arrival and
critical-value monitors on their days. Prints recall, precision and false alarms per 100
event-type-days; exits 1 when a target of issue 7 is missed:
every injected drop to <= 50% and every 3x spike found, <= 1 false alarm per 100
event-type-days on clean data.

    python bench/monitors.py [--days 90] [--users 3000] [--seed 11] [--keep]

`--hourly [--scenario synthetic|simulator|e2e|all] [--sensitivity S]` benchmarks the hourly
and dimension monitor instead (bench/hourly_monitor.py, no pipeline run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_SCRATCH = tempfile.mkdtemp(prefix="pulse-bench-monitors-")
os.environ.setdefault("DBT_TARGET_PATH", os.path.join(_SCRATCH, "target"))
os.environ.setdefault("DBT_LOG_PATH", os.path.join(_SCRATCH, "logs"))
# the runs' lock files, dbt artifacts and alerts (a failing run alerts) stay in the scratch dir
os.environ["PULSE_STATE_DIR"] = os.path.join(_SCRATCH, "state")
os.environ["PULSE_ALERT_LOG"] = os.path.join(_SCRATCH, "alerts.log")

from ingest.run import IngestOptions  # noqa: E402
from monitor.config import IngestMonitorConfig  # noqa: E402
from monitor.data_checks import late_share  # noqa: E402
from monitor.dbt_checks import critical_value_tests  # noqa: E402
from pipeline import orchestrate  # noqa: E402
from simulator import generate  # noqa: E402
from warehouse import Target, connect  # noqa: E402

START = date(2026, 7, 6)  # a Monday

# (day offset, event, factor): drops to <= 50%, drops to zero, 3x spikes; each event at most
# once per two weeks so every injection is judged against clean history.
INJECTED = [
    (38, "task_created", 0.5), (44, "invite_sent", 0.0), (47, "page_view", 3.0),
    (50, "login", 0.5), (55, "experiment_exposure", 3.0), (58, "task_completed", 0.0),
    (61, "signup", 0.0), (64, "comment_added", 0.5), (71, "perf_timing", 0.5),
    (74, "login", 3.0), (78, "project_created", 0.5), (81, "task_created", 3.0),
    (86, "page_view", 0.4),
]
LATE_BATCH_DAY = 67


def build(out: Path, days: int, users: int, seed: int, anomalies: list[dict]) -> Target:
    raw = out / "raw"
    generate(raw, START, days, users, seed=seed, progress=False, anomalies=anomalies)
    target = Target("duckdb", duckdb_path=str(out / "warehouse.duckdb"))
    # `pulse run` in-process: ingest, load, dbt build, check and publish per date
    outcome = orchestrate.run_window(orchestrate.RunRequest(
        raw=str(raw), lake=str(out / "lake"), start=START, end=START + timedelta(days=days - 1),
        target=target, options=IngestOptions(runner="inline"),
        log_dir=str(out / "logs"), monitor="none"))
    if outcome.exit_code:
        raise SystemExit(f"pulse run into {out} failed: {outcome.message} (log {outcome.log_file})")
    return target


def verdicts(target: Target) -> dict[tuple[str, date], bool]:
    """(event, day) -> is_anomaly for every scored event-day."""
    with connect(target) as client:
        rows = client.fetchall("select event_name, event_date, is_anomaly "
                               "from marts.rpt_event_volume_anomalies where expected is not null")
    return {(e, d): bool(a) for e, d, a in rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help=f"keep the warehouses in {_SCRATCH}")
    parser.add_argument("--hourly", action="store_true",
                        help="benchmark the hourly and dimension monitor on generated hourly series "
                             "instead (no pipeline run; the daily figures are unaffected)")
    parser.add_argument("--scenario", choices=["synthetic", "simulator", "e2e", "all"], default="all",
                        help="with --hourly: generated series, simulator events, the e2e test's data")
    parser.add_argument("--sensitivity", type=float, help="with --hourly: instead of the default")
    args = parser.parse_args()
    if args.hourly:
        shutil.rmtree(_SCRATCH, ignore_errors=True)
        return hourly_run(args)
    try:
        return run(args)
    finally:
        if not args.keep:
            shutil.rmtree(_SCRATCH, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    injected = {(e, START + timedelta(days=d)): f for d, e, f in INJECTED if d < args.days}
    late_day = START + timedelta(days=LATE_BATCH_DAY)
    anomalies = [{"date": str(d), "event": e, "factor": f} for (e, d), f in injected.items()]
    anomalies.append({"date": str(late_day), "late_batch": True})

    work = Path(_SCRATCH)
    started = time.perf_counter()
    clean = build(work / "clean", args.days, args.users, args.seed, [])
    dirty = build(work / "injected", args.days, args.users, args.seed, anomalies)
    build_seconds = time.perf_counter() - started

    clean_v, dirty_v = verdicts(clean), verdicts(dirty)
    false_alarms = sum(clean_v.values())
    scored_clean = len(clean_v)
    missed = [k for k in injected if not dirty_v.get(k)]
    unscored = [k for k in injected if k not in dirty_v]
    found = len(injected) - len(missed)
    flags = [k for k, a in dirty_v.items() if a]
    true_flags = [k for k in flags if k in injected or k[1] == late_day]
    late_flagged = sorted(e for e, d in flags if d == late_day)
    late_scored = sum(1 for _, d in dirty_v if d == late_day)

    with connect(dirty) as client:
        late = late_share(client, late_day + timedelta(days=1), IngestMonitorConfig())
    signup_day = next((d for (e, d) in injected if e == "signup"), None)
    critical = critical_value_tests(dirty, signup_day) if signup_day else []
    zero_signups_caught = any(r.check_key == "critical_signups_nonzero" and r.status == "error"
                              for r in critical)

    recall = found / len(injected)
    precision = len(true_flags) / len(flags) if flags else 1.0
    fa_rate = 100.0 * false_alarms / scored_clean if scored_clean else float("nan")
    print(f"monitors benchmark: {args.days} days from {START}, {args.users} users, seed {args.seed}; "
          f"build of both warehouses {build_seconds:.0f} s")
    print(f"  clean data:    {scored_clean} scored event-type-days, {false_alarms} false alarm(s) "
          f"= {fa_rate:.2f} per 100 event-type-days (target <= 1)")
    print(f"  injected data: {len(injected)} injected volume anomalies, recall {recall:.0%} "
          f"({found}/{len(injected)}), precision {precision:.0%} ({len(true_flags)}/{len(flags)} flags)")
    for (event, day), factor in sorted(injected.items(), key=lambda kv: kv[0][1]):
        status = ("found" if dirty_v.get((event, day)) else
                  "not scored" if (event, day) in unscored else "MISSED")
        print(f"    {day} {event:<20} x{factor:<4} {status}")
    extra = sorted(set(flags) - set(true_flags), key=lambda k: k[1])
    for event, day in extra:
        print(f"    false alarm on injected data: {day} {event}")
    print(f"  late batch {late_day}: {len(late_flagged)}/{late_scored} event types flagged on the day; "
          f"next batch: {late[0].message if late else 'no rows'}")
    print(f"  zero signups {signup_day}: critical_signups_nonzero "
          f"{'error (caught)' if zero_signups_caught else 'NOT caught'}")
    met = (not missed and fa_rate <= 1.0 and zero_signups_caught and late_flagged
           and late and late[0].status == "warn")
    print(f"  targets met: {'yes' if met else 'NO'}")
    return 0 if met else 1


def hourly_run(args: argparse.Namespace) -> int:
    """The hourly and dimension monitor's scenarios (bench/hourly_monitor.py)."""
    from bench import hourly_monitor as hm
    from monitor.config import parse_volume

    cfg = parse_volume({"sensitivity": args.sensitivity} if args.sensitivity else None)
    wanted = ["synthetic", "simulator", "e2e"] if args.scenario == "all" else [args.scenario]
    outcomes = []
    if "synthetic" in wanted:
        outcomes.append(hm.synthetic(START, args.days, args.seed, [(d, e, f) for d, e, f in INJECTED], cfg))
    if "simulator" in wanted:
        outcomes.append(hm.simulator_run(START, args.days, args.users, args.seed, cfg))
    if "e2e" in wanted:
        outcomes.append(hm.e2e_run(cfg))
    met = all((o.recall != o.recall or o.recall >= 0.9) and o.worst <= 1.0 and not o.constant_alerts
              for o in outcomes)
    print(f"targets met: {'yes' if met else 'NO'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
