"""pulse: product event analytics - raw event logs to a lake, a warehouse and dbt marts.

Start with `pulse generate` and `pulse run` (or `make demo`); every command's --help lists its
options and their defaults.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date, timedelta

from ingest.contract import Limits
from ingest.formats import FORMATS
from ingest.lake import BatchFailed
from ingest.run import ENGINES, RUNNERS, IngestOptions, MissingInput
from pipeline.cli_args import (
    OneLineParser,
    add_target_argument,
    existing_file,
    http_url,
    iso_date,
    number,
    planted_anomaly,
)
from pipeline.retry import retry_settings
from pipeline.settings import MONITOR_CHOICES, check_environment
from warehouse.locks import NothingBuilt
from warehouse.redact import redact, redact_root_handlers
from warehouse.target import target_from_env

# Exit codes cron and the orchestrator can act on.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_ALREADY_RUNNING = 3
EXIT_MISSING_INPUT = 4

log = logging.getLogger("pulse")


def _add_ingest_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--raw", default="data/raw", help="raw folder with YYYY-MM-DD batch folders")
    p.add_argument("--lake", default="data/lake", help="lake folder or s3://bucket/prefix")
    p.add_argument("--from", dest="start", type=iso_date, required=True, help="first batch date")
    p.add_argument("--to", dest="end", type=iso_date, help="last batch date (default: --from)")
    p.add_argument("--engine", choices=ENGINES,
                   help="ingest engine: columnar (in-process DuckDB; the default) or mrjob "
                        "(the mrjob job on --runner, for clusters; the default when --runner "
                        "is given)")
    p.add_argument("--runner", choices=RUNNERS,
                   help="mrjob runner of the ingest job (default local); applies to the mrjob "
                        "engine only, and choosing one selects it (docs/runners.md)")
    p.add_argument("--mrjob-conf", type=existing_file,
                   help="mrjob.conf for the hadoop, emr and spark runners")
    p.add_argument("--format", dest="fmt", default="auto", choices=["auto", *sorted(FORMATS)],
                   help="raw format (auto: from each file's name)")
    p.add_argument("--max-late-days", type=number(int, -1), default=30,
                   help="reject events older than N days before their batch; -1 = no limit "
                        "(history imports)")
    p.add_argument("--max-quarantine-share", type=number(float, 0, 1), default=0.05,
                   help="mark a batch failed above this share (0..1) of quarantined lines")
    p.add_argument("--lake-format", choices=["csv.gz", "parquet"], default="csv.gz",
                   help="lake file format: gzip CSV (Redshift COPY) or Parquet")


def _ingest_options(args: argparse.Namespace) -> IngestOptions:
    late = None if args.max_late_days < 0 else args.max_late_days
    engine = args.engine or ("mrjob" if args.runner else "columnar")
    return IngestOptions(runner=args.runner or "local", engine=engine, fmt=args.fmt,
                         limits=Limits(max_late_days=late),
                         max_quarantine_share=args.max_quarantine_share,
                         mrjob_conf=args.mrjob_conf, lake_format=args.lake_format)


def cmd_generate(args: argparse.Namespace) -> int:
    from simulator import generate

    stats = generate(args.out, args.start, args.days, args.users, seed=args.seed,
                     fault_rate=args.fault_rate, progress=not args.quiet, anomalies=args.anomaly)
    print(f"generated {stats['lines']:,} lines in {stats['files']} files under {args.out} "
          f"({stats['events']:,} events; faults: "
          + ", ".join(f"{k} {v}" for k, v in sorted(stats["faults"].items())) + ")")
    return EXIT_OK


def check_planted(anomalies: list[dict], start: date, days: int) -> None:
    """An anomaly the simulation can never plant (a day outside the period, an event it does
    not emit) is a user's mistake, not a quiet no-op."""
    import csv

    from warehouse.dbt import project_dir

    with open(project_dir() / "seeds" / "event_catalog.csv", encoding="utf-8") as handle:
        events = {row["event_name"] for row in csv.DictReader(handle)}
    last = start + timedelta(days=days - 1)
    for item in anomalies:
        if not start <= item["date"] <= last:
            raise ValueError(f"--anomaly {item['date']}: outside the generated days {start}..{last}")
        if item["event"] not in events:
            raise ValueError(f"--anomaly event {item['event']!r}: not an event the simulator writes "
                             f"({', '.join(sorted(events))})")


