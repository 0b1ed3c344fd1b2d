"""`pulse monitor --date D`: run the data and pipeline monitors for a batch date and alert.

Exit code 0 when nothing is at error level and every alert was delivered, 1 otherwise.
`pulse monitor backtest --from D --to D` replays the hourly and dimension volume monitor over
past days and writes a report (index.html, one chart per event, flags.csv); it stores nothing.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import datetime, timezone

from pipeline.cli_args import add_target_argument, iso_date, utc_minute
from warehouse.target import target_from_env


def cmd_monitor(args: argparse.Namespace) -> int:
    from monitor.config import load_config

    if args.date is None:
        raise SystemExit("pulse monitor: --date is required (or use `pulse monitor backtest`)")
    from monitor.run import run_monitors

    config = load_config(args.config)
    if args.lake is not None:
        config = replace(config, lake=args.lake or None)
    if args.skip_dbt_tests:
        config = replace(config, run_dbt_tests=False)
    now = datetime.fromisoformat(args.now).replace(tzinfo=timezone.utc) if args.now else None
    target = target_from_env(args.target)
    report = run_monitors(target, args.date, config, now=now, send=not args.no_alerts)
    print(f"pulse monitor {args.date} on {target.describe()} (run {report.run_id}): "
          f"{len(report.results)} checks, {len(report.findings)} finding(s)")
    for r in report.findings:
        print(f"  [{r.status}] {r.monitor}/{r.check_key}: {r.message}")
    sent = sum(1 for d in report.deliveries if d.delivered_to and not d.deduplicated)
    deduplicated = sum(1 for d in report.deliveries if d.deduplicated)
    print(f"  alerts: {sent} sent, {deduplicated} deduplicated, "
          f"{len(report.delivery_errors)} delivery failure(s)")
    for error in report.delivery_errors:
        print(f"  DELIVERY FAILED: {error}")
    return report.exit_code


def cmd_backtest(args: argparse.Namespace) -> int:
    from pathlib import Path

    from monitor.backtest import replay, write_report
    from monitor.config import load_config
    from warehouse.locks import connection

    config = load_config(args.config)
    if args.to_date < args.from_date:
        raise SystemExit(f"pulse monitor backtest: --to {args.to_date} is before --from {args.from_date}")
    target = target_from_env(args.target)
    out = Path(args.out or f"data/monitor-backtest_{args.from_date}_{args.to_date}")
    with connection(target) as client:
        bt = replay(client, args.from_date, args.to_date, config.volume)
    index = write_report(bt, out, config.volume)
    drops = sum(1 for i in bt.incidents if i.direction == "drop")
    print(f"pulse monitor backtest {args.from_date}..{args.to_date} on {target.describe()}: "
          f"{len(bt.verdicts)} day(s), {len(bt.incidents)} incident(s) ({drops} drops, "
          f"{len(bt.incidents) - drops} spikes), {len(bt.charts)} chart(s)")
    print(f"  report: {index}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("monitor", help="run the monitors for a batch date and send alerts")
    p.add_argument("--date", type=iso_date, help="batch date to check (UTC; required)")
    add_target_argument(p)
    p.add_argument("--config", help="monitor config YAML (default $PULSE_MONITOR_CONFIG)")
    p.add_argument("--lake", help="lake folder or s3:// URI for ingest health ('' to skip)")
    p.add_argument("--skip-dbt-tests", action="store_true", help="do not run the critical-value tests")
    p.add_argument("--no-alerts", action="store_true", help="store results only")
    p.add_argument("--now", type=utc_minute, help="evaluate deadlines as of this UTC time (YYYY-MM-DDTHH:MM)")
    p.set_defaults(func=cmd_monitor)
    sub_monitor = p.add_subparsers(dest="monitor_command")
    bt = sub_monitor.add_parser("backtest", help="replay the hourly/dimension volume monitor over "
                                                 "past days and write a report")
    bt.add_argument("--from", dest="from_date", type=iso_date, required=True, help="first day (UTC)")
    bt.add_argument("--to", dest="to_date", type=iso_date, required=True, help="last day (UTC)")
    add_target_argument(bt)
    bt.add_argument("--config", help="monitor config YAML (default $PULSE_MONITOR_CONFIG)")
    bt.add_argument("--out", help="report folder (default data/monitor-backtest_<from>_<to>)")
    bt.set_defaults(func=cmd_backtest)
