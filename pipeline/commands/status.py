"""`pulse status`: latest runs, incomplete work and time per stage, from the warehouse."""

from __future__ import annotations

import argparse

from pipeline.cli_args import add_target_argument, number
from warehouse.target import target_from_env


def cmd_status(args: argparse.Namespace) -> int:
    from pipeline.status import status_report

    print(status_report(target_from_env(args.target), runs=args.runs))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="latest pipeline runs, incomplete work, time per stage")
    add_target_argument(p)
    p.add_argument("--runs", type=number(int, 1), default=5, help="how many recent runs to show (at least 1)")
    p.set_defaults(func=cmd_status)