def cmd_run(args: argparse.Namespace) -> int:
    """Drive the Luigi graph for the window; print what happened and where the log is."""
    from ingest.tables import log_tables
    from monitor.config import load_config
    from pipeline.orchestrate import RunRequest, run_window
    from pipeline.status import run_summary, skipped_summary
    from warehouse.clients import client_class

    log_tables()  # a bad log-table declaration is refused in one line before any work
    load_config()  # so is a bad $PULSE_MONITOR_CONFIG (the run's alerts need it)
    target = target_from_env(args.target)
    client_class(target).check_reachable(target)  # a missing database: one line, no run
    req = RunRequest(raw=args.raw, lake=args.lake, start=args.start, end=args.end or args.start,
                     target=target, options=_ingest_options(args), full_refresh=args.full_refresh,
                     skip_dbt=args.skip_dbt, reingest=reingest_tables(args.reingest),
                     workers=args.workers, scheduler_url=args.scheduler_url,
                     wait_for_input_seconds=args.wait_for_input,
                     task_timeout_seconds=args.task_timeout, dbt_timeout_seconds=args.dbt_timeout,
                     log_dir=args.log_dir, monitor=args.monitor)
    outcome = run_window(req)
    if outcome.exit_code == EXIT_ALREADY_RUNNING:
        print(f"pulse run {req.start}..{req.end}: {outcome.message}")
        return outcome.exit_code
    print(f"pulse run {req.start}..{req.end} into {target.describe()}: "
          f"{run_summary(target, req.lake, req.start, req.end, outcome.run_id)}")
    if skipped := skipped_summary(req.lake, req.start, req.end):
        print(f"pulse run {req.start}..{req.end}: {skipped}")
    print(f"run {outcome.run_id}: " + (outcome.message or "ok") + f"; log {outcome.log_file}")
    return outcome.exit_code


def reingest_tables(names: list[str]) -> tuple[str, ...]:
    """The tables `--reingest` names, in declaration order ('all' = every table)."""
    from ingest.tables import all_tables

    if not names:
        return ()
    declared = list(all_tables())
    unknown = [n for n in names if n != "all" and n not in declared]
    if unknown:
        raise ValueError(f"--reingest {unknown[0]!r}: no such table (tables: all, "
                         f"{', '.join(declared)})")
    return tuple(declared) if "all" in names else tuple(t for t in declared if t in names)


def cmd_summary(args: argparse.Namespace) -> int:
    from pipeline.summary import print_summary

    print_summary(target_from_env(args.target))
    return EXIT_OK


