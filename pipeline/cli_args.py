"""Argument types and options shared by every `pulse` command (the main CLI and the modules
in pipeline/commands/).

Every option is parsed and range-checked here, at the edge: a bad value is a usage error
(exit code 2) whose one line names the option and the accepted values, before any work,
lock, log file or alert.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from warehouse.target import TARGETS


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every command's ``--help``: each option's help line ends with its default, unless it
    has none (None, off) or the help already says it; help text wraps in a wide column so a
    subcommand's one-line help stays on one line."""

    def __init__(self, prog: str, **kwargs) -> None:
        kwargs.setdefault("max_help_position", 30)
        kwargs.setdefault("width", 100)
        super().__init__(prog, **kwargs)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if "default" in text.lower() or default is None or default is False or \
                default == argparse.SUPPRESS or \
                (not action.option_strings and action.nargs not in ("?", "*")):
            return text
        return f"{text} (default: %(default)s)"


class SubCommands(argparse._SubParsersAction):
    """Subcommands whose own ``--help`` opens with the one line the parent lists them by."""

    def add_parser(self, name: str, **kwargs) -> argparse.ArgumentParser:
        if kwargs.get("help") and "description" not in kwargs:
            kwargs["description"] = kwargs["help"][:1].upper() + kwargs["help"][1:] + "."
        return super().add_parser(name, **kwargs)


class OneLineParser(argparse.ArgumentParser):
    """The parser of every `pulse` command and subcommand (subparsers inherit the class).

    Usage errors are one line naming the option and the accepted values (the full usage is
    one ``--help`` away), exit code 2; help shows defaults (`HelpFormatter`) and lists
    subcommands one line each under COMMAND.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("action", SubCommands)
        kwargs.setdefault("metavar", "COMMAND")
        kwargs.setdefault("title", "commands")
        return super().add_subparsers(**kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def iso_date(text: str) -> date:
    """argparse type of a YYYY-MM-DD date (a bad value is a usage error, exit code 2)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from None


def utc_minute(text: str) -> str:
    """argparse type of a UTC time YYYY-MM-DDTHH:MM[:SS] (kept as text for the command)."""
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DDTHH:MM time") from None
    return text


def _describe(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"from {low:g} to {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


def planted_anomaly(text: str) -> dict[str, object]:
    """argparse type of `pulse generate --anomaly DATE:EVENT:FACTOR` (e.g. 2026-11-30:login:0.4):
    that event's volume on that UTC day scaled by FACTOR (0 removes it, 3 triples it)."""
    day, _, rest = text.partition(":")
    event, _, factor = rest.rpartition(":")
    try:
        value = float(factor)
    except ValueError:
        value = -1.0
    if not event or not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not DATE:EVENT:FACTOR with a factor >= 0 "
                                         "(e.g. 2026-11-30:login:0.4)")
    return {"date": iso_date(day), "event": event, "factor": value}


def number(kind: type[int] | type[float], low: float | None = None,
           high: float | None = None) -> Callable[[str], int | float]:
    """argparse type of an int or float within [low, high] (None: unbounded on that side)."""
    what = "a whole number" if kind is int else "a number"

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not {what} ({_describe(low, high)})") from None
        if (isinstance(value, float) and not math.isfinite(value)) or \
                (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{text} is out of range: use {what} "
                                             f"{_describe(low, high)}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def http_url(text: str) -> str:
    """argparse type of an http(s)://host[:port]/ URL (a central scheduler)."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in text:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s)://host:port/ URL")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} has a bad port (1-65535)") from None
    return text


def existing_file(text: str) -> str:
    """argparse type of a file that must exist now (a config the run reads much later)."""
    if not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"{text!r} is not an existing file")
    return text


TARGET_HELP = ("warehouse to use; connection settings come from PULSE_DUCKDB_PATH, PULSE_PG_* "
               "or PULSE_RS_* (README: Warehouses) (default: $PULSE_TARGET, else duckdb)")


def add_target_argument(p: argparse.ArgumentParser) -> None:
    """``--target``: which warehouse (default $PULSE_TARGET, else duckdb)."""
    p.add_argument("--target", choices=TARGETS, help=TARGET_HELP)
