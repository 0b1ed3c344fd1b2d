"""Argument types and options shared by every `pulse` command (the main CLI and the modules
in pipeline/commands/)."""

from __future__ import annotations

import argparse
from datetime import date

from warehouse.target import TARGETS


def iso_date(text: str) -> date:
    """argparse type of a YYYY-MM-DD date (a bad value is a usage error, exit code 2)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from None


def add_target_argument(p: argparse.ArgumentParser) -> None:
    """``--target``: which warehouse (default $PULSE_TARGET, else duckdb)."""
    p.add_argument("--target", choices=TARGETS, help="warehouse (default $PULSE_TARGET or duckdb)")