def cmd_dbt(args: argparse.Namespace) -> int:
    from warehouse.dbt import run_dbt

    dbt_args = args.dbt_args[1:] if args.dbt_args[:1] == ["--"] else args.dbt_args
    run_dbt(dbt_args, target=target_from_env(args.target))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="pulse", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print every log line (dbt, Luigi, mrjob) on the terminal too, "
                             "not only in the run log")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="write deterministic sample raw event logs")
    p.add_argument("--out", default="data/raw", help="raw folder to write YYYY-MM-DD batch folders into")
    p.add_argument("--start", type=iso_date, required=True, help="first day (YYYY-MM-DD, UTC)")
    p.add_argument("--days", type=number(int, 1), default=28, help="how many days, at least 1")
    p.add_argument("--users", type=number(int, 1), default=2000, help="simulated users, at least 1")
    p.add_argument("--seed", type=number(int), default=42,
                   help="random seed: the same seed and options write the same files")
    p.add_argument("--fault-rate", type=number(float, 0, 1), default=0.003,
                   help="share (0..1) of lines with planted faults (bad JSON, missing fields...)")
    p.add_argument("--anomaly", type=planted_anomaly, action="append", default=[],
                   metavar="DATE:EVENT:FACTOR",
                   help="plant a volume anomaly: scale EVENT's volume on DATE (UTC) by FACTOR, e.g. "
                        "2026-11-30:task_created:0.4 (repeatable; the monitor should find it)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("run", help="ingest, load, transform, check and publish batch dates (Luigi)")
    _add_ingest_options(p)
    add_target_argument(p)
    p.add_argument("--full-refresh", action="store_true", help="rebuild incremental models")
    p.add_argument("--skip-dbt", action="store_true", help="only ingest and load (no dbt, checks or publish)")
    p.add_argument("--reingest", action="append", default=[], metavar="TABLE",
                   help="derive TABLE's lake partitions of the window again from raw, reload "
                        "and rebuild (repeatable; 'all' = every table): backfills a new or "
                        "changed log table, re-ingests a date (docs/log-tables.md)")
    p.add_argument("--monitor", choices=MONITOR_CHOICES, default="last",
                   help="run the data and pipeline monitors for the newest date after publishing")
    p.add_argument("--workers", type=number(int, 1), default=1,
                   help="Luigi workers (parallel tasks), at least 1")
    p.add_argument("--scheduler-url", type=http_url, help="central luigid, e.g. http://127.0.0.1:8082/ "
                                           "(default: Luigi's local scheduler)")
    p.add_argument("--wait-for-input", type=number(float, 0), default=0.0, metavar="SECONDS",
                   help="wait this long for missing raw folders before exiting with code 4")
    p.add_argument("--task-timeout", type=number(float, 0), default=3600.0, metavar="SECONDS",
                   help="per-task deadline (ingest, load, check, publish); 0 = none")
    p.add_argument("--dbt-timeout", type=number(float, 0), default=3 * 3600.0, metavar="SECONDS",
                   help="deadline of the dbt transform; 0 = none")
    p.add_argument("--log-dir", default="data/logs", help="run logs: <log-dir>/<run_id>/run.log")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("summary", help="print a short summary of the marts")
    add_target_argument(p)
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("dbt", help="run dbt with pulse's project, profile and target, e.g. pulse dbt -- test")
    add_target_argument(p)
    p.add_argument("dbt_args", nargs=argparse.REMAINDER, metavar="-- DBT_ARGS",
                   help="dbt's own command and options after --, e.g. -- build --select fct_events "
                        "or -- --version")
    p.set_defaults(func=cmd_dbt)

    from pipeline.commands import register_all

    register_all(sub)
    return parser


def check_settings(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """What argparse cannot check alone, before any work: the window's order and every
    environment variable the command will read (a bad one is a usage error naming it)."""
    prog = f"{parser.prog} {args.command}"
    start, end = getattr(args, "start", None), getattr(args, "end", None)
    if start is not None and end is not None and end < start:
        parser.exit(EXIT_USAGE, f"{prog}: error: --to {end} is before --from {start}: the window "
                                f"must run forward (see `{prog} --help`)\n")
    if getattr(args, "engine", None) == "columnar" and getattr(args, "runner", None):
        parser.exit(EXIT_USAGE, f"{prog}: error: --runner {args.runner} applies to the mrjob "
                                "engine only: drop it or use --engine mrjob\n")
    try:
        reingest_tables(getattr(args, "reingest", []))
        if args.command == "generate":
            check_planted(args.anomaly, args.start, args.days)
    except ValueError as exc:
        parser.exit(EXIT_USAGE, f"{prog}: error: {exc}\n")
    try:
        if hasattr(args, "target"):  # a command that talks to a warehouse
            target_from_env(args.target)
            retry_settings()
        check_environment()
    except ValueError as exc:
        parser.exit(EXIT_USAGE, f"{prog}: error: {exc}\n")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_settings(parser, args)
    console = _console_logging(args)
    try:
        return args.func(args)
    except MissingInput as exc:
        log.error("missing input: %s", exc)
        return EXIT_MISSING_INPUT
    except NothingBuilt as exc:
        print(f"pulse {args.command}: {redact(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except (BatchFailed, RuntimeError, ConnectionError, ValueError, OSError) as exc:
        log.error("%s: %s", type(exc).__name__, exc)
        return EXIT_FAILED
    except Exception:  # a bug in pulse, not the user's mistake: its traceback, redacted
        log.exception("pulse %s failed unexpectedly", args.command)
        return EXIT_FAILED
    finally:
        if console is not None:
            logging.getLogger().removeHandler(console)
            console.close()


def _console_logging(args: argparse.Namespace) -> logging.Handler | None:
    """The terminal's log. `pulse run` shows warnings, errors and one line per stage
    (`pipeline.progress.StageProgress`; everything else goes to the run log); with -v, and
    for the other commands, every record. Returns the handler `pulse run` installed."""
    console: logging.Handler | None = None
    if args.command == "run" and not args.verbose:
        from pipeline.progress import StageProgress

        console = StageProgress()
        logging.getLogger().addHandler(console)
        logging.getLogger().setLevel(logging.INFO)
    else:
        logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                            datefmt="%Y-%m-%d %H:%M:%S")
    redact_root_handlers()  # no secret reaches the terminal through a log record
    for noisy in ("mrjob", "botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not args.verbose:
        # Luigi logs every scheduling step: keep that in the run's log file, not on the terminal
        for handler in logging.getLogger().handlers:
            handler.addFilter(lambda r: r.levelno >= logging.WARNING or not r.name.startswith("luigi"))
    return console


if __name__ == "__main__":
    sys.exit(main())
